"""Start-up configuration: bad environments stop with one clear sentence."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from django.core.management import CommandError, call_command
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    environment = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_missing_secret_key_with_debug_off_stops_with_one_sentence():
    result = run_manage("check", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_malformed_database_url_stops_with_one_sentence():
    result = run_manage("check", SECRET_KEY="x" * 50, DATABASE_URL="postgres://a:b@host:port/x")
    assert result.returncode != 0
    assert "DATABASE_URL is malformed" in result.stderr
    assert "Traceback" not in result.stderr


def test_database_url_for_another_engine_is_refused():
    result = run_manage("check", SECRET_KEY="x" * 50, DATABASE_URL="sqlite:///db.sqlite3")
    assert result.returncode != 0
    assert "DATABASE_URL must point at PostgreSQL" in result.stderr


def test_malformed_boolean_is_refused():
    result = run_manage("check", SECRET_KEY="x" * 50, DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


def test_debug_defaults_to_off():
    from django.conf import settings

    assert os.environ.get("DEBUG", "false") == "false"
    assert settings.DEBUG is False


def test_unreachable_postgres_gives_a_one_line_hint(settings, monkeypatch):
    monkeypatch.setitem(settings.DATABASES["default"], "HOST", "127.0.0.1")
    monkeypatch.setitem(settings.DATABASES["default"], "PORT", "1")
    with pytest.raises(CommandError) as caught:
        call_command("ensure_database")
    message = str(caught.value)
    assert message.startswith("PostgreSQL is not reachable at 127.0.0.1:1")
    assert "docker compose up db" in message
    assert "\n" not in message


def _missing_database_url(name: str) -> str:
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def test_missing_database_stops_a_command_with_one_sentence():
    # A new machine: the server runs, the database does not exist yet. The
    # model checks need a connection, so this is where CI used to break.
    name = f"clinic_missing_{uuid.uuid4().hex[:8]}"
    started = time.monotonic()
    result = run_manage(
        "makemigrations",
        "--check",
        "--dry-run",
        SECRET_KEY="x" * 50,
        DATABASE_URL=_missing_database_url(name),
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"The database {name!r} does not exist on 127.0.0.1:5432 yet. Create it with "
        "`python manage.py ensure_database` (make run and make deploy-check do this for you)."
    ]
    assert time.monotonic() - started < 15  # not a ten-second pool wait plus start-up


def test_unreachable_server_stops_a_command_with_one_sentence():
    result = run_manage(
        "check",
        "--database",
        "default",
        SECRET_KEY="x" * 50,
        DATABASE_URL="postgres://postgres@127.0.0.1:1/clinic",
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("PostgreSQL is not reachable at 127.0.0.1:1 (Connection refused)")


def test_ensure_database_creates_a_missing_database_and_the_checks_then_pass():
    name = f"clinic_fresh_{uuid.uuid4().hex[:8]}"
    url = _missing_database_url(name)
    try:
        created = run_manage("ensure_database", SECRET_KEY="x" * 50, DATABASE_URL=url)
        assert created.returncode == 0, created.stderr
        assert f"Created database {name!r}." in created.stdout
        again = run_manage("ensure_database", SECRET_KEY="x" * 50, DATABASE_URL=url)
        assert f"Database {name!r} is ready." in again.stdout
        checked = run_manage(
            "makemigrations", "--check", "--dry-run", SECRET_KEY="x" * 50, DATABASE_URL=url
        )
        assert checked.returncode == 0, checked.stderr
        assert "No changes detected" in checked.stdout
    finally:
        with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
            c.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
