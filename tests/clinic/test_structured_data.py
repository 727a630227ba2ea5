"""JSON-LD on every public page type, pointing at one clinic entity."""

import io
import json
import re
from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.management import call_command

from booking.models import Practitioner
from clinic.admin import ClinicProfileAdmin
from clinic.identity import forget_clinic
from clinic.models import ClinicProfile
from images.services import image_create
from tests.images.conftest import make_upload

pytestmark = pytest.mark.django_db

PAGES = {
    "/": None,
    "/privacy/": "WebPage",
    "/articles/": "CollectionPage",
    "/articles/dry-needling-explained/": "MedicalWebPage",
    "/services/": "CollectionPage",
    "/services/dry-needling/": "MedicalWebPage",
    "/conditions/": "CollectionPage",
    "/conditions/shoulder-pain/": "MedicalWebPage",
    "/search/": "SearchResultsPage",
    "/team/": "CollectionPage",
    "/team/maya-okafor/": "ProfilePage",
    "/book/": "WebPage",
}


@pytest.fixture
def demo(clinic):
    call_command("load_demo", stdout=io.StringIO())


def jsonld(client, path) -> dict:
    html = client.get(path).content.decode()
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(blocks) == 1, path
    return json.loads(blocks[0])


@pytest.mark.parametrize(("path", "page_type"), PAGES.items())
def test_every_public_page_type_has_json_ld_naming_its_type(client, demo, path, page_type):
    data = jsonld(client, path)
    if page_type is None:
        assert {node["@type"] for node in data["@graph"]} == {"MedicalClinic", "WebSite"}
    else:
        assert data["@type"] == page_type


def test_the_clinic_has_logo_image_geo_price_range_and_specialty(client, demo):
    ClinicProfile.objects.update(latitude=Decimal("51.5"), longitude=Decimal("-0.12"))
    forget_clinic()
    clinic = next(n for n in jsonld(client, "/")["@graph"] if n["@type"] == "MedicalClinic")
    assert clinic["@id"] == "http://testserver/#clinic"
    assert clinic["logo"] == "http://testserver/static/img/logo-512.png"
    assert clinic["image"].startswith("http://testserver/media/")
    assert clinic["geo"] == {"@type": "GeoCoordinates", "latitude": 51.5, "longitude": -0.12}
    assert clinic["priceRange"] == "£45–£65"
    assert clinic["medicalSpecialty"] == "Physiotherapy"


def test_an_article_has_an_image_and_a_publisher_pointing_at_the_clinic(client, demo):
    data = jsonld(client, "/articles/dry-needling-explained/")
    assert data["publisher"]["@id"] == "http://testserver/#clinic"
    assert data["image"].startswith("http://testserver/media/")


def test_a_practitioner_is_a_person_with_photo_credentials_and_employer(client, demo):
    maya = Practitioner.objects.get(slug="maya-okafor")
    maya.photo = image_create(file=make_upload(), alt_text="Maya Okafor")
    maya.save()
    person = jsonld(client, maya.get_absolute_url())["mainEntity"]
    assert person["@type"] == "Person"
    assert person["name"] == maya.name
    assert person["image"] == "http://testserver" + maya.photo.file.url
    assert [c["name"] for c in person["hasCredential"]] == [
        part.strip() for part in maya.credentials.split(",")
    ]
    assert person["worksFor"]["@id"] == "http://testserver/#clinic"


def test_the_team_is_an_item_list_of_people_in_page_order(client, demo):
    items = jsonld(client, "/team/")["mainEntity"]
    assert items["@type"] == "ItemList"
    names = [item["item"]["name"] for item in items["itemListElement"]]
    assert names == list(Practitioner.objects.active().values_list("name", flat=True))
    assert [item["position"] for item in items["itemListElement"]] == [1, 2, 3]


def test_admin_asks_for_both_coordinates_or_neither(rf, admin_user, clinic):
    request = rf.get("/")
    request.user = admin_user
    form_class = ClinicProfileAdmin(ClinicProfile, admin.site).get_form(request)
    form = form_class(data={"latitude": "51.5", "longitude": ""}, instance=clinic)
    form.is_valid()
    assert form.errors["longitude"] == ["Give both latitude and longitude, or neither."]
    form = form_class(data={"latitude": "95", "longitude": "1"}, instance=clinic)
    form.is_valid()
    assert "between -90 and 90" in form.errors["latitude"][0]
