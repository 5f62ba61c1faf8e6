"""Writes to rule sets, and the checks every write path shares.

- A criterion's `params` must satisfy its metric's schema (apps.rules.metrics), so an edit can never
  break an evaluation; a manual criterion names no metric.
- Rule sets of one programme never overlap in time: a friendly 400 here, the exclusion constraint
  in PostgreSQL for a race (409).
- Every edit that changes something bumps `revision` by one; evaluations and flags name the
  revision they used, and the history trigger keeps every earlier value.
- Shipped rule sets keep their code and programme and are never deleted: end one by setting
  `effective_to` and add the next edition.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from apps.core.exceptions import Conflict
from apps.core.i18n import t
from apps.figures.models import ANNUAL_VALUE_FIELDS, AnnualFigures
from apps.figures.selectors import verified_annual_figures
from apps.figures.services import value_errors
from apps.registry.models import Firm
from apps.rules import params as P
from apps.rules import selectors
from apps.rules.metrics import METRICS
from apps.rules.models import Criterion, CriterionKind, RuleSet

RULE_SET_FIELDS = (
    "programme",
    "code",
    "name_zh",
    "name_en",
    "effective_from",
    "effective_to",
    "near_miss_margin",
    "notes",
    "sources",
)
CRITERION_FIELDS = (
    "position",
    "name_zh",
    "name_en",
    "kind",
    "metric",
    "params",
    "group",
    "indicator",
    "unconfirmed",
    "notes",
)


# ------------------------------------------------------------------------------------------------
# Checks


def criterion_errors(data: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Errors by field for one criterion (kind, metric, params), in both languages."""
    kind, metric, params = data.get("kind"), data.get("metric", ""), data.get("params", {})
    if kind == CriterionKind.MANUAL:
        if metric:
            return {"metric": [t("人工核实的条件不指定计算方法。", "A manual criterion names no metric.")]}
        return {}
    if metric not in METRICS:
        return {
            "metric": [
                t(
                    f"未知的计算方法 {metric!r}。可用：{', '.join(sorted(METRICS))}。",
                    f"Unknown metric {metric!r}. Known: {', '.join(sorted(METRICS))}.",
                )
            ]
        }
    problems = P.validate(METRICS[metric].schema, params)
    if problems:
        return {
            "params": [
                t(f"{path}：{zh}" if path else zh, f"{path}: {en}" if path else en) for path, (zh, en) in problems
            ]
        }
    return {}


def _period_errors(
    *, programme_id: int, effective_from: dt.date, effective_to: dt.date | None, exclude_id: int | None
) -> dict[str, list[Any]]:
    if effective_to is not None and effective_to < effective_from:
        return {"effective_to": [t("截止日期不能早于生效日期。", "The end date cannot be before the start date.")]}
    clash = selectors.overlapping_rule_sets(
        programme_id=programme_id, effective_from=effective_from, effective_to=effective_to, exclude_id=exclude_id
    ).first()
    if clash is None:
        return {}
    until = clash.effective_to.isoformat() if clash.effective_to else "至今"
    until_en = clash.effective_to.isoformat() if clash.effective_to else "open-ended"
    return {
        "effective_from": [
            t(
                f"与同一项目的规则版本 {clash.code}（{clash.effective_from.isoformat()} 至 {until}）生效期重叠；"
                "请先为其填写截止日期。",
                f"Overlaps rule set {clash.code} of the same programme ({clash.effective_from.isoformat()} to"
                f" {until_en}); give it an end date first.",
            )
        ]
    }


