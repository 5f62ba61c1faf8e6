from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import get_language
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.api.base import ReasonSerializerMixin
from apps.imports import selectors, services
from apps.imports.cells import Msg
from apps.imports.models import ImportJob, ImportKind
from apps.programmes.api.serializers import ProgrammeCodeField
from apps.programmes.models import Level


def _pick(zh: str, en: str) -> str:
    return Msg(zh, en).pick(get_language())


class ImportUploadSerializer(ReasonSerializerMixin, serializers.Serializer):
    """multipart/form-data: the file, what it holds, and for certifications the programme and level."""

    file = serializers.FileField(help_text="XLSX or CSV (UTF-8, with or without BOM, or GBK/GB18030).")
    kind = serializers.ChoiceField(choices=ImportKind.choices)
    programme = ProgrammeCodeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Certifications: programme code (e.g. HNTE) for rows without a 项目 column.",
    )
    level = serializers.ChoiceField(
        choices=Level.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Certifications: level for rows without a 级别 column (defaults to the programme's only level).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        errors = services.level_errors(attrs["kind"], attrs.get("programme"), attrs.get("level", ""))
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class ImportCommitSerializer(ReasonSerializerMixin, serializers.Serializer):
    pass


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Row number as the spreadsheet shows it.")
    column = serializers.CharField(help_text="The column as the file names it.")
    message = serializers.CharField()


class ProgressSerializer(serializers.Serializer):
    phase = serializers.CharField(help_text="queued, starting, reading, checking, writing or done.")
    rows_done = serializers.IntegerField()
    rows_total = serializers.IntegerField()


class ImportJobSerializer(serializers.ModelSerializer):
    programme: Any = serializers.SlugRelatedField(slug_field="code", read_only=True)
    uploaded_by_name = serializers.SerializerMethodField()
    message = serializers.SerializerMethodField(help_text="Why the file failed or the commit was stopped.")
    row_errors = serializers.SerializerMethodField(help_text="The first row errors, in the caller's language.")
    errors_truncated = serializers.SerializerMethodField()
    cleaned_cells = serializers.SerializerMethodField(
        help_text="One-line cells (names, codes, addresses …) whose line breaks or control characters the import"
        " replaced by spaces, in the caller's language."
    )
    progress = serializers.SerializerMethodField()
    error_workbook_url = serializers.SerializerMethodField(
        help_text="The uploaded sheet with an error column (XLSX), when rows have errors."
    )

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "kind",
            "programme",
            "level",
            "original_name",
            "file_format",
            "encoding",
            "sheet",
            "header_row",
            "ignored_columns",
            "status",
            "message",
            "rows_total",
            "to_create",
            "to_update",
            "unchanged",
            "skipped",
            "error_rows",
            "created",
            "updated",
            "progress",
            "row_errors",
            "errors_truncated",
            "cleaned_cells",
            "error_workbook_url",
            "uploaded_by",
            "uploaded_by_name",
            "committed_by",
            "created_at",
            "checked_at",
            "committed_at",
        ]
        read_only_fields = fields

    def get_uploaded_by_name(self, job: ImportJob) -> str | None:
        return str(job.uploaded_by) if job.uploaded_by_id else None

    def get_message(self, job: ImportJob) -> str | None:
        failure = job.failure or {}
        return _pick(failure.get("zh", ""), failure.get("en", "")) if failure else None

    @extend_schema_field(RowErrorSerializer(many=True))
    def get_row_errors(self, job: ImportJob) -> list[dict[str, Any]]:
        return [{"row": e["row"], "column": e["column"], "message": _pick(e["zh"], e["en"])} for e in job.errors or []]

    @extend_schema_field(RowErrorSerializer(many=True))
    def get_cleaned_cells(self, job: ImportJob) -> list[dict[str, Any]]:
        return [{"row": e["row"], "column": e["column"], "message": _pick(e["zh"], e["en"])} for e in job.cleaned or []]

    def get_errors_truncated(self, job: ImportJob) -> bool:
        return job.error_rows > len({e["row"] for e in job.errors or []})

    @extend_schema_field(ProgressSerializer(allow_null=True))
    def get_progress(self, job: ImportJob) -> dict[str, Any] | None:
        return selectors.job_progress(job)

    def get_error_workbook_url(self, job: ImportJob) -> str | None:
        if not job.error_workbook or not job.error_rows:
            return None
        return reverse("import-job-error-workbook", kwargs={"pk": job.pk})
