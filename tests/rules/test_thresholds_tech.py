"""HNTE-2016 and TSME-2017/2025: both sides of every numeric threshold, boundaries inclusive (domain-rules §1, §2)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_CEILING, Decimal

import pytest

from tests.rules.factories import M, criterion, evaluate, firm_with, hnte_ready, status

pytestmark = pytest.mark.django_db

CENT = Decimal("0.01")


# ------------------------------------------------------------------------------------------------ HNTE


@pytest.mark.parametrize(
    ("registered", "expected"),
    [(dt.date(2023, 12, 31), "met"), (dt.date(2024, 1, 1), "not_met")],
)
def test_hnte_registered_a_full_year_by_the_evaluation_day(registered, expected):
    firm = firm_with(registration_date=registered)
    assert status(firm, "HNTE", "registration_age") == expected


def test_hnte_age_gap_says_when_it_will_be_met():
    firm = firm_with(registration_date=dt.date(2024, 3, 1))
    gap = criterion(evaluate(firm, "HNTE"), "registration_age").outcome.gaps[0]
    assert gap.until == dt.date(2025, 3, 1)


@pytest.mark.parametrize(("st_staff", "expected"), [(20, "met"), (19, "not_met")])
def test_hnte_st_staff_share_at_least_ten_percent(st_staff, expected):
    firm = firm_with({2024: {"staff_total": 200, "st_staff": st_staff}})
    assert status(firm, "HNTE", "st_staff_ratio") == expected


def _rd_years(latest_sales: Decimal, rd_total: Decimal, sales: Decimal = Decimal(40 * M)) -> dict[int, dict]:
    """Sales `sales` in 2022 and 2023, `latest_sales` in 2024; R&D all in 2024 so the total is exact."""
    return {
        2022: {"sales_revenue": sales, "rd_expense": 0},
        2023: {"sales_revenue": sales, "rd_expense": 0},
        2024: {"sales_revenue": latest_sales, "rd_expense": rd_total},
    }


@pytest.mark.parametrize(
    ("latest", "ratio", "expected"),
    [
        # ≤ 50M (含): 5 %
        (Decimal(50 * M), Decimal("0.05"), "met"),
        (Decimal(50 * M), Decimal("0.0499"), "not_met"),
        # just above 50M: the 4 % band
        (Decimal(50 * M) + CENT, Decimal("0.04"), "met"),
        (Decimal(50 * M) + CENT, Decimal("0.0399"), "not_met"),
        # 200M (含) is still 4 %
        (Decimal(200 * M), Decimal("0.04"), "met"),
        (Decimal(200 * M), Decimal("0.0399"), "not_met"),
        # above 200M: 3 %
        (Decimal(200 * M) + CENT, Decimal("0.03"), "met"),
        (Decimal(200 * M) + CENT, Decimal("0.0299"), "not_met"),
    ],
)
def test_hnte_three_year_rd_ratio_by_the_latest_years_sales_band(latest, ratio, expected):
    total_sales = Decimal(80 * M) + latest
    rd = (total_sales * ratio).quantize(CENT, rounding=ROUND_CEILING)
    firm = firm_with(_rd_years(latest, rd))
    outcome = criterion(evaluate(firm, "HNTE"), "rd_ratio").outcome
    assert outcome.status == expected
    if expected == "not_met":
        assert outcome.gaps[0].amount is not None and outcome.gaps[0].amount > 0


def test_hnte_rd_ratio_uses_fewer_years_for_a_younger_firm():
    firm = firm_with({2023: {"sales_revenue": 10 * M, "rd_expense": 500_000},
                      2024: {"sales_revenue": 10 * M, "rd_expense": 500_000}},
                     registration_date=dt.date(2023, 2, 1))  # fmt: skip
    outcome = criterion(evaluate(firm, "HNTE"), "rd_ratio").outcome
    assert outcome.status == "met"
    assert {year for _, year, _ in outcome.inputs} == {2023, 2024}


def test_hnte_rd_ratio_is_unknown_when_a_year_is_missing():
    firm = firm_with(
        {2022: {"sales_revenue": 10 * M, "rd_expense": M}, 2024: {"sales_revenue": 10 * M, "rd_expense": M}}
    )
    assert status(firm, "HNTE", "rd_ratio") == "unknown"


def test_hnte_sales_revenue_falls_back_to_operating_revenue():
    figures = {y: {"operating_revenue": 10 * M, "rd_expense": 500_000} for y in (2022, 2023, 2024)}
    assert status(firm_with(figures), "HNTE", "rd_ratio") == "met"


@pytest.mark.parametrize(("domestic", "expected"), [(600_000, "met"), (599_999, "not_met")])
def test_hnte_domestic_rd_at_least_sixty_percent(domestic, expected):
    figures = {y: {"rd_expense": M, "rd_expense_domestic": domestic} for y in (2022, 2023, 2024)}
    assert status(firm_with(figures), "HNTE", "domestic_rd_share") == expected


@pytest.mark.parametrize(("high_tech", "expected"), [(6 * M, "met"), (6 * M - 1, "not_met")])
def test_hnte_high_tech_revenue_at_least_sixty_percent(high_tech, expected):
    firm = firm_with({2024: {"operating_revenue": 10 * M, "high_tech_revenue": high_tech}})
    outcome = criterion(evaluate(firm, "HNTE"), "high_tech_revenue_share").outcome
    assert outcome.status == expected
    if expected == "not_met":
        # (h + x) / (10M + x) ≥ 60 %: x = (6M − h) / 0.4 = 2.5 yuan
        assert outcome.gaps[0].amount == Decimal("2.50")


@pytest.mark.parametrize(
    ("class1", "class2", "points"),
    [(1, 0, "7–8"), (0, 5, "5–6"), (0, 4, "3–4"), (0, 3, "3–4"), (0, 2, "1–2"), (0, 1, "1–2"), (0, 0, "0")],
)
def test_hnte_ip_quantity_sub_score(class1, class2, points):
    firm = firm_with({2024: {"ip_class1": class1, "ip_class2": class2}})
    result = evaluate(firm, "HNTE")
    outcome = criterion(result, "ip_quantity_score").outcome
    assert outcome.value == points
    assert criterion(result, "ip_quantity_score").criterion.indicator


@pytest.mark.parametrize(
    ("growth", "points"),
    [("0.35", "18–20"), ("0.3499", "14–16"), ("0.25", "14–16"), ("0.15", "10–12"), ("0.05", "6–8"),
     ("0.0001", "2–4"), ("0", "0")],
)  # fmt: skip
def test_hnte_growth_sub_score_bands(growth, points):
    """Both net assets and sales grow at `growth` a year: g = ½ (Y2/Y1 + Y3/Y2) − 1 = growth."""
    rate = 1 + Decimal(growth)
    figures = {}
    for n, year in enumerate((2022, 2023, 2024)):
        value = (Decimal(10 * M) * rate**n).quantize(CENT)
        figures[year] = {"sales_revenue": value, "total_assets": value * 2, "total_liabilities": value}
    outcome = criterion(evaluate(firm_with(figures), "HNTE"), "growth_score").outcome
    assert outcome.value == points


def test_hnte_growth_scores_zero_under_three_years_of_operation():
    firm = firm_with(registration_date=dt.date(2023, 5, 1))
    assert criterion(evaluate(firm, "HNTE"), "growth_score").outcome.value == "0"


def test_hnte_firm_meeting_everything_is_eligible_with_manual_criteria_left():
    result = evaluate(firm_with(hnte_ready(2024)), "HNTE")
    assert result.verdict == "eligible"
    assert {c.code for c in result.manual_to_check()} == {"core_ip", "tech_field", "innovation_score", "compliance"}


# ------------------------------------------------------------------------------------------------ TSME


def tsme_figures(**overrides) -> dict[int, dict]:
    """Passes by score alone: staff 30 % (20) + R&D 6 % of sales (50) + a class-I IP (30) = 100."""
    values = {
        "staff_total": 100,
        "st_staff": 30,
        "sales_revenue": 10 * M,
        "rd_expense": 600_000,
        "total_costs": 9 * M,
        "total_assets": 10 * M,
        "ip_class1": 1,
        "ip_class2": 0,
    }
    return {2024: values | overrides}


@pytest.mark.parametrize(
    ("field", "value", "code", "expected"),
    [
        ("staff_total", 500, "staff_cap", "met"),
        ("staff_total", 501, "staff_cap", "not_met"),
        ("sales_revenue", Decimal(200 * M), "sales_cap", "met"),
        ("sales_revenue", Decimal(200 * M) + CENT, "sales_cap", "not_met"),
        ("total_assets", Decimal(200 * M), "assets_cap", "met"),
        ("total_assets", Decimal(200 * M) + CENT, "assets_cap", "not_met"),
    ],
)
@pytest.mark.parametrize("year", [2024, 2025])
def test_tsme_size_caps_inclusive(field, value, code, expected, year):
    firm = firm_with({year: tsme_figures(**{field: value})[2024]})
    result = evaluate(firm, "TSME", year)
    assert result.rule_set is not None and result.rule_set.code == ("TSME-2017" if year == 2024 else "TSME-2025")
    assert criterion(result, code).outcome.status == expected


@pytest.mark.parametrize(
    ("rd", "expected", "total"),
    [(500_000, "met", 60), (499_999, "not_met", 50)],
)
def test_tsme_score_sixty_inclusive(rd, expected, total):
    """Staff 30 % (20) + R&D 5 % of sales (40) + no IP = 60; one yuan less R&D drops to 30 points."""
    firm = firm_with(tsme_figures(rd_expense=rd, ip_class1=0, total_costs=100 * M))
    outcome = criterion(evaluate(firm, "TSME"), "score").outcome
    assert outcome.status == expected
    assert outcome.value == total
    if expected == "not_met":
        texts = [g.text()[1] for g in outcome.gaps]
        assert "+¥1 R&D (+10 points)" in texts


@pytest.mark.parametrize(("st_staff", "expected"), [(10, "met"), (9, "not_met")])
def test_tsme_staff_sub_score_must_not_be_zero(st_staff, expected):
    """R&D 6 % (50) + class-I IP (30) = 80 ≥ 60, yet a staff share under 10 % scores 0 and fails."""
    firm = firm_with(tsme_figures(st_staff=st_staff))
    assert status(firm, "TSME", "score") == expected


def test_tsme_better_of_the_two_rd_measures_counts():
    """R&D 1 % of sales (0) but 30 % of costs (50)."""
    firm = firm_with(tsme_figures(sales_revenue=60 * M, total_costs=2 * M, rd_expense=600_000, ip_class1=0))
    outcome = criterion(evaluate(firm, "TSME"), "score").outcome
    assert outcome.value == 70  # 20 + 50


@pytest.mark.parametrize(
    ("ratio", "points"),
    [("0.30", 20), ("0.2999", 16), ("0.25", 16), ("0.20", 12), ("0.15", 8), ("0.10", 4), ("0.0999", 0)],
)
def test_tsme_staff_share_bands(ratio, points):
    firm = firm_with(tsme_figures(staff_total=10_000, st_staff=int(Decimal(ratio) * 10_000)))
    details = criterion(evaluate(firm, "TSME"), "score").outcome.details
    assert details is not None
    assert next(i for i in details["items"] if i["key"] == "staff")["points"] == points


@pytest.mark.parametrize(("class2", "points"), [(4, 24), (3, 18), (2, 12), (1, 6), (0, 0)])
def test_tsme_ip_bands(class2, points):
    firm = firm_with(tsme_figures(ip_class1=0, ip_class2=class2))
    details = criterion(evaluate(firm, "TSME"), "score").outcome.details
    assert details is not None
    assert next(i for i in details["items"] if i["key"] == "ip")["points"] == points


def test_tsme_valid_hnte_is_a_direct_route():
    firm = firm_with(tsme_figures(st_staff=1, rd_expense=0, ip_class1=0), held=("HNTE",))
    result = evaluate(firm, "TSME")
    assert criterion(result, "score").outcome.status == "not_met"
    assert result.verdict == "eligible"
