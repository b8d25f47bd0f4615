"""Report a problem: on every meeting page, no account needed, rate-limited per client
address, bots caught by a honeypot, organizers emailed; three independent "no longer
meets" reports warn the public until the reports are closed."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from directory.models import Group
from meetings.models import Meeting, ProblemReport
from meetings.services import problem_reports_close
from tests.conftest import make_group, make_meeting, make_organizer, make_place

pytestmark = pytest.mark.django_db

GONE_WARNING = "Reported as not meeting — check before you go"


def _report(client, meeting, *, ip="203.0.113.7", **data):
    data = {"category": "gone", "message": "", "email": "", "website": "", **data}
    return client.post(
        reverse("meetings:meeting-report", args=[meeting.slug]), data, REMOTE_ADDR=ip
    )


def test_every_meeting_page_links_to_the_report_form(client):
    meeting = make_meeting()
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert reverse("meetings:meeting-report", args=[meeting.slug]) in page
    form = client.get(reverse("meetings:meeting-report", args=[meeting.slug]))
    assert form.status_code == 200
    page = form.content.decode()
    for label in ("no longer meets here", "Wrong day or time", "Wrong address"):
        assert label in page
    assert 'type="radio"' in page and 'name="website"' in page
    # "Nobody was meeting" from the meeting page: the category is already chosen.
    url = reverse("meetings:meeting-report", args=[meeting.slug])
    assert f'href="{url}?category=gone"' in client.get(meeting.get_absolute_url()).content.decode()
    page = client.get(url, {"category": "gone"}).content.decode()
    assert 'value="gone"' in page and "checked" in page


def test_a_report_is_stored_and_its_organizers_are_emailed(
    client, django_capture_on_commit_callbacks
):
    meeting = make_meeting()
    make_organizer(meeting.group, email="sam@example.org")
    make_organizer(meeting.group, email="kim@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        response = _report(
            client, meeting, category="time", message="Starts at 7:30 now", email="v@example.org"
        )
    assert response.status_code == 302 and response["Location"] == meeting.get_absolute_url()
    report = ProblemReport.objects.get()
    assert (report.meeting, report.category, report.status) == (meeting, "time", "open")
    assert report.message == "Starts at 7:30 now" and report.email == "v@example.org"
    assert len(report.client_key) == 64 and "203.0.113.7" not in report.client_key
    # One message each: organizers never see each other's addresses.
    assert sorted(m.to[0] for m in mail.outbox) == ["kim@example.org", "sam@example.org"]
    assert all(len(m.to) == 1 and "Starts at 7:30 now" in m.body for m in mail.outbox)
    assert "Thank you" in client.get(meeting.get_absolute_url()).content.decode()


def test_a_report_needs_a_category(client):
    meeting = make_meeting()
    response = _report(client, meeting, category="")
    assert response.status_code == 200
    assert not ProblemReport.objects.exists()


def test_the_honeypot_drops_a_bots_report_quietly(client):
    meeting = make_meeting()
    response = _report(client, meeting, website="http://spam.example")
    assert response.status_code == 302  # looks like success to the bot
    assert not ProblemReport.objects.exists()
    assert not mail.outbox


def test_reports_are_limited_per_client_address(client, settings):
    settings.REPORT_RATE_LIMIT = 5
    meeting = make_meeting()
    for _ in range(5):
        assert _report(client, meeting, category="other").status_code == 302
    response = _report(client, meeting, category="other")
    assert response.status_code == 429
    assert "try again in an hour" in response.content.decode()
    assert ProblemReport.objects.count() == 5
    # Someone else is not held back.
    assert _report(client, meeting, ip="198.51.100.2").status_code == 302


def test_forwarded_for_is_ignored_unless_proxies_are_trusted(client, settings):
    settings.REPORT_RATE_LIMIT = 1
    meeting = make_meeting()
    spoofed = {"HTTP_X_FORWARDED_FOR": "192.0.2.1"}
    url = reverse("meetings:meeting-report", args=[meeting.slug])
    data = {"category": "other"}
    assert client.post(url, data, REMOTE_ADDR="10.0.0.1", **spoofed).status_code == 302
    other = {"HTTP_X_FORWARDED_FOR": "192.0.2.2"}
    assert client.post(url, data, REMOTE_ADDR="10.0.0.1", **other).status_code == 429

    settings.TRUSTED_PROXY_COUNT = 1
    # Behind one proxy (REMOTE_ADDR is the proxy), the right-most entry is the client.
    chain = {"HTTP_X_FORWARDED_FOR": "6.6.6.6, 192.0.2.3"}
    assert client.post(url, data, REMOTE_ADDR="10.0.0.1", **chain).status_code == 302
    chain = {"HTTP_X_FORWARDED_FOR": "7.7.7.7, 192.0.2.3"}
    assert client.post(url, data, REMOTE_ADDR="10.0.0.1", **chain).status_code == 429


def test_a_pending_groups_meeting_cannot_be_reported(client):
    meeting = make_meeting(group=make_group(status=Group.Status.PENDING))
    assert client.get(reverse("meetings:meeting-report", args=[meeting.slug])).status_code == 404
    assert _report(client, meeting).status_code == 404


# "Reported as not meeting" ------------------------------------------------------------


def _search_page(client) -> str:
    response = client.get(reverse("meetings:meeting-list"), {"near": "55404"})
    assert response.status_code == 200
    return response.content.decode()


def test_three_independent_gone_reports_warn_the_public_until_resolved(client):
    make_place()
    meeting = make_meeting()
    for ip in ("203.0.113.1", "203.0.113.2"):
        _report(client, meeting, ip=ip)
    assert GONE_WARNING not in client.get(meeting.get_absolute_url()).content.decode()
    assert GONE_WARNING not in _search_page(client)

    _report(client, meeting, ip="203.0.113.3")
    assert GONE_WARNING in client.get(meeting.get_absolute_url()).content.decode()
    assert GONE_WARNING in _search_page(client)

    problem_reports_close(
        reports=meeting.reports.all(), status=ProblemReport.Status.RESOLVED, by=None
    )
    assert GONE_WARNING not in client.get(meeting.get_absolute_url()).content.decode()
    assert GONE_WARNING not in _search_page(client)


def test_reports_from_one_client_or_of_other_kinds_do_not_flag(client):
    make_place()
    meeting = make_meeting()
    for _ in range(3):
        _report(client, meeting)  # one person, three times
    for ip in ("203.0.113.1", "203.0.113.2"):
        _report(client, meeting, ip=ip, category="time")
    assert meeting.reports.count() == 5  # every report was taken, none was refused
    page = client.get(meeting.get_absolute_url())
    assert page.status_code == 200 and meeting.display_name in page.content.decode()
    assert GONE_WARNING not in page.content.decode()
    assert meeting.display_name in _search_page(client)
    assert GONE_WARNING not in _search_page(client)


def _flagged(*meetings) -> list[bool]:
    flags = dict(Meeting.objects.values_list("pk", "reported_gone"))
    return [flags[m.pk] for m in meetings]


def _gone(meeting, key: str, **fields) -> ProblemReport:
    return ProblemReport.objects.create(meeting=meeting, category="gone", client_key=key, **fields)


def test_the_flag_is_kept_on_the_meeting_through_every_change_to_its_reports():
    meeting, other = make_meeting(), make_meeting(day=2)
    first, second = _gone(meeting, "a"), _gone(meeting, "b")
    _gone(other, "a")
    assert _flagged(meeting, other) == [False, False]
    third = _gone(meeting, "c")
    assert _flagged(meeting, other) == [True, False]

    third.category = ProblemReport.Category.WRONG_TIME  # staff re-file it in the admin
    third.save()
    assert _flagged(meeting) == [False]
    third.category = ProblemReport.Category.GONE
    third.save()
    assert _flagged(meeting) == [True]

    first.delete()
    assert _flagged(meeting) == [False]
    _gone(meeting, "d")
    assert _flagged(meeting) == [True]
    ProblemReport.objects.filter(pk=second.pk).delete()  # the admin's bulk delete
    assert _flagged(meeting) == [False]

    _gone(meeting, "e")
    assert _flagged(meeting) == [True]
    problem_reports_close(
        reports=meeting.reports.filter(client_key="e"),
        status=ProblemReport.Status.DISMISSED,
        by=None,
    )
    assert _flagged(meeting, other) == [False, False]


def test_a_results_page_reads_the_flags_with_its_cards(client):
    make_place()
    flagged, plain = make_meeting(day=1), make_meeting(day=2)
    for key in "abc":
        _gone(flagged, key)
    with CaptureQueriesContext(connection) as queries:
        page = _search_page(client)
    assert page.count(GONE_WARNING) == 1
    assert flagged.display_name in page and plain.display_name in page
    assert not [q for q in queries if "meetings_problemreport" in q["sql"]]
