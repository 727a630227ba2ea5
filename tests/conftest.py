import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.cache import cache

from clinic.demo import load as load_clinic_demo

# Chromium from Debian, never a downloaded build; the network is closed, so
# background traffic is switched off.
CHROMIUM_PATH = "/usr/bin/chromium"
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


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM_PATH, "args": CHROMIUM_ARGS}


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


_axe = Axe()


def assert_accessible(page) -> None:
    """Fail with a readable list when axe-core finds any WCAG 2.2 A/AA violation."""
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    if results.violations_count:
        details = []
        for violation in results.response["violations"]:
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
