from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from apps.accounts.models import ApiToken, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("Seedbed", {"fields": ("role", "display_name", "phone", "all_zones", "zones", "firms")}),
    )
    list_display = ("username", "display_name", "role", "is_active")
    list_filter = ("role", "is_active")
    filter_horizontal = ("zones", "firms")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "expires_at", "revoked_at")
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at")
