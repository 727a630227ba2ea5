"""schema.org pieces every app's JSON-LD is built from: the clinic, people,
breadcrumbs and web pages. Apps add their own (articles/seo.py); the clinic's
entity has one ``@id`` that every page's publisher and employer point at."""

from django.templatetags.static import static
from django.urls import reverse

from clinic.identity import opening_hours_schema
from images.rendering import social_image_path
from images.social import social_card_url


def absolute(request, path: str) -> str:
    return request.build_absolute_uri(path)


def clinic_id(request) -> str:
    return absolute(request, reverse("home")) + "#clinic"


def clinic_reference(request, clinic) -> dict:
    """The publisher or employer: the clinic entity, by its ``@id``."""
    return {"@type": "MedicalClinic", "@id": clinic_id(request), "name": clinic.name}


def image_url(request, image, *, title: str, site_name: str) -> str:
    """A 1200×630 picture for ``image``: its crop, or the title's card."""
    path = social_image_path(image) if image is not None else None
    if path is None:
        try:
            path = social_card_url(title=title, site_name=site_name)
        except OSError:
            path = static("img/logo-512.png")
    return path if path.startswith(("https://", "http://")) else absolute(request, path)


def breadcrumb_list(request, crumbs: list[tuple[str, str]]) -> dict:
    return {
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": index, "name": label, "item": absolute(request, url)}
            for index, (label, url) in enumerate(crumbs, start=1)
        ],
    }


def _compact(data: dict) -> dict:
    return {key: value for key, value in data.items() if value not in ("", None, [], {})}


def clinic_entity(request, clinic) -> dict:
    data = {
        "@type": "MedicalClinic",
        "@id": clinic_id(request),
        "name": clinic.name,
        "url": absolute(request, reverse("home")),
        "description": clinic.description or clinic.tagline,
        "logo": absolute(request, static("img/logo-512.png")),
        "image": image_url(request, clinic.photo, title=clinic.name, site_name=clinic.name),
        "telephone": clinic.phone,
        "email": clinic.email,
        "priceRange": clinic.price_range,
        "medicalSpecialty": clinic.medical_specialty,
        "address": {
            "@type": "PostalAddress",
            "streetAddress": clinic.street_address,
            "addressLocality": clinic.locality,
            "postalCode": clinic.postal_code,
            "addressCountry": clinic.country,
        },
        "openingHoursSpecification": opening_hours_schema(clinic),
    }
    if clinic.has_geo:
        data["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": float(clinic.latitude),
            "longitude": float(clinic.longitude),
        }
    return _compact(data)


def person(request, practitioner, *, clinic=None, full: bool = False) -> dict | None:
    """A practitioner as a schema.org Person; ``full`` adds photo, credentials
    and employer for their own page."""
    if practitioner is None:
        return None
    data = {
        "@type": "Person",
        "name": practitioner.name,
        "url": absolute(request, practitioner.get_absolute_url()),
    }
    if practitioner.credentials:
        data["honorificSuffix"] = practitioner.credentials
    if practitioner.role:
        data["jobTitle"] = practitioner.role
    if full:
        data["@id"] = data["url"] + "#person"
        data["description"] = practitioner.bio
        data["hasCredential"] = [
            {"@type": "EducationalOccupationalCredential", "name": name.strip()}
            for name in practitioner.credentials.split(",")
            if name.strip()
        ]
        if practitioner.photo_id:
            data["image"] = absolute(request, practitioner.photo.file.url)
        if clinic is not None:
            data["worksFor"] = clinic_reference(request, clinic)
        data = _compact(data)
    return data


def web_page(request, clinic, *, page_type: str, name: str, description: str, crumbs) -> dict:
    return {
        "@context": "https://schema.org",
        "@type": page_type,
        "name": name,
        "description": description,
        "url": absolute(request, request.path),
        "isPartOf": {"@type": "WebSite", "name": clinic.name, "url": absolute(request, "/")},
        "publisher": clinic_reference(request, clinic),
        "breadcrumb": breadcrumb_list(request, crumbs),
    }
