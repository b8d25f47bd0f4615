"""Town names as people type them, matched over the offline gazetteer (directory.Place).

"chicago", "Chicago IL", "chicago, illinois", "Chicgo": the town part is folded the way
the gazetteer's ``city_key`` is (case, dots, "Saint"/"St"), a trailing state is read as a
code or a full name, and a name the gazetteer does not hold exactly is matched loosely
(rapidfuzz's edit-distance ratio over every town name, in memory, offline). A name that
several states share picks the one with the most meetings (the gazetteer has no
population; its number of ZIP codes breaks ties), and the others are offered as
"Did you mean…".
"""

import hashlib
import math
import re
import unicodedata
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, Max
from rapidfuzz import fuzz, process

from directory.models import Place, normalize_city

STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma",
    "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina",
    "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont",
    "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin",
    "WY": "Wyoming", "PR": "Puerto Rico", "VI": "Virgin Islands", "GU": "Guam",
    "AS": "American Samoa", "MP": "Northern Mariana Islands",
}  # fmt: skip
_STATE_BY_NAME = {normalize_city(name): code for code, name in STATES.items()}
_STATE_BY_NAME["washington dc"] = "DC"

# A misspelt town is taken when its ratio (0-100) to a real one reaches this...
TYPO_SCORE = 85
# ...and offered as a nearest match when nothing was found, from this.
NEAR_SCORE = 70
# Names scoring within this of the best one compete on size rather than on spelling.
CLOSE_CALL = 5
OTHERS_SHOWN = 5
SUGGESTIONS_SHOWN = 3
TOWN_COUNTS_SECONDS = 3600
_ZIP = re.compile(r"\s*(\d{5})(?:[\s-]?\d{4})?\s*")


def plain_zip(text: str) -> str:
    """The five-digit ZIP code of "55404", "55404-1234", "55404 1234" or "554041234"."""
    found = _ZIP.fullmatch(text)
    return found.group(1) if found else ""


