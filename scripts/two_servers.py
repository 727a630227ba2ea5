#!/usr/bin/env python3
# ruff: noqa: S310, S603 - local HTTP to our own servers; our own fixed commands
"""Two app servers and two workers on one PostgreSQL and one Redis: does it hold?

    scripts/two_servers.sh        # or: .venv/bin/python scripts/two_servers.py

Starts, all on 127.0.0.1 and bounded in time:

- a fresh database (TWO_SERVERS_DATABASE_URL, default clinic_two_servers):
  migrate, load_demo, run_daily;
- Redis (REDIS_URL, default redis://127.0.0.1:6379/0) under a key prefix of
  this run's own, deleted at the end;
- a small SMTP sink that records every message it is given;
- two gunicorn servers (TWO_SERVERS_PORTS, default "8130 8131") behind an
  imagined load balancer (BEHIND_PROXY=true: X-Forwarded-For names the
  client), and two `db_worker` processes sending through the sink.

Then it shows that:

1. 20 patients pressing "Book" for the same time at the same moment, ten on
   each server, get exactly one appointment between them;
2. the per-address limit counts attempts on both servers together;
3. each e-mail is delivered exactly once, although two workers share the queue.

Exit status 0 when all three hold. Output is in docs/scaling.md.
"""

import asyncio
import http.cookiejar
import os
import re
import secrets
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from email import message_from_bytes, policy
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # the bench script's way of stopping a server

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
DATABASE_URL = os.environ.get(
    "TWO_SERVERS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/clinic_two_servers"
)
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
PORTS = [int(p) for p in os.environ.get("TWO_SERVERS_PORTS", "8130 8131").split()]
SMTP_PORT = int(os.environ.get("TWO_SERVERS_SMTP_PORT", "8132"))
PREFIX = f"two-servers-{secrets.token_hex(4)}"
IP_LIMIT = 10

ENV = {
    **os.environ,
    "DATABASE_URL": DATABASE_URL,
    "REDIS_URL": REDIS_URL,
    "CACHE_KEY_PREFIX": PREFIX,
    "SECRET_KEY": secrets.token_urlsafe(50),
    "DEBUG": "false",
    "HASHED_STATIC_FILES": "false",
    "ALLOWED_HOSTS": "127.0.0.1",
    "BEHIND_PROXY": "true",
    "BOOKING_RATE_LIMIT_PER_IP": str(IP_LIMIT),
    "BOOKING_MIN_FILL_SECONDS": "0",
    "SMTP_HOST": "127.0.0.1",
    "SMTP_PORT": str(SMTP_PORT),
    "SMTP_STARTTLS": "false",
    "SMTP_TIMEOUT": "5",
    "GUNICORN_ACCESS_LOG": "off",
    "LOG_LEVEL": "WARNING",
    "DJANGO_SETTINGS_MODULE": "clinic.settings",
}


def say(text: str = "") -> None:
    print(text, flush=True)


# --- an SMTP sink ----------------------------------------------------------------------


class SmtpSink:
    """Just enough SMTP for Django's backend: every message is kept, in order."""

    def __init__(self, port: int):
        self.port = port
        self.messages: list[bytes] = []
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()

    async def _session(self, reader, writer):
        writer.write(b"220 sink\r\n")
        lines: list[bytes] | None = None
        while line := await reader.readline():
            if lines is not None:
                if line in (b".\r\n", b".\n"):
                    self.messages.append(b"".join(lines))
                    lines = None
                    writer.write(b"250 queued\r\n")
                else:
                    lines.append(line[1:] if line.startswith(b"..") else line)
                continue
            verb = line[:4].upper()
            if verb == b"DATA":
                lines = []
                writer.write(b"354 end with .\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:  # EHLO, HELO, MAIL, RCPT, RSET, NOOP
                writer.write(b"250 ok\r\n")
            await writer.drain()
        writer.close()

    def start(self) -> "SmtpSink":
        async def serve():
            self.server = await asyncio.start_server(self._session, "127.0.0.1", self.port)
            self.ready.set()

        threading.Thread(
            target=lambda: (self.loop.run_until_complete(serve()), self.loop.run_forever()),
            daemon=True,
        ).start()
        self.ready.wait(5)
        return self

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)


# --- processes -------------------------------------------------------------------------


def manage(*args: str) -> str:
    return subprocess.run(
        [str(PYTHON), "manage.py", *args],
        cwd=ROOT,
        env=ENV,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    ).stdout


