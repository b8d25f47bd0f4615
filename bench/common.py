"""What the benchmarks share: a throwaway database, seeded the way `make run` seeds one.

The scripts run as `python bench/NAME.py`, so this folder is on their import path.
"""

import contextlib
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")


def calibration_ms() -> float:
    """Milliseconds this machine takes, now, for a fixed piece of pure-Python work like a
    page's (building dicts, sorting, formatting text): the reference each benchmark
    divides its times by, so a figure taken on a busy machine can still be compared."""
    rng = random.Random(14)
    started = time.perf_counter()
    for _ in range(10):
        rows = [
            {"id": i, "name": f"meeting {rng.random():.6f}", "n": rng.random()} for i in range(800)
        ]
        rows.sort(key=lambda row: (row["n"], row["name"]))
        "".join(f"<li>{row['id']}: {row['name']}</li>" for row in rows)
    return (time.perf_counter() - started) * 1000


class Reference:
    """The CPU reference, sampled through a run (before, between and after the timed
    parts, never while they run): its median is what the run's figures are divided by."""

    def __init__(self):
        self.samples: list[float] = []
        self.loads: list[tuple[float, float, float]] = []
        self.sample()

    def sample(self) -> None:
        self.samples.append(calibration_ms())
        self.loads.append(os.getloadavg())

    @property
    def ms(self) -> float:
        return statistics.median(self.samples)

    def ratio(self, ms: float) -> float:
        """A time as a multiple of the reference (lower is better)."""
        return ms / self.ms

    def state(self) -> dict:
        return {"cpu ref ms": self.ms, "loads": self.loads}


def describe_machine(states: list[dict]) -> str:
    """One line for the tables: the load average seen and the CPU reference."""
    loads = [load for state in states for load in state["loads"]]
    refs = [state["cpu ref ms"] for state in states]
    one_minute = [load[0] for load in loads]
    return (
        f"Machine: {os.cpu_count()} cores, load average (1 min) {min(one_minute):.1f}–"
        f"{max(one_minute):.1f} during the run; CPU reference {statistics.median(refs):.1f} ms "
        "(a fixed pure-Python loop, bench/common.py). "
        '"× ref" columns are the time divided by it: comparable between busy and quiet runs.'
    )


def production_env(database_url: str, *, host: str) -> dict:
    """The environment of a production app server (DEBUG off, a random secret key, TLS
    ended in front of it, no geocoder), for the process that serves the measured pages."""
    env = {name: value for name, value in os.environ.items() if name != "REDIS_URL"}
    env.update(
        DJANGO_SETTINGS_MODULE="recoverymap.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=host,
        DATABASE_URL=database_url,
        SECURE_SSL_REDIRECT="false",
        TRUST_X_FORWARDED_PROTO="true",
        STATIC_MANIFEST="false",
        GEOCODER="",
        LOG_LEVEL="WARNING",
    )
    return env


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
