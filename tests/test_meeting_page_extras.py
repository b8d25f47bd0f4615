"""The meeting page's Share link, the video service on the join button, first-timer
tips for every fellowship, no "Where: USA", and a favicon."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils.html import escape

from directory.models import Fellowship, FellowshipTranslation
from tests.conftest import make_fellowship, make_group, make_location, make_meeting

pytestmark = pytest.mark.django_db


def _page(client, meeting) -> str:
    response = client.get(meeting.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("url", "button"),
    [
        ("https://us02web.zoom.us/j/812345678?pwd=x", "Join on Zoom"),
        ("https://meet.google.com/abc-defg-hij", "Join on Google Meet"),
        ("https://teams.microsoft.com/l/meetup-join/1", "Join on Microsoft Teams"),
        ("https://acme.webex.com/meet/x", "Join on Webex"),
        ("https://meet.example.org/room", "Join online"),
        ("https://notzoom.us.example.com/j/1", "Join online"),
    ],
)
def test_the_join_button_names_the_video_service(client, url, button):
    meeting = make_meeting(attendance="online", conference_url=url, location=None)
    page = _page(client, meeting)
    assert f">{button}</a>" in page


def test_share_is_a_plain_link_to_the_page_that_javascript_improves(client):
    meeting = make_meeting()
    page = _page(client, meeting)
    assert (
        f'href="http://testserver{meeting.get_absolute_url()}" data-share '
        f'data-share-title="{meeting.display_name}"'
    ) in page
    assert ">Share</a>" in page


def test_every_fellowship_has_first_timer_tips_shown_on_its_meetings(client):
    call_command("loaddata", "fellowships", verbosity=0)
    for fellowship in Fellowship.objects.all():
        assert len(fellowship.first_timer_tip_list) >= 3, fellowship.slug
    aa = Fellowship.objects.get(slug="aa")
    page = _page(client, make_meeting(group=make_group(fellowship=aa)))
    assert "If it is your first time" in page
    for tip in aa.first_timer_tip_list:
        assert f"<li>{escape(tip)}</li>" in page


def test_a_fellowship_without_tips_of_its_own_gets_general_ones(client):
    meeting = make_meeting(group=make_group(fellowship=make_fellowship(first_timer_tips="")))
    assert "You don&#x27;t have to speak" in _page(client, meeting)


def test_no_address_block_or_directions_without_an_address(client):
    nowhere = make_location(
        name="", address="", city="", state="", postal_code="", latitude=None, longitude=None
    )
    meeting = make_meeting(attendance="hybrid", conference_url="https://zoom.us/j/1")
    meeting.location = nowhere
    meeting.save()
    page = _page(client, meeting)
    assert "USA" not in page
    assert "Directions in Google Maps" not in page
    assert 'id="where-heading"' not in page


def test_an_area_without_a_street_gets_no_directions(client):
    area = make_location(name="", address="", approximate=True)
    meeting = make_meeting(attendance="online", conference_url="https://zoom.us/j/1")
    meeting.attendance = "hybrid"
    meeting.location = area
    meeting.save()
    page = _page(client, meeting)
    assert "Minneapolis, MN 55403" in page
    assert "Directions in Google Maps" not in page


def test_pages_have_a_favicon(client):
    meeting = make_meeting()
    assert 'rel="icon" href="/static/favicon.svg"' in _page(client, meeting)
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/favicon.svg"
    assert client.get(reverse("directory:home")).status_code == 200


def test_first_timer_tips_show_in_spanish_and_fall_back_to_english(client):
    translated = make_fellowship(first_timer_tips="You need not speak.")
    FellowshipTranslation.objects.create(
        fellowship=translated, language="es", first_timer_tips="No hace falta hablar."
    )
    english_only = make_fellowship(first_timer_tips="Arrive a little early.")
    first = make_meeting(group=make_group(fellowship=translated)).get_absolute_url()
    second = make_meeting(group=make_group(fellowship=english_only)).get_absolute_url()
    assert "<li>You need not speak.</li>" in client.get(first).content.decode()
    spanish = client.get(f"/es{first}").content.decode()
    assert "<li>No hace falta hablar.</li>" in spanish
    assert "<li>Arrive a little early.</li>" in client.get(f"/es{second}").content.decode()
