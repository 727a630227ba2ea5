"""Possible duplicates: the notice staff see before they make a new patient record.

A new record whose name matches an existing one (case and spaces aside), or
whose date of birth and surname do, is held back with a link to each
similar record, until staff tick "This is a different person". The records
looked at are those the user may see, so a practitioner is never told the
name of someone else's patient.
"""

from datetime import date

from django import forms
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# More than this many similar records says "common name", not "this person".
SHOWN = 5


def different_person_field() -> forms.BooleanField:
    return forms.BooleanField(
        label=gettext_lazy("This is a different person"),
        required=False,
        help_text=gettext_lazy(
            "Tick after checking the possible duplicate named above, to save a new record anyway."
        ),
    )


def possible_duplicates(*, among: QuerySet, name: str, date_of_birth: date | None = None) -> list:
    """Current records in `among` that may be the person just typed in."""
    return list(
        among.current()
        .possibly_same_as(name=name, date_of_birth=date_of_birth)
        .order_by("name", "pk")[:SHOWN]
    )


def _described(patient) -> str:
    details = []
    if patient.date_of_birth:
        details.append(_("born %(day)s") % {"day": f"{patient.date_of_birth:%-d %b %Y}"})
    details.extend(value for value in (patient.phone, patient.email) if value)
    return ", ".join(details)


def possible_duplicate_notice(records: list, *, if_same: str, if_different: str) -> SafeString:
    """ "Possible duplicate", with a link to each record (opening beside the form)."""
    links = format_html_join(
        "; ",
        '<a href="{}" target="_blank" rel="noopener">{}</a>{}',
        (
            (
                reverse("admin:booking_patient_change", args=[patient.pk]),
                patient.name,
                f" ({described})" if (described := _described(patient)) else "",
            )
            for patient in records
        ),
    )
    return format_html(
        "{} {} {} {}",
        _("Possible duplicate:"),
        links,
        _("(opens in a new tab). %(if_same)s") % {"if_same": if_same},
        if_different,
    )
