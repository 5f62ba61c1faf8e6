from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from apps.flags import destinations
from apps.flags.models import (
    CalendarFeed,
    DeadlineCompletion,
    FigureRequirement,
    Flag,
    JobRun,
    Notification,
    NotificationPreference,
    OutboxMessage,
    WebhookChannel,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Written by the scan and the jobs; people act on flags through the API's actions."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Flag)
class FlagAdmin(ReadOnlyAdmin):
    list_display = ("id", "firm", "kind", "programme_code", "subject", "due_date", "severity", "state", "ladder_point")
    list_filter = ("kind", "state", "severity", "programme_code")
    search_fields = ("firm__name", "firm__uscc", "subject")
    raw_id_fields = ("firm", "state_changed_by", "scan_run")


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = ("id", "job", "state", "trigger", "started_at", "finished_at", "worker")
    list_filter = ("job", "state", "trigger")


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ("id", "channel", "topic", "state", "attempts", "next_attempt_at", "sent_at", "last_error")
    list_filter = ("channel", "state", "topic")
    search_fields = ("dedupe_key",)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("id", "user", "topic", "flag", "ladder_point", "created_at", "read_at")
    list_filter = ("topic",)


class WebhookChannelForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https")

    class Meta:
        model = WebhookChannel
        fields = ["name", "kind", "url", "secret", "zone", "programme", "kinds", "active"]

    def clean_url(self) -> str:
        url = str(self.cleaned_data.get("url") or "")
        try:
            destinations.check(url, resolve_names=False)
        except destinations.UnsafeDestination as exc:
            raise forms.ValidationError(str(exc.message)) from exc
        return url


@admin.register(WebhookChannel)
class WebhookChannelAdmin(admin.ModelAdmin):
    form = WebhookChannelForm
    list_display = ("name", "kind", "zone", "programme", "active")
    list_filter = ("kind", "active")


@admin.register(FigureRequirement)
class FigureRequirementAdmin(admin.ModelAdmin):
    list_display = ("programme", "fields", "active")


@admin.register(DeadlineCompletion)
class DeadlineCompletionAdmin(admin.ModelAdmin):
    list_display = ("firm", "deadline", "year", "done_on", "marked_by")
    raw_id_fields = ("firm", "marked_by")


admin.site.register(NotificationPreference)
admin.site.register(CalendarFeed)
