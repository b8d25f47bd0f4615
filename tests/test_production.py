"""Production settings: `check --deploy` is clean, the security headers and the Content
Security Policy are sent, static files are hashed and compressed, and the error pages
are our own."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db
BASE = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k3y-" + "x7Qp9LmZ2vRt8WcY4bNs6HdJ1fKg5" * 2,
    "ALLOWED_HOSTS": "recoverymap.example",
    "CSRF_TRUSTED_ORIGINS": "https://recoverymap.example",
    "TRUST_X_FORWARDED_PROTO": "true",
}


def _manage(*args, env: dict) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "REDIS_URL"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE,
        env=environ | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_nothing_in_production():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_collectstatic_writes_hashed_compressed_files(tmp_path):
    # STATIC_ROOT is var/static; collect into a copy of the settings' tree instead.
    script = (
        "import django, sys; django.setup()\n"
        "from django.conf import settings\n"
        f"settings.STATIC_ROOT = {str(tmp_path)!r}\n"
        "from django.core.management import call_command\n"
        "call_command('collectstatic', '--no-input', verbosity=0)\n"
    )
    environ = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "REDIS_URL"}}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=BASE,
        env=environ | PRODUCTION | {"DJANGO_SETTINGS_MODULE": "recoverymap.settings"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    css = list((tmp_path / "css").glob("site.*.css"))
    assert any(p.suffix == ".css" for p in css)
    assert list((tmp_path / "css").glob("site.*.css.gz"))
    assert (tmp_path / "staticfiles.json").exists()


def test_pages_carry_the_security_headers_and_the_content_security_policy(client):
    response = client.get(reverse("directory:home"))
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert "https://tile.openstreetmap.org" in policy["img-src"]
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]


def test_no_template_has_inline_scripts_styles_or_handlers():
    """The CSP would block them: scripts and styles come from static files only."""
    import re

    inline = re.compile(
        r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(ld\+)?json\")[^>]*>"
        r"|<style\b|\sstyle=\"|\son[a-z]+=\"",
        re.IGNORECASE,
    )
    found = [
        f"{path.relative_to(BASE)}: {match.group(0)}"
        for path in (BASE / "templates").rglob("*.html")
        for match in inline.finditer(path.read_text())
    ]
    assert found == []


def test_an_unknown_page_is_our_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "We couldn't find that page" in response.content.decode()
