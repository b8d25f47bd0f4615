"""Registered sources and their syncs, over real HTTP from a local server serving the
sample feeds of ../shared/data and altered copies of them."""

import datetime as dt
import io
import json
import time

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from pytest_httpserver import HTTPServer
from werkzeug import Response

from directory.models import Fellowship
from meetings import syncing
from meetings.models import Meeting, Source, SyncAttempt
from meetings.syncing import (
    last_finished_attempt,
    source_claim,
    sources_sync,
)
from tests.conftest import SHARED_DATA, make_user, needs_shared_data
from tests.test_import_meetings import feed_row

pytestmark = pytest.mark.django_db

DATA = SHARED_DATA
SAN_JOSE_2018 = DATA / "aa-san-jose-2018.meeting-guide.json"
SAN_JOSE_2021 = DATA / "aa-san-jose-2021.meeting-guide.json"
MINNEAPOLIS = DATA / "aa-minneapolis-2018.meeting-guide.json"
NEW_YORK = DATA / "na-greater-new-york-2018.bmlt.json"

CHALLENGE = (
    b"<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
    b'<body><div id="cf-chl-widget">Checking your browser</div></body></html>'
)


@pytest.fixture(autouse=True)
def quick(settings):
    """No pauses between retries, no retries unless a test asks, no interval."""
    settings.SOURCE_RETRY_PAUSE = 0
    settings.SOURCE_FETCH_RETRIES = 0
    settings.SOURCE_MIN_INTERVAL_MINUTES = 0
    settings.SOURCE_FETCH_TIMEOUT = 5
    settings.SITE_URL = "https://recoverymap.example"


@pytest.fixture
def aa(db):
    call_command("loaddata", "fellowships", "meeting_types", verbosity=0)
    return Fellowship.objects.get(slug="aa")


class Feed:
    """What the local server answers on one path: a body with an ETag, honouring
    If-None-Match with a 304; or a status, a slow answer, a content type."""

    def __init__(self, httpserver, path="/meetings.json"):
        self.body = b"[]"
        self.status = 200
        self.content_type = "application/json"
        self.delay = 0.0
        self.requests = []
        self.url = httpserver.url_for(path)
        httpserver.expect_request(path).respond_with_handler(self.respond)

    def serve(self, body, **kw):
        self.body = body if isinstance(body, bytes) else json.dumps(body).encode()
        for name, value in kw.items():
            setattr(self, name, value)
        return self

    @property
    def etag(self) -> str:
        return f'"{hash(self.body) & 0xFFFFFFFF:x}"'

    def respond(self, request):
        self.requests.append(dict(request.headers))
        if self.delay:
            time.sleep(self.delay)
        if self.status != 200:
            return Response(b"Server error", status=self.status, content_type="text/plain")
        if request.headers.get("If-None-Match") == self.etag:
            return Response(status=304, headers={"ETag": self.etag})
        return Response(
            self.body, status=200, content_type=self.content_type, headers={"ETag": self.etag}
        )


def san_jose(year=2018) -> list:
    return json.loads((SAN_JOSE_2018 if year == 2018 else SAN_JOSE_2021).read_text())


def register(fellowship, url, name="San Jose", **kw) -> Source:
    defaults = {
        "format": Source.Format.MEETING_GUIDE,
        "default_timezone": "America/Los_Angeles",
        "retire_missing": True,
        "attribution_name": "San Jose Central Office",
        "attribution_url": "https://aasanjose.example",
    }
    defaults.update(kw)
    return Source.objects.create(name=name, url=url, fellowship=fellowship, **defaults)


def sync(*sources, **kw):
    results = sources_sync(sources=list(sources), **kw)
    for source in sources:
        source.refresh_from_db()
    return results


def active(source) -> int:
    return Meeting.objects.filter(feed=source).exclude(status=Meeting.Status.INACTIVE).count()


# A source changing over time -----------------------------------------------------------


