"""The fixed registry of computations a criterion can name in `metric`.

The code here knows only *how* to compute something from a firm's figures; every number it
compares against comes from the criterion's `params` (edited by administrators, checked by each
metric's schema). Comparisons are inclusive where domain-rules.md says "(含)" / "≥", and exact:
ratios are compared by multiplying out (R&D ≥ 4 % × sales), never by rounded division.

Scores (TSME, ISME, HNTE sub-scores) live in apps.rules.scoring and are registered here too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from apps.programmes.services import add_years
from apps.rules import formatting as fmt
from apps.rules import params as P
from apps.rules import scoring
from apps.rules.engine import (
    MANUAL,
    MET,
    NOT_MET,
    Env,
    Facts,
    Gap,
    Metric,
    Outcome,
    Reader,
    as_list,
    compare_text,
    needed_for_ratio,
    not_registered,
    relative,
    window,
)
from apps.rules.params import Param


def _years(key: str = "years", extra: int = 0) -> Callable[[Mapping[str, Any]], int]:
    return lambda params: int(params.get(key, 1)) + extra


def _value_text(name: str, value: Any) -> fmt.Text:
    return fmt.amount_text(name, value)


def _pct(ratio: Decimal) -> fmt.Text:
    return fmt.pct(ratio), fmt.pct_en(ratio)


# ------------------------------------------------------------------------------------------------
# Single values


def at_least(facts: Facts, env: Env, p: Mapping[str, Any]) -> Outcome:
    reader = Reader(facts)
    minimum = p["min"]
    name, value = reader.first(env.year, as_list(p["field"]))
    if value is None:
        return reader.unknown()
    gaps = [] if value >= minimum else [Gap(name, fmt.ceil_amount(name, minimum - Decimal(value)), env.year)]
    return Outcome(
        NOT_MET if gaps else MET,
        value,
        minimum,
        fmt.unit_of(name),
        shortfall=relative(minimum - value, minimum) if gaps else None,
        gaps=gaps,
        inputs=reader.inputs,
        explain=compare_text(lambda: _value_text(name, value), lambda: _value_text(name, minimum), gaps),
    )


def at_most(facts: Facts, env: Env, p: Mapping[str, Any]) -> Outcome:
    reader = Reader(facts)
    maximum = p["max"]
    name, value = reader.first(env.year, as_list(p["field"]))
    if value is None:
        return reader.unknown()
    over = value > maximum
    gaps = [Gap(name, fmt.ceil_amount(name, Decimal(value) - maximum), env.year, "decrease")] if over else []
    return Outcome(
        NOT_MET if over else MET,
        value,
        maximum,
        fmt.unit_of(name),
        shortfall=relative(value - maximum, maximum) if over else None,
        gaps=gaps,
        inputs=reader.inputs,
        explain=compare_text(lambda: _value_text(name, value), lambda: _value_text(name, maximum), gaps, op="≤ "),
    )


# ------------------------------------------------------------------------------------------------
# Ratios, sums and averages over a window of fiscal years


def _sums(reader: Reader, years: list[int], numerator: str, denominators: list[str]) -> tuple[Decimal, Decimal]:
    num = den = Decimal(0)
    for year in years:
        value = reader.get(year, numerator)
        _, base = reader.first(year, denominators)
        if value is not None and base is not None:
            num += value
            den += base
    return num, den


def ratio_at_least(facts: Facts, env: Env, p: Mapping[str, Any]) -> Outcome:
    reader = Reader(facts)
    years = window(facts, env, int(p.get("years", 1)))
    if not years:
        return not_registered(reader, env)
    numerator, minimum = p["numerator"], p["min"]
    num, den = _sums(reader, years, numerator, as_list(p["denominator"]))
    if reader.missing:
        return reader.unknown()
    if den <= 0:
        return reader.unknown(("分母为零，无法计算比例", "the denominator is zero"))
    ratio = fmt.ratio_value(num / den)
    gaps = []
    if num < minimum * den:
        need = needed_for_ratio(minimum, num, den, bool(p.get("part_of_denominator", False)))
        gaps = [Gap(numerator, fmt.ceil_amount(numerator, need), env.year)]
    return Outcome(
        NOT_MET if gaps else MET,
        ratio,
        minimum,
        "ratio",
        shortfall=relative(minimum - ratio, minimum) if gaps else None,
        gaps=gaps,
        inputs=reader.inputs,
        explain=compare_text(lambda: _pct(ratio), lambda: _pct(minimum), gaps),
    )


def ratio_at_most(facts: Facts, env: Env, p: Mapping[str, Any]) -> Outcome:
    reader = Reader(facts)
    numerator, maximum = p["numerator"], p["max"]
    num, den = _sums(reader, [env.year], numerator, as_list(p["denominator"]))
    if reader.missing:
        return reader.unknown()
    if den <= 0:
        return reader.unknown(("分母为零，无法计算比例", "the denominator is zero"))
    ratio = fmt.ratio_value(num / den)
    gaps = []
    if num > maximum * den:
        gaps = [Gap(numerator, fmt.ceil_amount(numerator, num - maximum * den), env.year, "decrease")]
    return Outcome(
        NOT_MET if gaps else MET,
        ratio,
        maximum,
        "ratio",
        shortfall=relative(ratio - maximum, maximum) if gaps else None,
        gaps=gaps,
        inputs=reader.inputs,
        explain=compare_text(lambda: _pct(ratio), lambda: _pct(maximum), gaps, op="≤ "),
    )


def _window_total(facts: Facts, env: Env, p: Mapping[str, Any]) -> tuple[Reader, list[int], Decimal]:
    reader = Reader(facts)
    years = window(facts, env, int(p.get("years", 1)))
    total = Decimal(0)
    for year in years:
        value = reader.get(year, p["field"])
        if value is not None:
            total += value
    return reader, years, total


def sum_at_least(facts: Facts, env: Env, p: Mapping[str, Any]) -> Outcome:
    reader, years, total = _window_total(facts, env, p)
    if not years:
        return not_registered(reader, env)
    if reader.missing:
        return reader.unknown()
    name, minimum = p["field"], p["min"]
    gaps = [] if total >= minimum else [Gap(name, fmt.ceil_amount(name, minimum - total), env.year)]
    return Outcome(
        NOT_MET if gaps else MET,
        total,
        minimum,
        fmt.unit_of(name),
        shortfall=relative(minimum - total, minimum) if gaps else None,
        gaps=gaps,
        inputs=reader.inputs,
        explain=compare_text(lambda: _value_text(name, total), lambda: _value_text(name, minimum), gaps),
    )


def average_at_least(facts: Facts, env: Env, p: Mapping[str, Any]) -> Outcome:
    reader, years, total = _window_total(facts, env, p)
    if not years:
        return not_registered(reader, env)
    if reader.missing:
        return reader.unknown()
    name, minimum = p["field"], p["min"]
    average = (total / len(years)).quantize(fmt.CENT)
    short = minimum * len(years) - total
    gaps = [Gap(name, fmt.ceil_amount(name, short), env.year)] if short > 0 else []
    return Outcome(
        NOT_MET if gaps else MET,
        average,
        minimum,
        fmt.unit_of(name),
        shortfall=relative(minimum - average, minimum) if gaps else None,
        gaps=gaps,
        inputs=reader.inputs,
        explain=compare_text(lambda: _value_text(name, average), lambda: _value_text(name, minimum), gaps),
    )


# ------------------------------------------------------------------------------------------------
# Growth


def average_growth_at_least(facts: Facts, env: Env, p: Mapping[str, Any]) -> Outcome:
    """Mean of the year-on-year growth rates over `periods` years (小巨人: 2-year average ≥ 5 %)."""
    reader = Reader(facts)
    name, minimum, periods = p["field"], p["min"], int(p.get("periods", 2))
    years = list(range(env.year - periods, env.year + 1))
    values = [reader.get(year, name) for year in years]
    if reader.missing:
        return reader.unknown()
    if any(v <= 0 for v in values[:-1]):
        return reader.unknown(("基期收入为零或负数，无法计算增长率", "a base year's value is zero or negative"))
    rates = [Decimal(values[i + 1]) / values[i] - 1 for i in range(periods)]
    mean = fmt.ratio_value(sum(rates, Decimal(0)) / periods)
    gaps = []
    if sum(rates, Decimal(0)) < minimum * periods:
        others = sum(rates[:-1], Decimal(0))
        needed_last = values[-2] * (1 + minimum * periods - others)
        gaps = [Gap(name, fmt.ceil_amount(name, needed_last - values[-1]), env.year)]
    return Outcome(
        NOT_MET if gaps else MET,
        mean,
        minimum,
        "ratio",
        shortfall=relative(minimum - mean, minimum) if gaps else None,
        gaps=gaps,
        inputs=reader.inputs,
        explain=compare_text(lambda: _pct(mean), lambda: _pct(minimum), gaps),
        details={"rates": [fmt.ratio_value(r) for r in rates], "years": years},
    )


def cagr_at_least(facts: Facts, env: Env, p: Mapping[str, Any]) -> Outcome:
    """Compound annual growth over `years` fiscal years (瞪羚: 3-year CAGR ≥ 15 %): (last / first)^(1/(years−1)) − 1."""
    reader = Reader(facts)
    name, minimum, years = p["field"], p["min"], int(p.get("years", 3))
    first_year = env.year - years + 1
    first, last = reader.get(first_year, name), reader.get(env.year, name)
    if reader.missing:
        return reader.unknown()
    if first <= 0:
        return reader.unknown(("基期收入为零或负数，无法计算复合增长率", "the first year's value is zero or negative"))
    intervals = years - 1
    target = Decimal(first) * (1 + minimum) ** intervals
    # Shown and used for the shortfall only (the verdict compares exactly, above): a float power is plenty.
    cagr = (
        fmt.ratio_value(Decimal(repr((float(last) / float(first)) ** (1 / intervals) - 1))) if last > 0 else Decimal(-1)
    )
    gaps = [] if last >= target else [Gap(name, fmt.ceil_amount(name, target - last), env.year)]
    return Outcome(
        NOT_MET if gaps else MET,
        cagr,
        minimum,
        "ratio",
        shortfall=relative(minimum - cagr, minimum) if gaps else None,
        gaps=gaps,
        inputs=reader.inputs,
        explain=compare_text(lambda: _pct(cagr), lambda: _pct(minimum), gaps),
    )


# ------------------------------------------------------------------------------------------------
# Firm data: age, titles held, region, legal form


def registration_age(facts: Facts, env: Env, p: Mapping[str, Any]) -> Outcome:
    reader = Reader(facts)
    registered = reader.note("registration_date", facts.registration_date)
    minimum = p["min_years"]
    if registered is None:
        reader.missing.append(("registration_date", None))
        return reader.unknown()
    whole, fraction = divmod(minimum, 1)
    reached = add_years(registered, int(whole))
    if fraction:
        span = (add_years(reached, 1) - reached).days
        reached += dt.timedelta(days=int(span * fraction))
    age = fmt.ratio_value(Decimal((env.as_of - registered).days) / Decimal("365.25")).quantize(Decimal("0.01"))
    met = reached <= env.as_of
    gaps = [] if met else [Gap("registration_date", direction="wait", until=reached)]
    days_left = Decimal((reached - env.as_of).days)
    return Outcome(
        MET if met else NOT_MET,
        age,
        minimum,
        "years",
        shortfall=None if met else relative(days_left, minimum * Decimal("365.25")),
        gaps=gaps,
        inputs=reader.inputs,
        explain=compare_text(
            lambda: (
                f"{fmt.plain(age)} 年（{env.as_of.isoformat()}）",
                f"{fmt.plain(age)} years on {env.as_of.isoformat()}",
            ),
            lambda: (f"{fmt.plain(minimum)} 年", f"{fmt.plain(minimum)} years"),
            gaps,
        ),
    )


def holds_programme(facts: Facts, env: Env, p: Mapping[str, Any]) -> Outcome:
    reader = Reader(facts)
    wanted = [code.upper() for code in p["programmes"]]
    reader.note("certifications", sorted(facts.held))
    held = [code for code in wanted if code in facts.held]
    listed = "/".join(wanted)

    def explain(zh_name: str, en_name: str) -> fmt.Text:
        if held:
            return f"{zh_name}：持有有效 {held[0]}", f"{en_name}: holds a valid {held[0]}"
        return (
            f"{zh_name}：{env.as_of.isoformat()} 未持有有效 {listed}",
            f"{en_name}: no valid {listed} on {env.as_of.isoformat()}",
        )

    return Outcome(
        MET if held else NOT_MET, held[0] if held else None, wanted, "", inputs=reader.inputs, explain=explain
    )


def uscc_region(facts: Facts, env: Env, p: Mapping[str, Any]) -> Outcome:
    """Registered in a region, from the registering authority's division code (USCC positions 3–8)."""
    reader = Reader(facts)
    code = reader.note("uscc", facts.uscc)
    division = code[2:8] if len(code) == 18 else ""
    met = any(division.startswith(prefix) for prefix in p["prefixes"])

    def explain(zh_name: str, en_name: str) -> fmt.Text:
        state = ("是", "yes") if met else ("否", "no")
        return (
            f"{zh_name}：登记机关区划码 {division}（{state[0]}）",
            f"{en_name}: division code {division} ({state[1]})",
        )

    return Outcome(MET if met else NOT_MET, division, list(p["prefixes"]), "", inputs=reader.inputs, explain=explain)


