"""Every change to groups, meetings and locations is recorded with who made it, shown in
both admins, and staff can revert it from /admin/; organizers see their own history (by
display name) but cannot revert."""

import datetime as dt

import pytest
from django.urls import reverse

from directory.models import Group
from directory.services import group_approve, group_listing_submit
from meetings.models import Meeting
from meetings.services import meeting_retire
from tests.conftest import make_fellowship, make_group, make_meeting, make_organizer, make_user

pytestmark = pytest.mark.django_db


def _form_data(form) -> dict:
    """What a browser would post back for ``form`` as rendered."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            value = ""
        elif isinstance(value, list | tuple):
            value = list(value)
        elif isinstance(value, dt.time):
            value = value.strftime("%H:%M")
        data[name] = value
    return data


def _change(client, meeting, **changes):
    url = reverse("admin:meetings_meeting_change", args=[meeting.pk])
    data = _form_data(client.get(url).context["adminform"].form)
    data.update(changes)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors


def test_staff_see_who_changed_what_and_revert_it(client, spec_types):
    meeting = make_meeting(types=["D"], notes="Side door")
    staff = make_user(is_staff=True, is_superuser=True, display_name="Robin")
    client.force_login(staff)
    _change(client, meeting, start_time="06:30", notes="Front door", types=[spec_types["W"].pk])
    meeting.refresh_from_db()
    assert meeting.start_time == dt.time(6, 30)

    latest = meeting.history.first()
    assert latest.history_user == staff and latest.history_type == "~"
    # The version just before staff's change (adding the types wrote a record too).
    original = meeting.history.exclude(history_user=staff).first()
    page = client.get(reverse("admin:meetings_meeting_history", args=[meeting.pk])).content
    assert b"Front door" in page and b"Side door" in page  # the change, field by field

    revert_url = reverse(
        "admin:meetings_meeting_simple_history", args=[meeting.pk, original.history_id]
    )
    response = client.get(revert_url)
    assert b"Revert" in response.content
    response = client.post(revert_url, _form_data(response.context["adminform"].form))
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.start_time == dt.time(19, 0)
    assert meeting.notes == "Side door"
    assert [t.code for t in meeting.types.all()] == ["D"]
    assert meeting.history.first().history_user == staff


def test_staff_revert_a_group_and_a_location_too(client):
    meeting = make_meeting()
    client.force_login(make_user(is_staff=True, is_superuser=True))
    location = meeting.location
    location.directions = "New directions"
    location.save()
    original = location.history.last()
    url = reverse(
        "admin:directory_location_simple_history", args=[location.pk, original.history_id]
    )
    response = client.get(url)
    assert client.post(url, _form_data(response.context["adminform"].form)).status_code == 302
    location.refresh_from_db()
    assert location.directions == ""

    group = meeting.group
    assert client.get(reverse("admin:directory_group_history", args=[group.pk])).status_code == 200


def test_services_name_the_person_and_the_reason(django_capture_on_commit_callbacks):
    organizer = make_user()
    staff = make_user(is_staff=True)
    group = group_listing_submit(
        by=organizer,
        group=Group(fellowship=make_fellowship(), name="Lakeside"),
        meeting=Meeting(
            day=1,
            start_time=dt.time(7),
            attendance="online",
            timezone="UTC",
            conference_url="https://example.org/join",
        ),
        location=None,
    )
    record = group.history.get()
    assert record.history_user == organizer and "organizer" in record.history_change_reason
    assert group.meetings.get().history.get().history_user == organizer

    group_approve(group=group, by=staff)
    record = group.history.first()
    assert (record.history_user, record.status) == (staff, "active")
    assert record.history_change_reason == "Approved by staff"

    meeting = group.meetings.get()
    meeting_retire(meeting=meeting, by=organizer)
    record = meeting.history.first()
    assert (record.history_user, record.status) == (organizer, "inactive")


def test_organizers_see_their_history_by_display_name_but_cannot_revert(client):
    meeting = make_meeting()
    owner = make_organizer(meeting.group, display_name="Sam")
    helper = make_organizer(meeting.group, display_name="Kim", email="kim.private@example.org")
    meeting.notes = "Changed by Kim"
    meeting._history_user = helper
    meeting.save()
    original = meeting.history.last()

    client.force_login(owner)
    page = client.get(reverse("manage:meetings_meeting_history", args=[meeting.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Kim" in text and "kim.private@example.org" not in text

    revert_url = reverse(
        "manage:meetings_meeting_simple_history", args=[meeting.pk, original.history_id]
    )
    assert b"Revert" not in client.get(revert_url).content
    assert client.post(revert_url, {"notes": ""}).status_code == 403
    meeting.refresh_from_db()
    assert meeting.notes == "Changed by Kim"


def test_another_organizer_sees_no_history_of_a_meeting(client):
    meeting = make_meeting()
    version = meeting.history.get()
    client.force_login(make_organizer(make_group()))
    assert (
        client.get(reverse("manage:meetings_meeting_history", args=[meeting.pk])).status_code == 404
    )
    url = reverse("manage:meetings_meeting_simple_history", args=[meeting.pk, version.history_id])
    assert client.get(url).status_code == 404
