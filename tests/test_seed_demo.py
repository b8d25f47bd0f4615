"""manage.py seed_demo: a realistic, deterministic demo directory on real ZIP codes."""

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from directory import demo
from directory.models import Fellowship, Group, Location, Place
from meetings.models import Meeting, MeetingType
from recoverymap.lib.geo import great_circle_miles, unit_vector

pytestmark = pytest.mark.django_db

# The few rows to stand in for the reference fixtures when they are not there yet.
FALLBACK_FELLOWSHIPS = [
    ("aa", "Alcoholics Anonymous", "AA", "twelve_step", "recovery", "alcohol"),
    ("al-anon", "Al-Anon Family Groups", "Al-Anon", "twelve_step", "family", "alcohol"),
    ("smart", "SMART Recovery", "SMART", "secular", "recovery", "any"),
    ("recovery-dharma", "Recovery Dharma", "RD", "buddhist", "recovery", "any"),
    ("celebrate-recovery", "Celebrate Recovery", "CR", "faith_based", "recovery", "any"),
]
FALLBACK_TYPES = [
    ("D", "format"), ("SP", "format"), ("ST", "format"), ("B", "format"), ("BE", "format"),
    ("MED", "format"), ("LIT", "format"), ("W", "audience"), ("M", "audience"),
    ("Y", "audience"), ("LGBTQ", "audience"), ("S", "language"), ("EN", "language"),
    ("X", "accessibility"), ("ASL", "accessibility"),
]  # fmt: skip

IN_PERSON_ONLY = {"X", "XB", "BA", "CF", "FF", "BRK", "CAN", "OUT", "SM", "AL-AN"}
COMMON_FIRST_NAMES = (
    "James", "John", "Robert", "Michael", "William", "David", "Richard", "Joseph", "Thomas",
    "Charles", "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan",
    "Jessica", "Sarah", "Karen", "Nancy", "Lisa", "Maria", "Jose", "Juan", "Carlos",
)  # fmt: skip
FULL_NAME = re.compile(
    r"\b(?:" + "|".join(sorted({*demo.FIRST_NAMES, *COMMON_FIRST_NAMES})) + r")\s+[A-Z][a-z]+"
)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
PHONE = re.compile(r"\(?\d{3}\)?[-.\s]*\d{3}[-.\s]*\d{4}")


def _load_fellowships_and_types():
    try:
        call_command("loaddata", "fellowships", "meeting_types", verbosity=0)
    except CommandError:  # the fixtures have not landed yet
        for slug, name, abbreviation, philosophy, audience, focus in FALLBACK_FELLOWSHIPS:
            Fellowship.objects.create(
                slug=slug, name=name, abbreviation=abbreviation, philosophy=philosophy,
                audience=audience, focus=focus, description="Peer-led meetings.",
            )  # fmt: skip
        for code, category in FALLBACK_TYPES:
            MeetingType.objects.create(code=code, name=code, category=category)


@pytest.fixture(scope="module", autouse=True)
def reference_data(django_db_setup, django_db_blocker):
    """The gazetteer, fellowships and types, loaded once for the module (loading the
    gazetteer takes seconds) and removed after it, so other modules start empty."""
    with django_db_blocker.unblock():
        call_command("load_places", stdout=io.StringIO())
        _load_fellowships_and_types()
    yield
    with django_db_blocker.unblock():
        Place.objects.all().delete()
        MeetingType.objects.all().delete()
        Fellowship.objects.all().delete()


def seed(meetings=300, seed=7, **options) -> str:
    out = io.StringIO()
    call_command("seed_demo", meetings=meetings, seed=seed, stdout=out, **options)
    return out.getvalue()


def snapshot() -> list[tuple]:
    """What a visitor would see of every meeting, in a stable order."""
    rows = []
    meetings = Meeting.objects.select_related("location", "group").prefetch_related("types")
    for m in meetings.order_by("slug"):
        point = (m.location.latitude, m.location.longitude) if m.location else None
        rows.append(
            (
                m.slug, m.name, m.group.name, m.group.slug, m.day, m.start_time, m.end_time,
                point, m.timezone, m.attendance, m.access, m.status, m.conference_url,
                m.conference_phone, tuple(sorted(t.code for t in m.types.all())),
            )
        )  # fmt: skip
    return rows


