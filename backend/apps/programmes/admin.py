from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apps.programmes.models import Certification, Programme, ProgrammeDeadline


class ProgrammeDeadlineInline(admin.TabularInline):
    model = ProgrammeDeadline
    extra = 0


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "ladder", "rung", "validity_kind", "validity_years", "active", "builtin")
    list_filter = ("ladder", "active", "builtin")
    search_fields = ("code", "name_zh", "name_en")
    readonly_fields = ("builtin",)
    inlines = [ProgrammeDeadlineInline]


@admin.register(Certification)
class CertificationAdmin(admin.ModelAdmin):
    """Read-only here: renewals and revocations go through the API, whose services keep lineage consistent."""

    list_display = ("firm", "programme", "level", "number", "certificate_date", "valid_until", "revoked_on")
    list_filter = ("programme", "level", "entry_route")
    search_fields = ("number", "firm__name", "firm__uscc")
    raw_id_fields = ("firm", "renews", "created_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
