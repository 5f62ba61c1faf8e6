"""The embedded PostgreSQL (pgserver) used when no DATABASE_URL is given.

pgserver runs postgres as the `pgserver` system user when started by root, and leaves it running
if its owner is killed; `start_postgres` therefore first stops a stale server it finds in the same
data folder, and `stop_postgres` stops through pg_ctl as that user.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote


def _pg_bin() -> Path:
    import pgserver

    return Path(pgserver.__file__).parent / "pginstall" / "bin"


def _as_owner(args: list[str]) -> list[str]:
    return ["runuser", "-u", "pgserver", "--", *args] if os.geteuid() == 0 else args


def stop_postgres(pgdata: Path) -> None:
    if not (pgdata / "postmaster.pid").exists():
        return
    subprocess.run(  # noqa: S603 - our own pg_ctl binary, fixed arguments
        _as_owner([str(_pg_bin() / "pg_ctl"), "-D", str(pgdata), "stop", "-m", "fast", "-w"]),
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def start_postgres(pgdata: Path, database: str = "seedbed") -> tuple[str, Any]:
    """Starts the server (initialising pgdata on first use), creates `database`, returns its URL."""
    import pgserver

    pgdata = pgdata.resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pgdata, cleanup_mode=None)
    socket_dir = server.get_postmaster_info().socket_dir
    if not database.replace("_", "").isalnum():
        raise ValueError(f"unexpected database name {database!r}")
    if database != "postgres":
        exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")  # noqa: S608 - checked above
        if "(1 row)" not in exists:
            server.psql(f'CREATE DATABASE "{database}";')
    return f"postgresql://postgres@/{database}?host={quote(str(socket_dir))}", server