def start(command: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def wait_for(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (OSError, urllib.error.HTTPError):
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within 30 s")


# --- a patient's browser -------------------------------------------------------------


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One patient: own cookies, own address (as the load balancer would forward it)."""

    def __init__(self, address: str):
        self.address = address
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect()
        )

    def request(self, url: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(url, data=body, headers={"X-Forwarded-For": self.address})
        if data is not None:
            request.add_header("Referer", url)
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def ready_to_book(self, base: str, params: dict, *, name: str, email: str) -> dict:
        """Fill in the details form and reach the review page; the confirm form's fields."""
        details_url = f"{base}/book/details/?{urllib.parse.urlencode(params)}"
        status, page = self.request(details_url)
        assert status == 200, (status, details_url)
        form = {
            "csrfmiddlewaretoken": hidden(page, "csrfmiddlewaretoken"),
            "name": name,
            "email": email,
            "phone": "07700 900123",
            "patient_type": "new",
            "reason": "",
            "consent": "on",
            "website": "",
            # Each intake form asked as a list: "None of these apply to me".
            **{field: "on" for field in re.findall(r'name="(intake-[a-z0-9-]+-none)"', page)},
            **{k: v for k, v in hidden_fields(page).items() if k not in {"csrfmiddlewaretoken"}},
        }
        status, review = self.request(details_url, form)
        assert status == 200 and "Check and book" in review, status
        return hidden_fields(review)


def hidden(page: str, name: str) -> str:
    return hidden_fields(page)[name]


def hidden_fields(page: str) -> dict:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))


# --- the checks ----------------------------------------------------------------------


def free_times(base: str, count: int) -> list[dict]:
    """`count` offered times of one practitioner, an hour apart, as booking-link parameters.

    An hour apart, so that booking one never takes the next (30 minutes and a buffer).
    """
    chosen, last = [], None
    week = ""
    for _ in range(8):  # enough weeks for any count asked for here
        _, page = Browser("198.51.100.1").request(
            f"{base}/book/time/?treatment=physiotherapy-follow-up&practitioner=maya-okafor{week}"
        )
        for link in re.findall(r'href="/book/details/\?([^"]+)"', page):
            params = dict(urllib.parse.parse_qsl(link.replace("&amp;", "&")))
            start = time.mktime(time.strptime(params["start"], "%Y%m%dT%H%MZ"))
            if last is None or start - last >= 3600:
                chosen.append(params)
                last = start
            if len(chosen) == count:
                return chosen
        later = re.search(r'href="[^"]*[?&;]week=([0-9-]+)"[^>]*>\s*Later times', page)
        if later is None:
            break
        week = f"&week={later.group(1)}"
    raise SystemExit(f"Fewer than {count} free times an hour apart in the demo diary")