def legal_form_in(facts: Facts, env: Env, p: Mapping[str, Any]) -> Outcome:
    reader = Reader(facts)
    form = reader.note("legal_form", facts.legal_form)
    met = form in p["forms"]

    def explain(zh_name: str, en_name: str) -> fmt.Text:
        return f"{zh_name}：{form}", f"{en_name}: {form}"

    return Outcome(MET if met else NOT_MET, form, list(p["forms"]), "", inputs=reader.inputs, explain=explain)


# ------------------------------------------------------------------------------------------------
# HNTE: 3-year R&D ratio, band chosen by the latest year's sales revenue


def _band_for_revenue(bands: list[Mapping[str, Any]], revenue: Decimal) -> tuple[Mapping[str, Any], Decimal | None]:
    """The band whose `revenue_max` (inclusive) is the smallest one ≥ revenue; a band without one is the top."""
    fitting = [b for b in bands if "revenue_max" not in b or revenue <= b["revenue_max"]]
    band = min(fitting, key=lambda b: b.get("revenue_max", Decimal("Infinity")))
    upper = band.get("revenue_max")
    lowers = [b["revenue_max"] for b in bands if "revenue_max" in b and (upper is None or b["revenue_max"] < upper)]
    return band, max(lowers) if lowers else None


def _revenue_band_text(lower: Decimal | None, upper: Decimal | None) -> fmt.Text:
    def zh(x: Decimal) -> str:
        return fmt.money_zh(x, symbol=False)

    def en(x: Decimal) -> str:
        return fmt.plain(x / fmt.MILLION)

    if lower is None and upper is not None:
        return f"收入 ≤ {zh(upper)}元档", f" for revenue ≤ {en(upper)}M"
    if upper is None and lower is not None:
        return f"收入 > {zh(lower)}元档", f" for revenue > {en(lower)}M"
    if lower is not None and upper is not None:
        return f"收入 {zh(lower)}–{zh(upper)}元档", f" for revenue {en(lower)}–{en(upper)}M"
    return "", ""


