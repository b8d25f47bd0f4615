"""Several app servers, proven: two gunicorn servers on one PostgreSQL database and one
Redis, as production runs them (DEBUG off, behind a proxy that ends TLS). A listing
edited through one is shown changed by the other at once, a session signed in on one
works on the other, and the problem-report rate limit counts across both.

It runs with the PostgreSQL suite (``DATABASE_URL=postgres://...``) and needs PostgreSQL
on 127.0.0.1:5432 (trust authentication, as ``.ci/run`` uses it) and ``REDIS_URL``:
skipped in development without them, required in CI (RECOVERYMAP_CI).
Its database and its Redis keys (under a prefix of its own) are removed afterwards.
"""

import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from tests.conftest import required_in_ci

BASE = Path(__file__).resolve().parent.parent
POSTGRES = "postgres://postgres@127.0.0.1:5432"
REDIS_URL = os.environ.get("REDIS_URL", "")
STARTUP_SECONDS = 60


def _listening(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=0.5):
            return True
    except OSError:
        return False


pytestmark = [
    # CI runs the suite on SQLite, then on PostgreSQL: this test's servers use their own
    # PostgreSQL database either way, so it runs once, in the PostgreSQL pass.
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="runs with the PostgreSQL suite (DATABASE_URL=postgres://...)",
    ),
    required_in_ci(
        not (REDIS_URL and _listening(POSTGRES) and _listening(REDIS_URL)),
        "PostgreSQL on 127.0.0.1:5432 and REDIS_URL are needed for the two-server test",
    ),
]

# Run in the servers' own environment: the data both servers see, and the meeting form
# an organizer posts, printed as JSON.
SEED = """
import json
from allauth.account.models import EmailAddress
from tests.conftest import make_group, make_meeting, make_organizer, make_place, meeting_form_data

make_place()
group = make_group(name="Harbor Group")
meeting = make_meeting(group=group, name="Harbor Lights")
organizer = make_organizer(group, email="sam@example.org", display_name="Sam")
organizer.set_password("a-long-Passphrase-42")
organizer.save()
EmailAddress.objects.create(user=organizer, email=organizer.email, verified=True, primary=True)
print(json.dumps({
    "meeting": meeting.pk,
    "path": meeting.get_absolute_url(),
    "form": meeting_form_data(meeting),
}, default=str))
"""


class Browser:
    """One person's browser: its cookies, sent to whichever server it is talking to, as
    over HTTPS (the proxy in front says so with X-Forwarded-Proto)."""

    def __init__(self):
        self.cookies: dict[str, str] = {}

    def request(self, port: int, method: str, path: str, form: dict | None = None):
        headers = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            form = {**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = "https://127.0.0.1"
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return response.status, response.headers, text

    def get(self, port, path):
        return self.request(port, "GET", path)

    def post(self, port, path, form):
        if "csrftoken" not in self.cookies:
            self.get(port, path)
        return self.request(port, "POST", path, form)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run(args, env, timeout=STARTUP_SECONDS) -> str:
    result = subprocess.run(
        [sys.executable, *args], cwd=BASE, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _wait_for_health(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stderr.read().decode()
        try:
            if Browser().get(port, "/health/")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"gunicorn on port {port} did not answer /health/ in time")


@pytest.fixture
def two_servers():
    import psycopg
    import redis

    name = f"rm_two_servers_{os.getpid()}_{secrets.token_hex(3)}"
    prefix = f"two-servers-{secrets.token_hex(6)}"
    admin = psycopg.connect(f"{POSTGRES}/postgres", autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "DATABASE"))}
    env |= {
        "DATABASE_URL": f"{POSTGRES}/{name}",
        "REDIS_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": prefix,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "TRUST_X_FORWARDED_PROTO": "true",
        "STATIC_MANIFEST": "false",
        "REPORT_RATE_LIMIT": "2",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "recoverymap.settings",
    }
    servers = []
    try:
        _run(["manage.py", "migrate", "--no-input", "-v0"], env, timeout=180)
        seed = json.loads(_run(["manage.py", "shell", "-c", SEED], env).strip().splitlines()[-1])
        ports = [_free_port(), _free_port()]
        for port in ports:
            servers.append(
                subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "recoverymap.wsgi:application"]
                    + ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "60"],
                    cwd=BASE,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
            )
        for port, server in zip(ports, servers, strict=True):
            _wait_for_health(port, server)
        yield ports, seed
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
        keys = redis.Redis.from_url(REDIS_URL)
        for key in keys.scan_iter(match=f"{prefix}:*", count=1000):
            keys.unlink(key)


def test_two_app_servers_share_listings_sessions_and_limits(two_servers):
    (one, two), seed = two_servers
    visitor = Browser()
    search = "/meetings/?near=55404"
    for port in (one, two):  # both servers' pages are cached for anonymous visitors
        for _ in range(2):
            status, _headers, page = visitor.get(port, search)
            assert status == 200 and "Harbor Lights" in page
        assert "Harbor Lights" in visitor.get(port, seed["path"])[2]

    organizer = Browser()
    status, headers, _page = organizer.post(
        one, "/accounts/login/", {"login": "sam@example.org", "password": "a-long-Passphrase-42"}
    )
    assert status == 302, status
    # Signed in on one, the same session works on the other.
    status, _headers, page = organizer.get(two, "/accounts/listings/")
    assert status == 200 and "Harbor Lights" in page

    change = f"/manage/meetings/meeting/{seed['meeting']}/change/"
    status, headers, page = organizer.post(one, change, seed["form"] | {"name": "Harbor Dawn"})
    assert status == 302, page[:2000]
    # Edited through one, the other shows it at once: no stale cached page.
    status, _headers, page = visitor.get(two, search)
    assert status == 200 and "Harbor Dawn" in page and "Harbor Lights" not in page
    assert "Harbor Dawn" in visitor.get(two, seed["path"])[2]

    # REPORT_RATE_LIMIT=2 an hour from one address, counted across both servers.
    report = seed["path"] + "report/"
    answers = [
        visitor.post(port, report, {"category": "time", "message": "", "email": ""})[0]
        for port in (one, two, one)
    ]
    assert answers == [302, 302, 429], answers
