"""schema.org data for the team and booking pages (clinic/structured_data.py
holds the shared pieces)."""

from django.urls import reverse

from clinic.structured_data import absolute, clinic_reference, person, web_page


def team_page(request, clinic, practitioners) -> dict:
    data = web_page(
        request,
        clinic,
        page_type="CollectionPage",
        name=f"Our team at {clinic.name}",
        description=f"The physiotherapists and therapists at {clinic.name}.",
        crumbs=[("Home", reverse("home")), ("Our team", reverse("booking:practitioner_list"))],
    )
    data["mainEntity"] = {
        "@type": "ItemList",
        "numberOfItems": len(practitioners),
        "itemListElement": [
            {
                "@type": "ListItem",
                "position": index,
                "item": person(request, practitioner, clinic=clinic, full=True),
            }
            for index, practitioner in enumerate(practitioners, start=1)
        ],
    }
    return data


def practitioner_page(request, clinic, practitioner, crumbs) -> dict:
    data = web_page(
        request,
        clinic,
        page_type="ProfilePage",
        name=practitioner.name,
        description=f"{practitioner.name}, {practitioner.role or 'practitioner'} at {clinic.name}.",
        crumbs=crumbs,
    )
    data["mainEntity"] = person(request, practitioner, clinic=clinic, full=True)
    return data


def booking_page(request, clinic, *, name: str) -> dict:
    data = web_page(
        request,
        clinic,
        page_type="WebPage",
        name=name,
        description=f"Book a session at {clinic.name} online.",
        crumbs=[("Home", reverse("home")), ("Book a session", reverse("booking:start"))],
    )
    data["potentialAction"] = {
        "@type": "ReserveAction",
        "target": absolute(request, reverse("booking:start")),
        "provider": clinic_reference(request, clinic),
    }
    return data