def rd_ratio_by_revenue_band(facts: Facts, env: Env, p: Mapping[str, Any]) -> Outcome:
    reader = Reader(facts)
    years = window(facts, env, int(p.get("years", 3)))
    if not years:
        return not_registered(reader, env)
    revenue_fields, rd_field = as_list(p["revenue_field"]), p.get("rd_field", "rd_expense")
    _, latest = reader.first(env.year, revenue_fields)
    rd, sales = _sums(reader, years, rd_field, revenue_fields)
    if reader.missing:
        return reader.unknown()
    if sales <= 0:
        return reader.unknown(("销售收入为零，无法计算比例", "sales revenue is zero"))
    band, lower = _band_for_revenue(p["bands"], latest)
    minimum = band["min_ratio"]
    ratio = fmt.ratio_value(rd / sales)
    gaps = [] if rd >= minimum * sales else [Gap(rd_field, fmt.ceil_amount(rd_field, minimum * sales - rd), env.year)]
    return Outcome(
        NOT_MET if gaps else MET,
        ratio,
        minimum,
        "ratio",
        shortfall=relative(minimum - ratio, minimum) if gaps else None,
        gaps=gaps,
        inputs=reader.inputs,
        explain=compare_text(
            lambda: _pct(ratio),
            lambda: _pct(minimum),
            gaps,
            op="",
            qualifier=_revenue_band_text(lower, band.get("revenue_max")),
        ),
        details={"years": years, "rd_total": rd, "revenue_total": sales, "latest_revenue": latest},
    )


