"""The benchmarks' own databases, in one place: create, mark, reuse, refuse, drop.

A benchmark never touches the database DATABASE_URL names. It works in `<name>_<suffix>` on the same
server (`seedbed_bench` for bench_firms of `seedbed`, `seedbed_scan_bench` for bench_scan, …; a
`--smoke` run in `<name>_<command>_smoke_bench`, so a smoke never meets a full fill):

- **create**: a database that does not exist is created and marked with `COMMENT ON DATABASE`
  (`seedbed bench_<command>`), then migrated;
- **mark**: once filled, the comment names the fill (`seedbed bench_firms: n=100000 seed=4754`);
- **reuse**: a later run asking for the same fill finds that comment and skips the fill;
  a run asking for another fill (or `--refill`) drops and recreates it;
- **refuse**: a database that exists, holds tables and carries no `seedbed bench_` comment is not ours:
  the command stops without touching it (an empty one is taken over);
- **drop**: `--drop` (always, for `--smoke`) drops it at the end.

Also the small things every benchmark prints or needs: the load average, a nearest-rank percentile,
a free port, a DATABASE_URL for a subprocess (a server, a worker) pointed at the benchmark database,
and gunicorn serving the app on it (`serve`).
"""

from __future__ import annotations

import http.client
import math
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections
from psycopg import sql

OURS = "seedbed bench_"  # every benchmark's comment starts so; nothing else is ours


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def pct(samples: list[float], p: float) -> float:
    """Nearest-rank percentile (nan for no samples)."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def connect(dbname: str, *, autocommit: bool = True) -> psycopg.Connection[Any]:
    """A plain psycopg connection to `dbname` on the server of the settings."""
    db = settings.DATABASES["default"]
    return psycopg.connect(
        dbname=dbname, user=db["USER"], password=db["PASSWORD"] or None, host=db["HOST"] or None,
        port=db["PORT"] or None, autocommit=autocommit, connect_timeout=10,
    )  # fmt: skip


def maintenance() -> psycopg.Connection[Any]:
    try:
        return connect("postgres")
    except psycopg.OperationalError:
        return connect("template1")


def database_url(name: str) -> str:
    """DATABASE_URL for a subprocess (gunicorn, a Celery worker) that should use database `name`."""
    db = settings.DATABASES["default"]
    host = str(db["HOST"] or "127.0.0.1")
    user = quote(str(db["USER"] or ""))
    if host.startswith("/"):
        return f"postgresql://{user}@/{name}?host={quote(host)}"
    password = f":{quote(str(db['PASSWORD']))}" if db["PASSWORD"] else ""
    return f"postgresql://{user}{password}@{host}:{db['PORT'] or 5432}/{name}"


class BenchDatabase:
    """The database one benchmark works in (see the module docstring)."""

    def __init__(self, command: str, suffix: str, out: TextIO | Any, *, smoke: bool = False, name: str = "") -> None:
        original = str(settings.DATABASES["default"]["NAME"])
        self.command = command
        self.marker = f"seedbed {command}"
        self.name = name or (f"{original}_{command}_smoke_bench" if smoke else f"{original}_{suffix}")
        self.template = f"{original}_smoke_template_bench" if smoke else ""
        if original in (self.name, self.template):
            raise CommandError("The benchmark database must not be the one DATABASE_URL names.")
        self.out = out

    def say(self, text: str) -> None:
        self.out.write(f"database {self.name}: {text}")

    def _comment(self, text: str) -> sql.Composed:
        return sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(self.name), sql.Literal(text))

    def _owned(self, admin: psycopg.Connection[Any], name: str) -> str | None:
        """The database's comment; '' for an empty database that is not ours (it may be taken over); None when
        there is no such database. Refuses a database that is not ours and holds tables."""
        row = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if row is None:
            return None
        comment = str(row[0] or "")
        if not comment.startswith(OURS):
            with connect(name) as conn:
                found = conn.execute(
                    "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
                ).fetchone()
            tables = found[0] if found else 0
            if tables:
                raise CommandError(
                    f"Database {name} exists, holds {tables} tables and was not created by a Seedbed "
                    "benchmark: refusing to touch it."
                )
            return ""  # not ours but empty: ours to take
        return comment

    def _from_template(self) -> None:
        """A smoke's database: a copy of a template database that holds the migrated schema (migrated
        here, a no-op when it is up to date), so each smoke does not pay for every migration."""
        with maintenance() as admin:
            if self._owned(admin, self.template) is None:
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.template)))
            admin.execute(
                sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                    sql.Identifier(self.template), sql.Literal("seedbed bench_ smoke template (migrated schema)")
                )
            )
        connections.close_all()
        settings.DATABASES["default"]["NAME"] = self.template
        connections["default"].settings_dict["NAME"] = self.template
        call_command("migrate", verbosity=0, interactive=False)
        connections.close_all()
        with maintenance() as admin:
            if self._owned(admin, self.name) is not None:
                admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(self.name)))
            admin.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(self.name), sql.Identifier(self.template)
                )
            )
            admin.execute(self._comment(self.marker))
        self.say(f"created from {self.template}")

    def prepare(self, filled: str, *, refill: bool = False) -> bool:
        """Creates, takes over or checks the database. True when it already holds the fill `filled`."""
        if self.template:
            self._from_template()
            return False
        with maintenance() as admin:
            comment = self._owned(admin, self.name)
            if comment == "":
                self.say("exists and is empty; taking it over")
                admin.execute(self._comment(self.marker))
                return False
            if comment is not None:
                if comment == filled and not refill:
                    self.say(f"reusing ({comment})")
                    return True
                self.say(f"dropping ({comment})")
                admin.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(self.name)))
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
            admin.execute(self._comment(self.marker))
            self.say("created")
        return False

    def switch(self) -> None:
        """Points Django's default connection at the benchmark database."""
        connections.close_all()
        settings.DATABASES["default"]["NAME"] = self.name
        connections["default"].settings_dict["NAME"] = self.name

    def mark_filled(self, filled: str) -> None:
        with maintenance() as admin:
            admin.execute(self._comment(filled))

    def drop(self) -> None:
        connections.close_all()
        with maintenance() as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name)))
        self.say("dropped")

    def connect(self, *, autocommit: bool = True) -> psycopg.Connection[Any]:
        return connect(self.name, autocommit=autocommit)

    @contextmanager
    def session(self, filled: str, *, refill: bool = False, drop: bool = False) -> Iterator[bool]:
        """prepare → switch → migrate; yields whether the fill is there already; drops at the end if asked.

        The caller fills when it yields False, then calls `mark_filled(filled)`."""
        reuse = self.prepare(filled, refill=refill)
        try:
            self.switch()
            if not self.template:  # a smoke's copy of the template is migrated already
                call_command("migrate", verbosity=0, interactive=False)
            yield reuse
        finally:
            connections.close_all()
            if drop:
                self.drop()


