"""Redis stopped while jobs are queued and while a scan is running: once it is back, no flag and no
notification is missing, nothing is sent twice, and the outbox drains.

The Redis stopped is a private one (append-only file, as docker-compose runs it), never the shared one;
the worker is a real Celery worker on it. The scene, the robot and the comparisons are the flags tests'.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from typing import Any

import pytest
from kombu import pools as kombu_pools

from apps.flags import jobs
from apps.flags.models import JobRun, OutboxMessage
from tests.faults.servers import PrivateRedis, wait_until
from tests.flags.test_workers import (
    PARAMS,
    accepted_once,
    drained,
    finished,
    flags_now,
    messages_now,
    uninterrupted_reference,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker(monkeypatch: Any) -> Iterator[PrivateRedis]:
    """A private Redis that this process (the producer) and the workers it starts both use."""
    from config.celery import app

    if shutil.which("redis-server") is None:
        pytest.skip("no redis-server on this machine: the broker-outage test stops and restarts a real Redis")
    redis = PrivateRedis()
    redis.start()
    monkeypatch.setenv("REDIS_URL", redis.url())  # the workers' settings read it
    # Only the broker moves: the tasks here keep no results, and the result store other tests wait on
    # (AsyncResult.get) must not be left pointing at a server this test stops.
    saved = {key: app.conf[key] for key in ("broker_url", "broker_transport_options")}

    def reconnect(conf: dict[str, Any]) -> None:
        app.conf.update(conf)
        # kombu keeps one connection pool per broker URL in a process-wide registry, and the app's pool is
        # that registry's entry: closing it without clearing the registry left later tests of this
        # process an "Acquire on closed pool" once the URL was back.
        kombu_pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    reconnect({"broker_url": redis.url(), "broker_transport_options": {}})
    try:
        yield redis
    finally:
        reconnect(saved)
        redis.close()


def test_jobs_queued_and_a_scan_running_through_a_redis_outage_lose_no_flag_and_no_message(
    scene, broker, workers, robot
):
    # Jobs queued while no worker runs; then Redis goes down and comes back (its append-only file kept them).
    scan_run = jobs.request_job(job="scan", params=PARAMS, trigger="test")
    assert scan_run.state == "queued"
    broker.stop()
    time.sleep(1)
    broker.start()

    # A slow worker (one batch of 3 firms a second) takes the queued scan.
    workers(batch=3, pause=1.0)

    def some_progress() -> bool:
        scan_run.refresh_from_db()
        return scan_run.state == "running" and bool(scan_run.progress.get("cursor"))

    wait_until(some_progress, "the queued scan to start on the worker", timeout=120)

    # Redis goes down in the middle of the scan, for a few batches: each batch commits its flags and
    # outbox messages, and its request to deliver them cannot reach the broker.
    broker.stop()
    cursor_at_stop = scan_run.progress["cursor"]
    wait_until(
        lambda: JobRun.objects.get(pk=scan_run.pk).progress.get("cursor", 0) > cursor_at_stop + 3,
        "batches committed while Redis is down",
    )
    pending_during_outage = OutboxMessage.objects.filter(state="pending").count()
    broker.start()

    done = finished(scan_run)
    assert done.state == "succeeded", done.errors
    assert pending_during_outage > 0
    drained()
    accepted_once(robot)
    assert robot.accepted
    got = flags_now(), messages_now()
    assert got == uninterrupted_reference()


def test_asking_for_a_job_while_redis_is_down_is_a_clear_503_and_the_run_is_not_left_queued(broker, settings, as_user):
    from tests.factories import UserFactory

    admin = UserFactory(role="admin")
    broker.stop()
    response = as_user(admin, "en").post("/api/v1/jobs/", {"job": "digest"}, format="json")
    assert response.status_code == 503
    body = response.json()
    assert set(body) == {"code", "message", "errors"} and body["code"] == "broker_unavailable"
    assert "task queue is temporarily unavailable" in body["message"]
    run = JobRun.objects.get()
    assert run.state == "failed" and "broker" in run.errors[0]["error"]
    broker.start()
    response = as_user(admin).post("/api/v1/jobs/", {"job": "digest"}, format="json")
    assert response.status_code in (201, 202), response.content
    assert JobRun.objects.filter(state="queued").count() == 1
