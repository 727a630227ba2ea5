"""Faults, with real processes: the site degrades gently and recovers by itself.

Each test starts gunicorn (tests/servers.py) on the test database, breaks
one dependency (Redis on a closed port; PostgreSQL behind a TCP proxy that
the test stops), and checks what visitors and the load balancer see. Bounded:
every request has a timeout, and the whole module takes well under a minute.
"""

import time

import pytest
from django.db import connection

from tests.articles.conftest import make_article
from tests.conftest import closed_port
from tests.servers import Gunicorn, database_url_of
from tests.tcp_proxy import TcpProxy

pytestmark = pytest.mark.django_db(transaction=True)


def test_with_redis_on_a_closed_port_pages_answer_and_healthz_says_503(clinic, tmp_path):
    article = make_article()
    redis = f"redis://127.0.0.1:{closed_port()}/0"
    with Gunicorn(database_url_of(connection), env={"REDIS_URL": redis}, log_dir=tmp_path) as web:
        pages = ["/", article.get_absolute_url(), "/book/"]
        for path in pages:  # the first visit to each compiles its templates: not timed
            assert web.get(path).status == 200, path
        for path in pages:  # no request waits for the missing Redis
            answer = web.get(path, timeout=5)
            assert answer.status == 200, (path, answer.status)
            assert answer.seconds < 3, path
        health = web.get("/healthz", timeout=5)

    assert health.status == 503
    assert health.seconds < 3
    assert '"down": ["cache"]' in health.body
    log = (tmp_path / "gunicorn.out").read_text()
    assert log.count("Redis cache is unavailable") == 1  # once a minute, not per request


def test_with_the_database_gone_healthz_says_503_pages_are_branded_and_it_recovers(
    clinic, tmp_path
):
    article = make_article()
    settings = connection.settings_dict
    proxy = TcpProxy((settings["HOST"] or "127.0.0.1", int(settings["PORT"] or 5432))).start()
    url = database_url_of(connection).replace(f":{settings['PORT'] or 5432}/", f":{proxy.port}/")
    try:
        with Gunicorn(url, log_dir=tmp_path) as web:
            assert web.get("/book/").status == 200
            assert web.get("/healthz").status == 200
            pid = web.process.pid

            proxy.stop()
            health = web.get("/healthz", timeout=10)
            page = web.get("/book/", timeout=10)
            fresh = web.get(article.get_absolute_url(), timeout=10)

            assert health.status == 503 and health.seconds < 3
            assert '"database": "unreachable"' in health.body
            assert page.status == 503 and page.seconds < 5
            assert "We will be back in a moment" in page.body
            assert page.headers["Retry-After"] == "30"
            assert fresh.status == 503

            proxy.start()  # the same port: the database is back
            deadline, answer = time.monotonic() + 30, None
            while time.monotonic() < deadline:
                answer = web.get("/book/", timeout=10)
                if answer.status == 200:
                    break
                time.sleep(0.5)
            assert answer.status == 200
            assert web.get(article.get_absolute_url()).status == 200
            assert web.get("/healthz").status == 200
            assert web.process.pid == pid and web.process.poll() is None  # no restart
    finally:
        proxy.stop()
