"""Sources benchmark: 40 sources, 100,000 meetings in all, served by a local HTTP server.

    .venv/bin/python bench/sources.py                      # SQLite
    .venv/bin/python bench/sources.py --database postgres  # on $BENCH_POSTGRES_URL

Each source is a Meeting Guide feed of 2,500 meetings (the Minneapolis rows copied with
new slugs and places, as bench/import_feed.py makes them), served with an ETag by a
threaded HTTP server on 127.0.0.1. ``sources_sync`` runs three times, as
``manage.py sources sync`` does:

- the first sync, into an empty directory;
- an unchanged sync: every source answers 304;
- a sync where 5 % of every source's meetings changed (a new start time or notes).

For each: wall time, peak memory of the process (its resident set, so far), and the
database queries per source. Targets (issue 10): first sync under 90 s, unchanged under
5 s, changed under 20 s; the script exits non-zero when one is missed. Not a test:
figures only. Needs ../shared/data beside the project.
"""

import argparse
import cProfile
import hashlib
import json
import os
import pstats
import resource
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from common import ROOT, Reference, describe_machine, throwaway_database
from import_feed import MINNEAPOLIS, scaled_feed

SOURCES = 40
TARGETS = {"first sync": 90.0, "unchanged sync (304)": 5.0, "5 % changed": 20.0}


class Feeds:
    """The bodies the server answers with, by path, each with its ETag."""

    def __init__(self):
        self.bodies: dict[str, tuple[bytes, str]] = {}
        self.lock = threading.Lock()

    def put(self, path: str, body: bytes):
        with self.lock:
            self.bodies[path] = (body, '"' + hashlib.sha1(body).hexdigest() + '"')

    def serve(self):
        feeds = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body, etag = feeds.bodies[self.path]
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server


def changed(rows: list, share: float) -> list:
    """``rows`` with every (1/share)-th meeting given a new start time or new notes."""
    step = round(1 / share)
    out = []
    for i, row in enumerate(rows):
        if i % step == 0:
            row = dict(row)
            if i % (2 * step) == 0:
                row["time"] = "06:15" if row.get("time") != "06:15" else "06:45"
            else:
                row["notes"] = (row.get("notes") or "") + " Use the north door."
        out.append(row)
    return out


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def run(sources, label: str, counter: list, *, profile: bool = False) -> dict:
    from meetings.syncing import sources_sync

    counter[0] = 0
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    results = sources_sync(sources=sources, force=True)
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - started
    if profiler:
        print(f"\n== profile of the {label}")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    outcomes = {}
    for result in results:
        outcome = result.attempt.outcome if result.attempt else "skipped"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    attempts = [r.attempt for r in results if r.attempt]
    return {
        "what": label,
        "seconds": seconds,
        "peak": peak_mb(),
        "queries": counter[0] / len(sources),
        "outcomes": ", ".join(f"{n} {o}" for o, n in sorted(outcomes.items())),
        "created": sum(a.created for a in attempts),
        "updated": sum(a.updated for a in attempts),
        "unchanged": sum(a.unchanged for a in attempts),
        "target": TARGETS[label],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--meetings", type=int, default=100_000)
    parser.add_argument(
        "--profile", action="store_true", help="print where each sync spends its time"
    )
    args = parser.parse_args()
    if not MINNEAPOLIS.exists():
        sys.exit("../shared/data is missing: the benchmark reads the shared sample feeds.")

    with throwaway_database(args.database) as url:
        os.environ["DATABASE_URL"] = url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recoverymap.settings")
        os.environ["GEOCODER"] = ""  # never the network
        os.environ["DEBUG"] = "0"
        os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
        os.environ["SOURCE_MIN_INTERVAL_MINUTES"] = "0"
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from directory.models import Fellowship
        from meetings.models import Source

        call_command("migrate", verbosity=0)
        call_command("loaddata", "fellowships", "meeting_types", verbosity=0)
        counter = [0]

        def count(execute, sql, params, many, context):
            counter[0] += 1
            return execute(sql, params, many, context)

        connection.execute_wrappers.append(count)

        rows = json.loads(scaled_feed(args.meetings))
        per = len(rows) // SOURCES
        chunks = [rows[i * per : (i + 1) * per] for i in range(SOURCES)]
        feeds = Feeds()
        for i, chunk in enumerate(chunks):
            feeds.put(f"/feed/{i}.json", json.dumps(chunk).encode())
        server = feeds.serve()
        base = f"http://127.0.0.1:{server.server_port}"
        aa = Fellowship.objects.get(slug="aa")
        sources = [
            Source.objects.create(
                name=f"Intergroup {i}",
                url=f"{base}/feed/{i}.json",
                format=Source.Format.MEETING_GUIDE,
                fellowship=aa,
                type_map={"HE": ""},
                retire_missing=True,
            )
            for i in range(SOURCES)
        ]

        reference = Reference()
        figures = [run(sources, "first sync", counter, profile=args.profile)]
        reference.sample()
        figures.append(run(sources, "unchanged sync (304)", counter, profile=args.profile))
        for i, chunk in enumerate(chunks):
            feeds.put(f"/feed/{i}.json", json.dumps(changed(chunk, 0.05)).encode())
        reference.sample()
        figures.append(run(sources, "5 % changed", counter, profile=args.profile))
        reference.sample()
        server.shutdown()

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print()
    print(f"{SOURCES} sources, {per * SOURCES:,} meetings, {args.database}; load average {load}")
    print(
        f"{'sync':22} {'seconds':>8} {'× ref':>6} {'target':>7} {'peak MB':>8} "
        f"{'queries/source':>15}  "
        "created/updated/unchanged  outcomes"
    )
    missed = []
    for f in figures:
        ok = f["seconds"] < f["target"]
        if not ok:
            missed.append(f["what"])
        print(
            f"{f['what']:22} {f['seconds']:>8.2f} {f['seconds'] * 1000 / reference.ms:>6.0f} "
            f"{'< ' + str(int(f['target'])) + ' s':>7} "
            f"{f['peak']:>8.0f} {f['queries']:>15.1f}  "
            f"{f['created']:,}/{f['updated']:,}/{f['unchanged']:,}  {f['outcomes']}"
            + ("" if ok else "  MISSED")
        )
    print(describe_machine([reference.state()]))
    if missed:
        sys.exit(f"Missed the target of: {', '.join(missed)}")


if __name__ == "__main__":
    main()
