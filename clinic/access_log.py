"""gunicorn's logs as JSON lines, with manage tokens redacted (gunicorn.conf.py loads it).

The access log line is built from fields, not from a format string, so a
quote in a path or a user agent can never break the JSON; it carries the
request id the site sent back in X-Request-ID. Paths and Referers are
redacted like every other log line (clinic/logs.py).
"""

import os

from gunicorn.glogging import Logger

from clinic.logs import JsonFormatter, PlainFormatter


class JsonLogger(Logger):
    def setup(self, cfg):
        super().setup(cfg)
        plain = os.environ.get("LOG_FORMAT", "json").strip().lower() == "plain"
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(PlainFormatter() if plain else JsonFormatter())

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        path = environ.get("PATH_INFO", "")
        if environ.get("QUERY_STRING"):
            path = f"{path}?{environ['QUERY_STRING']}"
        status = atoms["s"]
        fields = {
            "event": "request",
            "remote": atoms["h"],
            "method": atoms["m"],
            "path": path,
            "status": int(status) if str(status).isdigit() else status,
            "bytes": atoms["B"],
            "duration_ms": round(atoms["D"] / 1000, 1),
            "referer": atoms["f"],
            "user_agent": atoms["a"],
            "request_id": atoms.get("{x-request-id}o"),
        }
        try:
            self.access_log.info("%s %s %s", atoms["m"], path, status, extra=fields)
        except Exception:
            self.error_log.exception("Could not write an access log line")
