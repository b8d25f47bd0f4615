"""Import and export benchmark: the real feeds, then 100,000 meetings, on SQLite.

    .venv/bin/python bench/import_feed.py                  # 100,000 meetings
    .venv/bin/python bench/import_feed.py --meetings 20000

Each figure is measured on a throwaway SQLite file (DATABASE_URL is set before Django
starts), migrated and loaded with the reference data:

- the Minneapolis Meeting Guide feed (1,048 meetings) into an empty database, then the
  same again (nothing changes);
- the Greater New York BMLT export (1,555 meetings);
- a generated Meeting Guide feed of --meetings rows (the Minneapolis rows copied with new
  slugs, their own groups and places shifted on the map), into an empty database, then
  again unchanged;
- the whole feed out (/api/meetings.json, streamed) over those meetings.

Targets (issue 5): Minneapolis under 2 s, 100,000 meetings under 60 s. Not a test:
figures only. Needs ../shared/data beside the project.
"""

import argparse
import atexit
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from common import Reference, describe_machine

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
MINNEAPOLIS = DATA / "aa-minneapolis-2018.meeting-guide.json"
NEW_YORK = DATA / "na-greater-new-york-2018.bmlt.json"


def scaled_feed(count: int) -> bytes:
    """``count`` Meeting Guide rows made from the Minneapolis ones: copy k gets slugs
    ending -k, its own groups, and its places moved k steps across the map."""
    rows = json.loads(MINNEAPOLIS.read_bytes())
    out = []
    copy = 0
    while len(out) < count:
        dlat, dlng = (copy // 12) * 0.35, (copy % 12) * 0.45
        for row in rows:
            if len(out) == count:
                break
            new = dict(row, slug=f"{row['slug']}-{copy}", group=f"{row['name']} {copy}")
            for name, shift in (("latitude", dlat), ("longitude", dlng)):
                if row.get(name) not in (None, ""):
                    new[name] = f"{float(row[name]) + shift:.7f}"
            out.append(new)
        copy += 1
    return json.dumps(out).encode()


def fresh_database():
    from django.core.management import call_command
    from django.db import connection

    connection.close()
    call_command("flush", interactive=False, verbosity=0)
    call_command("loaddata", "fellowships", "meeting_types", verbosity=0)


def timed_import(content: bytes, fmt: str, fellowship: str, source: str, **kwargs):
    from directory.models import Fellowship
    from meetings.formats import parse
    from meetings.importing import meetings_import

    started = time.perf_counter()
    records = parse(content, fmt)
    summary = meetings_import(
        records=records,
        fellowship=Fellowship.objects.get(slug=fellowship),
        source=source,
        **kwargs,
    )
    return time.perf_counter() - started, summary


def read_feed(client) -> tuple[int, int]:
    size = rows = 0
    for piece in client.get("/api/meetings.json").streaming_content:
        size += len(piece)
        rows += piece.count(b'"slug":')
    return rows, size


def timed_feed() -> tuple[float, int, int, float]:
    """(seconds, rows, bytes, peak MB of Python memory) for the whole feed through the
    view; memory is traced on a second run, since tracing slows Python down."""
    from django.test import Client

    client = Client()
    started = time.perf_counter()
    rows, size = read_feed(client)
    seconds = time.perf_counter() - started
    tracemalloc.start()
    read_feed(client)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, rows, size, peak / 2**20


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", type=int, default=100_000)
    args = parser.parse_args()
    if not MINNEAPOLIS.exists():
        sys.exit(f"{DATA} is missing: the benchmark reads the shared sample feeds.")

    workdir = tempfile.mkdtemp(prefix="recoverymap-bench-")
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recoverymap.settings")
    os.environ.setdefault("GEOCODER", "")  # never the network
    # As in production: with DEBUG on, Django also logs every query's SQL and values.
    os.environ["DEBUG"] = "0"
    # Plain HTTP on the test client: no redirect to HTTPS.
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    figures = []
    reference = Reference()

    fresh_database()
    minneapolis = MINNEAPOLIS.read_bytes()
    mg = {"type_map": {"HE": ""}}
    seconds, summary = timed_import(minneapolis, "meeting-guide", "aa", "minneapolis", **mg)
    figures.append(("Minneapolis feed, empty database", summary.read, seconds, 2.0, summary))
    seconds, summary = timed_import(minneapolis, "meeting-guide", "aa", "minneapolis", **mg)
    figures.append(("Minneapolis feed again (unchanged)", summary.read, seconds, 2.0, summary))
    seconds, summary = timed_import(NEW_YORK.read_bytes(), "bmlt", "na", "new-york")
    figures.append(("New York BMLT export", summary.read, seconds, None, summary))

    fresh_database()
    big = scaled_feed(args.meetings)
    seconds, summary = timed_import(big, "meeting-guide", "aa", "scaled", **mg)
    figures.append(
        (f"{args.meetings:,} meetings, empty database", summary.read, seconds, 60.0, summary)
    )
    seconds, summary = timed_import(big, "meeting-guide", "aa", "scaled", **mg)
    figures.append(
        (f"{args.meetings:,} meetings again (unchanged)", summary.read, seconds, 60.0, summary)
    )
    reference.sample()
    feed_seconds, rows, size, peak = timed_feed()
    reference.sample()

    ref_s = reference.ms / 1000
    print()
    print(
        f"{'what':44} {'rows':>8} {'seconds':>8} {'× ref':>8} {'target':>7}  "
        "created/updated/unchanged"
    )
    for what, rows_read, secs, target, s in figures:
        goal = f"< {target:.0f} s" if target else ""
        counts = f"{s.created:,}/{s.updated:,}/{s.unchanged:,}"
        print(f"{what:44} {rows_read:>8,} {secs:>8.2f} {secs / ref_s:>8.0f} {goal:>7}  {counts}")
    print(
        f"{'feed out, /api/meetings.json (streamed)':44} {rows:>8,} {feed_seconds:>8.2f} "
        f"{feed_seconds / ref_s:>8.0f} {'':>7}  {size / 2**20:.1f} MB sent, "
        f"peak Python memory {peak:.1f} MB"
    )
    print(describe_machine([reference.state()]))


if __name__ == "__main__":
    main()
