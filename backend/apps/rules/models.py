"""Rule sets: a programme's eligibility criteria for one policy edition, as data.

A `RuleSet` is one edition of a programme's rules (HNTE-2016, TSME-2025 …) with the dates it is in
force; the rule sets of one programme never overlap in time (a PostgreSQL exclusion constraint), so
"the rules in force on a day" is one row. A `Criterion` is one condition of it:

- *computed*: `metric` names a computation in code (apps.rules.metrics.METRICS) and `params` holds
  every number it compares against — thresholds, bands, windows. Administrators edit `params`;
  the code only knows how to compute a metric from figures.
- *manual*: needs a person (technology field, niche market, awards, integrity); listed as still to
  check.

Criteria sharing a `group` are alternatives (met when any of them is met, e.g. revenue ≥ 10M *or*
equity financing ≥ 20M). An `indicator` is shown with its value but does not decide the verdict
(HNTE's IP-quantity and growth sub-scores).

`revision` goes up by one on every edit of a rule set or its criteria; an evaluation reports the
code and revision it used, and the history trigger keeps every earlier value.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, DateRangeField, RangeOperators
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Func, Q

from apps.programmes.models import Programme, SingletonRange

RULE_SET_CODE = r"^[A-Z][A-Z0-9_]*(-[A-Z0-9_]+)*$"
CRITERION_CODE = r"^[a-z][a-z0-9_]*$"


class InclusiveDateRange(Func):
    """daterange(from, to, '[]'): an open `to` (NULL) means "until further notice"."""

    function = "daterange"
    template = "%(function)s(%(expressions)s, '[]')"
    output_field = DateRangeField()


class RuleSet(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="rule_sets")
    code = models.CharField(
        max_length=60,
        unique=True,
        validators=[RegexValidator(RULE_SET_CODE)],
        help_text="Edition code, e.g. HNTE-2016, TSME-2025, LISTING_RESERVE-CQ-2022.",
    )
    name_zh = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200, blank=True)
    effective_from = models.DateField(help_text="First day these rules apply.")
    effective_to = models.DateField(null=True, blank=True, help_text="Last day they apply; empty = still in force.")
    near_miss_margin = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.10"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text="A firm within this share of every failing numeric criterion is a near miss (0.10 = 10 %).",
    )
    revision = models.PositiveIntegerField(default=1, editable=False, help_text="Goes up by one on every edit.")
    notes = models.TextField(blank=True)
    sources = ArrayField(models.CharField(max_length=500), default=list, blank=True, help_text="Policy texts, URLs.")
    builtin = models.BooleanField(default=False, help_text="Shipped with Seedbed; cannot be deleted or re-coded.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["programme_id", "effective_from", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=RULE_SET_CODE), name="ruleset_code_format"),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="ruleset_to_after_from",
            ),
            models.CheckConstraint(
                condition=Q(near_miss_margin__gte=0, near_miss_margin__lte=1), name="ruleset_margin_range"
            ),
            ExclusionConstraint(
                name="ruleset_no_overlap",
                index_type="gist",
                expressions=[
                    (SingletonRange(F("programme")), RangeOperators.OVERLAPS),
                    (InclusiveDateRange(F("effective_from"), F("effective_to")), RangeOperators.OVERLAPS),
                ],
                violation_error_message="同一项目的两个规则版本生效期重叠。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} r{self.revision}"

    def version(self) -> dict[str, Any]:
        """How an evaluation names the rules it used."""
        return {
            "id": self.pk,
            "code": self.code,
            "revision": self.revision,
            "effective_from": self.effective_from.isoformat(),
            "effective_to": self.effective_to.isoformat() if self.effective_to else None,
        }


class CriterionKind(models.TextChoices):
    COMPUTED = "computed", "计算 / Computed"
    MANUAL = "manual", "人工核实 / Manual"


class Criterion(models.Model):
    rule_set = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="criteria")
    code = models.CharField(max_length=60, validators=[RegexValidator(CRITERION_CODE)])
    position = models.PositiveSmallIntegerField(default=0, help_text="Display order.")
    name_zh = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=20, choices=CriterionKind.choices)
    metric = models.CharField(
        max_length=60, blank=True, help_text="The computation (apps.rules.metrics); empty for manual criteria."
    )
    params = models.JSONField(default=dict, blank=True, help_text="Every threshold, band and window of the metric.")
    group = models.CharField(
        max_length=60, blank=True, help_text="Criteria with the same group are alternatives: any one met suffices."
    )
    indicator = models.BooleanField(default=False, help_text="Shown with its value; does not decide the verdict.")
    unconfirmed = models.BooleanField(default=False, help_text="A value domain-rules.md marks UNCONFIRMED.")
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["rule_set_id", "position", "id"]
        verbose_name_plural = "criteria"
        constraints = [
            models.UniqueConstraint(fields=["rule_set", "code"], name="criterion_code_unique_in_rule_set"),
            models.CheckConstraint(condition=Q(code__regex=CRITERION_CODE), name="criterion_code_format"),
            models.CheckConstraint(condition=Q(kind__in=CriterionKind.values), name="criterion_kind_valid"),
            models.CheckConstraint(
                condition=(Q(kind=CriterionKind.COMPUTED) & ~Q(metric=""))
                | (Q(kind=CriterionKind.MANUAL) & Q(metric="")),
                name="criterion_metric_iff_computed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule_set_id}:{self.code}"
