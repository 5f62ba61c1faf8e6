"""Demo figures for the demo park: three verified fiscal years, a few open proposals, 2022 monthly figures.

Deterministic (every firm's numbers come from a generator seeded by its USCC) and idempotent (a
firm and period that already has any version is left alone), so running it again changes nothing.

The park's 2022 highlights drive two tag groups, which the report computes from these output values
(工业总产值) over firms that carry the tag, are in industry section C, are in the park on 31 Dec and
hold ABOVE_SIZE:
- 数字经济: 16 firms, 6.89 billion yuan in 2022, +8 % on 2021;
- 战略性新兴产业: 26 firms, 11.26 billion yuan in 2022, +13.2 % on 2021.
`demo_plan()` names the firms meant to be above-size in each group (and the firms below the size
threshold, whose revenue stays under 20 million in every year), plus three small manufacturers
whose year-to-date revenue crosses 20 million during 2022 (the seed's "月度升规 3 户"). The seeding
of ABOVE_SIZE certifications has to agree with that plan for the highlights to come out exactly.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.core import audit
from apps.figures.models import AnnualFigures, FigureSource, FigureState, MonthlyFigures
from apps.registry.demo import firm_specs
from apps.registry.models import Firm

YEARS = (2021, 2022, 2023)
MONTHLY_YEAR = 2022
MILLION = 1_000_000
ABOVE_SIZE_REVENUE = 20 * MILLION  # industry threshold on main-business revenue; only used to shape the demo

# The 2022 highlights (亿元 → yuan) and the year-on-year growth they state.
# tag: (firms, output value 2022 in yuan, growth on 2021)
GROUP_TARGETS = {
    "数字经济": (16, 6_890_000_000, 0.08),
    "战略性新兴产业": (26, 11_260_000_000, 0.132),
}
MONTHLY_UPGRADES = 3

# Demo firms whose size the story fixes (2022 output value for manufacturers, operating revenue otherwise).
NAMED_SIZE = {
    "玖龙纸业（重庆）有限公司": 4_600 * MILLION,
    "威马农机股份有限公司": 1_350 * MILLION,
    "杜拉维特（中国）洁具有限公司重庆分公司": 900 * MILLION,
    "重庆金睿诚科技有限公司": 60 * MILLION,
    "天津迪普北方汽车贸易有限公司重庆分公司": 350 * MILLION,
}
# Relative weights inside a tag group (1.0 is a typical member).
NAMED_WEIGHT = {"重庆金田铜业有限公司": 9.0, "顾家家居（重庆）有限公司": 3.0, "重庆露珠生物科技有限公司": 1.5}

# The demo enterprise login's firm shows a rejected proposal and a second one waiting.
ENTERPRISE_FIRM = "威马农机股份有限公司"
PENDING_PROPOSALS = 5  # other firms whose 2023 figures still wait for staff

# Share of a year's revenue earned in each month (Spring Festival dip in February).
SEASON = (0.065, 0.050, 0.085, 0.082, 0.084, 0.088, 0.083, 0.084, 0.089, 0.086, 0.090, 0.114)


def _in_park(spec: dict[str, Any], day: dt.date) -> bool:
    left = spec.get("left")
    return spec["entered_park_on"] <= day and not (left and left[0] <= day)


def _years_of(spec: dict[str, Any]) -> list[int]:
    """Fiscal years a firm reports: from its registration, until the year before it left the park."""
    left = spec.get("left")
    last = left[0].year - 1 if left else YEARS[-1]
    return [y for y in YEARS if spec["registration_date"].year <= y <= last]


def _rng(spec: dict[str, Any], purpose: str) -> random.Random:
    return random.Random(f"{spec['uscc']}-{purpose}")


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def _round_k(value: float) -> int:
    """Whole thousands of yuan, as statistics tables carry them."""
    return round(value / 1000.0) * 1000


def _scale_to(values: dict[str, float], total: int) -> dict[str, int]:
    """Scale to a total, rounded to thousands, with the remainder on the largest so the sum is exact."""
    factor = total / sum(values.values())
    scaled = {name: _round_k(v * factor) for name, v in values.items()}
    largest = max(scaled, key=lambda name: scaled[name])
    scaled[largest] += total - sum(scaled.values())
    return scaled


@cache
def demo_plan() -> dict[str, Any]:
    """Who is meant to be what in the demo story (names), and the size of every firm's output/revenue per year."""
    specs = firm_specs()
    year_end = dt.date(2022, 12, 31)
    manufacturers = [s for s in specs if s["industry"].startswith("C")]

    def group(tag: str) -> list[dict[str, Any]]:
        return [s for s in manufacturers if tag in s["tags"] and _in_park(s, year_end)]

    digital, strategic = group("数字经济"), group("战略性新兴产业")
    strategic_names = {s["name"] for s in strategic}
    overlap = [s for s in digital if s["name"] in strategic_names]
    digital_only = [s for s in digital if s["name"] not in strategic_names]
    wanted = GROUP_TARGETS["数字经济"][0] - len(overlap)
    digital_above = overlap + digital_only[:wanted]
    digital_small = digital_only[wanted:]

    size: dict[str, dict[int, int]] = {}

    def weights(members: Iterable[dict[str, Any]]) -> dict[str, float]:
        return {
            s["name"]: NAMED_WEIGHT.get(s["name"], 0.35 + _rng(s, "weight").lognormvariate(0, 0.6)) for s in members
        }

    def growth(spec: dict[str, Any], year: int) -> float:
        return _rng(spec, f"growth-{year}").uniform(-0.04, 0.22)

    def targets(tag: str) -> tuple[int, int]:
        _, output_2022, growth_rate = GROUP_TARGETS[tag]
        return output_2022, _round_k(output_2022 / (1 + growth_rate))

    # Strategic emerging group first: its totals fix the four firms it shares with the digital group.
    se_2022, se_2021 = targets("战略性新兴产业")
    w = weights(strategic)
    out22 = _scale_to(w, se_2022)
    out21 = _scale_to({s["name"]: out22[s["name"]] / (1 + growth(s, 2022)) for s in strategic}, se_2021)
    for s in strategic:
        size[s["name"]] = {2021: out21[s["name"]], 2022: out22[s["name"]]}

    de_2022, de_2021 = targets("数字经济")
    fixed22 = sum(size[s["name"]][2022] for s in overlap)
    fixed21 = sum(size[s["name"]][2021] for s in overlap)
    rest = [s for s in digital_above if s["name"] not in strategic_names]
    out22 = _scale_to(weights(rest), de_2022 - fixed22)
    out21 = _scale_to({s["name"]: out22[s["name"]] / (1 + growth(s, 2022)) for s in rest}, de_2021 - fixed21)
    for s in rest:
        size[s["name"]] = {2021: out21[s["name"]], 2022: out22[s["name"]]}

    # Three small manufacturers grow past the threshold during 2022 (月度升规).
    grouped = {s["name"] for s in digital + strategic}
    upgraders = [
        s
        for s in manufacturers
        if s["name"] not in grouped and s["name"] not in NAMED_SIZE and not s["tags"] and _years_of(s) == list(YEARS)
    ][:MONTHLY_UPGRADES]
    for s in upgraders:
        r = _rng(s, "upgrade")
        size[s["name"]] = {2021: _round_k(r.uniform(13, 17) * MILLION), 2022: _round_k(r.uniform(27, 31) * MILLION)}

    # Everyone else: manufacturers by output value, other firms by revenue, never straddling the threshold.
    small = {s["name"] for s in digital_small}
    for s in specs:
        r = _rng(s, "size")
        name = s["name"]
        if name not in size:
            if name in NAMED_SIZE:
                base = float(NAMED_SIZE[name])
            elif name in small or r.random() < 0.25:
                small.add(name)
                base = r.uniform(6, 14) * MILLION
            elif s["industry"].startswith("C"):
                base = _log_uniform(r, 45 * MILLION, 1_500 * MILLION)
            else:
                base = _log_uniform(r, 30 * MILLION, 800 * MILLION)
            low, high = (-0.04, 0.08) if name in small else (-0.04, 0.22)
            size[name] = {
                2021: _round_k(base / (1 + _rng(s, "growth-2022").uniform(low, high))),
                2022: _round_k(base),
            }
        low, high = (-0.04, 0.08) if name in small else (-0.04, 0.18)
        size[name][2023] = _round_k(size[name][2022] * (1 + _rng(s, "growth-2023").uniform(low, high)))

    return {
        "digital_above": [s["name"] for s in digital_above],
        "digital_small": [s["name"] for s in digital_small],
        "strategic": [s["name"] for s in strategic],
        "monthly_upgrades": [s["name"] for s in upgraders],
        "below_threshold": sorted(small),
        "size": size,
    }


