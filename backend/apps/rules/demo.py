"""Demo figures that make the rules' detectors show something on the first scan, whichever day the demo loads.

The demo park's annual figures stop at 2023 and its monthly ones at 2022, while the scan evaluates the
last fiscal year (the one before today's) and this year's months. So a few firms get VERIFIED figures
for the last three fiscal years where they have none (entered through apps.figures.services, with
every check), shaped from their own 2023 figures:

- an HNTE-eligible firm: no title on the tech ladder, every computed HNTE criterion met → `eligible`;
- an SRDI holder that meets 小巨人's computed criteria → `upgrade_candidate` for LITTLE_GIANT;
- a near miss: an HNTE candidate whose three-year R&D ratio is 6 % short of its band and everything
  else met → `near_miss`, the gap giving the exact R&D still needed;
- a small manufacturer not holding ABOVE_SIZE whose year-to-date main-business revenue crosses its
  industry's threshold (20M) this year (or last year's months, in the first half of a year) →
  `threshold_reached` for that month.

Each plan is tried first as a what-if (nothing stored) and written only if the rules in force say
what the scene needs; the thresholds come from the rule sets (data), not from here. Idempotent: a
scene already present in the data is left as it is, and a firm and period with any version of
figures is never written again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q

from apps.accounts.models import User
from apps.core import audit, clock
from apps.figures.demo import SEASON, YEARS
from apps.figures.models import ANNUAL_MONEY_FIELDS, AnnualFigures, MonthlyFigures
from apps.figures.selectors import verified_annual_figures
from apps.figures.services import annual_figures_enter, monthly_figures_enter
from apps.programmes.models import Certification, EntryRoute
from apps.programmes.selectors import certifications_valid_on
from apps.registry.models import Firm
from apps.rules.evaluation import ELIGIBLE, ProgrammeResult, compile_rule_set, evaluate_firms
from apps.rules.metrics import _band_for_revenue, threshold_for_industry
from apps.rules.selectors import rule_sets_in_force

BASE_YEAR = YEARS[-1]  # the demo's last year of annual figures: scenes are shaped from it
NOTE = "演示数据：资格评估场景 demo eligibility scene"
CENT = Decimal("0.01")
Plan = dict[int, dict[str, Any]]


def _money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


class _Park:
    """What the scenes choose from, read once: in-park firms, their 2023 figures, titles held today."""

    def __init__(self, today: dt.date) -> None:
        self.today = today
        self.year = today.year - 1
        self.years = [self.year - 2, self.year - 1, self.year]
        firms = Firm.objects.filter(Q(left_park_on__isnull=True) | Q(left_park_on__gt=today)).exclude(
            registration_date__isnull=True
        )
        self.firms = list(firms.order_by("uscc"))
        self.base = {row.firm_id: row for row in verified_annual_figures(fiscal_year=BASE_YEAR)}
        self.held: dict[int, set[str]] = {}
        for firm_id, code in certifications_valid_on(today, Certification.objects.all()).values_list(
            "firm_id", "programme__code"
        ):
            self.held.setdefault(firm_id, set()).add(code)
        self.has_year = set(
            AnnualFigures.objects.filter(fiscal_year__in=self.years).values_list("firm_id", "fiscal_year")
        )
        self.used: set[int] = set()

    def candidates(self, keep: Callable[[Firm], bool]) -> list[Firm]:
        return [f for f in self.firms if f.pk not in self.used and f.pk in self.base and keep(f)]

    def plan(self, firm: Firm, shape: Callable[[int, dict[str, Any], int], dict[str, Any]]) -> Plan:
        """Values for each of the last three fiscal years that has no figures yet, grown from 2023's."""
        base = self.base[firm.pk].values()
        return {y: shape(y, base, y - BASE_YEAR) for y in self.years if (firm.pk, y) not in self.has_year}


def _grown(base: dict[str, Any], steps: int, growth: Decimal = Decimal("1.08")) -> dict[str, Any]:
    factor = growth ** max(steps, 0)
    values = {k: (_money(v * factor) if k in ANNUAL_MONEY_FIELDS and v is not None else v) for k, v in base.items()}
    for count in ("ip_class1", "ip_class2"):
        values[count] = (base.get(count) or 0) + max(steps, 0)
    values["equity_financing"] = Decimal("0.00")
    return values


