"""One meeting, listed once: recording the pairs of listings that two sources give of the
same meeting (``meetings.matching`` finds them), staff's decisions on them, and which
listing the public directory shows.

A listing that is another's copy points to the shown one (``Meeting.duplicate_of``) and
is left out of ``Meeting.objects.public()``: search, counts, feeds, the sitemap and group
pages show the meeting once, and the copy's page redirects to the shown one, which
credits both sources. Staff split a wrong match, join a missed one and choose the shown
listing in /admin/ (Meeting matches); the matcher never changes a pair staff decided.
"""

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from meetings.bulk import BATCH
from meetings.importing import _address_key
from meetings.listings import areas_of, listings_changed
from meetings.matching import NEAR_MILES, Listing, find_pairs, join_room, shown_listings
from meetings.models import Meeting, MeetingMatch, Source
from recoverymap.lib.geo import boxes_around


@dataclass
class MatchSummary:
    """What a matching run found and changed."""

    compared: int = 0
    matched: int = 0
    near: int = 0
    new: int = 0
    changed: int = 0
    removed: int = 0
    decided: int = 0  # pairs staff decided, left as they were
    copies: int = 0  # listings now shown as another (in the whole directory)
    seconds: float = 0.0

    def line(self) -> str:
        return (
            f"Compared {self.compared:,} listings in {self.seconds:.1f} s: "
            f"{self.matched:,} matched pairs, {self.near:,} near misses "
            f"({self.new:,} new, {self.changed:,} changed, {self.removed:,} gone); "
            f"{self.decided:,} decided by staff kept; {self.copies:,} listings shown once "
            "under another."
        )


class MatchRefused(ValueError):
    """A join staff asked for that cannot be: two fellowships, or one listing twice."""


_LISTING_FIELDS = (
    "id",
    "source",
    "group__fellowship_id",
    "day",
    "start_time",
    "name",
    "attendance",
    "location_id",
    "location__address",
    "location__city",
    "location__state",
    "location__postal_code",
    "location__approximate",
    "location__geo_x",
    "location__geo_y",
    "location__geo_z",
    "conference_url",
    "conference_phone",
)


def _listings(meetings) -> Iterable[Listing]:
    """The matcher's view of ``meetings`` (a queryset), read in one pass."""
    online = {Meeting.Attendance.ONLINE, Meeting.Attendance.HYBRID}
    rows = meetings.order_by().values_list(*_LISTING_FIELDS).iterator(chunk_size=5000)
    for (
        pk,
        source,
        fellowship,
        day,
        start,
        name,
        attendance,
        place,
        address,
        city,
        state,
        postal,
        approximate,
        x,
        y,
        z,
        url,
        phone,
    ) in rows:
        specific = place is not None and bool(address) and not approximate
        yield Listing(
            id=pk,
            source=source,
            fellowship=fellowship,
            day=day,
            start=start.hour * 60 + start.minute,
            name=name,
            place=place,
            address=" | ".join(map(str, _address_key(address, city, state, postal, False)))
            if specific
            else "",
            vector=(x, y, z) if x is not None and specific else None,
            room=join_room(url, phone),
            in_person=attendance != Meeting.Attendance.ONLINE and specific,
            online=attendance in online,
        )


