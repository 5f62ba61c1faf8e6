from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from apps.core import clock
from apps.core.api.base import ReasonSerializerMixin
from apps.core.i18n import t
from apps.figures.models import ANNUAL_COUNT_FIELDS, ANNUAL_MONEY_FIELDS, SIGNED_MONEY_FIELDS, AnnualFigures
from apps.figures.services import negative_message
from apps.programmes.models import Programme
from apps.rules import services
from apps.rules.metrics import METRICS
from apps.rules.models import Criterion, CriterionKind, RuleSet


class CriterionSerializer(serializers.ModelSerializer):
    """One condition. `params` holds every threshold of the `metric` (see GET /rule-sets/metrics/)."""

    metric = serializers.ChoiceField(choices=["", *sorted(METRICS)], required=False, allow_blank=True)
    params = serializers.JSONField(required=False, help_text="Thresholds, bands and windows of the metric.")

    class Meta:
        model = Criterion
        fields = [
            "id",
            "code",
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
        ]
        read_only_fields = ["id"]
        # Codes are unique within a rule set; the rule-set serializer checks the list as a whole.
        validators: list[Any] = []

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        attrs.setdefault("params", {})
        if attrs.get("kind") == CriterionKind.MANUAL:
            attrs["metric"] = attrs.get("metric", "")
        errors = services.criterion_errors(
            {"kind": attrs.get("kind"), "metric": attrs.get("metric", ""), "params": attrs["params"]}
        )
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class RuleSetSerializer(ReasonSerializerMixin, serializers.ModelSerializer):
    """A programme's rules for one policy edition. Criteria are nested and matched by `code`: PUT replaces
    the list, PATCH adds or changes the criteria it lists and keeps the others."""

    programme = serializers.SlugRelatedField(slug_field="code", queryset=Programme.objects.all())
    programme_name = serializers.CharField(source="programme.name_zh", read_only=True)
    criteria = CriterionSerializer(many=True, required=False)
    sources = serializers.ListField(child=serializers.CharField(max_length=500), required=False)

    class Meta:
        model = RuleSet
        fields = [
            "id",
            "programme",
            "programme_name",
            "code",
            "name_zh",
            "name_en",
            "effective_from",
            "effective_to",
            "near_miss_margin",
            "revision",
            "builtin",
            "notes",
            "sources",
            "criteria",
            "created_at",
            "updated_at",
            "reason",
        ]
        read_only_fields = ["id", "revision", "builtin", "created_at", "updated_at"]

    def validate_near_miss_margin(self, value: Decimal) -> Decimal:
        if not Decimal(0) <= value <= Decimal(1):
            raise serializers.ValidationError(
                t("接近达标的幅度应在 0 到 1 之间（0.10 即 10%）。", "The margin is between 0 and 1 (0.10 = 10 %).")
            )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        start = attrs.get("effective_from", getattr(self.instance, "effective_from", None))
        end = attrs.get("effective_to", getattr(self.instance, "effective_to", None))
        if start is not None and end is not None and end < start:
            raise serializers.ValidationError(
                {"effective_to": [t("截止日期不能早于生效日期。", "The end date cannot be before the start date.")]}
            )
        return attrs


# Response shapes for the schema; inline, because "required" and "label" are also Field attributes.
def _parameters() -> serializers.Serializer:
    return inline_serializer(
        "MetricParameter", {"name": serializers.CharField(), "required": serializers.BooleanField()}, many=True
    )