def _hnte_shape(rd_ratio: Decimal) -> Callable[[int, dict[str, Any], int], dict[str, Any]]:
    def shape(year: int, base: dict[str, Any], steps: int) -> dict[str, Any]:
        values = _grown(base, steps)
        revenue = values["operating_revenue"]
        staff = max(int(values.get("staff_total") or 0), 20)
        st_staff = max(int(values.get("st_staff") or 0), -(-staff // 5))  # at least 20 %
        values.update(
            sales_revenue=revenue,
            high_tech_revenue=_money(revenue * Decimal("0.72")),
            rd_expense=_money(revenue * rd_ratio),
            rd_expense_domestic=_money(revenue * rd_ratio * Decimal("0.95")),
            staff_total=staff,
            st_staff=st_staff,
            rd_staff=min(int(values.get("rd_staff") or 1), st_staff),
        )
        return values

    return shape


def _what_if(firm: Firm, plan: Plan, code: str, park: _Park) -> ProgrammeResult:
    return evaluate_firms([firm.pk], park.year, [code], what_if={firm.pk: plan}, on=park.today)[firm.pk].programme(code)


def _already(park: _Park, firms: list[Firm], code: str, wanted: Callable[[ProgrammeResult], bool]) -> Firm | None:
    found = evaluate_firms([f.pk for f in firms], park.year, [code], on=park.today)
    return next((f for f in firms if wanted(found[f.pk].programme(code))), None)


def _write(firm: Firm, plan: Plan, user: User | None) -> int:
    for year, values in sorted(plan.items()):
        annual_figures_enter(firm=firm, fiscal_year=year, values=values, user=user, note=NOTE)
    return len(plan)


def _scene(
    park: _Park,
    code: str,
    firms: list[Firm],
    plan_for: Callable[[Firm], Plan],
    wanted: Callable[[ProgrammeResult], bool],
    user: User | None,
) -> tuple[Firm | None, int]:
    present = _already(park, firms, code, wanted)
    if present is not None:
        park.used.add(present.pk)
        return present, 0
    for firm in firms:
        plan = plan_for(firm)
        if plan and wanted(_what_if(firm, plan, code, park)):
            park.used.add(firm.pk)
            return firm, _write(firm, plan, user)
    return None, 0


def _near_miss_plan(park: _Park, firm: Firm) -> Plan:
    """R&D set so that the three-year ratio is 94 % of what the firm's sales band requires."""
    rule_set = rule_sets_in_force(park.today, ["HNTE"]).get("HNTE")
    if rule_set is None:
        return {}
    compiled = compile_rule_set(rule_set)
    rd = next((c for c in compiled.criteria if c.criterion.code == "rd_ratio" and not c.problems), None)
    if rd is None:
        return {}
    plan = park.plan(firm, _hnte_shape(Decimal("0.04")))
    rows = {r.fiscal_year: r for r in verified_annual_figures(firms=[firm.pk], fiscal_years=park.years)}
    sales = {
        y: (plan[y]["sales_revenue"] if y in plan else rows[y].sales_revenue)
        for y in park.years
        if y in plan or y in rows
    }
    if len(sales) < 3 or any(v is None for v in sales.values()):
        return {}
    band, _ = _band_for_revenue(rd.params["bands"], sales[park.year])
    target = band["min_ratio"] * Decimal("0.94") * sum(sales.values())
    existing = sum((rows[y].rd_expense or Decimal(0)) for y in park.years if y not in plan)
    to_spread = target - existing
    new_sales = sum(sales[y] for y in plan)
    if to_spread <= 0 or not new_sales:
        return {}
    for year in plan:
        share = _money(to_spread * sales[year] / new_sales)
        plan[year]["rd_expense"] = share
        plan[year]["rd_expense_domestic"] = _money(share * Decimal("0.95"))
    return plan


def _little_giant_shape(year: int, base: dict[str, Any], steps: int) -> dict[str, Any]:
    values = _grown(base, steps)
    revenue = values["operating_revenue"]
    values.update(
        rd_expense=_money(revenue * Decimal("0.07")),
        rd_expense_domestic=_money(revenue * Decimal("0.066")),
        total_liabilities=_money(values["total_assets"] * Decimal("0.5")),
        ip_class1=max(values.get("ip_class1") or 0, 3),
    )
    values["ip_class1_high_value"] = min(values.get("ip_class1_high_value") or 0, values["ip_class1"])
    return values


def _threshold_scene(park: _Park, user: User | None) -> tuple[Firm | None, int]:
    """A manufacturer whose 2023 main-business revenue was under its threshold crosses it this year."""
    today = park.today
    year, last = (today.year, today.month - 1) if today.month > 6 else (today.year - 1, 12)
    rule_set = rule_sets_in_force(today, ["ABOVE_SIZE"]).get("ABOVE_SIZE")
    if rule_set is None:
        return None, 0
    compiled = compile_rule_set(rule_set)
    criterion = next((c for c in compiled.criteria if c.criterion.metric == "above_size_threshold"), None)
    if criterion is None or criterion.problems:
        return None, 0
    thresholds = criterion.params["thresholds"]

    def threshold(firm: Firm) -> Decimal | None:
        entry = threshold_for_industry(thresholds, firm.industry_id or "")
        if entry and entry.get("field") == "main_business_revenue" and "min" in entry:
            return Decimal(entry["min"])
        return None

    def small_manufacturer(firm: Firm) -> bool:
        minimum = threshold(firm)
        revenue = park.base[firm.pk].main_business_revenue
        return (
            "ABOVE_SIZE" not in park.held.get(firm.pk, set())
            and (firm.industry_id or "").startswith("C")
            and minimum is not None
            and revenue is not None
            and minimum * Decimal("0.4") <= revenue < minimum
        )

    candidates = park.candidates(small_manufacturer)
    months = set(
        MonthlyFigures.objects.filter(firm__in=candidates, year=year, state="verified").values_list("firm_id", "month")
    )
    for firm in candidates:
        if any((firm.pk, m) in months for m in range(1, last + 1)):
            park.used.add(firm.pk)  # seeded on an earlier run (or by someone): leave it
            return firm, 0
    if not candidates:
        return None, 0
    firm = candidates[0]
    minimum = threshold(firm)
    assert minimum is not None
    weights = [share * (Decimal("0.7") + Decimal("0.06") * i) for i, share in enumerate(map(Decimal, map(str, SEASON)))]
    cumulative = [sum(weights[: m + 1]) for m in range(12)]
    target = minimum * Decimal("1.06") / cumulative[last - 1]  # crosses by the last complete month
    for month in range(1, last + 1):
        ytd = _money(target * cumulative[month - 1])
        monthly_figures_enter(
            firm=firm,
            year=year,
            month=month,
            values={"main_business_revenue_ytd": ytd, "output_value_ytd": _money(ytd * Decimal("1.04"))},
            user=user,
            note=NOTE,
        )
    park.used.add(firm.pk)
    return firm, last


def _keep_srdi_current(park: _Park, user: User | None, wanted: int = 3) -> int:
    """The demo's SRDI titles run out (the last re-reviews were in 2025): once no in-park firm holds SRDI
    today, a few firms whose last SRDI lapsed are re-reviewed (复核) every three years up to today, as the
    real ones would be, so the upgrade scene exists on any date. Returns the certifications added."""
    from apps.programmes.services import certification_renew

    def big(firm: Firm) -> bool:
        base = park.base.get(firm.pk)
        return base is not None and (base.operating_revenue or 0) >= 50_000_000

    in_park = [f for f in park.firms if f.pk not in park.used and big(f)]
    if any("SRDI" in park.held.get(f.pk, set()) and "LITTLE_GIANT" not in park.held.get(f.pk, set()) for f in in_park):
        return 0
    ids = {f.pk for f in in_park if "LITTLE_GIANT" not in park.held.get(f.pk, set())}
    lapsed = (
        Certification.objects.filter(
            firm_id__in=ids, programme__code="SRDI", revoked_on__isnull=True, renewed_by__isnull=True
        )
        .filter(valid_until__lt=park.today)
        .order_by("firm__uscc")
    )
    added = 0
    for cert in list(lapsed)[:wanted]:
        last = cert
        while last.valid_until is not None and last.valid_until < park.today:
            day = last.valid_until - dt.timedelta(days=8)  # re-reviewed a week before expiry
            last = certification_renew(
                certification=last,
                certificate_date=day,
                number=f"CQZJTX{day.year}{cert.firm_id:06d}",
                batch=f"{day.year}年重庆市专精特新中小企业复核",
                entry_route=EntryRoute.REVIEW,
                notes=NOTE,
                created_by=user,
            )
            added += 1
        park.held.setdefault(cert.firm_id, set()).add("SRDI")
    return added


@transaction.atomic
def seed_rules_demo(today: dt.date | None = None) -> dict[str, Any]:
    park = _Park(today or clock.today())
    user = User.objects.filter(username="staff").first()
    scenes: dict[str, Firm | None] = {}
    created = 0
    with audit.change_context(source="command", actor=user, reason="演示数据 demo data"):
        scenes["threshold_reached"], n = _threshold_scene(park, user)
        created += n

        def no_tech_title(firm: Firm) -> bool:
            return not park.held.get(firm.pk, set()) & {"HNTE", "TSME"} and (firm.industry_id or "")[:1] in "CIM"

        hnte_candidates = park.candidates(no_tech_title)
        scenes["eligible"], n = _scene(
            park,
            "HNTE",
            hnte_candidates,
            lambda firm: park.plan(firm, _hnte_shape(Decimal("0.08"))),
            lambda result: result.verdict == ELIGIBLE,
            user,
        )
        created += n
        scenes["near_miss"], n = _scene(
            park,
            "HNTE",
            park.candidates(no_tech_title),
            lambda firm: _near_miss_plan(park, firm),
            lambda result: result.near_miss and [r.key for r in result.failing()] == ["rd_ratio"],
            user,
        )
        created += n

        def srdi_holder(firm: Firm) -> bool:
            held = park.held.get(firm.pk, set())
            base = park.base[firm.pk]
            return "SRDI" in held and "LITTLE_GIANT" not in held and (base.operating_revenue or 0) >= 50_000_000

        created += _keep_srdi_current(park, user)
        scenes["upgrade_candidate"], n = _scene(
            park,
            "LITTLE_GIANT",
            park.candidates(srdi_holder),
            lambda firm: park.plan(firm, _little_giant_shape),
            lambda result: result.verdict == ELIGIBLE,
            user,
        )
        created += n
    return {"scenes": {k: (f.name if f else None) for k, f in scenes.items()}, "created": created}
