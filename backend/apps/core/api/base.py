"""Base classes every resource builds on, so that a resource cannot forget scoping or history."""

from __future__ import annotations

import contextlib
import hashlib
import json
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import translation
from django.utils.dateparse import parse_datetime
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core import audit
from apps.core.api.ordering import StableOrderingFilter  # noqa: F401 - imported from here by the apps
from apps.core.exceptions import Conflict
from apps.core.i18n import t
from apps.core.text import line_break_in


class ScopedQuerysetMixin:
    """`get_queryset` always goes through `scope(user)`; a viewset without one serves nothing."""

    def scope(self, user: Any) -> models.QuerySet[Any]:
        raise NotImplementedError(f"{type(self).__name__} must define scope(user)")

    def get_queryset(self) -> models.QuerySet[Any]:
        request: Request = self.request  # type: ignore[attr-defined]
        return self.scope(request.user)


class StaleVersion(Conflict):
    default_code = "stale"
    default_detail = t(
        "该记录已被他人修改，请刷新后重试（您的修改未保存）。",
        "Someone else changed this record meanwhile; reload it and try again (your change was not saved).",
    )


# Concurrent edits never silently overwrite each other (docs: README, "Concurrent edits").
#
# Every object has a version: its `updated_at` where the model has one (written by every write path,
# imports and raw SQL included), otherwise a hash of its representation. `GET` of one object and
# every write answer with `ETag: "<version>"`. A write (PUT, PATCH, DELETE, or a custom action that
# changes the object, e.g. verifying figures) that carries `If-Match: "<version>"`, or for models with
# `updated_at` the `updated_at` it read in its body, first locks the row, then compares: a mismatch is
# 409 `stale` and nothing is changed. Two writers holding the same version are serialised by the row
# lock, so the second one gets the 409. Without a precondition a write is applied as before (PATCH
# changes only the fields it names).
#
# `VersionedObjectMixin` gives a viewset the versions, the ETag on retrieve and `_check_precondition`
# for its own actions; `PreconditionUpdateMixin` / `PreconditionDestroyMixin` wrap DRF's update and
# destroy (only add them to a viewset that has that route: the router routes a method that exists);
# `OptimisticLockMixin` is both.
#
# (Comments, not docstrings: drf-spectacular would show a docstring as every viewset's description.)
class VersionedObjectMixin:
    # Custom actions (detail routes) that change the object and honour If-Match; documented in the schema.
    precondition_actions: frozenset[str] = frozenset()

    def _version(self, instance: Any) -> str:
        if hasattr(instance, "updated_at") and instance.updated_at is not None:
            return str(serializers.DateTimeField().to_representation(instance.updated_at))
        with translation.override("zh-hans"):
            data = self.get_serializer(instance).data  # type: ignore[attr-defined]
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:32]

    def _has_updated_at(self, model: Any = None) -> bool:
        if model is None:
            # The serializer's model: no need to build the scoped queryset (it may query the caller's zones).
            model = getattr(getattr(self.get_serializer_class(), "Meta", None), "model", None)  # type: ignore[attr-defined]
        return model is not None and any(f.name == "updated_at" for f in model._meta.concrete_fields)

    def _matches(self, instance: Any, expected: str) -> bool:
        if expected == "*":
            return True
        current = self._version(instance)
        if expected == current:
            return True
        if hasattr(instance, "updated_at") and instance.updated_at is not None:
            try:
                parsed = parse_datetime(expected)
            except ValueError:
                return False
            return parsed is not None and parsed == instance.updated_at
        return False

    def _expected_version(self) -> str | None:
        request: Request = self.request  # type: ignore[attr-defined]
        header = request.headers.get("If-Match", "").strip()
        if header:
            return header.removeprefix("W/").strip('"')
        # The model first: a body is parsed only where it may carry the version (a DELETE with a body
        # the view has no parser for stays a plain DELETE).
        if self._has_updated_at(self.get_queryset().model) and isinstance(request.data, dict):  # type: ignore[attr-defined]
            value = request.data.get("updated_at")
            if value:
                return str(value)
        return None

    def _lock_for_precondition(self, instance: Any) -> None:
        """Locks the row (a viewset whose writes lock a parent row first overrides this, same order)."""
        list(type(instance)._base_manager.select_for_update().filter(pk=instance.pk).values_list("pk", flat=True))

    def _check_precondition(self) -> None:
        expected = self._expected_version()
        if expected is None:
            return
        instance = self.get_object()  # type: ignore[attr-defined]
        # Lock the row, then read it again: a concurrent writer holding the same version waits here
        # until the first one commits, then sees the new version.
        self._lock_for_precondition(instance)
        instance = self.get_object()  # type: ignore[attr-defined]
        if not self._matches(instance, expected):
            raise StaleVersion()

    def _with_etag(self, response: Response) -> Response:
        if response.status_code < 300 and isinstance(response.data, dict) and "id" in response.data:
            # An object the caller may not read back gets no ETag.
            with contextlib.suppress(Exception):
                stamp = response.data.get("updated_at")
                if isinstance(stamp, str) and stamp and self._has_updated_at():
                    response["ETag"] = f'"{stamp}"'  # the version just serialized: no second read
                    return response
                lookup = self.lookup_url_kwarg or self.lookup_field  # type: ignore[attr-defined]
                self.kwargs.setdefault(lookup, response.data["id"])  # type: ignore[attr-defined]
                response["ETag"] = f'"{self._version(self.get_object())}"'  # type: ignore[attr-defined]
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._with_etag(super().retrieve(request, *args, **kwargs))  # type: ignore[misc]


