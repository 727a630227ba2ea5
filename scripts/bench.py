#!/usr/bin/env python3
# ruff: noqa: S603, S607 - runs our own fixed commands (manage.py, gunicorn, wrk) locally
"""Serve the site through gunicorn and compare pages with a static file of the same size.

    make bench                    # or: .venv/bin/python scripts/bench.py --duration 10

What it does, all on 127.0.0.1 and bounded in time:

1. prepares a bench database (``BENCH_DATABASE_URL``, default ``clinic_bench``):
   migrate + load_demo;
2. collects static files into a temporary STATIC_ROOT with the production
   settings (DEBUG off, hashed static files);
3. starts gunicorn on 127.0.0.1:8101, fetches each case once to learn its size,
   writes a static file of exactly those bytes, and its gzip-compressed copy
   beside it as collectstatic would, and restarts gunicorn so whitenoise
   serves them;
4. loads each case and its static twin with ``wrk`` (or a bounded Python loop
   when wrk is missing), as browsers ask (``Accept-Encoding: gzip``, so both
   are sent compressed), alternating them for ``--rounds`` rounds, and prints
   requests per second, median and p99 latency and the page/static ratio.

Add a page by appending a Case to CASES: a path, or a callable that returns one.
"""

import argparse
import gzip
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
HOST, PORT = "127.0.0.1", int(os.environ.get("BENCH_PORT", "8101"))
BASE = f"http://{HOST}:{PORT}"
# What every browser sends: pages and static files alike are answered compressed.
ACCEPT = ("Accept-Encoding", "gzip, deflate, br")
HEADER = f"{ACCEPT[0]}: {ACCEPT[1]}"
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/clinic_bench"
)


@dataclass(frozen=True)
class Case:
    name: str
    path: str | Callable[[], str]
    # Environment for the server of this case; cases with the same one share a server.
    env: tuple[tuple[str, str], ...] = ()
    # The page/static ratio this case should reach (docs/benchmarks.md).
    target: float = 0.9  # issue 29: a cache hit serves 0.9 of what a static file does
    # Warm the page cache first (every worker); False for pages never cached.
    warm: bool = True

    def resolve(self) -> str:
        return self.path() if callable(self.path) else self.path


# Seeds the bench database once: Maya's dry-needling diary for the whole horizon,
# booked through the booking service at every whole even hour she offers (about
# four appointments a day), so that each day still has free times between them.
_BUSY_DIARY = """
import sys
from django.utils import timezone
from booking.models import AppointmentRequest, Practitioner, Treatment
from booking.selectors import available_start_times
from booking.services import PatientDetails, appointment_book
from booking.errors import BookingError
from booking.intake.questions import booking_forms
maya = Practitioner.objects.get(slug="maya-okafor")
treatment = Treatment.objects.get(slug="dry-needling")
now = timezone.now()
zone = timezone.get_current_timezone()
# No to every yes/no question the treatment's forms ask while booking (the needle safety).
no_flags = {question["key"]: False for form in booking_forms(treatment)
            for question in form.questions if question["kind"] == "yes_no"}
if AppointmentRequest.objects.active().filter(practitioner=maya).count() < 100:
    days = available_start_times(treatment=treatment, practitioner=maya,
                                 start=timezone.localdate(), days=57, now=now)
    for offered in [t for day in days.values() for t in day]:
        local = offered.starts_at.astimezone(zone)
        if local.minute or local.hour % 2:
            continue
        try:
            appointment_book(treatment=treatment, practitioner=maya, starts_at=offered.starts_at,
                             patient=PatientDetails(name="Bench Patient", email="bench@example.com",
                                                    phone="07700 900000", is_new_patient=False,
                                                    answers=no_flags),
                             now=now, source="staff", enforce_policy=False)
        except BookingError as error:
            print("not booked:", error, file=sys.stderr)
print(AppointmentRequest.objects.active().filter(practitioner=maya).count())
"""


def time_picker_with_busy_diary() -> str:
    env = {
        **os.environ,
        "DEBUG": "true",
        "TASKS_BACKEND": "django.tasks.backends.dummy.DummyBackend",
        "DATABASE_URL": DATABASE_URL,
    }
    booked = run(
        [str(PYTHON), "manage.py", "shell", "--no-imports", "-c", _BUSY_DIARY],
        env,
        capture_output=True,
        text=True,
    ).stdout.strip()
    print(f"time picker: Maya has {booked} active appointments in the bench database")
    return "/book/time/?treatment=dry-needling&practitioner=maya-okafor"


# The picker's page never stored: every request draws the page, from the free
# times kept in the cache while nobody books (a stored copy gone stale meets this).
PAGE_NOT_STORED = (("BOOKING_TIMES_CACHE_SECONDS", "0"),)
# Nothing kept either: every request computes the free times from the database.
NOTHING_KEPT = (("BOOKING_TIMES_CACHE_SECONDS", "0"), ("BOOKING_FREE_TIMES_CACHE_SECONDS", "0"))

