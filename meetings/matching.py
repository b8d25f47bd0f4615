"""Which meetings are the same meeting listed by two sources: pure logic, no database.

Two listings are one meeting when they are of the same fellowship, on the same weekday,
start within a few minutes of each other, meet at the same place (the same location, the
same normalized address, or points within a short walk) or in the same online room (the
same join link or meeting id), and have similar names. Two fellowships are never one
meeting: AA and Al-Anon in one hall at one hour are two.

Comparing every meeting with every other is out of the question at 100,000 meetings, so
candidates are put in blocks first: by fellowship and weekday, then by a map cell of
about half a mile (each cell is compared with its neighbours), by address, or by join
room; only listings of two different sources in one block, starting within
``NEAR_MINUTES``, are scored. ``find_pairs`` gives the pairs worth a record: matched,
or a near miss that staff may want to join by hand.
"""

import bisect
import difflib
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from recoverymap.lib.geo import arc_miles

# A matched pair starts at most this many minutes apart, at most this far apart on the map
# (a short walk: one building, or across the street), with names at least this similar.
MATCH_MINUTES = 5
WALK_MILES = 0.15
MATCH_NAME_SIMILARITY = 0.6
# Same room online: the join link is a stronger proof than a street address, so names
# only need to look alike a little (one source calls it "Zoom 7am", the other by name).
MATCH_NAME_SIMILARITY_SAME_ROOM = 0.3
# A pair within these bounds that is not a match is a near miss: listed for staff.
NEAR_MINUTES = 15
NEAR_MILES = 0.5
NEAR_NAME_SIMILARITY = 0.35
NEAR_SCORE = 0.5
# One address with two points further apart than this is two places (as the importer
# judges: the same street and number in two towns, or a feed's wrong point).
SAME_ADDRESS_MILES = 0.25

# Map cells of 0.01° latitude (0.69 mi) by 0.01° longitude (0.5 mi in the US): every
# point within NEAR_MILES of another is in the same or a neighbouring cell up to about
# 45° north; further north the longitude span of a cell shrinks and a few near misses
# across a cell edge are not seen (never a match: WALK_MILES is well inside a cell).
CELL_DEGREES = 0.01

# Words that say nothing about which meeting it is, left out of name comparisons.
_FILLER_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "and",
        "group",
        "grupo",
        "meeting",
        "meetings",
        "reunion",
        "aa",
        "na",
        "alanon",
        "al",
        "anon",
        "de",
        "del",
        "la",
        "el",
        "los",
        "las",
        "y",
    ]
)


@dataclass(frozen=True)
class Listing:
    """What the matcher needs of one meeting. ``source`` is who lists it ("" when it was
    entered here); ``place`` is the location's id; ``address`` its normalized address
    (empty when it has none); ``vector`` its point as a unit vector, or None."""

    id: int
    source: str
    fellowship: int
    day: int
    start: int  # minutes after midnight
    name: str
    place: int | None = None
    address: str = ""
    vector: tuple[float, float, float] | None = None
    room: str = ""  # the online room, see join_room()
    in_person: bool = True
    online: bool = False


@dataclass
class Pair:
    """Two listings the matcher compared, ``first.id < second.id``."""

    first: int
    second: int
    matched: bool
    score: float
    reasons: dict = field(default_factory=dict)


