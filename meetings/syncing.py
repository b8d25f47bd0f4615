"""Keeping registered sources in step: fetch each one politely, refuse what is not a
list of meetings, hold a sync that would retire too much, apply the rest through the
importer, and record every attempt.

``sources_sync`` is what ``manage.py sources sync`` runs. Fetches run in threads (the
network is the slow part and touches no database); each source is then applied in its
own transaction, one at a time, so one source's failure never changes another's
meetings. One sync per source at a time is enforced by the database: a sync first
claims the source's lease with one conditional UPDATE, which only one machine can win.
"""

import datetime as dt
import hashlib
import logging
import socket
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from meetings.duplicates import meetings_match
from meetings.formats import (
    FormatError,
    ImportedMeeting,
    bmlt,
    csv,
    decode_text,
    load_json,
    meeting_guide,
)
from meetings.importing import ImportFailed, ImportHeld, ImportSummary, meetings_import
from meetings.models import Meeting, Source, SyncAttempt
from recoverymap.lib.mail import mail_on_commit

log = logging.getLogger(__name__)

Kind = SyncAttempt.ErrorKind
Outcome = SyncAttempt.Outcome

# Words of the pages bot shields answer with instead of the data (Cloudflare, Sucuri,
# hosting captchas): such a page is a "challenge page", not merely HTML.
_CHALLENGE_MARKERS = (
    b"cf-chl",
    b"challenge-platform",
    b"just a moment",
    b"attention required",
    b"captcha",
    b"ddos protection",
    b"checking your browser",
    b"sucuri",
)


class FetchFailed(Exception):
    """A fetch or a read that gives no meetings: the attempt fails with ``kind``."""

    def __init__(self, kind: str, message: str, *, http_status: int | None = None):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.http_status = http_status


@dataclass
class Fetched:
    """What a fetch brought: the body (None when the server said 304 Not Modified)."""

    content: bytes | None
    etag: str = ""
    last_modified: str = ""
    http_status: int | None = None

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.content).hexdigest() if self.content is not None else ""


# Fetching ------------------------------------------------------------------------------


def user_agent() -> str:
    return f"RecoveryMap/1.0 (+{settings.SITE_URL}) sources"


def source_fetch(*, url: str, etag: str = "", last_modified: str = "") -> Fetched:
    """Read ``url`` (http(s), file:// or a path): conditional, size-limited, timed out,
    and retried with doubling pauses when the failure may pass (time-outs, refused
    connections, 5xx, 429). FetchFailed when it cannot be read."""
    if not url.startswith(("http://", "https://")):
        return _read_file(url)
    attempts = 1 + max(0, settings.SOURCE_FETCH_RETRIES)
    for attempt in range(attempts):
        try:
            return _get(url, etag=etag, last_modified=last_modified)
        except FetchFailed as failure:
            passing = failure.kind in {Kind.TIMEOUT, Kind.NETWORK} or (
                failure.http_status is not None
                and (failure.http_status >= 500 or failure.http_status == 429)
            )
            if not passing or attempt == attempts - 1:
                raise
            _pause(settings.SOURCE_RETRY_PAUSE * 2**attempt)
    raise AssertionError("unreachable")


def _pause(seconds: float) -> None:
    time.sleep(seconds)


def _get(url: str, *, etag: str, last_modified: str) -> Fetched:
    headers = {
        "User-Agent": user_agent(),
        "Accept": "application/json, text/csv;q=0.9, */*;q=0.1",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    request = urllib.request.Request(url, headers=headers)
    limit = settings.SOURCE_MAX_BYTES
    timeout = settings.SOURCE_FETCH_TIMEOUT
    deadline = time.monotonic() + timeout
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > limit:
                raise _too_large(limit)
            chunks, size = [], 0
            while chunk := response.read(256 * 1024):
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit)
                # A server trickling bytes never trips the per-read time-out: the whole
                # body gets the same time as one read.
                if time.monotonic() > deadline:
                    raise FetchFailed(Kind.TIMEOUT, f"No complete answer within {timeout} s.")
                chunks.append(chunk)
            return Fetched(
                b"".join(chunks),
                etag=response.headers.get("ETag", ""),
                last_modified=response.headers.get("Last-Modified", ""),
                http_status=response.status,
            )
    except urllib.error.HTTPError as error:
        if error.code == 304:
            return Fetched(None, etag=etag, last_modified=last_modified, http_status=304)
        raise FetchFailed(
            Kind.HTTP_STATUS, f"HTTP {error.code} {error.reason}", http_status=error.code
        ) from None
    except TimeoutError:
        raise FetchFailed(Kind.TIMEOUT, f"No answer within {timeout} s.") from None
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError | socket.timeout):
            raise FetchFailed(Kind.TIMEOUT, f"No answer within {timeout} s.") from None
        raise FetchFailed(Kind.NETWORK, f"Could not connect: {error.reason}") from None
    except (OSError, ValueError) as error:
        raise FetchFailed(Kind.NETWORK, f"Could not read: {error}") from None


