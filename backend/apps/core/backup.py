"""Backups: the database (pg_dump, custom format) and the uploaded files under MEDIA_ROOT, in one folder.

    <folder>/database.dump     pg_dump --format=custom of the whole database (history included)
    <folder>/media/            a copy of MEDIA_ROOT (evidence files, import files)
    <folder>/manifest.json     when, from which database, the dump's SHA-256, and the row count and
                               checksum of the firm, certification and figure tables (and the history)

`manage.py backup` writes one; `manage.py restore` loads one into an empty database and checks the
restored tables against the manifest. docs/operations.md says how to run them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import psycopg
from psycopg import sql

# Tables whose content a restore must reproduce exactly: counts and checksums go into the manifest.
CHECKED_TABLES = (
    "registry_firm",
    "programmes_certification",
    "figures_annualfigures",
    "figures_monthlyfigures",
    "figures_figureversion",
    "figures_evidencefile",
    "core_change",
)
TOOLS = ("pg_dump", "pg_restore", "psql")
# pg_restore's SQL empties search_path; the generated firm search column calls a function that calls
# another without naming its schema, so the restore runs with search_path = public (docs/operations.md).
EMPTY_SEARCH_PATH = "SELECT pg_catalog.set_config('search_path', '', false);"


class BackupError(Exception):
    pass


def connection_params(database: dict[str, Any]) -> dict[str, str]:
    """libpq keywords from a Django DATABASES entry."""
    params = {
        "dbname": str(database["NAME"]),
        "user": str(database.get("USER") or ""),
        "host": str(database.get("HOST") or ""),
        "port": str(database.get("PORT") or ""),
        "password": str(database.get("PASSWORD") or ""),
    }
    return {k: v for k, v in params.items() if v}


def params_from_url(url: str) -> dict[str, str]:
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql"}:
        raise BackupError("the database URL must be postgresql://…")
    query = dict(part.split("=", 1) for part in parsed.query.split("&") if "=" in part)
    params = {
        "dbname": unquote(parsed.path.lstrip("/")),
        "user": unquote(parsed.username or ""),
        "password": unquote(parsed.password or ""),
        "host": unquote(parsed.hostname or "") or unquote(query.get("host", "")),
        "port": str(parsed.port or ""),
    }
    return {k: v for k, v in params.items() if v}


def _env(params: dict[str, str]) -> dict[str, str]:
    """Connection settings for the PostgreSQL tools, through the environment (no password on a command line)."""
    names = {"dbname": "PGDATABASE", "user": "PGUSER", "host": "PGHOST", "port": "PGPORT", "password": "PGPASSWORD"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update({names[k]: v for k, v in params.items()})
    return env


def connect(params: dict[str, str]) -> psycopg.Connection[Any]:
    return psycopg.connect(**params, autocommit=True, connect_timeout=10)  # type: ignore[arg-type]


def server_major(params: dict[str, str]) -> int:
    with connect(params) as conn:
        row = conn.execute("SHOW server_version_num").fetchone()
    return int(row[0]) // 10000 if row else 0


def _candidate_bins() -> Iterator[Path]:
    configured = os.environ.get("SEEDBED_PG_BIN")
    if configured:
        yield Path(configured)
        return
    found = shutil.which("pg_dump")
    if found:
        yield Path(found).resolve().parent
    yield from sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    try:
        from config.embedded import pg_bin

        yield pg_bin()
    except ImportError:
        pass


def _major(tool: Path) -> int:
    out = subprocess.run([str(tool), "--version"], capture_output=True, text=True, check=True).stdout  # noqa: S603
    match = re.search(r"(\d+)(?:\.\d+)?", out.split(")")[-1]) or re.search(r"(\d+)", out)
    return int(match.group(1)) if match else 0


def find_tools(major: int) -> Path:
    """The folder of pg_dump, pg_restore and psql whose version is at least the server's (pg_dump needs that)."""
    seen = []
    for folder in _candidate_bins():
        if all((folder / tool).exists() for tool in TOOLS):
            version = _major(folder / "pg_dump")
            seen.append(f"{folder} ({version})")
            if version >= major:
                return folder
    raise BackupError(
        f"no pg_dump/pg_restore/psql of version {major} or newer found (looked at: {', '.join(seen) or 'nothing'}); "
        "install the PostgreSQL client of the server's version or point SEEDBED_PG_BIN at its bin folder"
    )


def table_checks(params: dict[str, str], conn: psycopg.Connection[Any] | None = None) -> dict[str, dict[str, Any]]:
    """Row count and an MD5 over every row's text, in primary-key order, of each checked table that exists."""
    if conn is None:
        with connect(params) as own:
            return table_checks(params, own)
    checks: dict[str, dict[str, Any]] = {}
    conn.execute("SET search_path = public")
    for table in CHECKED_TABLES:
        exists = conn.execute("SELECT to_regclass(%s)", [f"public.{table}"]).fetchone()
        if not exists or exists[0] is None:
            continue
        query = sql.SQL("SELECT count(*), coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t.id)), '') FROM {} t")
        row = conn.execute(query.format(sql.Identifier(table))).fetchone()
        assert row is not None
        checks[table] = {"rows": int(row[0]), "md5": str(row[1])}
    return checks


