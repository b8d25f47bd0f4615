"""Browser tests: Debian's Chromium driven by Playwright (sync API) against the live server.

Playwright never downloads a browser here: it launches /usr/bin/chromium, which CI installs
with apt-get. Without it these tests are skipped, unless RECOVERYMAP_REQUIRE_BROWSER=1 (CI
sets it), when they fail instead. No test reaches the network: every request not to the
live server is aborted.
"""

import datetime as dt
import os
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import sync_playwright

from directory.models import Fellowship
from tests.conftest import make_group, make_location, make_meeting, make_place

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 360, "height": 640}
# Not the meetings' zone, so meeting pages offer to show times on the visitor's clock.
VISITOR_ZONE = "America/New_York"
MEETING_ZONE = ZoneInfo("America/Chicago")
DOWNTOWN = (44.96, -93.26)  # near ZIP 55404

FELLOWSHIPS = ["aa", "na", "smart", "al-anon"]
# (fellowship, name, day with 0 = Sunday, hour, attendance, types)
IN_PERSON = [
    ("aa", "Downtown Big Book", 1, 7, "in_person", ["D", "X"]),
    ("aa", "Women's Serenity", 2, 12, "in_person", ["W", "D"]),
    ("aa", "Sunday Speaker Meeting", 0, 19, "hybrid", ["SP", "X"]),
    ("aa", "Grupo Esperanza", 4, 20, "in_person", ["S"]),
    ("na", "Just for Today", 3, 18, "in_person", ["BE", "X"]),
    ("na", "Clean and Serene", 5, 21, "in_person", ["D"]),
    ("smart", "SMART Tools Tuesday", 2, 18, "in_person", ["D"]),
    ("smart", "SMART Saturday Morning", 6, 9, "in_person", []),
    ("al-anon", "Hope for Families", 1, 19, "in_person", ["X"]),
]
# (fellowship, name, hours from now, types)
ONLINE = [
    ("aa", "Online Early Birds", 1, ["D"]),
    ("na", "Online Recovery Circle", 2, ["W"]),
    ("smart", "SMART Online Check-in", 5, ["BE"]),
]


@pytest.fixture(scope="package")
def browser():
    """One Chromium for the whole package, closed when its last test is done."""
    if not CHROMIUM.exists():
        reason = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("RECOVERYMAP_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}, and RECOVERYMAP_REQUIRE_BROWSER=1 requires it.", pytrace=False)
        pytest.skip(reason)
    # Playwright's sync API keeps an asyncio event loop running in the test thread, so
    # Django takes the factories' and the live server's flushes for queries made from
    # async code and refuses them. They are plain synchronous calls. The variable is set
    # only while the browser is up, so the rest of the suite keeps Django's check.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_context(browser, live_server):
    """Make a browser context (a fresh profile) that can reach only the live server.

    Phone-sized, in the visitor's zone; keyword arguments go to ``browser.new_context``.
    Each context has ``offsite``: the addresses it tried to fetch elsewhere.
    """
    contexts = []
    local = urlsplit(live_server.url).netloc

    def make(**options):
        options = {
            "viewport": PHONE,
            "timezone_id": VISITOR_ZONE,
            "locale": "en-US",
            "base_url": live_server.url,
            **options,
        }
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        context.offsite = []

        def keep_local(route):
            if urlsplit(route.request.url).netloc == local:
                route.fallback()
            else:
                context.offsite.append(route.request.url)
                route.abort()

        context.route("**/*", keep_local)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    return new_context().new_page()


@pytest.fixture
def directory(live_server):
    """The reference data, ZIP 55404, and a dozen meetings around it and online.

    The online meetings start within the next few hours (on the real clock, which the
    live server also reads), so they show in "Online now".
    """
    call_command("loaddata", "fellowships", "meeting_types", verbosity=0)
    place = make_place()  # 55404 Minneapolis
    fellowships = {f.slug: f for f in Fellowship.objects.filter(slug__in=FELLOWSHIPS)}
    groups = {
        slug: make_group(
            name=f"{fellowship.abbreviation or fellowship.name} Downtown Group",
            slug=f"{slug}-downtown",
            fellowship=fellowship,
            description="A friendly group that meets all over downtown.",
            website="https://example.org/group",
            email="group@example.org",
            phone="612-555-0100",
        )
        for slug, fellowship in fellowships.items()
    }

    in_person = []
    for n, (slug, name, day, hour, attendance, types) in enumerate(IN_PERSON):
        location = make_location(
            name=f"Community Hall {n + 1}",
            latitude=DOWNTOWN[0] + n * 0.004,
            longitude=DOWNTOWN[1] - n * 0.003,
            directions="Side door by the parking lot; room 101.",
            accessibility_notes="Step-free entrance and an accessible bathroom.",
        )
        in_person.append(
            make_meeting(
                name=name,
                group=groups[slug],
                location=location,
                day=day,
                start_time=dt.time(hour, 0),
                attendance=attendance,
                conference_url="https://zoom.us/j/123" if attendance == "hybrid" else "",
                types=types,
            )
        )

    soon = timezone.now().astimezone(MEETING_ZONE).replace(second=0, microsecond=0)
    online = []
    for slug, name, hours_ahead, types in ONLINE:
        start = soon + dt.timedelta(hours=hours_ahead)
        online.append(
            make_meeting(
                name=name,
                group=groups[slug],
                attendance="online",
                conference_url="https://zoom.us/j/123",
                conference_url_notes="Passcode 1234",
                day=(start.weekday() + 1) % 7,  # Meeting Guide days: 0 is Sunday
                start_time=start.time(),
                types=types,
            )
        )
    return SimpleNamespace(
        place=place, groups=groups, in_person=in_person, online=online, fellowships=fellowships
    )
