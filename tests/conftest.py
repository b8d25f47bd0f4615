"""Shared test setup: small factory functions with sensible defaults."""

import datetime as dt
import itertools
import json
import os
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from hypothesis import HealthCheck
from hypothesis import settings as fuzz_settings

from accounts.models import User
from directory.models import Fellowship, Group, Location, Place, normalize_city
from meetings.models import Meeting, MeetingType

_seq = itertools.count(1)

# The sample feeds beside the project (../shared/data); CI always has them.
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def pytest_configure(config):
    """Settings for the whole run, made before any cache or password is used.

    - Passwords are hashed with MD5: the real hasher spends a fifth of a second on each
      of the hundreds of users the tests make (tests/test_accounts.py keeps one test on
      the real one).
    - The cache keys carry a prefix of this run's own, so two runs sharing one Redis
      database (two engineers, two CI jobs) never see or clear each other's keys.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    run = uuid.uuid4().hex[:12]
    cache_settings = settings.CACHES["default"]
    cache_settings["KEY_PREFIX"] = f"{cache_settings.get('KEY_PREFIX', '')}-test-{run}"


def required_in_ci(condition: bool, reason: str):
    """Skip when ``condition`` holds, except in CI (RECOVERYMAP_CI=1, set by .ci/run),
    where what is missing makes the test fail: CI always has it."""
    if os.environ.get("RECOVERYMAP_CI") == "1":
        # The test runs, and fails on what is missing. (An empty usefixtures() would do
        # the same but warns at every test it marks.)
        return pytest.mark.skipif(False, reason=reason)
    return pytest.mark.skipif(condition, reason=reason)


# The fuzz tests' common settings: no deadline (the machine is shared), one database
# fixture for every example of a test.
FUZZ_SETTINGS = fuzz_settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def sendable(text: str) -> str:
    """What a browser could send: lone surrogates cannot be encoded as UTF-8."""
    return text.encode("utf-8", "replace").decode()


needs_shared_data = required_in_ci(
    not SHARED_DATA.is_dir(), "../shared/data (the sample feeds) is not beside the project"
)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache, as a fresh deploy would (only this run's
    keys: recoverymap.cache clears its own prefix, never the whole Redis database)."""
    from django.core.cache import cache

    from directory.models import forget_fellowship_translations

    cache.clear()
    forget_fellowship_translations()  # each process keeps them for a minute
    yield
    cache.clear()
    forget_fellowship_translations()


@pytest.fixture(autouse=True)
def _exports_unlimited(settings):
    """The suite asks for many exports from one address within a minute: the limit on
    exports built per client is off, but in the tests of that limit."""
    settings.EXPORT_BUILDS_PER_MINUTE = 0


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """A request to a Spanish page leaves Spanish active in the thread (Django's
    LocaleMiddleware sets it per request and never unsets it): the next test starts in
    English, as every request to an English address does."""
    from django.utils import translation

    yield
    translation.activate("en")


def make_fellowship(**kw) -> Fellowship:
    n = next(_seq)
    defaults = {
        "name": f"Fellowship {n}",
        "slug": f"fellowship-{n}",
        "abbreviation": f"F{n}",
        "philosophy": Fellowship.Philosophy.TWELVE_STEP,
        "audience": Fellowship.Audience.RECOVERY,
        "focus": Fellowship.Focus.ALCOHOL,
        "description": "Peer-led meetings.",
    }
    defaults.update(kw)
    return Fellowship.objects.create(**defaults)


def make_group(**kw) -> Group:
    n = next(_seq)
    defaults = {"name": f"Serenity Group {n}", "slug": f"serenity-group-{n}"}
    defaults.update(kw)
    if "fellowship" not in defaults:
        defaults["fellowship"] = make_fellowship()
    return Group.objects.create(**defaults)


def make_location(**kw) -> Location:
    defaults = {
        "name": "St. Mark's Church",
        "address": "519 Oak Grove St",
        "city": "Minneapolis",
        "state": "MN",
        "postal_code": "55403",
        "latitude": 44.9695,
        "longitude": -93.2836,
        "timezone": "America/Chicago",
    }
    defaults.update(kw)
    return Location.objects.create(**defaults)


def make_meeting(*, types=(), **kw) -> Meeting:
    """A valid in-person meeting; pass attendance/location/conference_url to vary it."""
    defaults = {"day": 1, "start_time": dt.time(19, 0)}
    defaults.update(kw)
    if "group" not in defaults:
        defaults["group"] = make_group()
    if "location" not in defaults and defaults.get("attendance", "in_person") != "online":
        defaults["location"] = make_location()
    if defaults.get("attendance") == "online":
        defaults.setdefault("timezone", "America/Chicago")
    meeting = Meeting(**defaults)
    meeting.full_clean()
    meeting.save()
    if types:
        meeting.types.set(MeetingType.objects.filter(code__in=types, fellowship=None))
    return meeting


