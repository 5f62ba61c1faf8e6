from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apps.core.models import Change


@admin.register(Change)
class ChangeAdmin(admin.ModelAdmin):
    """The history can be read here but never edited or deleted."""

    list_display = ("changed_at", "table_name", "object_id", "action", "actor_label", "source", "reason")
    list_filter = ("table_name", "action", "source")
    search_fields = ("object_id", "actor_label", "reason")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
