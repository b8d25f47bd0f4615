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
    # Under HSDS 3.0's spelling and the later one alike.
    assert location["addresses"] == location["addresss"]
    assert location["accessibility"] == location["accessibilitys"]
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


# Organizations and locations (/api/hsds/organizations, /api/hsds/locations) -----------


def schema_errors(name: str, record: dict) -> list[str]:
    """``record``'s errors against the vendored HSDS schema ``name`` (organization...)."""
    schema = json.loads((SCHEMAS / f"{name}.json").read_text())
    validator = Draft202012Validator(schema, registry=_registry(), format_checker=FormatChecker())
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(record)]


def get_list(client, view: str, **params) -> dict:
    response = client.get(reverse(view), params)
    assert response.status_code == 200, response.content
    assert response["Access-Control-Allow-Origin"] == "*"
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return json.loads(body)


def described_errors(client, path: str, page: dict) -> list:
    spec = client.get(reverse("meetings:api-openapi")).json()
    schema = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
    described = {**schema["schema"], "components": spec["components"]}
    return list(Draft202012Validator(described).iter_errors(page))


def test_the_organizations_are_the_fellowships_then_the_groups_each_valid_hsds(client, aa):
    loring = make_group(fellowship=aa, name="Loring Group", description="Since 1970.",
                        website="https://loring.example.org/")  # fmt: skip
    make_meeting(group=loring, name="Big Book")
    make_meeting(group=loring, name="Step Study", day=3)
    quiet = make_group(fellowship=aa, name="Quiet Group", email="organizer@example.org")
    make_meeting(group=quiet)
    make_group(fellowship=aa, name="No Meetings Yet")
    make_meeting(group=make_group(fellowship=aa, name="Awaiting", status="pending"))

    page = get_list(client, "meetings:hsds-organizations")
    names = [o["name"] for o in page["contents"]]
    assert names == [aa.name, "Loring Group", "Quiet Group"]
    assert page["total_items"] == 3
    for organization in page["contents"]:
        assert schema_errors("organization", organization) == [], organization["name"]
    fellowship, group, _quiet = page["contents"]
    assert fellowship["id"] == hsds_id("fellowship", aa.id)
    assert group["parent_organization_id"] == fellowship["id"]
    assert group["website"] == "https://loring.example.org/"
    # The same identifiers as the services' organizations.
    services = get_page(client)["contents"]
    assert {s["organization_id"] for s in services} == {group["id"], _quiet["id"]}
    assert "organizer@example.org" not in json.dumps(page)
    assert described_errors(client, "/api/hsds/organizations", page) == []


def test_organizations_are_paged_across_fellowships_and_groups(client, aa):
    na = Fellowship.objects.get(slug="na")
    for n in range(3):
        make_meeting(group=make_group(fellowship=aa, name=f"AA Group {n}"))
    make_meeting(group=make_group(fellowship=na, name="NA Group"))
    pages = [get_list(client, "meetings:hsds-organizations", per_page=2, page=n) for n in (1, 2, 3)]
    names = [o["name"] for page in pages for o in page["contents"]]
    assert len(names) == len(set(names)) == 6
    assert set(names[:2]) == {aa.name, na.name}
    assert {page["total_items"] for page in pages} == {6}
    assert pages[2]["last_page"] and not pages[0]["last_page"]
    only_na = get_list(client, "meetings:hsds-organizations", fellowship="na")
    assert [o["name"] for o in only_na["contents"]] == [na.name, "NA Group"]


def test_the_locations_are_the_doors_meetings_meet_at_each_once_valid_hsds(client, aa):
    group = make_group(fellowship=aa)
    hall = make_location(name="Loring Hall", accessibility_notes="Ramp at the back.")
    make_meeting(group=group, location=hall, name="Big Book")
    make_meeting(group=group, location=hall, name="Hybrid", day=2, attendance="hybrid",
                 conference_url=ZOOM)  # fmt: skip
    town = make_location(name="", address="", approximate=True)
    make_meeting(group=group, location=town, attendance="online", conference_url=ZOOM, day=3)
    closed = make_location(name="Closed Chapel")
    make_meeting(group=group, location=closed, status="tc", day=4)
    centre = make_location(name="Corner Church", needs_geocoding=True)
    make_meeting(group=group, location=centre, day=5)

    page = get_list(client, "meetings:hsds-locations")
    assert [loc["name"] for loc in page["contents"]] == ["Loring Hall", "Corner Church"]
    for location in page["contents"]:
        assert schema_errors("location", location) == [], location["name"]
    loring, corner = page["contents"]
    assert loring["id"] == hsds_id("location", hall.id)
    assert loring["addresss"][0]["address_1"] == "519 Oak Grove St"
    assert loring["addresses"] == loring["addresss"]
    assert loring["accessibilitys"][0]["details"] == "Ramp at the back."
    assert (loring["latitude"], loring["longitude"]) == (44.9695, -93.2836)
    assert "latitude" not in corner  # placed only at its ZIP code's centre
    # The same identifiers as the services' physical places.
    services = get_page(client)["contents"]
    physical = {
        at["location_id"]
        for s in services
        for at in s["service_at_locations"]
        if at["location"]["location_type"] == "physical"
    }
    assert physical == {loring["id"], corner["id"]}
    assert described_errors(client, "/api/hsds/locations", page) == []


@pytest.mark.parametrize("view", ["meetings:hsds-organizations", "meetings:hsds-locations"])
def test_the_organizations_and_locations_refuse_bad_parameters(client, aa, view):
    response = client.get(reverse(view), {"per_page": "5000", "day": "funday"})
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"per_page", "day"}
