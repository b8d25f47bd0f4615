"""Security: hostile text is inert on every public page, feed and calendar; SQL-looking
input is only data; every POST needs a CSRF token; sign-in, problem reports and group
requests are rate-limited; the organizer permission matrix holds over HTTP; and no
organizer's email or other private field reaches anything public."""

import datetime as dt
import json
import re
from urllib.parse import urlencode

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from icalendar import Calendar

from accounts.models import User
from directory import services as directory_services
from directory.models import Fellowship, Group, Location, OrganizerRequest
from meetings.models import Meeting, MeetingType, ProblemReport, type_catalogue
from meetings.results import type_choices
from tests.conftest import (
    make_fellowship,
    make_group,
    make_location,
    make_meeting,
    make_organizer,
    make_place,
    make_user,
    meeting_form_data,
    two_groups_world,
)

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"  # conftest.make_user's


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Dozens of sign-in attempts here: hashing each with the real work factor would
    take most of a minute and prove nothing more about the limits."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# XSS ------------------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(1)>'
JAVASCRIPT_URL = "javascript:alert(1)"
CLOSE_SCRIPT = "</script><script>alert(1)</script>"
# All four at once, for every field long enough to hold them.
PAYLOAD = " ".join([SCRIPT, ATTRIBUTE, JAVASCRIPT_URL, CLOSE_SCRIPT])
# For short fields (an abbreviation, a phone number), the longest hostile text that fits.
SHORT_PAYLOADS = [ATTRIBUTE, CLOSE_SCRIPT, SCRIPT, '"><svg onload=x>']

# What must never appear in a page as markup: each payload's live tag or script break.
LIVE_MARKUP = ["<script>alert", "<img src=x", "<svg onload", "</script><script>"]
JAVASCRIPT_HREF = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)
JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.DOTALL)
MAP_POINTS = re.compile(
    r'<script id="map-points" type="application/json">(.*?)</script>', re.DOTALL
)

# Every public text field of every model, as "model.field".
PUBLIC_TEXT_FIELDS = [
    "fellowship.name",
    "fellowship.abbreviation",
    "fellowship.description",
    "fellowship.open_meetings",
    "fellowship.closed_meetings",
    "fellowship.website",
    "group.name",
    "group.description",
    "group.website",
    "group.phone",
    "location.name",
    "location.address",
    "location.city",
    "location.state",
    "location.directions",
    "location.accessibility_notes",
    "location.region",
    "meeting.name",
    "meeting.notes",
    "meeting.conference_url_notes",
    "meeting.conference_phone_notes",
    "meetingtype.name",
]
MODELS = {
    "fellowship": Fellowship,
    "group": Group,
    "location": Location,
    "meeting": Meeting,
    "meetingtype": MeetingType,
}
# Where the Meeting Guide feed carries each field, verbatim.
FEED_KEYS = {
    "group.name": "group",
    "group.description": "group_notes",
    "location.name": "location",
    "location.address": "address",
    "location.city": "city",
    "location.state": "state",
    "location.region": "region",
    "meeting.name": "name",
    "meeting.notes": "notes",
    "meeting.conference_url_notes": "conference_url_notes",
    "meeting.conference_phone_notes": "conference_phone_notes",
}


def payload_for(field: str) -> str:
    model, name = field.split(".")
    if name == "website":
        # A web address is only a link when it is http(s): the payload rides in it.
        return "https://example.org/?q=" + PAYLOAD
    max_length = MODELS[model]._meta.get_field(name).max_length
    if max_length is None or max_length >= len(PAYLOAD):
        return PAYLOAD
    return next(p for p in SHORT_PAYLOADS if len(p) <= max_length)


