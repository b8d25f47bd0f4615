"""What the benchmarks share: a throwaway database, seeded the way `make run` seeds one.

The scripts run as `python bench/NAME.py`, so this folder is on their import path.
"""

import contextlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")


def psql(url: str, sql: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(["psql", url, "-qAtc", sql], text=True, **kwargs)


def manage(*args, env):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def prepare(database_url: str, meetings: int) -> float:
    """Migrate, load the reference data and places, seed ``meetings``; the seconds the
    seeding took. seed_demo refreshes the planner's statistics itself."""
    env = {**os.environ, "DATABASE_URL": database_url}
    manage("migrate", "--no-input", "-v0", env=env)
    manage("loaddata", "-v0", "fellowships", "meeting_types", env=env)
    manage("load_places", env=env)
    started = time.perf_counter()
    manage("seed_demo", "--meetings", str(meetings), "--seed", "1", env=env)
    seconds = time.perf_counter() - started
    if database_url.startswith("postgres"):
        psql(database_url, "VACUUM ANALYZE", check=True)
    return seconds


@contextlib.contextmanager
def throwaway_database(kind: str, *, keep: bool = False) -> Iterator[str]:
    """The URL of a new empty database: a temporary SQLite file, or a PostgreSQL
    database on $BENCH_POSTGRES_URL that is dropped afterwards (unless ``keep``)."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="recoverymap-bench-") as folder:
            yield f"sqlite:///{folder}/bench.sqlite3"
        return
    name = f"recoverymap_bench_{uuid.uuid4().hex[:8]}"
    psql(f"{POSTGRES_SERVER}/postgres", f"CREATE DATABASE {name}", check=True)
    try:
        yield f"{POSTGRES_SERVER}/{name}"
    finally:
        if keep:
            print(f"Kept the database: --database-url {POSTGRES_SERVER}/{name}")
        else:
            psql(f"{POSTGRES_SERVER}/postgres", f"DROP DATABASE IF EXISTS {name}", check=False)
