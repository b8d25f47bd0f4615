"""What the results page shows for each meeting, and the chips of active filters."""

import datetime as dt
import functools
from dataclasses import dataclass, field
from html import escape
from urllib.parse import urlencode

from django.db.models import Choices
from django.http import QueryDict
from django.urls import reverse
from django.utils import formats
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from directory.models import Fellowship
from meetings.filters import DEFAULT_RADIUS, checkbox_inputs
from meetings.models import (
    IN_PERSON_ATTENDANCE,
    Meeting,
    MeetingType,
    TypeName,
    type_ids_of,
)
from meetings.schedule import Occurrence, current_or_next_occurrence
from recoverymap.lib.geo import Point, arc_miles, unit_vector

# Types worth a word on a results card; the rest are on the meeting page.
KEY_TYPE_CATEGORIES = {
    MeetingType.Category.AUDIENCE,
    MeetingType.Category.LANGUAGE,
    MeetingType.Category.ACCESSIBILITY,
    MeetingType.Category.FORMAT,
}
MAX_KEY_TYPES = 4
ENGLISH = "EN"


@dataclass(eq=False)
class MeetingCard:
    """What a results card (and the map) shows of one meeting, read as plain values:
    model instances of a page's 25 meetings with their groups, fellowships and places
    cost a millisecond more to build than the cards themselves. The fellowship is one of
    the page's fellowships, read once (``MeetingFilter.fellowships``)."""

    pk: int
    slug: str
    name: str
    group_name: str
    fellowship: Fellowship
    day: int
    start_time: dt.time
    end_time: dt.time | None
    timezone: str
    attendance: str
    access: str
    status: str
    location_id: int | None
    place_name: str
    city: str
    latitude: float | None
    longitude: float | None
    reported_gone: bool
    # Its types worth a word on a card (key_types_of).
    shown_types: list[TypeName] = field(default_factory=list)

    @property
    def display_name(self) -> str:
        return self.name or self.group_name  # as Meeting.display_name

    @property
    def is_in_person(self) -> bool:
        return self.attendance in IN_PERSON_ATTENDANCE

    @property
    def has_point(self) -> bool:
        return self.latitude is not None and self.longitude is not None


_CARD_COLUMNS = (
    *("pk", "slug", "name", "group__name", "group__fellowship_id"),
    *("day", "start_time", "end_time", "timezone", "attendance", "access", "status"),
    *("location_id", "location__name", "location__city"),
    *("location__latitude", "location__longitude", "reported_gone", "type_ids"),
)


def meeting_cards(
    meetings, ids: list[int], fellowships: dict[int, Fellowship], types: dict[int, TypeName]
) -> dict:
    """The cards of the meetings ``ids`` among ``meetings`` (a queryset: those still
    listed), by id, with their types, in one query. ``fellowships`` and ``types``: every
    fellowship and type, by id (MeetingFilter.fellowships, type_catalogue())."""
    rows = meetings.filter(pk__in=ids).with_type_ids().values_list(*_CARD_COLUMNS)
    return {
        pk: MeetingCard(
            pk, slug, name, group, fellowships[fellowship], *rest, key_types_of(type_ids, types)
        )
        for pk, slug, name, group, fellowship, *rest, type_ids in rows
    }


def key_types_of(type_ids: str | None, types: dict[int, TypeName]) -> list[TypeName]:
    """Of a card's types (``with_type_ids()``), those worth a word on it."""
    return [
        found
        for found in map(types.get, type_ids_of(type_ids))
        if found is not None and found.category in KEY_TYPE_CATEGORIES and found.code != ENGLISH
    ]


@dataclass
class ResultRow:
    """One meeting on a results page, with its words worked out once (cheaper in Python
    than in the template, which renders 25 of these per page)."""

    meeting: MeetingCard
    occurrence: Occurrence
    happening_now: bool
    day_word: str
    distance: float | None
    key_types: list[str]
    hint: str = ""
    url: str = ""
    name: str = ""
    meta: str = ""
    where: str = ""


def meeting_urls():
    """A slug's meeting page address, reversed once for all of a page's rows (in the
    page's language: never kept beyond the request)."""
    prefix = reverse("meetings:meeting-detail", args=["slug"]).removesuffix("slug/")
    return lambda slug: f"{prefix}{slug}/"