# ------------------------------------------------------------------------------------------------
# 小巨人 2022: R&D by the latest year's revenue band


def _band_from_revenue_min(bands: list[Mapping[str, Any]], revenue: Decimal) -> Mapping[str, Any] | None:
    fitting = [b for b in bands if revenue >= b.get("revenue_min", 0)]
    return max(fitting, key=lambda b: b.get("revenue_min", 0)) if fitting else None


def rd_by_revenue_band_each_year(facts: Facts, env: Env, p: Mapping[str, Any]) -> Outcome:
    """小巨人 2022 by revenue: ≥ 1亿 → R&D ≥ 3 % in each of the last 2 years; 5000万–1亿 → ≥ 6 %;
    below → equity financing, R&D total over 2 years and the R&D staff share."""
    reader = Reader(facts)
    revenue_fields = as_list(p.get("revenue_field", "operating_revenue"))
    _, latest = reader.first(env.year, revenue_fields)
    if latest is None:
        return reader.unknown()
    band = _band_from_revenue_min(p["bands"], latest)
    if band is None:
        return reader.unknown(("没有适用的收入档", "no revenue band applies"))
    years = list(range(env.year - int(band.get("years", 2)) + 1, env.year + 1))
    if "min_ratio" in band:
        return _each_year_ratio(reader, env, band, years, revenue_fields, latest)
    checks: list[tuple[str, Decimal, Decimal, Gap | None]] = []  # (what, value, required, gap)
    if "equity_min" in band:
        total = sum((reader.get(y, "equity_financing") or Decimal(0) for y in years), Decimal(0))
        short = band["equity_min"] - total
        gap = Gap("equity_financing", fmt.ceil_amount("equity_financing", short), env.year) if short > 0 else None
        checks.append(("equity_financing", total, band["equity_min"], gap))
    if "rd_min" in band:
        total = sum((reader.get(y, "rd_expense") or Decimal(0) for y in years), Decimal(0))
        short = band["rd_min"] - total
        gap = Gap("rd_expense", fmt.ceil_amount("rd_expense", short), env.year) if short > 0 else None
        checks.append(("rd_expense", total, band["rd_min"], gap))
    if "rd_staff_ratio_min" in band:
        staff, rd_staff = reader.get(env.year, "staff_total"), reader.get(env.year, "rd_staff")
        if staff and rd_staff is not None:
            minimum = band["rd_staff_ratio_min"]
            ratio = fmt.ratio_value(Decimal(rd_staff) / staff)
            need = needed_for_ratio(minimum, Decimal(rd_staff), Decimal(staff), True)
            gap = Gap("rd_staff", fmt.ceil_amount("rd_staff", need), env.year) if rd_staff < minimum * staff else None
            checks.append(("rd_staff_ratio", ratio, minimum, gap))
    if reader.missing:
        return reader.unknown()
    gaps = [c[3] for c in checks if c[3] is not None]
    shortfalls = [relative(req - val, req) for _, val, req, gap in checks if gap is not None]
    upper = band_min_upper(p["bands"], band)
    band_text = (
        (f"收入 < {fmt.money_zh(upper, symbol=False)}元档", f" for revenue < {fmt.plain(upper / fmt.MILLION)}M")
        if upper is not None
        else ("", "")
    )
    return Outcome(
        NOT_MET if gaps else MET,
        {c[0]: c[1] for c in checks},
        {c[0]: c[2] for c in checks},
        "",
        shortfall=max((s for s in shortfalls if s is not None), default=None) if gaps else None,
        gaps=gaps,
        inputs=reader.inputs,
        explain=_checks_text(checks, band_text),
    )


