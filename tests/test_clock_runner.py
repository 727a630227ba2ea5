"""scripts/clock.py: a command sees the clinic's clock it was given, and a clock named
inside one already set (CI's own `make test TEST_CLOCK=...` under the matrix) keeps
the outer one, or every run of `clock.py --matrix -- bash .ci/run` would test one time."""

import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
CLOCK = [sys.executable, str(ROOT / "scripts" / "clock.py")]
PRINT_NOW = [
    sys.executable,
    "-c",
    "import datetime; print(datetime.datetime.now(datetime.UTC).isoformat())",
]
LONDON = ZoneInfo("Europe/London")


def clinic_time_seen(*settings: str) -> datetime:
    command = []
    for setting in settings:
        command += [*CLOCK, setting, "--"]
    # As from a terminal: this suite may itself run under a shifted clock (make test-clocks).
    unshifted = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("CLINIC_TEST_CLOCK") and name != "PYTHONPATH"
    }
    output = subprocess.run(
        command + PRINT_NOW, capture_output=True, text=True, check=True, cwd=ROOT, env=unshifted
    ).stdout
    seen = datetime.fromisoformat(output.strip().splitlines()[-1]).astimezone(LONDON)
    # The shift is a whole number of seconds from when the runner started, so the clock
    # can begin up to half a second before the minute named: to the nearest minute.
    return (seen + timedelta(seconds=30)).replace(second=0, microsecond=0)


def test_a_command_sees_the_clock_it_was_given():
    seen = clinic_time_seen("sun 23:50")

    assert (seen.strftime("%a"), seen.hour, seen.minute) == ("Sun", 23, 50)


def test_a_clock_named_inside_another_keeps_the_outer_one():
    seen = clinic_time_seen("sun 23:50", "fri 08:30")

    assert (seen.strftime("%a"), seen.hour, seen.minute) == ("Sun", 23, 50)
