"""The scheduled jobs: nightly scan, monthly above-size check, yearly rollover, daily digest, and the
re-evaluation of firms whose records changed. Every run is a `JobRun` row.

Single runner. A run holds a PostgreSQL advisory lock named after its job for its whole life
(`pg_try_advisory_lock`): a second run of the same job while one is running exits at once and is
recorded as *skipped*. Jobs that write flags also take a shared "writer" lock (waiting for it, up to
SEEDBED_JOB_WRITER_WAIT_SECONDS), so the monthly check never interleaves with the nightly scan.

Interrupted runs. The advisory lock belongs to the database session of the worker holding it;
when a worker dies (SIGKILL, a lost machine), PostgreSQL ends that session and frees the lock. So a
run that acquires its job's lock and finds another run of that job still marked *running* knows
that run's worker is gone: it marks it *interrupted* — no clock, no heartbeat needed.

Resuming. The scan commits one batch of firms at a time together with `progress.cursor` (the last
firm id done). A run that follows an interrupted run of the same job and the same parameters
starts after that cursor (`resumed_from`); the killed batch had rolled back, and flags and messages
are upserts keyed uniquely, so nothing is lost and nothing is doubled. A redelivered task of an
interrupted run (acks_late) finds its run final and returns quietly.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import resource
import socket
import traceback
import zlib
from collections.abc import Callable
from typing import Any

from django.db import OperationalError, connection, transaction
from django.utils import timezone

from apps.core import audit, clock
from apps.core.broker import BROKER_ERRORS, BrokerUnavailable
from apps.core.models import Change
from apps.flags import conf, notify
from apps.flags.models import (
    FINAL_JOB_STATES,
    Flag,
    FlagKind,
    FlagState,
    JobName,
    JobRun,
    JobState,
    Notification,
    OutboxMessage,
    Resolution,
)
from apps.flags.scan import scan, selected_detectors
from apps.programmes.models import Certification, Programme, ValidityKind

logger = logging.getLogger(__name__)

LOCK_CLASS = 0x5EED  # the advisory-lock namespace of Seedbed's jobs
WRITER = "flag-writer"
FLAG_WRITING_JOBS = {JobName.SCAN, JobName.ABOVE_SIZE, JobName.ROLLOVER, JobName.RESCAN}
# Tables whose changes do not call for re-evaluating a firm (the flags app's own output).
_NOT_TRIGGERS = (Flag._meta.db_table, Notification._meta.db_table, OutboxMessage._meta.db_table)


# ---------------------------------------------------------------------------------------- locks


def _lock_key(name: str) -> int:
    return zlib.crc32(f"seedbed.flags.{name}".encode()) & 0x7FFFFFFF


def try_lock(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_CLASS, _lock_key(name)])
        row = cursor.fetchone()
    return bool(row and row[0])


def wait_lock(name: str, seconds: float) -> bool:
    """Waits up to `seconds` for the lock (PostgreSQL's lock_timeout applies to advisory locks)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = %s", [f"{max(1, int(seconds * 1000))}ms"])
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_CLASS, _lock_key(name)])
    except OperationalError:
        return False
    return True


def unlock(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_CLASS, _lock_key(name)])


# ---------------------------------------------------------------------------------------- enqueueing


def queue_name() -> str | None:
    return str(conf.get("SEEDBED_FLAGS_QUEUE")) or None


def _routing() -> dict[str, Any]:
    queue = queue_name()
    return {"queue": queue} if queue else {}


def enqueue_delivery() -> None:
    """Asks a worker to send the outbox now. A broker outage must not fail the job that wrote the messages:
    they wait in the outbox (PostgreSQL), and beat's every-minute delivery task (or the next batch's
    request) sends them once the broker is back."""
    from apps.flags.tasks import deliver_outbox

    try:
        deliver_outbox.apply_async(**_routing())
    except BROKER_ERRORS as exc:
        logger.warning("broker unavailable, outbox delivery left to the next attempt: %r", exc)


