"""schema.org data for the JSON-LD block of each content page.

The shared pieces (the clinic, people, breadcrumbs, web pages) live in
clinic/structured_data.py, so the team and booking pages build theirs the
same way.
"""

from django.urls import reverse

from clinic.structured_data import (
    absolute,
    breadcrumb_list,
    clinic_entity,
    clinic_reference,
    image_url,
    person,
    web_page,
)

__all__ = [
    "absolute",
    "article_page",
    "breadcrumb_list",
    "clinic_entity",
    "condition_page",
    "home_graph",
    "person",
    "service_page",
    "web_page",
]


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
                "publisher": clinic_reference(request, clinic),
                "potentialAction": {
                    "@type": "SearchAction",
                    "target": absolute(request, reverse("articles:search"))
                    + "?q={search_term_string}",
                    "query-input": "required name=search_term_string",
                },
            },
        ],
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
        "image": image_url(
            request, article.lead_image, title=article.page_title, site_name=clinic.name
        ),
        "datePublished": article.published_at.isoformat() if article.published_at else None,
        "dateModified": article.updated_at.isoformat() if article.updated_at else None,
        "lastReviewed": article.last_reviewed.isoformat() if article.last_reviewed else None,
        "author": person(request, article.author),
        "reviewedBy": person(request, article.reviewer),
        "publisher": clinic_reference(request, clinic),
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
    return {key: value for key, value in data.items() if value not in ("", None, [])}


def _content_page(request, clinic, page, crumbs, *, about_type: str) -> dict:
    data = web_page(
        request,
        clinic,
        page_type="MedicalWebPage",
        name=page.title,
        description=page.description,
        crumbs=crumbs,
    )
    data["about"] = {"@type": about_type, "name": page.title}
    data["image"] = image_url(
        request, page.lead_image, title=page.page_title, site_name=clinic.name
    )
    return data


def service_page(request, clinic, service, crumbs) -> dict:
    return _content_page(request, clinic, service, crumbs, about_type="MedicalTherapy")


def condition_page(request, clinic, condition, crumbs) -> dict:
    return _content_page(request, clinic, condition, crumbs, about_type="MedicalCondition")
