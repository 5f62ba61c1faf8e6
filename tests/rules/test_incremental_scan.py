"""The nightly eligibility pass evaluates only firms whose inputs changed (apps.rules.detectors).

What a user would notice if it were wrong: a flag that does not appear after a firm's figures change,
one that stays after a rule-set edit, a manually resolved flag that never comes back although the
condition holds, or a young firm whose anniversary passes unnoticed. And the promise behind it: a scan
that re-states unchanged firms leaves exactly the flags a full evaluation of every firm would.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from apps.figures.models import AnnualFigures
from apps.flags.jobs import run_job
from apps.flags.models import EligibilityMemo, Flag, JobRun
from apps.flags.services import flag_act
from apps.rules.models import RuleSet
from tests.rules.factories import M, firm_with, hnte_ready

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 11, 20)  # last fiscal year 2024
KINDS = ["eligible", "upgrade_candidate", "near_miss"]


def nightly_scan(today: dt.date = TODAY, kinds: list[str] | None = None) -> dict[str, Any]:
    run = run_job("scan", params={"today": today.isoformat(), "kinds": kinds or KINDS}, trigger="test")
    assert run is not None and run.state == "succeeded", run and run.errors
    return JobRun.objects.get(pk=run.pk).counts


def snapshot() -> dict[int, tuple[Any, ...]]:
    return {
        f.pk: (f.firm_id, f.kind, f.programme_code, f.subject, f.state, f.due_date, f.severity, f.evidence)
        for f in Flag.objects.all()
    }


def correct(firm: Any, **values: Any) -> None:
    """Staff correct the firm's verified 2024 figures."""
    assert AnnualFigures.objects.filter(firm=firm, fiscal_year=2024, state="verified").update(**values) == 1


def near_miss_figures() -> dict[int, dict[str, Any]]:
    """HNTE-ready but for S&T staff: 19 of 200 = 9.5 %, under the 10 % required by less than the 10 % margin."""
    figures = hnte_ready(2024)
    figures[2024] = {**figures[2024], "st_staff": 19}
    return figures


def test_a_second_night_on_unchanged_data_evaluates_no_firm_and_changes_no_flag(park):
    firms = [firm_with(hnte_ready(2024)) for _ in range(3)] + [firm_with(near_miss_figures())]
    first = nightly_scan()
    assert first["detectors"]["eligibility_evaluated"] >= len(firms)
    before = snapshot()
    assert {f[1] for f in before.values()} >= {"eligible", "near_miss"}

    second = nightly_scan()
    assert second["detectors"]["eligibility_evaluated"] == 0
    assert second["detectors"]["eligibility_restated"] == first["detectors"]["eligibility_evaluated"]
    assert (second["opened"], second["updated"], second["resolved"], second["reopened"]) == (0, 0, 0, 0)
    assert snapshot() == before


def test_a_firm_whose_figures_change_is_evaluated_again_and_its_flag_follows(park):
    ready = firm_with(hnte_ready(2024))
    almost = firm_with(near_miss_figures())
    nightly_scan()
    assert Flag.objects.get(firm=almost, kind="near_miss", programme_code="HNTE").state == "open"

    correct(almost, st_staff=40)  # 40 S&T staff of 200 (20 %)
    counts = nightly_scan()
    assert counts["detectors"]["eligibility_evaluated"] == 1  # that firm alone
    assert Flag.objects.get(firm=almost, kind="near_miss", programme_code="HNTE").state == "resolved"
    assert Flag.objects.get(firm=almost, kind="eligible", programme_code="HNTE").state == "open"
    assert Flag.objects.get(firm=ready, kind="eligible", programme_code="HNTE").state == "open"


def test_a_rule_set_edit_evaluates_every_firm_again(park):
    firm_with(hnte_ready(2024))
    firm_with(near_miss_figures())
    first = nightly_scan()
    hnte = RuleSet.objects.get(code="HNTE-2016")
    criterion = hnte.criteria.get(code="st_staff_ratio")
    criterion.params = {**criterion.params, "min": 0.09}
    criterion.save()
    counts = nightly_scan()
    assert counts["detectors"]["eligibility_evaluated"] == first["detectors"]["eligibility_evaluated"]
    assert not Flag.objects.filter(kind="near_miss", programme_code="HNTE", state="open").exists()
    assert Flag.objects.filter(kind="eligible", programme_code="HNTE", state="open").count() == 2


def test_a_manually_resolved_flag_whose_condition_holds_comes_back_at_the_next_scan(park):
    firm = firm_with(hnte_ready(2024))
    nightly_scan()
    flag = Flag.objects.get(firm=firm, kind="eligible", programme_code="HNTE")
    flag_act(flag=flag, action="resolve", user=park.admin, note="已告知企业")
    assert not EligibilityMemo.objects.filter(firm=firm).exists()
    counts = nightly_scan()
    assert counts["detectors"]["eligibility_evaluated"] == 1
    flag.refresh_from_db()
    assert flag.state == "open"


def test_a_young_firm_is_evaluated_each_day_until_its_registration_age_is_reached(park):
    # Registered 15 Dec 2024: one year old on 15 Dec 2025, HNTE's minimum.
    young = firm_with(hnte_ready(2024), registration_date=dt.date(2024, 12, 15))
    firm_with(hnte_ready(2024))
    nightly_scan()
    assert not Flag.objects.filter(firm=young, kind="eligible", programme_code="HNTE").exists()
    assert EligibilityMemo.objects.get(firm=young).dated

    next_day = nightly_scan(TODAY + dt.timedelta(days=1))
    assert next_day["detectors"]["eligibility_evaluated"] == 1  # the young firm, not the other

    anniversary = nightly_scan(dt.date(2025, 12, 15))
    assert anniversary["detectors"]["eligibility_evaluated"] == 1
    flag = Flag.objects.get(firm=young, kind="eligible", programme_code="HNTE")
    assert flag.state == "open"


def test_after_changes_the_incremental_scan_leaves_what_a_full_evaluation_leaves(park):
    firms = [firm_with(hnte_ready(2024, revenue=(10 + i) * M)) for i in range(4)]
    firms += [firm_with(near_miss_figures()) for _ in range(2)]
    nightly_scan()
    correct(firms[0], st_staff=19)  # now a near miss
    correct(firms[4], st_staff=40)  # now eligible
    flag_act(flag=Flag.objects.filter(firm=firms[1], kind="eligible").first(), action="acknowledge", user=park.admin)
    incremental = nightly_scan()
    assert 0 < incremental["detectors"]["eligibility_evaluated"] < len(firms)
    after_incremental = snapshot()

    EligibilityMemo.objects.all().delete()  # forget everything: every firm evaluated from scratch
    full = nightly_scan()
    assert full["detectors"]["eligibility_evaluated"] == len(firms)
    assert (full["opened"], full["updated"], full["resolved"], full["reopened"]) == (0, 0, 0, 0)
    assert snapshot() == after_incremental


def test_a_scan_of_some_kinds_only_neither_uses_nor_writes_the_memo(park):
    firm = firm_with(hnte_ready(2024))
    nightly_scan(kinds=["eligible"])
    assert not EligibilityMemo.objects.exists()
    assert Flag.objects.get(firm=firm, kind="eligible", programme_code="HNTE").state == "open"