def _too_large(limit: int) -> FetchFailed:
    return FetchFailed(Kind.TOO_LARGE, f"Larger than {limit:,} bytes.")


def _read_file(url: str) -> Fetched:
    path = Path(unquote(urlsplit(url).path) if url.startswith("file://") else url)
    limit = settings.SOURCE_MAX_BYTES
    try:
        with path.open("rb") as file:
            content = file.read(limit + 1)
    except OSError as error:
        raise FetchFailed(Kind.NETWORK, f"Could not read {path}: {error.strerror}") from None
    if len(content) > limit:
        raise _too_large(limit)
    mtime = path.stat().st_mtime
    return Fetched(content, last_modified=formatdate(mtime, usegmt=True))


# Reading -------------------------------------------------------------------------------


def records_of(content: bytes, fmt: str) -> list:
    """The records of a fetched body, or FetchFailed saying why it is not a list of
    meetings: an HTML or challenge page, not JSON, the wrong shape, an empty list, or
    rows none of which is a usable meeting."""
    head = content[:4096].lstrip().lower()
    if head.startswith((b"<!doctype", b"<html", b"<head", b"<body", b"<?xml", b"<")):
        if any(marker in content[:65536].lower() for marker in _CHALLENGE_MARKERS):
            raise FetchFailed(Kind.CHALLENGE, "The source answered with a bot-challenge page.")
        raise FetchFailed(Kind.HTML, "The source answered with an HTML page, not meetings.")
    try:
        if fmt == Source.Format.CSV:
            records = list(csv.parse(decode_text(content)))
        else:
            try:
                data = load_json(content)
            except FormatError as error:
                raise FetchFailed(Kind.NOT_JSON, str(error)) from None
            reader = meeting_guide.parse if fmt == Source.Format.MEETING_GUIDE else bmlt.parse
            records = list(reader(data))
    except FormatError as error:
        raise FetchFailed(Kind.SCHEMA, str(error)) from None
    if not records:
        raise FetchFailed(Kind.EMPTY, "The source lists no meetings.")
    if not any(isinstance(record, ImportedMeeting) for record in records):
        raise FetchFailed(Kind.NO_MEETINGS, f"None of its {len(records):,} rows is a meeting.")
    return records


# Claiming a source ---------------------------------------------------------------------


def _interval(source: Source) -> dt.timedelta:
    minutes = source.min_interval_minutes
    if minutes is None:
        minutes = settings.SOURCE_MIN_INTERVAL_MINUTES
    return dt.timedelta(minutes=minutes)


def source_claim(*, source: Source, owner: str, force: bool = False) -> bool:
    """Take ``source``'s lease for this sync: one conditional UPDATE, so of several
    machines starting at once exactly one wins. Refused while another sync holds it,
    and (unless ``force``) when it was fetched less than its minimum interval ago."""
    now = timezone.now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    if not force:
        free &= Q(last_fetched__isnull=True) | Q(last_fetched__lte=now - _interval(source))
    lease = now + dt.timedelta(minutes=settings.SOURCE_LEASE_MINUTES)
    claimed = Source.objects.filter(free, pk=source.pk).update(lease_until=lease, lease_owner=owner)
    return claimed == 1


def source_release(*, source: Source, owner: str) -> None:
    Source.objects.filter(pk=source.pk, lease_owner=owner).update(lease_until=None, lease_owner="")


# Syncing -------------------------------------------------------------------------------