def result_row(
    meeting: MeetingCard,
    now,
    *,
    zone: str | None = None,
    wanted: frozenset[str] = frozenset(),
    url_of,
    point: Point | None = None,
) -> ResultRow:
    """``wanted``: the type codes the person searched for, always shown on the card;
    ``url_of``: the page's meeting_urls(); ``point``: the place searched near."""
    occurrence = current_or_next_occurrence(meeting, now)
    happening_now = occurrence.is_happening(now)
    occurrence = occurrence.told_in(zone)
    types = list(meeting.shown_types)  # see key_types_of()
    label = {t.pk: t.label for t in types}  # each worked out once (in the page's language)
    types.sort(key=lambda t: (t.category != MeetingType.Category.AUDIENCE, label[t.pk]))
    # Its language (when not English) and what was asked for never give way to others.
    always = [t for t in types if t.category == MeetingType.Category.LANGUAGE or t.code in wanted]
    rest = [t for t in types if t not in always]
    shown = always + rest[: max(0, MAX_KEY_TYPES - len(always))]
    fellowship = meeting.fellowship
    # An online meeting's place is only where the group is based: no distance to it.
    distance = None
    if point is not None and meeting.is_in_person and meeting.has_point:
        distance = arc_miles(
            unit_vector(point.latitude, point.longitude),
            unit_vector(meeting.latitude, meeting.longitude),
        )
    meta = [
        fellowship.abbreviation or fellowship.local_name,
        choice_label(Meeting.Attendance, meeting.attendance),
    ]
    if meeting.access:
        meta.append(choice_label(Meeting.Access, meeting.access))
    if distance is not None:
        meta.append(_("%(miles)s mi") % {"miles": formats.number_format(distance, 1)})
    where = ""
    if meeting.location_id and meeting.is_in_person:
        where = ", ".join(p for p in (meeting.place_name, meeting.city) if p)
    return ResultRow(
        meeting=meeting,
        occurrence=occurrence,
        happening_now=happening_now,
        day_word=occurrence.day_word(now),
        distance=distance,
        key_types=[label[t.pk] for t in shown],
        hint=fellowship.plain_words,
        url=url_of(meeting.slug),
        name=meeting.display_name,
        meta=" · ".join(meta),
        where=where,
    )


def choice_label(choices: type[Choices], value: str) -> str:
    """The label of a stored choice in the page's language. Django's get_FOO_display()
    hashes every (lazy) label of the field to find it, translating each: 100 us a card."""
    return _label_in(choices, value, get_language())


@functools.lru_cache(maxsize=256)
def _label_in(choices: type[Choices], value: str, language: str | None) -> str:
    return str(choices(value).label)  # the database holds only valid choices (constraints)


def result_cards(rows: list[ResultRow]) -> str:
    """The cards of a results list, as HTML. Written in Python, not a template: a
    results page shows 25 of them, and the same markup through the template language
    (an include per card, some 25 nodes each) cost more than the rest of the page's
    rendering. Every value is escaped here (``escape`` is html.escape, as Django's)."""
    words = {
        "now": escape(_("Happening now")),
        "gone": escape(_("Reported as not meeting — check before you go")),
        "closed": escape(_("Temporarily not meeting in person")),
    }
    return mark_safe("".join(_card(row, words) for row in rows))


def _card(row: ResultRow, words: dict[str, str]) -> str:
    occurrence = row.occurrence
    now = f'<span class="badge now">{words["now"]}</span> ' if row.happening_now else ""
    html = [
        f'<li class="card result">\n  <h3><a href="{escape(row.url)}">{escape(row.name)}</a></h3>\n'
        f'  <p class="when">{now}<strong>{escape(row.day_word)}</strong> '
        f"{escape(occurrence.time_range)} "
        f'<span class="muted">{escape(occurrence.zone_abbreviation)}</span></p>\n'
        f'  <p class="meta">{escape(row.meta)}</p>\n'
    ]
    if row.hint:
        html.append(f'  <p class="hint">{escape(row.hint)}</p>\n')
    if row.where:
        html.append(f'  <p class="where" translate="no">{escape(row.where)}</p>\n')
    if row.meeting.reported_gone:
        html.append(f'  <p class="badge bad">{words["gone"]}</p>\n')
    if row.meeting.status == Meeting.Status.TEMPORARILY_CLOSED:
        html.append(f'  <p class="badge warn">{words["closed"]}</p>\n')
    if row.key_types:
        tags = "".join(f"<li>{escape(name)}</li>" for name in row.key_types)
        html.append(f'  <ul class="tags">{tags}</ul>\n')
    html.append("</li>\n")
    return "".join(html)


def map_points(rows: list[ResultRow]) -> list[dict]:
    """The page's meetings that have a place, for the map (JSON, read by map.js)."""
    points = []
    for row in rows:
        meeting = row.meeting
        # An online meeting's place (its group's town) is no pin to go to.
        if not meeting.has_point or not meeting.is_in_person:
            continue
        points.append(
            {
                "lat": round(meeting.latitude, 5),
                "lng": round(meeting.longitude, 5),
                "name": row.meeting.display_name,
                "when": f"{row.day_word} {row.occurrence.time_range}",
                "url": row.url,
            }
        )
    return points


def query_without(query, *names: str, value: str | None = None) -> str:
    """The query string less some parameters (or one value of one)."""
    pairs = [
        (key, item)
        for key in query
        for item in query.getlist(key)
        if not (key in names and (value is None or item == value))
    ]
    return urlencode(pairs)


def query_with(query, name: str, value: str) -> str:
    """The query string with one parameter set to ``value`` (and back to page one)."""
    pairs = [(k, v) for k in query for v in query.getlist(k) if k not in (name, "page")]
    return urlencode([*pairs, (name, value)])


