"""The scan turns findings into flags: idempotent, set-based, respecting what people decided."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.core import clock
from apps.core.models import Change
from apps.flags import detectors as registry
from apps.flags.detectors import Finding, register_detector
from apps.flags.models import Flag, Notification, OutboxMessage
from apps.flags.services import flag_act
from apps.programmes import services as programme_services
from tests.factories import FirmFactory
from tests.flags.conftest import cert_ending, run_scan
from tests.flags.factories import TODAY, FlagFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("standard_only")]


@pytest.fixture
def scene(park):
    """Firm A (staff assigned, enterprise user ent_a) with a title in each rung, firm B with an expired one."""
    park.firm_a.assigned_staff = park.staff
    park.firm_a.save()
    park.ent_a.email = "ent_a@example.com"
    park.ent_a.save()
    certs = {
        "r180": cert_ending(park.firm_a, "HNTE", 150),
        "r90": cert_ending(park.firm_a, "SRDI", 60),
        "r30": cert_ending(park.firm_a, "ISME", 10),
        "expired": cert_ending(park.firm_b, "SRDI", -40),
    }
    return park, certs


def snapshot() -> set[tuple[Any, ...]]:
    return set(
        Flag.objects.values_list(
            "firm_id", "kind", "programme_code", "subject", "due_date", "severity", "ladder_point", "state"
        )
    )


def test_running_twice_changes_nothing_the_second_time(scene):
    first = run_scan()
    assert first.opened > 0
    flags, notes, outbox = snapshot(), Notification.objects.count(), OutboxMessage.objects.count()
    changes = Change.objects.count()
    second = run_scan()
    assert (second.opened, second.updated, second.reopened, second.resolved) == (0, 0, 0, 0)
    assert snapshot() == flags
    assert (Notification.objects.count(), OutboxMessage.objects.count()) == (notes, outbox)
    assert Change.objects.count() == changes, "an unchanged scan must not write (nor fill the history)"


def test_batches_give_the_same_flags_as_one_pass(scene):
    FirmFactory.create_batch(5)
    run_scan(batch_size=10_000)
    whole = snapshot()
    Flag.objects.all().delete()
    totals = run_scan(batch_size=1)
    assert totals.batches == totals.firms >= 7
    assert snapshot() == whole


def test_queries_do_not_grow_with_the_number_of_firms(scene):
    with CaptureQueriesContext(connection) as few:
        run_scan(batch_size=10_000)
    for _ in range(20):
        cert_ending(FirmFactory(), "HNTE", 20)
    Flag.objects.all().delete()
    with CaptureQueriesContext(connection) as many:
        run_scan(batch_size=10_000)
    assert len(many.captured_queries) == len(few.captured_queries)
    assert Flag.objects.filter(kind="renewal_due").count() >= 23


def test_a_condition_that_clears_resolves_and_one_that_returns_reopens_the_same_flag(scene):
    _park, certs = scene
    run_scan()
    flag = Flag.objects.get(subject=f"cert:{certs['r30'].pk}", kind="renewal_due")
    notes = Notification.objects.filter(flag=flag).count()
    successor = programme_services.certification_renew(certification=certs["r30"], certificate_date=TODAY)
    run_scan()
    flag.refresh_from_db()
    assert (flag.state, flag.resolution) == ("resolved", "auto")
    assert flag.resolved_at is not None
    programme_services.certification_delete(certification=successor)
    run_scan()
    flag.refresh_from_db()
    assert (flag.state, flag.resolution, flag.resolved_at) == ("open", "", None)
    assert Flag.objects.filter(subject=flag.subject, kind="renewal_due").count() == 1
    assert Notification.objects.filter(flag=flag).count() == notes, "the same rung is not announced twice"


def test_dismissed_stays_dismissed_for_the_same_subject(scene):
    park, certs = scene
    run_scan()
    flag = Flag.objects.get(subject=f"cert:{certs['r90'].pk}", kind="renewal_due")
    flag_act(flag=flag, action="dismiss", user=park.staff, reason="企业已决定不再续期")
    run_scan()
    run_scan(TODAY + dt.timedelta(days=40))  # even at the next rung
    assert list(Flag.objects.filter(subject=flag.subject, kind="renewal_due").values_list("state", flat=True)) == [
        "dismissed"
    ]
    # A different subject (another certificate) is flagged as usual.
    other = cert_ending(park.firm_a, "LITTLE_GIANT", 100)
    run_scan(TODAY + dt.timedelta(days=80))
    assert Flag.objects.get(subject=f"cert:{other.pk}", kind="renewal_due").state == "open"


@pytest.mark.dated
def test_snoozed_wakes_on_its_day_if_the_condition_still_holds(scene):
    park, certs = scene
    run_scan()
    held = Flag.objects.get(subject=f"cert:{certs['r180'].pk}", kind="renewal_due")
    cleared = Flag.objects.get(subject=f"cert:{certs['r90'].pk}", kind="renewal_due")
    for flag in (held, cleared):
        flag_act(flag=flag, action="snooze", user=park.staff, until=clock.today() + dt.timedelta(days=10))
    # The scans below run "as of" days around TODAY: put the snooze date there.
    Flag.objects.filter(pk__in=[held.pk, cleared.pk]).update(snoozed_until=TODAY + dt.timedelta(days=5))
    run_scan(TODAY + dt.timedelta(days=4))
    assert Flag.objects.get(pk=held.pk).state == "snoozed"
    programme_services.certification_renew(certification=certs["r90"], certificate_date=TODAY)
    run_scan(TODAY + dt.timedelta(days=5))
    held.refresh_from_db()
    cleared.refresh_from_db()
    assert (held.state, held.snoozed_until) == ("open", None)
    assert cleared.state == "resolved"


def test_the_next_rung_updates_the_flag_and_tells_each_recipient_once_per_rung(scene):
    _park, certs = scene
    run_scan()
    flag = Flag.objects.get(subject=f"cert:{certs['r180'].pk}", kind="renewal_due")
    assert flag.ladder_point == 180
    for day in (TODAY + dt.timedelta(days=60), TODAY + dt.timedelta(days=61), TODAY + dt.timedelta(days=125)):
        run_scan(day)
    flag.refresh_from_db()
    assert flag.ladder_point == 30
    points = sorted(Notification.objects.filter(flag=flag).values_list("ladder_point", "user__username"))
    assert points == [
        (30, "ent_a"), (30, "staff1"), (90, "ent_a"), (90, "staff1"), (180, "ent_a"), (180, "staff1"),
    ]  # fmt: skip
    # ent_a gets email at once (enterprise default), staff1 has no email address.
    mail = OutboxMessage.objects.filter(flag=flag, channel="email")
    assert sorted(mail.values_list("ladder_point", "state")) == [(30, "pending"), (90, "pending"), (180, "pending")]


def test_expired_tells_the_firm_once_and_administrators_after_thirty_days(scene):
    park, certs = scene
    park.firm_b.assigned_staff = park.staff
    park.firm_b.save()
    lapsed = cert_ending(park.firm_b, "ISME", -3)
    run_scan()
    flag = Flag.objects.get(subject=f"cert:{lapsed.pk}", kind="expired")
    assert flag.ladder_point == 0
    assert set(Notification.objects.filter(flag=flag).values_list("user__username", "ladder_point")) == {
        ("staff1", 0),
        ("ent_b", 0),
    }
    run_scan(TODAY + dt.timedelta(days=27))
    flag.refresh_from_db()
    assert flag.ladder_point == 30
    assert set(Notification.objects.filter(flag=flag).values_list("user__username", "ladder_point")) == {
        ("staff1", 0),
        ("ent_b", 0),
        ("admin1", 30),
    }
    # Lapsed 40 days ago: escalated at once.
    older = Flag.objects.get(subject=f"cert:{certs['expired'].pk}", kind="expired")
    assert older.ladder_point == 30
    assert Notification.objects.filter(flag=older, user=park.admin).exists()


def test_the_partial_unique_index_refuses_a_second_open_flag():
    flag = FlagFactory()
    twin = {"firm": flag.firm, "kind": flag.kind, "programme_code": flag.programme_code, "subject": flag.subject}
    for state in ("open", "acknowledged", "snoozed"):
        with pytest.raises(IntegrityError), transaction.atomic():
            FlagFactory(**twin, state=state, snoozed_until=TODAY)
    # Closed flags of the same subject may be many; and once the open one closes, a new one may open.
    FlagFactory(**twin, state="resolved")
    FlagFactory(**twin, state="dismissed", dismiss_reason="无关")
    Flag.objects.filter(pk=flag.pk).update(state="resolved")
    FlagFactory(**twin)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'flag_one_open_per_subject'",
        )
        (definition,) = cursor.fetchone()
    assert "UNIQUE" in definition and "WHERE" in definition


def test_python_detectors_stage_by_copy_and_a_failing_detector_resolves_nothing(scene, monkeypatch):
    park, _ = scene
    calls = []

    def eligible(ctx):
        calls.append(ctx.firm_ids)
        # A detector may query while it yields.
        for firm_id in FirmFactory._meta.model.objects.filter(pk__in=ctx.firm_ids).values_list("pk", flat=True):
            yield Finding(
                firm_id=firm_id, kind="eligible", programme_code="HNTE", subject="fy:2025", due_date=None,
                severity="info", evidence={"summary": "符合高企条件", "score": 72}, ladder_point=None,
            )  # fmt: skip
        yield Finding(firm_id=10**9, kind="eligible", programme_code="HNTE", subject="", due_date=None, severity="info")

    detectors = dict(registry._DETECTORS)
    monkeypatch.setattr(registry, "_DETECTORS", detectors)
    register_detector("eligible")(eligible)
    run_scan()
    firms = FirmFactory._meta.model.objects.count()
    assert Flag.objects.filter(kind="eligible", state="open").count() == firms  # the stray firm id is dropped
    assert Flag.objects.get(kind="eligible", firm=park.firm_a).evidence == {"summary": "符合高企条件", "score": 72}

    def broken(ctx):
        raise RuntimeError("rule set missing")

    detectors["eligible"] = [broken]
    totals = run_scan()
    assert totals.errors and "rule set missing" in totals.errors[0]["error"]
    assert "eligible" not in totals.kinds_run
    assert Flag.objects.filter(kind="eligible", state="open").count() == firms, "a failed detector resolves nothing"
    assert Flag.objects.filter(kind="renewal_due", state="open").exists()


def test_a_firm_that_leaves_the_park_has_its_flags_resolved(scene):
    park, _ = scene
    run_scan()
    assert Flag.objects.filter(firm=park.firm_a, state="open").exists()
    park.firm_a.left_park_on = TODAY
    park.firm_a.save()
    run_scan()
    assert not Flag.objects.filter(firm=park.firm_a, state="open").exists()