def request_job(*, job: str, user: Any = None, params: dict[str, Any] | None = None, trigger: str = "api") -> JobRun:
    """Records a queued run and hands it to a worker once the transaction commits."""
    from apps.flags.tasks import run_job_task

    run = JobRun.objects.create(job=job, trigger=trigger, requested_by=user if getattr(user, "pk", None) else None,
                                params=params or {})  # fmt: skip

    def send() -> None:
        try:
            run_job_task.apply_async(args=(job,), kwargs={"run_id": run.pk, "trigger": trigger}, **_routing())
        except BROKER_ERRORS as exc:
            # Not left "queued" forever: the run says why it never ran, and the caller gets a 503.
            logger.warning("broker unavailable, job %s run %s not queued: %r", job, run.pk, exc)
            JobRun.objects.filter(pk=run.pk, state=JobState.QUEUED).update(
                state=JobState.FAILED,
                finished_at=timezone.now(),
                errors=[{"error": "the task queue (broker) was unavailable; the run was never started"}],
            )
            raise BrokerUnavailable() from exc

    transaction.on_commit(send)
    return run


# ---------------------------------------------------------------------------------------- running


def _worker_label() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _finish(run: JobRun, state: str, *, error: str = "") -> JobRun:
    run.state = state
    run.finished_at = timezone.now()
    if error:
        run.errors = [*run.errors, {"error": error[:4000]}]
    run.save(update_fields=["state", "finished_at", "errors", "counts", "progress"])
    return run


def _today(params: dict[str, Any]) -> dt.date:
    raw = params.get("today")
    return dt.date.fromisoformat(raw) if raw else clock.today()


def run_job(
    job: str,
    *,
    run_id: int | None = None,
    params: dict[str, Any] | None = None,
    trigger: str = "beat",
    task_id: str = "",
) -> JobRun | None:
    """Runs one job to its end in this process. Returns its run (None if the run row is gone)."""
    if job not in JobName.values:
        raise ValueError(f"unknown job {job!r}")
    with audit.change_context(source="job", reason=f"定时任务 {job} / scheduled job {job}"):
        run: JobRun | None = None
        if run_id is not None:
            run = JobRun.objects.filter(pk=run_id).first()
            if run is None or run.state in FINAL_JOB_STATES:
                return run  # gone, or already ended (a redelivered message): nothing to do
            params = run.params
        params = dict(params or {})
        params.setdefault("today", _today(params).isoformat())
        if not try_lock(job):
            return _record_skip(run, job, params, trigger, task_id, "another run of this job is in progress")
        writer = False
        try:
            stale = _interrupt_stale_runs(job)
            if run is not None and run.pk in stale:
                # This task is the redelivery of a run whose worker died: a new run takes over.
                run = JobRun.objects.create(job=job, trigger="redelivery", params=params, task_id=task_id)
            if run is None:
                run = JobRun.objects.create(job=job, trigger=trigger, params=params, task_id=task_id)
            if job in FLAG_WRITING_JOBS:
                wait = 0 if job == JobName.RESCAN else float(conf.get("SEEDBED_JOB_WRITER_WAIT_SECONDS"))
                writer = try_lock(WRITER) if wait == 0 else wait_lock(WRITER, wait)
                if not writer:
                    return _finish_skip(run, "another flag-writing job is in progress")
            _start(run, task_id)
            try:
                RUNNERS[job](run)
            except Exception as exc:
                logger.exception("job %s run %s failed", job, run.pk)
                run.refresh_from_db(fields=["progress", "counts"])
                _finish(run, JobState.FAILED, error=f"{exc!r}\n{traceback.format_exc()}")
                notify.alert_admins_of_failure(run)
                transaction.on_commit(enqueue_delivery)
                return run
            # The peak memory of the process that ran it (a worker's peak so far): for capacity planning.
            run.counts = {
                **run.counts,
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            }
            if run.errors:
                _finish(run, JobState.FAILED)
                notify.alert_admins_of_failure(run)
                transaction.on_commit(enqueue_delivery)
            else:
                _finish(run, JobState.SUCCEEDED)
            return run
        finally:
            if writer:
                unlock(WRITER)
            unlock(job)


def _record_skip(
    run: JobRun | None, job: str, params: dict[str, Any], trigger: str, task_id: str, why: str
) -> JobRun | None:
    if job == JobName.RESCAN and run is None:
        return None  # the sweep runs every few minutes; the next one covers this one's changes
    if run is None:
        run = JobRun.objects.create(job=job, trigger=trigger, params=params, task_id=task_id)
    return _finish_skip(run, why)


