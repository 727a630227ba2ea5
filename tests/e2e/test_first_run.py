"""A new user's first `make run` on a machine without PostgreSQL, in Chromium.

The embedded PostgreSQL (scripts/database.py, forced with EMBEDDED_POSTGRES
as on a laptop with no server) in a folder of the test's own: the site is
served as `make run` serves it, a patient books in Chromium, Ctrl-C stops
the site and the server, and the booking is there after the second start.
"""

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.servers import ROOT, free_port

PYTHON = ROOT / ".venv" / "bin" / "python"
SERVE = (
    "{python} manage.py ensure_database && {python} manage.py migrate --noinput -v0 && "
    "{python} manage.py load_demo && exec {python} -m gunicorn clinic.wsgi "
    "--bind 127.0.0.1:{port} --workers 1 --threads 4"
)


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class FirstRun:
    """`make run` as a new user starts it: the wrapper, the database, then the site."""

    def __init__(self, home: Path, log: Path):
        self.home, self.log = home, log
        self.site, self.database = free_port(), free_port()
        self.process = None

    def env(self) -> dict:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DATABASE_URL", "TEST_DATABASE_NAME", "DJANGO_ALLOW_ASYNC_UNSAFE"}
        }
        return {
            **env,
            "EMBEDDED_POSTGRES": "true",
            "EMBEDDED_POSTGRES_HOME": str(self.home),
            "EMBEDDED_POSTGRES_PORT": str(self.database),
            "SECRET_KEY": "first-run-test-secret-key-long-enough-for-django-checks",
            "SITE_URL": f"http://127.0.0.1:{self.site}",
            "BOOKING_MIN_FILL_SECONDS": "0",
            "DEMO_IMAGES": "false",
        }

    def start(self) -> str:
        command = SERVE.format(python=PYTHON, port=self.site)
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [str(PYTHON), "scripts/database.py", "--", "bash", "-c", command],
                cwd=ROOT,
                env=self.env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, as a terminal gives it
            )
        deadline = time.monotonic() + 120
        while not answers(self.site):
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            assert time.monotonic() < deadline, "the site did not start in 2 minutes"
            time.sleep(0.3)
        return f"http://127.0.0.1:{self.site}"

    def ctrl_c(self) -> int:
        """What Ctrl-C does at the terminal: SIGINT to the whole foreground group."""
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            raise


@pytest.fixture
def first_run(tmp_path):
    run = FirstRun(tmp_path / "postgres", tmp_path / "make-run.log")
    yield run
    if run.process and run.process.poll() is None:
        run.ctrl_c()


def book_a_follow_up(page, base: str) -> str:
    page.goto(base + "/book/?treatment=physiotherapy-follow-up&practitioner=maya-okafor")
    page.get_by_role("link", name="Later times").click()  # next week: never inside the late window
    page.get_by_role("link", name=re.compile(r"^\w+day \d+ \w+ at \d\d:\d\d")).first.click()
    page.get_by_label("Full name").fill("Nora Newuser")
    page.get_by_label("E-mail address").fill("nora@example.com")
    page.get_by_label("Phone number").fill("07700 900444")
    page.get_by_role("group", name=re.compile("Have you been to the clinic before")).get_by_label(
        "No, this is my first visit"
    ).check()
    page.get_by_label("I agree that the clinic keeps these details").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Book this appointment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, you are booked in")
    return re.search(r"/book/booked/([A-Z0-9-]+)/", page.url).group(1)


def test_make_run_without_a_server_serves_the_demo_and_keeps_a_booking_after_ctrl_c(
    first_run, page
):
    base = first_run.start()
    started = first_run.log.read_text()
    assert "Database: the embedded PostgreSQL 18" in started
    assert "started for this run" in started

    reference = book_a_follow_up(page, base)
    assert first_run.ctrl_c() in (0, -signal.SIGINT, 130)
    assert not answers(first_run.site) and not answers(first_run.database)

    base = first_run.start()
    page.goto(f"{base}/book/booked/{reference}/")  # the session from before still holds it
    expect(page.get_by_text(reference)).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, you are booked in")
