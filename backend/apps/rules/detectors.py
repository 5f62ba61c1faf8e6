"""What the nightly scan looks for in the rules: thresholds reached, programmes a firm now qualifies for,
the next rung of a ladder, and near misses. See apps.flags.detectors for the contract.

- `threshold_reached`: a firm not holding ABOVE_SIZE whose VERIFIED year-to-date main-business revenue
  reached its industry's threshold (the ABOVE_SIZE rule set in force: longest industry-code prefix
  wins, only thresholds on main-business revenue, as monthly figures carry). One finding per firm:
  the first month of the latest year (this year or last) in which it crossed, subject "month:YYYY-MM",
  due on the `apply_by_day` of the next month (月度入库). One SQL query.
- `eligible`: meets every computed requirement of a programme it does not hold (manual criteria listed
  in the evidence as still to check). Programmes below a rung the firm holds on the same ladder are
  skipped (nobody climbs down), and the next rung of a held one is reported as:
- `upgrade_candidate`: holds rung r of a ladder and meets the computed requirements of rung r + 1.
- `near_miss`: fails only numeric requirements of a programme it does not hold, each by at most the
  rule set's margin (default 10 %); the evidence has the exact shortfall of each.

The last three are one pass over the firms (evaluation stops at the first requirement that rules out
both eligible and near miss), chunked, a few queries per 2,000 firms. The fiscal year is the last one,
or the one before when the last has no verified figures yet (annual reports come in by May); the
rules are those in force on the scan day. Subject "fy:YYYY". The pass is shared by the three kinds
for one ScanContext object: pass the same context to all detectors of a scan.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, DecimalField, F, Q, QuerySet, Value, When

from apps.figures.selectors import verified_monthly_figures
from apps.flags.detectors import Finding, ScanContext, register_detector
from apps.programmes.models import Certification, DeadlineKind, Programme
from apps.programmes.selectors import certifications_valid_on, deadlines_in_year
from apps.registry.models import Firm
from apps.rules import formatting as fmt
from apps.rules.engine import NOT_MET, Env
from apps.rules.evaluation import (
    CHUNK,
    ELIGIBLE,
    ProgrammeResult,
    chunks,
    compile_rule_set,
    evaluate_programme,
    load_facts,
    verdict_text,
)
from apps.rules.metrics import threshold_for_industry
from apps.rules.models import CriterionKind
from apps.rules.selectors import rule_sets_in_force

ABOVE_SIZE = "ABOVE_SIZE"
MONTHLY_FIELD = "main_business_revenue"
KINDS = ("eligible", "upgrade_candidate", "near_miss")


def firms_in_park(ctx: ScanContext) -> QuerySet[Firm]:
    firms = Firm.objects.filter(Q(left_park_on__isnull=True) | Q(left_park_on__gt=ctx.today)).filter(
        Q(entered_park_on__isnull=True) | Q(entered_park_on__lte=ctx.today)
    )
    if ctx.firm_range is not None:
        firms = firms.filter(pk__gte=ctx.firm_range[0], pk__lte=ctx.firm_range[1])
    elif ctx.firm_ids is not None:
        firms = firms.filter(pk__in=list(ctx.firm_ids))
    return firms


# ------------------------------------------------------------------------------------------------
# threshold_reached


def _narrowed(rows: QuerySet[Any], ctx: ScanContext) -> QuerySet[Any]:
    """Rows with a firm_id, narrowed to the context's firms on their own column (an index range for a
    batch, instead of reading every firm's rows and joining them to the batch)."""
    if ctx.firm_range is not None:
        return rows.filter(firm_id__gte=ctx.firm_range[0], firm_id__lte=ctx.firm_range[1])
    if ctx.firm_ids is not None:
        return rows.filter(firm_id__in=list(ctx.firm_ids))
    return rows


