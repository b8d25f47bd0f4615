"""Writes that span models, each wrapped in one transaction: what organizers and visitors
do to keep a listing right (confirming it, retiring a meeting, reporting and resolving
problems). Importing is in ``meetings.importing``, geocoding in ``meetings.geocoding``."""

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from meetings.duplicates import copies_follow
from meetings.importing import KEEPABLE_FIELDS, field_as_json
from meetings.listings import areas_of, listings_changed
from meetings.models import Meeting, ProblemReport, refresh_reported_gone
from recoverymap.lib.mail import mail_on_commit


def meetings_confirm(*, meetings, by) -> int:
    """Stamp ``meetings`` (a queryset) as confirmed now by an organizer; how many.

    ``last_confirmed`` is left out of the listings' history, so this is one UPDATE and
    adds no history rows.
    """
    confirmed = meetings.exclude(status=Meeting.Status.INACTIVE).update(
        last_confirmed=timezone.now()
    )
    listings_changed(areas_of(meetings))  # an UPDATE sends no signal; search filters on it
    return confirmed


def meeting_edits_keep(*, meeting: Meeting, changed: list[str], initial: dict) -> None:
    """Before a person's edit of an imported meeting is saved: remember, for each field
    they changed, what the source said (``initial``), so the next sync keeps their value
    until the source changes that field too (see ``meetings.importing``)."""
    if not meeting.source:
        return
    kept = dict(meeting.organizer_kept or {})
    for name in KEEPABLE_FIELDS:
        if name in changed and name not in kept:
            kept[name] = field_as_json(initial.get(name))
    meeting.organizer_kept = kept


@transaction.atomic
def meeting_retire(*, meeting: Meeting, by) -> Meeting:
    """What an organizer's "delete" does: the meeting becomes inactive, keeping its page
    (which then points visitors to other meetings), its history and its reports."""
    if meeting.status != Meeting.Status.INACTIVE:
        meeting.status = Meeting.Status.INACTIVE
        meeting._history_user = by
        meeting._change_reason = "Retired (deleted by an organizer)"
        meeting.save(update_fields=["status", "updated"])
        copies_follow(meeting)
    return meeting


@transaction.atomic
def problem_report_submit(
    *, meeting: Meeting, category: str, message: str = "", email: str = "", client_key: str = ""
) -> ProblemReport:
    """Store a visitor's report and email the group's organizers, and the correction
    contact of the source that lists the meeting when it has an email address."""
    report = ProblemReport.objects.create(
        meeting=meeting, category=category, message=message, email=email, client_key=client_key
    )
    organizers = meeting.group.organizers.filter(is_active=True)
    mail_on_commit(
        "accounts/email/problem_report",
        to=organizers.values_list("email", flat=True),
        context={
            "report": report,
            "meeting": meeting,
            "meeting_url": settings.SITE_URL + meeting.get_absolute_url(),
            "listings_url": settings.SITE_URL + reverse("accounts:my-listings"),
        },
    )
    feed = meeting.feed
    if feed is not None and feed.correction_email:
        # The source corrects its own listing; the reporter's address stays with us.
        mail_on_commit(
            "meetings/email/source_correction",
            to=[feed.correction_email],
            context={
                "report": report,
                "meeting": meeting,
                "source": feed,
                "meeting_url": settings.SITE_URL + meeting.get_absolute_url(),
            },
        )
    return report


def problem_reports_close(*, reports, status: str, by) -> int:
    """Mark the open ``reports`` (a queryset) resolved or dismissed; how many changed."""
    if status not in {ProblemReport.Status.RESOLVED, ProblemReport.Status.DISMISSED}:
        raise ValueError(f"Reports are closed as resolved or dismissed, not {status!r}.")
    reports = reports.filter(status=ProblemReport.Status.OPEN)
    gone = Meeting.objects.filter(reports__in=reports.filter(category=ProblemReport.Category.GONE))
    gone_ids, areas = list(gone.values_list("pk", flat=True)), areas_of(gone)
    changed = reports.update(status=status, resolved_at=timezone.now(), resolved_by=by)
    # An UPDATE sends no signal: the meetings' flags are refreshed here, and their
    # "Reported as not meeting" pages dropped.
    refresh_reported_gone(gone_ids)
    if areas:
        listings_changed(areas)
    return changed
