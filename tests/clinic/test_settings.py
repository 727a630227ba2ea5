"""Start-up configuration: bad environments stop with one clear sentence."""

import json
import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
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


# --- Defaults: clinic/settings.py read in a fresh interpreter from a clean environment.
# The test process itself runs with tests/environment.py's variables, so a
# default can only be seen from outside it.

DEFAULTS_SECRET = "s" * 50


def python_with_only(code: str, **env) -> str:
    """What `code` prints in a fresh interpreter whose environment is `env` alone (plus PATH)."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def settings_from(**env) -> dict:
    """The module-level settings computed from `env` alone (plus PATH)."""
    code = (
        "import json, clinic.settings as s; "
        "print(json.dumps({k: v for k, v in vars(s).items() if k.isupper()}, default=repr))"
    )
    return json.loads(python_with_only(code, **env))


@pytest.fixture(scope="module")
def defaults():
    return settings_from(SECRET_KEY=DEFAULTS_SECRET)


def test_debug_defaults_to_off(defaults):
    assert defaults["DEBUG"] is False


def test_debug_is_on_only_when_asked_for():
    assert settings_from(SECRET_KEY=DEFAULTS_SECRET, DEBUG="true")["DEBUG"] is True


def test_https_defaults_to_off_with_no_redirect_secure_cookies_or_hsts(defaults):
    assert defaults["HTTPS"] is False
    assert defaults["SECURE_SSL_REDIRECT"] is False
    assert defaults["SESSION_COOKIE_SECURE"] is False
    assert defaults["CSRF_COOKIE_SECURE"] is False
    assert defaults["SECURE_HSTS_SECONDS"] == 0
    assert defaults["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert defaults["SECURE_HSTS_PRELOAD"] is False


def test_https_turns_on_redirect_secure_cookies_and_a_year_of_hsts():
    https = settings_from(SECRET_KEY=DEFAULTS_SECRET, HTTPS="true")
    assert https["SECURE_SSL_REDIRECT"] is True
    assert https["SESSION_COOKIE_SECURE"] is True
    assert https["CSRF_COOKIE_SECURE"] is True
    assert https["SECURE_HSTS_SECONDS"] == 365 * 24 * 60 * 60
    assert https["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert https["SECURE_HSTS_PRELOAD"] is True


def test_forwarded_proto_header_is_trusted_only_behind_a_proxy(defaults):
    assert "SECURE_PROXY_SSL_HEADER" not in defaults
    behind = settings_from(SECRET_KEY=DEFAULTS_SECRET, BEHIND_PROXY="true")
    assert behind["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_headers_that_need_no_https_are_on_by_default(defaults):
    assert defaults["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert defaults["SECURE_REFERRER_POLICY"] == "strict-origin-when-cross-origin"
    assert defaults["SECURE_CROSS_ORIGIN_OPENER_POLICY"] == "same-origin"
    assert defaults["X_FRAME_OPTIONS"] == "DENY"
    assert defaults["SESSION_COOKIE_HTTPONLY"] is True
    assert defaults["CSRF_COOKIE_HTTPONLY"] is True


def test_booking_rate_limits_default_to_ten_per_address_and_three_per_email_an_hour(defaults):
    assert defaults["BOOKING_RATE_LIMITS"] == {"ip": [10, 3600], "email": [3, 3600]}
    assert defaults["BOOKING_MIN_FILL_SECONDS"] == 3


def test_staff_login_locks_after_five_failures_for_thirty_minutes_by_default(defaults):
    assert defaults["AXES_ENABLED"] is True
    assert defaults["AXES_FAILURE_LIMIT"] == 5
    assert defaults["AXES_COOLOFF_TIME"] == repr(timedelta(minutes=30))


def test_passwords_are_stored_with_a_slow_hash_outside_the_suite():
    # The suite swaps in a quick hasher (tests/conftest.py); the site keeps Django's own.
    code = (
        "import django; django.setup(); "
        "from django.contrib.auth.hashers import get_hasher; print(get_hasher().algorithm)"
    )
    algorithm = python_with_only(
        code, SECRET_KEY=DEFAULTS_SECRET, DJANGO_SETTINGS_MODULE="clinic.settings"
    )
    assert algorithm.strip() in {"pbkdf2_sha256", "argon2", "scrypt"}


def test_production_serves_hashed_static_files_by_default(defaults):
    assert defaults["HASHED_STATIC_FILES"] is True
    assert defaults["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1", "[::1]"]


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
