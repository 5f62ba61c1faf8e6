from __future__ import annotations

from typing import Any

from django.contrib import admin

from apps.imports.models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Read-only: jobs are made and run through the API, which checks and records everything."""

    list_display = ("id", "kind", "original_name", "status", "rows_total", "error_rows", "uploaded_by", "created_at")
    list_filter = ("kind", "status")
    search_fields = ("original_name",)

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False
