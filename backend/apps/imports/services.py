"""Import jobs: upload and dry run, commit, and the workbook with the errors.

- `import_job_create` checks the upload (size, type, header), keeps the file through Django's
  storage and runs the dry run: inline for a small file, as a Celery task (enqueued on commit) for
  one above SEEDBED_IMPORT_INLINE_MAX_ROWS rows.
- `import_commit_start` refuses a job whose dry run found errors (409), is idempotent for a job
  already committed or on its way, and otherwise commits inline or enqueues the commit.
- `import_commit_run` checks every row again and writes, all in one transaction, with the history
  recording source "import" and the uploader as actor. A row that fails now (someone changed the data
  since the dry run) rolls everything back and turns the job into `invalid` with the new errors.

Progress of a background run (rows done / total) is reported through the Celery task's state, so it
is visible while the commit's own transaction is still open (see selectors.job_progress).
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from apps.core import audit
from apps.core.exceptions import Conflict
from apps.core.i18n import t
from apps.figures import uploads
from apps.imports import reader, workbook
from apps.imports.cells import Msg, both
from apps.imports.formats import FORMATS
from apps.imports.kinds import KINDS
from apps.imports.kinds.base import ImportInvalid, Options, Progress, Run
from apps.imports.models import RUNNING, ImportJob, ImportKind, ImportStatus
from apps.programmes.models import Programme


def inline_max_rows() -> int:
    return int(getattr(settings, "SEEDBED_IMPORT_INLINE_MAX_ROWS", 2000))


def chunk_rows() -> int:
    return int(getattr(settings, "SEEDBED_IMPORT_CHUNK_ROWS", 5000))


def errors_kept() -> int:
    return int(getattr(settings, "SEEDBED_IMPORT_ERRORS_KEPT", 1000))


def _no_progress(phase: str, done: int, total: int) -> None:
    return None


# ---------------------------------------------------------------------------------------------
# Upload and dry run


def import_job_create(
    *,
    user: Any,
    upload: UploadedFile,
    kind: str,
    programme: Programme | None = None,
    level: str = "",
    reason: str = "",
) -> ImportJob:
    """Keep the file and check it. Small files are checked at once; large ones by a task (status queued)."""
    if upload.size is not None and upload.size > uploads.max_upload_bytes():
        raise uploads.too_large()
    name = uploads.clean_name(upload.name or "")
    stream = upload.file
    if stream is None:
        raise ValidationError({"file": [t("没有收到文件内容。", "No file content was received.")]})
    try:
        source = reader.inspect(stream, name)
        stream.seek(0)
        data = stream.read()
        table = reader.open_table(data, source, FORMATS[kind])
    except reader.UnreadableFile as exc:
        raise ValidationError({"file": [exc.message]}) from exc
    job = ImportJob(
        kind=kind,
        programme=programme,
        level=level,
        storage_key=uuid.uuid4().hex,
        original_name=name,
        file_format=source.file_format,
        encoding=source.encoding,
        delimiter=source.delimiter if source.file_format == reader.CSV else "",
        size=len(data),
        sha256=uploads.sha256_of(stream),
        sheet=table.sheet if source.file_format == reader.XLSX else "",
        header_row=table.header_row_number,
        ignored_columns=[h[:200] for h in table.header.ignored][:50],
        language=translation.get_language() or settings.LANGUAGE_CODE,
        reason=reason,
        uploaded_by=user,
    )
    job.file.save(f"{job.storage_key}.{job.file_format}", ContentFile(data), save=False)
    stored = job.file.name
    try:
        with transaction.atomic():
            job.save()
    except Exception:
        job.file.storage.delete(stored)
        raise
    estimate = reader.estimate_rows(data, source)
    if estimate <= inline_max_rows():
        import_dry_run(job=job)
    else:
        job.rows_total = estimate  # until the dry run has counted them
        job.save(update_fields=["rows_total", "updated_at"])
        _enqueue(job, "dry_run")
    return job


def _enqueue(job: ImportJob, which: str) -> None:
    from apps.imports import tasks

    task = tasks.import_dry_run_task if which == "dry_run" else tasks.import_commit_task
    job.task_id = uuid.uuid4().hex
    ImportJob.objects.filter(pk=job.pk).update(task_id=job.task_id)
    # Imports may have a queue of their own, so that a long one does not hold up the scheduled scans.
    queue: str = getattr(settings, "SEEDBED_IMPORT_QUEUE", "")
    job_id, task_id = job.pk, job.task_id
    if queue:
        transaction.on_commit(lambda: task.apply_async((job_id,), task_id=task_id, queue=queue))
    else:
        transaction.on_commit(lambda: task.apply_async((job_id,), task_id=task_id))


def _options(job: ImportJob) -> Options:
    return Options(
        user=job.uploaded_by,
        programme=job.programme,
        level=job.level,
        job_id=job.pk,
        note=f"导入 #{job.pk}：{job.original_name}"[:1000],
        chunk_rows=chunk_rows(),
        estimated_rows=job.rows_total,
    )


def _open(job: ImportJob) -> reader.Table:
    with job.file.open("rb") as handle:
        data = handle.read()
    source = reader.Source(job.file_format, job.encoding, job.delimiter or ",")
    return reader.open_table(data, source, FORMATS[job.kind])


def import_job_fail(*, job_id: int) -> None:
    """A task died on something unexpected: say so on the job rather than leave it running forever."""
    message = Msg(
        "处理文件时发生意外错误，未导入任何数据。请重试或联系管理员。",
        "Something unexpected went wrong while processing the file; nothing was imported. "
        "Try again or contact an administrator.",
    )
    ImportJob.objects.filter(pk=job_id, status__in=RUNNING).update(
        status=ImportStatus.FAILED, failure={"zh": message.zh, "en": message.en}, updated_at=timezone.now()
    )


def _failed(job: ImportJob, message: Any) -> ImportJob:
    text = both(message)
    job.status = ImportStatus.FAILED
    job.failure = {"zh": text.zh, "en": text.en}
    job.save()
    return job


def import_dry_run(*, job: ImportJob, progress: Progress = _no_progress) -> ImportJob:
    """Counts what the commit would do, and the errors; nothing is changed. Runs inline or in a task."""
    if job.status not in (ImportStatus.QUEUED, ImportStatus.CHECKING):
        return job
    job.status = ImportStatus.CHECKING
    job.save(update_fields=["status", "updated_at"])
    try:
        table = _open(job)
        run = Run(table=table, options=_options(job), progress=progress)
        with transaction.atomic():
            KINDS[job.kind](run).dry_run()
    except reader.UnreadableFile as exc:
        return _failed(job, exc.message)
    _record(job, run, table)
    job.status = ImportStatus.INVALID if run.errors else ImportStatus.READY
    job.checked_at = timezone.now()
    job.save()
    return job


def _record(job: ImportJob, run: Run, table: reader.Table) -> None:
    counts = run.counts
    job.rows_total = counts.rows_total
    job.to_create, job.to_update, job.unchanged = counts.to_create, counts.to_update, counts.unchanged
    job.skipped, job.error_rows = counts.skipped, len(run.errors)
    job.errors = [error.as_json() for error in run.sorted_errors()[: errors_kept()]]
    job.cleaned = [run.cleaned[key].as_json() for key in sorted(run.cleaned)[: errors_kept()]]
    if run.errors:
        content = workbook.error_workbook(table, run.errors, job.language)
        if job.error_workbook:
            job.error_workbook.storage.delete(job.error_workbook.name)
        job.error_workbook.save(f"{job.storage_key}-errors.xlsx", ContentFile(content), save=False)


# ---------------------------------------------------------------------------------------------
# Commit


def _refused(job: ImportJob) -> Conflict:
    if job.status == ImportStatus.INVALID:
        return Conflict(
            t(
                f"检查发现 {job.error_rows} 行有错误，不能导入。请下载错误清单，改正后重新上传。",
                f"The dry run found errors in {job.error_rows} rows, so nothing can be imported. "
                "Download the workbook with the errors, fix them and upload again.",
            )
        )
    if job.status in (ImportStatus.QUEUED, ImportStatus.CHECKING):
        return Conflict(t("文件还在检查中，请稍后再提交。", "The file is still being checked; commit when it is done."))
    return Conflict(t("该导入已失败，请重新上传文件。", "This import failed; upload the file again."))


def import_commit_start(*, job: ImportJob, user: Any, reason: str = "") -> ImportJob:
    """Start the commit: inline for a small file, else enqueued. Idempotent for jobs done or on their way."""
    if job.status == ImportStatus.COMMITTING and _abandoned(job):
        return _restart_commit(job, user)
    if job.status in (ImportStatus.COMMITTED, ImportStatus.COMMIT_QUEUED, ImportStatus.COMMITTING):
        return job
    if job.status != ImportStatus.READY:
        raise _refused(job)
    background = job.rows_total > inline_max_rows()
    target = ImportStatus.COMMIT_QUEUED if background else ImportStatus.COMMITTING
    fields: dict[str, Any] = {"status": target, "committed_by": user, "updated_at": timezone.now()}
    if reason:
        fields["reason"] = reason
    # Compare and set: of two commits at once, one starts it; the other sees it started.
    if not ImportJob.objects.filter(pk=job.pk, status=ImportStatus.READY).update(**fields):
        job.refresh_from_db()
        if job.status in (ImportStatus.COMMITTED, ImportStatus.COMMIT_QUEUED, ImportStatus.COMMITTING):
            return job
        raise _refused(job)
    job.refresh_from_db()
    if background:
        _enqueue(job, "commit")
        return job
    return import_commit_run(job=job)


def import_commit_run(*, job: ImportJob, progress: Progress = _no_progress) -> ImportJob:
    """Check every row again and write them all in one transaction, or nothing."""
    if job.status == ImportStatus.COMMIT_QUEUED:
        if not ImportJob.objects.filter(pk=job.pk, status=ImportStatus.COMMIT_QUEUED).update(
            status=ImportStatus.COMMITTING, updated_at=timezone.now()
        ):
            job.refresh_from_db()
            return job
        job.refresh_from_db()
    if job.status != ImportStatus.COMMITTING:
        return job
    uploader = job.uploaded_by
    reason = job.reason or f"导入文件 {job.original_name}（导入任务 #{job.pk}）"
    try:
        with transaction.atomic(), audit.change_context(source="import", actor=uploader, reason=reason):
            # One runner: a task delivered twice (a worker lost, the broker redelivering) finds the job locked
            # by the run in progress and leaves; once that run has committed, the job is no longer committing.
            # The lock is taken first, right after the job turned committing: a commit whose row is not
            # locked is one whose runner died (_abandoned).
            if not ImportJob.objects.select_for_update(skip_locked=True).filter(
                pk=job.pk, status=ImportStatus.COMMITTING
            ):
                job.refresh_from_db()
                return job
            table = _open(job)
            run = Run(table=table, options=_options(job), progress=progress)
            created, updated = KINDS[job.kind](run).commit()
            _record(job, run, table)
            job.created, job.updated = created, updated
            job.status = ImportStatus.COMMITTED
            job.committed_at = timezone.now()
            job.save()
            return job
    except reader.UnreadableFile as exc:
        return _failed(job, exc.message)
    except ImportInvalid as exc:
        _record(job, exc.run, table)
        job.status = ImportStatus.INVALID
        job.failure = {
            "zh": "数据在检查之后发生了变化，导入时发现错误，未导入任何数据。",
            "en": "The data changed after the dry run and rows now fail; nothing was imported.",
        }
        job.save()
        return job
    except IntegrityError:
        # A constraint the checks could not foresee (another write at the same moment): nothing was written.
        message = Msg(
            "导入时与同时进行的其他修改冲突，未导入任何数据，请重新上传。",
            "The import collided with another change made at the same moment; nothing was imported. Upload again.",
        )
        job.status = ImportStatus.FAILED
        job.failure = {"zh": message.zh, "en": message.en}
        job.save()
        return job


# A commit whose runner died (a worker killed, a machine lost) rolled back whole; the job still says
# "committing". Its row lock went with the runner's database session, which is how we know.
ABANDONED_AFTER_SECONDS = 10  # the runner takes the lock right after marking the job committing


def _abandoned(job: ImportJob) -> bool:
    """Committing, yet no runner holds the job's row lock: the runner is gone and nothing was written."""
    quiet_since = timezone.now() - dt.timedelta(seconds=ABANDONED_AFTER_SECONDS)
    with transaction.atomic():
        return bool(
            ImportJob.objects.select_for_update(skip_locked=True)
            .filter(pk=job.pk, status=ImportStatus.COMMITTING, updated_at__lt=quiet_since)
            .values_list("pk", flat=True)
        )