def hostile_world(field: str, value: str) -> Meeting:
    """A public hybrid meeting near ZIP 55404, every object plain but ``field``."""
    model, name = field.split(".")
    hostile = {m: {} for m in MODELS}
    hostile[model][name] = value
    make_place(code="55404")
    fellowship = make_fellowship(
        **{"open_meetings": "Anyone may come.", "closed_meetings": "Members only."}
        | hostile["fellowship"]
    )
    group = make_group(
        fellowship=fellowship,
        **{"description": "A friendly group.", "phone": "612-555-0100"} | hostile["group"],
    )
    location = make_location(
        **{"directions": "Side door.", "accessibility_notes": "Ramp.", "region": "Uptown"}
        | hostile["location"]
    )
    meeting_type = MeetingType.objects.create(
        code="D",
        category=MeetingType.Category.FORMAT,
        **{"name": "Discussion"} | hostile["meetingtype"],
    )
    meeting = make_meeting(
        group=group,
        location=location,
        attendance="hybrid",
        conference_url="https://zoom.us/j/123",
        conference_phone="+16465588656",
        **{
            "name": "Noon Serenity",
            "notes": "Coffee at the back.",
            "conference_url_notes": "Passcode 1",
            "conference_phone_notes": "Code 2",
        }
        | hostile["meeting"],
    )
    meeting.types.set([meeting_type])
    return meeting


def public_html_pages(meeting: Meeting) -> list[str]:
    return [
        reverse("directory:home"),
        "/meetings/?near=55404",
        "/meetings/?near=55404&view=map",
        "/meetings/?attendance=online&type=D&fellowship=" + meeting.group.fellowship.slug,
        meeting.get_absolute_url(),
        meeting.group.get_absolute_url(),
        reverse("directory:fellowship-list"),
        meeting.group.fellowship.get_absolute_url(),
        reverse("meetings:meeting-report", args=[meeting.slug]),
    ]


def assert_inert(url: str, body: str) -> None:
    for marker in LIVE_MARKUP:
        assert marker not in body, (url, marker)
    assert not JAVASCRIPT_HREF.search(body), url
    # Event handlers only inside escaped text, never as an attribute of a real tag.
    for handler, tag in (("onerror=", "img src=x"), ("onload=", "svg")):
        escaped = body.count(f"&lt;{tag} {handler}") + body.count(f"\\u003C{tag} {handler}")
        assert body.count(handler) == escaped, (url, handler)
    for block in JSON_LD.findall(body) + MAP_POINTS.findall(body):
        json.loads(block)  # the payload did not end the script element early


def json_ld_strings(body: str) -> list[str]:
    found = []

    def walk(node):
        if isinstance(node, dict):
            for item in node.values():
                walk(item)
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, str):
            found.append(node)

    for block in JSON_LD.findall(body):
        walk(json.loads(block))
    return found


def calendar_texts(content: bytes) -> list[str]:
    texts = []
    for component in Calendar.from_ical(content).walk():
        for name in ("x-wr-calname", "summary", "description", "location"):
            if name in component:
                texts.append(str(component[name]))
    return texts


@pytest.mark.parametrize("field", PUBLIC_TEXT_FIELDS)
def test_hostile_text_in_any_public_field_is_inert_everywhere(client, field):
    value = payload_for(field)
    meeting = hostile_world(field, value)
    shown_somewhere = False

    for url in public_html_pages(meeting):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert_inert(url, body)
        shown_somewhere |= escape(value) in body
        if url == meeting.get_absolute_url():
            shown_somewhere |= any(value in text for text in json_ld_strings(body))

    response = client.get(reverse("meetings:meeting-feed"))
    assert response.status_code == 200
    (row,) = json.loads(b"".join(response.streaming_content))
    if field in FEED_KEYS:
        assert row[FEED_KEYS[field]] == value  # data, exactly as stored
    shown_somewhere |= any(value in str(v) for v in row.values())

    for url in (reverse("meetings:meeting-ics", args=[meeting.slug]), "/meetings.ics?near=55404"):
        response = client.get(url)
        assert response.status_code == 200, url
        shown_somewhere |= any(value in text for text in calendar_texts(response.content))

    assert shown_somewhere, f"{field} is not public anywhere: the test would prove nothing"


def test_the_meeting_page_json_ld_holds_hostile_text_as_data(client):
    meeting = hostile_world("meeting.notes", CLOSE_SCRIPT)
    body = client.get(meeting.get_absolute_url()).content.decode()
    (block,) = JSON_LD.findall(body)
    assert "</script" not in block and "<" not in block
    assert json.loads(block)["description"] == CLOSE_SCRIPT


