"""Organizers' forms: times as people type them, an end that is not after the start,
Save within reach, and plain-text email subjects."""

import datetime as dt
import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from directory.services import group_approve
from meetings.forms import parse_clock
from tests.conftest import (
    make_group,
    make_organizer,
    make_place,
    make_user,
    meeting_form_data,
    two_groups_world,
)
from tests.test_accounts import _listing

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return two_groups_world()


def _save(client, meeting, **changes):
    url = reverse("manage:meetings_meeting_change", args=[meeting.pk])
    return client.post(url, meeting_form_data(meeting, **changes), follow=True)


@pytest.mark.parametrize(
    ("typed", "start"),
    [("6:30 PM", dt.time(18, 30)), ("6:30pm", dt.time(18, 30)), ("18:30", dt.time(18, 30))],
)
def test_an_organizer_types_the_time_as_people_write_it(client, world, typed, start):
    meeting = world["mine"]
    client.force_login(world["owner"])
    response = _save(client, meeting, start_time=typed, end_time="7:30 pm")
    assert response.redirect_chain, response.context["adminform"].form.errors
    meeting.refresh_from_db()
    assert (meeting.start_time, meeting.end_time) == (start, dt.time(19, 30))


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("12:00 am", dt.time(0, 0)),
        ("12 pm", dt.time(12, 0)),
        ("6 p.m.", dt.time(18, 0)),
        ("7:05:00", dt.time(7, 5)),
        ("13 pm", None),
        ("24:00", None),
        ("6:75", None),
        ("soon", None),
        ("", None),
    ],
)
def test_times_that_are_not_a_time_of_day_are_refused(typed, expected):
    assert parse_clock(typed) == expected


def test_a_time_that_is_not_one_is_a_clear_error(client, world):
    meeting = world["mine"]
    client.force_login(world["owner"])
    response = _save(client, meeting, start_time="half past six")
    assert not response.redirect_chain
    assert "Enter a time such as 6:30 PM or 18:30." in response.content.decode()


def test_moving_only_the_start_past_the_end_is_refused_with_a_clear_message(client, world):
    meeting = world["mine"]  # 7:00 PM to 8:00 PM
    client.force_login(world["owner"])
    response = _save(client, meeting, start_time="8:30 PM")
    assert not response.redirect_chain
    assert "The meeting ends before it starts." in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.start_time == dt.time(19, 0)
    response = _save(client, meeting, start_time="8:00 PM")
    assert "The meeting ends when it starts." in response.content.decode()


def test_a_meeting_that_runs_past_midnight_is_saved_and_said_so(client, world):
    meeting = world["mine"]
    client.force_login(world["owner"])
    response = _save(client, meeting, start_time="11:00 PM", end_time="12:30 AM")
    assert response.redirect_chain
    assert "runs past midnight: it ends at 12:30 AM the next day" in response.content.decode()
    meeting.refresh_from_db()
    assert (meeting.start_time, meeting.end_time) == (dt.time(23), dt.time(0, 30))


def test_save_is_at_the_top_and_the_bottom_of_the_meeting_form(client, world):
    client.force_login(world["owner"])
    url = reverse("manage:meetings_meeting_change", args=[world["mine"].pk])
    assert client.get(url).content.decode().count('name="_save"') == 2


def test_a_new_groups_meeting_takes_12_hour_times_and_refuses_an_early_end(client):
    make_place(code="55404")
    fellowship = make_group().fellowship
    client.force_login(make_user())
    url = reverse("accounts:group-new")
    wrong = _listing(fellowship, **{"meeting-start_time": "7 PM", "meeting-end_time": "6:30 PM"})
    response = client.post(url, wrong)
    assert response.status_code == 200
    assert "The meeting ends before it starts." in response.content.decode()
    right = _listing(fellowship, **{"meeting-start_time": "7 PM", "meeting-end_time": "8:15pm"})
    assert client.post(url, right).status_code == 302
    assert fellowship.groups.get(name="Lakeside Serenity").meetings.get().end_time == dt.time(
        20, 15
    )


def test_email_subjects_are_plain_text(django_capture_on_commit_callbacks):
    group = make_group(name='Bob\'s "Early" Group & Friends', status="pending")
    make_organizer(group, email="sam@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        group_approve(group=group, by=make_user(is_staff=True))
    (message,) = mail.outbox
    assert message.subject == '[RecoveryMap] Bob\'s "Early" Group & Friends is now listed'
    assert "&#x27;" not in message.body and "&amp;" not in message.body


PASSWORD = "correct horse battery staple 9"


def test_the_sign_in_link_remembers_the_page_the_person_is_on(client):
    group = make_group(name="Sunrise Serenity")
    page = client.get(group.get_absolute_url()).content.decode()
    assert f'href="/accounts/login/?next={group.get_absolute_url().replace("/", "%2F")}"' in page


def test_signing_up_and_confirming_returns_the_person_where_they_were_going(client):
    going_to = reverse("accounts:group-new")
    login = client.get(reverse("account_login"), {"next": going_to}).content.decode()
    assert f"/accounts/signup/?next={going_to.replace('/', '%2F')}" in login
    client.post(
        f"{reverse('account_signup')}?next={going_to}",
        {"email": "sam@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    (message,) = mail.outbox
    link = re.search(r"https?://testserver(/accounts/confirm-email/\S+/)", message.body)[1]
    response = client.post(link)
    assert response["Location"] == going_to
    assert client.get(going_to).status_code == 200


def test_signing_in_returns_the_person_where_they_were_going(client):
    user = make_user(email="kim@example.org")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    going_to = reverse("accounts:group-new")
    response = client.post(
        f"{reverse('account_login')}?next={going_to}",
        {"login": "kim@example.org", "password": "correct horse battery"},
    )
    assert response["Location"] == going_to


def test_the_meeting_form_folds_what_a_phone_rarely_needs(client, world):
    client.force_login(world["owner"])
    in_person = world["mine"]
    page = client.get(reverse("manage:meetings_meeting_change", args=[in_person.pk]))
    html = page.content.decode()
    assert 'value="07:00 PM"' in html and 'value="08:00 PM"' in html
    assert re.search(r"<details[^>]*>\s*<summary[^>]*>\s*<h2[^>]*>\s*Online", html)
    assert re.search(r"<details[^>]*>\s*<summary[^>]*>\s*<h2[^>]*>\s*Freshness", html)
    in_person.attendance = "hybrid"
    in_person.conference_url = "https://zoom.us/j/1"
    in_person.save()
    html = client.get(reverse("manage:meetings_meeting_change", args=[in_person.pk])).content
    assert not re.search(r"<details[^>]*>\s*<summary[^>]*>\s*<h2[^>]*>\s*Online", html.decode())
