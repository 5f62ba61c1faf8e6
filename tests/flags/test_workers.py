"""The scan with real Celery workers and a real broker (Redis when REDIS_URL is set, else the file-system
broker): run twice, run twice at once, and a worker killed with SIGKILL in the middle of a scan.

Each test's workers listen on a queue of their own (SEEDBED_FLAGS_QUEUE), which is also where the
scan sends its delivery tasks; a group robot on 127.0.0.1 counts what is really delivered.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from apps.flags import jobs
from apps.flags.models import Flag, JobRun, Notification, NotificationPreference, OutboxMessage
from apps.flags.scan import scan
from tests.factories import FirmFactory, UserFactory
from tests.flags.conftest import STANDARD_KINDS, cert_ending
from tests.flags.factories import TODAY, WebhookChannelFactory
from tests.flags.test_notifications import Receiver

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
PARAMS = {"today": TODAY.isoformat(), "kinds": list(STANDARD_KINDS)}
FIRMS = 24


def _url(db: dict[str, Any]) -> str:
    host = db["HOST"]
    if host.startswith("/"):
        return f"postgresql://{db['USER']}@/{db['NAME']}?host={host}"
    return f"postgresql://{db['USER']}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    def __init__(self, queue: str, *, batch: int = 4, pause: float = 0.0) -> None:
        self.name = f"flags-{uuid.uuid4().hex[:6]}@%h"
        env = {
            **os.environ,
            "DATABASE_URL": _url(settings.DATABASES["default"]),
            "SEEDBED_FLAGS_QUEUE": queue,
            "SEEDBED_SCAN_BATCH_FIRMS": str(batch),
            "SEEDBED_SCAN_BATCH_SLEEP": str(pause),
            "SEEDBED_WEBHOOK_ALLOW_HOSTS": "127.0.0.1",  # the test robot listens there
        }
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "-Q", queue,
                "-n", self.name, "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat",
            ],
            cwd=ROOT / "backend",
            env=env,
        )  # fmt: skip

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def queue(settings: Any) -> str:
    name = f"flags-test-{uuid.uuid4().hex[:8]}"
    settings.SEEDBED_FLAGS_QUEUE = name  # this process enqueues there too
    return name


@pytest.fixture
def workers(queue: str) -> Iterator[Callable[..., Worker]]:
    started: list[Worker] = []

    def start(**kwargs: Any) -> Worker:
        worker = Worker(queue, **kwargs)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def robot() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def scene(robot: Receiver) -> None:
    """Firms with titles on every rung, staff who want email at once, enterprise users, a group robot."""
    staff = UserFactory(username="svc", role="staff", email="svc@example.com")
    NotificationPreference.objects.create(user=staff, email_delivery="immediate")
    WebhookChannelFactory(kind="wecom", url=f"{robot.url}/send?key=K")
    for n in range(FIRMS):
        firm = FirmFactory(assigned_staff=staff)
        UserFactory(role="enterprise").firms.set([firm])
        cert_ending(firm, ("HNTE", "SRDI", "ISME")[n % 3], (-40, -5, 10, 60, 150, 400)[n % 6])


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def finished(run: JobRun) -> JobRun:
    def ended() -> JobRun | None:
        run.refresh_from_db()
        return run if run.state in ("succeeded", "failed", "skipped", "interrupted") else None

    return wait_for(ended, f"run {run.pk}")


def drained() -> None:
    wait_for(lambda: not OutboxMessage.objects.filter(state="pending").exists(), "the outbox to drain")


def flags_now() -> set[tuple[Any, ...]]:
    rows = Flag.objects.values_list(
        "firm_id", "kind", "programme_code", "subject", "due_date", "severity", "ladder_point", "state", "evidence"
    )
    return {(*row[:-1], json.dumps(row[-1], sort_keys=True)) for row in rows}


def messages_now() -> tuple[set[tuple[Any, ...]], set[str]]:
    """Notifications and outbox messages by what they are (flag key, point, recipient), not by row id."""
    notes = set(
        Notification.objects.values_list("flag__firm_id", "flag__kind", "flag__subject", "ladder_point", "user_id")
    )
    outbox = {
        f"{m.flag.firm_id}:{m.flag.kind}:{m.flag.subject}:{m.ladder_point}:{m.channel}:{m.user_id}:{m.webhook_id}"
        for m in OutboxMessage.objects.select_related("flag")
    }
    return notes, outbox


def uninterrupted_reference() -> tuple[set[tuple[Any, ...]], tuple[set[tuple[Any, ...]], set[str]]]:
    """What one uninterrupted scan in this process gives on the same data (then the state is restored)."""
    Flag.objects.all().delete()  # notifications and outbox messages go with their flags
    scan(today=TODAY, kinds=STANDARD_KINDS)
    return flags_now(), messages_now()


def accepted_once(robot: Receiver) -> None:
    contents = [r["body"]["markdown"]["content"] for r in robot.accepted]
    assert len(contents) == len(set(contents)), "a message was delivered twice"
    assert len(robot.accepted) == OutboxMessage.objects.filter(webhook__isnull=False, state="sent").count()


def test_running_the_scan_twice_on_a_real_worker_changes_and_sends_nothing_twice(scene, workers, robot):
    workers()
    first = finished(jobs.request_job(job="scan", params=PARAMS, trigger="test"))
    assert first.state == "succeeded", first.errors
    drained()
    flags, messages, delivered = flags_now(), messages_now(), len(robot.accepted)
    assert flags and delivered > 0
    second = finished(jobs.request_job(job="scan", params=PARAMS, trigger="test"))
    assert second.state == "succeeded"
    assert (second.counts["opened"], second.counts["updated"], second.counts["resolved"]) == (0, 0, 0)
    drained()
    assert flags_now() == flags and messages_now() == messages
    assert len(robot.accepted) == delivered
    accepted_once(robot)


def test_two_scans_at_once_on_two_workers_leave_the_same_flags_and_send_once(scene, workers, robot):
    for _ in range(2):
        workers(batch=3, pause=0.5)  # 8 batches: the first run is still going when the second starts
    runs = [jobs.request_job(job="scan", params=PARAMS, trigger="test") for _ in range(2)]
    runs = [finished(run) for run in runs]
    assert sorted(run.state for run in runs) == ["skipped", "succeeded"], [(r.state, r.errors) for r in runs]
    skipped = next(run for run in runs if run.state == "skipped")
    assert "in progress" in skipped.errors[0]["error"]
    drained()
    accepted_once(robot)
    got = flags_now(), messages_now()
    assert got == uninterrupted_reference()


def test_a_worker_killed_mid_scan_leaves_the_run_interrupted_and_the_next_run_completes_it(scene, workers, robot):
    slow = workers(batch=3, pause=1.0)
    killed = jobs.request_job(job="scan", params=PARAMS, trigger="test")

    def some_progress() -> bool:
        killed.refresh_from_db()
        return killed.state == "running" and bool(killed.progress.get("cursor"))

    wait_for(some_progress, "the first batches to commit")
    slow.kill()
    killed.refresh_from_db()
    cursor = killed.progress["cursor"]
    assert killed.state == "running", "nothing could record the kill"
    assert Flag.objects.exists() and Flag.objects.filter(firm_id__gt=cursor).count() == 0
    workers()
    resumed = finished(jobs.request_job(job="scan", params=PARAMS, trigger="test"))
    killed.refresh_from_db()
    assert killed.state == "interrupted" and "stopped" in killed.errors[-1]["error"]
    assert resumed.state == "succeeded" and resumed.resumed_from_id == killed.pk
    assert resumed.counts["resumed_after_firm"] == cursor and resumed.counts["firms"] < FIRMS
    drained()
    accepted_once(robot)
    got = flags_now(), messages_now()
    assert got == uninterrupted_reference()
    assert dt.date.fromisoformat(resumed.params["today"]) == TODAY