@contextmanager
def history_off(cur: psycopg.Cursor[Any], tables: tuple[str, ...] | list[str]) -> Iterator[None]:
    """Disables the history triggers of `tables` (`<table>_audit`) around a fill, inside its transaction:
    generated rows get no change-history rows (the benchmarks measure reads). The deferred foreign keys are
    checked before the triggers come back; if anything fails, the rollback restores them with the rest."""
    for table in tables:
        cur.execute(
            sql.SQL("ALTER TABLE {} DISABLE TRIGGER {}").format(sql.Identifier(table), sql.Identifier(f"{table}_audit"))
        )
    yield
    cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for table in tables:
        cur.execute(
            sql.SQL("ALTER TABLE {} ENABLE TRIGGER {}").format(sql.Identifier(table), sql.Identifier(f"{table}_audit"))
        )


@dataclass(frozen=True)
class Server:
    port: int
    pid: int  # gunicorn's master process


@contextmanager
def serve(name: str, *, workers: int, log_name: str, extra_env: dict[str, str] | None = None) -> Iterator[Server]:
    """gunicorn serving the app on database `name` at a free port of 127.0.0.1, as in production
    (sync workers, persistent connections); yields it once /healthz answers, stops it after. Its log
    (var/<log_name>-gunicorn-<port>.log) is kept only when something failed."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(name),
        "DB_CONN_MAX_AGE": "60",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log_path = Path(settings.MEDIA_ROOT).parent / f"{log_name}-gunicorn-{port}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
            [
                sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
                "--workers", str(workers), "--no-control-socket", "--timeout", "120", "--keep-alive", "75",
            ],
            cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 90
            while True:
                if process.poll() is not None:
                    raise CommandError(f"gunicorn stopped ({process.returncode}); see {log_path}")
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    conn.request("GET", "/healthz")
                    if conn.getresponse().status in (200, 503):
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise CommandError(f"gunicorn did not answer on port {port}; see {log_path}")
                time.sleep(0.3)
            yield Server(port, process.pid)
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)
    log_path.unlink(missing_ok=True)  # reached only when nothing failed: a failure keeps the log it names
