"""Evaluating firms against the rule sets: set-based, read-only.

`evaluate_firms(firm_ids, year, ...)` loads what it needs for all the firms in a few queries per
chunk of firms (registry data, VERIFIED annual figures through apps.figures.selectors, titles held),
then evaluates every programme's rule set in force in memory. It never writes: a what-if only merges
hypothetical values over the verified ones for the duration of the call.

Which rules: the rule set of each programme in force on `on` — by default 31 December of the
evaluated fiscal year, so re-evaluating a past year uses that year's rules. The result names the
rule set and its revision.

Verdict of one programme: criteria sharing a `group` are alternatives (one met suffices); indicators
and manual criteria do not decide. *eligible* when every computed requirement is met (manual ones are
listed to check), *not_eligible* when one is not met, *unknown* when none fails but data is missing,
*manual* when nothing can be computed, *no_rule_set* when no rules are in force on that day. A
*near miss* is a firm that fails only numeric requirements, each by at most the rule set's margin.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from apps.figures.models import ANNUAL_VALUE_FIELDS
from apps.figures.selectors import verified_annual_figures
from apps.programmes.models import Certification, Programme
from apps.programmes.selectors import certifications_valid_on
from apps.registry.models import Firm
from apps.rules import formatting as fmt
from apps.rules import params as P
from apps.rules.engine import MANUAL, MET, NOT_MET, UNKNOWN, Env, Facts, Gap, Metric, Outcome
from apps.rules.metrics import METRICS
from apps.rules.models import Criterion, CriterionKind, RuleSet
from apps.rules.selectors import rule_sets_in_force

ELIGIBLE, NOT_ELIGIBLE, VERDICT_UNKNOWN, VERDICT_MANUAL, NO_RULE_SET = (
    "eligible",
    "not_eligible",
    "unknown",
    "manual",
    "no_rule_set",
)
CHUNK = 2000
# What-if: {firm id: {fiscal year: {field: value}}}
WhatIf = Mapping[int, Mapping[int, Mapping[str, Any]]]


def year_end(year: int) -> dt.date:
    return dt.date(year, 12, 31)


# ------------------------------------------------------------------------------------------------
# Compiled rule sets


def _decimals(value: Any) -> Any:
    """JSON numbers → exact decimals (through their text), everything else as it is."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return P.to_decimal(value)
    if isinstance(value, list):
        return [_decimals(v) for v in value]
    if isinstance(value, dict):
        return {k: _decimals(v) for k, v in value.items()}
    return value


@dataclass
class CompiledCriterion:
    criterion: Criterion
    metric: Metric | None
    params: dict[str, Any]
    problems: list[tuple[str, fmt.Text]]

    @property
    def decides(self) -> bool:
        return self.criterion.kind == CriterionKind.COMPUTED and not self.criterion.indicator


@dataclass
class CompiledRuleSet:
    rule_set: RuleSet
    criteria: list[CompiledCriterion]
    window: int
    margin: Decimal
    # What the verdict needs, as (key, members): a criterion, or a group of alternatives. In data order,
    # and again cheapest first (what a scan that stops at the first hopeless one evaluates in).
    requirements: list[tuple[str, list[CompiledCriterion]]] = field(default_factory=list)
    cheapest_first: list[tuple[str, list[CompiledCriterion]]] = field(default_factory=list)


def compile_rule_set(rule_set: RuleSet) -> CompiledRuleSet:
    compiled = []
    window = 1
    for criterion in rule_set.criteria.all():
        metric = METRICS.get(criterion.metric) if criterion.kind == CriterionKind.COMPUTED else None
        problems: list[tuple[str, fmt.Text]] = []
        if criterion.kind == CriterionKind.COMPUTED:
            if metric is None:
                problems = [("metric", ("未知的计算方法", f"unknown metric {criterion.metric!r}"))]
            else:
                problems = P.validate(metric.schema, criterion.params)
        params = _decimals(criterion.params) if not problems else {}
        if metric is not None and not problems:
            window = max(window, metric.window(params))
        compiled.append(CompiledCriterion(criterion, metric, params, problems))
    deciding: dict[str, list[CompiledCriterion]] = {}
    for item in compiled:
        if item.decides:
            deciding.setdefault(item.criterion.group or f"criterion:{item.criterion.code}", []).append(item)
    requirements = [(key.removeprefix("criterion:"), members) for key, members in deciding.items()]
    cheapest = sorted(requirements, key=lambda r: sum(m.metric.cost if m.metric else 1 for m in r[1]))
    return CompiledRuleSet(rule_set, compiled, window, rule_set.near_miss_margin, requirements, cheapest)


