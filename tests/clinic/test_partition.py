"""A network partition between the site and PostgreSQL: every wait has a deadline of its own.

In a partition nothing is refused: connections stay open and go silent, so
the server never sees a query and its statement timeout never starts. The
proxy (tests/tcp_proxy.py) plays it the hardest way, still acknowledging
every packet, so only the site's own timers end the waits (clinic/health.py).
gunicorn runs as in production (tests/servers.py); every request has a
timeout, and the module takes about fifteen seconds.
"""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.utils import timezone

from clinic.health import DATABASE_DEADLINE_SECONDS, database_report
from tests.servers import Gunicorn, database_url_of
from tests.tcp_proxy import TcpProxy

pytestmark = pytest.mark.django_db(transaction=True)


def test_in_a_partition_healthz_says_503_within_3_s_pages_fail_within_5_s_and_it_recovers(
    clinic, tmp_path
):
    settings = connection.settings_dict
    proxy = TcpProxy((settings["HOST"] or "127.0.0.1", int(settings["PORT"] or 5432))).start()
    url = database_url_of(connection).replace(f":{settings['PORT'] or 5432}/", f":{proxy.port}/")
    try:
        with Gunicorn(url, log_dir=tmp_path) as web:
            assert web.get("/book/").status == 200  # compiles the templates: not timed
            # Requests side by side leave several connections idle in the pool, and the
            # partition silences all of them.
            with ThreadPoolExecutor(4) as side_by_side:
                warm = list(side_by_side.map(lambda _: web.get("/book/"), range(4)))
            assert [answer.status for answer in warm] == [200] * 4
            assert web.get("/healthz").status == 200
            pid = web.process.pid

            proxy.partition()
            # The first one meets the silent idle connections; the next ones, new
            # connections that get no answer either.
            checks = [web.get("/healthz", timeout=10) for _ in range(3)]
            pages = [web.get("/book/", timeout=10) for _ in range(2)]

            for health in checks:
                assert health.status == 503, health.body
                assert health.seconds < 3, [round(h.seconds, 2) for h in checks]
                assert '"database": "unreachable"' in health.body
            for page in pages:
                assert page.status == 503, page.body[:200]
                assert page.seconds < 5, [round(p.seconds, 2) for p in pages]
                assert "We will be back in a moment" in page.body

            proxy.heal()
            deadline, answer = time.monotonic() + 30, None
            while time.monotonic() < deadline:
                answer = web.get("/book/", timeout=10)
                if answer.status == 200:
                    break
                time.sleep(0.5)
            assert answer.status == 200
            assert web.get("/healthz").status == 200
            assert web.process.pid == pid and web.process.poll() is None  # no restart
    finally:
        proxy.stop()


def test_the_database_report_gives_up_a_query_left_unanswered_after_its_deadline():
    # Once a connection is lent, a partition looks like a query that never ends:
    # here a sleep the server takes its time over, past the report's own statement timeout.
    backend = {}

    def unanswered(now):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend["pid"] = cursor.fetchone()[0]
            cursor.execute("SET LOCAL statement_timeout = 0")
            cursor.execute("SELECT pg_sleep(30)")
        return {}

    started = time.monotonic()
    report = database_report(timezone.now(), extra=unanswered)
    seconds = time.monotonic() - started

    assert report["database"] == "unreachable"
    assert DATABASE_DEADLINE_SECONDS <= seconds < DATABASE_DEADLINE_SECONDS + 0.5
    with connection.cursor() as cursor:  # a new connection; the server's sleep is ended
        cursor.execute("SELECT pg_terminate_backend(%s)", [backend["pid"]])
    assert database_report(timezone.now())["database"] == "ok"