def _criteria_list_errors(criteria: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    codes = [c.get("code") for c in criteria]
    duplicates = sorted({c for c in codes if c is not None and codes.count(c) > 1})
    if duplicates:
        return {
            "criteria": [
                t(f"条件编码重复：{', '.join(duplicates)}。", f"Criterion codes repeat: {', '.join(duplicates)}.")
            ]
        }
    return {}


def _snapshot(rule_set: RuleSet) -> tuple[Any, ...]:
    own = tuple(getattr(rule_set, "programme_id" if f == "programme" else f) for f in RULE_SET_FIELDS)
    criteria = tuple(
        sorted(
            (c.code, *(repr(getattr(c, f)) for f in CRITERION_FIELDS))
            for c in Criterion.objects.filter(rule_set=rule_set)
        )
    )
    return own, criteria


# ------------------------------------------------------------------------------------------------
# Writes


def _save_criteria(rule_set: RuleSet, criteria: Sequence[Mapping[str, Any]], *, replace: bool) -> None:
    existing = {c.code: c for c in Criterion.objects.filter(rule_set=rule_set)}
    for data in criteria:
        criterion = existing.get(data["code"]) or Criterion(rule_set=rule_set, code=data["code"])
        for name in CRITERION_FIELDS:
            if name in data:
                setattr(criterion, name, data[name])
        if criterion.kind == CriterionKind.MANUAL:
            criterion.metric = ""
        errors = criterion_errors({"kind": criterion.kind, "metric": criterion.metric, "params": criterion.params})
        if errors:
            raise ValidationError({"criteria": [f"{data['code']}: {m}" for msgs in errors.values() for m in msgs]})
        criterion.full_clean(exclude=["rule_set"])
        criterion.save()
    if replace:
        wanted = {data["code"] for data in criteria}
        Criterion.objects.filter(rule_set=rule_set).exclude(code__in=wanted).delete()


@transaction.atomic
def rule_set_create(*, values: Mapping[str, Any], criteria: Sequence[Mapping[str, Any]] = ()) -> RuleSet:
    rule_set = RuleSet(**{k: v for k, v in values.items() if k in RULE_SET_FIELDS})
    errors = _period_errors(
        programme_id=rule_set.programme_id,
        effective_from=rule_set.effective_from,
        effective_to=rule_set.effective_to,
        exclude_id=None,
    )
    errors.update(_criteria_list_errors(criteria))
    if errors:
        raise ValidationError(errors)
    rule_set.full_clean(validate_constraints=False)
    rule_set.save()
    _save_criteria(rule_set, criteria, replace=True)
    return rule_set


@transaction.atomic
def rule_set_update(
    *,
    rule_set: RuleSet,
    values: Mapping[str, Any],
    criteria: Sequence[Mapping[str, Any]] | None = None,
    replace_criteria: bool = False,
) -> RuleSet:
    """Change a rule set and (by code) its criteria. `replace_criteria` deletes criteria not listed (PUT);
    otherwise listed criteria are added or changed and the rest stay (PATCH)."""
    locked = RuleSet.objects.select_for_update().get(pk=rule_set.pk)
    before = _snapshot(locked)
    errors: dict[str, list[Any]] = {}
    if locked.builtin:
        if "code" in values and values["code"] != locked.code:
            errors["code"] = [t("内置规则版本的编码不能修改。", "A shipped rule set keeps its code.")]
        if "programme" in values and values["programme"].pk != locked.programme_id:
            errors["programme"] = [t("内置规则版本不能改到其他项目。", "A shipped rule set keeps its programme.")]
    for name, value in values.items():
        if name in RULE_SET_FIELDS:
            setattr(locked, name, value)
    errors.update(
        _period_errors(
            programme_id=locked.programme_id,
            effective_from=locked.effective_from,
            effective_to=locked.effective_to,
            exclude_id=locked.pk,
        )
    )
    if criteria is not None:
        errors.update(_criteria_list_errors(criteria))
    if errors:
        raise ValidationError(errors)
    locked.full_clean(validate_constraints=False)
    locked.save()
    if criteria is not None:
        _save_criteria(locked, criteria, replace=replace_criteria)
    if _snapshot(locked) != before:
        RuleSet.objects.filter(pk=locked.pk).update(revision=F("revision") + 1)
    locked.refresh_from_db()
    return locked


@transaction.atomic
def rule_set_delete(*, rule_set: RuleSet) -> None:
    if rule_set.builtin:
        raise Conflict(
            t(
                "内置规则版本不能删除；请填写截止日期并录入新版本。",
                "A shipped rule set cannot be deleted; give it an end date and add the next edition.",
            )
        )
    rule_set.delete()


# ------------------------------------------------------------------------------------------------
# What-if: hypothetical figures, checked like real ones, never stored


def what_if_errors(*, firm: Firm, entries: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """Each entry (a fiscal year's hypothetical values) merged over the verified figures must be a
    consistent set of figures (S&T staff ≤ staff total, domestic R&D ≤ R&D …)."""
    years = [entry["fiscal_year"] for entry in entries]
    repeated = sorted({y for y in years if years.count(y) > 1})
    if repeated:
        return {
            "figures": [
                t(
                    f"同一年度只能给出一组假设数据：{', '.join(map(str, repeated))}。",
                    f"One set of hypothetical figures per fiscal year: {', '.join(map(str, repeated))}.",
                )
            ]
        }
    verified = {row.fiscal_year: row.values() for row in verified_annual_figures(firms=[firm.pk], fiscal_years=years)}
    errors: dict[str, list[Any]] = {}
    for entry in entries:
        given = {k: v for k, v in entry.items() if k in ANNUAL_VALUE_FIELDS and v is not None}
        merged = {**verified.get(entry["fiscal_year"], {}), **given}
        if not given:
            merged = {}
        for name, messages in value_errors(AnnualFigures, merged).items():
            errors.setdefault("figures", []).extend(f"FY{entry['fiscal_year']} {name}: {m}" for m in messages)
    return errors
