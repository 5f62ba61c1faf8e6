from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from apps.accounts.models import ApiToken, User
from apps.accounts.services import AdminChangeRefused, guard_admin_change


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("Seedbed", {"fields": ("role", "display_name", "phone", "all_zones", "zones", "firms")}),
    )
    list_display = ("username", "display_name", "role", "is_active")
    list_filter = ("role", "is_active")
    filter_horizontal = ("zones", "firms")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        """The edit form refuses to demote or deactivate yourself, or the last active administrator."""
        form = super().get_form(request, obj, change=change, **kwargs)
        actor = request.user

        class GuardedForm(form):  # type: ignore[valid-type,misc]
            def clean(self) -> Any:
                data = super().clean()
                if self.instance.pk:
                    try:
                        guard_admin_change(
                            actor=actor,
                            target=self.instance,
                            role=data.get("role"),
                            is_active=data.get("is_active"),
                            is_superuser=data.get("is_superuser"),
                        )
                    except AdminChangeRefused as exc:
                        raise forms.ValidationError(exc.message) from exc
                return data

        return GuardedForm


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "expires_at", "revoked_at")
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at", "parent")