def _finish_skip(run: JobRun, why: str) -> JobRun:
    run.started_at = run.started_at or timezone.now()
    run.save(update_fields=["started_at"])
    return _finish(run, JobState.SKIPPED, error=why)


def _interrupt_stale_runs(job: str) -> set[int]:
    """Runs of `job` still marked running while we hold its lock: their worker is gone."""
    stale = list(JobRun.objects.filter(job=job, state=JobState.RUNNING))
    for run in stale:
        _finish(run, JobState.INTERRUPTED, error="the worker running this job stopped (its database session ended)")
    return {run.pk for run in stale}


def _start(run: JobRun, task_id: str) -> None:
    run.state = JobState.RUNNING
    run.started_at = timezone.now()
    run.worker = _worker_label()
    run.task_id = task_id or run.task_id
    # Resume after an interrupted run of the same job and parameters nobody has resumed yet.
    previous = (
        JobRun.objects.filter(job=run.job, state=JobState.INTERRUPTED, params=run.params, resumed_by__isnull=True)
        .exclude(pk=run.pk)
        .order_by("-id")
        .first()
    )
    if previous is not None and previous.progress.get("cursor"):
        run.resumed_from = previous
        run.progress = {**previous.progress, "resumed_at_cursor": previous.progress["cursor"]}
    run.save(update_fields=["state", "started_at", "worker", "task_id", "resumed_from", "progress"])


# ---------------------------------------------------------------------------------------- the jobs


def _scan_into(
    run: JobRun, *, kinds: list[str] | None = None, firm_ids: list[int] | None = None, dry_run: bool = False
) -> dict[str, Any]:
    totals = scan(
        today=_today(run.params),
        kinds=kinds,
        firm_ids=firm_ids,
        run=None if dry_run else run,
        start_after=0 if dry_run else int(run.progress.get("cursor") or 0),
        on_commit_outbox=enqueue_delivery,
        dry_run=dry_run,
    )
    counts = totals.as_dict()
    if run.resumed_from_id:
        counts["resumed_after_firm"] = run.progress.get("resumed_at_cursor")
    run.counts = counts
    run.errors = [*run.errors, *totals.errors]
    return counts


def job_scan(run: JobRun) -> None:
    """The nightly scan: every registered detector over every firm (or the kinds in params.kinds).

    With `params.dry_run` (a scan started with a `today`), nothing is written: the run's counts say
    what the scan would find and `counts.would_write` lists the flags it would open or change."""
    kinds = run.params.get("kinds")
    _scan_into(run, kinds=[str(k) for k in kinds] if kinds else None, dry_run=bool(run.params.get("dry_run")))


def job_above_size(run: JobRun) -> None:
    """The monthly check: the threshold_reached detectors (above-size revenue year to date) only."""
    if not selected_detectors([FlagKind.THRESHOLD_REACHED]):
        run.counts = {"note": "no threshold_reached detector is installed (apps.rules registers them)"}
        return
    _scan_into(run, kinds=[FlagKind.THRESHOLD_REACHED])


def job_rescan(run: JobRun) -> None:
    """Re-evaluates the firms whose records changed (params.firm_ids), every kind."""
    _scan_into(run, firm_ids=[int(i) for i in run.params.get("firm_ids", [])])