@needs_shared_data
def test_a_first_sync_applies_the_feed_and_an_unchanged_one_costs_a_304(aa, httpserver):
    feed = Feed(httpserver).serve(san_jose())
    source = register(aa, feed.url)

    (result,) = sync(source)

    attempt = result.attempt
    assert attempt.outcome == SyncAttempt.Outcome.APPLIED
    assert attempt.read == 568 and attempt.created == active(source) > 500
    assert attempt.in_person + attempt.online + attempt.hybrid == attempt.created
    assert feed.requests[0]["User-Agent"].startswith("RecoveryMap/")
    assert "https://recoverymap.example" in feed.requests[0]["User-Agent"]
    meeting = Meeting.objects.filter(feed=source).first()
    assert meeting.source == source.import_key
    page = result.line()
    assert page.startswith("San Jose: applied (read 568, created")

    history = Meeting.history.count()
    (again,) = sync(source)

    assert feed.requests[1]["If-None-Match"] == feed.etag
    assert again.attempt.outcome == SyncAttempt.Outcome.UNCHANGED
    assert again.attempt.http_status == 304
    assert Meeting.history.count() == history
    assert last_finished_attempt() == again.attempt


@needs_shared_data
def test_a_changed_feed_updates_adds_and_retires_by_slug(aa, httpserver, settings):
    settings.SOURCE_MAX_RETIRE_PERCENT = 50
    feed = Feed(httpserver).serve(san_jose(2018))
    source = register(aa, feed.url)
    sync(source)
    before = set(Meeting.objects.filter(feed=source).values_list("source_key", flat=True))

    feed.serve(san_jose(2021))
    (result,) = sync(source)

    attempt = result.attempt
    assert attempt.outcome == SyncAttempt.Outcome.APPLIED
    assert attempt.read == 693
    assert attempt.created > 0 and attempt.updated > 0 and attempt.retired > 0
    now = set(
        Meeting.objects.filter(feed=source)
        .exclude(status=Meeting.Status.INACTIVE)
        .values_list("source_key", flat=True)
    )
    kept = {row["slug"] for row in san_jose(2021)}
    assert now <= kept
    gone = before - kept
    assert (
        gone
        and not Meeting.objects.filter(
            feed=source, source_key__in=gone, status=Meeting.Status.ACTIVE
        ).exists()
    )


@pytest.fixture
def held(aa, httpserver, client):
    """San Jose synced, then its feed cut to a tenth: (source, active before, attempt),
    with a steward signed in to the admin."""
    client.force_login(make_user(is_staff=True, is_superuser=True))
    feed = Feed(httpserver).serve(san_jose())
    source = register(aa, feed.url)
    sync(source)
    count = active(source)
    feed.serve(san_jose()[:57])
    (result,) = sync(source)
    return source, count, result.attempt


def review(client, action, attempt):
    return client.post(
        reverse("admin:meetings_syncattempt_changelist"),
        {"action": action, "_selected_action": [attempt.pk]},
        follow=True,
    )


@needs_shared_data
def test_a_feed_truncated_to_a_tenth_is_held_and_staff_may_apply_it(held, client):
    source, count, attempt = held

    assert attempt.outcome == SyncAttempt.Outcome.HELD
    assert attempt.retired > count // 2 and attempt.held_content
    assert active(source) == count  # nothing retired

    response = review(client, "apply_held", attempt)

    assert "1 held sync applied." in response.content.decode()
    attempt.refresh_from_db()
    assert attempt.outcome == SyncAttempt.Outcome.APPLIED and attempt.reviewed_by is not None
    assert active(source) <= 57


@needs_shared_data
def test_a_held_sync_can_be_discarded_and_the_meetings_stay(held, client):
    source, count, attempt = held

    review(client, "discard_held", attempt)

    attempt.refresh_from_db()
    assert attempt.outcome == SyncAttempt.Outcome.DISCARDED
    assert attempt.held_content is None
    assert active(source) == count


def test_a_held_sync_emails_staff(aa, httpserver, django_capture_on_commit_callbacks):
    make_user(is_staff=True, email="steward@example.org")
    make_user(email="visitor@example.org")
    feed = Feed(httpserver)
    rows = [feed_row(f"meeting-{n}") for n in range(10)]
    source = register(aa, feed.url)
    feed.serve(rows)
    sync(source)
    feed.serve(rows[:5])

    with django_capture_on_commit_callbacks(execute=True):
        (result,) = sync(source)

    assert result.attempt.outcome == SyncAttempt.Outcome.HELD
    assert [m.to for m in mail.outbox] == [["steward@example.org"]]
    assert "held for review" in mail.outbox[0].subject
    assert "/admin/meetings/source/" in mail.outbox[0].body


def test_the_share_a_sync_may_retire_is_a_setting_and_a_per_source_override(aa, httpserver):
    feed = Feed(httpserver)
    rows = [feed_row(f"meeting-{n}") for n in range(10)]
    source = register(aa, feed.url, max_retire_percent=60)
    feed.serve(rows)
    sync(source)

    feed.serve(rows[:5])  # half: over the default 20 %, under this source's 60 %
    (result,) = sync(source)

    assert result.attempt.outcome == SyncAttempt.Outcome.APPLIED
    assert result.attempt.retired == 5 and active(source) == 5


