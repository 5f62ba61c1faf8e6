"""Reads of import jobs. Administrators see every job; staff see the jobs they uploaded (a job holds the
rows of its file, which may name firms outside a zone-limited staff member's zones); nobody else any."""

from __future__ import annotations

import contextlib
from typing import Any

from django.db.models import QuerySet

from apps.core.db import user_columns_shown
from apps.core.permissions import ADMIN, STAFF, role_of
from apps.imports.models import RUNNING, ImportJob, ImportStatus


def import_jobs_visible_to(user: Any) -> QuerySet[ImportJob]:
    jobs = ImportJob.objects.select_related("programme", "uploaded_by", "committed_by").defer(
        *user_columns_shown("uploaded_by"), *user_columns_shown("committed_by")
    )
    role = role_of(user)
    if role == ADMIN:
        return jobs
    if role == STAFF:
        return jobs.filter(uploaded_by=user)
    return jobs.none()


def job_progress(job: ImportJob) -> dict[str, Any] | None:
    """Rows done and total of a job's current run: from its task's state while it runs in the background."""
    if job.status in (ImportStatus.COMMITTED, ImportStatus.READY, ImportStatus.INVALID):
        return {"phase": "done", "rows_done": job.rows_total, "rows_total": job.rows_total}
    if job.status not in RUNNING:
        return None
    phase = "queued" if job.status in (ImportStatus.QUEUED, ImportStatus.COMMIT_QUEUED) else "starting"
    progress: dict[str, Any] = {"phase": phase, "rows_done": 0, "rows_total": job.rows_total}
    if job.task_id:
        from celery.result import AsyncResult

        # The result backend may be down; the job's own status still answers.
        with contextlib.suppress(Exception):
            result: AsyncResult[Any] = AsyncResult(job.task_id)
            if result.state == "PROGRESS" and isinstance(result.info, dict):
                progress.update({k: result.info[k] for k in ("phase", "rows_done", "rows_total") if k in result.info})
    return progress
