"""gunicorn's settings for every way the site is served (make run, Docker, compose, bench).

gunicorn reads ./gunicorn.conf.py by itself; command-line options (bind,
workers, threads) still win. Logs are JSON lines with manage tokens
redacted (clinic/access_log.py); the access log goes to stdout, or to the
file named by GUNICORN_ACCESS_LOG ("off": none).

The control socket (`gunicornc`) is off unless GUNICORN_CONTROL_SOCKET names
a path for this instance: gunicorn's default path is one per user, so a second
gunicorn on the host would take over the first one's socket.
"""

import os

logger_class = "clinic.access_log.JsonLogger"
errorlog = "-"
_access = os.environ.get("GUNICORN_ACCESS_LOG", "-").strip()
accesslog = None if _access == "off" else _access

_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "").strip()
control_socket_disable = not _socket
if _socket:
    control_socket = _socket


def when_ready(server):
    """Say so when several workers run without Redis: each then keeps its own page cache,
    and a booking or an edit made in one worker leaves the others' stored copies
    (a picker showing the time just taken, an article before its edit) until they
    expire (docs/deployment.md, REDIS_URL)."""
    if server.cfg.workers > 1 and not os.environ.get("REDIS_URL", "").strip():
        server.log.warning(
            "%d workers without REDIS_URL: each keeps its own page cache, so a change made "
            "in one is seen by the others only when their stored pages expire. Set REDIS_URL, "
            "or run one worker with threads.",
            server.cfg.workers,
        )
