#!/usr/bin/env python3
# ruff: noqa: S603 - runs our own fixed commands (manage.py, gunicorn, locust) locally
"""Mixed load: about 50 simulated people for 60 s, reading and booking at once.

    make bench            # runs scripts/bench.py, then this, then its busy morning
    .venv/bin/python scripts/mixed_load.py --users 50 --seconds 60
    .venv/bin/python scripts/mixed_load.py --busy-morning   # 100 people, 1 in 3 booking, 120 s

Uses the bench database (BENCH_DATABASE_URL, prepared by scripts/bench.py),
serves it with gunicorn (2 workers × 4 threads, production settings, on
127.0.0.1:8101) and runs scripts/locustfile.py headless against it. Then it
reports, per page type, requests, failures, p50, p95 and p99; how often the
picker came from the page cache; the booking outcomes and bookings per
minute; the machine's load and CPU steal over the run; and checks in SQL that
no two active appointments overlap. Exit 1 on any 5xx or overlap.
"""

import argparse
import csv
import gzip
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # the bench script's server helpers and database

ROOT = bench.ROOT
LOCUST = ROOT / ".venv" / "bin" / "locust"

OVERLAPS_SQL = """
SELECT count(*)
FROM booking_appointmentrequest a
JOIN booking_appointmentrequest b
  ON a.practitioner_id = b.practitioner_id AND a.id < b.id
 AND tstzrange(a.starts_at, a.occupied_until) && tstzrange(b.starts_at, b.occupied_until)
WHERE a.status IN ('requested', 'confirmed') AND b.status IN ('requested', 'confirmed')
"""


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--one-in-books", type=int, default=5, help="one person in N books")
    parser.add_argument(
        "--busy-morning",
        action="store_true",
        help="100 people, one in three booking, for 120 s",
    )
    args = parser.parse_args()
    if args.busy_morning:
        args.users, args.seconds, args.one_in_books = 100, 120, 3
    if not 2 <= args.one_in_books <= 50:
        parser.error("--one-in-books 2..50")
    if not 1 <= args.users <= 200 or not 5 <= args.seconds <= 300:
        parser.error("keep it bounded: --users 1..200 and --seconds 5..300")
    return args


def _run_locust(env: dict, args: argparse.Namespace, out: Path) -> subprocess.CompletedProcess:
    """Locust headless against the server, its CSV files and our summary written to `out`."""
    return subprocess.run(
        [
            str(LOCUST),
            "-f",
            str(ROOT / "scripts" / "locustfile.py"),
            "--headless",
            "-u",
            str(args.users),
            "-r",
            "10",
            "-t",
            f"{args.seconds}s",
            "--host",
            bench.BASE,
            "--csv",
            str(out / "load"),
            "--only-summary",
            "--stop-timeout",
            "10",
        ],
        cwd=ROOT,
        env={
            **env,
            "MIXED_LOAD_SUMMARY": str(out / "summary.json"),
            "MIXED_LOAD_ONE_IN_BOOKS": str(args.one_in_books),
        },
        capture_output=True,
        text=True,
        timeout=args.seconds + 120,
        check=False,
    )


# What a server that has been up a while has done: every page type drawn once in each
# worker thread (templates compiled, connections open). Not counted in the figures.
WARM_UP = [
    "/",
    "/articles/",
    "/articles/dry-needling-explained/",
    "/services/",
    "/services/dry-needling/",
    "/services/physiotherapy/",
    "/book/time/?treatment=dry-needling&practitioner=maya-okafor",
]


def _warm_up() -> int:
    """Each page type, and one details form, 16 times over 8 connections at once."""
    picker = bench.fetch(WARM_UP[-1], dict([bench.ACCEPT]))[0]
    picker = gzip.decompress(picker) if picker[:2] == b"\x1f\x8b" else picker
    details = re.findall(rb'href="(/book/details/\?[^"]+)"', picker)[:1]
    paths = WARM_UP + [html.unescape(link.decode()) for link in details]
    with ThreadPoolExecutor(max_workers=8) as pool:
        done = list(pool.map(lambda path: bench.fetch(path), paths * 16))
    return len(done)


def _load(env: dict, args: argparse.Namespace, out: Path) -> tuple:
    """Serve with gunicorn (2 workers × 4 threads), warm it up, run the load, read what
    it wrote."""
    server = bench.start_server(env, 2, threads=4)
    try:
        print(f"Warm-up requests (not counted): {_warm_up()}")
        locust = _run_locust(env, args, out)
        summary = json.loads((out / "summary.json").read_text())
        with open(out / "load_stats.csv") as stats_file:
            stats = list(csv.DictReader(stats_file))
        with open(out / "load_failures.csv") as failures_file:
            failures = list(csv.DictReader(failures_file))
    finally:
        bench.stop_server(server)
    return locust, summary, stats, failures


