"""ISME-2022, SRDI-2022 and LITTLE_GIANT-2022: both sides of every numeric threshold (domain-rules §3)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.rules.factories import M, criterion, evaluate, firm_with, status

pytestmark = pytest.mark.django_db

CENT = Decimal("0.01")


# ------------------------------------------------------------------------------------------------ ISME


def isme(**overrides) -> dict[int, dict]:
    """Exactly 60 with every group at or above its minimum:
    innovation = class-II IP (5) + R&D 3 % (15) = 20; growth = +5 % (10) + debt 60 % (5) = 15;
    specialisation = other field (5) + main business 70 % (20) = 25."""
    latest = {
        "operating_revenue": 150 * M,
        "main_business_revenue": 105 * M,
        "rd_expense": 4_500_000,
        "total_assets": 100 * M,
        "total_liabilities": 60 * M,
        "ip_class1": 0,
        "ip_class2": 1,
        "ip_class1_high_value": 0,
        "equity_financing": 0,
    }
    before = {"main_business_revenue": 100 * M, "equity_financing": 0}
    return {2022: {"equity_financing": 0}, 2023: before, 2024: latest | overrides}


def isme_score(firm) -> tuple[str, dict]:
    outcome = criterion(evaluate(firm, "ISME"), "score").outcome
    assert outcome.details is not None
    return outcome.status, {i["key"]: i["points"] for i in outcome.details["items"]}


def test_isme_sixty_with_every_group_minimum_passes():
    state, points = isme_score(firm_with(isme()))
    assert state == "met"
    assert points == {"ip": 5, "rd": 15, "growth": 10, "debt": 5, "field": 5, "share": 20}


def test_isme_one_yuan_less_rd_drops_innovation_below_twenty():
    state, points = isme_score(firm_with(isme(rd_expense=4_499_999)))
    assert points["rd"] == 10
    assert state == "not_met"


def test_isme_group_minimum_fails_even_when_the_total_passes():
    """High-value class-I IP (20) + R&D 5 % (20) + tag (10) + share 66.7 % (15) = 65,
    but growth 0 + debt 80 % 0 < 15."""
    firm = firm_with(
        isme(
            ip_class1=1,
            ip_class1_high_value=1,
            rd_expense=7_500_000,
            total_liabilities=80 * M,
            main_business_revenue=100 * M - 1,
        ),
        tags=["战略性新兴产业"],
    )
    state, points = isme_score(firm)
    assert points == {"ip": 20, "rd": 20, "growth": 0, "debt": 0, "field": 10, "share": 15}
    assert state == "not_met"


@pytest.mark.parametrize(
    ("liabilities", "points"),
    [(Decimal(55 * M) - CENT, 10), (Decimal(55 * M), 5), (Decimal(75 * M), 5), (Decimal(75 * M) + CENT, 0)],
)
def test_isme_debt_ratio_bands(liabilities, points):
    assert isme_score(firm_with(isme(total_liabilities=liabilities)))[1]["debt"] == points


@pytest.mark.parametrize(
    ("rd", "points"), [(7_500_000, 20), (7_499_999, 15), (3 * M, 10), (1_500_000, 5), (1_499_999, 0)]
)
def test_isme_rd_ratio_bands(rd, points):
    assert isme_score(firm_with(isme(rd_expense=rd)))[1]["rd"] == points


@pytest.mark.parametrize(
    ("main", "points"), [(70 * M, 20), (70 * M - 1, 15), (60 * M, 15), (55 * M, 10), (50 * M, 5), (50 * M - 1, 0)]
)
def test_isme_main_business_share_bands(main, points):
    figures = isme(main_business_revenue=main, operating_revenue=100 * M)
    assert isme_score(firm_with(figures))[1]["share"] == points


@pytest.mark.parametrize(("growth", "points"), [("0.15", 20), ("0.10", 15), ("0.05", 10), ("0", 5), ("-0.0001", 0)])
def test_isme_growth_bands(growth, points):
    figures = isme(main_business_revenue=Decimal(100 * M) * (1 + Decimal(growth)))
    assert isme_score(firm_with(figures))[1]["growth"] == points


@pytest.mark.parametrize(("equity", "expected"), [(5 * M, "met"), (5 * M - 1, "not_met")])
def test_isme_equity_direct_route_five_million_over_three_years(equity, expected):
    figures = isme()
    figures[2022]["equity_financing"] = equity
    assert status(firm_with(figures), "ISME", "equity_direct") == expected


def test_isme_valid_hnte_passes_without_the_score():
    result = evaluate(firm_with(isme(rd_expense=0), held=("HNTE",)), "ISME")
    assert criterion(result, "score").outcome.status == "not_met"
    assert result.verdict == "eligible"


# ------------------------------------------------------------------------------------------------ SRDI


@pytest.mark.parametrize(("registered", "expected"), [(dt.date(2022, 12, 31), "met"), (dt.date(2023, 1, 1), "not_met")])
def test_srdi_two_years_estimated_from_registration(registered, expected):
    assert status(firm_with(registration_date=registered), "SRDI", "niche_years") == expected


@pytest.mark.parametrize(("rd", "expected"), [(1 * M, "met"), (Decimal(M) - CENT, "not_met")])
def test_srdi_rd_at_least_one_million(rd, expected):
    assert status(firm_with({2024: {"rd_expense": rd}}), "SRDI", "rd_amount") == expected


@pytest.mark.parametrize(("rd", "expected"), [(300_000, "met"), (299_999, "not_met")])
def test_srdi_rd_ratio_at_least_three_percent(rd, expected):
    firm = firm_with({2024: {"rd_expense": rd, "operating_revenue": 10 * M}})
    assert status(firm, "SRDI", "rd_ratio") == expected


@pytest.mark.parametrize(
    ("revenue", "equity", "expected"),
    [
        (10 * M, 0, "met"),
        (Decimal(10 * M) - CENT, 0, "not_met"),
        (Decimal(10 * M) - CENT, 20 * M, "met"),  # the equity route
        (Decimal(10 * M) - CENT, Decimal(20 * M) - CENT, "not_met"),
    ],
)
def test_srdi_revenue_or_equity_route(revenue, equity, expected):
    firm = firm_with(
        {
            2023: {"equity_financing": equity},
            2024: {"operating_revenue": revenue, "equity_financing": 0, "rd_expense": 2 * M},
        }
    )
    result = evaluate(firm, "SRDI")
    scale = next(r for r in result.requirements if r.key == "scale")
    assert scale.status == expected


def test_srdi_niche_and_score_stay_manual():
    result = evaluate(firm_with(), "SRDI")
    assert {"niche_confirmed", "score"} <= {c.code for c in result.manual_to_check()}


# ------------------------------------------------------------------------------------------------ 小巨人


def giant(**latest) -> dict[int, dict]:
    """Revenue 150M; main business 100M → 105M → 110.25M (+5 % twice); R&D 3 % each year; debt 70 %; 2 class-I IP."""
    years = {}
    for year, main in ((2022, 100 * M), (2023, 105 * M), (2024, 110_250_000)):
        years[year] = {
            "operating_revenue": 150 * M,
            "main_business_revenue": main,
            "rd_expense": 4_500_000,
            "total_assets": 100 * M,
            "total_liabilities": 70 * M,
            "ip_class1": 2,
            "equity_financing": 0,
            "staff_total": 100,
            "rd_staff": 20,
        }
    years[2024] |= latest
    return years


def test_little_giant_all_computed_criteria_met_at_their_boundaries():
    result = evaluate(firm_with(giant()), "LITTLE_GIANT")
    assert {r.criterion.code: r.outcome.status for r in result.results if r.compiled.decides} == {
        "niche_years": "met",
        "main_business_share": "met",
        "main_business_growth": "met",
        "debt_ratio": "met",
        "rd_by_band": "met",
        "ip_class1": "met",
    }
    assert result.verdict == "eligible"


@pytest.mark.parametrize(("registered", "expected"), [(dt.date(2021, 12, 31), "met"), (dt.date(2022, 1, 1), "not_met")])
def test_little_giant_three_years(registered, expected):
    assert status(firm_with(registration_date=registered), "LITTLE_GIANT", "niche_years") == expected


@pytest.mark.parametrize(("main", "expected"), [(70 * M, "met"), (Decimal(70 * M) - CENT, "not_met")])
def test_little_giant_main_business_share_seventy_percent(main, expected):
    figures = giant(main_business_revenue=main, operating_revenue=100 * M)
    assert status(firm_with(figures), "LITTLE_GIANT", "main_business_share") == expected


def test_little_giant_two_year_average_growth_five_percent():
    met = giant()
    assert status(firm_with(met), "LITTLE_GIANT", "main_business_growth") == "met"
    short = giant(main_business_revenue=met[2024]["main_business_revenue"] - Decimal(1000))
    outcome = criterion(evaluate(firm_with(short), "LITTLE_GIANT"), "main_business_growth").outcome
    assert outcome.status == "not_met"
    assert outcome.gaps[0].field == "main_business_revenue"
    assert Decimal(999) <= outcome.gaps[0].amount <= Decimal(1001)


@pytest.mark.parametrize(("liabilities", "expected"), [(70 * M, "met"), (Decimal(70 * M) + CENT, "not_met")])
def test_little_giant_debt_ratio_at_most_seventy_percent(liabilities, expected):
    assert status(firm_with(giant(total_liabilities=liabilities)), "LITTLE_GIANT", "debt_ratio") == expected


@pytest.mark.parametrize(
    ("revenue", "rd", "expected"),
    [
        (100 * M, 3 * M, "met"),  # ≥ 1亿: 3 % each year
        (100 * M, Decimal(3 * M) - CENT, "not_met"),
        (Decimal(100 * M) - CENT, 3 * M, "not_met"),  # just below 1亿: the 6 % band
        (Decimal(100 * M) - CENT, 6 * M, "met"),
        (50 * M, 3 * M, "met"),  # 5000万 (含) is the 6 % band: 3M is 6 %
        (50 * M, Decimal(3 * M) - CENT, "not_met"),
    ],
)
def test_little_giant_rd_by_revenue_band(revenue, rd, expected):
    figures = giant(operating_revenue=revenue, rd_expense=rd)
    figures[2023]["rd_expense"] = 9 * M  # 6 % of 150M: the other year never decides here
    assert status(firm_with(figures), "LITTLE_GIANT", "rd_by_band") == expected


def test_little_giant_rd_must_hold_in_each_of_two_years():
    figures = giant()
    figures[2023]["rd_expense"] = 4_499_999
    outcome = criterion(evaluate(firm_with(figures), "LITTLE_GIANT"), "rd_by_band").outcome
    assert outcome.status == "not_met"
    assert [g.fiscal_year for g in outcome.gaps] == [2023]


@pytest.mark.parametrize(
    ("equity", "rd_total", "rd_staff", "expected"),
    [
        (80 * M, 30 * M, 50, "met"),
        (Decimal(80 * M) - CENT, 30 * M, 50, "not_met"),
        (80 * M, Decimal(30 * M) - CENT, 50, "not_met"),
        (80 * M, 30 * M, 49, "not_met"),
    ],
)
def test_little_giant_small_firm_route(equity, rd_total, rd_staff, expected):
    """Revenue under 5000万: equity ≥ 8000万 and R&D ≥ 3000万 over 2 years, R&D staff ≥ 50 %."""
    figures = giant(operating_revenue=40 * M, main_business_revenue=30 * M, equity_financing=equity,
                    rd_expense=rd_total, rd_staff=rd_staff)  # fmt: skip
    figures[2023]["rd_expense"] = 0
    assert status(firm_with(figures), "LITTLE_GIANT", "rd_by_band") == expected


@pytest.mark.parametrize(("ip", "expected"), [(2, "met"), (1, "not_met")])
def test_little_giant_two_class_one_ip(ip, expected):
    assert status(firm_with(giant(ip_class1=ip)), "LITTLE_GIANT", "ip_class1") == expected
