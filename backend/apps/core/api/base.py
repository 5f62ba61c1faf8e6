"""Base classes every resource builds on, so that a resource cannot forget scoping or history."""

from __future__ import annotations

from typing import Any

from django.db import models
from rest_framework import filters, serializers, viewsets
from rest_framework.request import Request

from apps.core import audit
from apps.core.i18n import t


class StableOrderingFilter(filters.OrderingFilter):
    """Client ordering with the primary key as the last tie-breaker: pages never shuffle."""

    def get_ordering(self, request: Request, queryset: models.QuerySet[Any], view: Any) -> list[str]:
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if not any(field.lstrip("-") in {"pk", "id"} for field in ordering):
            ordering.append("id")
        return ordering


class ScopedQuerysetMixin:
    """`get_queryset` always goes through `scope(user)`; a viewset without one serves nothing."""

    def scope(self, user: Any) -> models.QuerySet[Any]:
        raise NotImplementedError(f"{type(self).__name__} must define scope(user)")

    def get_queryset(self) -> models.QuerySet[Any]:
        request: Request = self.request  # type: ignore[attr-defined]
        return self.scope(request.user)


class ScopedModelViewSet(ScopedQuerysetMixin, viewsets.ModelViewSet):
    ordering = ["id"]


class ScopedReadOnlyViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    ordering = ["id"]


class ReasonSerializerMixin(serializers.Serializer):
    """Accepts an optional `reason` that goes into the change history of this write."""

    reason = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=1000,
        help_text="Why this change is made; recorded in the history. 修改原因，记入变更历史。",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        reason = attrs.pop("reason", "")
        if reason:
            audit.set_reason(reason.strip())
        return super().validate(attrs)


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key a caller may only point at objects inside their own scope."""

    default_error_messages = {
        "does_not_exist": t(
            "编号为 {pk_value} 的对象不存在或不在您的权限范围内。",
            "Object {pk_value} does not exist or is outside your scope.",
        ),
    }

    def __init__(self, *, scope: Any, **kwargs: Any) -> None:
        self._scope = scope
        kwargs.setdefault("queryset", None)
        super().__init__(**kwargs)

    def get_queryset(self) -> models.QuerySet[Any]:
        request = self.context.get("request")
        return self._scope(getattr(request, "user", None))