def job_rollover(run: JobRun) -> None:
    """The year turned over (runs on 1 January).

    - A calendar-year registration (TSME) ended on 31 Dec: its renewal_due flag is closed as
      "year_end" (re-registering is this year's application, see report_due), not left to look like
      a cleared condition;
    - report_due flags of last year's deadlines still not done are closed as "year_end", with
      `evidence.missed = true` (the history keeps the miss);
    then the nightly scan runs, so this year's state (expired titles, new deadlines) shows at once.
    Idempotent: a second run finds nothing left to close, and the scan is an upsert.
    """
    today = _today(run.params)
    last_year_end = dt.date(today.year - 1, 12, 31)
    if not run.progress.get("closed"):
        with transaction.atomic():
            calendar_codes = list(
                Programme.objects.filter(validity_kind=ValidityKind.CALENDAR_YEAR).values_list("code", flat=True)
            )
            ended = Certification.objects.filter(programme__code__in=calendar_codes, valid_until=last_year_end)
            subjects = [f"cert:{pk}" for pk in ended.values_list("pk", flat=True)]
            renewals = Flag.objects.filter(
                kind=FlagKind.RENEWAL_DUE, programme_code__in=calendar_codes, subject__in=subjects,
                state__in=[FlagState.OPEN, FlagState.ACKNOWLEDGED, FlagState.SNOOZED],
            ).update(
                state=FlagState.RESOLVED, resolution=Resolution.YEAR_END, resolved_at=clock.now(),
                snoozed_until=None, state_changed_at=clock.now(), state_changed_by=None, scan_run=run,
            )  # fmt: skip
            missed = 0
            reports = Flag.objects.filter(
                kind=FlagKind.REPORT_DUE, state__in=[FlagState.OPEN, FlagState.ACKNOWLEDGED, FlagState.SNOOZED],
                evidence__year__lt=today.year,
            )  # fmt: skip
            for flag in reports.select_for_update():
                flag.state, flag.resolution = FlagState.RESOLVED, Resolution.YEAR_END
                flag.resolved_at = flag.state_changed_at = clock.now()
                flag.snoozed_until, flag.scan_run = None, run
                flag.evidence = {**flag.evidence, "missed": True}
                flag.save()
                missed += 1
            run.progress = {**run.progress, "closed": True}
            run.counts = {"renewals_closed": renewals, "reports_missed": missed}
            JobRun.objects.filter(pk=run.pk).update(progress=run.progress, counts=run.counts)
    closed = dict(run.counts)
    _scan_into(run)
    run.counts = {**closed, **run.counts}


def job_digest(run: JobRun) -> None:
    """The daily digest: each user's held flag emails, in one email."""
    run.counts = notify.build_digests(day=_today(run.params))
    transaction.on_commit(enqueue_delivery)


RUNNERS: dict[str, Callable[[JobRun], None]] = {
    JobName.SCAN: job_scan,
    JobName.ABOVE_SIZE: job_above_size,
    JobName.ROLLOVER: job_rollover,
    JobName.DIGEST: job_digest,
    JobName.RESCAN: job_rescan,
}


# ---------------------------------------------------------------------------------------- the sweep


def changed_firm_ids(since: dt.datetime) -> list[int]:
    """Firms any of whose records (figures, certifications, the firm itself, deadlines done …)
    changed since `since`, read from the change history the database triggers write on every path."""
    changed = (
        Change.objects.filter(changed_at__gte=since, firm_id__isnull=False)
        .exclude(table_name__in=_NOT_TRIGGERS)
        .values_list("firm_id", flat=True)
        # Change.Meta.ordering would otherwise join SELECT DISTINCT (one row per change, not per firm).
        .order_by("firm_id")
        .distinct()
    )
    return [int(firm_id) for firm_id in changed if firm_id is not None]


def _history_now() -> dt.datetime:
    """The database's clock, which stamps the history's `changed_at`: the sweep's window must be measured
    on it, not on the app server's clock (which may differ, or be moved by the app clock in tests)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        return cursor.fetchone()[0]


def sweep_changed_firms(*, now: dt.datetime | None = None) -> JobRun | None:
    """Re-evaluates firms changed since the last sweep (minus an overlap for long transactions).

    The history's `changed_at` is the writing transaction's start, so a transaction that commits
    late is still inside the next window unless it ran longer than the overlap; the nightly scan
    covers anything older. A sweep with nothing to do records no run.
    """
    now = now or _history_now()
    overlap = dt.timedelta(seconds=int(conf.get("SEEDBED_RESCAN_OVERLAP_SECONDS")))
    last = JobRun.objects.filter(job=JobName.RESCAN, state=JobState.SUCCEEDED).order_by("-id").first()
    since_raw = last.params.get("until") if last is not None else None
    since = (dt.datetime.fromisoformat(since_raw) if since_raw else now) - overlap
    firm_ids = changed_firm_ids(since)
    if not firm_ids:
        return None
    params = {"firm_ids": firm_ids, "since": since.isoformat(), "until": now.isoformat()}
    return run_job(JobName.RESCAN, params=params, trigger="sweep")
