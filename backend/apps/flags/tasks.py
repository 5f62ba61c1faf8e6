"""Celery tasks: thin wrappers taking ids and JSON. The work is in apps.flags.jobs and apps.flags.notify."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from apps.flags import jobs, notify


@shared_task(name="flags.run_job", bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_job_task(
    self: Any, job: str, run_id: int | None = None, params: dict[str, Any] | None = None, trigger: str = "beat"
) -> dict[str, Any]:
    """Runs a scheduled job (beat gives `job`; the API a queued run's id)."""
    run = jobs.run_job(job, run_id=run_id, params=params, trigger=trigger, task_id=self.request.id or "")
    return {"run": run.pk if run else None, "state": run.state if run else None}


@shared_task(name="flags.sweep_changed_firms", acks_late=True, ignore_result=True)
def sweep_changed_firms() -> int | None:
    """Re-evaluates the firms whose records changed since the last sweep (beat, every few minutes)."""
    run = jobs.sweep_changed_firms()
    return run.pk if run else None


@shared_task(name="flags.deliver_outbox", acks_late=True, ignore_result=True)
def deliver_outbox() -> dict[str, Any]:
    """Sends the outbox's pending messages whose time has come (after each scan batch, and every minute)."""
    return notify.deliver_due()
