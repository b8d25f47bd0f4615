"""The meeting search: every filter a person can set on /meetings/, as one FilterSet.

A place (``near``) is resolved by the form; the FilterSet applies the plain filters,
then the radius (widened step by step when too few in-person meetings are near) and
the order. Bad values become form errors shown beside the search, never a 500.
"""

import datetime as dt
import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, partial
from html import escape
from zoneinfo import ZoneInfo

import django_filters
from django import forms
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from directory.models import Fellowship
from meetings.listings import cache_key, online_version
from meetings.models import TIME_WINDOWS, Meeting, MeetingType, TypeName, type_catalogue
from meetings.next_start import to_the_minute
from meetings.places import PlaceAnswer, find_place
from recoverymap.lib.geo import closeness_within, is_timezone

RADIUS_CHOICES = [(r, _("%(miles)s miles") % {"miles": r}) for r in (1, 2, 5, 10, 25, 50, 100)]
RADII = [r for r, _label in RADIUS_CHOICES]
DEFAULT_RADIUS = 10
MAX_RADIUS = RADII[-1]
# Widen the circle until at least this many in-person meetings are inside.
ENOUGH_NEARBY = 5
# Results are counted up to this many; pages stop there.
RESULTS_CAP = 500
# Soonest first reads a page from the meetings starting within these hours when it can.
SOONEST_WINDOWS_HOURS = (1, 3, 12, 48)
# The "online meetings that match" section looks through at most this many of the
# soonest online meetings: with a filter that few online meetings match, counting them
# all would read every online meeting in the country (tens of thousands of rows). When
# more online meetings than this lie ahead, its count says which hours it covers.
ONLINE_SOON_EXAMINED = 1000
# It counts them up to this many: past it, "more than 100" says as much to a person as
# an exact count, and every one counted is a row to read.
ONLINE_COUNTED = 100
# Nearest first reads a page from these smaller circles when it can (each try is a
# count; fewer, wider steps cost less than many small ones).
RING_MILES = (2, 5, 10)

# Day names start the label: capitalized in languages that write them in lowercase.
DAY_CHOICES = [("today", _("Today"))] + [
    (str(v), capfirst(label)) for v, label in Meeting.Day.choices
]
# Times told by the clock: which meetings they hold changes every minute.
CLOCK_TIMES = {"now": 0, "next_hour": 60}
TIME_CHOICES = [
    ("now", _("In progress")),
    ("next_hour", _("In the next hour")),
    ("morning", _("Morning (4am–noon)")),
    ("afternoon", _("Afternoon (noon–5pm)")),
    ("evening", _("Evening (5pm–9pm)")),
    ("night", _("Night (9pm–4am)")),
]
assert {key for key, _label in TIME_CHOICES} == set(TIME_WINDOWS) | set(CLOCK_TIMES)
SORT_CHOICES = [("distance", _("Nearest first")), ("soonest", _("Soonest first"))]
RECENTLY_CONFIRMED = dt.timedelta(days=365)


class SearchForm(forms.Form):
    """Resolves ``near`` to a point and quietly drops a time zone it does not know."""

    point = None
    place = PlaceAnswer(None)

    def clean_near(self):
        text = (self.cleaned_data.get("near") or "").strip()
        self.point = None
        if not text:
            return ""
        self.place = find_place(text)
        self.point = self.place.point
        if self.point is None:
            shown = text if len(text) <= 60 else text[:57] + "…"
            if self.place.suggestions:
                message = _("We couldn't find “%(place)s”. Did you mean one of the places below?")
            else:
                message = _("We couldn't find “%(place)s”. Try a 5-digit ZIP code or a town name.")
            raise forms.ValidationError(message, params={"place": shown}, code="unknown_place")
        return text

    def clean_tz(self):
        value = (self.cleaned_data.get("tz") or "").strip()
        return value if is_timezone(value) else ""


class OptionalChoicesField(django_filters.fields.ModelMultipleChoiceField):
    """Ignores the empty value that a select's "Any …" option sends (``language=``)."""

    def clean(self, value):
        return super().clean([item for item in value or [] if item != ""])

    def label_from_instance(self, obj):
        """A fellowship's or a type's name in the page's language."""
        return getattr(obj, "local_name", None) or getattr(obj, "label", None) or str(obj)