@dataclass
class SyncResult:
    """One source's line of ``sources sync``."""

    source: Source
    attempt: SyncAttempt | None  # None: skipped (leased elsewhere or too soon)
    skipped: str = ""

    @property
    def failed(self) -> bool:
        return self.attempt is not None and self.attempt.outcome == Outcome.FAILED

    def line(self) -> str:
        if self.attempt is None:
            return f"{self.source.name}: skipped ({self.skipped})"
        a = self.attempt
        seconds = (a.finished - a.started).total_seconds() if a.finished else 0.0
        if a.outcome == Outcome.FAILED:
            return f"{self.source.name}: failed, {a.get_error_kind_display()}: {a.message}"
        counts = (
            f"read {a.read:,}, created {a.created:,}, updated {a.updated:,}, "
            f"unchanged {a.unchanged:,}, retired {a.retired:,}, rejected {a.rejected:,}"
        )
        if a.outcome == Outcome.UNCHANGED:
            return f"{self.source.name}: unchanged ({seconds:.1f} s)"
        if a.outcome == Outcome.HELD:
            return f"{self.source.name}: held for review, {a.message} ({counts})"
        return f"{self.source.name}: applied ({counts}; {seconds:.1f} s)"


def sources_sync(
    *, sources: Iterable[Source], force: bool = False, workers: int | None = None
) -> list[SyncResult]:
    """Sync ``sources``: claim each, fetch them in parallel threads, apply each in its
    own transaction as its fetch completes, release it; then match what changed with
    the other sources' listings, once for all. One result per source."""
    owner = f"{socket.gethostname()}:{uuid.uuid4().hex[:12]}"[:100]
    run_started = timezone.now()
    sources = list(sources)
    results: dict[int, SyncResult] = {}
    claimed = []
    for source in sources:
        if source_claim(source=source, owner=owner, force=force):
            claimed.append(source)
        else:
            why = "another sync holds it" if _leased(source) else "fetched too recently"
            results[source.pk] = SyncResult(source, None, skipped=why)
    try:
        with ThreadPoolExecutor(max_workers=workers or settings.SOURCE_SYNC_WORKERS) as pool:
            started = {}
            futures = {}
            for source in claimed:
                started[source.pk] = timezone.now()
                futures[source.pk] = pool.submit(
                    _fetch_and_read, source.url, source.etag, source.last_modified
                )
            # Apply in the order given; later fetches go on meanwhile in the pool.
            for source in claimed:
                fetched = futures[source.pk].result()
                try:
                    attempt = _apply(source, fetched, started=started[source.pk])
                except Exception as error:  # one source's bug must not stop the others
                    log.exception("Sync of source %s failed", source.pk)
                    attempt = SyncAttempt.objects.create(source=source, started=started[source.pk])
                    attempt = _failed(source, attempt, FetchFailed(Kind.IMPORT, repr(error)))
                results[source.pk] = SyncResult(source, attempt)
                source_release(source=source, owner=owner)
    finally:
        for source in claimed:
            source_release(source=source, owner=owner)
    applied = [
        r.source for r in results.values() if r.attempt and r.attempt.outcome == Outcome.APPLIED
    ]
    if applied:
        try:
            source_applied(sources=applied, since=run_started)
        except Exception:  # the syncs stand; the next run matches again
            log.exception("Matching after the sync failed")
    return [results[source.pk] for source in sources]


def _leased(source: Source) -> bool:
    return Source.objects.filter(pk=source.pk, lease_until__gte=timezone.now()).exists()


def _fetch_and_read(url, etag, last_modified) -> "Fetched | FetchFailed":
    """In a worker thread, touching no database: what the fetch brought, or why not."""
    try:
        return source_fetch(url=url, etag=etag, last_modified=last_modified)
    except FetchFailed as failure:
        return failure


def _apply(source: Source, fetched: "Fetched | FetchFailed", *, started) -> SyncAttempt:
    attempt = SyncAttempt.objects.create(source=source, started=started)
    now = timezone.now()
    if isinstance(fetched, FetchFailed):
        Source.objects.filter(pk=source.pk).update(last_fetched=now)
        return _failed(source, attempt, fetched)
    attempt.http_status = fetched.http_status
    attempt.size = len(fetched.content or b"")
    if fetched.content is None or fetched.content_hash == source.content_hash:
        # 304, or the very bytes applied last time: nothing to parse.
        Source.objects.filter(pk=source.pk).update(
            last_fetched=now,
            etag=fetched.etag or source.etag,
            last_modified=fetched.last_modified or source.last_modified,
            failure_notified=None,
        )
        return _finish(attempt, Outcome.UNCHANGED)
    Source.objects.filter(pk=source.pk).update(last_fetched=now)
    return source_apply(
        source=source,
        attempt=attempt,
        content=fetched.content,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        max_retire_percent=_retire_limit(source),
        rematch=False,
    )


