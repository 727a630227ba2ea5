"""`make screenshots`: the demo clinic as people see it, into docs/screenshots/.

Loads the demo (with its drawn pictures, and a few appointments today for the
staff page) into SCREENSHOTS_DATABASE_URL (its own database, not make run's),
starts gunicorn on
127.0.0.1:$SCREENSHOTS_PORT and has Chromium (Debian's /usr/bin/chromium,
through Playwright) photograph the home page, the dry-needling article, the
booking steps on a phone and the staff Today page, at phone and desktop sizes.
"""

import os
import secrets
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
PORT = int(os.environ.get("SCREENSHOTS_PORT", "8124"))
BASE = f"http://127.0.0.1:{PORT}"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
STAFF_USER = "screenshots"
CHROMIUM = "/usr/bin/chromium"


def manage(*args: str, env: dict) -> None:
    subprocess.run(  # noqa: S603 - our own command line
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True
    )


def prepare(env: dict, password: str) -> None:
    manage("ensure_database", env=env)
    manage("migrate", "--noinput", "-v0", env=env)
    manage("load_demo", env=env)
    manage("run_daily", env=env)
    manage("collectstatic", "--noinput", "-v0", env=env)
    # A Today page with patients on it: a few of Maya's later times today.
    manage(
        "shell",
        "-c",
        "from datetime import timedelta; from django.db import transaction;"
        "from django.utils import timezone; from booking.demo import book_a_day_full;"
        "from booking.models import Practitioner;"
        "transaction.atomic(book_a_day_full)("
        "practitioner=Practitioner.objects.get(slug='maya-okafor'),"
        " now=timezone.now(), after=timedelta(0), limit=5)",
        env=env,
    )
    manage(
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model;"
        f"u, _ = get_user_model().objects.get_or_create(username='{STAFF_USER}');"
        "u.is_staff = u.is_superuser = True;"
        f"u.set_password('{password}'); u.save()",
        env=env,
    )


def wait_for_server() -> None:
    for _ in range(100):
        try:
            with urllib.request.urlopen(BASE + "/healthz", timeout=1):  # noqa: S310 - our server
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"The server on {BASE} did not start.")


def shoot(page, name: str, *, full_page: bool = False) -> None:
    page.wait_for_load_state("networkidle")
    if full_page:
        # Lazy pictures load as a person scrolls to them: scroll the page through.
        height = page.evaluate("document.documentElement.scrollHeight")
        for y in range(0, height, 500):
            page.evaluate(f"window.scrollTo(0, {y})")
            page.wait_for_timeout(60)
        page.evaluate("window.scrollTo(0, 0)")
        page.wait_for_function("[...document.images].every(image => image.complete)")
    page.screenshot(path=OUT / f"{name}.png", full_page=full_page)
    print(f"  docs/screenshots/{name}.png")


def public_pages(browser) -> None:
    for size_name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context = browser.new_context(viewport=viewport, device_scale_factor=1)
        page = context.new_page()
        page.goto(BASE + "/")
        shoot(page, f"home-{size_name}", full_page=True)
        page.goto(BASE + "/articles/dry-needling-explained/")
        shoot(page, f"article-{size_name}")
        context.close()


def booking_on_a_phone(browser) -> None:
    context = browser.new_context(viewport=PHONE, device_scale_factor=1)
    page = context.new_page()
    page.goto(BASE + "/book/")
    shoot(page, "booking-1-treatment-phone")
    page.goto(BASE + "/book/practitioner/?treatment=physiotherapy")
    shoot(page, "booking-2-practitioner-phone")
    page.goto(BASE + "/book/time/?treatment=physiotherapy&practitioner=maya-okafor")
    shoot(page, "booking-3-time-phone")
    details = page.locator("a[href*='/book/details/']").first
    details.click()
    shoot(page, "booking-4-details-phone")
    context.close()


def staff_today(browser, password: str) -> None:
    for size_name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context = browser.new_context(viewport=viewport, device_scale_factor=1)
        page = context.new_page()
        page.goto(BASE + "/admin/")
        page.get_by_label("Username").fill(STAFF_USER)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        shoot(page, f"staff-today-{size_name}")
        context.close()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(16)
    env = {
        **os.environ,
        "DATABASE_URL": os.environ.get(
            "SCREENSHOTS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/clinic_screenshots"
        ),
        "DEMO_IMAGES": "true",
        "SITE_URL": BASE,
        "LOG_LEVEL": "WARNING",
        "AXES_ENABLED": "false",
    }
    prepare(env, password)
    server = subprocess.Popen(  # noqa: S603 - our own command line
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "clinic.wsgi",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            "1",
            "--threads",
            "4",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_server()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
            )
            public_pages(browser)
            booking_on_a_phone(browser)
            staff_today(browser, password)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
