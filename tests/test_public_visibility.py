"""Pending groups (listed by an organizer, not yet approved by staff) and their meetings
are invisible on every public surface, and appear on all of them once approved."""

import pytest
from django.urls import reverse

from directory.models import Group
from directory.services import group_approve
from tests.conftest import make_group, make_meeting, make_place, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(db):
    make_place()  # 55404, where make_meeting's location is
    group = make_group(name="Hidden Harbor Group", status=Group.Status.PENDING)
    online = make_meeting(
        group=group,
        name="Hidden Online",
        attendance="online",
        conference_url="https://example.org/join",
    )
    return group, make_meeting(group=group, name="Hidden In Person"), online


def _surfaces(client, group, meeting, online) -> dict[str, str | int]:
    """What each public page shows: its text, or its status code when not a 200."""
    fellowship = group.fellowship
    urls = {
        "group page": group.get_absolute_url(),
        "meeting page": meeting.get_absolute_url(),
        "calendar file": reverse("meetings:meeting-ics", args=[meeting.slug]),
        "report form": reverse("meetings:meeting-report", args=[meeting.slug]),
        "search near": reverse("meetings:meeting-list") + "?near=55404",
        "search online": reverse("meetings:meeting-list") + "?attendance=online",
        "search by name": reverse("meetings:meeting-list") + "?near=55404&q=Harbor",
        "fellowship page": fellowship.get_absolute_url(),
        "json feed": reverse("meetings:meeting-feed"),
        "search calendar": reverse("meetings:search-calendar"),
    }
    seen = {}
    for name, url in urls.items():
        response = client.get(url)
        if response.status_code != 200:
            seen[name] = response.status_code
        elif response.streaming:
            seen[name] = b"".join(response.streaming_content).decode()
        else:
            seen[name] = response.content.decode()
    return seen


def test_a_pending_group_and_its_meetings_are_invisible_until_approved(client, pending):
    group, meeting, online = pending
    seen = _surfaces(client, group, meeting, online)
    for name in ("group page", "meeting page", "calendar file", "report form"):
        assert seen[name] == 404, name
    # Every other surface is a page that answered (a 500 would hide nothing) ...
    listing_pages = set(seen) - {"group page", "meeting page", "calendar file", "report form"}
    for name in listing_pages:
        assert isinstance(seen[name], str), (name, seen[name])
    # ... and a page of the right kind, not an empty or error body.
    assert "Search" in seen["search near"] and seen["json feed"].startswith("[")
    assert "BEGIN:VCALENDAR" in seen["search calendar"]
    for name in listing_pages:
        text = seen[name]
        for hidden in ("Hidden In Person", "Hidden Online", "Hidden Harbor Group"):
            assert hidden not in text, name
        assert meeting.slug not in text and online.slug not in text, name
    fellowship = group.fellowship.name
    assert f"0 {fellowship} meetings are listed" in seen["fellowship page"]

    group_approve(group=group, by=make_user(is_staff=True))
    seen = _surfaces(client, group, meeting, online)
    for name in ("group page", "meeting page", "report form", "search near", "search by name"):
        assert isinstance(seen[name], str), name
    assert "Hidden In Person" in seen["search near"]
    assert "Hidden Harbor Group" in seen["group page"]
    assert f"2 {fellowship} meetings are listed" in seen["fellowship page"]
    assert meeting.slug in seen["json feed"] and online.slug in seen["json feed"]
    assert "Hidden Online" in seen["search calendar"]
