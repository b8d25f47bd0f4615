"""Our feed in the field's real client: TSML UI (built, in ../shared/clients/tsml-ui/),
embedded in a page of another site (another origin, so CORS is exercised) and pointed at
the live server's feed, lists every meeting we export, online ones included.
"""

import datetime as dt
import functools
import io
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit
from urllib.request import urlopen
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from directory.models import Fellowship
from meetings.formats import parse
from meetings.importing import meetings_import

SHARED = Path(__file__).resolve().parents[3] / "shared"
TSML_UI = SHARED / "clients" / "tsml-ui" / "app.js"
MINNEAPOLIS = SHARED / "data" / "aa-minneapolis-2018.meeting-guide.json"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not (TSML_UI.exists() and MINNEAPOLIS.exists()),
        reason="../shared (TSML UI and the sample feeds) is not beside the project",
    ),
]


class _SiteHandler(BaseHTTPRequestHandler):
    """A service body's site: one page embedding TSML UI, and the client's script."""

    def __init__(self, *args, feed_url: str, **kwargs):
        self.feed_url = feed_url
        super().__init__(*args, **kwargs)

    def do_GET(self):  # noqa: N802 (the standard library's name)
        if self.path == "/app.js":
            body, kind = TSML_UI.read_bytes(), "text/javascript"
        elif self.path in {"/", "/meetings/"}:
            body = (
                '<!doctype html><html lang="en"><head><meta charset="utf-8">'
                "<title>Meetings</title></head><body>"
                f'<div id="tsml-ui" data-src="{self.feed_url}"></div>'
                '<script src="/app.js" async></script></body></html>'
            ).encode()
            kind = "text/html; charset=utf-8"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def site(live_server):
    """The other site, on 127.0.0.1 and a port of its own, with TSML UI on our feed."""
    feed_url = f"{live_server.url}/api/meetings.json"
    handler = functools.partial(_SiteHandler, feed_url=feed_url)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_port}/", feed_url=feed_url)
    server.shutdown()
    server.server_close()


@pytest.fixture
def demo_and_minneapolis(live_server):
    """A small demo directory and the Minneapolis sample feed imported as AA."""
    call_command("loaddata", "fellowships", "meeting_types", verbosity=0)
    call_command("load_places", stdout=io.StringIO())
    call_command("seed_demo", meetings=80, seed=11, stdout=io.StringIO())
    meetings_import(
        records=parse(MINNEAPOLIS.read_bytes(), "meeting-guide"),
        fellowship=Fellowship.objects.get(slug="aa"),
        source="minneapolis",
        type_map={"HE": ""},
        default_timezone="America/Chicago",
    )


def _local_only(route):
    """Only this machine (our live server, the other site): map tiles and the rest abort."""
    if urlsplit(route.request.url).hostname in {"127.0.0.1", "localhost"}:
        route.fallback()
    else:
        route.abort()


_COUNTS = """name => Object.fromEntries(
    [...document.querySelectorAll(`#tsml-ui [aria-labelledby="${name}"] button`)]
        .filter(b => b.children.length === 2)
        .map(b => [b.children[0].textContent, Number(b.children[1].textContent)]))"""


def _counts(page, dropdown: str) -> dict[str, int]:
    """TSML UI's own counts of the meetings it lists, by the options of one of its
    filters (weekday, type...): what it shows beside each option."""
    return page.evaluate(_COUNTS, dropdown)


def test_tsml_ui_lists_every_meeting_we_export_online_ones_included(
    browser, live_server, site, demo_and_minneapolis
):
    with urlopen(site.feed_url) as response:  # noqa: S310 (the live server, on 127.0.0.1)
        exported = json.load(response)
    online = [row for row in exported if row["attendance_option"] == "online"]
    assert len(exported) > 1000 and len(online) >= 3

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    context.route("**/*", _local_only)
    page = context.new_page()
    warnings = []
    page.on(
        "console",
        lambda message: message.type == "warning" and warnings.append(message.text),
    )
    page.goto(site.url)
    page.locator("#tsml-ui tbody td.tsml-name a").first.wait_for()
    assert [text for text in warnings if text.startswith("TSML UI")] == []
    # Every meeting has one weekday: the days' counts add up to all it lists (the list
    # itself grows 25 rows at a time as it is scrolled, too slowly to read whole).
    by_day = _counts(page, "weekday")
    assert sum(by_day.values()) == len(exported)
    # Online and in person as TSML UI derives them from our rows (hybrid is both).
    by_type = _counts(page, "type")
    attendance = [row["attendance_option"] for row in exported]
    assert by_type["Online"] == sum(a in {"online", "hybrid"} for a in attendance)
    assert by_type["In-person"] == sum(a in {"in_person", "hybrid"} for a in attendance)

    # One online meeting's page in the client: told as online, with its join button.
    meeting = online[0]
    page.goto(f"{site.url}#/{meeting['slug']}")
    page.get_by_role("heading", name=meeting["name"]).first.wait_for()
    assert page.locator(f'a[href="{meeting["conference_url"]}"]').count() >= 1
    context.close()


# Past midnight, in the client: "in progress" and add-to-calendar -----------------------

# A Monday at 23:45 in Minneapolis (2026-12-07), as the visitor's clock.
LATE_MONDAY = dt.datetime(2026, 12, 7, 23, 45, tzinfo=ZoneInfo("America/Chicago"))


