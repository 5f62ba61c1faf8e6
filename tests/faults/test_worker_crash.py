"""A Celery worker killed with SIGKILL in the middle of an import's commit: nothing is half-applied (no
certification, no history row), and committing again completes the import on another worker.

The same for a scan: tests/flags/test_workers.py, test_a_worker_killed_mid_scan_leaves_the_run_interrupted_…
(the killed batch rolls back, the next run resumes after the last committed batch, flags and messages
equal an uninterrupted scan's).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings

from apps.core.models import Change
from apps.imports import services
from apps.imports.models import ImportJob
from apps.programmes.models import Certification
from tests.conftest import client_for
from tests.factories import UserFactory, ZoneFactory
from tests.faults.apps import BACKEND
from tests.imports.factories import CERT_HEADER, cert_rows, csv_bytes, make_firms, upload
from tests.imports.test_worker import poll
from tests.test_integration_processes import _url

ROWS = 1200
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def start_worker(settings: Any, monkeypatch: Any) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    queue = f"test-crash-{uuid.uuid4().hex[:8]}"
    settings.SEEDBED_IMPORT_QUEUE = queue
    settings.SEEDBED_IMPORT_INLINE_MAX_ROWS = 100
    monkeypatch.setattr(services, "ABANDONED_AFTER_SECONDS", 1)
    started: list[subprocess.Popen[bytes]] = []

    def start(pause: float = 0.0) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "DATABASE_URL": _url(settings.DATABASES["default"]),
            "SEEDBED_IMPORT_INLINE_MAX_ROWS": "100",
            "SEEDBED_IMPORT_CHUNK_ROWS": "100",
            "SEEDBED_IMPORT_CHUNK_SLEEP": str(pause),
        }
        process = subprocess.Popen(
            [
                sys.executable,
                *("-m", "celery", "-A", "config", "worker", "--pool", "solo", "-Q", queue, "--loglevel", "WARNING"),
                *("--without-gossip", "--without-mingle", "--without-heartbeat"),
            ],
            cwd=BACKEND,
            env=env,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)
    for stored in ImportJob.objects.all():
        stored.file.delete(save=False)
        if stored.error_workbook:
            stored.error_workbook.delete(save=False)


def test_a_worker_killed_during_an_import_commit_leaves_nothing_and_a_second_commit_completes(start_worker):
    staff = UserFactory(username="crash_staff", role="staff")
    firms = make_firms(ZoneFactory(), ROWS)
    client = client_for(staff)
    slow = start_worker(pause=0.5)  # 12 chunks of 100 rows, half a second each, in one transaction
    answer = upload(client, csv_bytes([CERT_HEADER, *cert_rows(firms)]), "名单.csv", "certifications", programme="HNTE")
    assert answer.status_code == 202, answer.content
    job_id = answer.json()["id"]
    assert poll(client, job_id, {"ready", "invalid", "failed"}, [])["status"] == "ready"
    last_change = Change.objects.order_by("-id").values_list("id", flat=True).first()

    assert client.post(f"/api/v1/imports/{job_id}/commit/", {}, format="json").status_code == 202
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/imports/{job_id}/").json()
        seen.append(job)
        progress = job["progress"] or {}
        if job["status"] == "committing" and progress.get("phase") == "writing" and progress["rows_done"] >= 300:
            break
        assert job["status"] in ("commit_queued", "committing"), job
        time.sleep(0.05)
    else:
        raise AssertionError(f"the commit never got going: {seen[-1]}")
    os.kill(slow.pid, signal.SIGKILL)
    slow.wait(timeout=20)

    # Nothing half-applied: rows were written (300+ reported), and none of them is there.
    assert Certification.objects.count() == 0
    assert not Change.objects.filter(table_name="programmes_certification").exists()
    # Only the job's own row changed (queued, then committing).
    assert set(Change.objects.filter(id__gt=last_change).values_list("table_name", flat=True)) == {"imports_importjob"}
    assert ImportJob.objects.get(pk=job_id).status == "committing"

    # Committing again while no worker holds it: queued anew and completed by another worker.
    start_worker()
    time.sleep(1.5)
    again = client.post(f"/api/v1/imports/{job_id}/commit/", {}, format="json")
    assert again.status_code == 202, again.content
    assert again.json()["status"] == "commit_queued"
    done = poll(client, job_id, {"committed", "invalid", "failed"}, [])
    assert (done["status"], done["created"]) == ("committed", ROWS), done
    assert Certification.objects.count() == ROWS
    assert Change.objects.filter(table_name="programmes_certification").count() == ROWS
    # Committing once more changes nothing.
    assert client.post(f"/api/v1/imports/{job_id}/commit/", {}, format="json").json()["status"] == "committed"
    assert Certification.objects.count() == ROWS
    assert settings.SEEDBED_IMPORT_QUEUE.startswith("test-crash-")
