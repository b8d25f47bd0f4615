"""/manage/, the organizers' admin: the permission matrix for every page and action.

The owner succeeds; another organizer gets a 404 (or 403) and nothing changes; an
anonymous visitor is sent to sign in; staff succeed. /admin/ stays staff-only.
"""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.admin import organizer_site
from directory.models import Group, Location
from meetings.models import Meeting, ProblemReport
from tests.conftest import (
    make_group,
    make_meeting,
    make_organizer,
    make_user,
    meeting_form_data,
    two_groups_world,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Two groups, each with an organizer and a meeting at its own place."""
    return two_groups_world()


def _location_form(location, **changes) -> dict:
    fields = ["name", "address", "city", "state", "postal_code", "country", "timezone"]
    data = {name: getattr(location, name) for name in fields}
    data |= {
        "latitude": location.latitude,
        "longitude": location.longitude,
        "directions": location.directions,
        "accessibility_notes": location.accessibility_notes,
    }
    data.update(changes)
    return data


def _sent_to_sign_in(client, url, method="get") -> bool:
    response = getattr(client, method)(url)
    if response.status_code != 302 or "/login/" not in response["Location"]:
        return False
    final = client.get(response["Location"])
    return final.status_code == 302 and final["Location"].startswith(reverse("account_login"))


# Who may enter ---------------------------------------------------------------------


def test_organizers_and_staff_enter_manage(client, world):
    for person in ("owner", "staff"):
        client.force_login(world[person])
        page = client.get(reverse("manage:index")).content.decode()
        assert "Meetings" in page and "Groups" in page and "Locations" in page
        assert "Fellowships" not in page and "Users" not in page and "Places" not in page


def test_anonymous_visitors_are_sent_to_the_sites_sign_in(client, world):
    assert _sent_to_sign_in(client, reverse("manage:index"))
    change = reverse("manage:meetings_meeting_change", args=[world["mine"].pk])
    assert _sent_to_sign_in(client, change, "post")


def test_people_who_organize_nothing_are_refused(client):
    client.force_login(make_user())
    response = client.get(reverse("manage:index"), follow=True)
    assert response.status_code == 403
    assert "isn't available to you" in response.content.decode()


def test_organizers_are_not_django_staff_and_cannot_use_admin(client, world):
    assert not world["owner"].is_staff
    client.force_login(world["owner"])
    response = client.get(reverse("admin:meetings_meeting_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize(
    "path",
    [
        "/manage/directory/fellowship/",
        "/manage/meetings/meetingtype/",
        "/manage/directory/place/",
        "/manage/accounts/user/",
        "/manage/directory/organizerrequest/",
    ],
)
def test_reference_data_and_people_are_not_in_manage(client, world, path):
    client.force_login(world["owner"])
    assert client.get(path).status_code == 404


# Meetings --------------------------------------------------------------------------


def test_the_meeting_list_holds_only_the_organizers_meetings(client, world):
    client.force_login(world["owner"])
    page = client.get(reverse("manage:meetings_meeting_changelist")).content.decode()
    assert "Sunrise Serenity" in page and "Evening Reflections" not in page


def test_an_organizer_changes_a_meeting_time_and_it_is_live(client, world):
    meeting = world["mine"]
    client.force_login(world["owner"])
    url = reverse("manage:meetings_meeting_change", args=[meeting.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, meeting_form_data(meeting, start_time="18:30", end_time="19:30"))
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.start_time == dt.time(18, 30)
    assert timezone.now() - meeting.last_confirmed < dt.timedelta(minutes=1)
    assert "6:30" in client.get(meeting.get_absolute_url()).content.decode()


def test_another_organizer_cannot_see_or_change_a_meeting(client, world):
    meeting = world["mine"]
    client.force_login(world["stranger"])
    for view in ("change", "history", "delete"):
        url = reverse(f"manage:meetings_meeting_{view}", args=[meeting.pk])
        assert client.get(url).status_code == 404, view
        assert client.post(url, meeting_form_data(meeting, start_time="06:00")).status_code == 404
    changelist = reverse("manage:meetings_meeting_changelist")
    client.post(changelist, {"action": "retire", "_selected_action": [meeting.pk]})
    meeting.refresh_from_db()
    assert meeting.start_time == dt.time(19, 0)
    assert meeting.status == Meeting.Status.ACTIVE


def test_staff_change_any_meeting_in_manage(client, world):
    meeting = world["other"]
    client.force_login(world["staff"])
    url = reverse("manage:meetings_meeting_change", args=[meeting.pk])
    assert client.post(url, meeting_form_data(meeting, start_time="06:00")).status_code == 302
    meeting.refresh_from_db()
    assert meeting.start_time == dt.time(6, 0)


def test_an_organizer_adds_meetings_only_to_their_own_groups(client, world):
    client.force_login(world["owner"])
    add = reverse("manage:meetings_meeting_add")
    page = client.get(add).content.decode()
    assert "Sunrise Serenity" in page and "Evening Reflections" not in page
    assert "Their Hall" not in page

    template = world["mine"]
    ok = meeting_form_data(template, day=4, name="")
    assert client.post(add, ok).status_code == 302
    assert world["ours"].meetings.count() == 2

    for refused in (
        meeting_form_data(template, day=5, group=world["theirs"].pk),
        meeting_form_data(template, day=5, location=world["other"].location_id),
    ):
        response = client.post(add, refused)
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
    assert world["theirs"].meetings.count() == 1
    assert not Meeting.objects.filter(day=5).exists()


def test_an_organizers_delete_makes_the_meeting_inactive(client, world):
    meeting = world["mine"]
    client.force_login(world["owner"])
    url = reverse("manage:meetings_meeting_delete", args=[meeting.pk])
    page = client.get(url).content.decode()
    assert "Yes, mark it inactive" in page
    response = client.post(url, {"post": "yes"})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.INACTIVE
    # Its page stays, saying it stopped.
    assert "no longer listed as active" in client.get(meeting.get_absolute_url()).content.decode()


def test_the_bulk_action_retires_rather_than_deletes(client, world):
    second = make_meeting(group=world["ours"], location=world["mine"].location, day=5)
    client.force_login(world["owner"])
    changelist = reverse("manage:meetings_meeting_changelist")
    page = client.get(changelist).content.decode()
    assert "delete_selected" not in page
    client.post(changelist, {"action": "retire", "_selected_action": [world["mine"].pk, second.pk]})
    assert set(world["ours"].meetings.values_list("status", flat=True)) == {"inactive"}
    assert Meeting.objects.count() == 3


# Groups ----------------------------------------------------------------------------


def _group_form(group, **changes) -> dict:
    data = {
        "name": group.name,
        "description": group.description,
        "website": group.website,
        "email": group.email,
        "phone": group.phone,
        "meetings-TOTAL_FORMS": "0",
        "meetings-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


def test_an_organizer_edits_their_group_but_not_its_status(client, world):
    group = world["ours"]
    Group.objects.filter(pk=group.pk).update(status=Group.Status.PENDING)
    client.force_login(world["owner"])
    url = reverse("manage:directory_group_change", args=[group.pk])
    response = client.post(url, _group_form(group, description="New words", status="active"))
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.description == "New words"
    assert group.status == Group.Status.PENDING


def test_another_organizer_cannot_touch_a_group(client, world):
    group = world["ours"]
    client.force_login(world["stranger"])
    url = reverse("manage:directory_group_change", args=[group.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, _group_form(group, description="Hijacked")).status_code == 404
    group.refresh_from_db()
    assert group.description == ""
    page = client.get(reverse("manage:directory_group_changelist")).content.decode()
    assert "Sunrise Serenity" not in page


def test_organizers_do_not_add_groups_in_manage(client, world):
    client.force_login(world["owner"])
    assert client.get(reverse("manage:directory_group_add")).status_code == 403


# Locations and the shared-location rule -------------------------------------------


def test_an_organizer_edits_a_place_only_their_meetings_use_in_place(client, world):
    location = world["mine"].location
    client.force_login(world["owner"])
    url = reverse("manage:directory_location_change", args=[location.pk])
    response = client.post(url, _location_form(location, directions="Back door"))
    assert response.status_code == 302
    location.refresh_from_db()
    assert location.directions == "Back door"
    assert Location.objects.count() == 2


def test_an_organizers_change_to_a_shared_place_becomes_their_own_copy(client, world):
    shared = world["mine"].location
    neighbour = make_meeting(group=world["theirs"], location=shared, day=3)
    client.force_login(world["owner"])
    url = reverse("manage:directory_location_change", args=[shared.pk])
    page = client.get(url).content.decode()
    assert "Other groups' meetings also use this place" in page
    response = client.post(url, _location_form(shared, address="200 New St"), follow=True)
    assert "saved as a new place" in response.content.decode()

    shared.refresh_from_db()
    neighbour.refresh_from_db()
    world["mine"].refresh_from_db()
    assert shared.address == "519 Oak Grove St"
    assert neighbour.location == shared
    copy = world["mine"].location
    assert copy.pk != shared.pk and copy.address == "200 New St"
    assert copy.history.first().history_user == world["owner"]


def test_staff_change_a_shared_place_in_place(client, world):
    shared = world["mine"].location
    make_meeting(group=world["theirs"], location=shared, day=3)
    client.force_login(world["staff"])
    url = reverse("manage:directory_location_change", args=[shared.pk])
    client.post(url, _location_form(shared, address="200 New St"))
    shared.refresh_from_db()
    assert shared.address == "200 New St"
    assert Location.objects.count() == 2


def test_another_organizer_cannot_see_or_change_a_place(client, world):
    location = world["mine"].location
    client.force_login(world["stranger"])
    url = reverse("manage:directory_location_change", args=[location.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, _location_form(location, address="Elsewhere")).status_code == 404
    location.refresh_from_db()
    assert location.address == "519 Oak Grove St"


def test_a_place_an_organizer_adds_can_be_used_by_their_new_meeting(client, world):
    client.force_login(world["owner"])
    data = _location_form(world["mine"].location, name="New Hall", address="1 New St")
    assert client.post(reverse("manage:directory_location_add"), data).status_code == 302
    added = Location.objects.get(name="New Hall")
    meeting = meeting_form_data(world["mine"], day=6, location=added.pk)
    assert client.post(reverse("manage:meetings_meeting_add"), meeting).status_code == 302
    assert world["ours"].meetings.get(day=6).location == added


# Problem reports ------------------------------------------------------------------


def test_organizers_resolve_reports_on_their_meetings_only(client, world):
    mine = ProblemReport.objects.create(meeting=world["mine"], category="time")
    theirs = ProblemReport.objects.create(meeting=world["other"], category="time")
    client.force_login(world["owner"])
    changelist = reverse("manage:meetings_problemreport_changelist")
    page = client.get(changelist).content.decode()
    assert reverse("manage:meetings_problemreport_change", args=[mine.pk]) in page
    assert reverse("manage:meetings_problemreport_change", args=[theirs.pk]) not in page
    url = reverse("manage:meetings_problemreport_change", args=[theirs.pk])
    assert client.get(url).status_code == 404
    client.post(changelist, {"action": "resolve", "_selected_action": [mine.pk, theirs.pk]})
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.status == "resolved" and mine.resolved_by == world["owner"]
    assert theirs.status == "open"


def test_staff_dismiss_reports_in_admin(client, world):
    report = ProblemReport.objects.create(meeting=world["other"], category="other")
    client.force_login(make_user(is_staff=True, is_superuser=True))
    client.post(
        reverse("admin:meetings_problemreport_changelist"),
        {"action": "dismiss", "_selected_action": [report.pk]},
    )
    report.refresh_from_db()
    assert report.status == "dismissed"


# Anonymity -------------------------------------------------------------------------


def test_saving_public_text_with_a_full_name_warns_but_saves(client, world):
    meeting = world["mine"]
    client.force_login(world["owner"])
    url = reverse("manage:meetings_meeting_change", args=[meeting.pk])
    response = client.post(
        url, meeting_form_data(meeting, notes="Ask John Smith for the key"), follow=True
    )
    page = response.content.decode()
    assert "Notes: “John Smith” looks like a full name" in page
    meeting.refresh_from_db()
    assert meeting.notes == "Ask John Smith for the key"


def test_a_groups_contact_phone_is_exempt_from_the_warning(client, world):
    group = world["ours"]
    client.force_login(world["owner"])
    url = reverse("manage:directory_group_change", args=[group.pk])
    response = client.post(url, _group_form(group, phone="612-555-0134"), follow=True)
    assert "looks like a phone number" not in response.content.decode()
    response = client.post(url, _group_form(group, description="Call 612-555-0134"), follow=True)
    assert "Description: “612-555-0134” looks like a phone number" in response.content.decode()


def test_every_manage_page_loads_for_an_organizer_and_for_staff(client, world, spec_types):
    report = ProblemReport.objects.create(meeting=world["mine"], category="join")
    objects = {
        "meeting": world["mine"],
        "group": world["ours"],
        "location": world["mine"].location,
        "problemreport": report,
    }
    for person in ("owner", "staff"):
        client.force_login(world[person])
        for model, model_admin in organizer_site._registry.items():
            info = (model._meta.app_label, model._meta.model_name)
            url = reverse("manage:{}_{}_changelist".format(*info))
            assert client.get(url, {"q": "a"}).status_code == 200, (person, info)
            obj = objects[model._meta.model_name]
            change = reverse("manage:{}_{}_change".format(*info), args=[obj.pk])
            assert client.get(change).status_code == 200, (person, info)
            history = reverse("manage:{}_{}_history".format(*info), args=[obj.pk])
            assert client.get(history).status_code == 200, (person, info)
            if model_admin.has_add_permission(client.get(url).wsgi_request):
                add = reverse("manage:{}_{}_add".format(*info))
                assert client.get(add).status_code == 200, (person, info)


def test_a_meeting_follows_its_locations_new_time_zone():
    """Its start time is a local time there: a zone fixed on the place fixes the meeting."""
    from directory.services import location_update_for_organizer

    group = make_group()
    organizer = make_organizer(group)
    meeting = make_meeting(group=group)
    location = meeting.location
    location.timezone = "America/Denver"
    location_update_for_organizer(location=location, by=organizer)
    meeting.refresh_from_db()
    assert meeting.timezone == "America/Denver"
    assert meeting.history.first().history_change_reason == "Follows its location's time zone"
