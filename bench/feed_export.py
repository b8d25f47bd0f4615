"""Feed export benchmark: /api/meetings.json over 250,000 meetings, time and peak memory.

    .venv/bin/python bench/feed_export.py                       # SQLite, 250,000 meetings
    .venv/bin/python bench/feed_export.py --db postgres
    .venv/bin/python bench/feed_export.py --meetings 50000
    .venv/bin/python bench/feed_export.py --database-url postgres://postgres@127.0.0.1:5432/db

It makes a throwaway database (a temporary SQLite file; with --db postgres a new
PostgreSQL database on $BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432,
dropped afterwards), migrates it, loads the reference data and places and seeds the demo.
--database-url instead reads an existing, already seeded database and changes nothing
(for instance one that `bench/load.py --keep` left behind).

Then a fresh child process (DEBUG off, as in production, and the local-memory cache, so
the first request is a cache miss) sends one GET /api/meetings.json through Django's WSGI
application, as gunicorn would, and reads the streamed body chunk by chunk, writing it to
a temporary file and counting rows. It reports the wall time to the first byte and to the
last, the bytes sent, and the child's peak resident memory (getrusage ru_maxrss, which
includes Django itself: the baseline after start-up is shown too). Only after the clock
and the memory figure are taken does it parse the file with json.load and check that the
row count is the number of public meetings.

Then it asks again three times in the same process: plainly (the kept copy,
decompressed as it streams), accepting gzip (the kept bytes as they are) and with the
first answer's ETag in If-None-Match (a 304), and reports each one's time and size.

Targets (issue 6): ≤ 10 s and ≤ 300 MB resident for 250,000 meetings. Not a test:
figures only.
"""

import argparse
import contextlib
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

from common import ROOT, Reference, describe_machine, prepare, production_env, throwaway_database