class OptionalChoicesFilter(django_filters.ModelMultipleChoiceFilter):
    field_class = OptionalChoicesField


class MeetingFilter(django_filters.FilterSet):
    near = django_filters.CharFilter(
        label=_("ZIP code or town"), method="_leave", max_length=200, strip=True
    )
    radius = django_filters.TypedChoiceFilter(
        label=_("Within"), choices=RADIUS_CHOICES, coerce=int, empty_value=None, method="_leave"
    )
    fellowship = OptionalChoicesFilter(
        label=_("Fellowship"),
        queryset=Fellowship.objects.all(),
        to_field_name="slug",
        method="filter_fellowship",
        widget=forms.CheckboxSelectMultiple,
    )
    approach = django_filters.MultipleChoiceFilter(
        label=_("Approach"),
        choices=Fellowship.Philosophy.choices,
        method="filter_approach",
        widget=forms.CheckboxSelectMultiple,
    )
    audience = django_filters.MultipleChoiceFilter(
        label=_("For"),
        choices=Fellowship.Audience.choices,
        method="filter_audience",
        widget=forms.CheckboxSelectMultiple,
    )
    focus = django_filters.MultipleChoiceFilter(
        label=_("Focus"),
        choices=Fellowship.Focus.choices,
        method="filter_focus",
        widget=forms.CheckboxSelectMultiple,
    )
    day = django_filters.MultipleChoiceFilter(
        label=_("Day"),
        choices=DAY_CHOICES,
        method="filter_day",
        widget=forms.CheckboxSelectMultiple,
    )
    time = django_filters.MultipleChoiceFilter(
        label=_("Time of day"),
        choices=TIME_CHOICES,
        method="filter_time",
        widget=forms.CheckboxSelectMultiple,
    )
    attendance = django_filters.MultipleChoiceFilter(
        label=_("How"),
        choices=Meeting.Attendance.choices,
        method="filter_attendance",
        widget=forms.CheckboxSelectMultiple,
    )
    access = django_filters.MultipleChoiceFilter(
        label=_("Open or closed"),
        choices=Meeting.Access.choices,
        method="filter_access",
        widget=forms.CheckboxSelectMultiple,
    )
    type = OptionalChoicesFilter(
        label=_("Type"),
        queryset=MeetingType.objects.exclude(code__in=["O", "C", "TC"]),
        to_field_name="code",
        method="filter_type",
    )
    language = OptionalChoicesFilter(
        label=_("Language"),
        queryset=MeetingType.objects.filter(category=MeetingType.Category.LANGUAGE),
        to_field_name="code",
        method="filter_language",
    )
    # Ours, not a Meeting Guide type: a field of the meeting, so no feed carries it.
    medication = django_filters.MultipleChoiceFilter(
        label=_("Medication for recovery"),
        choices=[("welcome", _("Welcomes people taking medication for recovery"))],
        method="filter_medication",
        widget=forms.CheckboxSelectMultiple,
    )
    q = django_filters.CharFilter(
        label=_("Meeting, group or place name"), method="filter_words", max_length=100
    )
    confirmed = django_filters.ChoiceFilter(
        label=_("Confirmed"),
        choices=[("recent", _("Confirmed in the last 12 months"))],
        method="filter_confirmed",
    )
    sort = django_filters.ChoiceFilter(label=_("Sort"), choices=SORT_CHOICES, method="_leave")
    tz = django_filters.CharFilter(method="_leave", max_length=64)

    class Meta:
        model = Meeting
        fields = []
        form = SearchForm

    def __init__(self, data=None, *args, now=None, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.now = now or timezone.now()
        self.radius_used = None
        self.radius_asked = None

    # -- what the form resolved ---------------------------------------------------------

    @property
    def point(self):
        return getattr(self.form, "point", None) if self.is_bound else None

    @property
    def visitor_zone(self) -> str:
        """The zone "today" and online times are told in: the place's, the visitor's
        (``tz``, filled in by JavaScript), else the site's."""
        if self.point is not None and self.point.timezone:
            return self.point.timezone
        tz = self.form.cleaned_data.get("tz") if self.is_bound and self.form.is_valid() else ""
        return tz or settings.TIME_ZONE

    @property
    def ordering(self) -> str:
        chosen = self.form.cleaned_data.get("sort") if self.form.is_valid() else ""
        if chosen == "distance" and self.point is None:
            return "soonest"
        return chosen or ("distance" if self.point is not None else "soonest")

    # -- filters --------------------------------------------------------------------------

    def _leave(self, queryset, name, value):
        return queryset  # applied in filter_queryset, after the others

    def filter_fellowship(self, queryset, name, value):
        return queryset.of_fellowships(value) if value else queryset

    def filter_approach(self, queryset, name, value):
        return queryset.with_philosophies(value)

    def filter_audience(self, queryset, name, value):
        return queryset.for_audiences(value)

    def filter_focus(self, queryset, name, value):
        return queryset.with_focus(value)

    def filter_day(self, queryset, name, value):
        today = (self.now.astimezone(ZoneInfo(self.visitor_zone)).weekday() + 1) % 7
        return queryset.on_days({today if v == "today" else int(v) for v in value})

    def filter_time(self, queryset, name, value):
        """Any of the times chosen (a time of day, or "in progress", "in the next hour"
        on each meeting's own clock)."""
        windows = [v for v in value if v in TIME_WINDOWS]
        parts = [queryset.in_time_windows(windows)] if windows else []
        if "now" in value:
            parts.append(queryset.in_progress(self.now))
        if "next_hour" in value:
            parts.append(queryset.starting_in_next(self.now, CLOCK_TIMES["next_hour"]))
        return functools.reduce(operator.or_, parts) if parts else queryset

    @property
    def changes_every_minute(self) -> bool:
        """Whether the search's meetings depend on the minute ("in progress")."""
        times = self.form.cleaned_data.get("time") or [] if self.form.is_valid() else []
        return bool(set(times) & set(CLOCK_TIMES))

    def filter_attendance(self, queryset, name, value):
        return queryset.with_attendance(value)

    def filter_access(self, queryset, name, value):
        return queryset.with_access(value)

    def filter_type(self, queryset, name, value):
        # The rows the form read: every type of each code chosen, not looked up again.
        return queryset.with_all_types(value) if value else queryset

    def filter_language(self, queryset, name, value):
        return queryset.in_languages(value) if value else queryset

    def filter_medication(self, queryset, name, value):
        return queryset.medication_friendly() if value else queryset

    def filter_words(self, queryset, name, value):
        return queryset.matching(value)

    def filter_confirmed(self, queryset, name, value):
        return queryset.confirmed_since(self.now - RECENTLY_CONFIRMED) if value else queryset

    # -- place, radius and order ------------------------------------------------------

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        point = self.point
        if point is None:
            # No place: online meetings (hybrid ones when asked for), soonest first, in
            # the visitor's time.
            hybrid = "hybrid" in (self.form.cleaned_data.get("attendance") or [])
            return self._soonest(
                queryset.with_attendance(["online", "hybrid"] if hybrid else ["online"])
            )
        asked = self.form.cleaned_data.get("radius") or DEFAULT_RADIUS
        self.radius_asked = asked
        soonest = self.ordering == "soonest"
        for radius in [r for r in RADII if r >= asked] or [asked]:
            nearby = queryset.near(point, radius)
            ranked = nearby.soonest(self.now) if soonest else nearby
            # One read counts the results (up to the cap) and the in-person ones among
            # them; only when the cap cut the in-person count short is it asked apart.
            found, in_person = ranked.first_ranked(RESULTS_CAP + 1)
            if (
                radius >= MAX_RADIUS
                or in_person >= ENOUGH_NEARBY
                or len(found) > RESULTS_CAP
                and has_at_least(nearby.with_attendance(["in_person"]), ENOUGH_NEARBY)
            ):
                break
        self.radius_used = radius
        self.found = found
        if soonest:
            # The soonest are also those starting within a few hours: in the circle's
            # map cells, a range of the (cell, next_start) index each.
            return self._soonest(nearby, partial(queryset.near, point, radius, by_cell=True))
        # The nearest meetings are also those of a smaller circle.
        self.narrower = [
            Narrower(partial(queryset.near, point, r), partial(_within_ring, r), reads_less=True)
            for r in RING_MILES
            if r < radius
        ]
        return nearby

    def checkbox_groups(self) -> dict[str, dict]:
        """The multiple-choice filters as plain data, by name, so the template writes the
        inputs itself (rendering ~70 checkboxes through widget templates costs more than
        the whole search) and places each in its group of the panel."""
        groups = {}
        for name, field in self.form.fields.items():
            if not isinstance(field.widget, forms.CheckboxSelectMultiple):
                continue
            bound = self.form[name]
            chosen = {str(v) for v in (bound.value() or [])}
            if name == "fellowship":  # the rows the cards use too, not read again
                choices = [(f.slug, f.local_name) for f in self.fellowships.values()]
            else:
                choices = field.choices
            options = [(str(v), label, str(v) in chosen) for v, label in choices]
            groups[name] = {
                "name": name,
                "label": field.label,
                "errors": bound.errors,
                "options": options,
                "inputs": checkbox_inputs(name, options),
            }
        return groups

    @cached_property
    def fellowships(self) -> dict[int, Fellowship]:
        """Every fellowship, by id, in their order: the filter's checkboxes and the
        results' cards, from one read of a table of a few dozen rows."""
        return {f.pk: f for f in self.filters["fellowship"].queryset}

    @cached_property
    def types(self) -> dict[int, TypeName]:
        """Every meeting type, by id: the form's type checkboxes and languages and the
        results' cards name theirs from this one read (see type_catalogue)."""
        return type_catalogue()

    def get_form_class(self):
        """django-filter builds the form class, and a field for each filter, for every
        search; they are the same for every search (each form copies its fields), so
        they are built once per FilterSet class."""
        form_class = type(self).__dict__.get("_built_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            type(self)._built_form_class = form_class
        return form_class

    def _soonest(self, queryset, windowed=None):
        """Soonest first, as the filterset's results: the soonest meetings are also
        those starting within a few hours (the narrower queries of RankedResults), read
        from ``windowed()`` when given (the same meetings, found another way)."""
        minute = to_the_minute(self.now)
        within = windowed or (lambda: queryset)
        self.narrower = [
            Narrower(
                partial(_soonest_within, within, self.now, hours),
                partial(_starts_before, (minute + dt.timedelta(hours=hours)).timestamp()),
                reads_less=True,
            )
            for hours in SOONEST_WINDOWS_HOURS
        ]
        return queryset.soonest(self.now)

    @cached_property
    def results(self) -> "RankedResults":
        """The ordered results, counted up to a cap, each page read from the narrowest
        query that holds it (see RankedResults)."""
        full = self.qs
        return RankedResults(
            full, getattr(self, "narrower", []), found=getattr(self, "found", None)
        )

    def cache_words(self) -> list[tuple[str, object]]:
        """The valid search as plain values, for cache keys: URLs that ask the same thing
        (parameters in another order, empty ones) share an entry."""
        chosen = {
            name: value
            for name, value in self.form.cleaned_data.items()
            if value not in (None, "", [])
        }
        return _cache_words(chosen)

    def wanted_types(self) -> frozenset[str]:
        """The type and language codes searched for: every card shows them."""
        if not self.form.is_valid():
            return frozenset()
        chosen = [
            *(self.form.cleaned_data.get("type") or ()),
            *(self.form.cleaned_data.get("language") or ()),
        ]
        return frozenset(t.code for t in chosen)

    @property
    def widened(self) -> bool:
        return self.radius_used is not None and self.radius_used != self.radius_asked

    def online_soon_filters(self) -> dict | None:
        """The filters of the "Online meetings starting soon" section that follows a
        nearby list (the search's own, less the place, radius, order and attendance), or
        None when the page has no such section."""
        if not self.form.is_valid() or self.point is None:  # validation finds the point
            return None
        attendance = set(self.form.cleaned_data.get("attendance") or [])
        if attendance and attendance <= {"in_person"}:
            return None
        return {
            name: value
            for name, value in self.form.cleaned_data.items()
            if name not in ONLINE_SOON_IGNORES and value not in (None, "", [])
        }

    def online_soon_words(self) -> list[tuple[str, object]] | None:
        """The section's filters as plain values, for cache keys (None: no section)."""
        chosen = self.online_soon_filters()
        return None if chosen is None else _cache_words(chosen)

    def online_soon(self, limit=5) -> "OnlineMatches":
        """The online meetings that match a place search: how many (up to ONLINE_COUNTED,
        among the ONLINE_SOON_EXAMINED soonest online meetings) and the soonest few, for
        the section that follows the nearby list.

        It does not depend on the place, so every search with the same other filters
        shares it for a minute (the cache holds the count and the meetings' ids)."""
        chosen = self.online_soon_filters()
        if chosen is None:
            return NO_ONLINE
        minute = f"{self.now:%Y%m%d%H%M}"
        key = cache_key("online-soon", minute, _cache_words(chosen), version=online_version())
        kept = cache.get(key)
        if kept is None:
            matches, ids = self._online_matches(chosen, limit)
            cache.set(key, (ids, matches.count, matches.more_than_counted, matches.until), 60)
            return matches
        ids, count, more, until = kept
        return OnlineMatches(ids, count, more, until)

    def _online_matches(self, chosen: dict, limit: int) -> tuple["OnlineMatches", list]:
        """Counted by reading at most ONLINE_COUNTED + 1 ids, soonest first: the first few
        are the section's. When more than ONLINE_SOON_EXAMINED online meetings lie ahead,
        only those starting within the whole hours before the last of the first
        ONLINE_SOON_EXAMINED (``until``) are counted: a range of the (attendance,
        next_start, id) index, read in its order."""
        last = ONLINE_SOON_EXAMINED - 1
        # Of every online meeting, listed or not: the index alone, no row read.
        until = (
            Meeting.objects.filter(attendance=Meeting.Attendance.ONLINE)
            .soonest_by_index(self.now)
            .values_list("next_start", flat=True)[last : last + 1]
            .first()
        )
        online = self.queryset.filter(attendance=Meeting.Attendance.ONLINE)
        for name, value in chosen.items():
            online = self.filters[name].filter(online, value)
        if until is None:  # few online meetings ahead: every one is counted
            ranked = online.soonest(self.now)
        else:
            hours = max(1, int((until - self.now) / dt.timedelta(hours=1)))
            until = self.now + dt.timedelta(hours=hours)
            ranked = online.filter(next_start__lt=until).soonest_by_index(self.now)
        ids = list(ranked.values_list("pk", flat=True)[: ONLINE_COUNTED + 1])
        more = len(ids) > ONLINE_COUNTED
        shown = ids[:limit]
        return OnlineMatches(
            shown, min(len(ids), ONLINE_COUNTED), more, None if more else until
        ), shown


@dataclass(frozen=True)
class OnlineMatches:
    ids: list  # the soonest few, in order
    count: int = 0
    more_than_counted: bool = False
    # When set, ``count`` is of the matches starting before then (see online_soon).
    until: dt.datetime | None = None


NO_ONLINE = OnlineMatches([])


ONLINE_SOON_IGNORES = {"attendance", "near", "radius", "sort", "tz"}


def checkbox_inputs(name: str, options) -> str:
    """The checkboxes of one filter as HTML, written in Python: the same markup through
    the template language cost a few milliseconds a page (some 120 options), and
    through format_html still one. Every value is escaped (html.escape, as Django's)."""
    name = escape(name)
    return mark_safe(
        "".join(
            f'<label class="check"><input type="checkbox" name="{name}" '
            f'value="{escape(str(value))}"{" checked" if checked else ""}> '
            f"{escape(str(label))}</label>"
            for value, label, checked in options
        )
    )


def _cache_words(chosen: dict) -> list[tuple[str, object]]:
    """Filter values as plain text for a cache key (model choices by primary key), in
    name order."""
    words = {}
    for name, value in chosen.items():
        if isinstance(value, str | int | float):
            words[name] = str(value)
        else:
            words[name] = sorted(str(getattr(item, "pk", item)) for item in value)
    return sorted(words.items())


def _soonest_within(meetings, now, hours):
    """The meetings (of the query ``meetings()``) starting within ``hours``, soonest
    first: one range of the next-start index (within a place, of each of its cells)."""
    return meetings().starting_within(now, hours).soonest(now)


def has_at_least(queryset, n: int) -> bool:
    """Whether the query has ``n`` rows, reading no more than ``n``."""
    return queryset.order_by().values("pk")[:n].count() >= n


@dataclass(frozen=True)
class Narrower:
    """A query whose rows are the full query's first rows in the same order (the
    meetings of a smaller circle are the nearest; those starting within hours are the
    soonest), and which of the full query's rows it holds, by their rank."""

    query: Callable
    holds: Callable[[tuple], bool]
    # Whether it reads fewer rows than the full query (a smaller circle), not only
    # sorts fewer (a time window, which still searches the whole circle).
    reads_less: bool = False


def _within_ring(miles: float, rank: tuple) -> bool:
    return -rank[0] >= closeness_within(miles)  # near()'s own test


def _starts_before(moment: float, rank: tuple) -> bool:
    return not rank[0] and rank[1] < moment


class RankedResults:
    """Search results for the paginator, as meeting ids in order: an ordered query, its
    first rows as ``(rank, id)`` (see MeetingQuerySet.first_ranked) and narrower
    queries (see Narrower).

    With RESULTS_CAP results or fewer, every page is sorted in Python from those rows:
    the database is not asked again. With more, a page is read from the narrowest query
    that holds it, so the database sorts a few hundred meetings rather than every one
    within 25 miles; the rows read already tell which narrower query holds it when they
    can (a circle of 500 meetings of which 30 start within the hour has at least 30
    within the hour). The count stops at RESULTS_CAP ("More than 500 meetings"), since
    no one pages further.
    """

    def __init__(self, full, narrower=(), *, found: list[tuple] | None = None):
        """``found``: the full query's first RESULTS_CAP + 1 rows as (rank, id), read
        already (the widening of the circle reads them), so they are not read again."""
        self.full = full
        self.narrower = list(narrower)
        self._found = found

    @property
    def found(self) -> list[tuple]:
        if self._found is None:
            self._found = self.full.first_ranked(RESULTS_CAP + 1)[0]
        return self._found

    def count(self) -> int:
        return min(len(self.found), RESULTS_CAP)

    @property
    def more_than_counted(self) -> bool:
        return len(self.found) > RESULTS_CAP

    def __len__(self):
        return self.count()

    def __getitem__(self, key) -> list[int]:
        if not isinstance(key, slice):
            return self[key : key + 1][0]
        if not self.more_than_counted:
            return [pk for _rank, pk in sorted(self.found)[key]]
        if key.stop is None or key.step is not None:
            return list(self.full.values_list("pk", flat=True)[key])
        # The rows read already may show a narrower query to hold the page: it is the
        # last one tried. Smaller ones that read fewer rows are tried before it (a page
        # within 2 mi costs less than one within 10); the others cost a search of the
        # whole circle each, so it is tried alone. Shown none, each is tried in turn.
        wanted = key.stop - (key.start or 0)
        proven = next(
            (
                i
                for i, narrower in enumerate(self.narrower)
                if sum(narrower.holds(rank) for rank, _pk in self.found) >= key.stop
            ),
            None,
        )
        tries = self.narrower
        if proven is not None:
            tries = [n for n in self.narrower[:proven] if n.reads_less] + [tries[proven]]
        for narrower in tries:
            ids = list(narrower.query().values_list("pk", flat=True)[key])
            if len(ids) >= wanted:
                return ids
        return list(self.full.values_list("pk", flat=True)[key])


class FeedFilter(MeetingFilter):
    """The search's filters for the feed (/api/meetings.json): every meeting that
    matches, not a page for a person. Without a place that is all of them (the search's
    "online meetings, soonest first" is for someone looking, not for a service body
    publishing its list); with one, those within the radius asked, never widened."""

    def filter_queryset(self, queryset):
        # The plain filters only: MeetingFilter's own step (widening, soonest) is skipped.
        queryset = django_filters.FilterSet.filter_queryset(self, queryset)
        if self.point is None:
            return queryset.order_by("id")
        radius = self.form.cleaned_data.get("radius") or DEFAULT_RADIUS
        self.radius_asked = self.radius_used = radius
        return queryset.near(self.point, radius)