def _restart_commit(job: ImportJob, user: Any) -> ImportJob:
    """Commit again after a runner died: queued again for a large file, at once for a small one."""
    background = job.rows_total > inline_max_rows()
    target = ImportStatus.COMMIT_QUEUED if background else ImportStatus.COMMITTING
    if not ImportJob.objects.filter(pk=job.pk, status=ImportStatus.COMMITTING).update(
        status=target, committed_by=user, updated_at=timezone.now()
    ):
        job.refresh_from_db()
        return job
    job.refresh_from_db()
    if background:
        _enqueue(job, "commit")
        return job
    return import_commit_run(job=job)


# ---------------------------------------------------------------------------------------------
# Progress of a task


def task_progress(task: Any, *, every_seconds: float = 0.3) -> Progress:
    """Reports (phase, rows done, total) through the task's state, at most every `every_seconds`."""
    last = [0.0]
    pause = float(getattr(settings, "SEEDBED_IMPORT_CHUNK_SLEEP", 0))  # tests only: a commit slow enough to kill

    def report(phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] < every_seconds and phase != "writing":
            return
        last[0] = now
        task.update_state(state="PROGRESS", meta={"phase": phase, "rows_done": done, "rows_total": total})
        if phase == "writing" and pause:
            time.sleep(pause)  # inside the commit's transaction: a kill now loses all of it, never a part

    return report


def level_errors(kind: str, programme: Programme | None, level: str) -> dict[str, list[Any]]:
    """The upload form's programme and level must agree."""
    if kind != ImportKind.CERTIFICATIONS:
        return {}
    if level and programme is not None and level not in programme.levels:
        return {
            "level": [
                t(
                    f"项目 {programme.code} 的级别只能是：{'、'.join(programme.levels)}。",
                    f"Programme {programme.code} only has these levels: {', '.join(programme.levels)}.",
                )
            ]
        }
    return {}
