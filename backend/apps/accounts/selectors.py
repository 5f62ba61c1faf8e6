from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from apps.accounts.models import ApiToken, User
from apps.core.permissions import ADMIN, role_of


def users_visible_to(user: Any) -> QuerySet[User]:
    if role_of(user) == ADMIN:
        return User.objects.prefetch_related("zones", "firms")
    if role_of(user) is None:
        return User.objects.none()
    return User.objects.filter(pk=user.pk).prefetch_related("zones", "firms")


def tokens_visible_to(user: Any) -> QuerySet[ApiToken]:
    if role_of(user) is None:
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=user)
