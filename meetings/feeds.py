"""Feeds out: the Meeting Guide JSON feed, streamed, and the search as a calendar.

The feed never holds its meetings in memory: rows are read as named tuples through a
database cursor in chunks, each chunk's types in one more query, and written out as
JSON text chunk by chunk. The whole directory (a quarter of a million meetings) must go
out in under ten seconds and 300 MB (issue 6; ``bench/feed_export.py`` measures it), so
each row is one dict, built once and serialized at once by orjson.
"""

from collections import defaultdict
from collections.abc import Iterator
from itertools import islice

import orjson

from directory.models import Fellowship, Group, Location
from meetings.formats.hsds import (
    HSDS_VALUES,
    fellowship_organization,
    group_organization,
    to_location,
    to_service,
)
from meetings.formats.meeting_guide import FEED_VALUES, feed_values, to_feed_row
from meetings.models import Meeting, MeetingType

# Meetings per chunk: one fetch from the cursor, one types query and one piece of the
# response each. A small chunk's rows are still in the processor's cache when they are
# written: 500 measured a little faster than 1,000 or 2,000 on SQLite, even on PostgreSQL.
FEED_CHUNK = 500
# A subscribed search calendar holds at most this many meetings (the nearest, or the
# soonest): calendar apps grow slow past a few hundred recurring events.
CALENDAR_LIMIT = 500


def _meeting_chunks(meetings, fields=FEED_VALUES) -> Iterator[tuple[list, dict[int, list[str]]]]:
    """The meetings' ``feed_values`` rows (of ``fields``), up to FEED_CHUNK at a time in
    the queryset's order, each chunk with its meetings' Meeting Guide codes by meeting id."""
    spec_codes = dict(MeetingType.objects.filter(fellowship=None).values_list("id", "code"))
    links = Meeting.types.through.objects.values_list("meeting_id", "meetingtype_id")
    rows = feed_values(meetings, fields).iterator(chunk_size=FEED_CHUNK)
    while chunk := list(islice(rows, FEED_CHUNK)):
        ids = [meeting.id for meeting in chunk]
        yield chunk, _codes_by_meeting(links, ids, spec_codes)


def _codes_by_meeting(links, ids: list[int], spec_codes: dict[int, str]) -> dict[int, list[str]]:
    """The Meeting Guide codes of these meetings, by meeting id, in one query of
    ``links``: the meetings' links to their types, as (meeting id, type id).

    ``spec_codes`` maps the spec's types' ids to their codes; fellowship-local types are
    not in it and are left out. Reading the links alone, without a join to the types,
    measured 0.4 s faster for the whole directory on PostgreSQL.

    The whole feed goes in id order, so a chunk's ids are nearly consecutive: they are
    read as one id range, and the links of meetings in the range but not in the feed
    (retired ones) are read and never asked for. Read by lists of ids instead, the whole
    directory's types took 1.3 s on PostgreSQL against 0.3 s by ranges: it plans a long
    IN list slowly, and Django prepares each of its values in Python. A chunk of
    scattered ids (a feed near a place, nearest first) is still read by its list.
    """
    low, high = min(ids), max(ids)
    if high - low < 2 * len(ids):
        links = links.filter(meeting_id__gte=low, meeting_id__lte=high)
    else:
        links = links.filter(meeting_id__in=ids)
    codes = defaultdict(list)
    for meeting_id, type_id in links:
        if code := spec_codes.get(type_id):
            codes[meeting_id].append(code)
    return codes


def feed_json(meetings, *, base_url: str) -> Iterator[bytes]:
    """The feed as pieces of one JSON array, a chunk of rows per piece, one row a line.

    orjson writes the JSON that ``json.dumps(row, ensure_ascii=False,
    separators=(",", ":"))`` writes (a float under 0.0001 aside: 0.00001, not 1e-05),
    ten times faster. Each row is serialized as soon as it is built and added to the
    piece's buffer, so its dict and its bytes are freed at once: keeping a chunk's
    serialized rows for a ``join`` measured ten times slower than serializing them. The
    pieces are bytes (UTF-8), as they go out and are kept (meetings.feed_cache).
    """
    # The opening bracket goes out with the first rows, so the first piece asks the
    # database (recoverymap.lib.streaming: an outage is a 503, never a "[" and a cut).
    piece = bytearray(b"[")
    separator = b""
    for chunk, codes in _meeting_chunks(meetings):
        for meeting in chunk:
            row = to_feed_row(meeting, codes.get(meeting.id, ()), base_url=base_url)
            piece += separator
            piece += orjson.dumps(row)
            separator = b",\n"
        yield bytes(piece)
        piece = bytearray()
    yield bytes(piece) + b"]\n"