def _money(value: float) -> Decimal:
    return Decimal(_round_k(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def annual_values(spec: dict[str, Any], year: int) -> dict[str, Any]:
    """A plausible set of annual figures for a demo firm and year."""
    plan = demo_plan()
    r = _rng(spec, f"annual-{year}")
    fixed = _rng(spec, "traits")  # the same every year: how the firm is built
    manufacturer = spec["industry"].startswith("C")
    amount = plan["size"][spec["name"]][year]
    if manufacturer:
        output = Decimal(amount).quantize(Decimal("0.01"))
        revenue = amount * fixed.uniform(0.90, 1.0) * r.uniform(0.98, 1.02)
    else:
        output = None
        revenue = float(amount)
    if spec["name"] in plan["monthly_upgrades"] or spec["name"] in plan["below_threshold"]:
        revenue = min(revenue, float(amount))
    main_share = fixed.uniform(0.90, 0.99)
    if spec["name"] in plan["monthly_upgrades"]:
        main_share = 0.99 if year >= 2022 else 0.95
    rd_ratio = fixed.uniform(0.02, 0.08) * r.uniform(0.9, 1.1)
    rd = revenue * rd_ratio
    costs = revenue * r.uniform(0.86, 1.01)
    profit = revenue - costs
    net = profit * 0.85 if profit > 0 else profit
    assets = revenue * fixed.uniform(0.6, 1.6)
    staff = max(12, min(6000, int(revenue / fixed.uniform(450_000, 1_400_000))))
    st_staff = max(1, int(staff * fixed.uniform(0.06, 0.30)))
    class1 = fixed.choice([0, 0, 1, 2, 3, 5, 8]) + (year - 2021)
    in_bonded_zone = spec["zone"] == "zongbao"
    trades = (in_bonded_zone and fixed.random() < 0.6) or fixed.random() < 0.15
    return {
        "operating_revenue": _money(revenue),
        "main_business_revenue": _money(revenue * main_share),
        "sales_revenue": _money(revenue),
        "high_tech_revenue": _money(revenue * fixed.uniform(0.3, 0.9)) if spec["industry"][0] in "CIM" else None,
        "rd_expense": _money(rd),
        "rd_expense_domestic": _money(rd * fixed.uniform(0.85, 1.0)),
        "total_costs": _money(costs),
        "net_profit": _money(net),
        "net_profit_recurring": _money(net * r.uniform(0.8, 1.0)),
        "total_assets": _money(assets),
        "total_liabilities": _money(assets * fixed.uniform(0.3, 0.72)),
        "output_value": output,
        "equity_financing": _money(revenue * r.uniform(0.02, 0.2)) if r.random() < 0.08 else Decimal("0.00"),
        "import_export_value": _money(revenue * fixed.uniform(0.1, 0.8)) if trades else Decimal("0.00"),
        "staff_total": staff,
        "st_staff": st_staff,
        "rd_staff": max(1, int(st_staff * fixed.uniform(0.5, 0.9))),
        "ip_class1": class1,
        "ip_class2": fixed.randint(0, 20) + 2 * (year - 2021),
        "ip_class1_high_value": class1 // 3,
        "st_results_converted": r.randint(0, 7),
    }


def monthly_values(annual: dict[str, Any], spec: dict[str, Any], month: int) -> dict[str, Decimal | None]:
    """Year-to-date values at the end of `month`, reaching the annual figures in December."""
    r = _rng(spec, "season")
    weights = [share * r.uniform(0.85, 1.15) for share in SEASON]
    if spec["name"] in demo_plan()["monthly_upgrades"]:
        weights = [share * (0.6 + 0.08 * index) for index, share in enumerate(SEASON)]  # a firm that took off
    cumulative = sum(weights[:month]) / sum(weights)

    def ytd(value: Decimal | None) -> Decimal | None:
        if value is None:
            return None
        return value if month == 12 else _money(float(value) * cumulative)

    return {
        "main_business_revenue_ytd": ytd(annual["main_business_revenue"]),
        "output_value_ytd": ytd(annual["output_value"]),
    }


def _reviewed_at(year: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(year + 1, 5, 20, 10, 0))


@transaction.atomic
def seed_figures() -> dict[str, int]:
    specs = {s["name"]: s for s in firm_specs()}
    firms = {f.name: f for f in Firm.objects.filter(name__in=specs)}
    reviewer = User.objects.filter(username="staff").first()
    enterprise_user = User.objects.filter(username="enterprise").first()
    have_annual = set(AnnualFigures.objects.values_list("firm_id", "fiscal_year"))
    have_monthly = set(MonthlyFigures.objects.values_list("firm_id", "year", "month"))

    # Most firms have all three years verified; a few never reported; some 2023 figures still wait.
    ordered = [specs[name] for name in specs if name in firms]
    plan = demo_plan()
    story = set(plan["digital_above"]) | set(plan["strategic"]) | set(plan["monthly_upgrades"]) | set(NAMED_SIZE)
    silent = {s["name"] for s in ordered if s["name"] not in story and _rng(s, "silent").random() < 0.08}
    pending = [
        s["name"] for s in ordered if s["name"] not in story and s["name"] not in silent and _years_of(s)[-1:] == [2023]
    ][:PENDING_PROPOSALS]
    pending.append(ENTERPRISE_FIRM)

    annual: list[AnnualFigures] = []
    monthly: list[MonthlyFigures] = []
    for spec in ordered:
        if spec["name"] in silent:
            continue
        firm = firms[spec["name"]]
        for year in _years_of(spec):
            values = annual_values(spec, year)
            if (firm.pk, year) not in have_annual:
                annual.extend(
                    _annual_rows(firm, spec, year, values, spec["name"] in pending, reviewer, enterprise_user)
                )
            if year == MONTHLY_YEAR and spec["industry"].startswith("C"):
                for month in range(1, 13):
                    if (firm.pk, year, month) in have_monthly:
                        continue
                    monthly.append(
                        MonthlyFigures(
                            firm=firm,
                            year=year,
                            month=month,
                            version=1,
                            state=FigureState.VERIFIED,
                            source=FigureSource.IMPORT,
                            reviewed_by=reviewer,
                            reviewed_at=timezone.make_aware(
                                dt.datetime(year + (month == 12), month % 12 + 1, 15, 10, 0)
                            ),
                            note="统计联网直报月报 demo",
                            **monthly_values(values, spec, month),
                        )
                    )
    with audit.change_context(source="command", reason="演示数据 demo data"):
        AnnualFigures.objects.bulk_create(annual)
        MonthlyFigures.objects.bulk_create(monthly)
    return {
        "annual": AnnualFigures.objects.count(),
        "monthly": MonthlyFigures.objects.count(),
        "created": len(annual) + len(monthly),
    }


def _annual_rows(
    firm: Firm,
    spec: dict[str, Any],
    year: int,
    values: dict[str, Any],
    pending: bool,
    reviewer: User | None,
    enterprise_user: User | None,
) -> list[AnnualFigures]:
    common = {"firm": firm, "fiscal_year": year, **values}
    if not pending or year != YEARS[-1]:
        source = FigureSource.STAFF if year == YEARS[-1] else FigureSource.IMPORT
        return [
            AnnualFigures(
                **common,
                version=1,
                state=FigureState.VERIFIED,
                source=source,
                submitted_by=reviewer,
                reviewed_by=reviewer,
                reviewed_at=_reviewed_at(year),
                note="高企年报 / 统计年报 demo",
            )
        ]
    rows = []
    version = 1
    submitter = enterprise_user if spec["name"] == ENTERPRISE_FIRM else None
    if spec["name"] == ENTERPRISE_FIRM:
        # A first attempt staff sent back, then a corrected proposal waiting for review.
        wrong = {**common, "rd_expense_domestic": values["rd_expense"], "rd_staff": values["st_staff"]}
        rows.append(
            AnnualFigures(
                **wrong,
                version=version,
                state=FigureState.REJECTED,
                source=FigureSource.ENTERPRISE,
                submitted_by=submitter,
                reviewed_by=reviewer,
                reviewed_at=_reviewed_at(year),
                review_note="境内研发费用与审计报告不一致，请核对后重新提交。",
                note="2023 年度数据",
            )
        )
        version += 1
    rows.append(
        AnnualFigures(
            **common,
            version=version,
            state=FigureState.PROPOSED,
            source=FigureSource.ENTERPRISE,
            submitted_by=submitter,
            note="2023 年度数据，附审计报告",
        )
    )
    return rows