# Answers that are not meetings ------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "kind"),
    [
        (b"[]", "application/json", "empty"),
        (CHALLENGE, "text/html", "challenge"),
        (b"<html><body><h1>Welcome to our site</h1></body></html>", "text/html", "html"),
        (b"meetings: none today", "text/plain", "not_json"),
        (b'{"error": "maintenance"}', "application/json", "schema"),
        (b'[{"name": "No day", "slug": "x"}]', "application/json", "no_meetings"),
    ],
)
def test_an_answer_that_is_not_meetings_fails_and_changes_nothing(
    aa, httpserver, client, body, content_type, kind
):
    feed = Feed(httpserver).serve([feed_row("kept")])
    source = register(aa, feed.url)
    sync(source)
    meeting = Meeting.objects.get(feed=source)

    feed.serve(body, content_type=content_type)
    (result,) = sync(source)

    assert result.attempt.outcome == SyncAttempt.Outcome.FAILED
    assert result.attempt.error_kind == kind
    assert result.failed and "failed" in result.line()
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.ACTIVE
    assert client.get(meeting.get_absolute_url()).status_code == 200


def test_a_server_error_is_retried_with_back_off_then_recorded(
    aa, httpserver, settings, monkeypatch
):
    settings.SOURCE_FETCH_RETRIES = 2
    settings.SOURCE_RETRY_PAUSE = 0.01
    pauses = []
    monkeypatch.setattr(syncing, "_pause", pauses.append)
    feed = Feed(httpserver).serve([feed_row()], status=500)

    (result,) = sync(register(aa, feed.url))

    assert len(feed.requests) == 3
    assert pauses == [0.01, 0.02]
    assert result.attempt.error_kind == "http" and result.attempt.http_status == 500
    assert "HTTP 500" in result.attempt.message


def test_a_client_error_is_not_retried(aa, httpserver, settings):
    settings.SOURCE_FETCH_RETRIES = 2
    feed = Feed(httpserver).serve([feed_row()], status=403)
    (result,) = sync(register(aa, feed.url))

    assert len(feed.requests) == 1
    assert result.attempt.http_status == 403


