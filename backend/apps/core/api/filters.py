"""Filters whose OpenAPI types say what the server accepts, so that generated clients send it.

`IdFilter`: an object id or another whole number (`zone=3`; `zone=1.5` is a 400, not zone 1).
`RepeatedCharFilter`: a text filter given several times (`tag=a&tag=b`), documented as an exploded array.
`SeedbedFilterExtension` types django-filter parameters from the filter, not from a model field it
may not find: whole numbers are integers, booleans booleans, dates dates; and it drops the model
field's verbose name (`title: 板块`), which generators turn into class names.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from drf_spectacular.contrib.django_filters import DjangoFilterExtension


class IdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class RepeatedCharFilter(django_filters.CharFilter):
    repeated = True


class SeedbedFilterExtension(DjangoFilterExtension):
    priority = 1  # before drf-spectacular's own extension for the same backend

    def resolve_filter_field(
        self, auto_schema: Any, model: Any, filterset_class: Any, field_name: str, filter_field: Any
    ) -> list[dict[str, Any]]:
        parameters = super().resolve_filter_field(auto_schema, model, filterset_class, field_name, filter_field)
        for parameter in parameters:
            schema = parameter["schema"]
            schema.pop("title", None)
            item = schema.get("items", schema) if schema.get("type") == "array" else schema
            item.pop("title", None)
            typed = None
            field_class = getattr(filter_field, "field_class", None)
            if isinstance(filter_field, django_filters.NumberFilter) and issubclass(
                field_class or object, forms.IntegerField
            ):
                typed = {"type": "integer"}
            elif isinstance(filter_field, django_filters.BooleanFilter):
                typed = {"type": "boolean"}
            elif isinstance(filter_field, django_filters.DateFilter):
                typed = {"type": "string", "format": "date"}
            if typed is not None and "enum" not in item:
                for key in ("type", "format"):
                    item.pop(key, None)
                item.update(typed)
            if getattr(filter_field, "repeated", False):
                parameter["schema"] = {"type": "array", "items": item}
                parameter["style"] = "form"
                parameter["explode"] = True
        return parameters
