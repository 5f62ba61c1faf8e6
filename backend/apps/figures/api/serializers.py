from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.urls import reverse
from rest_framework import serializers

from apps.core.api.base import ReasonSerializerMixin, ScopedRelatedField
from apps.core.i18n import t
from apps.figures import services
from apps.figures.models import (
    ANNUAL_COUNT_FIELDS,
    ANNUAL_MONEY_FIELDS,
    SIGNED_MONEY_FIELDS,
    AnnualFigures,
    EvidenceFile,
    EvidenceKind,
    FigureVersion,
    MonthlyFigures,
)
from apps.registry.selectors import firms_visible_to

_REVIEW_FIELDS = [
    "state",
    "source",
    "version",
    "note",
    "submitted_by",
    "submitted_by_name",
    "created_at",
    "reviewed_by",
    "reviewed_by_name",
    "reviewed_at",
    "review_note",
    "superseded_at",
    "updated_at",
    "reason",
]
_READ_ONLY = [
    "state",
    "source",
    "version",
    "submitted_by",
    "created_at",
    "reviewed_by",
    "reviewed_at",
    "review_note",
    "superseded_at",
    "updated_at",
]


def _value_kwargs(model: type[FigureVersion]) -> dict[str, dict[str, Any]]:
    """Non-negative values refuse a negative number with a message naming the value."""
    kwargs: dict[str, dict[str, Any]] = {}
    for name in model.VALUE_FIELDS:
        if name in SIGNED_MONEY_FIELDS:
            continue
        minimum = 0 if name in ANNUAL_COUNT_FIELDS else Decimal(0)
        kwargs[name] = {"min_value": minimum, "error_messages": {"min_value": services.negative_message(name)}}
    return kwargs


class _FigureSerializer(ReasonSerializerMixin, serializers.ModelSerializer):
    """Shared by annual and monthly figures: the firm and period are fixed once submitted."""

    firm = ScopedRelatedField(scope=firms_visible_to)
    firm_name = serializers.CharField(source="firm.name", read_only=True)
    zone = serializers.IntegerField(source="firm.zone_id", read_only=True)
    submitted_by_name = serializers.SerializerMethodField()
    reviewed_by_name = serializers.SerializerMethodField()

    figure_model: ClassVar[type[FigureVersion]]

    def get_submitted_by_name(self, figure: FigureVersion) -> str | None:
        return str(figure.submitted_by) if figure.submitted_by_id else None

    def get_reviewed_by_name(self, figure: FigureVersion) -> str | None:
        return str(figure.reviewed_by) if figure.reviewed_by_id else None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        model = self.figure_model
        instance = self.instance
        errors: dict[str, list[Any]] = {}

        def current(name: str) -> Any:
            return attrs[name] if name in attrs else getattr(instance, name, None)

        if instance is not None:
            for name in ("firm", *model.PERIOD_FIELDS):
                if name in attrs and attrs[name] != getattr(instance, name):
                    errors[name] = [
                        t(
                            "已提交数据的企业和期间不能更改；请为其他企业或期间另行提交。",
                            "Submitted figures keep their firm and period; submit separately for another one.",
                        )
                    ]
        errors.update(services.period_errors(model, {name: current(name) for name in model.PERIOD_FIELDS}))
        errors.update(services.value_errors(model, {name: current(name) for name in model.VALUE_FIELDS}))
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def period(self) -> dict[str, int]:
        return {name: self.validated_data[name] for name in self.figure_model.PERIOD_FIELDS}

    def values(self) -> dict[str, Any]:
        return {
            name: self.validated_data[name] for name in self.figure_model.VALUE_FIELDS if name in self.validated_data
        }


class AnnualFiguresSerializer(_FigureSerializer):
    """One version of a firm's figures for a fiscal year. Money in yuan (decimal strings), counts as integers."""

    figure_model = AnnualFigures
    fiscal_year = serializers.IntegerField(help_text="会计年度, e.g. 2023; not in the future.")

    class Meta:
        model = AnnualFigures
        fields = [
            "id",
            "firm",
            "firm_name",
            "zone",
            "fiscal_year",
            *ANNUAL_MONEY_FIELDS,
            *ANNUAL_COUNT_FIELDS,
            *_REVIEW_FIELDS,
        ]
        read_only_fields = _READ_ONLY
        extra_kwargs = _value_kwargs(AnnualFigures)
        # One open proposal / one verified version per period are kept by the service (superseding), not refused.
        validators: list[Any] = []


class MonthlyFiguresSerializer(_FigureSerializer):
    """One version of a firm's year-to-date figures at the end of a month. Money in yuan."""

    figure_model = MonthlyFigures
    year = serializers.IntegerField(help_text="Year; not in the future.")
    month = serializers.IntegerField(help_text="1–12; not in the future.")

    class Meta:
        model = MonthlyFigures
        fields = [
            "id",
            "firm",
            "firm_name",
            "zone",
            "year",
            "month",
            "main_business_revenue_ytd",
            "output_value_ytd",
            *_REVIEW_FIELDS,
        ]
        read_only_fields = _READ_ONLY
        extra_kwargs = _value_kwargs(MonthlyFigures)
        validators: list[Any] = []


class FigureVerifySerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


class FigureRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=1000,
        help_text="Why the figures are sent back; shown to the firm and recorded in the history.",
        error_messages={
            "required": t("退回时必须填写原因。", "A reason is required to reject figures."),
            "blank": t("退回时必须填写原因。", "A reason is required to reject figures."),
        },
    )


class EvidenceFileSerializer(serializers.ModelSerializer):
    firm_name = serializers.CharField(source="firm.name", read_only=True)
    uploaded_by_name = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = EvidenceFile
        fields = [
            "id",
            "firm",
            "firm_name",
            "fiscal_year",
            "certification_id",
            "kind",
            "title",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_by",
            "uploaded_by_name",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_uploaded_by_name(self, evidence: EvidenceFile) -> str | None:
        return str(evidence.uploaded_by) if evidence.uploaded_by_id else None

    def get_download_url(self, evidence: EvidenceFile) -> str:
        return reverse("evidence-file-download", args=[evidence.pk])


class EvidenceUploadSerializer(ReasonSerializerMixin, serializers.ModelSerializer):
    """multipart/form-data: the file plus what it belongs to (a fiscal year, a certification, or both)."""

    firm = ScopedRelatedField(scope=firms_visible_to)
    file = serializers.FileField(help_text="PDF, PNG, JPEG, GIF, WebP, XLSX or DOCX; the content must match the name.")
    fiscal_year = serializers.IntegerField(required=False, allow_null=True, default=None)
    certification_id = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1)
    kind = serializers.ChoiceField(choices=EvidenceKind.choices, default=EvidenceKind.OTHER)
    title = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)

    class Meta:
        model = EvidenceFile
        fields = ["firm", "file", "fiscal_year", "certification_id", "kind", "title", "reason"]