# ------------------------------------------------------------------------------------------------
# Results


@dataclass
class CriterionResult:
    compiled: CompiledCriterion
    outcome: Outcome

    @property
    def criterion(self) -> Criterion:
        return self.compiled.criterion


@dataclass
class Requirement:
    """One thing the verdict needs: a criterion, or a group of alternatives."""

    key: str
    members: list[CriterionResult]
    status: str
    shortfall: Decimal | None


@dataclass
class ProgrammeResult:
    programme: Programme
    rule_set: RuleSet | None
    held: bool
    fiscal_year: int
    as_of: dt.date
    verdict: str
    margin: Decimal = Decimal("0.10")
    results: list[CriterionResult] = field(default_factory=list)
    requirements: list[Requirement] = field(default_factory=list)
    complete: bool = True  # False when evaluation stopped at the first hopeless requirement
    _manual: list[Criterion] | None = field(default=None, repr=False)

    @property
    def near_miss(self) -> bool:
        if self.verdict != NOT_ELIGIBLE:
            return False
        return all(
            r.status == MET
            or (r.status == MANUAL)
            or (r.status == NOT_MET and r.shortfall is not None and r.shortfall <= self.margin)
            for r in self.requirements
        )

    def failing(self) -> list[Requirement]:
        return [r for r in self.requirements if r.status in (NOT_MET, UNKNOWN)]

    def manual_to_check(self) -> list[Criterion]:
        if self._manual is None:
            self._manual = [
                r.criterion
                for r in self.results
                if not r.criterion.indicator
                and (r.criterion.kind == CriterionKind.MANUAL or r.outcome.status == MANUAL)
            ]
        return self._manual

    def gaps(self) -> list[Gap]:
        found: list[Gap] = []
        for requirement in self.requirements:
            if requirement.status == NOT_MET:
                for member in requirement.members:
                    found += [g for g in member.outcome.gaps if g not in found]
        return found


@dataclass
class FirmEvaluation:
    firm_id: int
    fiscal_year: int
    as_of: dt.date
    programmes: list[ProgrammeResult]
    what_if: bool = False
    hypothetical: frozenset[tuple[int, str]] = frozenset()

    def programme(self, code: str) -> ProgrammeResult:
        return next(p for p in self.programmes if p.programme.code == code)


# ------------------------------------------------------------------------------------------------
# Evaluating one programme


def _requirement_status(members: list[CriterionResult]) -> tuple[str, Decimal | None]:
    statuses = [m.outcome.status for m in members]
    if MET in statuses:
        return MET, None
    if UNKNOWN in statuses:
        return UNKNOWN, None
    if MANUAL in statuses:
        return MANUAL, None
    shortfalls = [m.outcome.shortfall for m in members if m.outcome.shortfall is not None]
    return NOT_MET, min(shortfalls) if shortfalls else None


def _run(compiled: CompiledCriterion, facts: Facts, env: Env) -> Outcome:
    criterion = compiled.criterion
    if criterion.kind == CriterionKind.MANUAL:
        return Outcome(MANUAL, explain=lambda zh, en: (f"{zh}：需人工核实", f"{en}: to check by hand"))
    if compiled.problems or compiled.metric is None:
        return _misconfigured(compiled)
    try:
        return compiled.metric.compute(facts, env, compiled.params)
    except (KeyError, TypeError, ValueError, ArithmeticError, InvalidOperation, IndexError):
        # Parameters passed their schema yet do not fit together (e.g. no band fits): never a 500.
        return _misconfigured(compiled)