def place_links(form, query) -> dict:
    """The same search at the other places the typed one may mean ("Did you mean…"),
    or at the nearest matches when it was not found."""
    answer = form.place
    return {
        "place_others": [(label, query_with(query, "near", label)) for label in answer.others],
        "place_suggestions": [
            (label, query_with(query, "near", label)) for label in answer.suggestions
        ],
    }


@dataclass
class Chip:
    label: str  # "Language: Spanish"
    remove_query: str
    name: str = ""
    value: str = ""  # "Spanish": what the chip shows, its label being its accessible name


_CHIP_FIELDS = [
    "near", "radius", "fellowship", "approach", "audience", "focus", "day", "time",
    "attendance", "access", "type", "language", "medication", "q", "confirmed",
]  # fmt: skip


def active_chips(filterset, query) -> list[Chip]:
    """One removable chip per value of every filter that is set and valid."""
    form = filterset.form
    if not form.is_valid():
        return []
    chips = []
    for name in _CHIP_FIELDS:
        field = form.fields[name]
        for raw in query.getlist(name):
            if raw == "" or (name == "radius" and raw == str(DEFAULT_RADIUS)):
                continue  # the form sends the default radius: not a filter of the person's
            label = _choice_label(
                field,
                raw,
                filterset.point if name == "near" else None,
                form.cleaned_data.get(name),
            )
            text = _("%(filter)s: %(value)s") % {"filter": field.label, "value": label}
            chips.append(Chip(text, query_without(query, name, value=raw), name, label))
    return chips


def _choice_label(field, raw: str, point, chosen) -> str:
    """``chosen``: the field's cleaned value (for a model choice, the rows the form read,
    so naming them needs no query)."""
    if point is not None:
        return point.label
    queryset = getattr(field, "queryset", None)
    if queryset is not None:
        rows = () if chosen is None or isinstance(chosen, str) else chosen
        found = next((r for r in rows if str(getattr(r, field.to_field_name)) == raw), None)
        return field.label_from_instance(found) if found else raw
    for value, label in getattr(field, "choices", []):
        if str(value) == raw:
            return str(label)
    return raw


@dataclass
class WayOn:
    """A way on from an empty page: the same search less one filter, and what it finds."""

    label: str
    query: str
    count: int
    more_than_counted: bool


WAYS_ON_SHOWN = 6


def ways_on(filterset, chips: list[Chip]) -> list[WayOn]:
    """For a search that found nothing: the same search less each of its filters in
    turn (the place and radius kept), with how many meetings each would find."""
    ways = []
    for chip in chips:
        if chip.name in {"near", "radius"}:
            continue
        other = type(filterset)(
            QueryDict(chip.remove_query), queryset=filterset.queryset, now=filterset.now
        )
        if other.is_valid() and (count := other.results.count()):
            ways.append(
                WayOn(chip.label, chip.remove_query, count, other.results.more_than_counted)
            )
        if len(ways) == WAYS_ON_SHOWN:
            break
    return ways


# The types offered as checkboxes; any other code still works in the URL.
COMMON_TYPES = ["BE", "SP", "D", "ST", "B", "MED", "W", "M", "Y", "LGBTQ", "X", "ASL", "POA", "DD"]


def type_choices(query, types: dict[int, TypeName]) -> dict:
    """Checkbox types and language options for the search form, with what is chosen.
    ``types``: every type, by id (type_catalogue())."""
    # A code with a NUL byte is no code (and PostgreSQL refuses it in a query).
    selected_types = [code for code in query.getlist("type") if "\x00" not in code]
    selected_languages = query.getlist("language")
    language = MeetingType.Category.LANGUAGE
    # The spec's checkbox types and languages, named in the page's language.
    offered = set(COMMON_TYPES + selected_types[:20])
    spec = [
        (found.code, found.category, found.label)
        for found in types.values()
        if found.fellowship_id is None and (found.code in offered or found.category == language)
    ]
    by_code = {code: label for code, _category, label in spec}
    codes = COMMON_TYPES + [c for c in selected_types if c not in COMMON_TYPES]
    languages = sorted(
        ((code, label) for code, category, label in spec if category == language),
        key=lambda pair: (pair[0] not in {"EN", "S"}, pair[1]),
    )
    common_types = [(code, by_code[code]) for code in codes if code in by_code]
    chosen_languages = set(selected_languages)
    return {
        "common_types": common_types,
        "selected_types": selected_types,
        "languages": languages,
        "selected_languages": selected_languages,
        # Written in Python, as the filter checkboxes (see checkbox_inputs).
        "type_inputs": checkbox_inputs(
            "type", [(code, label, code in selected_types) for code, label in common_types]
        ),
        "language_options": mark_safe(
            "".join(
                f'<option value="{escape(code)}"'
                f"{' selected' if code in chosen_languages else ''}>{escape(label)}</option>"
                for code, label in languages
            )
        ),
    }