def _next_month_day(year: int, month: int, day: int) -> dt.date:
    return dt.date(year + month // 12, month % 12 + 1, day)


@register_detector("threshold_reached")
def above_size_reached(ctx: ScanContext) -> Iterable[Finding]:
    rule_set = rule_sets_in_force(ctx.today, [ABOVE_SIZE]).get(ABOVE_SIZE)
    if rule_set is None:
        return
    compiled = compile_rule_set(rule_set)
    criterion = next(
        (c for c in compiled.criteria if c.criterion.metric == "above_size_threshold" and not c.problems), None
    )
    if criterion is None:
        return
    thresholds = criterion.params["thresholds"]
    apply_by_day = int(criterion.params.get("apply_by_day", 5))
    # Longest prefix first: a CASE takes the first WHEN that matches, so K701 (always) shadows K.
    entries = sorted(thresholds, key=lambda e: -len(e["prefix"]))
    threshold = Case(
        *[
            When(
                firm__industry__code__startswith=e["prefix"],
                then=Value(e["min"] if e.get("field") == MONTHLY_FIELD and "min" in e else None),
            )
            for e in entries
        ],
        default=Value(None),
        output_field=DecimalField(max_digits=18, decimal_places=2),
    )
    holders = _narrowed(
        certifications_valid_on(ctx.today, Certification.objects.filter(programme__code=ABOVE_SIZE)), ctx
    )
    rows = (
        _narrowed(verified_monthly_figures(firms=firms_in_park(ctx)), ctx)
        .filter(year__gte=ctx.today.year - 1, year__lte=ctx.today.year)
        .annotate(threshold=threshold)
        .filter(threshold__isnull=False, main_business_revenue_ytd__gte=F("threshold"))
        .exclude(firm_id__in=holders.values("firm_id"))
        .order_by("firm_id", "-year", "month")
        .distinct("firm_id")
        .values_list("firm_id", "year", "month", "main_business_revenue_ytd", "threshold", "firm__industry_id")
    )
    version = rule_set.version()
    for firm_id, year, month, revenue, minimum, industry in rows:
        entry = threshold_for_industry(thresholds, industry) or {}
        category = (entry.get("label_zh", entry.get("prefix", "")), entry.get("label_en", entry.get("prefix", "")))
        due = _next_month_day(year, month, apply_by_day)
        period = f"{year}-{month:02d}"
        summary = (
            f"{year} 年 1–{month} 月累计主营业务收入 {fmt.money_zh(revenue)}，达到{category[0]}入库标准"
            f" {fmt.money_zh(minimum)}；请于 {due.isoformat()} 前申报月度入库",
            f"Year-to-date main-business revenue {fmt.money_en(revenue)} (Jan–{period}) reached the"
            f" {category[1]} threshold {fmt.money_en(minimum)}; apply for monthly entry by {due.isoformat()}",
        )
        yield Finding(
            firm_id=firm_id,
            kind="threshold_reached",
            programme_code=ABOVE_SIZE,
            subject=f"month:{period}",
            due_date=due,
            severity="warning",
            evidence={
                "month": period,
                "industry": industry,
                "category": {"zh": category[0], "en": category[1]},
                "rule_set": version,
                "inputs": [
                    {"field": "main_business_revenue_ytd", "year": year, "month": month, "value": fmt.plain(revenue)},
                    {"field": "industry", "value": industry},
                ],
                "threshold": fmt.plain(minimum),
                "gaps": [],
                "programme_name": rule_set.programme.name_zh,
                "programme_name_en": rule_set.programme.name_en,
                "summary": summary[0],
                "summary_en": summary[1],
            },
        )


# ------------------------------------------------------------------------------------------------
# eligible / upgrade_candidate / near_miss: one pass, shared by the three detectors of a scan


@dataclass
class _Pass:
    """The findings of one eligibility pass over a ScanContext's firms. `eligible` (the most numerous)
    is streamed to the scan while the pass runs and kept only if the pass was started for another kind."""

    ctx: weakref.ref[ScanContext]
    found: dict[str, list[Finding]]
    complete: bool = False


_passes: dict[int, _Pass] = {}


def _remember(ctx: ScanContext, found: dict[str, list[Finding]], complete: bool) -> _Pass:
    key = id(ctx)

    def forget(_ref: weakref.ref[ScanContext]) -> None:
        _passes.pop(key, None)

    entry = _Pass(weakref.ref(ctx, forget), found, complete)
    _passes[key] = entry
    return entry


def _cached(ctx: ScanContext, kind: str) -> list[Finding] | None:
    entry = _passes.get(id(ctx))
    if entry is None or entry.ctx() is not ctx or not entry.complete:
        return None
    return entry.found.get(kind)


@register_detector("eligible")
def programmes_now_within_reach(ctx: ScanContext) -> Iterator[Finding]:
    cached = _cached(ctx, "eligible")
    if cached is not None:
        yield from cached
        return
    kept: dict[str, list[Finding]] = {"upgrade_candidate": [], "near_miss": []}
    for finding in _eligibility_pass(ctx):
        if finding.kind == "eligible":
            yield finding  # handed over at once: the most numerous kind is never held in memory
        else:
            kept[finding.kind].append(finding)
    _remember(ctx, kept, complete=True)


def _kind(ctx: ScanContext, kind: str) -> list[Finding]:
    cached = _cached(ctx, kind)
    if cached is not None:
        return cached
    found: dict[str, list[Finding]] = {k: [] for k in KINDS}
    for finding in _eligibility_pass(ctx):
        found[finding.kind].append(finding)
    _remember(ctx, found, complete=True)
    return found[kind]


@register_detector("upgrade_candidate")
def next_rung_within_reach(ctx: ScanContext) -> Iterable[Finding]:
    return list(_kind(ctx, "upgrade_candidate"))


@register_detector("near_miss")
def programmes_nearly_within_reach(ctx: ScanContext) -> Iterable[Finding]:
    return list(_kind(ctx, "near_miss"))


def _next_windows(today: dt.date) -> dict[str, dt.date]:
    """The next application-window close per programme, from the deadlines calendar (if any is known)."""
    found: dict[str, dt.date] = {}
    for year in (today.year, today.year + 1):
        for entry in deadlines_in_year(year):
            deadline = entry["deadline"]
            if deadline.kind == DeadlineKind.APPLICATION_WINDOW and entry["due_on"] >= today:
                found.setdefault(deadline.programme.code, entry["due_on"])
    return found


def evidence_of(result: ProgrammeResult, **extra: Any) -> dict[str, Any]:
    """Inputs (with their fiscal years), rule-set version, gaps (exact amounts, both languages), each computed
    criterion's status and value, the manual criteria still to check, and a summary in both languages
    (what a notification says). Sentences are written only for what fails: a scan may find many."""
    criteria: list[dict[str, Any]] = []
    inputs: list[dict[str, Any]] = []
    seen: set[tuple[str, int | None]] = set()
    failing_zh: list[str] = []
    failing_en: list[str] = []
    for item in result.results:
        criterion, outcome = item.criterion, item.outcome
        if criterion.kind == CriterionKind.MANUAL:
            continue
        entry = {
            "code": criterion.code,
            "status": outcome.status,
            "value": fmt.plain(outcome.value),
            "required": fmt.plain(outcome.required),
            "shortfall": fmt.plain(outcome.shortfall),
        }
        if outcome.status == NOT_MET and not criterion.indicator and outcome.explain is not None:
            entry["text_zh"], entry["text_en"] = outcome.explain(
                criterion.name_zh, criterion.name_en or criterion.name_zh
            )
            failing_zh.append(entry["text_zh"])
            failing_en.append(entry["text_en"])
        criteria.append(entry)
        for name, year, value in outcome.inputs:
            if (name, year) not in seen:
                seen.add((name, year))
                inputs.append({"field": name, "fiscal_year": year, "value": fmt.plain(value)})
    zh, en = verdict_text(result)
    if failing_zh:  # a near miss: say exactly what is short
        zh, en = zh + "。" + "；".join(failing_zh), en + ". " + "; ".join(failing_en)
    programme, rule_set = result.programme, result.rule_set
    version = f"{rule_set.code} r{rule_set.revision}" if rule_set else ""
    return {
        "programme": programme.code,
        "programme_name": programme.name_zh,
        "programme_name_en": programme.name_en or programme.name_zh,
        "fiscal_year": result.fiscal_year,
        "as_of": result.as_of.isoformat(),
        "rule_set": rule_set.version() if rule_set else None,
        "verdict": result.verdict,
        "near_miss": result.near_miss,
        "near_miss_margin": fmt.plain(result.margin),
        "criteria": criteria,
        "inputs": inputs,
        "gaps": [gap.as_dict() for gap in result.gaps()],
        "manual_to_check": [
            {"code": c.code, "name_zh": c.name_zh, "name_en": c.name_en or c.name_zh} for c in result.manual_to_check()
        ],
        "summary": f"{programme.name_zh}（{result.fiscal_year} 年度数据，{version}）：{zh}",
        "summary_en": f"{programme.name_en or programme.name_zh} (FY{result.fiscal_year} figures, {version}): {en}",
        **extra,
    }


def _eligibility_pass(ctx: ScanContext) -> Iterator[Finding]:
    programmes = list(Programme.objects.filter(active=True).order_by("ladder", "rung", "code"))
    rule_sets = rule_sets_in_force(ctx.today, [p.code for p in programmes])
    compiled = {code: compile_rule_set(rule_set) for code, rule_set in rule_sets.items()}
    programmes = [p for p in programmes if p.code in compiled]
    if not programmes:
        return
    windows = _next_windows(ctx.today)
    latest = ctx.last_fiscal_year
    window = max(c.window for c in compiled.values())
    years = range(latest - 1 - window + 1, latest + 1)
    ids = list(firms_in_park(ctx).order_by("pk").values_list("pk", flat=True))
    for chunk in chunks(ids, CHUNK):
        facts = load_facts(chunk, years=years, on=ctx.today)
        for firm_id in chunk:
            firm = facts.get(firm_id)
            if firm is None:
                continue
            year = latest if latest in firm.figures else latest - 1 if latest - 1 in firm.figures else None
            if year is None:
                continue  # no verified figures lately: data_missing's business, not ours
            env = Env(year, ctx.today)
            top: dict[str, Programme] = {}
            for p in programmes:
                if p.code in firm.held and (p.ladder not in top or p.rung > top[p.ladder].rung):
                    top[p.ladder] = p
            held_rungs = {p.ladder: p.rung for p in top.values()}
            for p in programmes:
                if p.code in firm.held or p.rung < held_rungs.get(p.ladder, 0):
                    continue
                result = evaluate_programme(p, compiled[p.code], firm, env, stop_when_hopeless=True)
                if result.verdict == ELIGIBLE:
                    below = top.get(p.ladder)
                    if below is not None and p.rung == below.rung + 1:
                        kind, extra = "upgrade_candidate", {"holds": below.code}
                    else:
                        kind, extra = "eligible", {}
                elif result.complete and result.near_miss:
                    kind, extra = "near_miss", {}
                else:
                    continue
                yield (
                    Finding(
                        firm_id=firm_id,
                        kind=kind,
                        programme_code=p.code,
                        subject=f"fy:{year}",
                        due_date=windows.get(p.code),
                        severity="info",
                        evidence=evidence_of(result, **extra),
                    )
                )
