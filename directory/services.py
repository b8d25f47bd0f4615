"""The organizer workflow's writes, each in one transaction: asking to manage a group and
staff's answer, listing a new group, approving it, an organizer's edit of a shared
location, and the reminders to confirm listings.

Every save of a group, meeting or location here names who made it and why in the
listing's history, since a service may run outside a request (a command, a test) where
django-simple-history's middleware cannot tell.
"""

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import User
from directory.models import Group, Location, OrganizerRequest, Place
from meetings.models import Meeting
from recoverymap.lib.mail import mail_on_commit, send_templated_mail

logger = logging.getLogger(__name__)


def record_change(instance, *, by: User | None, reason: str) -> None:
    """Name the person and the reason on the history record of ``instance``'s next save."""
    instance._history_user = by
    instance._change_reason = reason[:100]


# Becoming an organizer of an existing group ------------------------------------------

# Requests to manage groups, and new groups listed, that one person may send in a day:
# plenty for someone who serves a few groups, too few to flood staff's review queue
# (like the per-address limit on problem reports).
ORGANIZER_REQUESTS_PER_DAY = 5
GROUP_LISTINGS_PER_DAY = 3
RATE_LIMIT_WINDOW = dt.timedelta(days=1)


@transaction.atomic
def organizer_request_submit(*, user: User, group: Group, message: str = "") -> OrganizerRequest:
    """Ask to manage ``group``. Refused, with a message meant for the person, when they
    already manage it, already have a request waiting, or sent
    ORGANIZER_REQUESTS_PER_DAY requests in the last day."""
    if group.organizers.filter(pk=user.pk).exists():
        raise ValidationError(_("You already manage this group."), code="already_organizer")
    pending = OrganizerRequest.objects.filter(
        user=user, group=group, status=OrganizerRequest.Status.PENDING
    )
    if pending.exists():
        raise ValidationError(
            _("Your request to manage this group is waiting for review."), code="pending"
        )
    recent = OrganizerRequest.objects.filter(
        user=user, created__gte=timezone.now() - RATE_LIMIT_WINDOW
    )
    if recent.count() >= ORGANIZER_REQUESTS_PER_DAY:
        raise ValidationError(
            _(
                "You have sent as many requests to manage groups as we take in one day. "
                "Please try again tomorrow."
            ),
            code="rate_limited",
        )
    try:
        with transaction.atomic():
            request = OrganizerRequest.objects.create(user=user, group=group, message=message)
    except IntegrityError:
        # The same request sent twice at once: the constraint keeps one.
        raise ValidationError(
            _("Your request to manage this group is waiting for review."), code="pending"
        ) from None
    _tell_staff(
        "organizer_request",
        group=group,
        review_url=reverse("admin:directory_organizerrequest_change", args=[request.pk]),
        message=message,
    )
    return request


def _tell_staff(what: str, *, group: Group, review_url: str, message: str = "") -> None:
    """Email every active staff member that ``what`` waits for their review."""
    mail_on_commit(
        "accounts/email/staff_review",
        to=User.objects.filter(is_staff=True, is_active=True).values_list("email", flat=True),
        context={
            "what": what,
            "group": group,
            "message": message,
            "review_url": settings.SITE_URL + review_url,
        },
    )


def _decide(request: OrganizerRequest, *, status: str, by: User) -> OrganizerRequest:
    locked = OrganizerRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != OrganizerRequest.Status.PENDING:
        raise ValidationError(
            _("This request was already %(status)s.")
            % {"status": locked.get_status_display().lower()},
            code="decided",
        )
    locked.status = status
    locked.decided_at = timezone.now()
    locked.decided_by = by
    locked.save(update_fields=["status", "decided_at", "decided_by"])
    return locked


@transaction.atomic
def organizer_request_approve(*, request: OrganizerRequest, by: User) -> OrganizerRequest:
    """Make the person an organizer of the group and tell them so."""
    decided = _decide(request, status=OrganizerRequest.Status.APPROVED, by=by)
    decided.group.organizers.add(decided.user)
    mail_on_commit(
        "accounts/email/organizer_request_approved",
        to=[decided.user.email],
        context={"group": decided.group, **_organizer_links()},
    )
    return decided


@transaction.atomic
def organizer_request_decline(
    *, request: OrganizerRequest, by: User, reason: str = ""
) -> OrganizerRequest:
    """Decline the request and tell the person, with staff's reason when given."""
    decided = _decide(request, status=OrganizerRequest.Status.DECLINED, by=by)
    mail_on_commit(
        "accounts/email/organizer_request_declined",
        to=[decided.user.email],
        context={"group": decided.group, "reason": reason, **_organizer_links()},
    )
    return decided