def _misconfigured(compiled: CompiledCriterion) -> Outcome:
    def explain(zh: str, en: str) -> fmt.Text:
        return (
            f"{zh}：规则参数有误，请管理员检查",
            f"{en}: the rule's parameters are invalid; an administrator must fix them",
        )

    return Outcome(UNKNOWN, explain=explain)


def evaluate_programme(
    programme: Programme,
    compiled: CompiledRuleSet | None,
    facts: Facts,
    env: Env,
    *,
    stop_when_hopeless: bool = False,
) -> ProgrammeResult:
    """Every criterion of the rule set. With `stop_when_hopeless` (what the nightly scan needs, for
    200,000 firms), stop at the first requirement that rules out both *eligible* and *near miss*,
    cheapest requirements first, and leave indicators out: they decide nothing."""
    held = programme.code in facts.held
    if compiled is None:
        return ProgrammeResult(programme, None, held, env.year, env.as_of, NO_RULE_SET)
    result = ProgrammeResult(programme, compiled.rule_set, held, env.year, env.as_of, VERDICT_MANUAL, compiled.margin)
    done: dict[int, CriterionResult] = {}  # by id() of the compiled criterion
    found: dict[str, Requirement] = {}
    for key, members in compiled.cheapest_first if stop_when_hopeless else compiled.requirements:
        outcomes = []
        for item in members:
            done[id(item)] = CriterionResult(item, _run(item, facts, env))
            outcomes.append(done[id(item)])
        status, shortfall = _requirement_status(outcomes)
        found[key] = Requirement(key, outcomes, status, shortfall)
        hopeless = status == UNKNOWN or (status == NOT_MET and (shortfall is None or shortfall > compiled.margin))
        if stop_when_hopeless and hopeless:
            result.requirements = list(found.values())
            result.verdict = NOT_ELIGIBLE if status == NOT_MET else VERDICT_UNKNOWN
            result.complete = False
            return result
    result.requirements = [found[key] for key, _ in compiled.requirements]
    for item in compiled.criteria:
        known = done.get(id(item))
        if known is None and stop_when_hopeless and item.criterion.indicator:
            continue
        result.results.append(known if known is not None else CriterionResult(item, _run(item, facts, env)))
    statuses = {r.status for r in result.requirements}
    if NOT_MET in statuses:
        result.verdict = NOT_ELIGIBLE
    elif UNKNOWN in statuses:
        result.verdict = VERDICT_UNKNOWN
    elif MET in statuses:
        result.verdict = ELIGIBLE
    return result


# ------------------------------------------------------------------------------------------------
# Loading facts for many firms


def _firm_rows(firm_ids: list[int]) -> Iterator[tuple[Any, ...]]:
    return iter(
        Firm.objects.filter(pk__in=firm_ids)
        .order_by("pk")
        .values_list("pk", "registration_date", "industry_id", "legal_form", "uscc", "tags")
    )


def load_facts(
    firm_ids: list[int], *, years: Iterable[int], on: dt.date, what_if: WhatIf | None = None
) -> dict[int, Facts]:
    """Three queries, whatever the number of firms: registry data, verified figures, titles held on `on`."""
    facts = {
        pk: Facts(pk, registered, industry or "", legal_form, uscc, tuple(tags or ()))
        for pk, registered, industry, legal_form, uscc, tags in _firm_rows(firm_ids)
    }
    if not facts:
        return facts
    ids = list(facts)
    rows = verified_annual_figures(firms=ids, fiscal_years=list(years)).values_list(
        "firm_id", "fiscal_year", *ANNUAL_VALUE_FIELDS
    )
    for firm_id, fiscal_year, *values in rows:
        facts[firm_id].figures[fiscal_year] = dict(zip(ANNUAL_VALUE_FIELDS, values, strict=True))
    held: dict[int, set[str]] = {}
    titles = certifications_valid_on(on, Certification.objects.filter(firm_id__in=ids)).values_list(
        "firm_id", "programme__code"
    )
    for firm_id, code in titles:
        held.setdefault(firm_id, set()).add(code)
    for firm_id, codes in held.items():
        facts[firm_id].held = frozenset(codes)
    for firm_id, by_year in (what_if or {}).items():
        if firm_id not in facts:
            continue
        marked = set(facts[firm_id].hypothetical)
        for fiscal_year, values in by_year.items():
            row = facts[firm_id].figures.setdefault(int(fiscal_year), {})
            for name, value in values.items():
                if name in ANNUAL_VALUE_FIELDS and value is not None:
                    row[name] = value
                    marked.add((int(fiscal_year), name))
        facts[firm_id].hypothetical = frozenset(marked)
    return facts


