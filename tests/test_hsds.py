"""The directory as Open Referral HSDS 3.0 (/api/hsds/services), for 211 and referral
systems: valid against HSDS's own schemas, each meeting once, nothing private."""

import datetime as dt
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from directory.models import Fellowship
from meetings.formats.hsds import hsds_id
from tests.conftest import make_group, make_location, make_meeting

pytestmark = pytest.mark.django_db

SCHEMAS = Path(__file__).parent / "vendor" / "hsds"
ZOOM = "https://us02web.zoom.us/j/812345678"


def _registry() -> Registry:
    """The vendored schemas by file name; any other (phone, contact...) accepts anything."""

    def retrieve(uri: str) -> Resource:
        path = SCHEMAS / uri
        schema = json.loads(path.read_text()) if path.is_file() else {}
        return Resource.from_contents(schema, default_specification=DRAFT202012)

    return Registry(retrieve=retrieve)


def service_errors(service: dict) -> list[str]:
    schema = json.loads((SCHEMAS / "service.json").read_text())
    validator = Draft202012Validator(schema, registry=_registry(), format_checker=FormatChecker())
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(service)]


@pytest.fixture
def aa(db):
    call_command("loaddata", "fellowships", "meeting_types", verbosity=0)
    return Fellowship.objects.get(slug="aa")


def get_page(client, **params) -> dict:
    response = client.get(reverse("meetings:hsds-services"), params)
    assert response.status_code == 200, response.content
    assert response.streaming
    assert response["Access-Control-Allow-Origin"] == "*"
    return json.loads(b"".join(response.streaming_content))


def test_the_vendored_schemas_catch_what_hsds_forbids():
    service = {"id": "a", "name": "n", "status": "active"}
    assert service_errors(service) == []
    assert service_errors({**service, "status": "open"})
    assert service_errors({**service, "email": "no address"})
    assert service_errors({**service, "schedules": [{"id": "s", "freq": "DAILY"}]})
    assert service_errors({**service, "schedules": [{"id": "s", "timezone": "America/Chicago"}]})
    location = {"id": "l", "location_type": "physical", "addresss": [{"id": "x"}]}
    at = {"id": "sl", "location": location}
    assert service_errors({**service, "service_at_locations": [at]})
    assert service_errors({**service, "organization": {"id": "o", "name": "g"}})


def test_every_service_validates_against_the_hsds_schemas(client, aa):
    group = make_group(fellowship=aa, name="Loring Group", description="Since 1970.")
    make_meeting(group=group, name="Big Book", types=["B", "X", "S"], notes="Books.")
    make_meeting(group=group, name="Hybrid", day=2, attendance="hybrid", conference_url=ZOOM)
    make_meeting(
        group=group,
        name="Online",
        day=4,
        attendance="online",
        conference_url=ZOOM,
        location=None,
        timezone="America/New_York",
    )
    make_meeting(group=group, name="Paused", day=5, status="tc", types=["X"])
    page = get_page(client)
    assert page["total_items"] == 4
    assert [s["name"] for s in page["contents"]] == ["Big Book", "Hybrid", "Online", "Paused"]
    for service in page["contents"]:
        assert service_errors(service) == [], service["name"]
        # The tabular rules: a service names its organization, a link both ends.
        assert service["organization_id"] == service["organization"]["id"]
        assert service["organization"]["name"] == "Loring Group"
        assert service["organization"]["parent_organization_id"] == hsds_id("fellowship", aa.id)
        for at in service["service_at_locations"]:
            assert at["service_id"] == service["id"]
            assert at["location_id"] == at["location"]["id"]
    # And the page matches the API's own description of it (/api/openapi.json).
    spec = client.get(reverse("meetings:api-openapi")).json()
    schema = spec["paths"]["/api/hsds/services"]["get"]["responses"]["200"]["content"]
    described = {**schema["application/json"]["schema"], "components": spec["components"]}
    assert list(Draft202012Validator(described).iter_errors(page)) == []


