"""The default ordering filter (settings.REST_FRAMEWORK): in its own module, which the settings import
while DRF's viewsets are still loading (apps.core.api.base imports them)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models
from rest_framework import filters
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from apps.core.i18n import t


class StableOrderingFilter(filters.OrderingFilter):
    """Client ordering with the primary key as the last tie-breaker: pages never shuffle.

    An ordering field the list does not offer is a 400 (not silently the default order); the schema
    lists the offered fields as an enum."""

    def get_ordering(self, request: Request, queryset: models.QuerySet[Any], view: Any) -> list[str]:
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if not any(field.lstrip("-") in {"pk", "id"} for field in ordering):
            ordering.append("pk")  # "pk": the key whatever its column (industries are keyed by code)
        return ordering

    def remove_invalid_fields(
        self, queryset: models.QuerySet[Any], fields: Iterable[str], view: Any, request: Request
    ) -> list[str]:
        fields = list(fields)
        valid = list(super().remove_invalid_fields(queryset, fields, view, request))
        unknown = [field for field in fields if field and field not in valid]
        if unknown:
            offered = ", ".join(sorted(name for name, _ in self.get_valid_fields(queryset, view, {"request": request})))
            raise ValidationError(
                {
                    self.ordering_param: [
                        t(
                            f"不能按 {', '.join(unknown)} 排序；可用字段：{offered}（前加 - 表示倒序）。",
                            f"Cannot order by {', '.join(unknown)}; fields: {offered} (prefix - for descending).",
                        )
                    ]
                }
            )
        return valid

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        fields = getattr(view, "ordering_fields", None)
        if fields is None:  # DRF's default: the serializer's fields that are model columns
            model = getattr(getattr(view.get_serializer_class(), "Meta", None), "model", None)
            if model is None:
                return parameters
            fields = [name for name, _ in self.get_default_valid_fields(model._default_manager.none(), view, {})]
        if not isinstance(fields, (list, tuple)):
            return parameters
        for parameter in parameters:
            parameter["description"] = (
                "Order by this field, prefixed with - for descending (several: comma-separated); "
                "the key breaks ties. Any other value is a 400."
            )
            parameter["schema"] = {"type": "string", "enum": [p + f for f in fields for p in ("", "-")]}
        return parameters