def band_min_upper(bands: list[Mapping[str, Any]], band: Mapping[str, Any]) -> Decimal | None:
    own = band.get("revenue_min", 0)
    higher = [b.get("revenue_min", 0) for b in bands if b.get("revenue_min", 0) > own]
    return min(higher) if higher else None


def _checks_text(checks: list[tuple[str, Decimal, Decimal, Gap | None]], band_text: fmt.Text) -> Any:
    def explain(zh_name: str, en_name: str) -> fmt.Text:
        zh_parts, en_parts = [], []
        for what, value, required, gap in checks:
            if what == "rd_staff_ratio":
                v, r = (fmt.pct(value), fmt.pct_en(value)), (fmt.pct(required), fmt.pct_en(required))
                zh_label, en_label = "研发人员占比", "R&D staff share"
            else:
                v, r = fmt.amount_text(what, value), fmt.amount_text(what, required)
                zh_label, en_label = fmt.label(what)
            zh = f"{zh_label} {v[0]}，要求 ≥ {r[0]}"
            en = f"{en_label} {v[1]} vs ≥ {r[1]}"
            if gap is not None:
                g = gap.text()
                zh, en = f"{zh}（{g[0]}）", f"{en} ({g[1]})"
            zh_parts.append(zh)
            en_parts.append(en)
        return (
            f"{zh_name}（{band_text[0]}）：" + "；".join(zh_parts),
            f"{en_name}{band_text[1]}: " + "; ".join(en_parts),
        )

    return explain