def test_a_meeting_is_one_service_with_its_weekly_schedule_in_its_zone(client, aa):
    meeting = make_meeting(
        group=make_group(fellowship=aa, name="Late Group"),
        name="Night Owls",
        day=4,
        start_time=dt.time(23, 0),
        end_time=dt.time(0, 30),
        attendance="online",
        conference_url=ZOOM,
        location=None,
        timezone="America/New_York",
        types=["S"],
    )
    [service] = get_page(client)["contents"]
    assert service["id"] == hsds_id("meeting", meeting.id)
    assert service["url"] == f"http://testserver/meetings/{meeting.slug}/"
    [schedule] = service["schedules"]
    assert schedule["freq"] == "WEEKLY"
    assert schedule["byday"] == "TH"
    assert (schedule["opens_at"], schedule["closes_at"]) == ("23:00", "00:30")
    assert schedule["timezone"] in (-5, -4)  # New York's offset, standard or summer time
    assert schedule["notes"] == "America/New_York"
    assert schedule["schedule_link"] == f"http://testserver/meetings/{meeting.slug}.ics"
    assert service["languages"] == [
        {
            "id": service["languages"][0]["id"],
            "service_id": service["id"],
            "name": "Spanish",
            "code": "es",
        }
    ]
    [online] = service["service_at_locations"]
    assert online["location"]["location_type"] == "virtual"
    assert online["location"]["url"] == ZOOM


def test_an_in_person_meeting_has_its_address_and_accessibility(client, aa):
    meeting = make_meeting(
        group=make_group(fellowship=aa),
        location=make_location(accessibility_notes="Ramp at the back."),
        types=["X"],
    )
    [service] = get_page(client)["contents"]
    [place] = service["service_at_locations"]
    location = place["location"]
    assert location["location_type"] == "physical"
    [address] = location["addresss"]
    assert (address["address_1"], address["city"], address["state_province"]) == (
        "519 Oak Grove St",
        "Minneapolis",
        "MN",
    )
    [access] = location["accessibilitys"]
    assert access["description"] == "Wheelchair Access"
    assert access["details"] == "Ramp at the back."
    assert service["status"] == "active"
    assert service["assured_date"] == meeting.last_changed.date().isoformat()


def test_pending_inactive_and_duplicate_copies_are_absent(client, aa):
    listed = make_meeting(group=make_group(fellowship=aa), name="Listed")
    make_meeting(group=make_group(fellowship=aa), name="Retired", status="inactive")
    make_meeting(group=make_group(fellowship=aa, status="pending"), name="Awaiting review")
    make_meeting(group=make_group(fellowship=aa), name="Copy", duplicate_of=listed)
    page = get_page(client)
    assert [s["name"] for s in page["contents"]] == ["Listed"]
    assert page["total_items"] == 1


def test_no_organizer_email_or_phone_in_the_export(client, aa):
    group = make_group(fellowship=aa, email="organizer@example.org", phone="612-555-0100")
    make_meeting(group=group)
    body = b"".join(client.get(reverse("meetings:hsds-services")).streaming_content).decode()
    assert "organizer@example.org" not in body
    assert "555-0100" not in body
    assert '"email"' not in body and '"phones"' not in body and '"contacts"' not in body


def test_pages_and_the_search_parameters(client, aa):
    for day in range(5):
        make_meeting(group=make_group(fellowship=aa), name=f"Day {day}", day=day)
    first = get_page(client, per_page=2)
    assert [s["name"] for s in first["contents"]] == ["Day 0", "Day 1"]
    assert (first["total_items"], first["total_pages"], first["first_page"]) == (5, 3, True)
    last = get_page(client, per_page=2, page=3)
    assert [s["name"] for s in last["contents"]] == ["Day 4"]
    assert last["last_page"] and not last["first_page"]
    beyond = get_page(client, per_page=2, page=9)
    assert beyond["contents"] == [] and beyond["empty"]
    assert [s["name"] for s in get_page(client, day=3)["contents"]] == ["Day 3"]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"page": "0"}, "page"),
        ({"page": "two"}, "page"),
        ({"per_page": "5000"}, "per_page"),
        ({"per_page": "-1"}, "per_page"),
        ({"day": "funday"}, "day"),
    ],
)
def test_a_bad_parameter_is_a_400_with_a_json_error(client, aa, params, field):
    response = client.get(reverse("meetings:hsds-services"), params)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "Invalid parameters."
    assert body["fields"][field]
