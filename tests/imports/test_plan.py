"""The commit writes the dry run's plan when nothing the checks read has changed since; otherwise it
checks every row again — including changes by transactions that were still running at the dry run."""

from __future__ import annotations

import datetime as dt
from typing import Any

import psycopg
import pytest
from django.conf import settings as django_settings

from apps.imports.kinds.base import Kind
from apps.imports.models import ImportJob
from apps.programmes.models import Certification, Programme
from apps.registry.models import Firm, JournalEntry
from tests.imports.factories import CERT_HEADER, csv_bytes, upload
from tests.programmes.factories import CertificationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def certs(client: Any, rows: list[list[Any]]) -> dict[str, Any]:
    answer = upload(client, csv_bytes([CERT_HEADER, *rows]), "名单.csv", "certifications", programme="HNTE")
    assert answer.status_code == 201, answer.content
    job = answer.json()
    assert job["status"] == "ready", job
    return job


def commit(client: Any, job: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/imports/{job['id']}/commit/", {}, format="json")


@pytest.fixture
def checks(monkeypatch: Any) -> list[str]:
    """Records each time the commit reads and checks the rows again (rather than writing the plan)."""
    calls: list[str] = []
    original = Kind.stage

    def stage(self: Kind) -> None:
        calls.append("checked again")
        original(self)

    monkeypatch.setattr(Kind, "stage", stage)
    return calls


def two_rows(park: Any) -> list[list[Any]]:
    return [
        [1, park.firm_a.name, park.firm_a.uscc, "GR-P1", "2022-12-19", "b"],
        [2, park.firm_b.name, park.firm_b.uscc, "GR-P2", "2022-12-19", "b"],
    ]


def test_nothing_changed_the_commit_writes_the_plan(park: Any, as_user: Any, checks: list[str]) -> None:
    client = as_user(park.staff)
    job = certs(client, two_rows(park))
    checks.clear()
    # Changes to tables the checks do not read leave the plan valid.
    JournalEntry.objects.create(firm=park.firm_a, date=dt.date(2024, 3, 1), title="走访", author=park.staff)
    answer = commit(client, job)
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "committed" and answer.json()["created"] == 2
    assert checks == []
    saved = Certification.objects.get(number="GR-P2")
    assert (saved.firm_id, saved.valid_from, saved.valid_until) == (
        park.firm_b.pk,
        dt.date(2022, 12, 19),
        dt.date(2025, 12, 18),
    )


def test_a_firm_moved_out_of_the_uploaders_zones_is_caught(park: Any, as_user: Any, checks: list[str]) -> None:
    client = as_user(park.staff_a)
    job = certs(client, [[1, park.firm_a.name, park.firm_a.uscc, "GR-Z1", "2022-12-19", "b"]])
    checks.clear()
    Firm.objects.filter(pk=park.firm_a.pk).update(zone=park.zone_b)
    answer = commit(client, job)
    assert checks == ["checked again"]
    assert answer.status_code == 409
    assert [e["row"] for e in answer.json()["job"]["row_errors"]] == [2]
    assert not Certification.objects.filter(number="GR-Z1").exists()


def test_a_certification_recorded_meanwhile_is_caught(park: Any, as_user: Any, checks: list[str]) -> None:
    client = as_user(park.staff)
    job = certs(client, two_rows(park))
    checks.clear()
    CertificationFactory(firm=park.firm_b, number="GR-OTHER", certificate_date=dt.date(2023, 1, 1))
    answer = commit(client, job)
    assert checks == ["checked again"]
    assert answer.status_code == 409
    assert [e["row"] for e in answer.json()["job"]["row_errors"]] == [3]


def _connect() -> psycopg.Connection[Any]:
    db = django_settings.DATABASES["default"]
    return psycopg.connect(
        dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"] or None, host=db["HOST"] or None,
        port=db["PORT"] or None,
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_a_change_still_uncommitted_at_the_dry_run_is_caught(as_user: Any, checks: list[str]) -> None:
    """Another session writes before the dry run and commits after it; its history row has a lower id
    than rows the dry run saw. The commit must not trust the plan."""
    from tests.factories import FirmFactory, UserFactory

    staff = UserFactory(username="plan_staff", role="staff")
    firm, other = FirmFactory(), FirmFactory()
    hnte = Programme.objects.get(code="HNTE")
    with _connect() as slow:
        slow.execute(
            "INSERT INTO programmes_certification (firm_id, programme_id, level, number, batch, entry_route,"
            " certificate_date, valid_from, valid_until, revocation_reason, notes, created_at, updated_at)"
            " VALUES (%s, %s, 'national', 'GR-SLOW', '', '', '2023-01-01', '2023-01-01', '2025-12-31', '', '',"
            " now(), now())",
            [firm.pk, hnte.pk],
        )
        JournalEntry.objects.create(
            firm=other, date=dt.date(2024, 3, 1), title="其后提交的修改", author=staff
        )  # a later history row
        client = as_user(staff)
        job = certs(client, [[1, firm.name, firm.uscc, "GR-FAST", "2022-12-19", "b"]])
        slow.commit()
    checks.clear()
    answer = commit(client, job)
    assert checks == ["checked again"]
    assert answer.status_code == 409
    assert ImportJob.objects.get(pk=job["id"]).status == "invalid"
    assert not Certification.objects.filter(number="GR-FAST").exists()
