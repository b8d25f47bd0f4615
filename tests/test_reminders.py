"""manage.py send_confirmation_reminders: organizers of active groups whose meetings
were last confirmed too long ago (or never) are emailed, at most once per period."""

import datetime as dt
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from directory.models import Group
from tests.conftest import make_group, make_meeting, make_organizer

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def _days_ago(days):
    return NOW - dt.timedelta(days=days)


def _run(*args) -> str:
    out = StringIO()
    call_command("send_confirmation_reminders", *args, stdout=out)
    return out.getvalue()


def test_organizers_of_stale_listings_are_reminded_once_per_period():
    stale = make_group(name="Stale Group")
    make_meeting(group=stale, name="Old Tuesday", last_confirmed=_days_ago(200))
    make_meeting(group=stale, name="Fresh Friday", day=5, last_confirmed=_days_ago(10))
    fresh = make_group(name="Fresh Group")
    make_meeting(group=fresh, last_confirmed=_days_ago(10))
    make_organizer(stale, email="sam@example.org")
    make_organizer(fresh, email="kim@example.org")

    summary = _run()
    (message,) = mail.outbox
    assert message.to == ["sam@example.org"]
    assert "Stale Group" in message.body and "Old Tuesday" in message.body
    assert "Fresh Friday" not in message.body
    assert "/accounts/listings/" in message.body
    assert "Reminded 1 organizer(s) about 1 group(s) with 1 meeting(s)" in summary
    stale.refresh_from_db()
    assert stale.reminded_at == NOW

    # Within the period: nothing more.
    mail.outbox.clear()
    assert "1 group(s) skipped" in _run()
    assert mail.outbox == []

    # A period later, still stale: reminded again.
    Group.objects.filter(pk=stale.pk).update(reminded_at=_days_ago(31))
    _run()
    assert len(mail.outbox) == 1


def test_never_confirmed_meetings_count_and_the_age_is_configurable():
    group = make_group()
    make_meeting(group=group, last_confirmed=None)
    recent = make_group()
    make_meeting(group=recent, last_confirmed=_days_ago(40))
    make_organizer(group, recent)
    _run("--older-than-days", "30", "--period-days", "7")
    (message,) = mail.outbox
    assert group.name in message.body and recent.name in message.body  # one email, both


def test_pending_inactive_and_unorganized_groups_are_left_alone():
    pending = make_group(status=Group.Status.PENDING)
    make_meeting(group=pending)
    retired_meetings = make_group()
    make_meeting(group=retired_meetings, status="inactive")
    orphan = make_group()
    make_meeting(group=orphan)
    make_organizer(pending, retired_meetings)
    left = make_meeting().group
    make_organizer(left, is_active=False)
    assert "Reminded 0 organizer(s)" in _run()
    assert mail.outbox == []


def test_bad_arguments_are_refused():
    with pytest.raises(CommandError):
        _run("--period-days", "0")
