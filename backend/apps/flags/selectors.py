"""Reads, narrowed to what the caller may see (deny by default: an unknown role sees nothing).

- flags and marked-done deadlines follow the firm: `firms_visible_to(user)` (enterprise users their
  linked firms, zone-limited staff their zones, administrators and viewers every firm);
- notifications are the caller's own, whatever the role, and only while their firm is still in the
  caller's scope (a firm that moved to another zone, or was unlinked, takes its notifications along);
- job runs: administrators and staff (zone-limited staff see no park-wide counts: the serializer);
  webhook channels: administrators.

Every function takes the caller's one resolved `apps.core.scope.Scope` (or a user, turned into it).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from apps.core.db import user_columns_shown
from apps.core.permissions import ADMIN, STAFF, role_of
from apps.core.scope import scope_of
from apps.flags.models import DeadlineCompletion, Flag, JobRun, Notification, WebhookChannel
from apps.registry.selectors import firms_visible_to


def flags_visible_to(user: Any) -> QuerySet[Flag]:
    return Flag.objects.filter(firm__in=firms_visible_to(user)).select_related("firm", "firm__zone")


def notifications_of(who: Any) -> QuerySet[Notification]:
    scope = scope_of(who)
    if scope.role is None or scope.user_id is None:
        return Notification.objects.none()
    mine = Notification.objects.filter(user_id=scope.user_id).select_related("flag", "flag__firm")
    if scope.whole_park:
        return mine
    # The firm of a notification is its own `firm`, or its flag's; one without either (a failed job) stays.
    firms = firms_visible_to(scope)
    in_scope = Q(firm__isnull=True, flag__isnull=True) | Q(firm__in=firms) | Q(firm__isnull=True, flag__firm__in=firms)
    return mine.filter(in_scope)


def job_runs_visible_to(who: Any) -> QuerySet[JobRun]:
    if role_of(who) in (ADMIN, STAFF):
        return JobRun.objects.select_related("requested_by").defer(*user_columns_shown("requested_by"))
    return JobRun.objects.none()


def webhook_channels_visible_to(user: Any) -> QuerySet[WebhookChannel]:
    if role_of(user) == ADMIN:
        return WebhookChannel.objects.select_related("zone", "programme")
    return WebhookChannel.objects.none()


def deadline_completions_visible_to(user: Any) -> QuerySet[DeadlineCompletion]:
    return DeadlineCompletion.objects.filter(firm__in=firms_visible_to(user)).select_related(
        "firm", "deadline", "deadline__programme"
    )
