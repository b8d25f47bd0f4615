"""Every admin page loads for a superuser, with data present."""

import pytest
from django.contrib import admin
from django.urls import reverse

from directory.models import OrganizerRequest
from meetings.models import MeetingMatch, ProblemReport, Source, SyncAttempt
from tests.conftest import make_meeting, make_place, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    user = make_user(email="steward@example.org", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def _registered():
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in {"accounts", "directory", "meetings"}
    ]


def test_every_admin_list_add_and_change_page_loads(superuser_client, spec_types):
    meeting = make_meeting(types=["W", "D"])
    make_place()
    objects = {
        "meeting": meeting,
        "group": meeting.group,
        "location": meeting.location,
        "fellowship": meeting.group.fellowship,
        "meetingtype": spec_types["W"],
        "problemreport": ProblemReport.objects.create(meeting=meeting, category="gone"),
        "organizerrequest": OrganizerRequest.objects.create(
            user=make_user(), group=meeting.group, message="I chair it."
        ),
        "meetingmatch": MeetingMatch.objects.create(
            first=meeting,
            second=make_meeting(group=meeting.group, location=meeting.location),
            status=MeetingMatch.Status.MATCHED,
            reasons={"minutes_apart": 0, "same_address": True},
        ),
    }
    objects["source"] = Source.objects.create(
        name="Intergroup", url="/srv/feed.json", format="csv", fellowship=objects["fellowship"]
    )
    objects["syncattempt"] = SyncAttempt.objects.create(
        source=objects["source"], outcome="failed", error_kind="http", message="HTTP 500"
    )
    for model, model_admin in _registered():
        info = (model._meta.app_label, model._meta.model_name)
        response = superuser_client.get(reverse("admin:{}_{}_changelist".format(*info)))
        assert response.status_code == 200, info
        response = superuser_client.get(reverse("admin:{}_{}_changelist".format(*info)), {"q": "a"})
        assert response.status_code == 200, info
        if model_admin.has_add_permission(response.wsgi_request):
            assert superuser_client.get(reverse("admin:{}_{}_add".format(*info))).status_code == 200
        obj = objects.get(model._meta.model_name) or model.objects.first()
        response = superuser_client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
        assert response.status_code == 200, info


def test_the_admin_adds_a_meeting_and_fills_its_defaults(superuser_client, spec_types):
    existing = make_meeting()
    response = superuser_client.post(
        reverse("admin:meetings_meeting_add"),
        {
            "group": existing.group.pk,
            "name": "",
            "slug": "",
            "status": "active",
            "day": 3,
            "start_time": "18:30",
            "end_time": "",
            "timezone": "",
            "attendance": "in_person",
            "location": existing.location.pk,
            "access": "closed",
            "types": [spec_types["W"].pk],
            "notes": "",
            "conference_url": "",
            "conference_url_notes": "",
            "conference_phone": "",
            "conference_phone_notes": "",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    from meetings.models import Meeting

    added = Meeting.objects.exclude(pk=existing.pk).get()
    assert added.name == existing.group.name
    assert added.end_time.hour == 19 and added.end_time.minute == 30
    assert added.timezone == "America/Chicago"
    assert added.slug.endswith("-wed")


def test_the_admin_refuses_an_online_meeting_without_a_join_link(superuser_client):
    existing = make_meeting()
    response = superuser_client.post(
        reverse("admin:meetings_meeting_add"),
        {
            "group": existing.group.pk,
            "status": "active",
            "day": 3,
            "start_time": "18:30",
            "attendance": "online",
            "timezone": "America/Chicago",
            "access": "open",
        },
    )
    assert response.status_code == 200
    assert "needs a join link" in response.content.decode()


def test_the_admin_user_pages_work_without_usernames(superuser_client):
    response = superuser_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "new.organizer@example.org",
            "password1": "a-long-Passphrase-42",
            "password2": "a-long-Passphrase-42",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    from accounts.models import User

    assert User.objects.filter(email="new.organizer@example.org").exists()


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("admin:meetings_meeting_changelist"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]
