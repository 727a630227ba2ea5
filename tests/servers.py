"""Real gunicorn processes for the tests that need one: faults, logs, backups.

Each server runs the committed settings (gunicorn.conf.py included) on a free
local port, against the database and cache the test names, and is stopped,
with its process group, when the `with` block ends.
"""

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Answer:
    status: int
    headers: dict
    body: str
    seconds: float


@dataclass
class Gunicorn:
    database_url: str
    env: dict = field(default_factory=dict)
    threads: int = 4
    log_dir: Path | None = None
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "Gunicorn":
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "SECRET_KEY": "test-only-secret-key-that-is-long-enough-for-django-checks",
            "DEBUG": "false",
            "HASHED_STATIC_FILES": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SETTINGS_MODULE": "clinic.settings",
            **self.env,
        }
        env.pop("TEST_DATABASE_NAME", None)
        self._out = open(self.log_dir / "gunicorn.out", "ab") if self.log_dir else None
        self.process = subprocess.Popen(
            [
                str(GUNICORN),
                "clinic.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--threads",
                str(self.threads),
                "--timeout",
                "30",
            ],
            cwd=ROOT,
            env=env,
            stdout=self._out or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            self.__exit__()
            raise RuntimeError("gunicorn did not listen within 30 s")
        # The first request loads the site's code: on a busy machine that takes a while,
        # and no test should time it.
        self.get("/robots.txt", timeout=60)
        return self

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if getattr(self, "_out", None):
            self._out.close()

    def get(self, path: str, *, timeout: float = 30, headers: dict | None = None) -> Answer:
        request = urllib.request.Request(self.base + path, headers=headers or {})  # noqa: S310
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                status, head, body = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            status, head, body = error.code, dict(error.headers), error.read()
        return Answer(status, head, body.decode(errors="replace"), time.monotonic() - started)


def database_url_of(connection) -> str:
    """The URL of the database the test runs on, for a server in another process."""
    s = connection.settings_dict
    user = s["USER"] or "postgres"
    auth = f"{user}:{s['PASSWORD']}@" if s["PASSWORD"] else f"{user}@"
    return f"postgres://{auth}{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