def _retire_limit(source: Source) -> int:
    if source.max_retire_percent is not None:
        return source.max_retire_percent
    return settings.SOURCE_MAX_RETIRE_PERCENT


def source_apply(
    *,
    source: Source,
    attempt: SyncAttempt,
    content: bytes,
    etag: str = "",
    last_modified: str = "",
    max_retire_percent: int | None,
    user=None,
    rematch: bool = True,
) -> SyncAttempt:
    """Read ``content`` and apply it to ``source``'s meetings in one transaction,
    recording the result on ``attempt``; held when it would retire more than
    ``max_retire_percent`` of them (None: no limit, as when staff apply a held sync).
    ``rematch=False`` leaves matching to the caller (``sources_sync`` matches once for
    every source it applied)."""
    content_hash = hashlib.sha256(content).hexdigest()
    try:
        records = records_of(content, source.format)
        summary = meetings_import(
            records=records,
            fellowship=source.fellowship,
            source=source.import_key,
            feed=source,
            deactivate_missing=source.retire_missing,
            type_map=source.type_map or {},
            default_timezone=source.default_timezone,
            max_retire_percent=max_retire_percent,
            user=user,
        )
    except FetchFailed as failure:
        return _failed(source, attempt, failure)
    except ImportFailed as error:
        return _failed(source, attempt, FetchFailed(Kind.IMPORT, str(error)))
    except ImportHeld as held:
        _count(attempt, held.summary)
        attempt.held_content = content
        attempt.etag, attempt.last_modified, attempt.content_hash = (
            etag,
            last_modified,
            content_hash,
        )
        attempt.message = str(held)
        with transaction.atomic():
            # A newer held sync supersedes an older one still waiting.
            source.attempts.filter(outcome=Outcome.HELD).exclude(pk=attempt.pk).update(
                outcome=Outcome.DISCARDED, held_content=None, message="Superseded by a newer sync."
            )
            _finish(attempt, Outcome.HELD)
            _tell_staff("meetings/email/sync_held", source, attempt)
        return attempt
    _count(attempt, summary)
    attempt.content_hash = content_hash
    with transaction.atomic():
        Source.objects.filter(pk=source.pk).update(
            etag=etag, last_modified=last_modified, content_hash=content_hash, failure_notified=None
        )
        source.etag, source.last_modified, source.content_hash = etag, last_modified, content_hash
        _attendance(attempt, source)
        _finish(attempt, Outcome.APPLIED)
    if rematch:
        source_applied(sources=[source], since=attempt.started)
    return attempt


def source_applied(*, sources: list[Source], since) -> None:
    """Called once syncs of ``sources`` have been applied: the one place later steps
    hook in. The meetings they created, changed or retired (those updated ``since``) are
    matched again with other sources' listings, so the directory shows each meeting
    once (``meetings.duplicates``); a sync that changed nothing matches nothing."""
    changed = Meeting.objects.filter(feed__in=sources, updated__gte=since)
    if changed.exists():
        meetings_match(meetings=changed)


def _count(attempt: SyncAttempt, summary: ImportSummary) -> None:
    attempt.read = summary.read
    attempt.created = summary.created
    attempt.updated = summary.updated
    attempt.unchanged = summary.unchanged
    attempt.retired = summary.deactivated
    attempt.rejected = len(summary.skipped)


def _attendance(attempt: SyncAttempt, source: Source) -> None:
    counts = Counter(
        dict(
            Meeting.objects.filter(feed=source)
            .exclude(status=Meeting.Status.INACTIVE)
            .values_list("attendance")
            .annotate(n=Count("id"))
            .values_list("attendance", "n")
        )
    )
    attempt.in_person = counts[Meeting.Attendance.IN_PERSON]
    attempt.online = counts[Meeting.Attendance.ONLINE]
    attempt.hybrid = counts[Meeting.Attendance.HYBRID]