def _programmes(codes: Iterable[str] | None) -> list[Programme]:
    programmes = Programme.objects.order_by("ladder", "rung", "code")
    if codes is None:
        return list(programmes.filter(active=True))
    return list(programmes.filter(code__in=[c.upper() for c in codes]))


def chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def iter_evaluations(
    firm_ids: Iterable[int] | None,
    year: int,
    programme_codes: Iterable[str] | None = None,
    what_if: WhatIf | None = None,
    on: dt.date | None = None,
    chunk_size: int = CHUNK,
) -> Iterator[FirmEvaluation]:
    on = on or year_end(year)
    programmes = _programmes(programme_codes)
    rule_sets = rule_sets_in_force(on, [p.code for p in programmes])
    compiled = {code: compile_rule_set(rule_set) for code, rule_set in rule_sets.items()}
    window = max((c.window for c in compiled.values()), default=1)
    years = range(year - window + 1, year + 1)
    ids = list(Firm.objects.order_by("pk").values_list("pk", flat=True)) if firm_ids is None else list(firm_ids)
    env = Env(year, on)
    for chunk in chunks(ids, chunk_size):
        facts = load_facts(chunk, years=years, on=on, what_if=what_if)
        for firm_id in chunk:
            if firm_id not in facts:
                continue
            results = [evaluate_programme(p, compiled.get(p.code), facts[firm_id], env) for p in programmes]
            firm_facts = facts[firm_id]
            yield FirmEvaluation(
                firm_id, year, on, results, what_if=bool(firm_facts.hypothetical), hypothetical=firm_facts.hypothetical
            )


def evaluate_firms(
    firm_ids: Iterable[int] | None,
    year: int,
    programme_codes: Iterable[str] | None = None,
    what_if: WhatIf | None = None,
    on: dt.date | None = None,
) -> dict[int, FirmEvaluation]:
    """{firm id: evaluation} for the firms (None = every firm) and fiscal year. Reads only.

    A constant number of queries per 2,000 firms: rule sets in force (2), firms, verified figures,
    titles held.
    """
    return {e.firm_id: e for e in iter_evaluations(firm_ids, year, programme_codes, what_if, on)}


# ------------------------------------------------------------------------------------------------
# As JSON: the API (one language) and a flag's evidence (both)


def _pick(text: fmt.Text, language: str | None) -> Any:
    if language is None:
        return {"zh": text[0], "en": text[1]}
    return text[1] if language == "en" else text[0]


def _name(obj: Any, language: str | None) -> Any:
    return _pick((obj.name_zh, obj.name_en or obj.name_zh), language)