# Listing a new group ------------------------------------------------------------------


def unique_group_slug(name: str) -> str:
    """A slug of at most 64 characters from the name, made unique with a number."""
    base = slugify(name)[:56].strip("-") or "group"
    taken = set(Group.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug = f"{base}-{n}"
        n += 1
    return slug


@transaction.atomic
def group_listing_submit(
    *, by: User, group: Group, meeting: Meeting, location: Location | None
) -> Group:
    """Save a new group held for review, with ``by`` as its organizer, its first meeting,
    and that meeting's location: an existing one, or a new one saved here.

    ``group``, ``meeting`` and a new ``location`` are unsaved instances with the
    person's answers. Raises ValidationError (and saves nothing) when the meeting breaks
    a rule only the saved group and location can show, or when ``by`` (not staff)
    listed GROUP_LISTINGS_PER_DAY groups in the last day.
    """
    listed = Group.history.filter(
        history_type="+", history_user=by, history_date__gte=timezone.now() - RATE_LIMIT_WINDOW
    )
    if not by.is_staff and listed.count() >= GROUP_LISTINGS_PER_DAY:
        raise ValidationError(
            _(
                "You have listed as many new groups as we take in one day, and staff "
                "review each one. Please try again tomorrow."
            ),
            code="rate_limited",
        )
    reason = "Listed by an organizer, for review"
    group.status = Group.Status.PENDING
    group.slug = group.slug or unique_group_slug(group.name)
    group.full_clean()
    record_change(group, by=by, reason=reason)
    group.save()
    group.organizers.add(by)
    if location is not None and location.pk is None:
        _place_roughly(location)
        location.full_clean()
        record_change(location, by=by, reason=reason)
        location.save()
    meeting.group = group
    # An online meeting's place is its group's town (approximate), never an address.
    meeting.location = location
    meeting.full_clean()
    record_change(meeting, by=by, reason=reason)
    meeting.save()
    if not by.is_staff:
        _tell_staff(
            "new_group",
            group=group,
            review_url=reverse("admin:directory_group_change", args=[group.pk]),
        )
    return group


def _place_roughly(location: Location) -> None:
    """Put a new place at its ZIP code's centre for now, flagged for ``geocode_pending``
    to find the address itself (no geocoder is called during a request)."""
    if location.latitude is None:
        centre = Place.objects.resolve(location.postal_code)
        if centre is not None:
            location.latitude, location.longitude = centre.latitude, centre.longitude
            location.timezone = location.timezone or centre.timezone
    location.needs_geocoding = True


@transaction.atomic
def group_approve(*, group: Group, by: User) -> Group:
    """Publish a pending group and its meetings, and tell its organizers."""
    group = Group.objects.select_for_update().get(pk=group.pk)
    if group.status != Group.Status.PENDING:
        return group
    group.status = Group.Status.ACTIVE
    record_change(group, by=by, reason="Approved by staff")
    group.save()
    mail_on_commit(
        "accounts/email/group_approved",
        to=group.organizers.filter(is_active=True).values_list("email", flat=True),
        context={
            "group": group,
            "group_url": settings.SITE_URL + group.get_absolute_url(),
            **_organizer_links(),
        },
    )
    return group


# Organizers' edits of shared locations -----------------------------------------------


@dataclass
class LocationUpdate:
    location: Location
    # True when the edit was saved as a new location for the organizer's meetings.
    copied: bool


def location_shared_beyond(location: Location, user: User) -> bool:
    """Whether meetings of groups ``user`` does not organize use ``location``."""
    return Meeting.objects.filter(location_id=location.pk).exclude(group__organizers=user).exists()


@transaction.atomic
def location_update_for_organizer(*, location: Location, by: User) -> LocationUpdate:
    """Save an edit of ``location`` (an instance carrying the new values) by ``by``.

    Staff, and organizers whose groups are the only ones meeting there, change it in
    place. When other groups' meetings use it too, their listings must not move under
    them: the edit becomes a new location, ``by``'s groups' meetings move to it, and the
    original stays as it was for the others (staff can merge the two later).
    """
    if by.is_staff or location.pk is None or not location_shared_beyond(location, by):
        record_change(location, by=by, reason="Changed by an organizer")
        location.save()
        meetings_follow_location_zone(location=location, by=by)
        return LocationUpdate(location, copied=False)
    original_pk = location.pk
    location.pk = None
    location.id = None
    location._state.adding = True
    record_change(location, by=by, reason=f"Copy of location {original_pk} for one group")
    location.save()
    mine = Meeting.objects.filter(location_id=original_pk, group__organizers=by)
    for meeting in mine.select_for_update():
        meeting.location = location
        record_change(meeting, by=by, reason="Moved to the organizer's copy of its location")
        meeting.save(update_fields=["location", "updated"])
    meetings_follow_location_zone(location=location, by=by)
    return LocationUpdate(location, copied=True)


@transaction.atomic
def meetings_follow_location_zone(*, location: Location, by: User | None) -> int:
    """After a location's time zone changes, its meetings' zone changes too: their start
    times are local times at that place. Returns how many meetings changed."""
    changed = 0
    stale = Meeting.objects.filter(location=location).exclude(timezone=location.timezone)
    for meeting in stale.select_for_update():
        meeting.timezone = location.timezone
        record_change(meeting, by=by, reason="Follows its location's time zone")
        meeting.save(update_fields=["timezone", "updated"])
        changed += 1
    return changed


# Reminders to confirm listings -------------------------------------------------------


@dataclass
class ReminderSummary:
    organizers: int = 0
    groups: int = 0
    meetings: int = 0
    # Due, but reminded within the period.
    skipped_recent: int = 0
    failed: list[str] = field(default_factory=list)

    def __str__(self):
        line = (
            f"Reminded {self.organizers} organizer(s) about {self.groups} group(s) with "
            f"{self.meetings} meeting(s) to confirm; {self.skipped_recent} group(s) "
            "skipped, reminded recently."
        )
        if self.failed:
            line += f" {len(self.failed)} email(s) could not be sent."
        return line


def confirmation_reminders_send(
    *, older_than: dt.timedelta, period: dt.timedelta, now: dt.datetime | None = None
) -> ReminderSummary:
    """Email the organizers of active groups with meetings last confirmed longer than
    ``older_than`` ago (or never), at most once per ``period`` per group.

    One message per organizer lists all their groups that are due. A group counts as
    reminded once at least one of its organizers was emailed; a group whose every email
    failed is tried again on the next run.
    """
    now = now or timezone.now()
    stale = Q(last_confirmed__isnull=True) | Q(last_confirmed__lt=now - older_than)
    due_meetings = Meeting.objects.exclude(status=Meeting.Status.INACTIVE).filter(stale)
    candidates = (
        Group.objects.public()
        .filter(pk__in=due_meetings.values("group_id"), organizers__isnull=False)
        .distinct()
    )
    recent = Q(reminded_at__gte=now - period)
    summary = ReminderSummary(skipped_recent=candidates.filter(recent).count())
    groups = list(candidates.exclude(recent).prefetch_related("organizers").order_by("name"))
    if not groups:
        return summary
    stale_by_group: dict[int, list[Meeting]] = {}
    for meeting in due_meetings.filter(group__in=groups).order_by("day", "start_time", "id"):
        stale_by_group.setdefault(meeting.group_id, []).append(meeting)
    by_organizer: dict[User, list[Group]] = {}
    for group in groups:
        group.stale_meetings = stale_by_group.get(group.pk, [])
        for organizer in group.organizers.all():
            if organizer.is_active:
                by_organizer.setdefault(organizer, []).append(group)

    reminded: set[int] = set()
    for organizer, their_groups in sorted(by_organizer.items(), key=lambda kv: kv[0].email):
        try:
            send_templated_mail(
                "accounts/email/confirmation_reminder",
                to=[organizer.email],
                context={
                    "organizer": organizer,
                    "groups": their_groups,
                    "older_than_days": older_than.days,
                    **_organizer_links(),
                },
            )
        except Exception as error:  # one bad address or a mail outage must not stop the run
            logger.warning("Reminder to organizer %s failed: %s", organizer.pk, error)
            summary.failed.append(organizer.email)
            continue
        summary.organizers += 1
        reminded.update(group.pk for group in their_groups)

    Group.objects.filter(pk__in=reminded).update(reminded_at=now)
    summary.groups = len(reminded)
    summary.meetings = sum(len(stale_by_group.get(pk, [])) for pk in reminded)
    return summary


def _organizer_links() -> dict[str, str]:
    return {
        "listings_url": settings.SITE_URL + reverse("accounts:my-listings"),
        "manage_url": settings.SITE_URL + reverse("manage:index"),
    }