def _finish(attempt: SyncAttempt, outcome: str) -> SyncAttempt:
    attempt.outcome = outcome
    attempt.finished = timezone.now()
    attempt.save()
    return attempt


def _failed(source: Source, attempt: SyncAttempt, failure: FetchFailed) -> SyncAttempt:
    attempt.error_kind = failure.kind
    attempt.message = failure.message[:2000]
    attempt.http_status = failure.http_status or attempt.http_status
    with transaction.atomic():
        _finish(attempt, Outcome.FAILED)
        _notify_failing(source)
    return attempt


# Health --------------------------------------------------------------------------------


def last_finished_attempt() -> SyncAttempt | None:
    """The most recently finished sync attempt of any source (for the health check)."""
    return (
        SyncAttempt.objects.exclude(finished=None)
        .select_related("source")
        .order_by("-finished", "-id")
        .first()
    )


def failing_since(source: Source) -> dt.datetime | None:
    """When the source's current run of failed attempts began; None when its latest
    finished attempt did not fail."""
    good = source.attempts.exclude(outcome__in=[Outcome.FAILED, Outcome.RUNNING])
    last_good = good.order_by("-started").values_list("started", flat=True).first()
    failures = source.attempts.filter(outcome=Outcome.FAILED)
    if last_good is not None:
        failures = failures.filter(started__gt=last_good)
    return failures.order_by("started").values_list("started", flat=True).first()


def failing_streak(source: Source) -> int:
    """How many attempts in a row have failed, the latest first."""
    streak = 0
    for outcome in source.attempts.exclude(outcome=Outcome.RUNNING).values_list(
        "outcome", flat=True
    )[:100]:
        if outcome != Outcome.FAILED:
            break
        streak += 1
    return streak


def _notify_failing(source: Source) -> None:
    """Email staff once when the source has been failing for SOURCE_FAILING_DAYS days."""
    since = failing_since(source)
    if since is None:
        return
    if timezone.now() - since < dt.timedelta(days=settings.SOURCE_FAILING_DAYS):
        return
    told = Source.objects.filter(pk=source.pk, failure_notified__isnull=True).update(
        failure_notified=timezone.now()
    )
    if told:  # another machine may have told them already
        last = source.attempts.filter(outcome=Outcome.FAILED).first()
        _tell_staff("meetings/email/source_failing", source, last, since=since)


def _tell_staff(template: str, source: Source, attempt: SyncAttempt | None, **extra) -> None:
    staff = get_user_model().objects.filter(is_staff=True, is_active=True)
    mail_on_commit(
        template,
        to=staff.values_list("email", flat=True),
        context={
            "source": source,
            "attempt": attempt,
            "admin_url": settings.SITE_URL
            + reverse("admin:meetings_source_change", args=[source.pk]),
            **extra,
        },
    )


# Review of held syncs --------------------------------------------------------------------


def held_sync_apply(*, attempt: SyncAttempt, by) -> SyncAttempt:
    """Apply a held sync as it was read, without the retirement limit."""
    if attempt.outcome != Outcome.HELD or attempt.held_content is None:
        raise ValueError("Only a sync held for review can be applied.")
    source = attempt.source
    review = SyncAttempt.objects.create(source=source, message=f"Applied held sync #{attempt.pk}")
    result = source_apply(
        source=source,
        attempt=review,
        content=bytes(attempt.held_content),
        etag=attempt.etag,
        last_modified=attempt.last_modified,
        max_retire_percent=None,
        user=by,
    )
    SyncAttempt.objects.filter(pk=attempt.pk).update(
        outcome=Outcome.APPLIED if result.outcome == Outcome.APPLIED else Outcome.DISCARDED,
        held_content=None,
        reviewed_by=by,
        reviewed_at=timezone.now(),
    )
    return result


def held_sync_discard(*, attempt: SyncAttempt, by) -> None:
    """Drop a held sync: the source's meetings stay as they are."""
    SyncAttempt.objects.filter(pk=attempt.pk, outcome=Outcome.HELD).update(
        outcome=Outcome.DISCARDED, held_content=None, reviewed_by=by, reviewed_at=timezone.now()
    )
