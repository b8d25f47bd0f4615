"""Accounts and organizers on the site: sign up with a verified email, sign in and out,
"My listings" with one-click confirmation, asking to manage a group (and staff's answer),
and listing a new group for review."""

import datetime as dt
import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from directory.models import Group, Location, OrganizerRequest
from directory.services import organizer_request_approve, organizer_request_decline
from meetings.models import Meeting, ProblemReport
from tests.conftest import (
    make_group,
    make_location,
    make_meeting,
    make_organizer,
    make_place,
    make_user,
)

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-Passphrase-42"


def _verified(user):
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def _login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


# Signing up, in and out --------------------------------------------------------------


def test_sign_up_verify_the_email_then_sign_in(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "Sam@Example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    (message,) = mail.outbox
    assert message.to == ["sam@example.org"]
    assert message.subject.startswith("[RecoveryMap] ")

    # Not verified yet: signing in sends the person back to verify.
    client.logout()
    response = client.post(
        reverse("account_login"), {"login": "sam@example.org", "password": PASSWORD}
    )
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session

    link = re.search(r"https?://testserver(/accounts/confirm-email/[^\s]+/)", message.body).group(1)
    assert client.get(link).status_code == 200
    assert client.post(link).status_code == 302
    assert EmailAddress.objects.get(email="sam@example.org").verified

    response = client.post(
        reverse("account_login"), {"login": "SAM@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:my-listings")
    assert client.get(reverse("accounts:my-listings")).status_code == 200


def test_a_password_reset_is_emailed(client):
    _verified(make_user(email="kim@example.org"))
    response = client.post(reverse("account_reset_password"), {"email": "kim@example.org"})
    assert response.status_code == 302
    (message,) = mail.outbox
    assert "/accounts/password/reset/key/" in message.body


def test_sign_out_is_a_post_from_the_header(client):
    user = make_user()
    client.force_login(user)
    page = client.get("/").content.decode()
    assert "My listings" in page and "Sign out" in page and "Sign in" not in page
    assert f'action="{reverse("account_logout")}"' in page
    client.post(reverse("account_logout"))
    page = client.get("/").content.decode()
    assert "Sign in" in page and "My listings" not in page


def test_account_pages_use_the_sites_layout(client):
    page = client.get(reverse("account_login")).content.decode()
    assert 'class="brand"' in page and "css/site.css" in page
    assert 'name="viewport"' in page
    assert 'name="login"' in page and 'type="password"' in page
    assert "Sign In" in page


def test_sign_in_is_rate_limited(client):
    user = make_user(email="lee@example.org")
    user.set_password(PASSWORD)
    user.save()
    _verified(user)
    for _ in range(5):
        client.post(reverse("account_login"), {"login": "lee@example.org", "password": "wrong"})
    # Even the right password is refused for a while after repeated failures.
    response = client.post(
        reverse("account_login"), {"login": "lee@example.org", "password": PASSWORD}
    )
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


# My listings ---------------------------------------------------------------------------


def test_my_listings_shows_the_persons_groups_meetings_and_open_reports(client):
    mine = make_group(name="Sunrise Serenity")
    meeting = make_meeting(group=mine, last_confirmed=timezone.now() - dt.timedelta(days=3))
    ProblemReport.objects.create(meeting=meeting, category="time", message="Starts at 7:30")
    theirs = make_meeting(group=make_group(name="Someone Else's Group"))
    ProblemReport.objects.create(meeting=theirs, category="gone")
    client.force_login(make_organizer(mine))

    page = client.get(reverse("accounts:my-listings")).content.decode()
    assert "Sunrise Serenity" in page
    assert "Confirmed by the organizer 3 days ago" in page
    assert "Starts at 7:30" in page
    assert reverse("accounts:meeting-confirm", args=[meeting.slug]) in page
    assert reverse("manage:meetings_meeting_change", args=[meeting.pk]) in page
    assert "Someone Else" not in page


def test_my_listings_needs_sign_in(client):
    assert _login_redirect(client.get(reverse("accounts:my-listings")))


def test_still_accurate_stamps_one_meeting_for_its_organizer(client):
    meeting = make_meeting()
    client.force_login(make_organizer(meeting.group))
    response = client.post(reverse("accounts:meeting-confirm", args=[meeting.slug]))
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert timezone.now() - meeting.last_confirmed < dt.timedelta(minutes=1)


def test_still_accurate_on_a_group_stamps_its_current_meetings(client):
    group = make_group()
    current = [make_meeting(group=group), make_meeting(group=group, day=3)]
    retired = make_meeting(group=group, status="inactive")
    client.force_login(make_organizer(group))
    client.post(reverse("accounts:group-confirm", args=[group.slug]))
    for meeting in current:
        meeting.refresh_from_db()
        assert meeting.last_confirmed is not None
    retired.refresh_from_db()
    assert retired.last_confirmed is None


@pytest.mark.parametrize("route", ["accounts:meeting-confirm", "accounts:group-confirm"])
def test_still_accurate_is_refused_to_others(client, route):
    meeting = make_meeting()
    target = meeting.slug if route == "accounts:meeting-confirm" else meeting.group.slug
    url = reverse(route, args=[target])

    client.force_login(make_organizer(make_group()))  # organizes another group
    assert client.post(url).status_code == 404
    client.logout()
    assert _login_redirect(client.post(url))
    meeting.refresh_from_db()
    assert meeting.last_confirmed is None

    client.force_login(make_user(is_staff=True))
    assert client.get(url).status_code == 405  # a GET never changes anything
    assert client.post(url).status_code == 302
    meeting.refresh_from_db()
    assert meeting.last_confirmed is not None


# Asking to manage a group ------------------------------------------------------------


def test_a_group_page_offers_to_manage_it(client):
    group = make_group()
    page = client.get(group.get_absolute_url()).content.decode()
    assert reverse("accounts:organizer-request", args=[group.slug]) in page


def test_asking_to_manage_a_group_needs_sign_in(client):
    group = make_group()
    assert _login_redirect(client.get(reverse("accounts:organizer-request", args=[group.slug])))
    assert not OrganizerRequest.objects.exists()


def test_asking_to_manage_a_group_creates_one_pending_request(client):
    group = make_group()
    user = make_user()
    client.force_login(user)
    url = reverse("accounts:organizer-request", args=[group.slug])
    assert client.get(url).status_code == 200
    response = client.post(url, {"message": "I'm the group's secretary."})
    assert response.status_code == 302
    request = OrganizerRequest.objects.get()
    assert (request.user, request.group, request.status) == (user, group, "pending")

    response = client.post(url, {"message": "Again"}, follow=True)
    assert "waiting for review" in response.content.decode()
    assert OrganizerRequest.objects.count() == 1


def test_staff_are_emailed_a_link_to_review_a_request(client, django_capture_on_commit_callbacks):
    group = make_group(name="Sunrise Serenity")
    make_user(email="staff@example.org", is_staff=True)
    make_user(email="gone@example.org", is_staff=True, is_active=False)
    person = make_user(email="sam@example.org")
    client.force_login(person)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:organizer-request", args=[group.slug]), {"message": "GSR"})
    (message,) = mail.outbox
    assert message.to == ["staff@example.org"]
    assert "Sunrise Serenity" in message.subject
    request = OrganizerRequest.objects.get()
    assert f"/admin/directory/organizerrequest/{request.pk}/change/" in message.body
    assert "GSR" in message.body
    assert "sam@example.org" not in message.body


def test_an_organizer_asking_again_is_told_they_already_manage_it(client):
    group = make_group()
    client.force_login(make_organizer(group))
    response = client.get(reverse("accounts:organizer-request", args=[group.slug]), follow=True)
    assert "You already manage" in response.content.decode()
    assert not OrganizerRequest.objects.exists()


def test_nobody_can_ask_to_manage_a_pending_group(client):
    group = make_group(status=Group.Status.PENDING)
    client.force_login(make_user())
    url = reverse("accounts:organizer-request", args=[group.slug])
    assert client.post(url, {"message": "Me"}).status_code == 404


def test_approving_a_request_makes_an_organizer_and_emails_them(
    django_capture_on_commit_callbacks,
):
    group = make_group(name="Sunrise Serenity")
    user = make_user(email="sam@example.org")
    request = OrganizerRequest.objects.create(user=user, group=group)
    staff = make_user(is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        organizer_request_approve(request=request, by=staff)
    request.refresh_from_db()
    assert request.status == "approved" and request.decided_by == staff
    assert group.organizers.filter(pk=user.pk).exists()
    (message,) = mail.outbox
    assert message.to == ["sam@example.org"]
    assert "Sunrise Serenity" in message.subject
    assert "/manage/" in message.body


def test_declining_a_request_emails_the_person_and_grants_nothing(
    django_capture_on_commit_callbacks,
):
    group = make_group()
    user = make_user(email="sam@example.org")
    request = OrganizerRequest.objects.create(user=user, group=group)
    with django_capture_on_commit_callbacks(execute=True):
        organizer_request_decline(request=request, by=make_user(is_staff=True), reason="Ask GSR")
    request.refresh_from_db()
    assert request.status == "declined"
    assert not group.organizers.exists()
    (message,) = mail.outbox
    assert message.to == ["sam@example.org"] and "Ask GSR" in message.body


def test_staff_decide_requests_with_admin_actions(client, django_capture_on_commit_callbacks):
    group = make_group()
    first = OrganizerRequest.objects.create(user=make_user(), group=group)
    second = OrganizerRequest.objects.create(user=make_user(), group=group)
    client.force_login(make_user(is_staff=True, is_superuser=True))
    url = reverse("admin:directory_organizerrequest_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "approve", "_selected_action": [first.pk]})
        client.post(url, {"action": "decline", "_selected_action": [second.pk]})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("approved", "declined")
    assert list(group.organizers.all()) == [first.user]
    assert len(mail.outbox) == 2


# Listing a new group -----------------------------------------------------------------


def _listing(fellowship, **overrides) -> dict:
    data = {
        "group-fellowship": fellowship.pk,
        "group-name": "Lakeside Serenity",
        "group-description": "A small, friendly group.",
        "meeting-name": "",
        "meeting-day": "2",
        "meeting-start_time": "18:30",
        "meeting-end_time": "",
        "meeting-access": "open",
        "meeting-attendance": "in_person",
        "meeting-timezone": "",
        "meeting-location_zip": "",
        "place-name": "Lakeside Church",
        "place-address": "100 Lake St",
        "place-city": "Minneapolis",
        "place-state": "MN",
        "place-postal_code": "55404",
    }
    data.update(overrides)
    return data


def test_listing_a_new_group_needs_sign_in(client):
    assert _login_redirect(client.get(reverse("accounts:group-new")))


def test_a_new_group_is_held_for_review_with_its_meeting_and_place(client):
    make_place(code="55404")
    fellowship = make_group().fellowship
    user = make_user()
    client.force_login(user)
    assert client.get(reverse("accounts:group-new")).status_code == 200
    response = client.post(reverse("accounts:group-new"), _listing(fellowship))
    assert response.status_code == 302, response.context["listing"].meeting.errors

    group = Group.objects.get(name="Lakeside Serenity")
    assert group.status == Group.Status.PENDING
    assert list(group.organizers.all()) == [user]
    meeting = group.meetings.get()
    assert (meeting.day, meeting.start_time, meeting.timezone) == (
        2,
        dt.time(18, 30),
        "America/Chicago",
    )
    assert meeting.location.name == "Lakeside Church"
    assert meeting.location.needs_geocoding
    assert group.history.get().history_user == user
    # The organizer can already work on it in /manage/, though the public cannot see it.
    assert client.get(reverse("manage:directory_group_change", args=[group.pk])).status_code == 200
    assert client.get(group.get_absolute_url()).status_code == 404


def test_staff_are_emailed_about_a_new_group_to_review(client, django_capture_on_commit_callbacks):
    make_place(code="55404")
    fellowship = make_group().fellowship
    make_user(email="staff@example.org", is_staff=True)
    client.force_login(make_user(email="sam@example.org"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:group-new"), _listing(fellowship))
    (message,) = mail.outbox
    group = Group.objects.get(name="Lakeside Serenity")
    assert message.to == ["staff@example.org"] and "Lakeside Serenity" in message.subject
    assert f"/admin/directory/group/{group.pk}/change/" in message.body


def test_a_new_group_can_meet_at_a_place_already_listed(client):
    existing = make_meeting(location=make_location(postal_code="55403")).location
    fellowship = make_group().fellowship
    client.force_login(make_user())
    page = client.get(reverse("accounts:group-new"), {"zip": "55403"}).content.decode()
    assert f'value="{existing.pk}"' in page
    data = _listing(
        fellowship,
        **{"meeting-location_zip": "55403", "meeting-location": existing.pk, "place-address": ""},
    )
    response = client.post(reverse("accounts:group-new"), data)
    assert response.status_code == 302
    assert Group.objects.get(name="Lakeside Serenity").meetings.get().location == existing
    assert Location.objects.count() == 1


def test_a_new_online_group_needs_a_join_link_and_the_town_it_is_based_in(client):
    make_place(code="55404")
    fellowship = make_group().fellowship
    client.force_login(make_user())
    online = {"meeting-attendance": "online", "place-address": "", "place-city": ""}
    response = client.post(reverse("accounts:group-new"), _listing(fellowship, **online))
    assert response.status_code == 200
    errors = response.context["listing"].meeting.errors
    assert "conference_url" in errors and "based_in" in errors
    assert not response.context["listing"].place.errors  # no address asked for online

    online |= {"meeting-conference_url": "https://zoom.us/j/1", "meeting-based_in": "Atlantis"}
    response = client.post(reverse("accounts:group-new"), _listing(fellowship, **online))
    assert "know that place" in response.context["listing"].meeting.errors["based_in"][0]

    online |= {"meeting-based_in": "minneapolis, mn", "meeting-timezone": "America/Denver"}
    response = client.post(reverse("accounts:group-new"), _listing(fellowship, **online))
    assert response.status_code == 302
    meeting = Meeting.objects.get(group__name="Lakeside Serenity")
    assert meeting.timezone == "America/Denver"  # the organizer's choice
    town = meeting.location
    assert (town.city, town.state, town.postal_code, town.address) == (
        "Minneapolis",
        "MN",
        "55404",
        "",
    )
    assert town.approximate and town.timezone == "America/Chicago"


def test_a_new_online_groups_zone_comes_from_its_town(client):
    make_place(code="55404")
    fellowship = make_group().fellowship
    client.force_login(make_user())
    online = {
        "meeting-attendance": "online",
        "meeting-conference_url": "https://zoom.us/j/1",
        "meeting-based_in": "55404",
    }
    response = client.post(reverse("accounts:group-new"), _listing(fellowship, **online))
    assert response.status_code == 302
    meeting = Meeting.objects.get(group__name="Lakeside Serenity")
    assert meeting.timezone == "America/Chicago"
    assert meeting.location.approximate


def test_an_incomplete_new_group_saves_nothing(client):
    fellowship = make_group().fellowship
    client.force_login(make_user())
    data = _listing(fellowship, **{"place-address": "", "meeting-start_time": "soon"})
    response = client.post(reverse("accounts:group-new"), data)
    assert response.status_code == 200
    listing = response.context["listing"]
    assert "start_time" in listing.meeting.errors and "address" in listing.place.errors
    assert not Group.objects.filter(name="Lakeside Serenity").exists()


def test_a_new_group_warns_about_names_in_public_text(client):
    make_place(code="55404")
    fellowship = make_group().fellowship
    client.force_login(make_user())
    data = _listing(
        fellowship,
        **{"group-description": "Ask for John Smith", "group-phone": "612-555-0134"},
    )
    response = client.post(reverse("accounts:group-new"), data, follow=True)
    page = response.content.decode()
    assert "“John Smith” looks like a full name" in page
    assert "looks like a phone number" not in page  # the contact phone is exempt
    assert Group.objects.filter(name="Lakeside Serenity").exists()  # a warning, not a block


def test_staff_approve_a_pending_group_and_its_organizers_are_emailed(
    client, django_capture_on_commit_callbacks
):
    group = make_group(status=Group.Status.PENDING)
    make_organizer(group, email="sam@example.org")
    client.force_login(make_user(is_staff=True, is_superuser=True))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:directory_group_changelist"),
            {"action": "approve_groups", "_selected_action": [group.pk]},
        )
    group.refresh_from_db()
    assert group.status == Group.Status.ACTIVE
    (message,) = mail.outbox
    assert message.to == ["sam@example.org"]
    assert client.get(group.get_absolute_url()).status_code == 200


# Email configuration ------------------------------------------------------------------


def test_smtp_is_configured_from_one_url():
    from django.core.exceptions import ImproperlyConfigured

    from recoverymap.lib.env import email_from_url

    assert email_from_url("") == {}
    tls = email_from_url("smtp+tls://mailer:s%40cret@smtp.example.org")
    assert tls == {
        "HOST": "smtp.example.org",
        "PORT": 587,
        "HOST_USER": "mailer",
        "HOST_PASSWORD": "s@cret",
        "USE_TLS": True,
        "USE_SSL": False,
    }
    ssl = email_from_url("smtps://smtp.example.org:2465")
    assert (ssl["PORT"], ssl["USE_SSL"], ssl["USE_TLS"]) == (2465, True, False)
    for bad in ("http://smtp.example.org", "smtp://", "smtp://host:port"):
        with pytest.raises(ImproperlyConfigured, match="EMAIL_URL") as error:
            email_from_url(bad)
        assert "secret" not in str(error.value)
