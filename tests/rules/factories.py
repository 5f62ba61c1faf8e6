"""Scenes for rule tests: firms with VERIFIED figures (every value not given stays empty), titles held."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from apps.figures.models import AnnualFigures, FigureSource, FigureState
from apps.rules.evaluation import CriterionResult, ProgrammeResult, evaluate_firms
from tests.factories import FirmFactory
from tests.programmes.factories import CertificationFactory, programme

M = 1_000_000


def verified(firm: Any, year: int, state: str = FigureState.VERIFIED, **values: Any) -> AnnualFigures:
    """One version of a firm's figures for a year; money in yuan (ints are fine), counts as ints."""
    version = AnnualFigures.objects.filter(firm=firm, fiscal_year=year).count() + 1
    clean = {k: Decimal(str(v)) if isinstance(v, (int, float)) and k not in COUNTS else v for k, v in values.items()}
    return AnnualFigures.objects.create(
        firm=firm,
        fiscal_year=year,
        version=version,
        state=state,
        source=FigureSource.STAFF if state == FigureState.VERIFIED else FigureSource.ENTERPRISE,
        reviewed_at=timezone.now() if state == FigureState.VERIFIED else None,
        **clean,
    )


COUNTS = (
    "staff_total",
    "st_staff",
    "rd_staff",
    "ip_class1",
    "ip_class2",
    "ip_class1_high_value",
    "st_results_converted",
)


def firm_with(figures: dict[int, dict[str, Any]] | None = None, *, held: tuple[str, ...] = (), **firm: Any) -> Any:
    """A firm (registered 2015, manufacturing unless told) with verified figures per year and titles held."""
    made = FirmFactory(**firm)
    for year, values in (figures or {}).items():
        verified(made, year, **values)
    for code in held:
        CertificationFactory(firm=made, programme=programme(code), certificate_date=dt.date(2023, 12, 1))
    return made


def evaluate(firm: Any, code: str, year: int = 2024, on: dt.date | None = None) -> ProgrammeResult:
    return evaluate_firms([firm.pk], year, programme_codes=[code], on=on)[firm.pk].programme(code)


def criterion(result: ProgrammeResult, code: str) -> CriterionResult:
    return next(r for r in result.results if r.criterion.code == code)


def status(firm: Any, programme_code: str, criterion_code: str, year: int = 2024, on: dt.date | None = None) -> str:
    return criterion(evaluate(firm, programme_code, year, on), criterion_code).outcome.status


def hnte_ready(year: int = 2024, revenue: int = 100 * M) -> dict[int, dict[str, Any]]:
    """Three years of figures that meet every computed HNTE criterion (R&D 5 % of sales, 20 % S&T staff …)."""
    return {
        y: {
            "operating_revenue": revenue,
            "sales_revenue": revenue,
            "main_business_revenue": revenue * 9 // 10,
            "high_tech_revenue": revenue * 7 // 10,
            "rd_expense": revenue // 20,
            "rd_expense_domestic": revenue // 20,
            "total_costs": revenue * 9 // 10,
            "total_assets": revenue,
            "total_liabilities": revenue // 2,
            "staff_total": 200,
            "st_staff": 40,
            "rd_staff": 30,
            "ip_class1": 2,
            "ip_class2": 6,
            "ip_class1_high_value": 1,
            "equity_financing": 0,
            "net_profit": revenue // 10,
            "net_profit_recurring": revenue // 10,
        }
        for y in (year - 2, year - 1, year)
    }