def fold(text: str) -> str:
    """Text folded as the gazetteer's city_key: accents, commas and case ignored."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return normalize_city(re.sub(r"[,;/()]+", " ", text))


def split_state(folded: str) -> tuple[str, str | None]:
    """("chicago", "IL") from "chicago il" or "chicago illinois"; (text, None) when no
    state ends it, or when the state is all there is ("new york" is also a town)."""
    words = folded.split()
    for size in (3, 2, 1):
        if len(words) > size and (code := _STATE_BY_NAME.get(" ".join(words[-size:]))):
            return " ".join(words[:-size]), code
    if len(words) > 1 and words[-1].upper() in STATES:
        return " ".join(words[:-1]), words[-1].upper()
    return folded, None


@dataclass
class _Index:
    """Every town of the gazetteer: its folded name → {state: (name, ZIP codes)}."""

    towns: dict[str, dict[str, tuple[str, int]]] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    names_by_state: dict[str, list[str]] = field(default_factory=dict)


_memo: dict[tuple, _Index] = {}


def town_index() -> _Index:
    """Built once per process and gazetteer (about 30,000 names, a tenth of a second);
    reloading the gazetteer changes its count or last id, and so the index."""
    version = tuple(Place.objects.aggregate(n=Count("id"), last=Max("id")).values())
    if version not in _memo:
        index = _Index()
        rows = Place.objects.values_list("city_key", "state", "city").order_by("code")
        for key, state, city in rows.iterator(chunk_size=5000):
            by_state = index.towns.setdefault(key, {})
            name, zips = by_state.get(state, (city, 0))
            by_state[state] = (name, zips + 1)
        index.names = sorted(index.towns)
        for key, by_state in index.towns.items():
            for state in by_state:
                index.names_by_state.setdefault(state, []).append(key)
        _memo.clear()
        _memo[version] = index
    return _memo[version]


def _close(name: str, choices: list[str], cutoff: int) -> list[str]:
    """The choices spelt most like ``name``: the best and those within CLOSE_CALL."""
    found = process.extract(name, choices, scorer=fuzz.ratio, score_cutoff=cutoff, limit=10)
    if not found:
        return []
    best = found[0][1]
    return [choice for choice, score, _i in found if score >= best - CLOSE_CALL]


def towns_for(text: str) -> list[str]:
    """The towns ``text`` may mean, likeliest first, as "City, ST" (each resolves with
    ``Place.objects.resolve``); empty when none is close enough."""
    folded = fold(text)
    if not folded or len(folded) > 80 or not re.search(r"[^\W\d_]", folded):
        return []
    name, state = split_state(folded)
    index = town_index()
    if state:
        in_state = index.names_by_state.get(state, [])
        keys = [name] if state in index.towns.get(name, {}) else _close(name, in_state, TYPO_SCORE)
        candidates = [(key, state) for key in keys]
    else:
        keys = [name] if name in index.towns else _close(name, index.names, TYPO_SCORE)
        candidates = [(key, st) for key in keys for st in index.towns[key]]
    labels = _by_size(index, candidates)
    return labels[: 1 + OTHERS_SHOWN]


def nearest_names(text: str) -> list[str]:
    """Towns spelt a little like ``text`` (or like it less its last word, often a
    misspelt state), for "We couldn't find…": the nearest matches there are."""
    folded = fold(text)
    if not folded or len(folded) > 80:
        return []
    name, _state = split_state(folded)
    index = town_index()
    tries = [name] + ([name.rsplit(" ", 1)[0]] if " " in name else [])
    keys: list[str] = []
    for attempt in tries:
        for key in _close(attempt, index.names, NEAR_SCORE):
            if key not in keys:
                keys.append(key)
    candidates = [(key, st) for key in keys for st in index.towns[key]]
    return _by_size(index, candidates)[:SUGGESTIONS_SHOWN]


def _by_size(index: _Index, candidates: list[tuple[str, str]]) -> list[str]:
    """Labels of the candidate towns, those with the most meetings first, then those with
    the most ZIP codes."""
    named = [(index.towns[key][state], state) for key, state in candidates]
    meetings = meeting_counts([(name, state) for (name, _zips), state in named])
    ranked = sorted(
        named,
        key=lambda item: (-meetings.get((item[0][0], item[1]), 0), -item[0][1], item[0][0]),
    )
    return [f"{name}, {state}" for (name, _zips), state in ranked]


def meeting_counts(towns: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Public meetings in each (town, state), counted once an hour."""
    if len(towns) < 2:
        return {}
    from meetings.models import Meeting

    names = "|".join(sorted(f"{n}/{s}" for n, s in towns))
    key = "town-meetings:" + hashlib.sha256(names.encode()).hexdigest()
    counts = cache.get(key)
    if counts is None:
        rows = (
            Meeting.objects.public()
            .filter(
                location__city__in={n for n, _s in towns},
                location__state__in={s for _n, s in towns},
            )
            .order_by()
            .values_list("location__city", "location__state")
            .annotate(n=Count("id"))
        )
        counts = {(city, state): n for city, state, n in rows}
        cache.set(key, counts, TOWN_COUNTS_SECONDS)
    return counts


def town_near(latitude: float, longitude: float, miles: float) -> str:
    """ "City, ST" of the gazetteer's nearest ZIP code within ``miles``, or ""."""
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return ""
    dlat = miles / 69.0
    dlng = miles / max(1.0, 69.0 * math.cos(math.radians(latitude)))
    # A range of the (latitude, longitude) index, a few hundred ZIP codes at most; no
    # order (Place's would walk the whole (country, code) index instead).
    rows = (
        Place.objects.filter(
            latitude__range=(latitude - dlat, latitude + dlat),
            longitude__range=(longitude - dlng, longitude + dlng),
        )
        .order_by()
        .values_list("city", "state", "latitude", "longitude")
    )
    scale = math.cos(math.radians(latitude))

    def squared(row):
        return (row[2] - latitude) ** 2 + ((row[3] - longitude) * scale) ** 2

    nearest = min(rows, key=squared, default=None)
    if nearest is None or math.sqrt(squared(nearest)) * 69.0 > miles:
        return ""
    return f"{nearest[0]}, {nearest[1]}"