def hsds_services(meetings, *, page: int, per_page: int, base_url: str, now) -> Iterator[bytes]:
    """One page of the meetings as HSDS 3.0 services, in the paged list HSDS's own API
    answers ``GET /services`` with (``total_items``, ``page_number``, ``contents``...).

    The count and the page's first rows go out in the first piece (an outage is a 503).
    """
    total = meetings.count()
    types = {
        code: (category, name)
        for code, category, name in MeetingType.objects.filter(fellowship=None).values_list(
            "code", "category", "name"
        )
    }
    start = (page - 1) * per_page
    ids = list(meetings.values_list("id", flat=True)[start : start + per_page])
    head = _page_head(total, page, per_page, empty=not ids)
    piece = bytearray(orjson.dumps(head)[:-1] + b',"contents":[')
    separator = b""
    for chunk, codes in _meeting_chunks(meetings.filter(id__in=ids), HSDS_VALUES):
        for meeting in chunk:
            service = to_service(
                meeting, codes.get(meeting.id, ()), types, base_url=base_url, now=now
            )
            piece += separator + orjson.dumps(service)
            separator = b",\n"
        yield bytes(piece)
        piece = bytearray()
    yield bytes(piece) + b"]}\n"


def _page_head(total: int, page: int, per_page: int, *, empty: bool) -> dict:
    """The paging fields of HSDS's own API's lists."""
    total_pages = max(1, -(-total // per_page))
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page,
        "size": per_page,
        "first_page": page == 1,
        "last_page": page >= total_pages,
        "empty": empty,
    }


def _one_page(total: int, page: int, per_page: int, records: list[dict]) -> Iterator[bytes]:
    head = _page_head(total, page, per_page, empty=not records)
    head["contents"] = records
    yield orjson.dumps(head) + b"\n"


def hsds_organizations(meetings, *, page: int, per_page: int) -> Iterator[bytes]:
    """One page of the organizations behind ``meetings``, as HSDS's ``GET
    /organizations`` answers: first the fellowships (the groups' parent organizations),
    then the groups, each once, in identifier order. Read in the first (only) piece."""
    group_ids = meetings.order_by().values("group_id")
    groups = Group.objects.filter(id__in=group_ids).select_related("fellowship").order_by("id")
    fellowships = Fellowship.objects.filter(groups__in=groups).distinct().order_by("id")
    start = (page - 1) * per_page
    found = list(fellowships[start : start + per_page])
    fellowship_count = fellowships.count()
    records = [fellowship_organization(f) for f in found]
    if len(records) < per_page:
        first_group = max(0, start - fellowship_count)
        wanted = per_page - len(records)
        records += [group_organization(g) for g in groups[first_group : first_group + wanted]]
    total = fellowship_count + groups.count()
    yield from _one_page(total, page, per_page, records)


def hsds_locations(meetings, *, page: int, per_page: int) -> Iterator[bytes]:
    """One page of the venues where ``meetings`` meet in person (a door people can
    find: not temporarily closed, not only a town), as HSDS's ``GET /locations``
    answers, each once, in identifier order. Read in the first (only) piece."""
    in_person = (
        meetings.order_by()
        .filter(attendance__in=["in_person", "hybrid"], location__approximate=False)
        .exclude(status="tc")
        .values("location_id")
    )
    locations = (
        Location.objects.filter(id__in=in_person)
        .exclude(address="")
        .exclude(city="")
        .exclude(country="")
        .exclude(state="", postal_code="")
        .order_by("id")
    )
    start = (page - 1) * per_page
    records = [to_location(location) for location in locations[start : start + per_page]]
    yield from _one_page(locations.count(), page, per_page, records)