def _each_year_ratio(
    reader: Reader,
    env: Env,
    band: Mapping[str, Any],
    years: list[int],
    revenue_fields: list[str],
    latest: Decimal,
) -> Outcome:
    minimum = band["min_ratio"]
    ratios: dict[int, Decimal] = {}
    gaps: list[Gap] = []
    for year in years:
        rd = reader.get(year, "rd_expense")
        _, revenue = reader.first(year, revenue_fields)
        if rd is None or revenue is None or revenue <= 0:
            continue
        ratios[year] = fmt.ratio_value(rd / revenue)
        if rd < minimum * revenue:
            gaps.append(Gap("rd_expense", fmt.ceil_amount("rd_expense", minimum * revenue - rd), year, show_year=True))
    if reader.missing or len(ratios) < len(years):
        return reader.unknown()
    lowest = min(ratios.values())

    def value_text() -> fmt.Text:
        return (
            "、".join(f"{y} 年 {fmt.pct(r)}" for y, r in ratios.items()),
            ", ".join(f"FY{y} {fmt.pct_en(r)}" for y, r in ratios.items()),
        )

    return Outcome(
        NOT_MET if gaps else MET,
        {str(y): r for y, r in ratios.items()},
        minimum,
        "ratio",
        shortfall=relative(minimum - lowest, minimum) if gaps else None,
        gaps=gaps,
        inputs=reader.inputs,
        explain=compare_text(
            value_text,
            lambda: (f"每年 ≥ {fmt.pct(minimum)}", f"≥ {fmt.pct_en(minimum)} each year"),
            gaps,
            op="",
            qualifier=_lg_band_text(band, latest),
        ),
    )


def _lg_band_text(band: Mapping[str, Any], latest: Decimal) -> fmt.Text:
    low = band.get("revenue_min", Decimal(0))
    return f"收入 ≥ {fmt.money_zh(low, symbol=False)}元档", f" for revenue ≥ {fmt.plain(low / fmt.MILLION)}M"


# ------------------------------------------------------------------------------------------------
# 四上: the above-size threshold by industry (GB/T 4754 section / division / group / class prefix)