def criterion_json(
    result: CriterionResult, facts_hypothetical: frozenset[tuple[int, str]], language: str | None
) -> dict[str, Any]:
    criterion, outcome = result.criterion, result.outcome
    names = (criterion.name_zh, criterion.name_en or criterion.name_zh)
    text = outcome.explain(*names) if outcome.explain else names
    gaps = []
    for gap in outcome.gaps:
        entry = gap.as_dict()
        if language is not None:
            entry["text"] = entry["text_en"] if language == "en" else entry["text_zh"]
        gaps.append(entry)
    return {
        "code": criterion.code,
        "name": _pick(names, language),
        "kind": criterion.kind,
        "metric": criterion.metric,
        "group": criterion.group,
        "indicator": criterion.indicator,
        "unconfirmed": criterion.unconfirmed,
        "notes": criterion.notes,
        "status": outcome.status,
        "value": fmt.plain(outcome.value),
        "required": fmt.plain(outcome.required),
        "unit": outcome.unit,
        "shortfall": fmt.plain(outcome.shortfall),
        "text": _pick(text, language),
        "inputs": [
            {
                "field": name,
                "label": _pick(fmt.label(name), language),
                "fiscal_year": year,
                "value": fmt.plain(value),
                "hypothetical": (year, name) in facts_hypothetical,
            }
            for name, year, value in outcome.inputs
        ],
        "gaps": gaps,
        "details": fmt.plain(outcome.details) if outcome.details else None,
    }


def verdict_text(result: ProgrammeResult) -> fmt.Text:
    if result.verdict == NO_RULE_SET:
        day = result.as_of.isoformat()
        return f"{day} 无生效的认定规则", f"no rule set in force on {day}"
    manual = result.manual_to_check()
    if result.verdict == ELIGIBLE:
        zh, en = "满足全部计算条件", "meets every computed criterion"
        if manual:
            zh += "；尚需人工核实：" + "；".join(c.name_zh for c in manual)
            en += "; still to check by hand: " + "; ".join(c.name_en or c.name_zh for c in manual)
        return zh, en
    if result.verdict == VERDICT_MANUAL:
        return "条件均需人工核实", "every criterion needs checking by hand"
    failing = [r for r in result.requirements if r.status == (NOT_MET if result.verdict == NOT_ELIGIBLE else UNKNOWN)]
    names_zh = "、".join(m.criterion.name_zh for r in failing for m in r.members[:1])
    names_en = ", ".join((m.criterion.name_en or m.criterion.name_zh) for r in failing for m in r.members[:1])
    if result.verdict == NOT_ELIGIBLE:
        if result.near_miss:
            return f"接近达标（差距均在 {fmt.pct(result.margin)} 以内）：{names_zh}", (
                f"near miss (every gap within {fmt.pct_en(result.margin)}): {names_en}"
            )
        return f"未满足：{names_zh}", f"not met: {names_en}"
    return f"数据不全，无法判断：{names_zh}", f"unknown, figures missing for: {names_en}"


def programme_json(
    result: ProgrammeResult, hypothetical: frozenset[tuple[int, str]], language: str | None
) -> dict[str, Any]:
    gaps = []
    for gap in result.gaps():
        entry = gap.as_dict()
        if language is not None:
            entry["text"] = entry["text_en"] if language == "en" else entry["text_zh"]
        gaps.append(entry)
    return {
        "programme": result.programme.code,
        "programme_name": _name(result.programme, language),
        "held": result.held,
        "rule_set": result.rule_set.version() if result.rule_set else None,
        "fiscal_year": result.fiscal_year,
        "as_of": result.as_of.isoformat(),
        "verdict": result.verdict,
        "verdict_text": _pick(verdict_text(result), language),
        "near_miss": result.near_miss,
        "near_miss_margin": fmt.plain(result.margin),
        "requirements": [
            {
                "key": r.key,
                "criteria": [m.criterion.code for m in r.members],
                "status": r.status,
                "shortfall": fmt.plain(r.shortfall),
            }
            for r in result.requirements
        ],
        "manual_to_check": [{"code": c.code, "name": _name(c, language)} for c in result.manual_to_check()],
        "gaps": gaps,
        "criteria": [criterion_json(r, hypothetical, language) for r in result.results],
    }


def evaluation_json(evaluation: FirmEvaluation, language: str | None) -> dict[str, Any]:
    return {
        "firm": evaluation.firm_id,
        "fiscal_year": evaluation.fiscal_year,
        "as_of": evaluation.as_of.isoformat(),
        "what_if": evaluation.what_if,
        "programmes": [programme_json(p, evaluation.hypothetical, language) for p in evaluation.programmes],
    }
