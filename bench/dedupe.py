"""Matching benchmark: one meeting listed once, at 100,000 meetings (SQLite).

    .venv/bin/python bench/dedupe.py                   # 100,000 meetings
    .venv/bin/python bench/dedupe.py --meetings 20000

Two sources on a throwaway SQLite file: a big one of nine tenths of the meetings (the
Minneapolis feed copied across the map, as bench/import_feed.py builds it) and a smaller
one that lists every ninth of those meetings again, as a second body would: a quarter
word for word, a quarter renamed ("... Group"), a quarter starting 5 minutes later (all
three matches) and a quarter 10 minutes later (near misses). Then:

- the first matching run over every listing (records every pair);
- the same again (nothing changed: nothing written);
- a run for the smaller source only (what runs after its sync);
- the matcher alone, in memory, over the same listings (no database).

Prints wall time, peak resident memory of the process so far, the queries, and the pairs;
exits non-zero when the first run misses its target (30 s). Not a test: figures only.
Needs ../shared/data beside the project.
"""

import argparse
import atexit
import json
import os
import resource
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 30.0


def second_source(big: bytes) -> bytes:
    """Every ninth row of ``big`` again, as another body lists it (see the docstring)."""
    rows = json.loads(big)[::9]
    out = []
    for i, row in enumerate(rows):
        new = dict(row, slug=f"other-{row['slug']}")
        kind = i % 4
        if kind == 1:
            new["name"] = f"{row['name']} Group"
        elif kind in (2, 3):
            hour, minute = map(int, row["time"].split(":"))
            minute += 5 if kind == 2 else 10
            new["time"] = f"{(hour + minute // 60) % 24:02d}:{minute % 60:02d}"
        out.append(new)
    return json.dumps(out).encode()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class QueryCount:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def measured(what, run):
    from django.db import connection

    counter = QueryCount()
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        result = run()
    return what, time.perf_counter() - started, counter.count, peak_mb(), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", type=int, default=100_000)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="recoverymap-bench-")
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recoverymap.settings")
    os.environ.setdefault("GEOCODER", "")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from common import Reference, describe_machine
    from django.core.management import call_command
    from import_feed import MINNEAPOLIS, scaled_feed, timed_import

    if not MINNEAPOLIS.exists():
        sys.exit(f"{MINNEAPOLIS.parent} is missing: the benchmark reads the shared sample feeds.")
    from meetings.duplicates import _listings, meetings_match
    from meetings.matching import find_pairs
    from meetings.models import Meeting

    call_command("migrate", verbosity=0)
    call_command("loaddata", "fellowships", "meeting_types", verbosity=0)
    big_count = args.meetings * 9 // 10
    big = scaled_feed(big_count)
    small = second_source(big)
    mg = {"type_map": {"HE": ""}, "geocode": False}
    import_seconds = [
        timed_import(big, "meeting-guide", "aa", "intergroup", **mg)[0],
        timed_import(small, "meeting-guide", "aa", "district", **mg)[0],
    ]
    total = Meeting.objects.count()

    def in_memory():
        listings = list(_listings(Meeting.objects.public(copies=True)))
        started = time.perf_counter()
        pairs = find_pairs(listings)
        return len(listings), pairs, time.perf_counter() - started

    reference = Reference()
    rows = [measured("first run, every listing", meetings_match)]
    reference.sample()
    rows.append(measured("again, nothing changed", meetings_match))
    rows.append(
        measured("after a sync of the smaller source", lambda: meetings_match(source="district"))
    )
    reference.sample()
    _what, _s, _q, _mb, (listed, pairs, pure_seconds) = measured("matcher alone", in_memory)
    reference.sample()
    ref_s = reference.ms / 1000

    print()
    print(
        f"{total:,} meetings ({big_count:,} + {total - big_count:,} listed again by a second "
        f"source), imported in {import_seconds[0]:.1f} s + {import_seconds[1]:.1f} s; "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print()
    print(
        "| run | listings | seconds | × ref | queries | peak RSS (MB) | matched | near misses "
        "| new / changed / gone | shown once |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for what, seconds, queries, mb, s in rows:
        print(
            f"| {what} | {s.compared:,} | {seconds:.2f} | {seconds / ref_s:.0f} | {queries:,} "
            f"| {mb:.0f} | {s.matched:,} "
            f"| {s.near:,} | {s.new:,} / {s.changed:,} / {s.removed:,} | {s.copies:,} |"
        )
    matched = sum(p.matched for p in pairs)
    print(
        f"| matcher alone (in memory, no writes) | {listed:,} | {pure_seconds:.2f} "
        f"| {pure_seconds / ref_s:.0f} | 0 | "
        f"{peak_mb():.0f} | {matched:,} | {len(pairs) - matched:,} | | |"
    )
    print()
    print(describe_machine([reference.state()]))
    first = rows[0][1]
    met = first <= TARGET_SECONDS
    print()
    verdict = "met" if met else "missed"
    print(f"Target: first run over every listing ≤ {TARGET_SECONDS:.0f} s: {verdict}")
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
