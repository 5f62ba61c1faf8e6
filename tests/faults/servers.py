"""Private PostgreSQL and Redis servers for the fault tests, each on a free port in a temporary folder.

The fault tests stop and restart the servers they use. They never touch the shared PostgreSQL and
Redis that other tests and engineers use: every server here is started by the test, for the test.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg


def _pg_bin() -> Path | None:
    """The system's PostgreSQL server binaries, else the embedded PostgreSQL's (a fresh machine)."""
    system = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if system and (system[-1] / "pg_ctl").exists():
        return system[-1]
    try:
        from config.embedded import pg_bin

        bundled = pg_bin()
    except ImportError:
        return None
    return bundled if (bundled / "pg_ctl").exists() else None


PG_BIN = _pg_bin()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(condition, what: str, timeout: float = 60.0, every: float = 0.1):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


def _unprivileged_user() -> str:
    import pwd

    for name in ("postgres", "pgserver"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    subprocess.run(["useradd", "--system", "--no-create-home", "pgserver"], check=True)
    return "pgserver"


class PrivatePostgres:
    """initdb + pg_ctl from the system's PostgreSQL, TCP on 127.0.0.1:<free port>, trust authentication."""

    def __init__(self) -> None:
        if PG_BIN is None or not (PG_BIN / "pg_ctl").exists():
            raise RuntimeError("no PostgreSQL server binaries (neither /usr/lib/postgresql/*/bin nor pgserver's)")
        self.folder = Path(tempfile.mkdtemp(prefix="seedbed-fault-pg-"))
        self.pgdata = self.folder / "data"
        self.port = free_port()
        # PostgreSQL refuses to run as root: use the system's postgres user, or the one pgserver makes.
        self.owner = _unprivileged_user() if os.geteuid() == 0 else None
        if self.owner:
            shutil.chown(self.folder, self.owner)
        self._run("initdb", "-D", str(self.pgdata), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")

    def _run(self, tool: str, *args: str) -> None:
        command = [str(PG_BIN / tool), *args]  # type: ignore[operator]
        if self.owner:
            command = ["runuser", "-u", self.owner, "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.pgdata), "-l", str(self.folder / "log"), "-o", options, "-w", "start")

    def stop(self) -> None:
        """Fast shutdown: open sessions are ended, as when the server goes down."""
        if (self.pgdata / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.pgdata), "-m", "fast", "-w", "stop")

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


class PrivateRedis:
    """redis-server on 127.0.0.1:<free port> with an append-only file, as docker-compose runs it."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="seedbed-fault-redis-"))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                *("--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder)),
                *("--appendonly", "yes", "--save", "", "--daemonize", "no", "--loglevel", "warning"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self.ping, "the private Redis to answer", timeout=20)

    def stop(self) -> None:
        """SIGTERM: Redis flushes its append-only file and exits, as `docker compose stop redis` does."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
