"""Structured logs with request ids, and manage tokens redacted from every line."""

import json
import logging
import time

import pytest
from django.db import connection

from clinic.logs import JsonFormatter, PlainFormatter, redact
from tests.servers import Gunicorn, database_url_of

# A token of the real length and alphabet (token_urlsafe(32)), fixed so that
# the parametrised test names are the same in every process of a parallel run.
TOKEN = "q8Zr3LxT0vKp-2Wm_9YbNc4HdJs7FeA1uGiOlRtXwEk"
# Paths a client can send that the router refuses but the access log still records.
MALFORMED = [f"/book//manage/{TOKEN}/", f"/BOOK/manage/{TOKEN}/", f"/{TOKEN}"]


@pytest.mark.parametrize(
    "text",
    [
        f"GET /book/manage/{TOKEN}/ HTTP/1.1",
        f"Not Found: /book/manage/{TOKEN}/cancel/",
        f"referer=https://clinic.example/book/booked/{TOKEN}/?x=1",
        f'"path": "/book/manage/{TOKEN}"',
        f"GET /calendar/{TOKEN}.ics HTTP/1.1",
        f"GET /book/waitlist/link/{TOKEN}/ HTTP/1.1",
        f"referer=https://clinic.example/book/offer/link/{TOKEN}/",
        f"Not Found: /book/offer/link/{TOKEN}",
        # A pre-visit form's link, even one cut short or padded (not 43 characters).
        f"GET /book/forms/{TOKEN}/ HTTP/1.1",
        f"Gone: /book/forms/{TOKEN}x/",
        f"GET /BOOK//forms/{TOKEN[:30]}/ HTTP/1.1",
        # Every spelling a client can send and the router or the access log sees.
        f"GET /book//manage/{TOKEN}/ HTTP/1.1",
        f"GET /BOOK/Manage/{TOKEN}/ HTTP/1.1",
        f"GET //book/manage//{TOKEN} HTTP/1.1",
        f"GET /Calendar/{TOKEN}.ics HTTP/1.1",
        # A token written bare, by any logger.
        f"booked, token={TOKEN}",
        f'{{"token": "{TOKEN}"}}',
    ],
)
def test_redact_removes_the_token_of_private_links(text):
    assert TOKEN not in redact(text)
    assert "[redacted]" in redact(text)


def test_redact_leaves_other_booking_paths_alone():
    assert redact("/book/time/?treatment=x") == "/book/time/?treatment=x"


@pytest.mark.parametrize(
    "text",
    [
        "request 3f2a9c0e8b7d4e1f9a6b5c4d3e2f1a0b",  # a request id: 32 characters
        "sha256 " + "ab" * 32,  # a token's hash: 64 characters
        "reference K7QM-3XPA",
        "/articles/dry-needling-for-a-stiff-neck-what-to-expect/",
    ],
)
def test_redact_leaves_ids_hashes_and_addresses_that_are_not_tokens_alone(text):
    assert redact(text) == text


@pytest.mark.parametrize(
    "path", ["/book/manage/", "/book/manage/?sent=1", "/book/waitlist/", "/book/offer/K7QM-3XPA/"]
)
def test_redact_leaves_find_my_booking_and_the_waitlists_clean_addresses_alone(path):
    assert redact(f"GET {path} HTTP/1.1") == f"GET {path} HTTP/1.1"


def _record(message, *args, exc_info=None, **extra):
    record = logging.LogRecord("django.request", logging.WARNING, "", 0, message, args, exc_info)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_json_lines_carry_level_logger_message_and_extras_redacted():
    try:
        raise ValueError(f"bad link /book/manage/{TOKEN}/")
    except ValueError:
        import sys

        exc_info = sys.exc_info()
    line = JsonFormatter().format(
        _record(
            "Not Found: %s",
            f"/book/manage/{TOKEN}/",
            exc_info=exc_info,
            path=f"/book/booked/{TOKEN}/",
        )
    )
    entry = json.loads(line)
    assert entry["level"] == "warning"
    assert entry["logger"] == "django.request"
    assert entry["message"] == "Not Found: /book/manage/[redacted]/"
    assert entry["path"] == "/book/booked/[redacted]/"
    assert TOKEN not in line


def test_plain_lines_are_redacted_too():
    assert TOKEN not in PlainFormatter().format(_record(f"GET /book/manage/{TOKEN}/"))


@pytest.mark.django_db
def test_every_response_names_its_request(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert len(first) == 32 and first != second


@pytest.mark.django_db
def test_a_request_id_from_the_proxy_is_kept_and_a_strange_one_replaced(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="lb-1234abcd")["X-Request-ID"] == "lb-1234abcd"
    assert client.get("/healthz", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"] != "<script>"


def logged(answer, access_log, *, seconds: float = 10):
    """`answer`, once gunicorn has written its access line.

    A gthread worker writes the line after the response has gone, so without
    waiting the next request's line can come first, or the server can stop
    before the last one is written.
    """
    request_id = answer.headers["X-Request-ID"]
    deadline = time.monotonic() + seconds
    while request_id not in (access_log.read_text() if access_log.exists() else ""):
        assert time.monotonic() < deadline, f"no access line for request {request_id}"
        time.sleep(0.02)
    return answer


@pytest.mark.django_db(transaction=True)
def test_gunicorns_real_access_log_and_error_log_never_show_a_manage_token(tmp_path, clinic):
    access_log = tmp_path / "access.log"
    server = Gunicorn(
        database_url_of(connection),
        env={"GUNICORN_ACCESS_LOG": str(access_log)},
        log_dir=tmp_path,
    )
    with server:
        manage = logged(server.get(f"/book/manage/{TOKEN}/"), access_log)
        booked = logged(
            server.get(
                f"/book/booked/{TOKEN}/?from=mail",
                headers={"Referer": f"{server.base}/book/manage/{TOKEN}/cancel/"},
            ),
            access_log,
        )
        cancel = logged(server.get(f"/book/manage/{TOKEN}/cancel/"), access_log)
        odd = [logged(server.get(path), access_log) for path in MALFORMED]
    assert {manage.status, booked.status, cancel.status, *(a.status for a in odd)} == {404}

    access = access_log.read_text()
    errors = (tmp_path / "gunicorn.out").read_text()
    assert TOKEN not in access
    assert TOKEN not in errors
    lines = [json.loads(line) for line in access.splitlines()]
    lines = [line for line in lines if line["path"].startswith("/book/")]
    assert [line["path"] for line in lines] == [
        "/book/manage/[redacted]/",
        "/book/booked/[redacted]/?from=mail",
        "/book/manage/[redacted]/cancel/",
        "/book//manage/[redacted]/",
    ]
    assert [line["path"] for line in (json.loads(x) for x in access.splitlines())][-2:] == [
        "/BOOK/manage/[redacted]/",
        "/[redacted]",
    ]
    assert lines[1]["referer"].endswith("/book/manage/[redacted]/cancel/")
    assert lines[0]["request_id"] == manage.headers["X-Request-ID"]
    assert lines[0]["status"] == 404
    # Django's own warning for each 404 names the page, redacted, with the same request id.
    warnings = [json.loads(line) for line in errors.splitlines() if '"django.request"' in line]
    assert warnings and all("[redacted]" in w["message"] for w in warnings)
    assert warnings[0]["request_id"] == manage.headers["X-Request-ID"]
