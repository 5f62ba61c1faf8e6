"""The rules' detectors on small scenes: what the nightly scan turns into flags."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from apps.flags.detectors import ScanContext, detectors
from apps.rules.models import RuleSet
from tests.figures.factories import MonthlyFiguresFactory
from tests.programmes.factories import CertificationFactory, programme
from tests.rules.factories import M, firm_with, hnte_ready, verified

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 11, 20)  # last fiscal year 2024


def run(kind: str, ctx: ScanContext) -> list:
    return [finding for detector in detectors()[kind] for finding in detector(ctx)]


def of(findings: list, firm) -> list:
    return [f for f in findings if f.firm_id == firm.pk]


def test_every_rules_detector_is_registered():
    registered = detectors()
    for kind in ("threshold_reached", "eligible", "upgrade_candidate", "near_miss"):
        assert registered.get(kind), kind


# ------------------------------------------------------------------------------------------------ threshold_reached


def monthly(firm, year: int, ytd_by_month: dict[int, int], state: str = "verified") -> None:
    for month, value in ytd_by_month.items():
        MonthlyFiguresFactory(firm=firm, year=year, month=month, main_business_revenue_ytd=Decimal(value), state=state)


def test_threshold_reached_the_first_month_year_to_date_revenue_crossed():
    firm = firm_with()  # C3670 manufacturing: 20M
    monthly(firm, 2025, {5: 15 * M, 6: 20 * M, 7: 23 * M})
    findings = of(run("threshold_reached", ScanContext(today=TODAY)), firm)
    assert len(findings) == 1
    found = findings[0]
    assert (found.programme_code, found.subject, found.due_date) == ("ABOVE_SIZE", "month:2025-06", dt.date(2025, 7, 5))
    assert found.evidence["threshold"] == "20000000"
    assert found.evidence["rule_set"]["code"] == "ABOVE_SIZE-2011"
    assert found.evidence["inputs"][0] == {
        "field": "main_business_revenue_ytd",
        "year": 2025,
        "month": 6,
        "value": "20000000.00",
    }
    assert "¥2000 万" in found.evidence["summary"]
    assert "apply for monthly entry by 2025-07-05" in found.evidence["summary_en"]


def test_threshold_by_industry_and_not_for_holders_proposals_or_firms_that_left():
    retail = firm_with(industry_id="F5211")  # 5M
    monthly(retail, 2025, {3: 5 * M})
    just_below = firm_with()
    monthly(just_below, 2025, {9: Decimal(20 * M) - Decimal("0.01")})
    holder = firm_with()
    monthly(holder, 2025, {8: 25 * M})
    CertificationFactory(firm=holder, programme=programme("ABOVE_SIZE"), certificate_date=dt.date(2020, 12, 20))
    proposed = firm_with()
    monthly(proposed, 2025, {8: 25 * M}, state="proposed")
    gone = firm_with(left_park_on=dt.date(2025, 10, 1))
    monthly(gone, 2025, {8: 25 * M})
    services = firm_with(industry_id="L7211")  # services use annual operating revenue, not monthly figures
    monthly(services, 2025, {8: 25 * M})
    builder = firm_with(industry_id="E4710")
    monthly(builder, 2025, {8: 250 * M})
    found = {f.firm_id: f for f in run("threshold_reached", ScanContext(today=TODAY))}
    assert found[retail.pk].subject == "month:2025-03"
    for firm in (just_below, holder, proposed, gone, services, builder):
        assert firm.pk not in found


def test_threshold_follows_a_rule_set_edit():
    firm = firm_with()
    monthly(firm, 2025, {6: 18 * M})
    assert not of(run("threshold_reached", ScanContext(today=TODAY)), firm)
    above = RuleSet.objects.get(code="ABOVE_SIZE-2011")
    criterion = above.criteria.get(code="threshold")
    for entry in criterion.params["thresholds"]:
        if entry["prefix"] == "C":
            entry["min"] = 15 * M
    criterion.save()
    assert of(run("threshold_reached", ScanContext(today=TODAY)), firm)[0].evidence["threshold"] == "15000000"


def test_threshold_is_narrowed_to_the_firms_asked_for():
    a, b = firm_with(), firm_with()
    monthly(a, 2025, {6: 21 * M})
    monthly(b, 2025, {6: 21 * M})
    found = run("threshold_reached", ScanContext(today=TODAY, firm_ids=[b.pk]))
    assert [f.firm_id for f in found] == [b.pk]


# -------------------------------------------------------------------------------- eligible / upgrade / near miss


def test_eligible_for_a_programme_not_held_with_manual_criteria_in_the_evidence():
    firm = firm_with(hnte_ready(2024))
    ctx = ScanContext(today=TODAY)
    hnte = [f for f in of(run("eligible", ctx), firm) if f.programme_code == "HNTE"]
    assert len(hnte) == 1
    evidence = hnte[0].evidence
    assert hnte[0].subject == "fy:2024"
    assert evidence["rule_set"]["code"] == "HNTE-2016"
    assert evidence["verdict"] == "eligible"
    assert {m["code"] for m in evidence["manual_to_check"]} >= {"core_ip", "tech_field"}
    assert {"field": "rd_expense", "fiscal_year": 2022, "value": "5000000.00"} in evidence["inputs"]


def test_no_eligible_flag_for_a_programme_held_or_below_a_rung_held():
    firm = firm_with(hnte_ready(2024), held=("HNTE",))
    found = {f.programme_code for f in of(run("eligible", ScanContext(today=TODAY)), firm)}
    assert "HNTE" not in found
    assert "TSME" not in found  # below HNTE on the tech ladder


def test_upgrade_candidate_when_the_next_rung_is_met():
    figures = hnte_ready(2024)
    for year, main in ((2022, 72 * M), (2023, 76 * M), (2024, 80 * M)):  # +5.6 %, +5.3 %
        figures[year] |= {"main_business_revenue": main, "ip_class1": 2}
    firm = firm_with(figures, held=("SRDI",))
    ctx = ScanContext(today=TODAY)
    upgrades = of(run("upgrade_candidate", ctx), firm)
    assert [(f.programme_code, f.evidence["holds"]) for f in upgrades] == [("LITTLE_GIANT", "SRDI")]
    assert "LITTLE_GIANT" not in {f.programme_code for f in of(run("eligible", ctx), firm)}


def test_near_miss_carries_the_exact_shortfall():
    """R&D 3.8 % of sales in the 50–200M band (4 %): 5 % short of the requirement, within the 10 % margin."""
    figures = hnte_ready(2024)
    for values in figures.values():
        values["rd_expense"] = values["rd_expense_domestic"] = 3_800_000
    firm = firm_with(figures)
    found = [f for f in of(run("near_miss", ScanContext(today=TODAY)), firm) if f.programme_code == "HNTE"]
    assert len(found) == 1
    gaps = found[0].evidence["gaps"]
    assert [(g["field"], g["amount"]) for g in gaps] == [("rd_expense", "600000.00")]
    assert gaps[0]["text_en"] == "+¥0.6M R&D"
    assert gaps[0]["text_zh"] == "需增加研发投入 ¥60 万"
    assert found[0].evidence["near_miss"] is True


def test_far_misses_are_not_near_and_the_margin_is_data():
    figures = hnte_ready(2024)
    for values in figures.values():
        values["rd_expense"] = values["rd_expense_domestic"] = 3_500_000  # 12.5 % short
    firm = firm_with(figures)
    assert "HNTE" not in {f.programme_code for f in of(run("near_miss", ScanContext(today=TODAY)), firm)}
    RuleSet.objects.filter(code="HNTE-2016").update(near_miss_margin=Decimal("0.15"))
    assert "HNTE" in {f.programme_code for f in of(run("near_miss", ScanContext(today=TODAY)), firm)}


def test_falls_back_to_the_year_before_when_the_last_has_no_verified_figures():
    firm = firm_with(hnte_ready(2023))
    verified(firm, 2024, state="proposed", staff_total=1)  # a proposal does not count
    hnte = [f for f in of(run("eligible", ScanContext(today=TODAY)), firm) if f.programme_code == "HNTE"]
    assert [f.subject for f in hnte] == ["fy:2023"]


def test_one_pass_serves_the_three_kinds_of_one_scan(django_assert_max_num_queries):
    firm_with(hnte_ready(2024))
    ctx = ScanContext(today=TODAY)
    run("eligible", ctx)
    with django_assert_max_num_queries(0):
        run("upgrade_candidate", ctx)
        run("near_miss", ctx)


def test_findings_are_the_same_on_a_second_scan():
    firm_with(hnte_ready(2024))
    first = run("eligible", ScanContext(today=TODAY))
    second = run("eligible", ScanContext(today=TODAY))
    assert [(f.key, f.evidence) for f in first] == [(f.key, f.evidence) for f in second]