def test_the_same_seed_gives_the_same_directory():
    seed(seed=7)
    first = snapshot()
    seed(seed=7, replace=True)

    assert snapshot() == first
    assert len(first) == 300


def test_a_different_seed_gives_a_different_directory():
    seed(seed=7)
    first = snapshot()
    seed(seed=8, replace=True)
    second = snapshot()

    assert second != first
    assert {row[0] for row in second} != {row[0] for row in first}


def test_the_plan_is_deterministic_down_to_the_confirmation_dates():
    reference = dt.datetime(2026, 1, 15, tzinfo=dt.UTC)
    inputs = {
        "zips": demo.load_zips(),
        "fellowships": demo.load_fellowships(),
        "type_codes": demo.load_spec_types(),
        "meetings": 500,
        "seed": 3,
        "reference": reference,
    }

    assert demo.build_plan(**inputs) == demo.build_plan(**inputs)


def test_it_seeds_every_day_attendance_and_fellowship():
    seed(meetings=300)

    meetings = Meeting.objects.all()
    assert meetings.count() == 300
    assert set(meetings.values_list("day", flat=True)) == set(range(7))
    assert set(meetings.values_list("attendance", flat=True)) == {"in_person", "online", "hybrid"}
    assert set(meetings.values_list("access", flat=True)) == {"open", "closed"}
    fellowships = set(meetings.values_list("group__fellowship__slug", flat=True))
    assert fellowships == set(Fellowship.objects.values_list("slug", flat=True))
    # Several meetings per group and per location.
    assert 100 <= Group.objects.count() <= 140
    assert 80 <= Location.objects.filter(approximate=False).count() <= 110
    assert not Location.objects.filter(meetings=None).exists()
    # Online meetings are placed at their group's town (a ZIP centre), as Meeting Guide
    # clients need to list them; no meeting is left without a place.
    assert not Meeting.objects.filter(location=None).exists()
    towns = Location.objects.filter(approximate=True)
    assert towns.exists() and not towns.exclude(address="").exists()
    assert not towns.exclude(meetings__attendance="online").exists()
    assert set(Group.objects.values_list("status", flat=True)) == {"active"}


def test_the_shares_look_like_a_real_directory():
    seed(meetings=2000)

    meetings = Meeting.objects.all()
    total = meetings.count()

    def share(**filters):
        return meetings.filter(**filters).count() / total

    assert 0.64 <= share(attendance="in_person") <= 0.76
    assert 0.10 <= share(attendance="online") <= 0.20
    assert 0.10 <= share(attendance="hybrid") <= 0.20
    assert 0.015 <= share(status="tc") <= 0.05
    assert 0.01 <= share(status="inactive") <= 0.035
    assert share(start_time__hour__gte=17) > 0.45  # mostly evenings
    assert share(start_time__lt=dt.time(6)) == share(start_time__gt=dt.time(22)) == 0
    assert share(start_time__minute__in=[0, 15, 30, 45]) == 1
    # Most venues are in the metro areas, the rest spread over many states.
    assert Location.objects.values("state").distinct().count() >= 25


def test_every_seeded_row_passes_model_validation():
    seed(meetings=300)

    for meeting in Meeting.objects.order_by("?")[:50]:
        meeting.full_clean()
    for group in Group.objects.order_by("?")[:20]:
        group.full_clean()
    for location in Location.objects.order_by("?")[:20]:
        location.full_clean()


def test_meetings_make_sense_for_how_they_are_attended():
    seed(meetings=600)

    for m in Meeting.objects.select_related("location").prefetch_related("types"):
        codes = {t.code for t in m.types.all()}
        assert not {"W", "M"} <= codes, m.slug
        assert len(m.slug) <= 64
        assert m.end_time in {_plus(m.start_time, 60), _plus(m.start_time, 90)}
        assert m.timezone == m.location.timezone
        if m.attendance == "online":
            assert m.location.approximate and not m.location.address, m.slug
            assert not codes & IN_PERSON_ONLY, m.slug
            assert m.status != "tc"
        else:
            assert not m.location.approximate, m.slug
        if m.attendance != "in_person":
            assert m.conference_url or m.conference_phone
            assert m.conference_url == "" or m.conference_url.startswith("https://")
            assert m.conference_phone == "" or re.fullmatch(r"\+1\d{10},,\d+#", m.conference_phone)


