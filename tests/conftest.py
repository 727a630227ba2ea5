import json
import os
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.cache import cache
from django.test import TransactionTestCase
from django.test.utils import override_settings

from clinic.demo import load as load_clinic_demo
from tests.database_reset import empty_database

# Chromium from Debian, never a downloaded build: its headless shell, the same
# Blink and V8 without the desktop browser, as Playwright itself uses for
# headless runs (it costs about 40% less CPU than the full browser here). The
# network is closed, so background traffic is switched off.
CHROMIUM_PATH = "/usr/bin/chromium-headless-shell"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# On our own pages axe's best practices too (unique landmark names, one main
# landmark, all content in landmarks, heading order...). Not in the staff
# admin: Django admin's own markup (empty inline table headers, the search
# bar's icon label) fails two of them, and it is not ours to rewrite.
BEST_PRACTICE_TAGS = [*WCAG_TAGS, "best-practice"]
BROWSER_FIXTURES = {"page", "context", "new_context", "browser"}


def pytest_report_header(config):
    if os.environ.get("CLINIC_TEST_CLOCK"):
        from django.utils import timezone

        now = timezone.localtime()
        return f"clinic clock: {os.environ['CLINIC_TEST_CLOCK']} ({now:%a %d %b %Y %H:%M %Z})"
    return None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM_PATH, "args": CHROMIUM_ARGS}


def uses_browser(item) -> bool:
    # A test parametrized with an argument called `page` is not a browser test.
    parameters = getattr(getattr(item, "callspec", None), "params", {})
    return any(
        name in BROWSER_FIXTURES and name not in parameters
        for name in getattr(item, "fixturenames", ())
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    # Playwright's event loop keeps running in the main thread from the first
    # browser test to the end of the session, and Django's async-safety check
    # sees it. Browser tests go last (in pytest-django's order otherwise), so
    # every other test runs with the check fully on.
    items.sort(key=uses_browser)


@pytest.fixture(scope="session")
def playwright(django_db_setup, playwright):
    # The test database is made before Playwright's loop starts, and dropped
    # after it stops, so neither step trips the async-safety check.
    return playwright


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    # Only browser tests may use the ORM while Playwright's loop runs: from
    # their first fixture to the database flush after them, and no other test.
    if not uses_browser(item):
        return (yield)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        return (yield)
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


CSP_VIOLATIONS = pytest.StashKey[list[str]]()
CSP_REPORTED = pytest.StashKey[int]()


def _csp_report(violations: list[str]) -> str:
    return "The page broke the Content-Security-Policy:\n" + "\n".join(violations)


@pytest.fixture(autouse=True)
def _csp_violations_fail_browser_tests(request, monkeypatch):
    """Any Content-Security-Policy violation in a page a browser test opens fails it."""
    if not uses_browser(request.node):
        yield
        return
    browser = request.getfixturevalue("browser")
    violations = request.node.stash[CSP_VIOLATIONS] = []

    def watch(page):
        def on_console(message):
            if "Content Security Policy" in message.text:
                violations.append(f"{page.url}: {message.text}")

        page.on("console", on_console)

    def new_context(**kwargs):
        context = browser_new_context(**kwargs)
        context.on("page", watch)
        return context

    def new_page(**kwargs):
        page = browser_new_page(**kwargs)
        watch(page)
        return page

    # The same session browser serves every test: watch each context and page
    # it opens during this test, whether through the `page` fixture or not.
    browser_new_context, browser_new_page = browser.new_context, browser.new_page
    monkeypatch.setattr(browser, "new_context", new_context)
    monkeypatch.setattr(browser, "new_page", new_page)
    yield
    # Messages that arrived while the pages closed; earlier ones failed the test itself.
    reported = request.node.stash.get(CSP_REPORTED, 0)
    if reported >= 0 and len(violations) > reported:
        pytest.fail(_csp_report(violations))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    violations = item.stash.get(CSP_VIOLATIONS, [])
    try:
        result = yield
    except BaseException:
        item.stash[CSP_REPORTED] = -1  # the test failed already; one failure is enough
        raise
    item.stash[CSP_REPORTED] = len(violations)
    if violations:
        pytest.fail(_csp_report(violations))
    return result


@pytest.fixture(scope="session", autouse=True)
def _quick_password_hashing(django_test_environment):
    # Django's advice for test suites: the production hasher is slow on purpose
    # (about a second a password here), and nothing under test depends on which
    # hasher stores a password. tests/clinic/test_settings.py reads the real list.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(scope="session", autouse=True)
def _quick_database_reset():
    # Django's flush after each transactional test costs about 0.25 s; see
    # tests/database_reset.py, and tests/test_database_reset.py for its checks.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TransactionTestCase, "_fixture_teardown", empty_database)
        yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Cached pages and the clinic identity must not leak between tests.
    cache.clear()
    yield
    cache.clear()


class _Quiet:
    def write(self, *args, **kwargs):
        pass


@pytest.fixture
def clinic(db):
    """The demo clinic's identity record, as `make run` creates it."""
    from clinic.models import ClinicProfile

    load_clinic_demo(stdout=_Quiet())
    return ClinicProfile.objects.get()


AXE_SCRIPT = Axe().axe_script


def assert_accessible(page) -> None:
    """Fail with a readable list of axe-core's WCAG 2.2 A/AA (and best-practice) violations."""
    tags = WCAG_TAGS if urlsplit(page.url).path.startswith("/admin/") else BEST_PRACTICE_TAGS
    options = {"runOnly": {"type": "tag", "values": tags}, "resultTypes": ["violations"]}
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    # Only the violations come back, as one string: the passes of a whole page
    # are megabytes that Playwright would check value by value.
    violations = json.loads(
        page.evaluate(
            "options => axe.run(document, options).then(r => JSON.stringify(r.violations))",
            options,
        )
    )
    if violations:
        details = []
        for violation in violations:
            targets = [", ".join(node["target"]) for node in violation["nodes"]]
            details.append(f"{violation['id']}: {violation['help']} -> {targets}")
        pytest.fail(f"axe found violations on {page.url}:\n" + "\n".join(details))


@pytest.fixture
def axe():
    return assert_accessible


@pytest.fixture
def redis_prefix():
    """The machine's Redis (TEST_REDIS_URL) under a key prefix of this test's own.

    Yields (url, prefix); every key under the prefix is deleted afterwards, and
    nothing else is touched. Skips when no Redis answers (CI starts one).
    """
    import os
    import secrets

    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.exceptions.RedisError as error:
        pytest.skip(f"no Redis at {url}: {error}")
    prefix = f"clinic-test-{secrets.token_hex(6)}"
    yield url, prefix
    keys = list(client.scan_iter(match=f"{prefix}*", count=500))
    if keys:
        client.delete(*keys)
    client.close()


def closed_port() -> int:
    """A local TCP port with nothing listening: connections are refused at once."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