def test_calendars_carry_hostile_text_as_text(client):
    meeting = hostile_world("meeting.name", PAYLOAD)
    content = client.get(reverse("meetings:meeting-ics", args=[meeting.slug])).content
    (event,) = Calendar.from_ical(content).walk("VEVENT")
    assert str(event["summary"]) == PAYLOAD


def test_a_join_link_cannot_be_javascript_in_the_model_or_the_database():
    meeting = make_meeting(attendance="online", conference_url="https://zoom.us/j/1")
    for url in (JAVASCRIPT_URL, "JavaScript:alert(1)", "data:text/html,<script>x</script>"):
        meeting.conference_url = url
        with pytest.raises(ValidationError):
            meeting.full_clean()
        with pytest.raises(IntegrityError), transaction.atomic():
            Meeting.objects.filter(pk=meeting.pk).update(conference_url=url)


def test_the_public_forms_refuse_javascript_links(client):
    make_place(code="55404")
    fellowship = make_fellowship()
    client.force_login(make_user())
    data = {
        "group-fellowship": fellowship.pk,
        "group-name": "Lakeside Serenity",
        "group-website": JAVASCRIPT_URL,
        "meeting-day": "2",
        "meeting-start_time": "18:30",
        "meeting-access": "open",
        "meeting-attendance": "online",
        "meeting-timezone": "America/Chicago",
        "meeting-conference_url": JAVASCRIPT_URL,
    }
    response = client.post(reverse("accounts:group-new"), data)
    assert response.status_code == 200
    listing = response.context["listing"]
    assert "website" in listing.group.errors and "conference_url" in listing.meeting.errors
    assert not Group.objects.filter(name="Lakeside Serenity").exists()


def test_the_manage_form_refuses_a_javascript_join_link(client):
    group = make_group()
    meeting = make_meeting(group=group, attendance="online", conference_url="https://zoom.us/j/1")
    client.force_login(make_organizer(group))
    url = reverse("manage:meetings_meeting_change", args=[meeting.pk])
    response = client.post(url, meeting_form_data(meeting, conference_url=JAVASCRIPT_URL))
    assert response.status_code == 200
    meeting.refresh_from_db()
    assert meeting.conference_url == "https://zoom.us/j/1"


@pytest.mark.parametrize("field", ["group.website", "fellowship.website"])
def test_a_website_that_is_not_http_is_never_a_link(client, field):
    """Forms validate websites, but a row written around them (a shell, a bad import)
    must still not become a javascript: link."""
    meeting = hostile_world("meeting.notes", "Plain notes.")
    model, name = field.split(".")
    target = meeting.group if model == "group" else meeting.group.fellowship
    type(target).objects.filter(pk=target.pk).update(**{name: JAVASCRIPT_URL})
    for page in (meeting.group, meeting.group.fellowship):
        url = page.get_absolute_url()
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert escape(page.name) in body, url  # the page itself, not an empty body
        assert not JAVASCRIPT_HREF.search(body), url


# SQL-looking input ----------------------------------------------------------------------

SEARCH_PARAMS = [
    "near", "radius", "fellowship", "approach", "audience", "focus", "day", "time",
    "attendance", "access", "type", "language", "q", "sort", "tz", "confirmed", "page", "view",
]  # fmt: skip
SQL_LIKE = [
    "' OR 1=1 --",
    "1; DROP TABLE meetings_meeting",
    "%' --",
    '" OR ""="',
    "1 UNION SELECT email, password FROM accounts_user --",
    "Ωmeg∆ 会议 🙂",
    "a\x00b",
    "%00",
    "_%_",
]


@pytest.mark.parametrize(
    "endpoint, allowed",
    [
        ("/meetings/", {200}),
        ("/api/meetings.json", {200, 400}),
        ("/meetings.ics", {200, 400}),
    ],
)
def test_sql_looking_input_in_every_parameter_is_only_data(client, spec_types, endpoint, allowed):
    make_place(code="55404")
    make_meeting(types=["W"])
    make_meeting(attendance="online", conference_url="https://zoom.us/j/1")
    make_user()
    for param in SEARCH_PARAMS:
        for value in SQL_LIKE:
            response = client.get(endpoint + "?" + urlencode({"near": "55404", param: value}))
            assert response.status_code in allowed, (param, value, response.status_code)
            if endpoint == "/api/meetings.json":
                body = json.loads(
                    b"".join(response.streaming_content) if response.streaming else response.content
                )
                assert isinstance(body, list) or "error" in body
    assert Meeting.objects.count() == 2
    assert User.objects.count() == 1