# One Meeting Guide feed record, at St. Mark's in Minneapolis: a test changes what it needs.
FEED_ROW = {
    "name": "Morning Serenity",
    "slug": "morning-serenity",
    "day": "1",
    "time": "07:00",
    "types": ["O"],
    "location": "St. Mark's Church",
    "formatted_address": "519 Oak Grove St, Minneapolis, MN 55403, USA",
    "latitude": "44.9695",
    "longitude": "-93.2836",
    "timezone": "America/Chicago",
}


def import_feed(rows: list[dict], fellowship: Fellowship, source: str = "test-feed"):
    """Import Meeting Guide ``rows`` as ``source`` would be synced."""
    from meetings.formats import parse
    from meetings.importing import meetings_import

    records = parse(json.dumps(rows).encode(), "meeting-guide")
    return meetings_import(records=records, fellowship=fellowship, source=source)


def make_place(
    code="55404", city="Minneapolis", state="MN", lat=44.9609, lng=-93.2642, tz="America/Chicago"
) -> Place:
    return Place.objects.create(
        code=code,
        city=city,
        city_key=normalize_city(city),
        state=state,
        latitude=lat,
        longitude=lng,
        timezone=tz,
    )


def make_user(email=None, **kw) -> User:
    email = email or f"person{next(_seq)}@example.org"
    return User.objects.create_user(email=email, password="correct horse battery", **kw)


def make_organizer(*groups, **kw) -> User:
    """A person who organizes ``groups`` (not staff)."""
    user = make_user(**kw)
    for group in groups:
        group.organizers.add(user)
    return user


@pytest.fixture
def redis_down(settings, monkeypatch):
    """The cache is a Redis on a closed port."""
    from recoverymap import cache as fail_soft

    settings.CACHES = {
        "default": {
            "BACKEND": "recoverymap.cache.FailSoftRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    monkeypatch.setattr(fail_soft, "_last_warning", 0.0)


@pytest.fixture
def spec_types(db):
    """A handful of Meeting Guide codes, enough for type filters and labels."""
    rows = [
        ("O", "Open", "other"),
        ("C", "Closed", "other"),
        ("W", "Women", "audience"),
        ("M", "Men", "audience"),
        ("S", "Spanish", "language"),
        ("X", "Wheelchair Access", "accessibility"),
        ("ASL", "American Sign Language", "accessibility"),
        ("D", "Discussion", "format"),
        ("SP", "Speaker", "format"),
        ("ST", "Step Study", "format"),
        ("Y", "Young People", "audience"),
        ("LGBTQ", "LGBTQ", "audience"),
        ("BE", "Newcomer", "format"),
        ("TC", "Location Temporarily Closed", "other"),
    ]
    return {
        code: MeetingType.objects.create(code=code, name=name, category=cat)
        for code, name, cat in rows
    }


def two_groups_world() -> dict:
    """Two groups, each with an organizer and a meeting at its own place, and a staff
    member: the cast of every permission test."""
    ours = make_group(name="Sunrise Serenity")
    theirs = make_group(name="Evening Reflections")
    return {
        "ours": ours,
        "theirs": theirs,
        "mine": make_meeting(group=ours, location=make_location(name="Our Hall")),
        "other": make_meeting(group=theirs, location=make_location(name="Their Hall")),
        "owner": make_organizer(ours, display_name="Sam"),
        "stranger": make_organizer(theirs, display_name="Alex"),
        "staff": make_user(is_staff=True),
    }


def meeting_form_data(meeting, **changes) -> dict:
    """A meeting's admin change form as posted, with ``changes``."""
    data = {
        "group": meeting.group_id,
        "name": meeting.name,
        "status": meeting.status,
        "day": meeting.day,
        "start_time": meeting.start_time.strftime("%H:%M"),
        "end_time": meeting.end_time.strftime("%H:%M"),
        "timezone": meeting.timezone,
        "attendance": meeting.attendance,
        "location": meeting.location_id or "",
        "conference_url": meeting.conference_url,
        "conference_url_notes": meeting.conference_url_notes,
        "conference_phone": meeting.conference_phone,
        "conference_phone_notes": meeting.conference_phone_notes,
        "access": meeting.access,
        "notes": meeting.notes,
    }
    data.update(changes)
    return data