def meetings_match(*, source: str | None = None, meetings=None, user=None) -> MatchSummary:
    """Find the meetings two sources both list and record the pairs: among every public
    listing, or only the pairs that one of ``meetings`` (a queryset) or of ``source``'s
    meetings is in (what a sync of that source may have changed). Pairs staff decided
    keep their decision; other pairs follow the matcher, and those it no longer finds are
    removed. Then the directory is told which listings to show (``copies_refresh``)."""
    started = time.perf_counter()
    summary = MatchSummary()
    candidates = Meeting.objects.public(copies=True)
    among = None
    if source is not None:
        meetings = Meeting.objects.filter(source=source)
    if meetings is not None:
        own = candidates.filter(pk__in=meetings.values("pk"))
        among = set(own.values_list("id", flat=True))
        candidates = _around(candidates, own)
    listings = list(_listings(candidates))
    summary.compared = len(listings)
    pairs = find_pairs(listings, among=among)
    reason = "matching" if source is None else f"matching after {source}"[:100]
    with transaction.atomic():
        if among is None:
            existing = list(MeetingMatch.objects.all())
        else:
            existing = [m for chunk in _chunks(sorted(among)) for m in _of_meetings(chunk)]
        known = {(m.first_id, m.second_id): m for m in existing}
        creates, updates = [], []
        for pair in pairs:
            status = MeetingMatch.Status.MATCHED if pair.matched else MeetingMatch.Status.NEAR
            match = known.pop((pair.first, pair.second), None)
            if match is None:
                creates.append(
                    MeetingMatch(
                        first_id=pair.first,
                        second_id=pair.second,
                        status=status,
                        score=pair.score,
                        reasons=pair.reasons,
                    )
                )
                continue
            if match.is_decided:
                summary.decided += 1
                status = match.status
            if (match.status, match.score, match.reasons) != (status, pair.score, pair.reasons):
                match.status, match.score, match.reasons = status, pair.score, pair.reasons
                match.updated = timezone.now()
                updates.append(match)
        # Pairs no longer found: kept when staff decided them (a decision stands even
        # while one listing is away), else gone.
        stale = [m.pk for m in known.values() if not m.is_decided]
        summary.decided += sum(m.is_decided for m in known.values())
        history = {"default_user": user, "default_change_reason": reason[:100]}
        bulk_create_with_history(creates, MeetingMatch, batch_size=BATCH, **history)
        if updates:
            bulk_update_with_history(
                updates,
                MeetingMatch,
                ["status", "score", "reasons", "updated"],
                batch_size=BATCH,
                **history,
            )
        for i in range(0, len(stale), BATCH):
            MeetingMatch.objects.filter(pk__in=stale[i : i + BATCH]).delete()
        summary.new, summary.changed, summary.removed = len(creates), len(updates), len(stale)
        summary.matched = sum(p.matched for p in pairs)
        summary.near = len(pairs) - summary.matched
        summary.copies = copies_refresh()
    summary.seconds = time.perf_counter() - started
    return summary


def _around(candidates, own):
    """The candidates that could pair with one of ``own``: of the same fellowships, on
    the weekdays of ``own`` (the matcher only pairs listings of one day), and in person
    within the boxes around that day's places of ``own`` (a source covers a region, and
    a national sync's changes are spread over towns: the rest of the country is not
    read), or online, or not on the map yet."""
    fellowships = set(own.values_list("group__fellowship_id", flat=True))
    points: dict[int, list[tuple[float, float]]] = defaultdict(list)
    days = set()
    for day, lat, lng in own.values_list(
        "day", "location__latitude", "location__longitude"
    ).iterator():
        days.add(day)
        if lat is not None and lng is not None:
            points[day].append((lat, lng))
    # Online anywhere, and places not on the map yet (matched by their address).
    nearby = Q(day__in=sorted(days)) & (
        Q(attendance__in=[Meeting.Attendance.ONLINE, Meeting.Attendance.HYBRID])
        | Q(location__latitude__isnull=True)
    )
    for day, day_points in sorted(points.items()):
        boxes = Q()
        for low_lat, high_lat, low_lng, high_lng in boxes_around(day_points, NEAR_MILES, most=100):
            boxes |= Q(
                location__latitude__gte=low_lat,
                location__latitude__lte=high_lat,
                location__longitude__gte=low_lng,
                location__longitude__lte=high_lng,
            )
        nearby |= Q(day=day) & boxes
    return candidates.filter(nearby, group__fellowship_id__in=fellowships)


def copies_refresh() -> int:
    """Point every copy to the listing shown in its place, and every other listing to
    none, from the pairs that make one meeting; how many listings are copies now. Only
    the listings whose pointer changes are written, and the cached pages of their areas
    dropped."""
    with transaction.atomic():
        pairs = list(
            MeetingMatch.objects.one_meeting().values_list(
                "first_id", "second_id", "winner_id", "status", "decided_at"
            )
        )
        ids = {pk for first, second, *_rest in pairs for pk in (first, second)}
        listed, preferred, precedence = set(), set(), {}
        for chunk in _chunks(sorted(ids)):
            rows = Meeting.objects.public(copies=True).filter(pk__in=chunk)
            for pk, source, rank in rows.values_list("id", "source", "feed__precedence"):
                listed.add(pk)
                if not source:
                    preferred.add(pk)
                if rank:
                    precedence[pk] = rank
        chosen = [
            winner
            for _first, _second, winner, status, _when in sorted(
                pairs, key=lambda p: p[4] or timezone.now(), reverse=True
            )
            if winner is not None and status == MeetingMatch.Status.JOINED
        ]
        wanted = shown_listings(
            [(first, second) for first, second, *_rest in pairs],
            listed=listed,
            chosen=chosen,
            preferred=preferred,
            precedence=precedence,
        )
        current = dict(
            Meeting.objects.filter(duplicate_of__isnull=False).values_list("id", "duplicate_of")
        )
        changed = [pk for pk in set(current) | set(wanted) if current.get(pk) != wanted.get(pk)]
        areas = set()
        now = timezone.now()
        for chunk in _chunks(sorted(changed)):
            meetings = [Meeting(pk=pk, duplicate_of_id=wanted.get(pk), updated=now) for pk in chunk]
            areas |= areas_of(Meeting.objects.filter(pk__in=chunk))
            Meeting.objects.bulk_update(meetings, ["duplicate_of", "updated"])
        if areas:
            listings_changed(areas)  # an UPDATE sends no signal
        return len(wanted)