def _plus(start: dt.time, minutes: int) -> dt.time:
    return (dt.datetime.combine(dt.date(2000, 1, 2), start) + dt.timedelta(minutes=minutes)).time()


def test_venues_sit_near_their_real_zip_code_with_their_unit_vector():
    seed(meetings=300)

    points = set()
    venues = Location.objects.filter(approximate=False)
    for location in venues:
        place = Place.objects.get(code=location.postal_code)
        assert (location.city, location.state) == (place.city, place.state)
        assert location.timezone == place.timezone
        miles = great_circle_miles(
            place.latitude, place.longitude, location.latitude, location.longitude
        )
        assert miles < 0.5
        x, y, z = unit_vector(location.latitude, location.longitude)
        assert (location.geo_x, location.geo_y, location.geo_z) == pytest.approx((x, y, z))
        assert re.fullmatch(r"\d+ [\w ]+ [A-Z][a-z]+", location.address)
        points.add((location.latitude, location.longitude))
    assert len(points) == venues.count()


def test_no_text_names_a_person_or_gives_an_email_or_a_phone_number():
    seed(meetings=1000)

    texts = []
    for group in Group.objects.all():
        texts += [group.name, group.description]
        assert group.email == group.phone == ""
    for location in Location.objects.all():
        texts += [location.name, location.address, location.directions,
                  location.accessibility_notes]  # fmt: skip
    for m in Meeting.objects.all():
        texts += [m.name, m.notes, m.conference_url_notes, m.conference_phone_notes]

    for text in texts:
        assert not FULL_NAME.search(text), text
        assert not EMAIL.search(text), text
        assert not PHONE.search(text), text


def test_it_uses_whatever_fellowships_and_types_exist():
    Fellowship.objects.exclude(slug__in=["aa", "smart"]).delete()
    MeetingType.objects.exclude(code__in=["D", "W", "S"]).delete()

    seed(meetings=100)

    meetings = Meeting.objects.all()
    assert set(meetings.values_list("group__fellowship__slug", flat=True)) == {"aa", "smart"}
    assert set(meetings.values_list("types__code", flat=True)) - {None} <= {"D", "W", "S"}
    assert meetings.filter(types__code="D").exists()


def test_it_writes_in_bulk_without_a_query_per_row(django_assert_max_num_queries):
    with django_assert_max_num_queries(80):
        seed(meetings=600)

    assert Meeting.objects.count() == 600


def test_it_refuses_to_seed_over_existing_meetings_without_replace():
    seed(meetings=50)

    with pytest.raises(CommandError, match="--replace"):
        seed(meetings=50)
    assert Meeting.objects.count() == 50


def test_replace_deletes_the_old_directory_first():
    seed(meetings=100)
    old_groups = set(Group.objects.values_list("pk", flat=True))

    out = seed(meetings=60, replace=True)

    assert Meeting.objects.count() == 60
    assert not old_groups & set(Group.objects.values_list("pk", flat=True))
    assert "Deleted 100 meetings" in out


def test_it_tells_you_to_load_places_first():
    Place.objects.all().delete()

    with pytest.raises(CommandError, match="load_places"):
        seed()
    assert Meeting.objects.count() == 0


def test_it_tells_you_to_load_the_fellowships_and_types_first():
    MeetingType.objects.all().delete()
    Fellowship.objects.all().delete()

    with pytest.raises(CommandError, match="loaddata fellowships meeting_types"):
        seed()


def test_without_a_terminal_it_prints_a_plain_summary():
    out = seed(meetings=30)

    assert "\r" not in out
    assert out.startswith("Seeded 30 meetings")


def test_if_empty_leaves_an_existing_directory_alone():
    call_command("seed_demo", "--meetings", "30")
    before = set(Meeting.objects.values_list("slug", flat=True))
    out = io.StringIO()
    call_command("seed_demo", "--meetings", "60", "--if-empty", stdout=out)
    assert set(Meeting.objects.values_list("slug", flat=True)) == before
    assert "nothing seeded" in out.getvalue()