def normalize_name(name: str) -> str:
    """A meeting's name folded for comparison: accents, case, punctuation and filler
    words ("group", "meeting", "AA") left out."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    words = re.sub(r"[^\w\s]", " ", text.replace("'", "")).split()
    kept = [w for w in words if w not in _FILLER_WORDS]
    return " ".join(kept or words)


def name_similarity(a: str, b: str) -> float:
    """0 to 1: the share of the names' words found in the other name, a word counting as
    found when it is spelled nearly alike ("Adjustmnt"), so "Sunday Serenity" and
    "Serenity Sunday" score 1 and "Men's Stag" and "Women's Big Book Study" 0. Names
    that differ only in spacing or punctuation ("TGIF", "T.G.I.F.") score high too."""
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    whole = difflib.SequenceMatcher(None, a.replace(" ", ""), b.replace(" ", ""), autojunk=False)
    words_a, words_b = a.split(), b.split()
    found = sum(_has_word(word, words_b) for word in words_a)
    found += sum(_has_word(word, words_a) for word in words_b)
    shared = found / (len(words_a) + len(words_b))
    return max(shared, whole.ratio() if whole.ratio() >= SAME_SPELLING else 0.0)


# Two words (or two whole names without spaces) this alike are the same, misspelt.
SAME_SPELLING = 0.85


def _has_word(word: str, words: list[str]) -> bool:
    return any(
        word == other
        or difflib.SequenceMatcher(None, word, other, autojunk=False).ratio() >= SAME_SPELLING
        for other in words
    )


_ZOOM_ID = re.compile(r"/(?:j|w|wc/join|s)/(\d{9,11})")


def join_room(url: str, phone: str = "") -> str:
    """The online room a join link (or, without one, a dial-in number) opens, in one
    spelling: a Zoom meeting id whatever its host or passcode, else the link's host and
    path without query or trailing slash, else the dial-in digits; "" when none."""
    if url:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").removeprefix("www.")
        if host == "zoom.us" or host.endswith(".zoom.us"):
            found = _ZOOM_ID.search(parts.path)
            if found:
                return f"zoom:{found.group(1)}"
            if ids := parse_qs(parts.query).get("confno"):
                return f"zoom:{ids[0]}"
        if host:
            return f"{host}{parts.path.rstrip('/').lower()}"
    digits = re.sub(r"\D", "", phone.split(",")[0])
    return f"tel:{digits[-10:]}" if len(digits) >= 10 else ""


def _cell(vector: tuple) -> tuple[int, int]:
    lat = math.degrees(math.asin(max(-1.0, min(1.0, vector[2]))))
    lng = math.degrees(math.atan2(vector[1], vector[0]))
    return math.floor(lat / CELL_DEGREES), math.floor(lng / CELL_DEGREES)


def _blocks(listing: Listing) -> list[tuple]:
    """The blocks a listing is put in. A listing on the map is found by its map cell; its
    address block ("address+") is only for listings at that address not on the map yet,
    so listings with points are never compared by address alone: one address string in
    many places (a chain's copies, a common street in many towns) stays cheap."""
    keys = []
    base = (listing.fellowship, listing.day)
    if listing.in_person:
        if listing.vector is not None:
            keys.append((*base, "cell", _cell(listing.vector)))
            if listing.address:
                keys.append((*base, "address+", listing.address))
        else:
            if listing.place is not None:
                keys.append((*base, "place", listing.place))
            if listing.address:
                keys.append((*base, "address", listing.address))
    if listing.online and listing.room:
        keys.append((*base, "room", listing.room))
    return keys


def _lookups(listing: Listing, own: list[tuple]) -> list[tuple]:
    """The blocks a listing looks in: for a map cell the nine around it and the listings
    at its address without a point; without a point, every listing at its address."""
    keys = []
    for key in own:
        kind = key[2]
        if kind == "cell":
            row, column = key[3]
            keys.extend(
                (*key[:3], (row + dr, column + dc)) for dr in (-1, 0, 1) for dc in (-1, 0, 1)
            )
        elif kind == "address+":
            keys.append((*key[:2], "address", key[3]))
        elif kind == "address":
            keys.extend([key, (*key[:2], "address+", key[3])])
        else:
            keys.append(key)
    return keys


def compare(a: Listing, b: Listing) -> Pair | None:
    """The pair of ``a`` and ``b`` if it is a match or a near miss, else None."""
    if a.fellowship != b.fellowship or a.day != b.day or a.source == b.source:
        return None
    minutes = abs(a.start - b.start)
    if minutes > NEAR_MINUTES:
        return None
    reasons: dict = {"minutes_apart": minutes}
    same_room = bool(a.online and b.online and a.room and a.room == b.room)
    same_place = a.in_person and b.in_person and a.place is not None and a.place == b.place
    miles = None
    if a.in_person and b.in_person and a.vector is not None and b.vector is not None:
        miles = 0.0 if same_place else arc_miles(a.vector, b.vector)
        reasons["miles_apart"] = round(miles, 3)
    same_address = (
        a.in_person
        and b.in_person
        and bool(a.address)
        and a.address == b.address
        and (miles is None or miles <= SAME_ADDRESS_MILES)
    )
    if same_room:
        reasons["same_room"] = True
    if same_place or same_address:
        reasons["same_address"] = True
    walk = same_place or same_address or (miles is not None and miles <= WALK_MILES)
    near = walk or (miles is not None and miles <= NEAR_MILES)
    if not (same_room or near):
        return None
    similarity = name_similarity(normalize_name(a.name), normalize_name(b.name))
    reasons["name_similarity"] = round(similarity, 2)
    closeness = 1.0 if (same_room or walk) else 1 - (miles or 0) / NEAR_MILES
    score = round(0.4 * closeness + 0.2 * (1 - minutes / NEAR_MINUTES) + 0.4 * similarity, 3)
    wanted_name = MATCH_NAME_SIMILARITY_SAME_ROOM if same_room else MATCH_NAME_SIMILARITY
    matched = minutes <= MATCH_MINUTES and (same_room or walk) and similarity >= wanted_name
    if not matched and (
        score < NEAR_SCORE or (similarity < NEAR_NAME_SIMILARITY and not same_room)
    ):
        # Another meeting in the same hall at the same hour (a men's and a women's
        # meeting, a beginners' meeting beside the main one): nothing to review.
        return None
    first, second = sorted((a.id, b.id))
    return Pair(first, second, matched, score, reasons)


def find_pairs(listings: Iterable[Listing], *, among: set[int] | None = None) -> list[Pair]:
    """Every matched pair and near miss among ``listings``; with ``among``, only the
    pairs with at least one listing whose id is in it (a sync of one source compares
    that source's meetings with everyone's, not everyone's with everyone's)."""
    listings = list(listings)
    blocks: dict[tuple, list[Listing]] = defaultdict(list)
    keys_of = {}
    for listing in listings:
        keys_of[listing.id] = keys = _blocks(listing)
        for key in keys:
            blocks[key].append(listing)
    for members in blocks.values():
        members.sort(key=lambda item: item.start)
    found: dict[tuple[int, int], Pair] = {}
    for listing in listings:
        if among is not None and listing.id not in among:
            continue
        seen = set()
        for key in _lookups(listing, keys_of[listing.id]):
            for other in _within_minutes(blocks.get(key, ()), listing.start):
                if other.id == listing.id or other.id in seen:
                    continue
                seen.add(other.id)
                ids = (min(listing.id, other.id), max(listing.id, other.id))
                if ids in found:
                    continue
                pair = compare(listing, other)
                if pair is not None:
                    found[ids] = pair
    return sorted(found.values(), key=lambda pair: (pair.first, pair.second))


def _within_minutes(members: list[Listing], start: int) -> list[Listing]:
    """The block's listings starting within NEAR_MINUTES of ``start`` (sorted by start)."""
    if len(members) < 8:
        return members
    low = bisect.bisect_left(members, start - NEAR_MINUTES, key=lambda item: item.start)
    high = bisect.bisect_right(members, start + NEAR_MINUTES, key=lambda item: item.start)
    return members[low:high]


def shown_listings(
    pairs: Iterable[tuple[int, int]],
    *,
    listed: set[int],
    chosen: Iterable[int] = (),
    preferred: set[int] = frozenset(),
    precedence: dict[int, int] | None = None,
) -> dict[int, int]:
    """{copy: the listing shown in its place} for listings that are one meeting.

    ``pairs`` (id, id) join listings into meetings (three sources may list one meeting);
    only the ``listed`` ones (still public) take part, so when the shown listing is
    retired its copy is shown again. Each meeting shows the first of its ``chosen``
    listings (staff's choices, latest first), else a ``preferred`` one (entered on this
    site), else the one of the source with the highest ``precedence`` ({listing:
    its source's precedence}), else the lowest id: the listing people saw first keeps
    its page.
    """
    parent: dict[int, int] = {}

    def root(item: int) -> int:
        parent.setdefault(item, item)
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    for a, b in pairs:
        if a in listed and b in listed:
            parent[root(a)] = root(b)
    meetings: dict[int, list[int]] = defaultdict(list)
    for item in list(parent):
        meetings[root(item)].append(item)
    ranks = precedence or {}
    rank: dict[int, int] = {}
    for i, item in enumerate(chosen):
        rank.setdefault(item, i)
    shown = {}
    for members in meetings.values():
        picked = [m for m in members if m in rank]
        if picked:
            winner = min(picked, key=rank.__getitem__)
        else:
            winner = min(
                members,
                key=lambda item: (item not in preferred, -ranks.get(item, 0), item),
            )
        shown.update({member: winner for member in members if member != winner})
    return shown