def test_a_type_code_with_a_nul_byte_is_dropped_before_any_query(spec_types):
    """PostgreSQL refuses NUL in a query: /meetings/?type=a%00b was a server error there."""
    chosen = type_choices(QueryDict("type=W&type=a%00b"), type_catalogue())
    assert chosen["selected_types"] == ["W"]


# CSRF -----------------------------------------------------------------------------------


@pytest.fixture
def world():
    """Two groups, each with an organizer and a meeting; an open report on ours."""
    world = two_groups_world()
    world["staff"].is_superuser = True
    world["staff"].save(update_fields=["is_superuser"])
    world["report"] = ProblemReport.objects.create(meeting=world["mine"], category="time")
    return world


def _state(world) -> tuple:
    """Everything a forged POST could change."""
    mine = Meeting.objects.get(pk=world["mine"].pk)
    return (
        mine.start_time,
        mine.status,
        mine.last_confirmed,
        ProblemReport.objects.filter(status="open").count(),
        ProblemReport.objects.count(),
        OrganizerRequest.objects.count(),
        Group.objects.count(),
        Group.objects.get(pk=world["ours"].pk).name,
        User.objects.count(),
    )


def _csrf_posts(w) -> dict[str, tuple[str | None, str, dict]]:
    """Every form that changes something: (who is signed in, URL, form data)."""
    mine, ours, report = w["mine"], w["ours"], w["report"]
    new_password = "a-long-Passphrase-42"
    return {
        "report a problem": (None, f"/meetings/{mine.slug}/report/", {"category": "gone"}),
        "manage this group": (
            "stranger",
            reverse("accounts:organizer-request", args=[ours.slug]),
            {"message": "I am the secretary"},
        ),
        "list a new group": (
            "stranger",
            reverse("accounts:group-new"),
            {"group-name": "New", "group-fellowship": ours.fellowship_id},
        ),
        "still accurate, meeting": (
            "owner",
            reverse("accounts:meeting-confirm", args=[mine.slug]),
            {},
        ),
        "still accurate, group": ("owner", reverse("accounts:group-confirm", args=[ours.slug]), {}),
        "sign in": (
            None,
            reverse("account_login"),
            {"login": w["owner"].email, "password": PASSWORD},
        ),
        "sign up": (
            None,
            reverse("account_signup"),
            {"email": "new@example.org", "password1": new_password, "password2": new_password},
        ),
        "password reset": (None, reverse("account_reset_password"), {"email": w["owner"].email}),
        "sign out": ("owner", reverse("account_logout"), {}),
        "admin sign in": (
            None,
            reverse("admin:login"),
            {"username": w["staff"].email, "password": PASSWORD},
        ),
        "admin change meeting": (
            "staff",
            reverse("admin:meetings_meeting_change", args=[mine.pk]),
            meeting_form_data(mine, start_time="06:00"),
        ),
        "admin change group": (
            "staff",
            reverse("admin:directory_group_change", args=[ours.pk]),
            {"name": "Hijacked", "fellowship": ours.fellowship_id, "slug": ours.slug},
        ),
        "admin resolve report": (
            "staff",
            reverse("admin:meetings_problemreport_changelist"),
            {"action": "resolve", "_selected_action": [report.pk]},
        ),
        "manage change meeting": (
            "owner",
            reverse("manage:meetings_meeting_change", args=[mine.pk]),
            meeting_form_data(mine, start_time="06:00"),
        ),
        "manage retire meeting": (
            "owner",
            reverse("manage:meetings_meeting_delete", args=[mine.pk]),
            {"post": "yes"},
        ),
        "manage retire action": (
            "owner",
            reverse("manage:meetings_meeting_changelist"),
            {"action": "retire", "_selected_action": [mine.pk]},
        ),
        "manage resolve report": (
            "owner",
            reverse("manage:meetings_problemreport_changelist"),
            {"action": "resolve", "_selected_action": [report.pk]},
        ),
        "manage change group": (
            "owner",
            reverse("manage:directory_group_change", args=[ours.pk]),
            {"name": "Hijacked", "description": ""},
        ),
    }