def race(bases: list[str]) -> bool:
    say("1. Twenty patients press Book for the same time at once, ten on each server")
    params = free_times(bases[0], 1)[0]
    patients = []
    for n in range(20):
        browser = Browser(f"203.0.113.{n + 10}")
        base = bases[n % 2]
        fields = browser.ready_to_book(
            base, params, name=f"Racer {n}", email=f"racer{n}@example.com"
        )
        patients.append((browser, base, fields))
    barrier = threading.Barrier(len(patients))
    answers: list[tuple[str, int]] = []
    lock = threading.Lock()

    def press(browser, base, fields):
        barrier.wait()
        status, _ = browser.request(f"{base}/book/confirm/", fields)
        with lock:
            answers.append((base, status))

    threads = [threading.Thread(target=press, args=patient) for patient in patients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    booked = count_sql(
        "SELECT count(*) FROM booking_appointmentrequest WHERE patient_name LIKE 'Racer %'"
    )
    by_status = Counter(status for _, status in answers)
    for base in bases:
        mine = Counter(status for b, status in answers if b == base)
        say(f"   {base}: {dict(sorted(mine.items()))}  (302 booked, 409 taken)")
    say(f"   appointments stored for that time: {booked}")
    ok = by_status.get(302) == 1 and by_status.get(409) == 19 and booked == 1
    say(f"   {'PASS' if ok else 'FAIL'}: exactly one appointment\n")
    return ok


def shared_limit(bases: list[str]) -> bool:
    say(f"2. One address makes {IP_LIMIT + 2} booking attempts, alternating between servers")
    browser = Browser("198.51.100.77")
    times = free_times(bases[0], IP_LIMIT + 2)
    statuses = []
    for n, params in enumerate(times):
        base = bases[n % 2]
        fields = browser.ready_to_book(
            base, params, name=f"Limited {n}", email=f"limited{n}@example.com"
        )
        status, _ = browser.request(f"{base}/book/confirm/", fields)
        statuses.append(status)
    say(f"   answers in order: {statuses}")
    ok = all(s != 429 for s in statuses[:IP_LIMIT]) and statuses[IP_LIMIT:] == [429, 429]
    say(
        f"   {'PASS' if ok else 'FAIL'}: attempts {IP_LIMIT + 1} and {IP_LIMIT + 2} are refused "
        f"(limit {IP_LIMIT} an hour), though each server saw only {(IP_LIMIT + 2) // 2}\n"
    )
    return ok


def rows_sql(sql: str) -> list[list[str]]:
    code = (
        "from django.db import connection\n"
        f"c = connection.cursor(); c.execute({sql!r})\n"
        "for row in c.fetchall(): print('\\t'.join(str(v) for v in row))"
    )
    return [line.split("\t") for line in manage("shell", "--no-imports", "-c", code).splitlines()]


def count_sql(sql: str) -> int:
    return int(rows_sql(sql)[0][0])


def emails_once(sink: SmtpSink) -> bool:
    say("3. Two workers send the e-mails of those bookings")
    deadline = time.monotonic() + 90
    waiting = -1
    while time.monotonic() < deadline:
        waiting = count_sql(
            "SELECT count(*) FROM booking_notification WHERE status IN ('queued', 'failed')"
        )
        if waiting == 0:
            break
        time.sleep(1)
    sent = count_sql("SELECT count(*) FROM booking_notification WHERE status = 'sent'")
    received = [message_from_bytes(raw, policy=policy.default) for raw in sink.messages]
    keys = Counter((m["To"], m["Subject"]) for m in received)
    repeated = sum(n - 1 for n in keys.values() if n > 1)
    workers = rows_sql(
        "SELECT worker_ids->>0, count(*) FROM django_tasks_database_dbtaskresult "
        "WHERE status = 'SUCCESSFUL' GROUP BY 1 ORDER BY 1"
    )
    say(f"   notifications sent: {sent}; still waiting: {waiting}")
    say(f"   sends per worker: {', '.join(f'{count} by {wid[:8]}' for wid, count in workers)}")
    say(f"   messages the SMTP server received: {len(received)}; received twice: {repeated}")
    ok = waiting == 0 and sent == len(received) and repeated == 0 and sent > 0
    say(f"   {'PASS' if ok else 'FAIL'}: each e-mail delivered exactly once\n")
    return ok


def main() -> int:
    say(f"Database {DATABASE_URL.rsplit('/', 1)[1]}, Redis {REDIS_URL} (prefix {PREFIX})")
    subprocess.run(
        [  # noqa: S607 - PostgreSQL's own client, on PATH
            "psql",
            DATABASE_URL.rsplit("/", 1)[0] + "/postgres",
            "-qc",
            f'DROP DATABASE IF EXISTS "{DATABASE_URL.rsplit("/", 1)[1]}" WITH (FORCE)',
        ],
        check=True,
    )
    manage("ensure_database")
    manage("migrate", "--noinput", "-v0")
    manage("load_demo")
    manage("run_daily")
    sink = SmtpSink(SMTP_PORT).start()
    processes = []
    try:
        for port in PORTS:
            processes.append(
                start(
                    [
                        str(GUNICORN),
                        "clinic.wsgi",
                        "--bind",
                        f"127.0.0.1:{port}",
                        "--workers",
                        "2",
                        "--threads",
                        "4",
                    ]
                )
            )
        for _ in range(2):
            processes.append(start([str(PYTHON), "manage.py", "db_worker", "--interval", "0.5"]))
        bases = [f"http://127.0.0.1:{port}" for port in PORTS]
        for base in bases:
            wait_for(f"{base}/healthz")
        say(f"Servers {', '.join(bases)}; 2 db_worker processes; SMTP sink on {SMTP_PORT}\n")
        results = [race(bases), shared_limit(bases), emails_once(sink)]
    finally:
        for process in processes:
            bench.stop_server(process)
        sink.stop()
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=f"{PREFIX}*"))
        if keys:
            client.delete(*keys)
    say("All three hold." if all(results) else "Something did not hold: see FAIL above.")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
