"""The scheduled jobs in this process: runs recorded, single runner, interrupted runs resumed, rollover, sweep."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from django.conf import settings
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from apps.core import clock
from apps.flags import jobs
from apps.flags.detectors import Finding, register_detector
from apps.flags.models import Flag, JobRun
from apps.programmes import services as programme_services
from apps.programmes.models import Programme
from tests.factories import FirmFactory
from tests.flags.conftest import cert_ending
from tests.flags.factories import TODAY

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("standard_only")]
PARAMS = {"today": TODAY.isoformat()}


@contextmanager
def lock_held_elsewhere(name: str) -> Iterator[None]:
    """Another database session (another worker) holding a job's advisory lock."""
    db = settings.DATABASES["default"]
    with psycopg.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"] or None, port=db["PORT"] or None, autocommit=True
    ) as other:
        other.execute("SELECT pg_advisory_lock(%s, %s)", [jobs.LOCK_CLASS, jobs._lock_key(name)])
        yield


@pytest.fixture
def firms():
    made = [FirmFactory() for _ in range(6)]
    for n, firm in enumerate(made):
        cert_ending(firm, "HNTE", 20 + n)
    return made


def test_a_run_is_recorded_with_its_counts(firms):
    run = jobs.run_job("scan", params=PARAMS, trigger="command")
    assert (run.state, run.trigger, run.job) == ("succeeded", "command", "scan")
    assert run.started_at <= run.finished_at
    assert run.counts["opened"] == Flag.objects.count() >= 6
    assert run.counts["firms"] == 6 and run.progress["cursor"] == firms[-1].pk
    assert set(Flag.objects.values_list("scan_run", flat=True)) == {run.pk}
    again = jobs.run_job("scan", params=PARAMS)
    assert again.counts["opened"] == again.counts["updated"] == 0


def test_a_second_run_while_one_holds_the_lock_is_skipped_and_recorded(firms):
    with lock_held_elsewhere("scan"):
        run = jobs.run_job("scan", params=PARAMS)
    assert run.state == "skipped" and "in progress" in run.errors[0]["error"]
    assert not Flag.objects.exists()
    queued = JobRun.objects.create(job="scan", params=PARAMS)
    with lock_held_elsewhere("scan"):
        assert jobs.run_job("scan", run_id=queued.pk).state == "skipped"


def test_a_flag_writing_job_waits_for_the_writer_lock_then_gives_up(firms, settings, monkeypatch):
    settings.SEEDBED_JOB_WRITER_WAIT_SECONDS = 0.5
    from apps.flags import detectors as registry

    monkeypatch.setattr(registry, "_DETECTORS", dict(registry._DETECTORS))
    register_detector("threshold_reached")(lambda ctx: iter(()))
    with lock_held_elsewhere(jobs.WRITER):
        run = jobs.run_job("above_size", params=PARAMS)
    assert run.state == "skipped" and "flag-writing" in run.errors[0]["error"]
    assert jobs.run_job("above_size", params=PARAMS).state == "succeeded"


def test_the_above_size_check_says_when_no_detector_is_installed(firms):
    run = jobs.run_job("above_size", params=PARAMS)
    assert run.state == "succeeded" and "no threshold_reached detector" in run.counts["note"]


def test_a_run_left_running_by_a_dead_worker_is_interrupted_and_the_next_resumes_it(firms):
    middle = firms[2].pk
    dead = JobRun.objects.create(
        job="scan", state="running", params=PARAMS, progress={"cursor": middle, "today": TODAY.isoformat()},
        started_at=timezone.now(),
    )  # fmt: skip
    run = jobs.run_job("scan", params=PARAMS)
    dead.refresh_from_db()
    assert dead.state == "interrupted" and dead.finished_at is not None
    assert run.state == "succeeded" and run.resumed_from == dead
    assert run.counts["firms"] == 3 and run.counts["resumed_after_firm"] == middle
    assert set(Flag.objects.values_list("firm_id", flat=True)) == {f.pk for f in firms[3:]}
    # A new day is a new scan: it does not resume anything.
    assert jobs.run_job("scan", params={"today": "2026-11-28"}).counts["firms"] == 6