class MetricSerializer(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField()
    parameters = _parameters()


# ------------------------------------------------------------------------------------------------
# Eligibility


def _programme_codes(value: str) -> list[str]:
    codes = [code.strip().upper() for code in value.split(",") if code.strip()]
    known = set(Programme.objects.filter(code__in=codes).values_list("code", flat=True))
    unknown = [code for code in codes if code not in known]
    if unknown:
        choices = ", ".join(Programme.objects.order_by("code").values_list("code", flat=True))
        raise serializers.ValidationError(
            t(
                f"未知的项目：{', '.join(unknown)}。可选：{choices}。",
                f"Unknown programme: {', '.join(unknown)}. Known: {choices}.",
            )
        )
    return codes


class EligibilityQuerySerializer(serializers.Serializer):
    programme = serializers.CharField(
        required=False, help_text="Programme code(s), comma-separated (HNTE, SRDI …); every programme by default."
    )
    year = serializers.IntegerField(
        required=False, min_value=1949, help_text="Fiscal year of the figures; last fiscal year by default."
    )
    on = serializers.DateField(
        required=False,
        help_text="The day whose rules apply and on which titles held and age count; 31 Dec of `year` by default.",
    )

    max_year_ahead = 0

    def validate_programme(self, value: str) -> list[str]:
        return _programme_codes(value)

    def validate_year(self, value: int) -> int:
        latest = clock.today().year + self.max_year_ahead
        if value > latest:
            raise serializers.ValidationError(
                t(f"年度不能晚于 {latest} 年。", f"The fiscal year cannot be later than {latest}.")
            )
        return value


def _label(name: str) -> str:
    return str(getattr(AnnualFigures._meta.get_field(name), "verbose_name", name))


def _figure_fields() -> dict[str, serializers.Field]:
    found: dict[str, serializers.Field] = {}
    for name in ANNUAL_MONEY_FIELDS:
        kwargs: dict[str, Any] = {"max_digits": 18, "decimal_places": 2, "required": False, "allow_null": True}
        if name not in SIGNED_MONEY_FIELDS:
            kwargs.update(min_value=Decimal(0), error_messages={"min_value": negative_message(name)})
        found[name] = serializers.DecimalField(**kwargs, help_text=_label(name))
    for name in ANNUAL_COUNT_FIELDS:
        found[name] = serializers.IntegerField(
            required=False,
            allow_null=True,
            min_value=0,
            error_messages={"min_value": negative_message(name)},
            help_text=_label(name),
        )
    return found


class HypotheticalFiguresSerializer(serializers.Serializer):
    """Hypothetical values for one fiscal year, with the same names as annual figures; merged over the verified ones."""

    fiscal_year = serializers.IntegerField(min_value=1949)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields.update(_figure_fields())
        return fields


class WhatIfSerializer(EligibilityQuerySerializer):
    figures = HypotheticalFiguresSerializer(many=True, allow_empty=False)

    max_year_ahead = 1  # planning next year's figures is the point of a what-if

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        latest = clock.today().year + 1
        late = [entry["fiscal_year"] for entry in attrs["figures"] if entry["fiscal_year"] > latest]
        if late:
            raise serializers.ValidationError(
                {"figures": [t(f"假设数据的年度不能晚于 {latest} 年。", f"Hypothetical figures go up to {latest}.")]}
            )
        return attrs


# Response shapes, for the schema.


def _inputs() -> serializers.Serializer:
    return inline_serializer(
        "EligibilityInput",
        {
            "field": serializers.CharField(),
            "label": serializers.CharField(),
            "fiscal_year": serializers.IntegerField(allow_null=True),
            "value": serializers.JSONField(allow_null=True),
            "hypothetical": serializers.BooleanField(),
        },
        many=True,
    )


class GapSerializer(serializers.Serializer):
    field = serializers.CharField()
    fiscal_year = serializers.IntegerField(allow_null=True)
    direction = serializers.ChoiceField(choices=["increase", "decrease", "wait"])
    amount = serializers.CharField(allow_null=True, help_text="Exact amount in the field's unit (yuan, people, items).")
    unit = serializers.CharField()
    until = serializers.DateField(allow_null=True)
    points = serializers.CharField(allow_null=True)
    alternative = serializers.BooleanField(help_text="One of several ways; any one suffices.")
    text = serializers.CharField()
    text_zh = serializers.CharField()
    text_en = serializers.CharField()


def _criteria() -> serializers.Serializer:
    return inline_serializer(
        "CriterionResult",
        {
            "code": serializers.CharField(),
            "name": serializers.CharField(),
            "kind": serializers.ChoiceField(choices=CriterionKind.choices),
            "metric": serializers.CharField(),
            "group": serializers.CharField(),
            "indicator": serializers.BooleanField(),
            "unconfirmed": serializers.BooleanField(),
            "notes": serializers.CharField(),
            "status": serializers.ChoiceField(choices=["met", "not_met", "unknown", "manual"]),
            "value": serializers.JSONField(allow_null=True),
            "required": serializers.JSONField(allow_null=True),
            "unit": serializers.CharField(),
            "shortfall": serializers.CharField(allow_null=True, help_text="How far below the requirement, 0.08 = 8 %."),
            "text": serializers.CharField(),
            "inputs": _inputs(),
            "gaps": GapSerializer(many=True),
            "details": serializers.JSONField(allow_null=True),
        },
        many=True,
    )


class RuleSetVersionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    revision = serializers.IntegerField()
    effective_from = serializers.DateField()
    effective_to = serializers.DateField(allow_null=True)


class RequirementSerializer(serializers.Serializer):
    key = serializers.CharField()
    criteria = serializers.ListField(child=serializers.CharField())
    status = serializers.CharField()
    shortfall = serializers.CharField(allow_null=True)


class ManualCheckSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class ProgrammeEligibilitySerializer(serializers.Serializer):
    programme = serializers.CharField()
    programme_name = serializers.CharField()
    held = serializers.BooleanField()
    rule_set = RuleSetVersionSerializer(allow_null=True)
    fiscal_year = serializers.IntegerField()
    as_of = serializers.DateField()
    verdict = serializers.ChoiceField(choices=["eligible", "not_eligible", "unknown", "manual", "no_rule_set"])
    verdict_text = serializers.CharField()
    near_miss = serializers.BooleanField()
    near_miss_margin = serializers.CharField()
    requirements = RequirementSerializer(many=True)
    manual_to_check = ManualCheckSerializer(many=True)
    gaps = GapSerializer(many=True)
    criteria = _criteria()


class EligibilitySerializer(serializers.Serializer):
    firm = serializers.IntegerField()
    fiscal_year = serializers.IntegerField()
    as_of = serializers.DateField()
    what_if = serializers.BooleanField()
    programmes = ProgrammeEligibilitySerializer(many=True)
