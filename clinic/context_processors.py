from django.utils.functional import SimpleLazyObject

from clinic.identity import get_clinic, opening_hours_rows


def clinic(request):
    """The clinic's identity on every page, read only when a template uses it."""
    profile = SimpleLazyObject(get_clinic)
    return {
        "clinic": profile,
        "clinic_hours": SimpleLazyObject(lambda: opening_hours_rows(profile)),
    }
