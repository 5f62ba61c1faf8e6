"""Issue 13, findings 17 and 18: a rescan lists each changed firm once, and a scan as of a chosen
day is a dry run that writes nothing but tells what it would find."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.core.models import Change
from apps.flags import jobs
from apps.flags.jobs import changed_firm_ids, run_job, sweep_changed_firms
from apps.flags.models import Flag, JobRun, Notification, OutboxMessage
from apps.registry.models import Firm
from tests.flags.conftest import cert_ending
from tests.flags.factories import TODAY

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("standard_only")]


def test_changed_firms_are_listed_once_however_many_changes_they_had(park):
    since = timezone.now() - dt.timedelta(minutes=1)
    for n in range(7):
        Firm.objects.filter(pk=park.firm_a.pk).update(notes=f"第 {n} 次修改")
    for n in range(3):
        Firm.objects.filter(pk=park.firm_b.pk).update(notes=f"第 {n} 次修改")
    assert Change.objects.filter(firm_id=park.firm_a.pk, changed_at__gte=since).count() >= 7
    assert changed_firm_ids(since) == sorted({park.firm_a.pk, park.firm_b.pk})
    run = sweep_changed_firms()
    assert run is not None
    firm_ids = run.params["firm_ids"]
    assert len(firm_ids) == len(set(firm_ids)) and set(firm_ids) >= {park.firm_a.pk, park.firm_b.pk}


def test_a_scan_started_with_a_day_writes_nothing_and_tells_what_it_would_find(
    park, as_user, monkeypatch, django_capture_on_commit_callbacks
):
    from apps.flags.tasks import run_job_task

    monkeypatch.setattr(run_job_task, "apply_async", lambda **kwargs: None)
    park.ent_a.email = "ent_a@example.com"
    park.ent_a.save()
    cert = cert_ending(park.firm_a, "SRDI", 20)
    cert_ending(park.firm_b, "HNTE", 100)
    before = (Flag.objects.count(), Notification.objects.count(), OutboxMessage.objects.count())
    history_before = Change.objects.exclude(table_name="flags_jobrun").count()
    with django_capture_on_commit_callbacks(execute=True):
        answer = as_user(park.admin).post("/api/v1/jobs/", {"job": "scan", "today": TODAY.isoformat()}, format="json")
    assert answer.status_code == 202, answer.content
    run = run_job("scan", run_id=answer.json()["id"], trigger="api")
    assert run is not None and run.state == "succeeded", run and run.errors
    assert (Flag.objects.count(), Notification.objects.count(), OutboxMessage.objects.count()) == before
    assert Change.objects.exclude(table_name="flags_jobrun").count() == history_before, "nothing but the run itself"
    counts = JobRun.objects.get(pk=run.pk).counts
    assert counts["dry_run"] is True and counts["opened"] == len(counts["would_write"]) >= 2
    would = {(item["firm_id"], item["kind"], item["subject"]) for item in counts["would_write"]}
    assert (park.firm_a.pk, "renewal_due", f"cert:{cert.pk}") in would
    assert (park.firm_b.pk, "renewal_due") in {(item["firm_id"], item["kind"]) for item in counts["would_write"]}
    shown = as_user(park.staff).get(f"/api/v1/jobs/{run.pk}/").json()
    assert shown["counts"]["dry_run"] is True and shown["counts"]["would_write"]

    # The nightly scan (beat passes its day, never dry_run) writes its flags as before.
    real = run_job("scan", params={"today": TODAY.isoformat()})
    assert real is not None and real.state == "succeeded" and "dry_run" not in real.counts
    assert Flag.objects.filter(kind="renewal_due").count() == 2
    assert Flag.objects.count() == counts["opened"], "the dry run foretold exactly what the scan then wrote"


def test_the_scan_help_text_says_what_a_day_does():
    from apps.flags.api.serializers import JobRunCreateSerializer

    text = str(JobRunCreateSerializer().fields["today"].help_text)
    assert "dry run" in text and "writes no flag" in text
    assert jobs.job_scan.__doc__ and "dry_run" in jobs.job_scan.__doc__