def user_tables(params: dict[str, str]) -> int:
    with connect(params) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        ).fetchone()
    return int(row[0]) if row else 0


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def media_files(root: Path) -> dict[str, str]:
    """Relative path → SHA-256 of every file under root."""
    if not root.is_dir():
        return {}
    return {str(p.relative_to(root)): sha256(p) for p in sorted(root.rglob("*")) if p.is_file()}


def backup(params: dict[str, str], media_root: Path, into: Path) -> dict[str, Any]:
    """Writes a backup folder `into` (must not exist yet). Returns the manifest."""
    if into.exists():
        raise BackupError(f"{into} exists already; a backup never overwrites another")
    major = server_major(params)
    tools = find_tools(major)
    into.mkdir(parents=True)
    started = dt.datetime.now(dt.UTC)
    try:
        dump = into / "database.dump"
        # One snapshot for the dump and the manifest's checksums: a backup taken while people work
        # describes exactly what it holds.
        with connect(params) as conn:
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            row = conn.execute("SELECT pg_export_snapshot()").fetchone()
            assert row is not None
            done = subprocess.run(  # noqa: S603 - fixed arguments
                [
                    str(tools / "pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                    f"--snapshot={row[0]}", "--file", str(dump),
                ],
                env=_env(params),
                capture_output=True,
                text=True,
            )  # fmt: skip
            if done.returncode != 0:
                raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
            checks = table_checks(params, conn)
            conn.execute("COMMIT")
        if media_root.is_dir():
            shutil.copytree(media_root, into / "media")
        else:
            (into / "media").mkdir()
        manifest = {
            "format": 1,
            "created_at": started.isoformat(),
            "database": params.get("dbname", ""),
            "server_major": major,
            "pg_dump": str(tools / "pg_dump"),
            "dump_sha256": sha256(dump),
            "tables": checks,
            "media": media_files(into / "media"),
        }
        (into / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        return manifest
    except BaseException:
        shutil.rmtree(into, ignore_errors=True)
        raise


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / "manifest.json"
    if not path.is_file() or not (folder / "database.dump").is_file():
        raise BackupError(f"{folder} is not a Seedbed backup (manifest.json and database.dump expected)")
    manifest: dict[str, Any] = json.loads(path.read_text())
    if sha256(folder / "database.dump") != manifest.get("dump_sha256"):
        raise BackupError("database.dump does not match the SHA-256 in manifest.json: the backup is damaged")
    return manifest


def restore(folder: Path, params: dict[str, str], media_root: Path) -> dict[str, Any]:
    """Loads a backup into an empty database and copies its files into media_root; checks the result."""
    manifest = read_manifest(folder)
    if user_tables(params):
        raise BackupError(
            f"database {params.get('dbname')} is not empty; restore only into an empty database "
            "(dropdb and createdb it, or name another with --database-url)"
        )
    tools = find_tools(server_major(params))
    env = _env(params)
    # pg_restore writes SQL; it goes to psql in one transaction (all or nothing) with search_path set.
    reader = subprocess.Popen(  # noqa: S603
        [str(tools / "pg_restore"), "--no-owner", "--no-privileges", "--file=-", str(folder / "database.dump")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    writer = subprocess.Popen(  # noqa: S603
        [str(tools / "psql"), "-q", "-X", "-o", "/dev/null", "-v", "ON_ERROR_STOP=1", "--single-transaction"],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert reader.stdout is not None and writer.stdin is not None
    try:
        for line in reader.stdout:
            if line.strip() == EMPTY_SEARCH_PATH.encode():
                line = b"SET search_path = public;\n"
            writer.stdin.write(line)
    except BrokenPipeError:
        pass
    finally:
        writer.stdin.close()
    read_err = reader.stderr.read().decode(errors="replace") if reader.stderr else ""
    write_err = writer.stderr.read().decode(errors="replace") if writer.stderr else ""
    if reader.wait() != 0:
        writer.wait()
        raise BackupError(f"pg_restore failed: {read_err.strip()}")
    if writer.wait() != 0:
        raise BackupError(f"psql failed while restoring (nothing was restored): {write_err.strip()}")

    media_root.mkdir(parents=True, exist_ok=True)
    if (folder / "media").is_dir():
        shutil.copytree(folder / "media", media_root, dirs_exist_ok=True)

    got = table_checks(params)
    problems = [
        f"{table}: expected {want}, restored {got.get(table)}"
        for table, want in manifest["tables"].items()
        if got.get(table) != want
    ]
    restored_files = media_files(media_root)
    problems += [
        f"media/{name}: missing or different"
        for name, digest in manifest.get("media", {}).items()
        if restored_files.get(name) != digest
    ]
    if problems:
        raise BackupError("the restored data differs from the backup: " + "; ".join(problems))
    return {"tables": got, "media_files": len(manifest.get("media", {}))}
