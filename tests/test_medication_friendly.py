"""Medication-friendly meetings: organizers say so, people filter for it, feeds keep it
out of the Meeting Guide types (it is not a code of the spec)."""

import json

import pytest
from django.urls import reverse

from tests.conftest import make_meeting, make_place, meeting_form_data, two_groups_world

pytestmark = pytest.mark.django_db


def _names(response):
    return sorted(row.meeting.display_name for row in response.context["rows"])


def test_people_can_filter_for_meetings_that_welcome_medication(client):
    make_place()
    make_meeting(name="Welcoming", medication_friendly=True)
    make_meeting(name="Not said")
    url = reverse("meetings:meeting-list")
    assert _names(client.get(url, {"near": "55404"})) == ["Not said", "Welcoming"]
    response = client.get(url, {"near": "55404", "medication": "welcome"})
    assert _names(response) == ["Welcoming"]
    assert 'name="medication" value="welcome" checked' in response.content.decode()


def test_a_bad_medication_value_is_a_form_error_not_a_500(client):
    make_place()
    response = client.get(reverse("meetings:meeting-list"), {"near": "55404", "medication": "x"})
    assert response.status_code == 200
    assert response.context["filter"].form.errors["medication"]


def test_the_meeting_page_says_it_in_plain_words(client):
    welcoming = make_meeting(medication_friendly=True)
    silent = make_meeting()
    assert "buprenorphine or methadone" in client.get(welcoming.get_absolute_url()).content.decode()
    assert "buprenorphine" not in client.get(silent.get_absolute_url()).content.decode()


def test_an_organizer_marks_their_meeting_and_no_one_elses(client):
    world = two_groups_world()
    mine, other = world["mine"], world["other"]
    client.force_login(world["owner"])
    url = reverse("manage:meetings_meeting_change", args=[mine.pk])
    response = client.post(url, meeting_form_data(mine, medication_friendly="on"))
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.medication_friendly
    theirs = reverse("manage:meetings_meeting_change", args=[other.pk])
    response = client.post(theirs, meeting_form_data(other, medication_friendly="on"))
    assert response.status_code == 404
    other.refresh_from_db()
    assert not other.medication_friendly


def test_the_feed_filters_by_it_but_never_lists_it_as_a_type(client):
    make_meeting(name="Welcoming", medication_friendly=True)
    make_meeting(name="Not said")
    response = client.get(reverse("meetings:meeting-feed"), {"medication": "welcome"})
    rows = json.loads(b"".join(response.streaming_content))
    assert [row["name"] for row in rows] == ["Welcoming"]
    assert all("medication" not in " ".join(row["types"]).lower() for row in rows)
    assert not any(key.startswith("medication") for key in rows[0])
