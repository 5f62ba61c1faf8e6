from django.contrib import admin

from apps.figures.models import AnnualFigures, EvidenceFile, MonthlyFigures


@admin.register(AnnualFigures)
class AnnualFiguresAdmin(admin.ModelAdmin):
    list_display = ("firm", "fiscal_year", "version", "state", "source", "operating_revenue", "output_value")
    list_filter = ("state", "source", "fiscal_year")
    search_fields = ("firm__name", "firm__uscc")
    raw_id_fields = ("firm", "submitted_by", "reviewed_by")
    readonly_fields = ("state", "version", "superseded_at", "created_at", "updated_at")


@admin.register(MonthlyFigures)
class MonthlyFiguresAdmin(admin.ModelAdmin):
    list_display = (
        "firm",
        "year",
        "month",
        "version",
        "state",
        "source",
        "main_business_revenue_ytd",
        "output_value_ytd",
    )
    list_filter = ("state", "source", "year", "month")
    search_fields = ("firm__name", "firm__uscc")
    raw_id_fields = ("firm", "submitted_by", "reviewed_by")
    readonly_fields = ("state", "version", "superseded_at", "created_at", "updated_at")


@admin.register(EvidenceFile)
class EvidenceFileAdmin(admin.ModelAdmin):
    list_display = (
        "original_name",
        "firm",
        "fiscal_year",
        "certification_id",
        "kind",
        "content_type",
        "size",
        "uploaded_at",
    )
    list_filter = ("kind", "content_type")
    search_fields = ("original_name", "firm__name", "sha256")
    raw_id_fields = ("firm", "uploaded_by")
    readonly_fields = (
        "file",
        "original_name",
        "content_type",
        "size",
        "sha256",
        "storage_key",
        "extension",
        "uploaded_at",
    )
