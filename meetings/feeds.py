"""Feeds out: the Meeting Guide JSON feed, streamed, and the search as a calendar.

The feed never holds its meetings in memory: rows are read with ``values()`` through a
database cursor in chunks, each chunk's types in one more query, and written out as
JSON text chunk by chunk.
"""

import json
from collections import defaultdict
from collections.abc import Iterator

from meetings.formats.meeting_guide import FEED_VALUES, to_feed_row
from meetings.models import Meeting

FEED_CHUNK = 2000
# A subscribed search calendar holds at most this many meetings (the nearest, or the
# soonest): calendar apps grow slow past a few hundred recurring events.
CALENDAR_LIMIT = 500


def feed_rows(meetings, *, base_url: str) -> Iterator[dict]:
    """Feed rows for a queryset of meetings, chunk by chunk."""
    chunk = []
    for values in meetings.values(*FEED_VALUES).iterator(chunk_size=FEED_CHUNK):
        chunk.append(values)
        if len(chunk) == FEED_CHUNK:
            yield from _rows(chunk, base_url)
            chunk = []
    yield from _rows(chunk, base_url)


def _rows(chunk: list[dict], base_url: str) -> Iterator[dict]:
    if not chunk:
        return
    codes = defaultdict(list)
    links = Meeting.types.through.objects.filter(
        meeting_id__in=[values["id"] for values in chunk], meetingtype__fellowship__isnull=True
    ).values_list("meeting_id", "meetingtype__code")
    for meeting_id, code in links:
        codes[meeting_id].append(code)
    for values in chunk:
        values["types"] = codes.get(values["id"], ())
        yield to_feed_row(values, base_url=base_url)


def feed_json(meetings, *, base_url: str) -> Iterator[str]:
    """The feed as pieces of one JSON array, a chunk of rows per piece."""
    yield "["
    pieces, first = [], True
    for row in feed_rows(meetings, base_url=base_url):
        pieces.append(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
        if len(pieces) == FEED_CHUNK:
            yield ("" if first else ",") + ",\n".join(pieces)
            pieces, first = [], False
    if pieces:
        yield ("" if first else ",") + ",\n".join(pieces)
    yield "]\n"