# Each run starts from the same diary: the bookings of earlier runs (their patients
# are load<N>@example.com) are cancelled first, or Maya's first weeks fill up run
# after run and the bookers find nothing to book.
EARLIER_RUNS_SQL = """
UPDATE booking_appointmentrequest SET status = 'cancelled_by_clinic'
WHERE status IN ('requested', 'confirmed') AND email LIKE 'load%%@example.com'
"""


def _cancel_earlier_runs() -> int:
    with psycopg.connect(bench.DATABASE_URL.replace("postgres://", "postgresql://", 1)) as conn:
        return conn.execute(EARLIER_RUNS_SQL).rowcount


def _overlaps() -> int:
    """Active appointments that overlap another of the same practitioner's, counted in SQL."""
    with psycopg.connect(bench.DATABASE_URL.replace("postgres://", "postgresql://", 1)) as conn:
        return conn.execute(OVERLAPS_SQL).fetchone()[0]


def _cpu_times() -> tuple[int, int]:
    """Total and steal jiffies of all CPUs so far (/proc/stat), for the run's steal share."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return 0, 0
    values = [int(v) for v in fields]
    return sum(values), values[7] if len(values) > 7 else 0


def _report(
    args: argparse.Namespace, stats: list, failures: list, summary: dict, machine: str
) -> int:
    """Print the table, the page cache's share and the outcomes; the number of 5xx answers."""
    print(
        f"\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {os.cpu_count()} CPUs · gunicorn 2 workers "
        f"× 4 threads · locust {args.users} users (one in {args.one_in_books} booking), "
        f"{args.seconds} s · {machine} · settings as committed\n"
    )
    print("| page type | requests | failures | p50 ms | p95 ms | p99 ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for row in stats:
        print(
            f"| {row['Name']} | {row['Request Count']} | {row['Failure Count']} "
            f"| {row['50%']} | {row['95%']} | {row['99%']} |"
        )
    cache = summary["picker_cache"]
    served = sum(cache.values())
    print(
        f"\nTime picker from the page cache: {cache.get('hit', 0)} of {served} "
        f"({cache.get('hit', 0) / served:.0%}); rendered and stored: {cache.get('miss', 0)}; "
        f"not cacheable (sent with a session or messages cookie): {cache.get('none', 0)}."
        if served
        else "\nNo time picker requests."
    )
    for failure in failures:
        print(f"Failed: {failure['Name']} ×{failure['Occurrences']}: {failure['Error']}")
    print(f"Booking outcomes: {summary['booking_outcomes']}")
    booked = summary["booking_outcomes"].get("booked", 0)
    print(f"Bookings per minute: {booked / (args.seconds / 60):.1f}")
    errors = sum(summary["server_errors"].values())
    print(f"5xx answers: {errors} {summary['server_errors'] or ''}")
    return errors


def main() -> int:
    args = _arguments()
    static_root = Path(tempfile.mkdtemp(prefix="clinic-load-static-"))
    out = Path(tempfile.mkdtemp(prefix="clinic-load-"))
    env = bench.server_env(
        static_root,
        BEHIND_PROXY="true",  # each simulated person has their own address
        LOG_LEVEL="ERROR",  # not a line per 409 or 429; errors still show
        TASKS_BACKEND="django.tasks.backends.dummy.DummyBackend",
    )
    try:
        bench.prepare(env)
        bench.time_picker_with_busy_diary()
        print(f"Bookings of earlier load runs cancelled: {_cancel_earlier_runs()}")
        load_before, (total_before, steal_before) = os.getloadavg()[0], _cpu_times()
        locust, summary, stats, failures = _load(env, args, out)
        load_after, (total_after, steal_after) = os.getloadavg()[0], _cpu_times()
    finally:
        shutil.rmtree(static_root, ignore_errors=True)
    steal = (steal_after - steal_before) / max(1, total_after - total_before)
    machine = f"load {load_before:.1f} before, {load_after:.1f} after, steal {steal:.1%}"
    overlaps = _overlaps()
    shutil.rmtree(out, ignore_errors=True)
    errors = _report(args, stats, failures, summary, machine)
    print(f"Overlapping active appointments afterwards (SQL): {overlaps}")
    for line in locust.stderr.splitlines():
        if "CPU usage" in line:  # locust's own warning: the client, not the site, was short
            print(f"Locust: {line.split('] ', 1)[-1]}")
    if locust.returncode not in (0, 1):  # 1: some requests failed (counted above)
        print(locust.stderr[-2000:], file=sys.stderr)
    return 1 if errors or overlaps else 0


if __name__ == "__main__":
    sys.exit(main())