TARGET_SECONDS = 10.0
TARGET_MB = 300.0


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def measure() -> dict:
    """Runs in a fresh process whose DATABASE_URL names the seeded database."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recoverymap.settings")
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()  # django.setup() and the middleware chain
    from meetings.models import Meeting

    public = Meeting.objects.public().count()
    from django.db import connection

    connection.close()  # the request opens its own, as in a server
    baseline = rss_mb()

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/api/meetings.json",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "443",
        "HTTP_HOST": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https",  # as behind a TLS proxy: no HTTPS redirect
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    status_line = []
    headers_seen = []

    def start_response(status, headers, exc_info=None):
        status_line.append(status)
        headers_seen.append(headers)

    size = rows = chunks = 0
    first_byte = None
    with tempfile.TemporaryFile() as body:
        started = time.perf_counter()
        result = application(environ, start_response)
        try:
            for chunk in result:
                if first_byte is None:
                    first_byte = time.perf_counter() - started
                size += len(chunk)
                chunks += 1
                # Keys are never escaped and quotes inside values always are, so this
                # counts rows exactly.
                rows += chunk.count(b'"slug":')
                body.write(chunk)
        finally:
            if hasattr(result, "close"):
                result.close()
        seconds = time.perf_counter() - started
        peak = rss_mb()
        # Checked after the figures are taken: parsing 100+ MB of JSON needs memory too.
        body.seek(0)
        parsed = json.load(body)
    assert status_line and status_line[0].startswith("200"), status_line
    assert isinstance(parsed, list), type(parsed)
    parsed_rows, slugs = len(parsed), len({row["slug"] for row in parsed})
    del parsed
    etag = dict(headers_seen[0]).get("ETag")
    # The same request again (the kept copy, decompressed as it streams), by a client
    # that accepts gzip (the kept bytes as they are), and by one holding the ETag (304).
    repeated = ask(application, environ, {})
    zipped = ask(application, environ, {"HTTP_ACCEPT_ENCODING": "gzip"})
    not_modified = ask(application, environ, {"HTTP_IF_NONE_MATCH": etag or ""})
    return {
        "repeated": repeated,
        "gzip": zipped,
        "304": not_modified,
        "status": status_line[0],
        "public": public,
        "rows": rows,
        "parsed": parsed_rows,
        "slugs": slugs,
        "bytes": size,
        "chunks": chunks,
        "first byte s": first_byte or seconds,
        "seconds": seconds,
        "baseline MB": baseline,
        "peak MB": peak,
    }


def ask(application, environ: dict, headers: dict) -> dict:
    """One more request: its status, seconds, bytes sent and encoding."""
    seen = []
    environ = {**environ, **headers, "wsgi.input": io.BytesIO(b"")}
    started = time.perf_counter()
    result = application(environ, lambda status, hs, exc_info=None: seen.append((status, hs)))
    size = 0
    try:
        for chunk in result:
            size += len(chunk)
    finally:
        if hasattr(result, "close"):
            result.close()
    status, hs = seen[0]
    return {
        "status": status.split()[0],
        "seconds": time.perf_counter() - started,
        "bytes": size,
        "encoding": dict(hs).get("Content-Encoding", "identity"),
    }


def child_env(database_url: str) -> dict:
    # DEBUG off: with it on Django also keeps every query's SQL. No REDIS_URL: never a
    # shared cache that another database filled.
    return production_env(database_url, host="127.0.0.1")


def run(args) -> dict:
    with contextlib.ExitStack() as stack:
        seed_seconds = None
        if args.database_url:
            url = args.database_url
        else:
            url = stack.enter_context(throwaway_database(args.db))
            seed_seconds = prepare(url, args.meetings)
        reference = Reference()  # in this process, before and after the measured one
        out = subprocess.run(
            [sys.executable, __file__, "--measure"],
            cwd=ROOT,
            env=child_env(url),
            capture_output=True,
            text=True,
        )
        if out.returncode:
            sys.exit(f"measuring failed:\n{out.stderr}")
        reference.sample()
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        figures.update(reference.state())
        figures["seed s"] = seed_seconds
        figures["database"] = url.split(":", 1)[0].replace("postgresql", "postgres")
        return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--meetings", type=int, default=250_000)
    parser.add_argument(
        "--database-url", help="an existing seeded database to read (nothing is created)"
    )
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure()))
        return
    f = run(args)
    ok_rows = f["rows"] == f["parsed"] == f["slugs"] == f["public"]
    ok_time = f["seconds"] <= TARGET_SECONDS
    ok_mem = f["peak MB"] <= TARGET_MB
    print()
    print(f"Feed export benchmark: GET /api/meetings.json, {f['public']:,} public meetings")
    print()
    print("| database | rows | MB sent | first byte (s) | total (s) | baseline RSS (MB) "
          "| peak RSS (MB) | valid JSON, all rows | total × ref |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {f['database']} | {f['rows']:,} | {f['bytes'] / 2**20:.1f} | "
        f"{f['first byte s']:.2f} | {f['seconds']:.2f} | {f['baseline MB']:.0f} | "
        f"{f['peak MB']:.0f} | {'yes' if ok_rows else 'NO'} | "
        f"{f['seconds'] * 1000 / f['cpu ref ms']:.0f} |"
    )
    print()
    print("Asked again in the same process (the kept copy; meetings/feed_cache.py):")
    print()
    print("| request | status | encoding | MB sent | total (s) |")
    print("|---|---|---|---|---|")
    print(
        f"| first (built, kept) | 200 | identity | {f['bytes'] / 2**20:.1f} | {f['seconds']:.2f} |"
    )
    for name, label in (
        ("repeated", "repeated"),
        ("gzip", "repeated, Accept-Encoding: gzip"),
        ("304", "If-None-Match: its ETag"),
    ):
        r = f[name]
        print(
            f"| {label} | {r['status']} | {r['encoding']} | {r['bytes'] / 2**20:.1f} | "
            f"{r['seconds']:.3f} |"
        )
    print()
    print(describe_machine([f]))
    if f["seed s"] is not None:
        print(f"(seeding took {f['seed s']:.0f} s; not part of the figures)")
    print()
    print(f"Targets: total ≤ {TARGET_SECONDS:g} s, peak RSS ≤ {TARGET_MB:g} MB")
    misses = [m for m, ok in (("time", ok_time), ("memory", ok_mem), ("rows", ok_rows)) if not ok]
    print("all targets met" if not misses else "MISSED " + ", ".join(misses))
    if misses:
        sys.exit(1)


if __name__ == "__main__":
    main()
