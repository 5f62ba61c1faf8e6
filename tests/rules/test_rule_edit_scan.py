"""A rule-set edit takes effect on the next scan, without a deploy; older evaluations keep their version.

The administrator edits the HNTE rule set through the API; the very next nightly scan (the real job,
in this process) evaluates with the new revision, and what the earlier scan wrote still names the
revision it used: the resolved flag's evidence and the flag's history.
"""

from __future__ import annotations

import datetime as dt

import pytest

from apps.core.models import Change
from apps.flags.jobs import run_job
from apps.flags.models import Flag
from apps.rules.models import RuleSet
from tests.rules.factories import firm_with, hnte_ready

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 11, 20)  # last fiscal year 2024
KINDS = ["eligible", "upgrade_candidate", "near_miss"]


def nightly_scan() -> None:
    run = run_job("scan", params={"today": TODAY.isoformat(), "kinds": KINDS}, trigger="test")
    assert run is not None and run.state == "succeeded", run and run.errors


def hnte_flags(firm, kind: str, **filters) -> list[Flag]:
    return list(Flag.objects.filter(firm=firm, kind=kind, programme_code="HNTE", **filters))


def test_a_rule_set_edit_applies_at_the_next_scan_and_earlier_flags_keep_their_revision(park, as_user):
    firm = firm_with(hnte_ready(2024))  # S&T staff 40 of 200 = 20 %
    hnte = RuleSet.objects.get(code="HNTE-2016")
    nightly_scan()
    [eligible] = hnte_flags(firm, "eligible", state="open")
    assert (eligible.evidence["rule_set"]["code"], eligible.evidence["rule_set"]["revision"]) == ("HNTE-2016", 1)
    assert not hnte_flags(firm, "near_miss")

    # 21 % S&T staff from now on: 20 % is short by under the 10 % margin, a near miss.
    response = as_user(park.admin).patch(
        f"/api/v1/rule-sets/{hnte.pk}/",
        {
            "criteria": [
                {
                    "code": "st_staff_ratio",
                    "kind": "computed",
                    "metric": "ratio_at_least",
                    "params": {
                        "numerator": "st_staff",
                        "denominator": "staff_total",
                        "min": 0.21,
                        "part_of_denominator": True,
                    },
                }
            ],
            "reason": "测试：科技人员比例提高到 21%",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["revision"] == 2

    nightly_scan()
    eligible.refresh_from_db()
    assert (eligible.state, eligible.resolution) == ("resolved", "auto")
    assert eligible.evidence["rule_set"]["revision"] == 1  # what that evaluation used, kept
    [near] = hnte_flags(firm, "near_miss", state="open")
    assert (near.evidence["rule_set"]["code"], near.evidence["rule_set"]["revision"]) == ("HNTE-2016", 2)
    staff = next(c for c in near.evidence["criteria"] if c["code"] == "st_staff_ratio")
    assert (staff["status"], staff["required"]) == ("not_met", "0.21")
    assert [g["field"] for g in near.evidence["gaps"]] == ["st_staff"]
    # The history holds the flag as the first scan wrote it.
    written = Change.objects.filter(table_name="flags_flag", object_id=str(eligible.pk)).order_by("id")
    first = written[0].after or {}
    assert (written[0].action, first["evidence"]["rule_set"]["revision"]) == ("insert", 1)

    nightly_scan()  # and the edit stays in force: nothing changes on the following night
    assert hnte_flags(firm, "near_miss", state="open") == [near]
    eligible.refresh_from_db()
    assert eligible.state == "resolved"
