"""Start-up configuration: bad environments stop with one clear sentence."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

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
