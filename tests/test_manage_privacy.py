"""Privacy in /manage/: every history and log view an organizer can open names people
by display name (or as "staff", "another organizer"), never by email address."""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.urls import reverse

from accounts.admin import organizer_site
from directory.models import Group, Location
from meetings.models import Meeting, ProblemReport
from tests.conftest import make_organizer, make_user, two_groups_world

pytestmark = pytest.mark.django_db

STAFF_EMAIL = "steward.private@example.org"
CO_ORGANIZER_EMAIL = "co.organizer.private@example.org"


@pytest.fixture
def world(db):
    cast = two_groups_world()
    cast["co"] = make_organizer(cast["ours"], email=CO_ORGANIZER_EMAIL)  # no display name
    cast["steward"] = make_user(email=STAFF_EMAIL, is_staff=True)
    cast["report"] = ProblemReport.objects.create(
        meeting=cast["mine"], category="gone", message="Is it still there?"
    )
    return cast


def _in_scope(world) -> dict:
    """One object of each model in /manage/ that the owner may open."""
    return {
        Group: world["ours"],
        Meeting: world["mine"],
        Location: world["mine"].location,
        ProblemReport: world["report"],
    }


def _changed_by_others(obj, world) -> None:
    """A change by the co-organizer and one by staff, in the versioned history (when the
    model has one) and in the admin's log."""
    for person in (world["co"], world["steward"]):
        if hasattr(type(obj), "history"):
            obj._history_user = person
            obj.save()
        LogEntry.objects.log_actions(
            user_id=person.pk, queryset=[obj], action_flag=CHANGE, change_message="Changed."
        )


def test_every_model_in_manage_is_covered(world):
    assert set(organizer_site._registry) == set(_in_scope(world))


def test_history_pages_in_manage_never_show_an_email_address(client, world):
    client.force_login(world["owner"])
    for model, obj in _in_scope(world).items():
        _changed_by_others(obj, world)
        opts = model._meta
        url = reverse(f"manage:{opts.app_label}_{opts.model_name}_history", args=[obj.pk])
        pages = [url]
        if hasattr(model, "history"):
            pages += [
                reverse(
                    f"manage:{opts.app_label}_{opts.model_name}_simple_history",
                    args=[obj.pk, version.history_id],
                )
                for version in obj.history.all()
            ]
        for page in pages:
            response = client.get(page)
            assert response.status_code == 200, page
            body = response.content.decode()
            for address in (STAFF_EMAIL, CO_ORGANIZER_EMAIL):
                assert address not in body, (page, address)
        history = client.get(url).content.decode()
        assert "RecoveryMap staff" in history and "Another organizer" in history, url


def test_staff_still_see_who_it_was_in_the_staff_admin(client, world):
    _changed_by_others(world["report"], world)
    client.force_login(make_user(is_staff=True, is_superuser=True))
    response = client.get(
        reverse("admin:meetings_problemreport_history", args=[world["report"].pk])
    )
    assert STAFF_EMAIL in response.content.decode()
