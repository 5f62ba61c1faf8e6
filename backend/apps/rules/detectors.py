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
both eligible and near miss), chunked, a few queries per 2,000 firms. The pass is incremental when the
scan stages all three kinds (`ScanContext.incremental`): a firm whose inputs digest (apps.flags.models.
EligibilityMemo) is unchanged since its last evaluation is not evaluated again; its findings are its
non-final flags of the three kinds, re-stated by one SQL query (so a second night on unchanged data
evaluates nothing, and an unchanged flag keeps the evidence, with its `as_of`, of the evaluation that
wrote it). A firm whose outcome depended on the day (a registration age not yet reached) is evaluated
every day until it no longer does. The fiscal year is the last one,
or the one before when the last has no verified figures yet (annual reports come in by May); the
rules are those in force on the scan day. Subject "fy:YYYY". The pass is shared by the three kinds
for one ScanContext object: pass the same context to all detectors of a scan.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.db import connection
from django.db.models import Model, Q, QuerySet

from apps.core.db import local_settings
from apps.figures.models import FigureState, MonthlyFigures
from apps.flags.detectors import SQL_FINDING_COLUMNS, Finding, ScanContext, SqlFindings, ThenSql, register_detector
from apps.flags.models import ELIGIBILITY_KINDS, NON_FINAL_STATES, EligibilityMemo, Flag
from apps.programmes.models import Certification, DeadlineKind, Programme
from apps.programmes.selectors import deadlines_in_year
from apps.registry.models import Firm
from apps.rules import formatting as fmt
from apps.rules.engine import MET, NOT_MET, Env, Facts
from apps.rules.evaluation import (
    CHUNK,
    ELIGIBLE,
    CompiledRuleSet,
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
KINDS = ELIGIBILITY_KINDS


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
    values, params = [], []
    for e in thresholds:
        values.append("(%s, %s::numeric)")
        params += [e["prefix"], e["min"] if e.get("field") == MONTHLY_FIELD and "min" in e else None]
    # The longest matching prefix decides (K701, always, shadows K); NULL minimum = not by revenue.
    threshold = "SELECT NULL::numeric"
    if values:
        rows_sql = ", ".join(values)  # placeholders only
        threshold = (
            f"SELECT t.minimum FROM (VALUES {rows_sql}) AS t(prefix, minimum)"  # noqa: S608
            " WHERE left(f.industry_id, length(t.prefix)) = t.prefix ORDER BY length(t.prefix) DESC LIMIT 1"
        )
    firms_sql, firm_params = ctx.firm_filter_sql("f.id")
    months_sql, month_params = ctx.firm_filter_sql("m.firm_id")  # the same narrowing on both sides of the join
    # One query: the batch's firms in the park, their verified year-to-date revenue of this year or last
    # against their industry's threshold, no ABOVE_SIZE title valid on the scan day (NOT EXISTS: an index
    # probe for the few candidates), the first month it was reached in the latest year.
    query = f"""
        WITH m AS MATERIALIZED (  -- the batch's verified monthly rows first: a tenth of the firms have any
            SELECT firm_id, year, month, main_business_revenue_ytd FROM {MonthlyFigures._meta.db_table} m
            WHERE {months_sql} AND m.state = %s AND m.year BETWEEN %s AND %s
        )
        SELECT DISTINCT ON (m.firm_id) m.firm_id, m.year, m.month, m.main_business_revenue_ytd, t.minimum,
               f.industry_id
        FROM m
        JOIN {Firm._meta.db_table} f ON f.id = m.firm_id
        CROSS JOIN LATERAL ({threshold}) AS t(minimum)
        WHERE {firms_sql}
          AND (f.left_park_on IS NULL OR f.left_park_on > %s) AND (f.entered_park_on IS NULL OR f.entered_park_on <= %s)
          AND t.minimum IS NOT NULL AND m.main_business_revenue_ytd >= t.minimum
          AND NOT EXISTS (
              SELECT 1 FROM {Certification._meta.db_table} c
              WHERE c.firm_id = m.firm_id AND c.programme_id = %s AND c.period @> %s::date
          )
        ORDER BY m.firm_id, m.year DESC, m.month
    """  # noqa: S608 - table names are ours, every value is a parameter
    # A batch's few thousand rows: parallel workers would each redo the firm side of the join.
    with connection.cursor() as cursor, local_settings(cursor, max_parallel_workers_per_gather="0"):
        cursor.execute(
            query,
            [
                *month_params,
                FigureState.VERIFIED,
                ctx.today.year - 1,
                ctx.today.year,
                *params,
                *firm_params,
                ctx.today,
                ctx.today,
                rule_set.programme_id,
                ctx.today,
            ],
        )
        rows = cursor.fetchall()
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
class _Memo:
    """What an incremental pass decided: the firms re-stated from their flags, the memos to write."""

    kept: list[int] = field(default_factory=list)
    rows: list[tuple[int, str, bool]] = field(default_factory=list)  # (firm, digest, dated)
    evaluated: int = 0


@dataclass
class _Pass:
    """The findings of one eligibility pass over a ScanContext's firms. `eligible` (the most numerous)
    is streamed to the scan while the pass runs and kept only if the pass was started for another kind."""

    ctx: weakref.ref[ScanContext]
    found: dict[str, list[Finding]]
    complete: bool = False
    memo: _Memo | None = None


_passes: dict[int, _Pass] = {}


def _remember(ctx: ScanContext, found: dict[str, list[Finding]], complete: bool, memo: _Memo | None) -> _Pass:
    key = id(ctx)

    def forget(_ref: weakref.ref[ScanContext]) -> None:
        _passes.pop(key, None)

    entry = _Pass(weakref.ref(ctx, forget), found, complete, memo)
    _passes[key] = entry
    return entry


def _entry(ctx: ScanContext) -> _Pass | None:
    entry = _passes.get(id(ctx))
    if entry is None or entry.ctx() is not ctx or not entry.complete:
        return None
    return entry


def _restated(ctx: ScanContext, kind: str, memo: _Memo | None) -> SqlFindings | None:
    """The findings of the firms the pass did not evaluate: their non-final flags of `kind`, as they are."""
    if memo is None or not memo.kept:
        return None
    columns = ", ".join(SQL_FINDING_COLUMNS)
    return SqlFindings(
        f"SELECT {columns} FROM {Flag._meta.db_table}"  # noqa: S608 - our table, values are params
        " WHERE state = ANY(%s::text[]) AND kind = %s AND firm_id = ANY(%s::bigint[])",
        [list(NON_FINAL_STATES), kind, memo.kept],
    )


def _start_memo(ctx: ScanContext) -> _Memo | None:
    if not ctx.incremental:
        return None
    memo = _Memo()

    def write(merged: set[str]) -> None:
        ctx.stats["eligibility_evaluated"] = memo.evaluated
        ctx.stats["eligibility_restated"] = len(memo.kept)
        if set(KINDS) <= merged and memo.rows:
            _write_memos(ctx.today, memo.rows)

    ctx.after_merge.append(write)
    return memo


def _write_memos(today: dt.date, rows: list[tuple[int, str, bool]]) -> None:
    firms, digests, dated = (list(column) for column in zip(*rows, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {EligibilityMemo._meta.db_table} AS m (firm_id, digest, as_of, dated)
            SELECT f, d, %s, x FROM unnest(%s::bigint[], %s::text[], %s::boolean[]) AS u(f, d, x)
            ON CONFLICT (firm_id) DO UPDATE SET digest = EXCLUDED.digest, as_of = EXCLUDED.as_of,
                                                dated = EXCLUDED.dated
            """,  # noqa: S608 - our table, values are params
            [today, firms, digests, dated],
        )


@register_detector("eligible")
def programmes_now_within_reach(ctx: ScanContext) -> Iterable[Finding]:
    entry = _entry(ctx)
    if entry is not None:
        return ThenSql(list(entry.found.get("eligible", [])), lambda: _restated(ctx, "eligible", entry.memo))
    memo = _start_memo(ctx)

    def stream() -> Iterator[Finding]:
        kept: dict[str, list[Finding]] = {"upgrade_candidate": [], "near_miss": []}
        for finding in _eligibility_pass(ctx, memo):
            if finding.kind == "eligible":
                yield finding  # handed over at once: the most numerous kind is never held in memory
            else:
                kept[finding.kind].append(finding)
        _remember(ctx, kept, complete=True, memo=memo)

    return ThenSql(stream(), lambda: _restated(ctx, "eligible", memo))


def _kind(ctx: ScanContext, kind: str) -> Iterable[Finding]:
    entry = _entry(ctx)
    if entry is None:
        memo = _start_memo(ctx)
        found: dict[str, list[Finding]] = {k: [] for k in KINDS}
        for finding in _eligibility_pass(ctx, memo):
            found[finding.kind].append(finding)
        entry = _remember(ctx, found, complete=True, memo=memo)
    memo = entry.memo
    return ThenSql(list(entry.found.get(kind, [])), lambda: _restated(ctx, kind, memo))


@register_detector("upgrade_candidate")
def next_rung_within_reach(ctx: ScanContext) -> Iterable[Finding]:
    return _kind(ctx, "upgrade_candidate")


@register_detector("near_miss")
def programmes_nearly_within_reach(ctx: ScanContext) -> Iterable[Finding]:
    return _kind(ctx, "near_miss")


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


@cache
def _code_digest() -> str:
    """The evaluation code itself (this app's modules): a deploy that changes it re-evaluates every firm."""
    digest = hashlib.md5(usedforsecurity=False)
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _fields(obj: Model) -> tuple[Any, ...]:
    return tuple((f.attname, getattr(obj, f.attname)) for f in obj._meta.concrete_fields)


def _config_digest(
    programmes: list[Programme], compiled: dict[str, CompiledRuleSet], windows: dict[str, dt.date], latest: int
) -> bytes:
    """Everything a firm is evaluated against: programmes, rule sets and criteria (every column, names
    included: they are in the evidence), application windows, the last fiscal year, the code."""
    described = (
        _code_digest(),
        latest,
        [_fields(p) for p in programmes],
        [
            (_fields(c.rule_set), [_fields(item.criterion) for item in c.criteria])
            for code, c in sorted(compiled.items())
        ],
        sorted(windows.items()),
    )
    return hashlib.md5(repr(described).encode(), usedforsecurity=False).digest()


def _firm_digest(config: bytes, year: int, facts: Facts) -> str:
    described = (
        year,
        facts.registration_date,
        facts.industry,
        facts.legal_form,
        facts.uscc,
        facts.tags,
        sorted(facts.held),
        [(y, sorted(row.items())) for y, row in sorted(facts.figures.items())],
    )
    digest = hashlib.md5(config, usedforsecurity=False)
    digest.update(repr(described).encode())
    return digest.hexdigest()


def _dated(results: list[ProgrammeResult]) -> bool:
    """Whether an outcome depended on the day: a criterion reading the date that is not (yet) met. The
    requirements hold what a stopped evaluation looked at; the results, a complete one's indicators too."""
    for result in results:
        looked_at = [m for r in result.requirements for m in r.members] + result.results
        for item in looked_at:
            metric = item.compiled.metric
            if metric is not None and metric.reads_date and item.outcome.status != MET:
                return True
    return False


def _memos(firm_ids: list[int]) -> dict[int, tuple[str, dt.date, bool]]:
    rows = EligibilityMemo.objects.filter(firm_id__in=firm_ids).values_list("firm_id", "digest", "as_of", "dated")
    return {firm: (digest, as_of, dated) for firm, digest, as_of, dated in rows}


def _eligibility_pass(ctx: ScanContext, memo: _Memo | None = None) -> Iterator[Finding]:
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
    config = _config_digest(programmes, compiled, windows, latest) if memo is not None else b""
    ids = list(firms_in_park(ctx).order_by("pk").values_list("pk", flat=True))
    for chunk in chunks(ids, CHUNK):
        facts = load_facts(chunk, years=years, on=ctx.today)
        known = _memos(chunk) if memo is not None else {}
        for firm_id in chunk:
            firm = facts.get(firm_id)
            if firm is None:
                continue
            year = latest if latest in firm.figures else latest - 1 if latest - 1 in firm.figures else None
            if year is None:
                continue  # no verified figures lately: data_missing's business, not ours
            digest = ""
            if memo is not None:
                digest = _firm_digest(config, year, firm)
                seen = known.get(firm_id)
                if (
                    seen is not None
                    and seen[0] == digest
                    and seen[1] <= ctx.today
                    and (not seen[2] or seen[1] == ctx.today)
                ):
                    memo.kept.append(firm_id)
                    continue
                memo.evaluated += 1
            results: list[ProgrammeResult] = []
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
                results.append(result)
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
            if memo is not None:
                memo.rows.append((firm_id, digest, _dated(results)))
