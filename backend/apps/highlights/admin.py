from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apps.highlights.models import PublishedReport, ReportLine, TagGroup


@admin.register(ReportLine)
class ReportLineAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "growth_basis", "headline", "position", "active")
    list_filter = ("active", "headline")
    search_fields = ("code", "name_zh", "name_en")
    filter_horizontal = ("programmes",)


@admin.register(TagGroup)
class TagGroupAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "tag", "programme", "industry_section", "figure", "position", "active")
    list_filter = ("active",)
    search_fields = ("code", "name_zh", "tag")


@admin.register(PublishedReport)
class PublishedReportAdmin(admin.ModelAdmin):
    """Read-only: a published report is frozen; publish again (API) to make a new version."""

    list_display = ("year", "scope_label", "version", "title", "as_of", "computed_at", "published_by")
    list_filter = ("year",)
    exclude = ("data",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
