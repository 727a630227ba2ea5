"""Run a command as if the clinic's clock said another time.

    scripts/clock.py "fri 08:30" -- make test
    scripts/clock.py "2027-03-27 23:50" -- .venv/bin/pytest tests/booking
    scripts/clock.py --matrix -- make test     # every setting of docs/testing.md

A setting is a time in the clinic's zone (CLINIC_TIME_ZONE, Europe/London by
default): a date and time, or a weekday and time (the next such day, never
today), or "spring-eve HH:MM" (the day before the next spring clock change).

Every Python process the command starts reads the same shifted wall clock:
tests/shifted_clock/sitecustomize.py starts time-machine in each of them from
CLINIC_TEST_CLOCK_OFFSET, so the test process, its live server, the gunicorn
and manage.py processes some tests start and the task worker agree on the
time, and it ticks at the real pace. Monotonic time, sleeps and timeouts stay
real, and so do PostgreSQL, Redis and Chromium, which the site never asks for
the time. (libfaketime was tried first: 0.9.10 fails every sleep with EINVAL
unless it shifts the monotonic clock too, and then timed waits never end.)
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

STARTUP = Path(__file__).resolve().parent.parent / "tests" / "shifted_clock"
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
HOURS = ["00:30", "08:30", "17:55", "23:50"]
DAYS = ["fri", "sun", "spring-eve"]
# The whole matrix: four hours of the day, on a Friday, a Sunday and the day
# before the spring clock change (issue 21).
MATRIX = [f"{day} {hour}" for day in DAYS for hour in HOURS]


def clinic_zone() -> ZoneInfo:
    return ZoneInfo(os.environ.get("CLINIC_TIME_ZONE", "Europe/London"))


def spring_eve(today: date, zone: ZoneInfo) -> date:
    """The day before the next day on which the clocks go forward."""
    day = today
    for _ in range(400):
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=zone)
        next_noon = datetime.combine(day + timedelta(days=1), noon.timetz())
        if next_noon.utcoffset() > noon.utcoffset():
            return day
        day += timedelta(days=1)
    raise SystemExit(f"{zone.key} changes its clocks on no day of the next 400")


def target(setting: str, *, now: datetime) -> datetime:
    """The instant a setting names, in the clinic's zone."""
    zone = clinic_zone()
    today = now.astimezone(zone).date()
    match = re.fullmatch(r"\s*(\S+)\s+(\d{1,2}):(\d\d)\s*", setting)
    if not match:
        raise SystemExit(f"not a clock setting: {setting!r} (try 'fri 08:30', '2027-03-27 23:50')")
    day_word, hour, minute = match[1].lower(), int(match[2]), int(match[3])
    if day_word[:3] in WEEKDAYS and day_word.isalpha():
        ahead = (WEEKDAYS.index(day_word[:3]) - today.weekday() - 1) % 7 + 1
        day = today + timedelta(days=ahead)
    elif day_word == "spring-eve":
        day = spring_eve(today + timedelta(days=1), zone)
    else:
        try:
            day = date.fromisoformat(day_word)
        except ValueError:
            raise SystemExit(f"not a day: {day_word!r}") from None
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)


def environment(setting: str) -> dict[str, str]:
    now = datetime.now(UTC)
    offset = round((target(setting, now=now) - now).total_seconds())
    if offset < 0:
        raise SystemExit(f"{setting!r} is in the past: choose a time ahead")
    path = os.environ.get("PYTHONPATH", "")
    return {
        **os.environ,
        "PYTHONPATH": f"{STARTUP}{os.pathsep}{path}" if path else str(STARTUP),
        "CLINIC_TEST_CLOCK_OFFSET": str(offset),
        "CLINIC_TEST_CLOCK": setting,
    }


def run(setting: str, command: list[str]) -> tuple[int, float]:
    env = environment(setting)
    at = target(setting, now=datetime.now(UTC))
    print(f"--- {at:%A %d %B %Y %H:%M %Z} ({setting}): {' '.join(command)}", flush=True)
    started = time.monotonic()
    status = subprocess.call(command, env=env)  # noqa: S603 - the caller's own command
    return status, time.monotonic() - started


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], usage="%(prog)s (SETTING | --matrix) -- COMMAND..."
    )
    parser.add_argument("setting", nargs="?", help="e.g. 'fri 08:30', '2027-03-27 23:50'")
    parser.add_argument("--matrix", action="store_true", help="run at every setting in turn")
    own, command = (
        (argv[: argv.index("--")], argv[argv.index("--") + 1 :])
        if "--" in argv
        else (
            argv,
            [],
        )
    )
    args = parser.parse_args(own)
    if not command or args.matrix == bool(args.setting):
        parser.error("give one setting or --matrix, then -- and a command")
    outer = os.environ.get("CLINIC_TEST_CLOCK")
    if outer and not args.matrix:
        # Already inside a shifted clock (a matrix running `.ci/run`, whose `make test`
        # names a clock of its own): the outer setting wins, or every run of the matrix
        # would test the inner one.
        print(f"--- {outer} (the outer clock, kept over {args.setting!r})", flush=True)
        return subprocess.call(command)  # noqa: S603 - the caller's own command
    settings = MATRIX if args.matrix else [args.setting]
    results = [(setting, *run(setting, command)) for setting in settings]
    if len(results) > 1:
        print("\n| clock | result | time |\n| --- | --- | --- |")
        for setting, status, seconds in results:
            outcome = "passed" if status == 0 else f"failed ({status})"
            print(f"| {setting} | {outcome} | {seconds // 60:.0f} min {seconds % 60:.0f} s |")
    return max(status for _, status, _ in results)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
