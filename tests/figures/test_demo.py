"""The demo figures: idempotent, consistent with the rules, and shaped for the park's 2022 highlights."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Sum

from apps.figures.demo import demo_plan, seed_figures
from apps.figures.models import AnnualFigures, MonthlyFigures
from apps.figures.selectors import verified_annual_figures, verified_monthly_figures
from apps.registry.demo import seed_registry
from apps.registry.models import Firm

pytestmark = pytest.mark.django_db


def output_sum(names: list[str], year: int) -> Decimal:
    rows = verified_annual_figures(firms=Firm.objects.filter(name__in=names), fiscal_year=year)
    return rows.aggregate(total=Sum("output_value"))["total"]


def test_demo_figures_load_once_and_tell_the_highlights_story():
    seed_registry()
    first = seed_figures()
    assert first["created"] > 1000
    again = seed_figures()
    assert again["created"] == 0
    assert (again["annual"], again["monthly"]) == (first["annual"], first["monthly"])

    firms_with_figures = AnnualFigures.objects.values("firm").distinct().count()
    assert 120 <= firms_with_figures < 150
    assert set(AnnualFigures.objects.values_list("fiscal_year", flat=True)) == {2021, 2022, 2023}
    proposals = AnnualFigures.objects.filter(state="proposed")
    assert 3 <= proposals.count() <= 10
    assert proposals.filter(firm__name="威马农机股份有限公司", submitted_by__username="enterprise").exists()
    assert not verified_annual_figures(firms=[p.firm_id for p in proposals], fiscal_year=2023).exists()

    plan = demo_plan()
    assert len(plan["digital_above"]) == 16 and len(plan["strategic"]) == 26
    assert output_sum(plan["digital_above"], 2022) == Decimal("6890000000.00")
    growth = output_sum(plan["digital_above"], 2022) / output_sum(plan["digital_above"], 2021) - 1
    assert round(growth * 100, 1) == Decimal("8.0")
    assert output_sum(plan["strategic"], 2022) == Decimal("11260000000.00")
    growth = output_sum(plan["strategic"], 2022) / output_sum(plan["strategic"], 2021) - 1
    assert round(growth * 100, 1) == Decimal("13.2")

    # Month by month, three small manufacturers cross the 20 million threshold during 2022.
    threshold = Decimal(20_000_000)
    crossing = set()
    for name in plan["monthly_upgrades"]:
        ytd = verified_monthly_figures(firms=Firm.objects.filter(name=name), year=2022)
        assert ytd.count() == 12
        assert ytd.get(month=1).main_business_revenue_ytd < threshold <= ytd.get(month=12).main_business_revenue_ytd
        before = verified_annual_figures(firms=Firm.objects.filter(name=name), fiscal_year=2021).get()
        assert before.main_business_revenue < threshold
        crossing.add(name)
    assert len(crossing) == 3
    # December's year-to-date figures equal the year's.
    december = MonthlyFigures.objects.filter(year=2022, month=12).select_related("firm").first()
    assert december is not None
    annual = verified_annual_figures(firms=[december.firm_id], fiscal_year=2022).get()
    assert december.main_business_revenue_ytd == annual.main_business_revenue

    # Every demo value obeys the same rules the API enforces.
    from apps.figures.services import value_errors

    for row in AnnualFigures.objects.all():
        assert value_errors(AnnualFigures, row.values()) == {}, row
