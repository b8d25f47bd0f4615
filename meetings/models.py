"""Meetings and their types: the weekly gatherings people search for."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.db.models import (
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.timezone import now as current_time
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from directory.models import Fellowship, Group, Location
from meetings.next_start import LINGER, next_occurrence, to_the_minute
from recoverymap.lib.db import AWeekLater, EpochSeconds, LinkedIds
from recoverymap.lib.geo import (
    Point,
    bounding_box,
    cells_around,
    closeness_miles,
    closeness_within,
    map_cell,
    unit_vector,
    validate_timezone,
)


class MeetingType(models.Model):
    """A format, audience, language or accessibility code (Meeting Guide's vocabulary).

    Shared spec codes have no fellowship; a fellowship may add its own codes, which
    are unique within that fellowship so two fellowships' meanings never collide.
    """

    class Category(models.TextChoices):
        FORMAT = "format", _("Format")
        AUDIENCE = "audience", _("Audience")
        LANGUAGE = "language", _("Language")
        ACCESSIBILITY = "accessibility", _("Accessibility")
        OTHER = "other", _("Other")

    fellowship = models.ForeignKey(
        Fellowship,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="meeting_types",
        verbose_name=_("fellowship"),
        help_text=_("Empty for the shared Meeting Guide codes; set for a fellowship's own type."),
    )
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    name_es = models.CharField(_("name in Spanish"), max_length=100, blank=True)
    category = models.CharField(
        _("category"), max_length=15, choices=Category.choices, default=Category.FORMAT
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("meeting type")
        verbose_name_plural = _("meeting types")
        ordering = ["category", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(fellowship__isnull=True),
                name="meetingtype_spec_code_unique",
            ),
            models.UniqueConstraint(
                fields=["fellowship", "code"],
                condition=Q(fellowship__isnull=False),
                name="meetingtype_fellowship_code_unique",
            ),
        ]

    def __str__(self):
        return self.label if self.fellowship_id is None else f"{self.label} ({self.fellowship})"

    @property
    def is_spec(self) -> bool:
        return self.fellowship_id is None

    @property
    def label(self) -> str:
        return type_label(self.name, self.name_es)


def type_label(name: str, name_es: str) -> str:
    """A type's name in the page's language: the Meeting Guide spec's own Spanish."""
    return name_es if name_es and (get_language() or "").startswith("es") else name


@dataclass(frozen=True)
class TypeName:
    """A meeting type as plain values, for pages that name many (see type_catalogue)."""

    pk: int
    code: str
    category: str
    name: str
    name_es: str
    fellowship_id: int | None

    @property
    def label(self) -> str:
        return type_label(self.name, self.name_es)


def type_catalogue() -> dict[int, TypeName]:
    """Every meeting type, by id, in one read of a small table (the spec's codes and the
    fellowships' own): a results page names its checkboxes, its languages and its cards'
    types from it, and the cards carry only type ids (Meeting.objects.with_type_ids())."""
    return {
        pk: TypeName(pk, *values)
        for pk, *values in MeetingType.objects.order_by().values_list(
            "pk", "code", "category", "name", "name_es", "fellowship_id"
        )
    }


class MeetingQuerySet(models.QuerySet):
    """The queries of search; views and filters compose these, never raw ``Q()``s."""

    def with_type_ids(self):
        """Annotate ``type_ids``: the ids of each meeting's types, as text ("3,17"; see
        type_ids_of), read with the rows (an index-only subquery each)."""
        return self.annotate(
            type_ids=LinkedIds(
                "pk", through=Meeting.types.through, source="meeting", target="meetingtype"
            )
        )

    def public(self, *, copies: bool = False):
        """Meetings a visitor may see: not retired, their group approved, and not another
        source's copy of a meeting listed already (``duplicate_of``), so every listing,
        count, feed and sitemap shows a meeting once. ``copies=True`` keeps the copies
        (the matcher compares them)."""
        qs = self.exclude(status=Meeting.Status.INACTIVE).filter(group__status=Group.Status.ACTIVE)
        return qs if copies else qs.filter(duplicate_of=None)

    def for_organizer(self, user):
        """Meetings a person may edit: all for staff, their groups' for an organizer."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self
        return self.filter(group__organizers=user)

    def near(self, point: Point, miles: float, *, by_cell: bool = False):
        """Meetings whose location lies within ``miles`` of ``point``, nearest first.

        A bounding box on the indexed latitude/longitude narrows the rows, then the exact
        great-circle test: the dot product of unit vectors is the cosine of the angle
        between two points, so ``dot >= cos(miles / R)`` is a plain-arithmetic radius
        test, identical on SQLite and PostgreSQL. ``closeness`` (the cosine) is annotated;
        ``Meeting.distance_miles`` turns it into miles for the rows shown.

        ``by_cell``: the map cells the circle covers stand for the box, for a query that
        also keeps to a window of start times (``starting_within()``): then each cell's
        range of the (cell, next_start) index is read, where the box, in a dense city,
        is tens of thousands of meetings to look through whatever the window.
        """
        x, y, z = unit_vector(point.latitude, point.longitude)
        closeness = (
            F("location__geo_x") * Value(x)
            + F("location__geo_y") * Value(y)
            + F("location__geo_z") * Value(z)
        )
        if by_cell:
            box = Q(cell__in=cells_around(point.latitude, point.longitude, miles))
        else:
            min_lat, max_lat, min_lng, max_lng = bounding_box(
                point.latitude, point.longitude, miles
            )
            box = Q(location__latitude__gte=min_lat, location__latitude__lte=max_lat)
            if min_lng < -180 or max_lng > 180:
                # The box crosses the antimeridian: its longitudes wrap round.
                box &= Q(location__longitude__gte=wrap_longitude(min_lng)) | Q(
                    location__longitude__lte=wrap_longitude(max_lng)
                )
            else:
                box &= Q(location__longitude__gte=min_lng, location__longitude__lte=max_lng)
        return (
            self.filter(box)
            .alias(_closeness=ExpressionWrapper(closeness, output_field=models.FloatField()))
            .filter(_closeness__gte=closeness_within(miles))
            .annotate(closeness=F("_closeness"))
            .order_by("-closeness", "day", "start_time", "id")
        )

    def first_ranked(self, limit: int) -> tuple[list[tuple], int]:
        """The query's first ``limit`` rows, in no order, as ``(rank, id)`` pairs, and how
        many of them are in person (hybrid too). Sorted, the pairs are in the query's own
        order (nearest first, ``near()``, or soonest first, ``soonest()``; else by id).

        One read of at most ``limit`` small rows answers the count line and whether the
        circle needs widening and, when it found fewer, gives every page of results
        (sorted in Python) without searching the circle again. The ranks are plain
        numbers and text, which the database driver hands over as they are: read as
        times and datetimes, converting 500 rows cost more than the read."""
        if "_starts" in self.query.annotations:  # soonest(): by the instant, then id
            ranks = {"rank_starts": EpochSeconds("_starts")}

            def rank(starts, pk):
                return (starts is None, starts or 0, pk)

        elif "closeness" in self.query.annotations:  # near(): nearest, then day and time
            ranks = {
                "rank_closeness": F("closeness"),
                "rank_day": F("day"),
                "rank_time": Cast("start_time", models.CharField()),
            }

            def rank(closeness, day, time, pk):
                return (-closeness, day, time, pk)

        else:
            ranks = {}

            def rank(pk):
                return (pk,)

        rows = self.order_by().annotate(**ranks).values_list("pk", "attendance", *ranks)
        found, in_person = [], 0
        for pk, attendance, *values in rows[:limit]:
            found.append((rank(*values, pk), pk))
            in_person += attendance in IN_PERSON_ATTENDANCE
        return found, in_person

    def of_fellowships(self, fellowships):
        """Meetings of these fellowships (rows or ids): by the group's fellowship id, not
        through a join to the fellowships, so the database's statistics of that column
        tell it how many meetings that is (AA has a third of them) when it picks a plan.
        Through the join, PostgreSQL took AA for an average fellowship and read every
        group in the country to find the online ones (70 ms instead of 12)."""
        return self.filter(group__fellowship_id__in=[getattr(f, "pk", f) for f in fellowships])

    def with_philosophies(self, values):
        return self.of_fellowships(_fellowship_ids(philosophy__in=list(values)))

    def for_audiences(self, values):
        return self.of_fellowships(_fellowship_ids(audience__in=list(values)))

    def with_focus(self, values):
        return self.of_fellowships(_fellowship_ids(focus__in=list(values)))

    def on_days(self, days):
        return self.filter(day__in=list(days))

    def in_time_windows(self, windows):
        """Start times in any of the named windows (``morning``, ``night``...), local time."""
        condition = Q()
        for name in windows:
            start, end = TIME_WINDOWS[name]
            if start < end:
                condition |= Q(start_time__gte=start, start_time__lt=end)
            else:  # the window passes midnight
                condition |= Q(start_time__gte=start) | Q(start_time__lt=end)
        return self.filter(condition)

    def with_attendance(self, values):
        """In person includes hybrid meetings (there is a room to go to); online means
        joinable online only: a hybrid meeting in a church hall is listed as online
        only when hybrid is asked for too."""
        wanted = set(values)
        if "in_person" in wanted:
            wanted.update(IN_PERSON_ATTENDANCE)
        return self.filter(attendance__in=sorted(wanted))

    def with_access(self, values):
        return self.filter(access__in=list(values))

    def with_all_types(self, codes):
        """Meetings carrying every one of the codes (spec codes or the fellowship's own).
        One EXISTS per code: joins would multiply rows and need DISTINCT. ``codes`` may
        be MeetingType rows already read (a form's choices: every type of each code),
        which saves looking them up again."""
        by_code: dict[str, list[int]] = {}
        for found in _types_of(codes):
            by_code.setdefault(found.code, []).append(found.pk)
        qs = self
        for type_ids in by_code.values():
            qs = qs.filter(Exists(_type_links(type_ids)))
        return qs

    def in_languages(self, codes):
        """Meetings in any of the languages (codes, or MeetingType rows as above)."""
        languages = _types_of(codes, category=MeetingType.Category.LANGUAGE)
        return self.filter(Exists(_type_links([found.pk for found in languages])))

    def matching(self, words: str):
        """Every word appears in the meeting's, group's or location's name."""
        qs = self
        for word in words.split()[:8]:
            qs = qs.filter(
                Q(name__icontains=word)
                | Q(group__name__icontains=word)
                | Q(location__name__icontains=word)
            )
        return qs

    def medication_friendly(self):
        """Meetings whose organizers say people taking medication for recovery
        (buprenorphine, methadone, naltrexone...) are welcome."""
        return self.filter(medication_friendly=True)

    def confirmed_since(self, when):
        return self.filter(last_confirmed__gte=when)

    # "Starting soon", "in progress", "in the next hour" and soonest first are read from
    # each meeting's stored occurrence (meetings/next_start.py): one range of the
    # next-start index, whatever the number of time zones, with the filters applied.

    def soonest(self, now):
        """Soonest first: meetings begun under an hour ago ("happening now") first, then
        by their next start as an instant, so meetings in every zone and on either side
        of a change of clocks take their real places. An occurrence that is over but not
        moved on yet (``refresh_next_starts`` runs hourly) is next week's. Meetings that
        start together come in the order they were listed."""
        recent = to_the_minute(now) - LINGER
        starts = Case(
            When(next_start__gte=recent, then=F("next_start")),
            default=AWeekLater("next_start"),
        )
        return self.alias(_starts=starts).order_by(F("_starts").asc(nulls_last=True), "id")

    def starting_within(self, now, hours: int):
        """Starting in the next ``hours`` or begun under an hour ago: the first
        meetings of ``soonest()``."""
        minute = to_the_minute(now)
        return self.filter(
            next_start__gte=minute - LINGER, next_start__lt=minute + dt.timedelta(hours=hours)
        )

    def soonest_by_index(self, now):
        """``soonest()`` for the meetings starting from an hour ago on, read in the order
        of the next-start index: the first rows are the soonest, with no sort, so asking
        for the first few reads only those."""
        minute = to_the_minute(now)
        return self.filter(next_start__gte=minute - LINGER).order_by("next_start", "id")

    def in_progress(self, now):
        """Begun and not yet ended at ``now`` (to the minute): a meeting past midnight
        is under way after it too. The rows before ``now`` in the index are only those
        under way or just over, so the range is short."""
        minute = to_the_minute(now)
        return self.filter(next_start__lte=minute, next_end__gt=minute)

    def starting_in_next(self, now, minutes: int):
        """Starting from ``now`` to ``minutes`` later, in real minutes: across a change
        of clocks that is what the meeting's own clock reads (a spring-forward hour
        reaches past the skipped one, a fall-back hour repeats one)."""
        minute = to_the_minute(now)
        return self.filter(
            next_start__gte=minute, next_start__lt=minute + dt.timedelta(minutes=minutes)
        )

    def refresh_next_starts(self, now=None, *, every: bool = False) -> int:
        """Move on each meeting whose stored occurrence is over (ended, and begun at
        least an hour ago) to its next one; with ``every``, recompute them all (after a
        raw write that changed times). One UPDATE per distinct (zone, day, start, end),
        a few thousand at most, each a range of the (zone, day, start time) index.
        Returns the number of meetings changed."""
        now = to_the_minute(now or timezone.now())
        stale = self.filter(Q(next_start=None) | Q(next_start__lte=now - LINGER, next_end__lte=now))
        rows = self if every else stale
        clocks = list(
            rows.order_by().values_list("timezone", "day", "start_time", "end_time").distinct()
        )
        changed = 0
        for zone, day, start, end in clocks:
            begins, ends = next_occurrence(zone, day, start, end, now) or (None, None)
            changed += rows.filter(timezone=zone, day=day, start_time=start, end_time=end).update(
                next_start=begins, next_end=ends
            )
        return changed

    def refresh_cells(self) -> int:
        """Set each meeting's ``cell`` from its location's point, for the writers that
        skip save(): one UPDATE per cell the meetings' places are in. Returns the number
        of meetings changed."""
        places = self.order_by().values_list(
            "location_id", "location__latitude", "location__longitude"
        )
        by_cell: dict[int | None, list[int]] = {}
        for location_id, lat, lng in places.distinct():
            if location_id is not None:
                by_cell.setdefault(map_cell(lat, lng), []).append(location_id)
        changed = self.filter(location=None).exclude(cell=None).update(cell=None)
        for cell, location_ids in by_cell.items():
            for start in range(0, len(location_ids), 500):
                batch = self.filter(location_id__in=location_ids[start : start + 500])
                changed += batch.exclude(cell=cell).update(cell=cell)
        return changed


def _fellowship_ids(**conditions) -> list[int]:
    """The fellowships (a table of a few dozen rows) that meet ``conditions``."""
    return list(Fellowship.objects.filter(**conditions).values_list("pk", flat=True))


def _types_of(codes, **type_filters) -> list:
    """The MeetingType rows of ``codes`` (every fellowship's), looked up unless they are
    rows already. The types are read first (a small table), so each EXISTS is an
    index-only probe of (meeting, type) rather than a join to the types per candidate."""
    items = list(codes)
    if all(isinstance(item, MeetingType) for item in items):
        return [
            item
            for item in items
            if all(getattr(item, name) == value for name, value in type_filters.items())
        ]
    return list(MeetingType.objects.filter(code__in=items, **type_filters).only("pk", "code"))


def _type_links(type_ids):
    """The outer meeting's links to any of the types ``type_ids``."""
    return Meeting.types.through.objects.filter(
        meeting_id=OuterRef("pk"), meetingtype_id__in=list(type_ids)
    )


# There is a room to go to (see with_attendance).
IN_PERSON_ATTENDANCE = ("hybrid", "in_person")
# Open "no longer meets" reports, from different clients, that flag a meeting publicly.
REPORTED_GONE_THRESHOLD = 3


def type_ids_of(text: str | None) -> list[int]:
    """The ids ``with_type_ids()`` read ("3,17,42"; empty or None: none)."""
    return [int(pk) for pk in text.split(",")] if text else []


def refresh_reported_gone(meeting_ids) -> None:
    """Set ``Meeting.reported_gone`` of the meetings ``meeting_ids`` from their reports:
    REPORTED_GONE_THRESHOLD open "no longer meets" reports from different clients. A
    plain UPDATE (the flag is bookkeeping, not part of the listing's history)."""
    meeting_ids = set(meeting_ids)
    flagged = set(
        ProblemReport.objects.open()
        .filter(meeting_id__in=meeting_ids, category=ProblemReport.Category.GONE)
        .order_by()
        .values("meeting_id")
        .annotate(reporters=Count("client_key", distinct=True))
        .filter(reporters__gte=REPORTED_GONE_THRESHOLD)
        .values_list("meeting_id", flat=True)
    )
    Meeting.objects.filter(pk__in=flagged, reported_gone=False).update(reported_gone=True)
    Meeting.objects.filter(pk__in=meeting_ids - flagged, reported_gone=True).update(
        reported_gone=False
    )


def _report_changed(sender, instance, **kwargs):
    refresh_reported_gone([instance.meeting_id])


def connect_report_flags() -> None:
    """Keep each meeting's ``reported_gone`` as its reports are filed, edited and deleted
    (an admin's bulk delete too); ``problem_reports_close`` refreshes the meetings its
    UPDATE touched. Connected before the listings' receivers, so a page rebuilt after
    they drop it reads the new flag."""
    from django.db.models.signals import post_delete, post_save

    post_save.connect(_report_changed, sender=ProblemReport, dispatch_uid="report-flags-save")
    post_delete.connect(_report_changed, sender=ProblemReport, dispatch_uid="report-flags-delete")


# Search's time-of-day windows, in the meeting's local time: (from, before).
TIME_WINDOWS = {
    "morning": (dt.time(4), dt.time(12)),
    "afternoon": (dt.time(12), dt.time(17)),
    "evening": (dt.time(17), dt.time(21)),
    "night": (dt.time(21), dt.time(4)),
}


def wrap_longitude(lng: float) -> float:
    return (lng + 180) % 360 - 180


class Meeting(models.Model):
    """A weekly meeting of a group, at a location, online, or both."""

    class Day(models.IntegerChoices):
        # 0 = Sunday, as the Meeting Guide spec counts.
        SUNDAY = 0, _("Sunday")
        MONDAY = 1, _("Monday")
        TUESDAY = 2, _("Tuesday")
        WEDNESDAY = 3, _("Wednesday")
        THURSDAY = 4, _("Thursday")
        FRIDAY = 5, _("Friday")
        SATURDAY = 6, _("Saturday")

    class Access(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class Attendance(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        ONLINE = "online", _("Online")
        HYBRID = "hybrid", _("Hybrid")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        TEMPORARILY_CLOSED = "tc", _("Temporarily not meeting in person")
        INACTIVE = "inactive", _("Inactive")

    group = models.ForeignKey(
        Group, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("group")
    )
    location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meetings",
        verbose_name=_("location"),
        help_text=_("Leave empty for an online-only meeting."),
    )
    name = models.CharField(
        _("name"), max_length=255, blank=True, help_text=_("Leave empty to use the group's name.")
    )
    slug = models.SlugField(
        _("slug"),
        max_length=64,
        unique=True,
        blank=True,
        help_text=_("The meeting's address on the web. Keep it once published: links use it."),
    )
    day = models.PositiveSmallIntegerField(_("day"), choices=Day.choices)
    start_time = models.TimeField(_("start time"))
    end_time = models.TimeField(
        _("end time"),
        blank=True,
        help_text=_("Leave empty for one hour after the start. May pass midnight."),
    )
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_timezone],
        help_text=_("Taken from the location; set it for an online-only meeting."),
    )
    # The current occurrence (meetings/next_start.py), kept by save() and by the
    # refresh_next_starts command; the index of "starting soon" and "in progress".
    next_start = models.DateTimeField(null=True, blank=True, editable=False)
    next_end = models.DateTimeField(null=True, blank=True, editable=False)
    # The map cell of its location (recoverymap.lib.geo.map_cell), kept by save(), by a
    # location's save() when it moves, and by the writers that skip both: with
    # next_start, the index of "starting soon within 25 miles" (see near()).
    cell = models.IntegerField(null=True, blank=True, editable=False)
    # Enough open "no longer meets" reports from different people to warn visitors:
    # kept by every change to its reports (refresh_reported_gone), so a results page
    # reads it with the cards instead of counting reports per page.
    reported_gone = models.BooleanField(default=False, editable=False)
    access = models.CharField(
        _("open or closed"),
        max_length=6,
        choices=Access.choices,
        default=Access.OPEN,
        blank=True,
        help_text=_(
            "Open: anyone may attend. Closed: only those who share the problem "
            "(for family groups, family and friends). Empty when a feed did not say."
        ),
    )
    attendance = models.CharField(
        _("attendance"), max_length=10, choices=Attendance.choices, default=Attendance.IN_PERSON
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    conference_url = models.URLField(
        _("join link"),
        max_length=500,
        blank=True,
        help_text=_("The link that opens the video meeting directly (https://...)."),
    )
    conference_url_notes = models.CharField(
        _("join link notes"), max_length=255, blank=True, help_text=_("e.g. a passcode.")
    )
    conference_phone = models.CharField(
        _("dial-in phone"),
        max_length=60,
        blank=True,
        help_text=_("Digits, +, and , * # for one-tap dialling, e.g. +16465588656,,123456789#"),
    )
    conference_phone_notes = models.CharField(_("dial-in notes"), max_length=255, blank=True)
    types = models.ManyToManyField(
        MeetingType, blank=True, related_name="meetings", verbose_name=_("types")
    )
    medication_friendly = models.BooleanField(
        _("welcomes people on medication for recovery"),
        default=False,
        help_text=_(
            "Tick if people who take buprenorphine, methadone or other medication for "
            "their recovery are fully welcome here, to attend and to share, as anyone "
            "else. Your group's own word; it is shown on the meeting's page."
        ),
    )
    notes = models.TextField(_("notes"), blank=True, help_text=_("Plain text; no last names."))
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)
    # Not ``updated``, which every save moves (an unchanged re-import, a retouched
    # zone): this is what the feed's ``updated`` and the page's freshness tell.
    last_changed = models.DateTimeField(
        _("listing last changed"),
        default=current_time,  # Meeting.timezone shadows the module here
        editable=False,
        help_text=_(
            "When the listing last really changed: the source's own date for an imported "
            "meeting, the last edit for others."
        ),
    )
    last_confirmed = models.DateTimeField(
        _("last confirmed"),
        null=True,
        blank=True,
        help_text=_("When an organizer last said the listing is still right."),
    )
    source = models.CharField(
        _("imported from"),
        max_length=200,
        blank=True,
        editable=False,
        help_text=_("The feed an import took this meeting from; empty when entered here."),
    )
    source_key = models.CharField(
        _("key in the source"),
        max_length=255,
        blank=True,
        editable=False,
        help_text=_("The meeting's slug or id in that feed: re-imports update by it."),
    )
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="copies",
        verbose_name=_("shown as"),
        help_text=_(
            "Another source's listing of the same meeting, shown instead of this one. "
            "Set by matching; staff decide in Meeting matches."
        ),
    )
    feed = models.ForeignKey(
        "Source",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="meetings",
        verbose_name=_("listed by"),
        help_text=_("The registered source that lists this meeting."),
    )
    # Fields an organizer changed on an imported meeting, with what the source said then:
    # a sync leaves these as the organizer wrote them until the source changes them too.
    organizer_kept = models.JSONField(default=dict, blank=True, editable=False)
    # A digest of the source's record as a sync last read it (and of how the source is
    # read): the next sync leaves a meeting whose record is the same without reading
    # it again (meetings.importing). Bookkeeping, not part of the listing.
    source_fingerprint = models.CharField(max_length=32, blank=True, editable=False)
    # duplicate_of follows the matches (their own history records every decision).
    history = HistoricalRecords(
        m2m_fields=[types],
        excluded_fields=[
            "last_confirmed",
            "duplicate_of",
            "organizer_kept",
            "source_fingerprint",
            "next_start",
            "next_end",
            "cell",
            "reported_gone",
        ],
    )

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["day", "start_time", "name", "id"]
        indexes = [
            # refresh_next_starts(): the meetings of one (zone, day, start time) at a time.
            models.Index(fields=["timezone", "day", "start_time"], name="meeting_zone_time_idx"),
            # Soonest first, starting soon, in the next hour, in progress: ranges of it.
            models.Index(fields=["next_start", "next_end"], name="meeting_next_start_idx"),
            # The online section and the online list: "attendance = online AND next_start
            # in [a, b)" is one range of this index, where the one above reads every
            # meeting of the window (in person too) and SQLite, given a filter such as
            # "in progress", preferred scanning the groups (over 100 ms at 250,000).
            # Its id after next_start: the online section's soonest five are its first
            # rows in order, without reading (and sorting) every meeting of the minute.
            models.Index(
                fields=["attendance", "next_start", "id", "next_end"],
                name="meeting_online_next_idx",
            ),
            # Soonest first within a place: each cell's range of starts in a window (see
            # near(by_cell=True)), not every meeting of a dense circle.
            models.Index(fields=["cell", "next_start"], name="meeting_cell_next_idx"),
            # A source's meetings (every import reads them). The unique constraint below
            # is partial (source <> ''), which SQLite cannot use for "source = ?" with
            # a bound value: without this, each source's sync scanned every meeting.
            models.Index(fields=["source", "source_key"], name="meeting_source_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(day__gte=0, day__lte=6), name="meeting_day_range"),
            models.CheckConstraint(
                condition=Q(access__in=["open", "closed", ""]), name="meeting_access_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["active", "tc", "inactive"]), name="meeting_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(attendance__in=["in_person", "online", "hybrid"]),
                name="meeting_attendance_valid",
            ),
            models.CheckConstraint(
                condition=Q(attendance="online") | Q(location__isnull=False),
                name="meeting_in_person_needs_location",
            ),
            models.CheckConstraint(
                condition=Q(attendance="in_person")
                | ~Q(conference_url="")
                | ~Q(conference_phone=""),
                name="meeting_online_needs_join",
            ),
            models.CheckConstraint(
                condition=Q(conference_url="")
                | Q(conference_url__startswith="http://")
                | Q(conference_url__startswith="https://"),
                name="meeting_join_url_http",
            ),
            models.CheckConstraint(condition=~Q(slug=""), name="meeting_slug_not_empty"),
            models.UniqueConstraint(
                fields=["source", "source_key"],
                condition=~Q(source=""),
                name="meeting_source_key_unique",
            ),
            models.CheckConstraint(condition=~Q(timezone=""), name="meeting_timezone_not_empty"),
        ]

    def __str__(self):
        return f"{self.display_name} ({self.get_day_display()} {self.start_time:%H:%M})"

    def save(self, *args, **kwargs):
        # Derived from the times and the place, as Location keeps its unit vector: never
        # out of step.
        self.set_next_start()
        self.set_cell()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "next_start", "next_end", "cell"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("meetings:meeting-detail", args=[self.slug])

    def set_next_start(self, now=None) -> None:
        """Set ``next_start``/``next_end`` from the day, times and zone (for writers
        that skip save(): imports, the demo)."""
        found = None
        # range(7), not Day.values, which rebuilds its list on every call (a seed's hot path)
        if self.timezone and isinstance(self.start_time, dt.time) and self.day in range(7):
            end = self.end_time or default_end_time(self.start_time)
            moment = to_the_minute(now or timezone.now())
            found = next_occurrence(self.timezone, self.day, self.start_time, end, moment)
        self.next_start, self.next_end = found or (None, None)

    def set_cell(self) -> None:
        """Set ``cell`` from the location's point."""
        location = self.location if self.location_id else None
        self.cell = map_cell(location.latitude, location.longitude) if location else None

    @property
    def display_name(self) -> str:
        return self.name or (self.group.name if self.group_id else "")

    @property
    def distance_miles(self) -> float | None:
        """Great-circle miles from the search's point, when the query was ``near()``."""
        closeness = getattr(self, "closeness", None)
        if closeness is None:
            return None
        return closeness_miles(closeness)

    @property
    def is_online(self) -> bool:
        return self.attendance in {self.Attendance.ONLINE, self.Attendance.HYBRID}

    @property
    def is_in_person(self) -> bool:
        return self.attendance in {self.Attendance.IN_PERSON, self.Attendance.HYBRID}

    def fill_defaults(self) -> None:
        """Derive what an organizer may leave empty: name, end time, time zone, slug."""
        if not self.name and self.group_id:
            self.name = self.group.name
        if self.end_time is None and self.start_time is not None:
            self.end_time = default_end_time(self.start_time)
        if not self.timezone and self.location_id:
            self.timezone = self.location.timezone
        if not self.slug and self.name and self.day in self.Day.values:
            self.slug = unique_meeting_slug(self.name, self.day, exclude_pk=self.pk)

    def clean(self):
        self.fill_defaults()
        errors = {}
        if self.is_in_person:
            if self.location_id is None:
                errors["location"] = _("An in-person or hybrid meeting needs a location.")
            elif self.location.approximate:
                errors["location"] = _(
                    "This location is only approximate (a town or area). An in-person or "
                    "hybrid meeting needs an address people can find; mark it online instead, "
                    "or give the location its street address."
                )
        if self.is_online and not (self.conference_url or self.conference_phone):
            errors["conference_url"] = _(
                "An online or hybrid meeting needs a join link or a dial-in phone number."
            )
        if self.conference_url and not self.conference_url.lower().startswith(
            ("http://", "https://")
        ):
            errors["conference_url"] = _("The join link must start with http:// or https://.")
        if not self.timezone:
            errors["timezone"] = _("Give the time zone of an online-only meeting.")
        if errors:
            raise ValidationError(errors)


def default_end_time(start: dt.time) -> dt.time:
    """One hour after ``start``, wrapping past midnight."""
    return (dt.datetime.combine(dt.date(2000, 1, 2), start) + dt.timedelta(hours=1)).time()


_DAY_SLUGS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]


def unique_meeting_slug(name: str, day: int, *, exclude_pk=None) -> str:
    """A slug of at most 64 characters from the name and day, made unique with a number."""
    base = (slugify(name)[:52].strip("-") or "meeting") + "-" + _DAY_SLUGS[day]
    taken = set(
        Meeting.objects.filter(slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    slug, n = base, 2
    while slug in taken:
        slug = f"{base}-{n}"
        n += 1
    return slug


class Source(models.Model):
    """A list of meetings another body publishes (an intergroup's Meeting Guide feed, a
    BMLT server, a sheet), which ``manage.py sources sync`` keeps this directory in step
    with. Its meetings are keyed by (source, their id in it)."""

    class Format(models.TextChoices):
        MEETING_GUIDE = "meeting-guide", _("Meeting Guide JSON")
        BMLT = "bmlt", _("BMLT")
        CSV = "csv", _("TSML CSV sheet")

    name = models.CharField(
        _("name"),
        max_length=100,
        unique=True,
        help_text=_("How staff and the sources command name it, e.g. Minneapolis Intergroup."),
    )
    url = models.CharField(
        _("address"),
        max_length=500,
        help_text=_("An http(s) URL, a file:// URL or a file path on this server."),
    )
    format = models.CharField(_("format"), max_length=16, choices=Format.choices)
    fellowship = models.ForeignKey(
        Fellowship, on_delete=models.PROTECT, related_name="sources", verbose_name=_("fellowship")
    )
    type_map = models.JSONField(
        _("type map"),
        default=dict,
        blank=True,
        help_text=_(
            'The source\'s codes read as ours, e.g. {"BB": "B"}; an empty value keeps the '
            'code as the fellowship\'s own type, e.g. {"HE": ""}.'
        ),
    )
    default_timezone = models.CharField(
        _("default time zone"),
        max_length=64,
        blank=True,
        validators=[validate_timezone],
        help_text=_("For meetings whose zone cannot be known from the source or the address."),
    )
    retire_missing = models.BooleanField(
        _("retire missing meetings"),
        default=False,
        help_text=_("Mark meetings the source no longer lists as inactive (never deleted)."),
    )
    enabled = models.BooleanField(
        _("enabled"), default=True, help_text=_("Synced by manage.py sources sync.")
    )
    max_retire_percent = models.PositiveSmallIntegerField(
        _("most meetings one sync may retire (%)"),
        null=True,
        blank=True,
        help_text=_(
            "A sync retiring a larger share of the active meetings is held for review. "
            "Empty for the site's default."
        ),
    )
    precedence = models.PositiveSmallIntegerField(
        _("precedence"),
        default=0,
        help_text=_(
            "When this source and another list the same meeting, the listing of the source "
            "with the higher precedence is the one shown (a choice made for one pair still "
            "comes first)."
        ),
    )
    min_interval_minutes = models.PositiveIntegerField(
        _("minimum minutes between fetches"),
        null=True,
        blank=True,
        help_text=_("Empty for the site's default."),
    )
    attribution_name = models.CharField(
        _("listed by"),
        max_length=200,
        blank=True,
        help_text=_("The body credited on its meetings' pages; empty to use the name."),
    )
    attribution_url = models.URLField(
        _("attribution link"), max_length=500, blank=True, help_text=_("The body's own site.")
    )
    correction_contact = models.CharField(
        _("contact for corrections"),
        max_length=500,
        blank=True,
        help_text=_(
            "An email address or a feedback URL. Problem reports on its meetings go "
            "there; an email address is never shown to visitors."
        ),
    )
    reuse_permission = models.TextField(
        _("permission to reuse"),
        blank=True,
        help_text=_("Who allowed us to list these meetings, when, and on what terms."),
    )
    # Validators of the last feed read, for conditional requests; the hash tells an
    # unchanged file or a server without validators.
    etag = models.CharField(max_length=500, blank=True, editable=False)
    last_modified = models.CharField(max_length=100, blank=True, editable=False)
    content_hash = models.CharField(max_length=64, blank=True, editable=False)
    last_fetched = models.DateTimeField(null=True, blank=True, editable=False)
    # One sync of a source at a time, on any machine: a sync claims the lease with one
    # conditional UPDATE and gives it back when done; a crashed sync's lease runs out.
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    lease_owner = models.CharField(max_length=100, blank=True, editable=False)
    # When staff were told it keeps failing (cleared by the next success).
    failure_notified = models.DateTimeField(null=True, blank=True, editable=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        constraints = [
            models.CheckConstraint(
                condition=Q(format__in=["meeting-guide", "bmlt", "csv"]),
                name="source_format_valid",
            ),
            models.CheckConstraint(
                condition=Q(max_retire_percent__isnull=True) | Q(max_retire_percent__lte=100),
                name="source_retire_percent_range",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def import_key(self) -> str:
        """What its meetings store as ``Meeting.source``: stable when it is renamed or moves."""
        return f"source:{self.pk}"

    @property
    def public_name(self) -> str:
        return self.attribution_name or self.name

    @property
    def correction_email(self) -> str:
        contact = self.correction_contact.strip()
        return "" if contact.lower().startswith(("http://", "https://")) else contact

    @property
    def correction_url(self) -> str:
        contact = self.correction_contact.strip()
        return contact if contact.lower().startswith(("http://", "https://")) else ""

    def clean(self):
        contact = self.correction_contact.strip()
        if contact and not self.correction_url:
            try:
                validate_email(contact)
            except ValidationError:
                raise ValidationError(
                    {
                        "correction_contact": _(
                            "Give an email address or a URL starting with http:// or https://."
                        )
                    }
                ) from None
        if not isinstance(self.type_map, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.type_map.items()
        ):
            raise ValidationError(
                {"type_map": _('Write the type map as {"THEIRS": "OURS"} with text values.')}
            )


class SyncAttempt(models.Model):
    """One try at bringing a source's meetings up to date, and what came of it."""

    class Outcome(models.TextChoices):
        RUNNING = "running", _("Running")
        APPLIED = "applied", _("Applied")
        UNCHANGED = "unchanged", _("Unchanged")
        HELD = "held", _("Held for review")
        DISCARDED = "discarded", _("Discarded after review")
        FAILED = "failed", _("Failed")

    class ErrorKind(models.TextChoices):
        HTTP_STATUS = "http", _("HTTP error status")
        TIMEOUT = "timeout", _("Timed out")
        NETWORK = "network", _("Could not connect")
        TOO_LARGE = "too_large", _("Too large")
        HTML = "html", _("An HTML page, not data")
        CHALLENGE = "challenge", _("A challenge page")
        NOT_JSON = "not_json", _("Not JSON")
        SCHEMA = "schema", _("Not in the expected format")
        EMPTY = "empty", _("An empty list")
        NO_MEETINGS = "no_meetings", _("No usable meetings")
        IMPORT = "import", _("Could not be applied")

    source = models.ForeignKey(
        Source, on_delete=models.CASCADE, related_name="attempts", verbose_name=_("source")
    )
    started = models.DateTimeField(_("started"), default=timezone.now)
    finished = models.DateTimeField(_("finished"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.RUNNING
    )
    error_kind = models.CharField(_("error"), max_length=12, choices=ErrorKind.choices, blank=True)
    message = models.TextField(_("message"), blank=True)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    size = models.PositiveIntegerField(_("bytes read"), default=0)
    read = models.PositiveIntegerField(_("read"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    retired = models.PositiveIntegerField(_("retired"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    in_person = models.PositiveIntegerField(_("in person"), default=0)
    online = models.PositiveIntegerField(_("online"), default=0)
    hybrid = models.PositiveIntegerField(_("hybrid"), default=0)
    # A held sync keeps what it read, so staff can apply it as it was.
    held_content = models.BinaryField(null=True, blank=True, editable=False)
    etag = models.CharField(max_length=500, blank=True, editable=False)
    last_modified = models.CharField(max_length=100, blank=True, editable=False)
    content_hash = models.CharField(max_length=64, blank=True, editable=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)

    class Meta:
        ordering = ["-started", "-id"]
        verbose_name = _("sync attempt")
        verbose_name_plural = _("sync attempts")
        indexes = [
            # A source's latest attempts: its health in the admin and on /sources/.
            models.Index(fields=["source", "-started"], name="syncattempt_source_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    outcome__in=["running", "applied", "unchanged", "held", "discarded", "failed"]
                ),
                name="syncattempt_outcome_valid",
            ),
        ]

    def __str__(self):
        return f"{self.source}: {self.get_outcome_display()} ({self.started:%Y-%m-%d %H:%M})"


class ProblemReportQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=ProblemReport.Status.OPEN)

    def for_organizer(self, user):
        """Reports a person may see: all for staff, their groups' for an organizer."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self
        return self.filter(meeting__group__organizers=user)


class ProblemReport(models.Model):
    """Something a visitor says is wrong with a listing."""

    class Category(models.TextChoices):
        GONE = "gone", _("This meeting no longer meets here")
        WRONG_TIME = "time", _("Wrong day or time")
        WRONG_ADDRESS = "address", _("Wrong address")
        JOIN_BROKEN = "join", _("The join link or phone number does not work")
        OTHER = "other", _("Something else")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")
        DISMISSED = "dismissed", _("Dismissed")

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="reports", verbose_name=_("meeting")
    )
    category = models.CharField(_("what is wrong"), max_length=10, choices=Category.choices)
    message = models.TextField(_("details"), blank=True, max_length=2000)
    email = models.EmailField(
        _("reply email"), blank=True, help_text=_("Optional; seen only by staff and organizers.")
    )
    # A keyed hash of the reporter's address: tells independent reports apart and
    # rate-limits, without storing the address itself.
    client_key = models.CharField(max_length=64, editable=False, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    created = models.DateTimeField(_("reported"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )

    objects = ProblemReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("problem report")
        verbose_name_plural = _("problem reports")
        ordering = ["-created", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=["gone", "time", "address", "join", "other"]),
                name="problemreport_category_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "resolved", "dismissed"]),
                name="problemreport_status_valid",
            ),
        ]
        indexes = [
            # "Reported as not meeting": open reports of one meeting by category.
            models.Index(fields=["meeting", "status", "category"], name="report_meeting_open_idx"),
            # The rate limit: recent reports from one client.
            models.Index(fields=["client_key", "created"], name="report_client_idx"),
        ]

    def __str__(self):
        return f"{self.get_category_display()}: {self.meeting}"


class MeetingMatchQuerySet(models.QuerySet):
    def one_meeting(self):
        """Pairs that make one listing: matched by the matcher or joined by staff."""
        return self.filter(status__in=[MeetingMatch.Status.MATCHED, MeetingMatch.Status.JOINED])

    def decided(self):
        """Pairs staff decided (split or joined): the matcher never changes them."""
        return self.filter(status__in=[MeetingMatch.Status.SPLIT, MeetingMatch.Status.JOINED])

    def of_meetings(self, ids):
        ids = list(ids)
        return self.filter(Q(first_id__in=ids) | Q(second_id__in=ids))


class MeetingMatch(models.Model):
    """Two sources' listings that may be one meeting: matched (shown once), a near miss
    (shown twice, listed for staff), or decided by staff (split: two meetings; joined:
    one). Staff decisions survive every later sync and matching run."""

    class Status(models.TextChoices):
        MATCHED = "matched", _("Matched: shown once")
        NEAR = "near", _("Near miss: shown twice")
        SPLIT = "split", _("Split by staff: two meetings")
        JOINED = "joined", _("Joined by staff: one meeting")

    first = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="+", verbose_name=_("first listing")
    )
    second = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="+", verbose_name=_("second listing")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    score = models.FloatField(
        _("score"), default=0, help_text=_("How alike the two listings are, 0 to 1.")
    )
    reasons = models.JSONField(
        _("reasons"),
        default=dict,
        blank=True,
        help_text=_("What the matcher measured: minutes and miles apart, name similarity."),
    )
    winner = models.ForeignKey(
        Meeting,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("shown listing"),
        help_text=_(
            "The listing people see, chosen by staff. Empty: the one listed here first "
            "(a meeting entered on this site before an imported one)."
        ),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    created = models.DateTimeField(_("found"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords()

    objects = MeetingMatchQuerySet.as_manager()

    class Meta:
        ordering = ["status", "-score", "id"]
        verbose_name = _("meeting match")
        verbose_name_plural = _("meeting matches")
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="meetingmatch_pair_unique"),
            models.CheckConstraint(
                condition=Q(first__lt=F("second")), name="meetingmatch_first_before_second"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["matched", "near", "split", "joined"]),
                name="meetingmatch_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(winner__isnull=True) | Q(winner=F("first")) | Q(winner=F("second")),
                name="meetingmatch_winner_of_pair",
            ),
        ]
        indexes = [
            # The admin's list by status (matched pairs, near misses).
            models.Index(fields=["status", "score"], name="meetingmatch_status_idx"),
        ]

    def __str__(self):
        return f"{self.first_id} ~ {self.second_id} ({self.get_status_display()})"

    @property
    def is_decided(self) -> bool:
        return self.status in {self.Status.SPLIT, self.Status.JOINED}
