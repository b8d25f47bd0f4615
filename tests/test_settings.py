"""Settings read from the environment fail loudly, naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from recoverymap.lib.env import (
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_str,
    env_timezone,
)

BASE = Path(__file__).resolve().parent.parent


def test_booleans_accept_the_usual_words_and_refuse_others():
    assert env_bool("X", False, environ={"X": "yes"}) is True
    assert env_bool("X", True, environ={"X": "0"}) is False
    assert env_bool("X", True, environ={}) is True
    with pytest.raises(ImproperlyConfigured, match="X='ture'"):
        env_bool("X", False, environ={"X": "ture"})


def test_integers_and_lists_and_zones():
    assert env_int("N", 3, environ={"N": "12"}) == 12
    with pytest.raises(ImproperlyConfigured, match="N='twelve'"):
        env_int("N", 3, environ={"N": "twelve"})
    assert env_list("H", [], environ={"H": "a.org, b.org,"}) == ["a.org", "b.org"]
    assert env_timezone("TZ", "UTC", environ={"TZ": "America/Denver"}) == "America/Denver"
    with pytest.raises(ImproperlyConfigured, match="TIME_ZONE"):
        env_timezone("TIME_ZONE", "UTC", environ={"TIME_ZONE": "Central"})


def test_a_required_value_that_is_missing_names_the_variable():
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        env_str("SECRET_KEY", environ={})


def test_database_urls_for_sqlite_and_postgres():
    sqlite = database_from_url("sqlite:///var/x.sqlite3", base_dir=BASE)
    assert sqlite["ENGINE"].endswith("sqlite3") and sqlite["NAME"] == str(BASE / "var/x.sqlite3")
    pg = database_from_url("postgres://me:s%40cret@db.internal:6543/rm", base_dir=BASE)
    assert pg["ENGINE"].endswith("postgresql")
    assert (pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"], pg["NAME"]) == (
        "me",
        "s@cret",
        "db.internal",
        "6543",
        "rm",
    )


@pytest.mark.parametrize(
    "url", ["mysql://x/y", "postgres://host/", "sqlite://", "nonsense", "postgres://h:port/db"]
)
def test_database_urls_we_cannot_use_are_refused(url):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        database_from_url(url, base_dir=BASE)


def _start(env: dict) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "TIME_ZONE", "ALLOWED_HOSTS"}
    }
    clean.update(env)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']="
            "'recoverymap.settings'; django.setup(); print('ok')",
        ],
        cwd=BASE,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_with_no_environment_it_starts_locally():
    result = _start({})
    assert result.returncode == 0, result.stderr
    assert "ok" in result.stdout


def test_production_without_a_secret_key_refuses_to_start():
    result = _start({"DEBUG": "false"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_a_bad_debug_value_refuses_to_start():
    result = _start({"DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG='maybe'" in result.stderr


def test_production_refuses_a_secret_key_shorter_than_check_deploy_wants():
    forty_characters = "k3y-x7Qp9LmZ2vRt8WcY4bNs6HdJ1fKg5-abcde"
    result = _start({"DEBUG": "false", "SECRET_KEY": forty_characters})
    assert result.returncode != 0
    assert "at least 50 characters" in result.stderr
