"""Point scores: TSME's 100 points, ISME's 100 points with group minimums, HNTE's IP-quantity and growth sub-scores.

A score is a sum of sub-items; each sub-item earns the points of the best band its value falls in.
Bands come from `params` and carry bounds (`min` inclusive, `min_exclusive`, `max` inclusive,
`max_exclusive`) and `points` (a whole number, or a [low, high] range where the guideline leaves the
exact points to the experts — the verdict then uses the low end). Count bands (IP) carry a `field`
and a `min` instead.

When a score falls short, the gap names the cheapest single change per sub-item that would close
it ("+¥0.3M R&D (+10 points)"), each one an alternative.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from apps.rules import formatting as fmt
from apps.rules import params as P
from apps.rules.engine import (
    MET,
    NOT_MET,
    Env,
    Explain,
    Facts,
    Gap,
    Metric,
    Outcome,
    Reader,
    as_list,
    needed_for_ratio,
    relative,
)
from apps.rules.params import Param

ZERO = Decimal(0)


def band_points(band: Mapping[str, Any]) -> tuple[Decimal, Decimal]:
    points = band["points"]
    if isinstance(points, list):
        return Decimal(points[0]), Decimal(points[1])
    return Decimal(points), Decimal(points)


def in_band(band: Mapping[str, Any], value: Decimal) -> bool:
    if "min" in band and value < band["min"]:
        return False
    if "min_exclusive" in band and value <= band["min_exclusive"]:
        return False
    if "max" in band and value > band["max"]:
        return False
    return not ("max_exclusive" in band and value >= band["max_exclusive"])


def in_band_exact(band: Mapping[str, Any], num: Decimal, den: Decimal, offset: Decimal = ZERO) -> bool:
    """Whether num/den − offset falls in the band, compared by multiplying out (den > 0): no rounding at a bound."""
    if "min" in band and num < (band["min"] + offset) * den:
        return False
    if "min_exclusive" in band and num <= (band["min_exclusive"] + offset) * den:
        return False
    if "max" in band and num > (band["max"] + offset) * den:
        return False
    return not ("max_exclusive" in band and num >= (band["max_exclusive"] + offset) * den)


def ratio_band_points(bands: list[Mapping[str, Any]], value: Decimal) -> tuple[Decimal, Decimal]:
    matching = [band_points(b) for b in bands if in_band(b, value)]
    return max(matching, default=(ZERO, ZERO))


def count_band_points(bands: list[Mapping[str, Any]], values: Mapping[str, Any]) -> tuple[Decimal, Decimal]:
    matching = [band_points(b) for b in bands if (values.get(b["field"]) or 0) >= b["min"]]
    return max(matching, default=(ZERO, ZERO))


def max_points(bands: list[Mapping[str, Any]]) -> Decimal:
    return max((band_points(b)[1] for b in bands), default=ZERO)


def _dash() -> fmt.Text:
    return "—", "—"


@dataclass
class Item:
    """A scored sub-item. Its text and its levers (what would raise it) are built only when asked for."""

    key: str
    name: fmt.Text
    points: Decimal
    points_high: Decimal
    max_points: Decimal
    value: Any
    describe: Callable[[], fmt.Text] = _dash
    lever_fn: Callable[[], list[Gap]] | None = None
    _levers: list[Gap] | None = field(default=None, repr=False)

    @property
    def value_text(self) -> fmt.Text:
        return self.describe()

    @property
    def levers(self) -> list[Gap]:
        if self._levers is None:
            self._levers = self.lever_fn() if self.lever_fn is not None else []
        return self._levers

    def points_text(self) -> str:
        low, high = fmt.plain(self.points), fmt.plain(self.points_high)
        return low if low == high else f"{low}–{high}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name_zh": self.name[0],
            "name_en": self.name[1],
            "points": self.points,
            "points_high": self.points_high,
            "max_points": self.max_points,
            "value": self.value,
        }


def _ratio_lever(
    band: Mapping[str, Any], name: str, num: Decimal, den: Decimal, year: int, part: bool, offset: Decimal
) -> Gap | None:
    tiny = fmt.CENT if fmt.unit_of(name) == "yuan" else Decimal(1)
    if "min" in band and num < (band["min"] + offset) * den:
        need = needed_for_ratio(band["min"] + offset, num, den, part and not offset)
        return Gap(name, fmt.ceil_amount(name, need), year, alternative=True)
    if "min_exclusive" in band and num <= (band["min_exclusive"] + offset) * den:
        need = needed_for_ratio(band["min_exclusive"] + offset, num, den, part and not offset)
        return Gap(name, fmt.ceil_amount(name, need) + tiny, year, alternative=True)
    if "max" in band and num > (band["max"] + offset) * den:
        return Gap(name, fmt.ceil_amount(name, num - (band["max"] + offset) * den), year, "decrease", alternative=True)
    if "max_exclusive" in band and num >= (band["max_exclusive"] + offset) * den:
        need = fmt.ceil_amount(name, num - (band["max_exclusive"] + offset) * den) + tiny
        return Gap(name, need, year, "decrease", alternative=True)
    return None


def ratio_item(
    key: str,
    name: fmt.Text,
    bands: list[Mapping[str, Any]],
    lever_field: str,
    num: Decimal,
    den: Decimal,
    year: int,
    *,
    part: bool = False,
    offset: Decimal = ZERO,
) -> Item:
    """A sub-item scored on num/den − offset (offset 1 turns this year / last year into a growth rate)."""
    value = fmt.ratio_value(Decimal(num) / den - offset)  # shown; the bands compare exactly
    matching = [band_points(b) for b in bands if in_band_exact(b, Decimal(num), Decimal(den), offset)]
    low, high = max(matching, default=(ZERO, ZERO))

    def levers() -> list[Gap]:
        found = []
        for band in bands:
            gain = band_points(band)[0] - low
            if gain > 0:
                lever = _ratio_lever(band, lever_field, Decimal(num), Decimal(den), year, part, offset)
                if lever is not None:
                    lever.points = gain
                    found.append(lever)
        return found

    return Item(key, name, low, high, max_points(bands), value, lambda: (fmt.pct(value), fmt.pct_en(value)), levers)


def count_item(key: str, name: fmt.Text, bands: list[Mapping[str, Any]], values: Mapping[str, Any], year: int) -> Item:
    low, high = count_band_points(bands, values)

    def levers() -> list[Gap]:
        found = []
        for band in bands:
            gain = band_points(band)[0] - low
            have = values.get(band["field"]) or 0
            if gain > 0 and have < band["min"]:
                found.append(Gap(band["field"], band["min"] - have, year, alternative=True, points=gain))
        return found

    shown = {k: v for k, v in values.items() if v is not None}

    def text() -> fmt.Text:
        return (
            "、".join(f"{fmt.label(k)[0]} {v}" for k, v in shown.items()),
            ", ".join(f"{fmt.label(k)[1]} {v}" for k, v in shown.items()),
        )

    return Item(key, name, low, high, max_points(bands), shown, text, levers)


def cheapest_options(items: list[Item], short: Decimal) -> tuple[list[Gap], bool]:
    """Per sub-item, the smallest change that alone closes `short` points; else the one that gains most."""
    enough, best = [], []
    for item in items:
        closing = [g for g in item.levers if g.points is not None and g.points >= short]
        if closing:
            enough.append(min(closing, key=lambda g: g.amount or ZERO))
        elif item.levers:
            best.append(max(item.levers, key=lambda g: (g.points or ZERO, -(g.amount or ZERO))))
    return (enough, True) if enough else (best, False)


def _total_text(items: list[Item]) -> fmt.Text:
    return (
        " + ".join(f"{i.name[0]} {i.points_text()}" for i in items),
        " + ".join(f"{i.name[1]} {i.points_text()}" for i in items),
    )


def _score_explain(
    total: Decimal,
    items: list[Item],
    requirements: list[tuple[fmt.Text, Decimal, Decimal]],
    gaps: list[Gap],
    enough: bool,
) -> Explain:
    """'总分 52 分（…），要求 ≥ 60 分：差 8 分，任选其一：…' — requirements are (name, have, need)."""

    def explain(zh_name: str, en_name: str) -> fmt.Text:
        parts = _total_text(items)
        zh = f"{zh_name} {fmt.plain(total)} 分（{parts[0]}）"
        en = f"{en_name} {fmt.plain(total)} points ({parts[1]})"
        failing = [(n, have, need) for n, have, need in requirements if have < need]
        if not failing:
            return zh + "：已满足", en + ": met"
        zh += "：" + "；".join(
            f"{n[0]}须 ≥ {fmt.plain(need)} 分，差 {fmt.plain(need - have)} 分" for n, have, need in failing
        )
        en += ": " + "; ".join(
            f"{n[1]} needs ≥ {fmt.plain(need)}, {fmt.plain(need - have)} short" for n, have, need in failing
        )
        if gaps:
            texts = [g.text() for g in gaps]
            lead = ("，任选其一：", "; any one of: ") if enough else ("，可提高：", "; could raise: ")
            zh += lead[0] + "；".join(t[0] for t in texts)
            en += lead[1] + "; ".join(t[1] for t in texts)
        return zh, en

    return explain


# ------------------------------------------------------------------------------------------------
# 科技型中小企业: 100 points


def tsme_score(facts: Facts, env: Env, p: Mapping[str, Any]) -> Outcome:
    """S&T staff share (20) + the better of R&D/sales and R&D/costs (50) + IP (30); pass ≥ 60 with staff points > 0."""
    reader, year = Reader(facts), env.year
    staff, st_staff, rd = reader.get(year, "staff_total"), reader.get(year, "st_staff"), reader.get(year, "rd_expense")
    sales_field, sales = reader.first(year, as_list(p.get("revenue_field", ["sales_revenue", "operating_revenue"])))
    costs = facts.figures.get(year, {}).get("total_costs")
    reader.note("total_costs", costs)
    ip = {"ip_class1": reader.get(year, "ip_class1"), "ip_class2": reader.get(year, "ip_class2")}
    if sales is None and costs is not None:  # either R&D measure will do
        reader.missing = [m for m in reader.missing if m[0] != sales_field]
    if reader.missing:
        return reader.unknown()
    if not staff or (not sales and not costs):
        return reader.unknown(("职工总数或收入为零", "staff total or revenue is zero"))
    staff_item = ratio_item(
        "staff", ("科技人员占比", "S&T staff share"), p["staff_bands"], "st_staff", st_staff, staff, year, part=True
    )
    rd_items = []
    if sales:
        rd_items.append(
            ratio_item(
                "rd", ("研发投入（占销售收入）", "R&D / sales"), p["rd_sales_bands"], "rd_expense", rd, sales, year
            )
        )
    if costs:
        rd_items.append(
            ratio_item(
                "rd", ("研发投入（占成本费用）", "R&D / costs"), p["rd_cost_bands"], "rd_expense", rd, costs, year
            )
        )
    best = max(rd_items, key=lambda i: i.points)

    def rd_levers() -> list[Gap]:
        found = []
        for measure in rd_items:  # a lever's gain counts against the better measure's points
            for lever in measure.levers:
                gain = measure.points + (lever.points or ZERO) - best.points
                if gain > 0:
                    lever.points = gain
                    found.append(lever)
        return found

    rd_item = Item(
        "rd", best.name, best.points, best.points_high, best.max_points, best.value, best.describe, rd_levers
    )
    ip_item = count_item("ip", ("知识产权", "IP"), p["ip_bands"], ip, year)
    items = [staff_item, rd_item, ip_item]
    total = sum((i.points for i in items), ZERO)
    pass_min, staff_min = p["pass_min"], p.get("staff_points_min", Decimal(1))
    gaps: list[Gap] = []
    shortfalls: list[Decimal | None] = []
    if staff_item.points < staff_min:
        needed = [g for g in staff_item.levers if (g.points or ZERO) + staff_item.points >= staff_min]
        if needed:
            lever = min(needed, key=lambda g: g.amount or ZERO)
            gaps.append(Gap(lever.field, lever.amount, year, points=lever.points))
        lowest = min(
            (b for b in p["staff_bands"] if band_points(b)[0] >= staff_min),
            key=lambda b: b.get("min", ZERO),
            default=None,
        )
        if lowest is not None and "min" in lowest:
            shortfalls.append(relative(lowest["min"] - staff_item.value, lowest["min"]))
        else:
            shortfalls.append(None)
    enough = True
    if total < pass_min:
        options, enough = cheapest_options(items, pass_min - total)
        gaps += options
        shortfalls.append(relative(pass_min - total, pass_min))
    met = not shortfalls
    return Outcome(
        MET if met else NOT_MET,
        total,
        pass_min,
        "points",
        shortfall=None if met or None in shortfalls else max(s for s in shortfalls if s is not None),
        gaps=gaps,
        inputs=reader.inputs,
        explain=_score_explain(
            total,
            items,
            [
                (("总分", "total"), total, pass_min),
                (("科技人员得分", "S&T staff points"), staff_item.points, staff_min),
            ],
            gaps,
            enough,
        ),
        details={"items": [i.as_dict() for i in items], "total": total},
    )


# ------------------------------------------------------------------------------------------------
# 创新型中小企业: 100 points in three groups, each with a minimum


def isme_score(facts: Facts, env: Env, p: Mapping[str, Any]) -> Outcome:
    reader, year = Reader(facts), env.year
    revenue_fields = as_list(p.get("revenue_field", "operating_revenue"))
    ip = {f: reader.get(year, f) for f in ("ip_class1_high_value", "ip_class1", "ip_class2")}
    rd = reader.get(year, "rd_expense")
    _, revenue = reader.first(year, revenue_fields)
    main = reader.get(year, "main_business_revenue")
    liabilities, assets = reader.get(year, "total_liabilities"), reader.get(year, "total_assets")
    founded_this_year = facts.registration_date is not None and facts.registration_date.year >= year
    main_before = None if founded_this_year else reader.get(year - 1, "main_business_revenue")
    if ip["ip_class1_high_value"] is None and ip["ip_class1"] is not None:  # not every firm reports it
        reader.missing = [m for m in reader.missing if m[0] != "ip_class1_high_value"]
    if reader.missing:
        return reader.unknown()
    if not revenue or not assets:
        return reader.unknown(("营业收入或资产总额为零", "revenue or total assets is zero"))
    items = [
        count_item("ip", ("知识产权", "IP"), p["ip_bands"], ip, year),
        ratio_item("rd", ("研发费用占营业收入比重", "R&D / revenue"), p["rd_bands"], "rd_expense", rd, revenue, year),
    ]
    if main_before is not None and main_before > 0:
        items.append(
            ratio_item(
                "growth",
                ("主营业务收入增长率", "main-business growth"),
                p["growth_bands"],
                "main_business_revenue",
                main,
                main_before,
                year,
                offset=Decimal(1),
            )
        )
    else:
        items.append(
            Item(
                "growth",
                ("主营业务收入增长率", "main-business growth"),
                ZERO,
                ZERO,
                max_points(p["growth_bands"]),
                None,
            )
        )
    items.append(
        ratio_item(
            "debt", ("资产负债率", "debt ratio"), p["debt_bands"], "total_liabilities", liabilities, assets, year
        )
    )
    tag = p.get("field_tag", "战略性新兴产业")
    tagged = reader.note("tags", list(facts.tags)) and tag in facts.tags
    field_points = p["field_points_tagged"] if tagged else p["field_points_other"]
    items.append(
        Item(
            "field",
            ("主导产品所属领域", "product field"),
            field_points,
            field_points,
            p["field_points_tagged"],
            tagged,
            lambda: (tag if tagged else "其他", tag if tagged else "other"),
        )
    )
    items.append(
        ratio_item(
            "share",
            ("主营业务收入占营业收入比重", "main-business share"),
            p["share_bands"],
            "main_business_revenue",
            main,
            revenue,
            year,
            part=True,
        )
    )
    by_key = {i.key: i for i in items}
    total = sum((i.points for i in items), ZERO)
    requirements: list[tuple[fmt.Text, Decimal, Decimal]] = [(("总分", "total"), total, p["pass_min"])]
    gaps: list[Gap] = []
    shortfalls: list[Decimal | None] = []
    enough = True
    for group in p["groups"]:
        members = [by_key[k] for k in group["items"] if k in by_key]
        have = sum((m.points for m in members), ZERO)
        name = (group.get("name_zh", group["key"]), group.get("name_en", group["key"]))
        requirements.append((name, have, group["min"]))
        if have < group["min"]:
            options, ok = cheapest_options(members, group["min"] - have)
            gaps += options
            enough = enough and ok
            shortfalls.append(relative(group["min"] - have, group["min"]))
    if total < p["pass_min"]:
        options, ok = cheapest_options(items, p["pass_min"] - total)
        gaps += [g for g in options if g not in gaps]
        enough = enough and ok
        shortfalls.append(relative(p["pass_min"] - total, p["pass_min"]))
    met = not shortfalls
    return Outcome(
        MET if met else NOT_MET,
        total,
        p["pass_min"],
        "points",
        shortfall=None if met or None in shortfalls else max(s for s in shortfalls if s is not None),
        gaps=gaps,
        inputs=reader.inputs,
        explain=_score_explain(total, items, requirements, gaps, enough),
        details={"items": [i.as_dict() for i in items], "total": total},
    )


# ------------------------------------------------------------------------------------------------
# HNTE indicators (shown, not deciding): IP-quantity sub-score and growth sub-score


def _indicator(reader: Reader, items: list[Item], p: Mapping[str, Any], note: fmt.Text | None = None) -> Outcome:
    low = sum((i.points for i in items), ZERO)
    high = sum((i.points_high for i in items), ZERO)
    top = sum((i.max_points for i in items), ZERO)
    minimum = p.get("min_points", ZERO)
    shown = fmt.plain(low) if low == high else f"{fmt.plain(low)}–{fmt.plain(high)}"

    def explain(zh_name: str, en_name: str) -> fmt.Text:
        zh = "、".join(f"{i.name[0]} {i.value_text[0]}" for i in items)
        en = ", ".join(f"{i.name[1]} {i.value_text[1]}" for i in items)
        zh_text = f"{zh_name} {shown} 分（满分 {fmt.plain(top)}；{zh}）"
        en_text = f"{en_name} {shown} of {fmt.plain(top)} points ({en})"
        if note:
            zh_text, en_text = f"{zh_text}，{note[0]}", f"{en_text}, {note[1]}"
        return zh_text, en_text

    return Outcome(
        MET if low >= minimum else NOT_MET,
        shown,
        minimum,
        "points",
        inputs=reader.inputs,
        explain=explain,
        details={"items": [i.as_dict() for i in items], "points": low, "points_high": high, "max_points": top},
    )


def ip_quantity_score(facts: Facts, env: Env, p: Mapping[str, Any]) -> Outcome:
    reader = Reader(facts)
    values = {"ip_class1": reader.get(env.year, "ip_class1"), "ip_class2": reader.get(env.year, "ip_class2")}
    if reader.missing:
        return reader.unknown()
    return _indicator(reader, [count_item("ip", ("知识产权数量", "IP quantity"), p["bands"], values, env.year)], p)


def growth_score(facts: Facts, env: Env, p: Mapping[str, Any]) -> Outcome:
    """Net-asset growth (10) + sales growth (10), each from g = ½ × (Y2/Y1 + Y3/Y2) − 1 over the last 3 years."""
    reader = Reader(facts)
    years = [env.year - 2, env.year - 1, env.year]
    registered = reader.note("registration_date", facts.registration_date)
    if registered is not None and registered.year > years[0]:
        zero = [
            Item("net_assets", ("净资产增长率", "net-asset growth"), ZERO, ZERO, max_points(p["bands"]), None),
            Item("sales", ("销售收入增长率", "sales growth"), ZERO, ZERO, max_points(p["bands"]), None),
        ]
        return _indicator(reader, zero, p, ("经营不满 3 年，成长性得 0 分", "under 3 years of operation scores 0"))
    revenue_fields = as_list(p.get("revenue_field", ["sales_revenue", "operating_revenue"]))
    net, sales = [], []
    for year in years:
        assets, liabilities = reader.get(year, "total_assets"), reader.get(year, "total_liabilities")
        net.append(None if assets is None or liabilities is None else assets - liabilities)
        sales.append(reader.first(year, revenue_fields)[1])
    if reader.missing:
        return reader.unknown()
    items = []
    for key, name, values in (
        ("net_assets", ("净资产增长率", "net-asset growth"), net),
        ("sales", ("销售收入增长率", "sales growth"), sales),
    ):
        y1, y2, y3 = (Decimal(v or 0) for v in values)
        if y1 <= 0 or y2 <= 0:
            items.append(
                Item(key, name, ZERO, ZERO, max_points(p["bands"]), None, lambda: ("基数非正", "base not positive"))
            )
            continue
        exact = (y2 / y1 + y3 / y2) / 2 - 1
        rate = fmt.ratio_value(exact)
        low, high = ratio_band_points(p["bands"], exact)
        items.append(Item(key, name, low, high, max_points(p["bands"]), rate, _pct_text(rate)))
    return _indicator(reader, items, p)


def _pct_text(rate: Decimal) -> Callable[[], fmt.Text]:
    return lambda: (fmt.pct(rate), fmt.pct_en(rate))


# ------------------------------------------------------------------------------------------------
# Parameter schemas

_RATIO_BAND = P.record({"points": Param(P.points)}, bounds=True)
_COUNT_BAND = P.record({"field": Param(P.field), "min": Param(P.integer(0, 10_000)), "points": Param(P.points)})
_GROUP = P.record(
    {
        "key": Param(P.text),
        "items": Param(P.strings),
        "min": Param(P.integer(0, 100)),
        "name_zh": Param(P.text, required=False),
        "name_en": Param(P.text, required=False),
    }
)
_POINTS = Param(P.integer(0, 100))


METRICS = [
    Metric(
        "tsme_score",
        tsme_score,
        {
            "staff_bands": Param(P.listing(_RATIO_BAND)),
            "rd_sales_bands": Param(P.listing(_RATIO_BAND)),
            "rd_cost_bands": Param(P.listing(_RATIO_BAND)),
            "ip_bands": Param(P.listing(_COUNT_BAND)),
            "pass_min": _POINTS,
            "staff_points_min": Param(P.integer(0, 100), required=False),
            "revenue_field": Param(P.fields, required=False),
        },
        "科技型中小企业 score: S&T staff share + the better R&D measure + IP; pass ≥ pass_min with staff points"
        " ≥ staff_points_min (default 1, i.e. not zero).",
        cost=6,
    ),
    Metric(
        "isme_score",
        isme_score,
        {
            "ip_bands": Param(P.listing(_COUNT_BAND)),
            "rd_bands": Param(P.listing(_RATIO_BAND)),
            "growth_bands": Param(P.listing(_RATIO_BAND)),
            "debt_bands": Param(P.listing(_RATIO_BAND)),
            "share_bands": Param(P.listing(_RATIO_BAND)),
            "field_tag": Param(P.text, required=False),
            "field_points_tagged": _POINTS,
            "field_points_other": _POINTS,
            "groups": Param(P.listing(_GROUP)),
            "pass_min": _POINTS,
            "revenue_field": Param(P.fields, required=False),
        },
        "创新型中小企业 score: IP, R&D/revenue, main-business growth, debt ratio, product field, main-business"
        " share; pass ≥ pass_min and every group ≥ its min.",
        lambda params: 2,
        cost=8,
    ),
    Metric(
        "ip_quantity_score",
        ip_quantity_score,
        {"bands": Param(P.listing(_COUNT_BAND)), "min_points": Param(P.integer(0, 100), required=False)},
        "HNTE IP-quantity sub-score from the class-I / class-II counts (an indicator).",
        cost=2,
    ),
    Metric(
        "growth_score",
        growth_score,
        {
            "bands": Param(P.listing(_RATIO_BAND)),
            "min_points": Param(P.integer(0, 100), required=False),
            "revenue_field": Param(P.fields, required=False),
        },
        "HNTE growth sub-score: net-asset and sales growth, g = ½ × (Y2/Y1 + Y3/Y2) − 1 (an indicator).",
        lambda params: 3,
        cost=4,
    ),
]