CASES = [
    Case("home", "/"),
    Case("article list", "/articles/"),
    Case("article page", "/articles/dry-needling-explained/"),
    Case("service page", "/services/dry-needling/"),
    Case("time picker, warm", time_picker_with_busy_diary),
    # The picker's page drawn on every request (issue 29's "cold picker").
    Case(
        "time picker, cold (page drawn)",
        time_picker_with_busy_diary,
        env=PAGE_NOT_STORED,
        target=0.15,
        warm=False,
    ),
    # And its free times computed on every request: the first visit of the day.
    Case(
        "time picker, nothing kept",
        time_picker_with_busy_diary,
        env=NOTHING_KEPT,
        target=0.0,
        warm=False,
    ),
    # Never cached: two queries and a cache check, every time.
    Case("/healthz", "/healthz", target=0.0, warm=False),
]


def _redis_url() -> str:
    """Redis as deployed (compose.yaml), when it answers: every worker shares one cache.

    Without it each gunicorn worker would keep its own cache, and a booking in
    one worker would not make the other's stored pickers stale.
    """
    url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    host, _, port = url.split("//", 1)[-1].split("/", 1)[0].partition(":")
    try:
        socket.create_connection((host, int(port or 6379)), timeout=1).close()
    except OSError:
        print(f"Redis does not answer at {url}: each worker has its own memory cache.")
        return ""
    return url


def server_env(static_root: Path, **extra: str) -> dict:
    """The production settings, on the bench database, with hashed static files, and
    Redis (under a key prefix of this run's own) when it is there."""
    return {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "HASHED_STATIC_FILES": "true",
        "STATIC_ROOT": str(static_root),
        "ALLOWED_HOSTS": HOST,
        "DATABASE_URL": DATABASE_URL,
        # As before gunicorn.conf.py existed: no access log line per request.
        "GUNICORN_ACCESS_LOG": "off",
        "DJANGO_SETTINGS_MODULE": "clinic.settings",
        "REDIS_URL": _redis_url(),
        "CACHE_KEY_PREFIX": f"clinic-bench-{secrets.token_hex(4)}",
        **extra,
    }


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float


def run(cmd, env, **kwargs):
    return subprocess.run(cmd, cwd=ROOT, env=env, check=True, **kwargs)


def prepare(env) -> None:
    manage = [str(PYTHON), "manage.py"]
    run([*manage, "ensure_database"], env, stdout=subprocess.DEVNULL)
    run([*manage, "migrate", "--noinput", "-v0"], env)
    run([*manage, "load_demo"], env, stdout=subprocess.DEVNULL)
    run([*manage, "collectstatic", "--noinput", "-v0"], env)


def start_server(env, workers: int, threads: int = 1) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            str(GUNICORN),
            "clinic.wsgi",
            "--bind",
            f"{HOST}:{PORT}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{BASE}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    stop_server(server)
    raise SystemExit("gunicorn did not answer on /healthz within 30 s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def fetch(path: str, headers: dict | None = None) -> tuple[bytes, dict]:
    request = urllib.request.Request(BASE + path, headers=headers or {})  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        if response.status != 200:
            raise SystemExit(f"{path} answered {response.status}")
        return response.read(), dict(response.headers)


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def load_with_wrk(url: str, duration: int, connections: int, threads: int) -> Result:
    output = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            "-H",
            HEADER,
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=duration + 30,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))
    if "Non-2xx" in output or ("Socket errors" in output and "timeout" in output):
        print(output, file=sys.stderr)
    return Result(rps, p50, p99)


def load_with_python(url: str, duration: int, connections: int, threads: int) -> Result:
    """A bounded fallback when wrk is missing: ``connections`` threads, one request each."""
    latencies: list[float] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def worker():
        mine = []
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            request = urllib.request.Request(url, headers=dict([ACCEPT]))  # noqa: S310
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                response.read()
            mine.append((time.perf_counter() - started) * 1000)
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return Result(len(latencies) / duration, statistics.median(latencies), p99)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per case")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--view-cache-only",
        action="store_true",
        help="serve without PublicPageCacheMiddleware, for comparison (scripts/bench_settings)",
    )
    parser.add_argument(
        "--memory-cache",
        action="store_true",
        help="each worker's own memory cache, not Redis (one server, as make run): cache hits only",
    )
    args = parser.parse_args()
    if not 1 <= args.duration <= 60 or not 1 <= args.rounds <= 5:
        parser.error("keep it bounded: --duration 1..60 and --rounds 1..5")
    return args


def _write_twins(env: dict, static_root: Path, workers: int, cases: list[Case]) -> list[tuple]:
    """Step 3: learn each page's size and write its static twin (the same bytes: same
    size, same compressibility), gzipped copy beside it. One server, stopped after."""
    paths = {}
    twins = []
    server = start_server(env, workers)
    try:
        for case in cases:
            if case.path not in paths:
                paths[case.path] = case.resolve()
            body, _ = fetch(paths[case.path])
            twin = static_root / "bench" / f"{re.sub(r'[^a-z0-9]+', '-', case.name)}.html"
            twin.parent.mkdir(exist_ok=True)
            twin.write_bytes(body)
            twin.with_name(twin.name + ".gz").write_bytes(gzip.compress(body, 9, mtime=0))
            twins.append((case, paths[case.path], len(body), twin))
    finally:
        stop_server(server)
    return twins


