"""Reads, narrowed to what the caller may see (deny by default: an unknown role sees nothing).

- flags and marked-done deadlines follow the firm: `firms_visible_to(user)` (enterprise users their
  linked firms, zone-limited staff their zones, administrators and viewers every firm);
- notifications are the caller's own, whatever the role;
- job runs: administrators and staff; webhook channels: administrators.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from apps.core.permissions import ADMIN, STAFF, role_of
from apps.flags.models import DeadlineCompletion, Flag, JobRun, Notification, WebhookChannel
from apps.registry.selectors import firms_visible_to


def flags_visible_to(user: Any) -> QuerySet[Flag]:
    return Flag.objects.filter(firm__in=firms_visible_to(user)).select_related("firm", "firm__zone")


def notifications_of(user: Any) -> QuerySet[Notification]:
    if role_of(user) is None:
        return Notification.objects.none()
    return Notification.objects.filter(user=user).select_related("flag", "flag__firm")


def job_runs_visible_to(user: Any) -> QuerySet[JobRun]:
    if role_of(user) in (ADMIN, STAFF):
        return JobRun.objects.select_related("requested_by")
    return JobRun.objects.none()


def webhook_channels_visible_to(user: Any) -> QuerySet[WebhookChannel]:
    if role_of(user) == ADMIN:
        return WebhookChannel.objects.select_related("zone", "programme")
    return WebhookChannel.objects.none()


def deadline_completions_visible_to(user: Any) -> QuerySet[DeadlineCompletion]:
    return DeadlineCompletion.objects.filter(firm__in=firms_visible_to(user)).select_related(
        "firm", "deadline", "deadline__programme"
    )
