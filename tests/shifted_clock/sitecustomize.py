"""Shift this Python process's clock when scripts/clock.py asks (tests only).

scripts/clock.py puts this folder on PYTHONPATH and the offset in
CLINIC_TEST_CLOCK_OFFSET, so every Python process of a test run (pytest, its
live server, the gunicorn and manage.py processes tests start, the task
worker) reads the same shifted wall clock, ticking at the real pace. The
monotonic clock, sleeps and timeouts stay real; so do PostgreSQL, Redis and
Chromium, which the site never asks for the time.
"""

import os

_offset = os.environ.get("CLINIC_TEST_CLOCK_OFFSET")
try:
    import time_machine
except ImportError:  # a Python outside the project's venv (make's own uv, npm's tools)
    time_machine = None
if _offset and time_machine is not None:
    from datetime import UTC, datetime, timedelta

    time_machine.travel(datetime.now(UTC) + timedelta(seconds=int(_offset)), tick=True).start()
