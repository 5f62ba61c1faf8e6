"""The default ordering filter (settings.REST_FRAMEWORK): in its own module, which the settings import
while DRF's viewsets are still loading (apps.core.api.base imports them)."""

from __future__ import annotations

from typing import Any

from django.db import models
from rest_framework import filters
from rest_framework.request import Request


class StableOrderingFilter(filters.OrderingFilter):
    """Client ordering with the primary key as the last tie-breaker: pages never shuffle."""

    def get_ordering(self, request: Request, queryset: models.QuerySet[Any], view: Any) -> list[str]:
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if not any(field.lstrip("-") in {"pk", "id"} for field in ordering):
            ordering.append("pk")  # "pk": the key whatever its column (industries are keyed by code)
        return ordering