def threshold_for_industry(thresholds: list[Mapping[str, Any]], industry: str) -> Mapping[str, Any] | None:
    """The entry with the longest `prefix` the industry code starts with (K701 before K, Q84 before Q)."""
    matching = [t for t in thresholds if industry.startswith(t["prefix"])]
    return max(matching, key=lambda t: len(t["prefix"])) if matching else None


def above_size_threshold(facts: Facts, env: Env, p: Mapping[str, Any]) -> Outcome:
    reader = Reader(facts)
    industry = reader.note("industry", facts.industry)
    if not industry:
        reader.missing.append(("industry", None))
        return reader.unknown()
    entry = threshold_for_industry(p["thresholds"], industry)
    if entry is None:

        def none_applies(zh_name: str, en_name: str) -> fmt.Text:
            return (
                f"{zh_name}：行业 {industry} 不属于“四上”统计范围",
                f"{en_name}: industry {industry} has no above-size category",
            )

        return Outcome(NOT_MET, None, None, "", inputs=reader.inputs, explain=none_applies)
    category: fmt.Text = (entry.get("label_zh", entry["prefix"]), entry.get("label_en", entry["prefix"]))
    if entry.get("manual"):

        def by_hand(zh_name: str, en_name: str) -> fmt.Text:
            return f"{zh_name}：{category[0]}，按资质认定，需人工核实", f"{en_name}: {category[1]}, by qualification"

        return Outcome(MANUAL, None, None, "", inputs=reader.inputs, explain=by_hand)
    if entry.get("always"):

        def always(zh_name: str, en_name: str) -> fmt.Text:
            return f"{zh_name}：{category[0]}，全部纳入", f"{en_name}: {category[1]}, all units included"

        return Outcome(MET, None, None, "", inputs=reader.inputs, explain=always)
    name, minimum = entry["field"], entry["min"]
    value = reader.get(env.year, name)
    if value is None:
        return reader.unknown()
    gaps = [] if value >= minimum else [Gap(name, fmt.ceil_amount(name, minimum - Decimal(value)), env.year)]
    return Outcome(
        NOT_MET if gaps else MET,
        value,
        minimum,
        "yuan",
        shortfall=relative(minimum - value, minimum) if gaps else None,
        gaps=gaps,
        inputs=reader.inputs,
        explain=compare_text(
            lambda: fmt.amount_text(name, value),
            lambda: fmt.amount_text(name, minimum),
            gaps,
            qualifier=(f"{category[0]}", f" ({category[1]})"),
        ),
        details={"category": entry["prefix"], "label_zh": category[0], "label_en": category[1]},
    )


# ------------------------------------------------------------------------------------------------
# The registry

_FIELD = Param(P.field)
_FIELDS = Param(P.fields)
_YEARS = Param(P.integer(1, 10), required=False)

_BAND_HNTE = P.record({"revenue_max": Param(P.MONEY, required=False), "min_ratio": Param(P.RATIO)})
_BAND_LG = P.record(
    {
        "revenue_min": Param(P.MONEY, required=False),
        "years": Param(P.integer(1, 5), required=False),
        "min_ratio": Param(P.RATIO, required=False),
        "equity_min": Param(P.MONEY, required=False),
        "rd_min": Param(P.MONEY, required=False),
        "rd_staff_ratio_min": Param(P.RATIO, required=False),
    }
)
_THRESHOLD = P.record(
    {
        "prefix": Param(P.text),
        "label_zh": Param(P.text, required=False),
        "label_en": Param(P.text, required=False),
        "field": Param(P.field, required=False),
        "min": Param(P.MONEY, required=False),
        "manual": Param(P.boolean, required=False),
        "always": Param(P.boolean, required=False),
    }
)

METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric(
            "at_least",
            at_least,
            {"field": _FIELDS, "min": Param(P.number())},
            "The latest year's value ≥ min (a list of fields: the first one given counts).",
        ),
        Metric(
            "at_most",
            at_most,
            {"field": _FIELDS, "max": Param(P.number())},
            "The latest year's value ≤ max (a list of fields: the first one given counts).",
        ),
        Metric(
            "ratio_at_least",
            ratio_at_least,
            {
                "numerator": _FIELD,
                "denominator": _FIELDS,
                "min": Param(P.RATIO),
                "years": _YEARS,
                "part_of_denominator": Param(P.boolean, required=False),
            },
            "Σ numerator / Σ denominator over the last `years` fiscal years (fewer for a younger firm) ≥ min.",
            _years(),
            cost=2,
        ),
        Metric(
            "ratio_at_most",
            ratio_at_most,
            {"numerator": _FIELD, "denominator": _FIELDS, "max": Param(P.RATIO)},
            "numerator / denominator of the latest year ≤ max (e.g. the debt ratio).",
            cost=2,
        ),
        Metric(
            "sum_at_least",
            sum_at_least,
            {"field": _FIELD, "years": _YEARS, "min": Param(P.MONEY)},
            "Σ field over the last `years` fiscal years ≥ min.",
            _years(),
            cost=2,
        ),
        Metric(
            "average_at_least",
            average_at_least,
            {"field": _FIELD, "years": _YEARS, "min": Param(P.MONEY)},
            "Average of field over the last `years` fiscal years ≥ min.",
            _years(),
            cost=2,
        ),
        Metric(
            "average_growth_at_least",
            average_growth_at_least,
            {"field": _FIELD, "periods": Param(P.integer(1, 5), required=False), "min": Param(P.RATE)},
            "Mean of the year-on-year growth rates over `periods` years ≥ min.",
            _years("periods", 1),
            cost=3,
        ),
        Metric(
            "cagr_at_least",
            cagr_at_least,
            {"field": _FIELD, "years": Param(P.integer(2, 10), required=False), "min": Param(P.RATE)},
            "(last / first)^(1/(years−1)) − 1 over `years` fiscal years ≥ min.",
            _years(),
            cost=3,
        ),
        Metric(
            "registration_age",
            registration_age,
            {"min_years": Param(P.number(0, 100))},
            "Years since registration on the evaluation date ≥ min_years.",
            reads_date=True,
        ),
        Metric(
            "holds_programme",
            holds_programme,
            {"programmes": Param(P.strings)},
            "Holds a valid certification of one of `programmes` on the evaluation date.",
        ),
        Metric(
            "uscc_region",
            uscc_region,
            {"prefixes": Param(P.strings)},
            "Registered in a region: the USCC's division code (positions 3–8) starts with one of `prefixes`.",
        ),
        Metric(
            "legal_form_in",
            legal_form_in,
            {"forms": Param(P.strings)},
            "The firm's legal form is one of `forms` (limited, joint_stock, other).",
        ),
        Metric(
            "rd_ratio_by_revenue_band",
            rd_ratio_by_revenue_band,
            {
                "years": _YEARS,
                "rd_field": Param(P.field, required=False),
                "revenue_field": _FIELDS,
                "bands": Param(P.listing(_BAND_HNTE)),
            },
            "HNTE: Σ R&D / Σ sales over the last `years` years ≥ the band's min_ratio; the band is chosen by the"
            " latest year's sales (revenue_max inclusive; a band without revenue_max is the top one).",
            _years(),
            cost=3,
        ),
        Metric(
            "rd_by_revenue_band_each_year",
            rd_by_revenue_band_each_year,
            {"revenue_field": Param(P.fields, required=False), "bands": Param(P.listing(_BAND_LG))},
            "小巨人: band by the latest year's revenue (revenue_min inclusive): R&D ratio ≥ min_ratio in each of"
            " `years` years, or equity_min / rd_min totals over `years` years and an R&D staff share.",
            lambda params: max((int(b.get("years", 2)) for b in params.get("bands", [])), default=2),
            cost=3,
        ),
        Metric(
            "above_size_threshold",
            above_size_threshold,
            {"thresholds": Param(P.listing(_THRESHOLD)), "apply_by_day": Param(P.integer(1, 28), required=False)},
            "四上: the entry with the longest industry-code prefix decides: field ≥ min, or manual (by"
            " qualification), or always. apply_by_day: the monthly entry is due on that day of the next month.",
            cost=2,
        ),
        *scoring.METRICS,
    ]
}