CSRF_FORMS = [
    "report a problem", "manage this group", "list a new group", "still accurate, meeting",
    "still accurate, group", "sign in", "sign up", "password reset", "sign out",
    "admin sign in", "admin change meeting", "admin change group", "admin resolve report",
    "manage change meeting", "manage retire meeting", "manage retire action",
    "manage resolve report", "manage change group",
]  # fmt: skip


@pytest.mark.parametrize("form", CSRF_FORMS)
def test_every_post_without_a_csrf_token_is_refused_and_changes_nothing(world, form):
    who, url, data = _csrf_posts(world)[form]
    client = Client(enforce_csrf_checks=True)
    if who:
        client.force_login(world[who])
    before = _state(world)
    response = client.post(url, data)
    assert response.status_code == 403, response.status_code
    assert _state(world) == before
    if form == "sign out":
        assert "_auth_user_id" in client.session


def test_the_same_post_with_its_token_goes_through(world):
    """The control for the CSRF tests: a real browser's form (token included) works."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["owner"])
    url = reverse("accounts:meeting-confirm", args=[world["mine"].slug])
    client.get(reverse("accounts:my-listings"))
    token = client.cookies["csrftoken"].value
    assert client.post(url, {"csrfmiddlewaretoken": token}).status_code == 302
    world["mine"].refresh_from_db()
    assert world["mine"].last_confirmed is not None


# Rate limits ----------------------------------------------------------------------------


def test_spreading_reports_over_many_meetings_does_not_escape_the_limit(client, settings):
    settings.REPORT_RATE_LIMIT = 3
    meetings = [make_meeting() for _ in range(5)]
    statuses = [
        client.post(
            reverse("meetings:meeting-report", args=[m.slug]), {"category": "time"}
        ).status_code
        for m in meetings
    ]
    assert statuses == [302, 302, 302, 429, 429]
    assert ProblemReport.objects.count() == 3


def test_failed_sign_ins_for_one_email_lock_it_even_with_the_right_password(client):
    user = make_user(email="lee@example.org")
    for _ in range(5):
        client.post(reverse("account_login"), {"login": "LEE@example.org", "password": "wrong"})
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_failed_sign_ins_from_one_address_over_many_emails_are_refused(client):
    """allauth's "login_failed" limit is also 10 a minute per IP address: guessing one
    password across many accounts stops too."""
    user = make_user(email="kim@example.org")
    for n in range(10):
        client.post(reverse("account_login"), {"login": f"guess{n}@example.org", "password": "x"})
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_staff_admin_signs_in_only_through_the_rate_limited_account_pages(client):
    staff = make_user(email="admin@example.org", is_staff=True, is_superuser=True)
    response = client.get(reverse("admin:login"))
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login") + "?next=/admin/"
    # Django's own admin sign-in form, which no limit guards, takes no password.
    client.post(reverse("admin:login"), {"username": staff.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    for _ in range(5):
        client.post(reverse("account_login"), {"login": staff.email, "password": "wrong"})
    client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session  # locked, as for everyone
    client.force_login(staff)
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_signed_in_person_who_is_not_staff_is_refused_the_admin(client):
    client.force_login(make_user())
    response = client.get(reverse("admin:index"), follow=True)
    assert response.status_code == 403


def test_hammering_the_sign_in_page_gets_429(client):
    # allauth's "login" limit: 30 sign-in attempts a minute from one address.
    statuses = [
        client.post(
            reverse("account_login"), {"login": f"p{n}@example.org", "password": "x"}
        ).status_code
        for n in range(31)
    ]
    assert statuses[-1] == 429 and 429 not in statuses[:30]


def test_password_reset_emails_for_one_address_are_limited(client, mailoutbox):
    # allauth's "reset_password" limit: 5 a minute per email address.
    user = make_user(email="ray@example.org")
    statuses = [
        client.post(reverse("account_reset_password"), {"email": user.email}).status_code
        for _ in range(6)
    ]
    assert statuses == [302] * 5 + [429]
    assert len(mailoutbox) == 5


def test_organizer_requests_are_limited_per_person_per_day(client, monkeypatch):
    monkeypatch.setattr(directory_services, "ORGANIZER_REQUESTS_PER_DAY", 2)
    groups = [make_group() for _ in range(3)]
    client.force_login(make_user())
    for group in groups:
        url = reverse("accounts:organizer-request", args=[group.slug])
        response = client.post(url, {"message": "I chair the Tuesday meeting."}, follow=True)
        assert response.status_code == 200
    assert OrganizerRequest.objects.count() == 2
    assert "Please try again tomorrow" in response.content.decode()


def test_new_group_listings_are_limited_per_person_per_day(client, monkeypatch):
    monkeypatch.setattr(directory_services, "GROUP_LISTINGS_PER_DAY", 2)
    make_place(code="55404")
    fellowship = make_fellowship()
    client.force_login(make_user())
    for n in range(3):
        data = {
            "group-fellowship": fellowship.pk,
            "group-name": f"Lakeside Serenity {n}",
            "meeting-day": "2",
            "meeting-start_time": "18:30",
            "meeting-access": "open",
            "meeting-attendance": "online",
            "meeting-timezone": "America/Chicago",
            "meeting-conference_url": "https://zoom.us/j/1",
            "meeting-based_in": "55404",
        }
        response = client.post(reverse("accounts:group-new"), data)
    assert response.status_code == 200
    assert "Please try again tomorrow" in response.content.decode()
    assert Group.objects.filter(name__startswith="Lakeside").count() == 2


def test_an_old_request_does_not_count_against_today(client, monkeypatch):
    monkeypatch.setattr(directory_services, "ORGANIZER_REQUESTS_PER_DAY", 1)
    user = make_user()
    old = OrganizerRequest.objects.create(user=user, group=make_group())
    OrganizerRequest.objects.filter(pk=old.pk).update(created=old.created - dt.timedelta(days=2))
    client.force_login(user)
    group = make_group()
    client.post(reverse("accounts:organizer-request", args=[group.slug]), {"message": "Secretary"})
    assert OrganizerRequest.objects.filter(group=group).exists()


# The organizer permission matrix, over HTTP --------------------------------------------

# (method, URL, data, has it changed?) for what an attacker would try on a meeting,
# group or report of the group "ours".
ACTIONS = {
    "change meeting": (
        "post",
        lambda w: reverse("manage:meetings_meeting_change", args=[w["mine"].pk]),
        lambda w: meeting_form_data(w["mine"], start_time="06:00", end_time="07:00"),
        lambda w: Meeting.objects.get(pk=w["mine"].pk).start_time == dt.time(6, 0),
    ),
    "retire meeting": (
        "post",
        lambda w: reverse("manage:meetings_meeting_delete", args=[w["mine"].pk]),
        lambda w: {"post": "yes"},
        lambda w: Meeting.objects.get(pk=w["mine"].pk).status == Meeting.Status.INACTIVE,
    ),
    "meeting history": (
        "get",
        lambda w: reverse("manage:meetings_meeting_history", args=[w["mine"].pk]),
        lambda w: {},
        None,
    ),
    "confirm meeting": (
        "post",
        lambda w: reverse("accounts:meeting-confirm", args=[w["mine"].slug]),
        lambda w: {},
        lambda w: Meeting.objects.get(pk=w["mine"].pk).last_confirmed is not None,
    ),
    "confirm group": (
        "post",
        lambda w: reverse("accounts:group-confirm", args=[w["ours"].slug]),
        lambda w: {},
        lambda w: Meeting.objects.get(pk=w["mine"].pk).last_confirmed is not None,
    ),
    "resolve report": (
        "post",
        lambda w: reverse("manage:meetings_problemreport_changelist"),
        lambda w: {"action": "resolve", "_selected_action": [w["report"].pk]},
        lambda w: ProblemReport.objects.get(pk=w["report"].pk).status == "resolved",
    ),
    "view report": (
        "get",
        lambda w: reverse("manage:meetings_problemreport_change", args=[w["report"].pk]),
        lambda w: {},
        None,
    ),
    "rename group": (
        "post",
        lambda w: reverse("manage:directory_group_change", args=[w["ours"].pk]),
        lambda w: {
            "name": "Renamed",
            "description": "",
            "website": "",
            "email": "",
            "phone": "",
            "meetings-TOTAL_FORMS": "0",
            "meetings-INITIAL_FORMS": "0",
        },
        lambda w: Group.objects.get(pk=w["ours"].pk).name == "Renamed",
    ),
}


@pytest.mark.parametrize("role", ["owner", "staff", "stranger", "anonymous"])
@pytest.mark.parametrize("action", list(ACTIONS))
def test_the_permission_matrix_over_http(client, world, action, role):
    method, url, data, changed = ACTIONS[action]
    if role != "anonymous":
        client.force_login(world[role])
    response = getattr(client, method)(url(world), data(world))
    if role in ("owner", "staff"):
        assert response.status_code in (200, 302), response.status_code
        # A redirect to sign in (or to the admin's front page) is a refusal, not a pass.
        if response.status_code == 302:
            assert "login" not in response["Location"], response["Location"]
        if changed:
            assert changed(world), getattr(response, "context", None) and response.context.get(
                "errors"
            )
        return
    if role == "anonymous":
        assert response.status_code == 302 and "login" in response["Location"]
    elif action == "resolve report":
        # The changelist is the stranger's own; another's report is simply not in it.
        assert response.status_code in (200, 302)
    else:
        assert response.status_code in (403, 404), response.status_code
    if changed:
        assert not changed(world)


# No organizer email or private field in public ------------------------------------------

SECRETS = [
    "secret.organizer@example.org",
    "Zebulon Private",  # the organizer's display name: seen by staff and co-organizers only
    "reporter.private@example.net",
    "REPORT-MESSAGE-PRIVATE",
    "REQUEST-MESSAGE-PRIVATE",
    "staff.steward@example.org",
]


def test_no_organizer_email_or_private_field_is_public(client):
    make_place(code="55404")
    group = make_group(email="hello@sunrisegroup.org", phone="612-555-0100")
    meeting = make_meeting(
        group=group, attendance="hybrid", conference_url="https://zoom.us/j/9", notes="Coffee."
    )
    online = make_meeting(group=group, attendance="online", conference_url="https://zoom.us/j/8")
    organizer = make_organizer(
        group, email="secret.organizer@example.org", display_name="Zebulon Private"
    )
    staff = make_user(
        email="staff.steward@example.org", is_staff=True, display_name="Zebulon Private"
    )
    ProblemReport.objects.create(
        meeting=meeting,
        category="time",
        email="reporter.private@example.net",
        message="REPORT-MESSAGE-PRIVATE",
    )
    OrganizerRequest.objects.create(user=staff, group=group, message="REQUEST-MESSAGE-PRIVATE")
    # An edit through /manage/ puts the organizer in the meeting's history, and confirms it.
    client.force_login(organizer)
    url = reverse("manage:meetings_meeting_change", args=[meeting.pk])
    assert (
        client.post(
            url, meeting_form_data(meeting, start_time="18:00", end_time="19:00")
        ).status_code
        == 302
    )
    client.post(reverse("accounts:meeting-confirm", args=[online.slug]))
    client.logout()

    pages = [
        *public_html_pages(meeting),
        online.get_absolute_url(),
        reverse("meetings:meeting-feed"),
        reverse("meetings:meeting-ics", args=[meeting.slug]),
        "/meetings.ics?near=55404",
        "/meetings.ics",
        "/sitemap.xml",
        "/robots.txt",
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode()
        for secret in SECRETS:
            assert secret.lower() not in text.lower(), (page, secret)
    # The group's own public contact is meant to be shown.
    assert "hello@sunrisegroup.org" in client.get(group.get_absolute_url()).content.decode()
