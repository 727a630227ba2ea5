"""schema.org data for the JSON-LD block of each public page."""

from django.urls import reverse

from clinic.identity import opening_hours_schema


def absolute(request, path: str) -> str:
    return request.build_absolute_uri(path)


def breadcrumb_list(request, crumbs: list[tuple[str, str]]) -> dict:
    return {
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": index, "name": label, "item": absolute(request, url)}
            for index, (label, url) in enumerate(crumbs, start=1)
        ],
    }


def clinic_entity(request, clinic) -> dict:
    data = {
        "@type": "MedicalClinic",
        "@id": absolute(request, reverse("home")) + "#clinic",
        "name": clinic.name,
        "url": absolute(request, reverse("home")),
        "description": clinic.description or clinic.tagline,
        "telephone": clinic.phone,
        "email": clinic.email,
        "address": {
            "@type": "PostalAddress",
            "streetAddress": clinic.street_address,
            "addressLocality": clinic.locality,
            "postalCode": clinic.postal_code,
            "addressCountry": clinic.country,
        },
        "openingHoursSpecification": opening_hours_schema(clinic),
    }
    return {key: value for key, value in data.items() if value not in ("", None, [])}


def _publisher(request, clinic) -> dict:
    return {"@type": "MedicalClinic", "name": clinic.name, "url": absolute(request, "/")}


def person(request, practitioner) -> dict | None:
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
    return data


def home_graph(request, clinic) -> dict:
    home = absolute(request, reverse("home"))
    return {
        "@context": "https://schema.org",
        "@graph": [
            clinic_entity(request, clinic),
            {
                "@type": "WebSite",
                "name": clinic.name,
                "url": home,
                "potentialAction": {
                    "@type": "SearchAction",
                    "target": absolute(request, reverse("articles:search"))
                    + "?q={search_term_string}",
                    "query-input": "required name=search_term_string",
                },
            },
        ],
    }


def web_page(request, clinic, *, page_type: str, name: str, description: str, crumbs) -> dict:
    return {
        "@context": "https://schema.org",
        "@type": page_type,
        "name": name,
        "description": description,
        "url": absolute(request, request.path),
        "isPartOf": {"@type": "WebSite", "name": clinic.name, "url": absolute(request, "/")},
        "breadcrumb": breadcrumb_list(request, crumbs),
    }


def article_page(request, clinic, article, crumbs) -> dict:
    url = absolute(request, article.get_absolute_url())
    data = {
        "@context": "https://schema.org",
        "@type": "MedicalWebPage",
        "@id": url,
        "url": url,
        "name": article.title,
        "headline": article.title[:110],
        "description": article.description,
        "datePublished": article.published_at.isoformat() if article.published_at else None,
        "dateModified": article.updated_at.isoformat() if article.updated_at else None,
        "lastReviewed": article.last_reviewed.isoformat() if article.last_reviewed else None,
        "author": person(request, article.author),
        "reviewedBy": person(request, article.reviewer),
        "publisher": _publisher(request, clinic),
        "inLanguage": "en-GB",
        "keywords": ", ".join(topic.name for topic in article.topics.all()),
        "about": [
            {
                "@type": "MedicalCondition",
                "name": condition.title,
                "url": absolute(request, condition.get_absolute_url()),
            }
            for condition in article.conditions.all()
        ],
        "breadcrumb": breadcrumb_list(request, crumbs),
    }
    if article.lead_image:
        data["image"] = absolute(request, article.lead_image.file.url)
    return {key: value for key, value in data.items() if value not in ("", None, [])}


def service_page(request, clinic, service, crumbs) -> dict:
    data = web_page(
        request,
        clinic,
        page_type="MedicalWebPage",
        name=service.title,
        description=service.description,
        crumbs=crumbs,
    )
    data["about"] = {"@type": "MedicalTherapy", "name": service.title}
    data["publisher"] = _publisher(request, clinic)
    return data


def condition_page(request, clinic, condition, crumbs) -> dict:
    data = web_page(
        request,
        clinic,
        page_type="MedicalWebPage",
        name=condition.title,
        description=condition.description,
        crumbs=crumbs,
    )
    data["about"] = {"@type": "MedicalCondition", "name": condition.title}
    data["publisher"] = _publisher(request, clinic)
    return data