def _measure_case(
    case: Case,
    path: str,
    size: int,
    twin: Path,
    *,
    static_root: Path,
    args: argparse.Namespace,
    load: Callable[..., Result],
) -> tuple:
    """One case against its static twin: warm the cache, check both answer compressed,
    then alternate their loads for --rounds rounds."""
    cache_state = "-"
    if case.warm:
        for _ in range(2 * args.workers):  # each worker has its own memory cache
            _, headers = fetch(path, dict([ACCEPT]))
        cache_state = headers.get("X-Page-Cache", "-")
    wire = len(fetch(path, dict([ACCEPT]))[0])
    static_path = "/static/" + twin.relative_to(static_root).as_posix()
    assert len(fetch(static_path)[0]) == size
    static_body, static_headers = fetch(static_path, dict([ACCEPT]))
    assert static_headers.get("Content-Encoding") == "gzip", static_headers
    page_runs, static_runs = [], []
    for _ in range(args.rounds):
        page_runs.append(load(BASE + path, args.duration, args.connections, args.threads))
        static_runs.append(load(BASE + static_path, args.duration, args.connections, args.threads))
    sizes = f"{size} ({wire} / {len(static_body)})"
    return (case, path, sizes, cache_state, page_runs, static_runs)


def _measure(
    env: dict,
    twins: list[tuple],
    *,
    static_root: Path,
    args: argparse.Namespace,
    load: Callable[..., Result],
) -> list[tuple]:
    """Step 4: every case, one server per environment (whitenoise indexes STATIC_ROOT,
    twins included, at start)."""
    rows = []
    for case_env in dict.fromkeys(case.env for case, *_ in twins):
        server = start_server({**env, **dict(case_env)}, args.workers)
        try:
            for case, path, size, twin in twins:
                if case.env != case_env:
                    continue
                rows.append(
                    _measure_case(
                        case, path, size, twin, static_root=static_root, args=args, load=load
                    )
                )
        finally:
            stop_server(server)
    return rows


def _report(
    rows: list[tuple], *, args: argparse.Namespace, load: Callable[..., Result], cache: str
) -> bool:
    """The results as a Markdown table; True when a case falls below its target ratio."""

    def mean(runs, field):
        return statistics.mean(getattr(run, field) for run in runs)

    tool = "wrk" if load is load_with_wrk else "python loop"
    print(
        f"\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {os.cpu_count()} CPUs · gunicorn "
        f"{args.workers} sync workers · {tool} -c{args.connections} -t{args.threads} "
        f"{args.duration}s × {args.rounds} rounds, alternating · cache: {cache} · "
        f"{'view cache only' if args.view_cache_only else 'settings as committed'}\n"
    )
    print(
        "| case | bytes (gzip: page / static) | req/s | median ms | p99 ms | static req/s "
        "| static median ms | static p99 ms | ratio | target |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    failed = False
    for case, path, size, cache_state, page_runs, static_runs in rows:
        ratio = mean(page_runs, "rps") / mean(static_runs, "rps")
        failed |= ratio < case.target
        print(
            f"| {case.name} (`{path}`, cache {cache_state}) | {size} "
            f"| {mean(page_runs, 'rps'):.0f} "
            f"| {mean(page_runs, 'p50_ms'):.1f} | {mean(page_runs, 'p99_ms'):.1f} "
            f"| {mean(static_runs, 'rps'):.0f} | {mean(static_runs, 'p50_ms'):.1f} "
            f"| {mean(static_runs, 'p99_ms'):.1f} | {ratio:.2f}× "
            f"| {f'{case.target:.2f}×' if case.target else '-'} |"
        )
    print("\nExit 1 when a case falls below its target ratio.")
    return failed


def main() -> int:
    args = _arguments()
    static_root = Path(tempfile.mkdtemp(prefix="clinic-bench-static-"))
    env = server_env(
        static_root,
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE=(
            "scripts.bench_settings" if args.view_cache_only else "clinic.settings"
        ),
        **({"REDIS_URL": ""} if args.memory_cache else {}),
    )
    cases = [case for case in CASES if case.warm] if args.memory_cache else CASES
    cache = "Redis, shared by the workers" if env["REDIS_URL"] else "each worker's own memory"
    load = load_with_wrk if shutil.which("wrk") else load_with_python
    try:
        prepare(env)
        twins = _write_twins(env, static_root, args.workers, cases)
        rows = _measure(env, twins, static_root=static_root, args=args, load=load)
    finally:
        shutil.rmtree(static_root, ignore_errors=True)
    return 1 if _report(rows, args=args, load=load, cache=cache) else 0


if __name__ == "__main__":
    sys.exit(main())
