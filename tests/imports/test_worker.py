"""A large import runs in a real Celery worker (started as tests/test_integration_processes.py does), through
the real broker, with its progress visible on GET /imports/{id}/ while it runs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from apps.core.models import Change
from apps.imports.models import ImportJob
from apps.programmes.models import Certification
from tests.conftest import client_for
from tests.factories import UserFactory, ZoneFactory
from tests.imports.factories import CERT_HEADER, cert_rows, csv_bytes, make_firms, upload
from tests.test_integration_processes import _url

ROOT = Path(__file__).resolve().parents[2]
ROWS = 3000
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(settings: Any) -> Any:
    queue = f"test-imports-{uuid.uuid4().hex[:8]}"
    settings.SEEDBED_IMPORT_QUEUE = queue
    settings.SEEDBED_IMPORT_INLINE_MAX_ROWS = 100
    env = {
        **os.environ,
        "DATABASE_URL": _url(settings.DATABASES["default"]),
        "SEEDBED_IMPORT_INLINE_MAX_ROWS": "100",
        "SEEDBED_IMPORT_CHUNK_ROWS": "100",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            *("-m", "celery", "-A", "config", "worker", "--pool", "solo", "-Q", queue, "--loglevel", "WARNING"),
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
        ],
        cwd=ROOT / "backend",
        env=env,
    )
    yield process
    process.terminate()
    process.wait(timeout=20)


def poll(client: Any, job_id: int, until: set[str], seen: list[dict[str, Any]], timeout: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/imports/{job_id}/").json()
        seen.append(job)
        if job["status"] in until:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {seen[-1]['status']} after {timeout} s")


def test_a_large_import_runs_in_the_worker_with_progress(worker: Any) -> None:
    staff = UserFactory(username="bulk_staff", role="staff")
    firms = make_firms(ZoneFactory(), ROWS)
    client = client_for(staff)
    job = None
    try:
        answer = upload(
            client, csv_bytes([CERT_HEADER, *cert_rows(firms)]), "大名单.csv", "certifications", programme="HNTE"
        )
        assert answer.status_code == 202, answer.content
        job = answer.json()
        assert job["status"] == "queued" and job["progress"]["phase"] == "queued"

        seen: list[dict[str, Any]] = []
        checked = poll(client, job["id"], {"ready", "invalid", "failed"}, seen)
        assert (checked["status"], checked["to_create"], checked["rows_total"]) == ("ready", ROWS, ROWS)
        assert checked["progress"] == {"phase": "done", "rows_done": ROWS, "rows_total": ROWS}

        started = client.post(f"/api/v1/imports/{job['id']}/commit/", {}, format="json")
        assert started.status_code == 202, started.content
        assert started.json()["status"] == "commit_queued"
        again = client.post(f"/api/v1/imports/{job['id']}/commit/", {}, format="json")
        assert again.status_code == 202  # already on its way: nothing new is started

        seen = []
        done = poll(client, job["id"], {"committed", "invalid", "failed"}, seen)
        assert (done["status"], done["created"]) == ("committed", ROWS), done
        writing = [s["progress"] for s in seen if s["progress"] and s["progress"]["phase"] == "writing"]
        assert any(0 < p["rows_done"] < p["rows_total"] == ROWS for p in writing), [s["progress"] for s in seen]
        assert Certification.objects.count() == ROWS
        sources = set(Change.objects.filter(table_name="programmes_certification").values_list("source", "actor_label"))
        assert sources == {("import", "bulk_staff")}
    finally:
        for stored in ImportJob.objects.all():
            stored.file.delete(save=False)
            if stored.error_workbook:
                stored.error_workbook.delete(save=False)
    assert settings.SEEDBED_IMPORT_QUEUE.startswith("test-imports-")