class PreconditionUpdateMixin(VersionedObjectMixin):
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self._check_precondition()
        return self._with_etag(super().update(request, *args, **kwargs))  # type: ignore[misc]


class PreconditionDestroyMixin(VersionedObjectMixin):
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self._check_precondition()
        return super().destroy(request, *args, **kwargs)  # type: ignore[misc]


class OptimisticLockMixin(PreconditionUpdateMixin, PreconditionDestroyMixin):
    pass


def fields_version(instance: models.Model) -> str:
    """A version from the row's own columns: for records whose representation shows related names
    (a firm's name, a user's name) that change without the record changing."""
    values = {field.attname: field.value_from_object(instance) for field in instance._meta.concrete_fields}
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()[:32]


class ScopedModelViewSet(OptimisticLockMixin, ScopedQuerysetMixin, viewsets.ModelViewSet):
    ordering = ["id"]


class ScopedReadOnlyViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    ordering = ["id"]


class SingleLine:
    """A validator: a one-line value (a model CharField: names, codes, addresses, phone numbers,
    titles …) may hold no line break or control character (apps.core.text). Refused with a 400 that
    names the field, rather than cleaned silently: the caller sees what was wrong with what it sent."""

    def __init__(self, label: str) -> None:
        self.label = label

    def __call__(self, value: Any) -> None:
        if isinstance(value, str) and line_break_in(value):
            raise serializers.ValidationError(
                t(
                    f"“{self.label}”只能是一行文字，不能包含换行符、制表符或其他控制字符。",
                    f"“{self.label}” is one line of text: it cannot hold line breaks, tabs or other control "
                    "characters.",
                )
            )


class ReasonSerializerMixin(serializers.Serializer):
    """Accepts an optional `reason` that goes into the change history of this write."""

    # Every writable text field backed by a model CharField (or an array of them) is one line: it gets
    # the SingleLine validator (a 400 naming the field for a line break or control character).

    reason = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=1000,
        help_text="Why this change is made; recorded in the history. 修改原因，记入变更历史。",
    )

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        model = getattr(getattr(self, "Meta", None), "model", None)
        if model is None:
            return fields
        for name, field in fields.items():
            if field.read_only or name in ("reason", "password"):
                continue
            source = field.source if isinstance(field.source, str) and field.source != "*" else name
            try:
                model_field = model._meta.get_field(source)
            except FieldDoesNotExist:  # a field of the serializer only, or a path (firm.name)
                continue
            target = field
            if isinstance(model_field, ArrayField) and isinstance(field, serializers.ListField):
                model_field, target = model_field.base_field, field.child
            if isinstance(model_field, models.CharField) and isinstance(target, serializers.CharField):
                label = str(getattr(model_field, "verbose_name", "") or name)
                target.validators.append(SingleLine(label if label != source.replace("_", " ") else name))
        return fields

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
