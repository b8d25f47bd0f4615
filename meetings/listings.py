"""The listings' version: one number that every cached search page and feed is keyed by.

Any change to a group, meeting, location, a meeting's types or its "no longer meets"
reports bumps it, so everything cached before is never read again (and expires on its
own). Saves and deletes through the ORM (the staff admin, the organizers' /manage/
admin, the services) bump it through the signal receivers below; bulk writes send no
signals, so the import and seed_demo call ``listings_changed()`` themselves.

STYLE.md keeps domain logic out of signals; this is not domain logic but cache
invalidation, infrastructure that must follow every write wherever it comes from, which
is what signals are for.
"""

import contextlib
import hashlib
import threading
import time
from collections.abc import Iterator

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from meetings.models import forget_known_zones

VERSION_KEY = "listings:version"
_held = threading.local()


def listings_version() -> int:
    """The current version; a new one (from the clock, so it never repeats an earlier
    one) when the cache has none, after a restart of Redis or an eviction."""
    version = cache.get(VERSION_KEY)
    if version is None:
        version = time.time_ns()
        if not cache.add(VERSION_KEY, version, timeout=None):
            version = cache.get(VERSION_KEY, version)
    return version


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no version yet (or the cache is down): start a new one
        cache.set(VERSION_KEY, time.time_ns(), timeout=None)
    forget_known_zones()


def listings_changed() -> None:
    """Drop every cached search page and feed. Called now, so the writer's own next
    page is fresh, and again after the transaction commits, since another request may
    have cached the old listings (under the new version) in between."""
    if getattr(_held, "depth", 0):
        return
    _bump()
    connection = transaction.get_connection()
    # Once per transaction: a rolled-back savepoint takes its callbacks with it.
    if connection.in_atomic_block and not any(
        func is _bump for _sids, func, _robust in connection.run_on_commit
    ):
        transaction.on_commit(_bump)


@contextlib.contextmanager
def listings_changing() -> Iterator[None]:
    """Around a bulk write (an import, a demo seed, deleting the directory): one bump at
    the end, whatever the block wrote, instead of one per row saved or deleted."""
    _held.depth = getattr(_held, "depth", 0) + 1
    try:
        yield
    finally:
        _held.depth -= 1
        if not _held.depth:
            listings_changed()


def cache_key(kind: str, *parts) -> str:
    """A key for ``kind`` ("search", "feed") under the current version; ``parts`` are
    anything with a stable ``repr`` (strings, numbers, sorted lists)."""
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    return f"listings:{kind}:{listings_version()}:{digest}"


def _on_change(sender, **kwargs):
    listings_changed()


def _on_types_change(sender, action, **kwargs):
    if action in {"post_add", "post_remove", "post_clear"}:
        listings_changed()


def _on_report_change(sender, instance, **kwargs):
    # Reports that a meeting is gone are counted on its public card (the others are not
    # public); reports are few, so each such one drops the cache.
    if instance.category == instance.Category.GONE:
        listings_changed()


def connect() -> None:
    """Wire the receivers (from MeetingsConfig.ready)."""
    from directory.models import Fellowship, Group, Location
    from meetings.models import Meeting, MeetingType, ProblemReport

    for model in (Fellowship, Group, Location, Meeting, MeetingType):
        uid = f"listings-{model._meta.label_lower}"
        post_save.connect(_on_change, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"{uid}-delete")
    m2m_changed.connect(
        _on_types_change, sender=Meeting.types.through, dispatch_uid="listings-meeting-types"
    )
    post_save.connect(_on_report_change, sender=ProblemReport, dispatch_uid="listings-report-save")
    post_delete.connect(
        _on_report_change, sender=ProblemReport, dispatch_uid="listings-report-delete"
    )
