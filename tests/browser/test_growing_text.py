"""Text that grows and organizers' pages that pass axe: no sideways scrolling at 320 px
wide or at 200 % text on any public, account or /manage/ page; WCAG 2.2 AA on every
account and /manage/ page; the meeting page's own time, Share and join button."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import User
from meetings.models import ProblemReport
from tests.browser.conftest import PHONE
from tests.browser.test_accessibility import describe

pytestmark = pytest.mark.django_db(transaction=True)

AXE_22 = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"],
    },
    # Experimental in axe, so off unless asked for: a button's name must contain its text.
    "rules": {"label-content-name-mismatch": {"enabled": True}},
    "resultTypes": ["violations"],
}
SMALLEST = {"width": 320, "height": 640}
# The browser's text size at 200 %: what a person sets, which rem sizes follow.
DOUBLE_TEXT = "document.documentElement.style.fontSize = '32px'"


@pytest.fixture
def organizer(directory):
    """An organizer of the AA group, signed in, with a report to look at."""
    user = User.objects.create_user(email="sam@example.org", password="x" * 12)
    user.display_name = "Sam"
    user.save()
    group = directory.groups["aa"]
    group.organizers.add(user)
    meeting = directory.in_person[0]
    report = ProblemReport.objects.create(
        meeting=meeting, category="time", message="Starts at 7:30."
    )
    client = Client()
    client.force_login(user)
    return {
        "session": client.cookies["sessionid"].value,
        "group": group,
        "meeting": meeting,
        "report": report,
        "other_group": directory.groups["na"],
    }


def signed_in(new_context, live_server, organizer, **options):
    context = new_context(**options)
    context.add_cookies(
        [{"name": "sessionid", "value": organizer["session"], "url": live_server.url}]
    )
    return context.new_page()


def public_pages(directory) -> list[str]:
    in_person = directory.in_person[0]
    return [
        "/",
        "/meetings/?near=55404",
        "/meetings/?near=55404&fellowship=aa&day=1&type=X",
        "/meetings/?attendance=online&sort=soonest",
        in_person.get_absolute_url(),
        directory.online[0].get_absolute_url(),
        reverse("meetings:meeting-report", args=[in_person.slug]),
        directory.groups["aa"].get_absolute_url(),
        "/fellowships/",
        directory.fellowships["aa"].get_absolute_url(),
        reverse("account_login"),
        reverse("account_signup"),
        reverse("account_reset_password"),
    ]


def organizer_pages(organizer) -> list[str]:
    group, meeting = organizer["group"], organizer["meeting"]
    return [
        reverse("accounts:my-listings"),
        reverse("accounts:group-new"),
        "/manage/",
        reverse("manage:meetings_meeting_changelist"),
        reverse("manage:meetings_meeting_change", args=[meeting.pk]),
        reverse("manage:meetings_meeting_add"),
        reverse("manage:directory_group_change", args=[group.pk]),
        reverse("manage:directory_location_change", args=[meeting.location_id]),
        reverse("manage:meetings_problemreport_changelist"),
        reverse("manage:meetings_problemreport_change", args=[organizer["report"].pk]),
        reverse("manage:meetings_meeting_history", args=[meeting.pk]),
        reverse("manage:directory_group_changelist"),
        reverse("manage:directory_location_changelist"),
        reverse("accounts:organizer-request", args=[organizer["other_group"].slug]),
        reverse("account_change_password"),
        reverse("account_email"),
    ]


def sideways_overflow(page) -> int:
    """How many CSS pixels the page is wider than the window (0: no sideways scroll)."""
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def check_fits(page, paths):
    problems = []
    for path in paths:
        assert page.goto(path).ok, path
        for name, css in (("320 px", ""), ("200 % text", DOUBLE_TEXT)):
            if css:
                page.set_viewport_size(PHONE)
                page.evaluate(css)
            else:
                page.set_viewport_size(SMALLEST)
            if over := sideways_overflow(page):
                problems.append(f"{path} at {name}: {over} px too wide")
    assert problems == [], "\n".join(problems)


def test_public_and_account_pages_never_scroll_sideways(page, directory):
    check_fits(page, public_pages(directory))


def test_organizer_pages_never_scroll_sideways(new_context, live_server, organizer):
    check_fits(signed_in(new_context, live_server, organizer), organizer_pages(organizer))


def test_body_text_follows_the_browsers_text_size(page, directory):
    for path in ("/", directory.in_person[0].get_absolute_url()):
        page.goto(path)
        page.evaluate(DOUBLE_TEXT)
        size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert size >= 32, f"{path}: body text stays {size}px at 200 %"


def test_account_and_organizer_pages_have_no_wcag_22_aa_violations(
    page, new_context, live_server, directory, organizer
):
    found = []
    for path in public_pages(directory)[-3:]:
        page.goto(path)
        if violations := Axe().run(page, options=AXE_22).response["violations"]:
            found.append(f"{path}:\n{describe(violations)}")
    signed = signed_in(new_context, live_server, organizer)
    for path in organizer_pages(organizer):
        signed.goto(path)
        if violations := Axe().run(signed, options=AXE_22).response["violations"]:
            found.append(f"{path}:\n{describe(violations)}")
    assert found == [], "\n\n".join(found)


def test_the_meeting_page_tells_the_visitors_own_time_first(page, directory):
    # The browser is in New York, the meeting in Chicago: an hour later on its clock.
    page.goto(directory.online[0].get_absolute_url())
    local = page.locator("p.when-local")
    expect(local).to_be_visible()
    expect(local).to_contain_text("Your time:")
    expect(local).to_contain_text("EST")
    expect(page.get_by_role("button", name="Show the time in my time zone")).to_be_hidden()
    assert page.locator("p.when").first.get_attribute("class") == "when when-local"


def test_share_copies_the_link_where_there_is_no_share_sheet(new_context, directory):
    context = new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    meeting = directory.online[0]
    page.goto(meeting.get_absolute_url())
    expect(page.get_by_role("link", name="Join on Zoom")).to_be_visible()
    page.evaluate("delete Navigator.prototype.share")
    page.get_by_role("link", name="Share").click()
    expect(page.get_by_role("status").filter(has_text="Link copied")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.endswith(meeting.get_absolute_url())


def test_without_javascript_share_is_a_link_to_the_page(new_context, directory):
    page = new_context(java_script_enabled=False).new_page()
    meeting = directory.in_person[0]
    page.goto(meeting.get_absolute_url())
    page.get_by_role("link", name="Share").click()
    expect(page).to_have_url(f"{page.url.split('/meetings/')[0]}{meeting.get_absolute_url()}")
    expect(page.get_by_role("heading", level=1)).to_have_text(meeting.display_name)
