"""ABOVE_SIZE-2011, LISTING_RESERVE-CQ-2022 and GAZELLE-CQ-2023: both sides of every numeric threshold."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from apps.registry.uscc import make
from tests.factories import uscc_for
from tests.rules.factories import M, criterion, evaluate, firm_with, status

pytestmark = pytest.mark.django_db

CENT = Decimal("0.01")


# ------------------------------------------------------------------------------------------------ 四上


@pytest.mark.parametrize(
    ("industry", "field", "threshold"),
    [
        ("B0610", "main_business_revenue", 20 * M),  # mining
        ("C3670", "main_business_revenue", 20 * M),  # manufacturing
        ("D4411", "main_business_revenue", 20 * M),  # utilities
        ("F5111", "main_business_revenue", 20 * M),  # wholesale
        ("F5211", "main_business_revenue", 5 * M),  # retail
        ("H6110", "main_business_revenue", 2 * M),  # accommodation
        ("H6210", "main_business_revenue", 2 * M),  # catering
        ("G5411", "operating_revenue", 20 * M),  # services tier A
        ("I6513", "operating_revenue", 20 * M),
        ("N7711", "operating_revenue", 20 * M),
        ("Q8411", "operating_revenue", 20 * M),  # division 84 health
        ("L7211", "operating_revenue", 10 * M),  # tier B
        ("M7310", "operating_revenue", 10 * M),
        ("P8310", "operating_revenue", 10 * M),
        ("K7020", "operating_revenue", 10 * M),  # property management
        ("O8010", "operating_revenue", 5 * M),  # tier C
        ("R8710", "operating_revenue", 5 * M),
        ("Q8511", "operating_revenue", 5 * M),  # division 85 social work
    ],
)
@pytest.mark.parametrize("below", [False, True])
def test_above_size_threshold_by_industry(industry, field, threshold, below):
    value = Decimal(threshold) - (CENT if below else 0)
    firm = firm_with({2024: {field: value}}, industry_id=industry)
    outcome = criterion(evaluate(firm, "ABOVE_SIZE"), "threshold").outcome
    assert outcome.status == ("not_met" if below else "met")
    assert outcome.required == threshold
    if below:
        assert outcome.gaps[0].amount == CENT and outcome.gaps[0].field == field


def test_real_estate_development_is_always_in_and_construction_is_by_qualification():
    assert status(firm_with(industry_id="K7010"), "ABOVE_SIZE", "threshold") == "met"
    builder = evaluate(firm_with({2024: {"main_business_revenue": 900 * M}}, industry_id="E4710"), "ABOVE_SIZE")
    assert criterion(builder, "threshold").outcome.status == "manual"
    assert "threshold" in {c.code for c in builder.manual_to_check()}
    assert builder.verdict == "manual"


def test_industries_outside_the_four_categories_never_qualify():
    outcome = criterion(evaluate(firm_with(industry_id="A0111"), "ABOVE_SIZE"), "threshold").outcome
    assert outcome.status == "not_met"


def test_no_industry_code_is_unknown():
    assert status(firm_with(industry_id=None), "ABOVE_SIZE", "threshold") == "unknown"


# ------------------------------------------------------------------------------------------------ 上市后备


@pytest.mark.parametrize(("registered", "expected"), [(dt.date(2022, 12, 31), "met"), (dt.date(2023, 1, 1), "not_met")])
def test_listing_reserve_two_years_registered(registered, expected):
    assert status(firm_with(registration_date=registered), "LISTING_RESERVE", "registered_years") == expected


def test_listing_reserve_registered_in_chongqing_from_the_uscc():
    assert status(firm_with(), "LISTING_RESERVE", "chongqing") == "met"  # 91500116…
    beijing = firm_with(uscc=make("911101" + uscc_for(9_999)[6:16]))
    assert status(beijing, "LISTING_RESERVE", "chongqing") == "not_met"


@pytest.mark.parametrize(
    ("profit", "revenues", "expected"),
    [
        (3 * M, (0, 0), "met"),
        (Decimal(3 * M) - CENT, (0, 0), "not_met"),
        (0, (30 * M, 30 * M), "met"),  # the average-revenue route
        (0, (30 * M, Decimal(30 * M) - CENT), "not_met"),
        (-5 * M, (20 * M, 40 * M), "met"),
    ],
)
def test_listing_reserve_profit_or_average_revenue(profit, revenues, expected):
    firm = firm_with(
        {
            2023: {"operating_revenue": revenues[0]},
            2024: {"operating_revenue": revenues[1], "net_profit_recurring": profit},
        }
    )
    result = evaluate(firm, "LISTING_RESERVE")
    financials = next(r for r in result.requirements if r.key == "financials")
    assert financials.status == expected


def test_listing_reserve_rules_start_with_the_2022_notice():
    result = evaluate(firm_with(), "LISTING_RESERVE", 2021)
    assert result.verdict == "no_rule_set"


# ------------------------------------------------------------------------------------------------ 瞪羚


@pytest.mark.parametrize(("last", "expected"), [(13_225_000, "met"), (Decimal(13_225_000) - CENT, "not_met")])
def test_gazelle_three_year_cagr_fifteen_percent(last, expected):
    """10M → 13.225M over two intervals is exactly 15 % a year."""
    firm = firm_with({2022: {"operating_revenue": 10 * M}, 2024: {"operating_revenue": last}})
    outcome = criterion(evaluate(firm, "GAZELLE"), "revenue_cagr").outcome
    assert outcome.status == expected
    if expected == "not_met":
        assert outcome.gaps[0].amount == CENT


@pytest.mark.parametrize(("revenue", "expected"), [(10 * M, "met"), (Decimal(10 * M) - CENT, "not_met")])
def test_gazelle_revenue_ten_million(revenue, expected):
    assert status(firm_with({2024: {"operating_revenue": revenue}}), "GAZELLE", "revenue") == expected


def test_gazelle_list_runs_2023_to_2027():
    assert evaluate(firm_with(), "GAZELLE", 2022).verdict == "no_rule_set"
    result = evaluate(firm_with(), "GAZELLE", 2027)
    assert result.rule_set is not None and result.rule_set.code == "GAZELLE-CQ-2023"