def test_a_redelivered_task_of_an_ended_run_does_nothing(firms):
    ended = JobRun.objects.create(job="scan", state="interrupted", params=PARAMS, progress={"cursor": 1})
    assert jobs.run_job("scan", run_id=ended.pk) == ended
    assert JobRun.objects.count() == 1 and not Flag.objects.exists()
    assert jobs.run_job("scan", run_id=10**9) is None


def test_a_redelivered_task_of_a_killed_run_finishes_the_work_in_a_new_run(firms):
    killed = JobRun.objects.create(
        job="scan", state="running", params=PARAMS, progress={"cursor": firms[0].pk, "today": TODAY.isoformat()}
    )
    run = jobs.run_job("scan", run_id=killed.pk)
    assert run.pk != killed.pk and run.trigger == "redelivery" and run.resumed_from_id == killed.pk
    assert run.state == "succeeded" and run.counts["firms"] == 5


def test_the_yearly_rollover_closes_last_years_registrations_and_reports():
    firm = FirmFactory()
    tsme = programme_services.certification_create(
        firm=firm, programme=Programme.objects.get(code="TSME"), certificate_date=dt.date(2026, 4, 10)
    )
    cert_ending(firm, "HNTE", 500)
    jobs.run_job("scan", params={"today": "2026-12-20"})
    renewal = Flag.objects.get(kind="renewal_due", subject=f"cert:{tsme.pk}")
    report = Flag.objects.get(kind="report_due", firm=firm, programme_code="HNTE")  # the 2026 report, overdue
    assert report.evidence["year"] == 2026
    run = jobs.run_job("rollover", params={"today": "2027-01-01"})
    assert run.state == "succeeded"
    assert run.counts["renewals_closed"] == 1 and run.counts["reports_missed"] == 1
    renewal.refresh_from_db()
    report.refresh_from_db()
    assert (renewal.state, renewal.resolution) == ("resolved", "year_end")
    assert (report.state, report.resolution, report.evidence["missed"]) == ("resolved", "year_end", True)
    # The scan that follows shows the lapse as an expired title.
    assert Flag.objects.get(kind="expired", subject=f"cert:{tsme.pk}").state == "open"
    again = jobs.run_job("rollover", params={"today": "2027-01-01"})
    assert again.counts["renewals_closed"] == again.counts["reports_missed"] == 0


@pytest.mark.dated
def test_a_change_to_a_firm_is_re_evaluated_by_the_sweep(firms):
    jobs.run_job("scan", params=PARAMS)
    assert jobs.sweep_changed_firms() is not None  # the first sweep looks back over the overlap
    newcomer = FirmFactory()
    cert = cert_ending(newcomer, "SRDI", 15, today=clock.today())
    run = jobs.sweep_changed_firms()
    assert run is not None and run.job == "rescan" and newcomer.pk in run.params["firm_ids"]
    assert run.state == "succeeded"
    assert Flag.objects.get(kind="renewal_due", subject=f"cert:{cert.pk}").state == "open"


def test_a_sweep_without_changes_records_nothing(firms):
    later = timezone.now() + dt.timedelta(hours=2)
    JobRun.objects.create(job="rescan", state="succeeded", params={"until": later.isoformat()})
    assert jobs.sweep_changed_firms(now=later + dt.timedelta(hours=1)) is None
    assert JobRun.objects.filter(job="rescan").count() == 1


def test_the_beat_schedule_is_data_and_expires_before_the_next_run():
    tasks = {t.name: t for t in PeriodicTask.objects.filter(name__startswith="flags:")}
    jobs_args = {json.loads(t.args)[0]: t for t in tasks.values() if t.task == "flags.run_job"}
    assert set(jobs_args) == {"scan", "above_size", "rollover", "digest"}
    scan = jobs_args["scan"]
    assert (scan.crontab.minute, scan.crontab.hour) == ("0", "2") and scan.expire_seconds < 24 * 3600
    for task in tasks.values():
        if task.interval is not None:
            assert task.expire_seconds < task.interval.every
        assert task.enabled
    from apps.core.reference import load_reference_data

    load_reference_data()  # idempotent
    assert PeriodicTask.objects.filter(name__startswith="flags:").count() == len(tasks)


def test_findings_dataclass_rejects_unknown_kinds():
    with pytest.raises(ValueError):
        Finding(firm_id=1, kind="vibes", programme_code="", subject="", due_date=None, severity="info")
