"""Structured logs: one JSON object a line, each with the request's id, no manage tokens.

- RequestIdMiddleware gives every request an id (the proxy's X-Request-ID when
  it sends a sane one, else a new one), sends it back in the X-Request-ID
  header, and puts it on every log line written while the request runs; the
  gunicorn access log line (clinic/access_log.py) carries it too.
- The private links in e-mails (/book/manage/<token>/) let anyone holding
  them cancel an appointment, the waitlist's (/book/waitlist/link/<token>/,
  /book/offer/link/<token>/) leave the list or claim a time, a pre-visit form's
  (/book/forms/<token>/) opens a patient's health questions, and a
  practitioner's calendar feed (/calendar/<token>.ics) lists their patients.
  Logs are read by more people than the patient, so the token is replaced by
  "[redacted]" in every line, whatever wrote it: a path, a Referer, an error
  message or a traceback.
"""

import contextvars
import json
import logging
import re
import uuid
from datetime import UTC, datetime

REQUEST_ID_HEADER = "X-Request-ID"
_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,128}$")

# Any spelling a client can send and the log can see: /BOOK/manage/, /book//manage/...
_TOKEN_PATH = re.compile(
    r"(/+book/+(?:manage|booked)/+|/+book/+(?:waitlist|offer)/+link/+|/+calendar/+"
    r"|/+book/+forms/+(?!answer/))"
    r"[^/\s?#\"'<>]+",
    re.IGNORECASE,
)
# Every private token is 43 characters of URL-safe base64 (256 bits): one written
# bare, by whatever logger, goes too.
_BARE_TOKEN = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """Replace the token of every private booking link in `text`, and any bare token."""
    lowered = text.lower()
    if "book" in lowered or "calendar" in lowered:
        text = _TOKEN_PATH.sub(rf"\g<1>{REDACTED}", text)
    return _BARE_TOKEN.sub(REDACTED, text)


def current_request_id() -> str | None:
    return _request_id.get()


class RequestIdMiddleware:
    """First in MIDDLEWARE: every response, cached pages included, names its request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        sent = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = sent if _SANE_ID.match(sent) else uuid.uuid4().hex
        request.request_id = request_id
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


# Attributes every LogRecord has; anything else was passed in `extra`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def _clean(value):
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, int | float | bool) or value is None:
        return value
    return redact(str(value))


def _request_id_of(record: logging.LogRecord) -> str | None:
    # Django logs 4xx/5xx responses after the middleware has returned; the
    # request it passes along still knows its id.
    return (
        getattr(record, "request_id", None)
        or getattr(getattr(record, "request", None), "request_id", None)
        or current_request_id()
    )


class ForbiddenInOneLine(logging.Filter):
    """A refused permission is an everyday event, not a fault: one line, no traceback.

    Django logs each 403 with the PermissionDenied as exc_info; a practitioner
    following a link to a colleague's page would otherwise fill the log with
    tracebacks that hide real errors.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "django.request" and getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request_id and any extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        request_id = _request_id_of(record)
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry and key != "request":
                entry[key] = _clean(value)
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class PlainFormatter(logging.Formatter):
    """For people at a terminal (LOG_FORMAT=plain): still redacted, still with the request id."""

    def __init__(self):
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = _request_id_of(record)
        return redact(f"{line} [request {request_id}]" if request_id else line)