def meeting_matches_undecide(*, matches) -> int:
    """Hand decided pairs (a queryset) back to the matcher, which decides them again at
    once; how many."""
    ids = set()
    for first, second in matches.values_list("first_id", "second_id"):
        ids |= {first, second}
    count = matches.decided().update(
        status=MeetingMatch.Status.NEAR, winner=None, decided_by=None, decided_at=None
    )
    if ids:
        meetings_match(meetings=Meeting.objects.filter(pk__in=sorted(ids)))
    return count


def copies_follow(meeting: Meeting) -> None:
    """After a listing's status or group changed by hand: when it is a copy or has
    copies, the shown listing is chosen again (a retired shown listing gives way to its
    copy, which then appears in its place)."""
    if meeting.duplicate_of_id or Meeting.objects.filter(duplicate_of=meeting).exists():
        copies_refresh()


def _chunks(ids: list[int]):
    for i in range(0, len(ids), BATCH):
        yield ids[i : i + BATCH]


def _of_meetings(ids: list[int]):
    return MeetingMatch.objects.of_meetings(ids)


@transaction.atomic
def meeting_match_decide(
    *, match: MeetingMatch, status: str, by, winner: Meeting | None = None
) -> MeetingMatch:
    """Staff's decision on a pair: ``split`` (two meetings, both shown) or ``joined``
    (one meeting, shown as ``winner``, or by the rule when None). Later matching runs
    and syncs keep it."""
    if status not in {MeetingMatch.Status.SPLIT, MeetingMatch.Status.JOINED}:
        raise MatchRefused(_("Staff split or join a pair of listings."))
    first, second = match.first, match.second
    if status == MeetingMatch.Status.JOINED and first.group.fellowship_id != (
        second.group.fellowship_id
    ):
        raise MatchRefused(_("Meetings of two fellowships are never one meeting."))
    if winner is not None and winner.pk not in {first.pk, second.pk}:
        raise MatchRefused(_("The shown listing must be one of the pair."))
    match.status = status
    match.winner = winner if status == MeetingMatch.Status.JOINED else None
    match.decided_by = by
    match.decided_at = timezone.now()
    match._history_user = by
    match._change_reason = status
    match.save()
    copies_refresh()
    return match


@transaction.atomic
def meeting_match_join(
    *, first: Meeting, second: Meeting, by, winner: Meeting | None = None
) -> MeetingMatch:
    """Join two listings the matcher did not match (a near miss, or a pair it never
    compared) into one meeting."""
    if first.pk == second.pk:
        raise MatchRefused(_("A listing cannot be joined with itself."))
    low, high = sorted((first, second), key=lambda m: m.pk)
    match = MeetingMatch.objects.filter(first=low, second=high).first()
    if match is None:
        match = MeetingMatch(first=low, second=high, status=MeetingMatch.Status.NEAR)
    return meeting_match_decide(
        match=match, status=MeetingMatch.Status.JOINED, by=by, winner=winner
    )


def also_listed_by(meeting: Meeting) -> list[dict]:
    """The other sources that list ``meeting`` (its copies' sources), each as
    ``{"name": ..., "url": ...}`` for its page: every listing says where it came from."""
    sources = (
        Meeting.objects.filter(duplicate_of=meeting)
        .exclude(status=Meeting.Status.INACTIVE)
        .exclude(source=meeting.source)
        .order_by("source")
        .values_list("source", flat=True)
        .distinct()
    )
    return [credit for source in sources if (credit := source_credit(source))]


def source_credit(source: str) -> dict | None:
    """How a source is credited in public: a web source by its site (linked), a file
    by its name alone (never a path of the machine it was read on); None for a meeting
    entered here."""
    if not source:
        return None
    if source.startswith("source:"):  # a registered source: its own attribution
        feed = Source.objects.filter(pk=source.removeprefix("source:")).first()
        return {"name": feed.public_name, "url": feed.attribution_url} if feed else None
    parts = urlsplit(source)
    if parts.scheme in {"http", "https"} and parts.hostname:
        return {
            "name": parts.hostname.removeprefix("www."),
            "url": f"{parts.scheme}://{parts.netloc}/",
        }
    return {"name": PurePath(source.removeprefix("file://")).name or source, "url": ""}
