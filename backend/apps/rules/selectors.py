"""Reads of rule sets. The catalogue of rules is visible to every signed-in role: enterprise users read
it too, because their eligibility gap view ("what it would take") quotes its thresholds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from apps.core.permissions import role_of
from apps.rules.models import Criterion, RuleSet


def _with_criteria(rule_sets: QuerySet[RuleSet]) -> QuerySet[RuleSet]:
    return rule_sets.select_related("programme").prefetch_related(
        Prefetch("criteria", queryset=Criterion.objects.order_by("position", "id"))
    )


def rule_sets_visible_to(user: Any) -> QuerySet[RuleSet]:
    if role_of(user) is None:
        return RuleSet.objects.none()
    return _with_criteria(RuleSet.objects.all())


def in_force_on(day: dt.date) -> Q:
    return Q(effective_from__lte=day) & (Q(effective_to__isnull=True) | Q(effective_to__gte=day))


def rule_sets_in_force(day: dt.date, programme_codes: Iterable[str] | None = None) -> dict[str, RuleSet]:
    """{programme code: the rule set in force on `day`} with criteria, in two queries."""
    rule_sets = RuleSet.objects.filter(in_force_on(day))
    if programme_codes is not None:
        rule_sets = rule_sets.filter(programme__code__in=list(programme_codes))
    return {rule_set.programme.code: rule_set for rule_set in _with_criteria(rule_sets)}


def overlapping_rule_sets(
    *, programme_id: int, effective_from: dt.date, effective_to: dt.date | None, exclude_id: int | None = None
) -> QuerySet[RuleSet]:
    """Rule sets of the programme whose period meets [effective_from, effective_to] (open end = forever)."""
    rule_sets = RuleSet.objects.filter(programme_id=programme_id).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=effective_from)
    )
    if effective_to is not None:
        rule_sets = rule_sets.filter(effective_from__lte=effective_to)
    if exclude_id is not None:
        rule_sets = rule_sets.exclude(pk=exclude_id)
    return rule_sets.order_by("effective_from")
