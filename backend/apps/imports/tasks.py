"""Thin tasks: they take the job id and call the services; progress goes into the task's state."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from apps.imports import services
from apps.imports.models import ImportJob


def _job(job_id: int) -> ImportJob | None:
    return ImportJob.objects.select_related("programme", "uploaded_by").filter(pk=job_id).first()


@shared_task(name="imports.dry_run", bind=True, ignore_result=False)
def import_dry_run_task(self: Any, job_id: int) -> str:
    job = _job(job_id)
    if job is None:
        return "gone"
    try:
        return str(services.import_dry_run(job=job, progress=services.task_progress(self)).status)
    except Exception:
        services.import_job_fail(job_id=job_id)
        raise


@shared_task(name="imports.commit", bind=True, ignore_result=False)
def import_commit_task(self: Any, job_id: int) -> str:
    job = _job(job_id)
    if job is None:
        return "gone"
    try:
        return str(services.import_commit_run(job=job, progress=services.task_progress(self)).status)
    except Exception:
        services.import_job_fail(job_id=job_id)
        raise
