"""The public API's own description: /api/ (feeds by fellowship), /api/openapi.json
(OpenAPI 3.1, validated) and /api/docs/, and real responses checked against it."""

import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from directory.models import Fellowship
from tests.conftest import make_group, make_location, make_meeting

pytestmark = pytest.mark.django_db


@pytest.fixture
def reference(db):
    call_command("loaddata", "fellowships", "meeting_types", verbosity=0)


def description(client) -> dict:
    response = client.get(reverse("meetings:api-openapi"))
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    return response.json()


def schema_of(spec: dict, path: str, code: str, media="application/json"):
    """A response's schema, with the description's components, ready for jsonschema."""
    schema = spec["paths"][path]["get"]["responses"][code]["content"][media]["schema"]
    return Draft202012Validator({**schema, "components": spec["components"]})


def test_the_description_is_valid_openapi_3_1_with_every_public_endpoint(client, reference):
    spec = description(client)
    validate(spec)  # openapi-spec-validator: raises on an invalid description
    assert spec["openapi"].startswith("3.1")
    assert set(spec["paths"]) == {
        "/api/meetings.json",
        "/api/feeds.json",
        "/api/hsds/services",
        "/api/hsds/organizations",
        "/api/hsds/locations",
        "/meetings.ics",
        "/meetings/{slug}.ics",
    }
    feed = spec["paths"]["/api/meetings.json"]["get"]
    parameters = {p["name"]: p for p in feed["parameters"]}
    assert {"near", "radius", "fellowship", "day", "attendance"} <= set(parameters)
    assert "aa" in parameters["fellowship"]["schema"]["items"]["enum"]
    assert set(feed["responses"]) == {"200", "400"}


def test_real_feed_rows_and_errors_match_the_described_schemas(client, reference):
    aa = Fellowship.objects.get(slug="aa")
    group = make_group(fellowship=aa)
    make_meeting(group=group, types=["D"])
    make_meeting(
        group=group,
        attendance="online",
        conference_url="https://zoom.us/j/1",
        location=make_location(address="", approximate=True),
    )
    make_meeting(group=group, location=make_location(city="Pasadena", state="TX"))
    spec = description(client)

    response = client.get(reverse("meetings:meeting-feed"), {"fellowship": "aa"})
    rows = json.loads(b"".join(response.streaming_content))
    assert len(rows) == 3
    errors = list(schema_of(spec, "/api/meetings.json", "200").iter_errors(rows))
    assert errors == []

    bad = client.get(reverse("meetings:meeting-feed"), {"near": "Atlantis", "day": "9"})
    assert bad.status_code == 400
    assert list(schema_of(spec, "/api/meetings.json", "400").iter_errors(bad.json())) == []

    feeds = client.get(reverse("meetings:api-feeds"))
    assert list(schema_of(spec, "/api/feeds.json", "200").iter_errors(feeds.json())) == []


def test_a_row_that_breaks_the_schema_is_caught(client, reference):
    """The check above can fail: a wrong row does not match."""
    spec = description(client)
    validator = schema_of(spec, "/api/meetings.json", "200")
    row = {"name": "x", "slug": "x", "day": 9, "time": "7pm", "timezone": "UTC"}
    assert len(list(validator.iter_errors([{**row, "types": [], "attendance_option": "no"}]))) >= 3


def test_api_lists_a_feed_for_each_fellowship_as_a_page_and_as_json(client, reference):
    page = client.get(reverse("meetings:api-index")).content.decode()
    index = client.get(reverse("meetings:api-feeds")).json()
    assert len(index["feeds"]) == Fellowship.objects.count()
    smart = next(feed for feed in index["feeds"] if feed["fellowship"] == "smart")
    assert smart["url"] == "http://testserver/api/meetings.json?fellowship=smart"
    assert smart["url"] in page and "SMART Recovery" in page


def test_each_fellowship_page_links_its_own_feed(client, reference):
    page = client.get(reverse("directory:fellowship-detail", args=["smart"])).content.decode()
    link = (
        '<link rel="alternate" type="application/json" title="Meetings Feed" '
        'href="http://testserver/api/meetings.json?fellowship=smart">'
    )
    assert link in page
    assert page.count('title="Meetings Feed"') == 1


def test_the_docs_page_is_read_from_the_same_description(client, reference):
    spec = description(client)
    page = client.get(reverse("meetings:api-docs")).content.decode()
    for path in spec["paths"]:
        assert f"GET {path}" in page
    assert "attendance_option" in page and "fellowship" in page
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    assert "<script" not in main  # rendered here: no script needed to read it
