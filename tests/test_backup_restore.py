"""`manage.py backup` and `manage.py restore`: a backup restored into an empty database holds the same firms,
certifications, figures and history (row counts and checksums compared table by table) and the same
uploaded files; a restore refuses a database that is not empty and leaves it as it was."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

from apps.core.backup import connection_params
from tests.factories import FirmFactory, UserFactory
from tests.figures.factories import AnnualFiguresFactory, MonthlyFiguresFactory, png_bytes
from tests.programmes.factories import CertificationFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
TABLES = ("registry_firm", "programmes_certification", "figures_annualfigures", "figures_monthlyfigures")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def snapshot(params: dict[str, str]) -> dict[str, tuple[int, str]]:
    """What the test itself reads: per table, the row count and a SHA-256 over the rows in id order."""
    out = {}
    with psycopg.connect(**params, autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute("SET search_path = public")
        for table in (*TABLES, "core_change"):
            rows = conn.execute(f"SELECT t::text FROM {table} t ORDER BY id").fetchall()
            digest = hashlib.sha256("\n".join(r[0] for r in rows).encode()).hexdigest()
            out[table] = (len(rows), digest)
    return out


@pytest.fixture
def empty_database() -> Iterator[dict[str, str]]:
    source = connection_params(connection.settings_dict)
    name = f"{source['dbname']}_restore_{uuid.uuid4().hex[:6]}"
    admin = {**source, "dbname": "postgres"}
    with psycopg.connect(**admin, autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {**source, "dbname": name}
    finally:
        with psycopg.connect(**admin, autocommit=True) as conn:  # type: ignore[arg-type]
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def url(params: dict[str, str]) -> str:
    auth = params["user"] + (f":{params['password']}" if params.get("password") else "")
    host = params.get("host", "")
    if host.startswith("/"):
        return f"postgresql://{auth}@/{params['dbname']}?host={host}"
    return f"postgresql://{auth}@{host or '127.0.0.1'}:{params.get('port', '5432')}/{params['dbname']}"


def test_a_backup_restored_into_an_empty_database_holds_the_same_records_and_files(
    settings: Any, tmp_path: Path, empty_database: dict[str, str], as_user: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    staff = UserFactory(role="staff")
    firms = [FirmFactory(name=f"重庆备份{i}科技有限公司", tags=["数字经济"] if i % 2 else []) for i in range(12)]
    for i, firm in enumerate(firms):
        CertificationFactory(firm=firm)
        AnnualFiguresFactory(firm=firm, fiscal_year=2022 + i % 2)
        MonthlyFiguresFactory(firm=firm, month=1 + i % 12)
    client = as_user(staff)
    for name, data in (("审计报告.pdf", PDF), ("证书.png", png_bytes())):
        body = {
            "firm": firms[0].pk,
            "fiscal_year": 2023,
            "kind": "audit_report",
            "file": SimpleUploadedFile(name, data),
        }
        assert client.post("/api/v1/evidence-files/", body, format="multipart").status_code == 201
    uploaded = {
        p.relative_to(settings.MEDIA_ROOT): p.read_bytes() for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()
    }
    assert len(uploaded) == 2
    source = connection_params(connection.settings_dict)
    before = snapshot(source)
    assert all(before[t][0] >= 12 for t in TABLES)

    call_command("backup", output=str(tmp_path / "backups"), name="nightly")
    folder = tmp_path / "backups" / "nightly"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["tables"]["registry_firm"]["rows"] == before["registry_firm"][0]
    assert len(manifest["media"]) == 2

    # Later changes are not in the backup.
    FirmFactory(name="重庆备份之后有限公司")

    restored_media = tmp_path / "restored-media"
    call_command("restore", str(folder), database_url=url(empty_database), media_root=str(restored_media))
    assert snapshot(empty_database) == before
    assert {p.relative_to(restored_media): p.read_bytes() for p in restored_media.rglob("*") if p.is_file()} == uploaded

    # The restored database is a working Seedbed database: its history triggers still record changes.
    with psycopg.connect(**empty_database, autocommit=True) as conn:  # type: ignore[arg-type]
        changes = conn.execute("SELECT count(*) FROM core_change").fetchone()[0]  # type: ignore[index]
        conn.execute("SET search_path = public")
        conn.execute("UPDATE registry_firm SET notes = 'restored' WHERE id = %s", [firms[0].pk])
        assert conn.execute("SELECT count(*) FROM core_change").fetchone()[0] == changes + 1  # type: ignore[index]


def test_a_restore_refuses_a_database_that_is_not_empty_and_changes_nothing(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    FirmFactory()
    call_command("backup", output=str(tmp_path), name="b")
    source = connection_params(connection.settings_dict)
    before = snapshot(source)
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(tmp_path / "b"), database_url=url(source), media_root=str(tmp_path / "m"))
    assert snapshot(source) == before


def test_a_damaged_backup_is_refused(settings: Any, tmp_path: Path, empty_database: dict[str, str]) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    FirmFactory()
    call_command("backup", output=str(tmp_path), name="b")
    dump = tmp_path / "b" / "database.dump"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    with pytest.raises(CommandError, match="damaged"):
        call_command("restore", str(tmp_path / "b"), database_url=url(empty_database), media_root=str(tmp_path / "m"))
    with psycopg.connect(**empty_database, autocommit=True) as conn:  # type: ignore[arg-type]
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
    assert tables == (0,)