@pytest.fixture
def threaded_httpserver():
    """A server answering several requests at once, as real ones do."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


def test_a_slow_server_times_out_without_holding_up_another_source(
    aa, threaded_httpserver, settings
):
    httpserver = threaded_httpserver
    settings.SOURCE_FETCH_TIMEOUT = 1
    slow = Feed(httpserver, "/slow.json").serve([feed_row("slow")], delay=2.5)
    fast = Feed(httpserver, "/fast.json").serve([feed_row("fast")])
    first = register(aa, slow.url, name="Slow")
    second = register(aa, fast.url, name="Fast")

    started = time.monotonic()
    slow_result, fast_result = sync(first, second)

    assert time.monotonic() - started < 2.4
    assert slow_result.attempt.error_kind == "timeout"
    assert fast_result.attempt.outcome == SyncAttempt.Outcome.APPLIED
    assert active(second) == 1 and active(first) == 0


def test_a_body_over_the_size_limit_is_refused(aa, httpserver, settings):
    settings.SOURCE_MAX_BYTES = 1000
    feed = Feed(httpserver).serve([feed_row(f"m-{n}") for n in range(20)])
    (result,) = sync(register(aa, feed.url))

    assert result.attempt.error_kind == "too_large"
    assert Meeting.objects.count() == 0


# Many sources, many machines -----------------------------------------------------------


@needs_shared_data
def test_two_sources_with_the_same_slugs_keep_their_own_meetings(aa, httpserver):
    old = Feed(httpserver, "/2018.json").serve(san_jose(2018))
    new = Feed(httpserver, "/2021.json").serve(san_jose(2021))
    first = register(aa, old.url, name="San Jose 2018")
    second = register(aa, new.url, name="San Jose 2021")

    a, b = sync(first, second)

    assert a.attempt.outcome == b.attempt.outcome == SyncAttempt.Outcome.APPLIED
    shared = {r["slug"] for r in san_jose(2018)} & {r["slug"] for r in san_jose(2021)}
    assert shared
    for slug in list(shared)[:20]:
        assert Meeting.objects.filter(source_key=slug).count() == 2
    assert active(first) == a.attempt.created and active(second) == b.attempt.created


def test_a_source_another_sync_holds_is_skipped(aa, httpserver):
    feed = Feed(httpserver).serve([feed_row()])
    source = register(aa, feed.url)
    assert source_claim(source=source, owner="other-machine")

    (result,) = sync(source)

    assert result.attempt is None and result.skipped == "another sync holds it"
    assert feed.requests == []
    # A lease that has run out (a crashed machine's) is taken over.
    Source.objects.filter(pk=source.pk).update(lease_until=timezone.now() - dt.timedelta(1))
    (result,) = sync(source)
    assert result.attempt.outcome == SyncAttempt.Outcome.APPLIED
    source.refresh_from_db()
    assert source.lease_until is None


def test_only_one_of_two_claims_wins(aa, httpserver):
    source = register(aa, "http://127.0.0.1:9/none.json")

    assert source_claim(source=source, owner="machine-a") is True
    assert source_claim(source=source, owner="machine-b") is False


def test_a_source_is_not_fetched_again_within_its_interval(aa, httpserver, settings):
    settings.SOURCE_MIN_INTERVAL_MINUTES = 60
    feed = Feed(httpserver).serve([feed_row()])
    source = register(aa, feed.url)
    sync(source)

    (result,) = sync(source)
    assert result.skipped == "fetched too recently" and len(feed.requests) == 1
    (result,) = sync(source, force=True)
    assert result.attempt.outcome == SyncAttempt.Outcome.UNCHANGED


def test_a_source_failing_for_days_emails_staff_once(
    aa, httpserver, settings, django_capture_on_commit_callbacks
):
    settings.SOURCE_FAILING_DAYS = 3
    make_user(is_staff=True, email="steward@example.org")
    feed = Feed(httpserver).serve([feed_row()], status=503)
    source = register(aa, feed.url)
    SyncAttempt.objects.create(
        source=source,
        started=timezone.now() - dt.timedelta(days=4),
        finished=timezone.now() - dt.timedelta(days=4),
        outcome=SyncAttempt.Outcome.FAILED,
        error_kind="http",
    )

    with django_capture_on_commit_callbacks(execute=True):
        sync(source)
        sync(source)

    assert len(mail.outbox) == 1
    assert "failing" in mail.outbox[0].subject and mail.outbox[0].to == ["steward@example.org"]
    # A success ends the streak: the next run of failures is told again.
    feed.serve([feed_row()], status=200)
    sync(source)
    assert source.failure_notified is None


# The command ------------------------------------------------------------------------


def test_the_command_adds_lists_and_syncs(aa, httpserver):
    feed = Feed(httpserver).serve([feed_row("one"), feed_row("two")])
    out = io.StringIO()
    call_command(
        "sources",
        "add",
        "Test Intergroup",
        feed.url,
        "--format",
        "meeting-guide",
        "--fellowship",
        "aa",
        "--type-map",
        "BB=B",
        "--timezone",
        "America/Chicago",
        "--retire-missing",
        stdout=out,
    )
    source = Source.objects.get(name="Test Intergroup")
    assert source.type_map == {"BB": "B"} and source.retire_missing

    call_command("sources", "sync", stdout=out)
    call_command("sources", "list", stdout=out)

    text = out.getvalue()
    assert "Test Intergroup: applied (read 2, created 2" in text
    assert "1 sources: 1 applied, 0 unchanged, 0 held, 0 failed, 0 skipped." in text
    table = text.splitlines()[-2:]
    assert table[0].split()[:6] == ["name", "format", "fellowship", "meetings", "last", "success"]
    assert table[1].startswith("Test Intergroup") and "applied" in table[1]


def test_the_command_exits_non_zero_when_a_source_fails(aa, httpserver):
    bad = Feed(httpserver, "/bad.json").serve(b"", status=500)
    good = Feed(httpserver, "/good.json").serve([feed_row()])
    register(aa, bad.url, name="Bad")
    register(aa, good.url, name="Good")
    out = io.StringIO()

    with pytest.raises(CommandError, match="1 of 2 sources failed"):
        call_command("sources", "sync", stdout=out)

    assert "Bad: failed, HTTP error status: HTTP 500" in out.getvalue()
    assert "Good: applied" in out.getvalue()


def test_the_command_refuses_bad_input(aa):
    with pytest.raises(CommandError, match="No fellowship"):
        call_command("sources", "add", "X", "/tmp/x.json", "--format", "csv", "--fellowship", "zz")
    with pytest.raises(CommandError, match="not a time zone|time zone"):
        call_command(
            "sources", "add", "X", "x.json", "--format", "csv", "--fellowship", "aa",
            "--timezone", "Mars/Olympus",
        )  # fmt: skip
    with pytest.raises(CommandError, match="No source named Nope"):
        call_command("sources", "sync", "Nope")


@needs_shared_data
def test_the_two_real_sample_feeds_sync_as_file_sources(aa):
    call_command("loaddata", "fellowships", verbosity=0)
    na = Fellowship.objects.get(slug="na")
    minneapolis = register(
        aa,
        MINNEAPOLIS.as_uri(),
        name="Minneapolis",
        type_map={"HE": ""},
        default_timezone="America/Chicago",
    )
    new_york = register(
        na, str(NEW_YORK), name="Greater New York", format=Source.Format.BMLT, retire_missing=False
    )

    a, b = sync(minneapolis, new_york)

    assert (a.attempt.outcome, a.attempt.read) == (SyncAttempt.Outcome.APPLIED, 1048)
    assert (b.attempt.outcome, b.attempt.read) == (SyncAttempt.Outcome.APPLIED, 1555)
    (again,) = sync(minneapolis, force=True)
    assert again.attempt.outcome == SyncAttempt.Outcome.UNCHANGED


# What visitors see -------------------------------------------------------------------


def synced(aa, httpserver, rows, **kw) -> Source:
    feed = Feed(httpserver).serve(rows)
    source = register(aa, feed.url, **kw)
    sync(source)
    source.feed = feed
    return source


def test_a_meeting_page_says_who_lists_it_and_never_a_contact_email(aa, httpserver, client):
    source = synced(
        aa, httpserver, [feed_row()], correction_contact="corrections.person@example.org"
    )
    meeting = Meeting.objects.get(feed=source)

    page = client.get(meeting.get_absolute_url()).content.decode()

    assert "Listed by" in page and "San Jose Central Office" in page
    assert 'href="https://aasanjose.example"' in page
    assert "updated" in page and "ago" in page
    assert "corrections.person@example.org" not in page


def test_a_feedback_url_is_offered_as_the_way_to_send_a_correction(aa, httpserver, client):
    source = synced(aa, httpserver, [feed_row()], correction_contact="https://sj.example/fix")
    page = client.get(Meeting.objects.get(feed=source).get_absolute_url()).content.decode()

    assert 'href="https://sj.example/fix"' in page and "Send a correction to" in page


def test_a_meeting_entered_here_claims_no_source(client):
    from tests.conftest import make_meeting

    page = client.get(make_meeting().get_absolute_url()).content.decode()
    assert "Listed by" not in page


def test_the_sources_page_lists_each_source_with_its_meetings_and_last_sync(aa, httpserver, client):
    synced(aa, httpserver, [feed_row("a"), feed_row("b", day="2")])
    register(aa, "/nowhere.json", name="Never read", attribution_name="Quiet Intergroup")

    response = client.get(reverse("meetings:source-list"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "San Jose Central Office" in page and "Quiet Intergroup" in page
    assert "<td>2</td>" in page and "Not yet read" in page
    assert reverse("meetings:source-list") in client.get("/").content.decode()


def test_a_problem_report_reaches_the_sources_correction_contact_without_the_reporter(
    aa, httpserver, client, django_capture_on_commit_callbacks
):
    source = synced(aa, httpserver, [feed_row()], correction_contact="fixes@sj.example")
    meeting = Meeting.objects.get(feed=source)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("meetings:meeting-report", args=[meeting.slug]),
            {"category": "time", "message": "Starts at 7:30", "email": "v@example.org"},
        )

    (message,) = [m for m in mail.outbox if m.to == ["fixes@sj.example"]]
    assert "Starts at 7:30" in message.body and meeting.get_absolute_url() in message.body
    assert "v@example.org" not in message.body


def test_an_organizers_edit_stays_until_the_source_changes_that_field(
    aa, httpserver, client, settings
):
    from tests.conftest import meeting_form_data

    settings.SOURCE_MAX_RETIRE_PERCENT = 100
    rows = [feed_row("edited", name="Morning Serenity"), feed_row("other", day="3")]
    source = synced(aa, httpserver, rows)
    meeting = Meeting.objects.get(feed=source, source_key="edited")
    client.force_login(make_user(is_staff=True, is_superuser=True))
    client.post(
        reverse("admin:meetings_meeting_change", args=[meeting.pk]),
        meeting_form_data(meeting, name="Morning Serenity Group", notes="Ring the bell."),
    )
    meeting.refresh_from_db()
    assert meeting.name == "Morning Serenity Group"

    # The source changes another meeting only: the organizer's edit stays, and says so.
    source.feed.serve([rows[0], feed_row("other", day="3", notes="New notes")])
    sync(source, force=True)
    meeting.refresh_from_db()
    assert (meeting.name, meeting.notes) == ("Morning Serenity Group", "Ring the bell.")
    assert (
        "Its organizers have changed this listing"
        in client.get(meeting.get_absolute_url()).content.decode()
    )

    # The source renames the meeting too: its new name wins; the notes stay the organizer's.
    source.feed.serve([feed_row("edited", name="Serenity at Seven"), rows[1]])
    sync(source, force=True)
    meeting.refresh_from_db()
    assert (meeting.name, meeting.notes) == ("Serenity at Seven", "Ring the bell.")
    assert set(meeting.organizer_kept) == {"notes"}


def test_a_meeting_two_sources_list_is_shown_once_crediting_both(aa, httpserver, client):
    first = Feed(httpserver, "/first.json").serve([feed_row("serenity")])
    second = Feed(httpserver, "/second.json").serve([feed_row("sunrise-serenity-mon")])
    a = register(aa, first.url, name="Intergroup", attribution_name="Minneapolis Intergroup")
    b = register(aa, second.url, name="District", attribution_name="District 5")

    sync(a, b)

    shown = Meeting.objects.public()
    assert shown.count() == 1
    page = client.get(shown.get().get_absolute_url()).content.decode()
    assert "Minneapolis Intergroup" in page and "District 5" in page
    assert "source:" not in page


def test_the_boxes_around_far_apart_towns_hold_each_town_not_the_land_between():
    from recoverymap.lib.geo import boxes_around

    towns = [(44.97, -93.27), (46.78, -92.10), (34.05, -118.24)]
    boxes = boxes_around(towns, 5)

    def inside(lat, lng):
        return any(s <= lat <= n and w <= lng <= e for s, n, w, e in boxes)

    assert len(boxes) == 3
    assert all(inside(lat + 0.06, lng) and inside(lat, lng - 0.08) for lat, lng in towns)
    assert not inside(40.0, -100.0)
    assert not inside(44.97, -92.10)
    assert len(boxes_around(towns, 5, most=2)) == 1


def test_a_sync_reads_only_the_records_that_changed_and_brings_back_a_returning_one(
    aa, httpserver, settings, monkeypatch
):
    from meetings import importing

    settings.SOURCE_MAX_RETIRE_PERCENT = 100
    rows = [feed_row("a"), feed_row("b", day="3"), feed_row("c", day="5")]
    source = synced(aa, httpserver, rows)
    read = []
    real_row = importing._Importer._row
    monkeypatch.setattr(
        importing._Importer,
        "_row",
        lambda self, record: read.append(record.key) or real_row(self, record),
    )

    # One record changed, one gone: only the changed one is read; the gone one retires.
    source.feed.serve([rows[0], feed_row("b", day="3", notes="Ring the bell twice.")])
    (result,) = sync(source, force=True)
    assert read == ["b"], result.line()
    assert (result.attempt.unchanged, result.attempt.updated, result.attempt.retired) == (1, 1, 1)
    assert Meeting.objects.get(feed=source, source_key="b").notes == "Ring the bell twice."
    assert Meeting.objects.get(feed=source, source_key="c").status == Meeting.Status.INACTIVE

    # The retired one comes back as it was: it is read again and listed again.
    read.clear()
    source.feed.serve([rows[0], feed_row("b", day="3", notes="Ring the bell twice."), rows[2]])
    (result,) = sync(source, force=True)
    assert read == ["c"]
    assert Meeting.objects.get(feed=source, source_key="c").status == Meeting.Status.ACTIVE
    assert active(source) == 3

    # A new way of reading the source (its type map) reads every record again.
    read.clear()
    Source.objects.filter(pk=source.pk).update(type_map={"X": "WC"})
    source.refresh_from_db()
    changed = feed_row("b", day="3", notes="Ring the bell twice.")
    source.feed.serve([rows[0], changed, rows[2], feed_row("d", day="6")])
    sync(source, force=True)
    assert sorted(read) == ["a", "b", "c", "d"]