@pytest.fixture
def past_midnight(live_server):
    """Two Monday meetings that end after midnight: one of an hour (23:30–00:30), one
    of an hour and a half (23:00–00:30)."""
    from tests.conftest import make_meeting

    hour = make_meeting(name="Night Owls", day=1, start_time=dt.time(23, 30),
                        end_time=dt.time(0, 30))  # fmt: skip
    longer = make_meeting(name="Midnight Oil", day=1, start_time=dt.time(23, 0),
                          end_time=dt.time(0, 30))  # fmt: skip
    return SimpleNamespace(hour=hour, longer=longer)


def _late_page(browser, site):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-US", timezone_id="America/Chicago"
    )
    context.route("**/*", _local_only)
    page = context.new_page()
    page.clock.install(time=LATE_MONDAY)
    return context, page


def _in_progress(page) -> list[str]:
    """The names TSML UI lists as in progress (its button above the list, opened)."""
    page.locator("#tsml-ui tbody td.tsml-name a").first.wait_for()
    button = page.get_by_role("button", name=re.compile(r"in progress"))
    if not button.count():
        return []
    button.click()
    # The meetings in progress are the list's first part, above the rest.
    return page.locator("#tsml-ui tbody").first.locator("td.tsml-name a").all_inner_texts()


def _google_dates(page, slug: str, site) -> tuple[dt.datetime, dt.datetime]:
    """The start and end of the meeting's next occurrence in TSML UI's Google Calendar
    link (its add-to-calendar)."""
    page.goto(f"{site.url}#/{slug}")
    page.get_by_role("button", name="Add to Calendar").click()
    href = page.get_by_role("link", name="Google Calendar").get_attribute("href")
    start, end = parse_qs(urlsplit(href).query)["dates"][0].split("/")
    return tuple(
        dt.datetime.strptime(t, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC) for t in (start, end)
    )


def test_tsml_ui_shows_a_meeting_of_an_hour_past_midnight_in_progress_and_in_calendars(
    browser, live_server, site, past_midnight
):
    context, page = _late_page(browser, site)
    page.goto(site.url)
    assert past_midnight.hour.name in _in_progress(page)

    start, end = _google_dates(page, past_midnight.hour.slug, site)
    local = ZoneInfo("America/Chicago")
    assert start.astimezone(local).strftime("%a %H:%M") == "Mon 23:30"
    assert end - start == dt.timedelta(hours=1)

    # Its iCalendar file too (the menu is still open): DTEND the next day, after DTSTART.
    with page.expect_download() as download:
        page.get_by_role("button", name="iCalendar").click()
    ics = Path(download.value.path()).read_text()
    fields = {
        line.split(";")[0].split(":")[0]: line.rsplit(":", 1)[1]
        for line in ics.splitlines()
        if line.startswith(("DTSTART", "DTEND"))
    }
    assert fields["DTEND"] > fields["DTSTART"]
    assert fields["DTSTART"].endswith("T233000") and fields["DTEND"].endswith("T003000")
    context.close()


def test_tsml_ui_shows_a_longer_meeting_past_midnight_in_progress_and_in_calendars(
    browser, live_server, site, past_midnight
):
    """23:00–00:30 is sent without an end (TSML UI would put 00:30 on the start's day,
    before the start): under way at 23:45, and its calendar event starts at 23:00 and ends
    the next day, an hour later (the client's own length for a meeting with no end)."""
    context, page = _late_page(browser, site)
    page.goto(site.url)
    in_progress = _in_progress(page)
    start, end = _google_dates(page, past_midnight.longer.slug, site)
    context.close()
    assert past_midnight.longer.name in in_progress
    local = ZoneInfo("America/Chicago")
    assert start.astimezone(local).strftime("%a %H:%M") == "Mon 23:00"
    assert end.astimezone(local).strftime("%a %H:%M") == "Tue 00:00"


def test_tsml_ui_lists_a_door_we_placed_only_at_its_zip_centre_as_in_person(
    browser, live_server, site, monkeypatch
):
    """Why such a row says approximate "no" and sends no point: TSML UI takes "yes" for
    "not a place to go" (the meeting "Inactive", its venue and address hidden), as shown
    by sending it the other way too."""
    from django.core.cache import cache

    from meetings import feeds
    from tests.conftest import make_location, make_meeting

    make_meeting(name="Corner Church Group", location=make_location(needs_geocoding=True))

    def listed() -> str:
        # A new browser each time: nothing kept from the last load.
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
        context.route("**/*", _local_only)
        page = context.new_page()
        page.goto(site.url)
        page.locator("#tsml-ui tbody td.tsml-name a").first.wait_for()
        shown = page.locator("#tsml-ui tbody").inner_text()
        context.close()
        return shown

    shown = listed()
    assert "St. Mark's Church" in shown and "519 Oak Grove St" in shown
    assert "Inactive" not in shown

    real_row = feeds.to_feed_row

    def zip_centre_as_approximate(meeting, types, **kwargs):
        row = real_row(meeting, types, **kwargs)
        return {**row, "approximate": "yes", "latitude": 44.97, "longitude": -93.28}

    monkeypatch.setattr(feeds, "to_feed_row", zip_centre_as_approximate)
    cache.clear()
    shown = listed()
    assert "Inactive" in shown
    assert "St. Mark's Church" not in shown and "519 Oak Grove St" not in shown
