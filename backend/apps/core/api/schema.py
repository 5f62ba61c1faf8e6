"""The OpenAPI schema documents every error an operation can answer with, in the one error shape.

Clients generated from docs/openapi.yaml (and schemathesis in tests/test_fuzz_api.py) rely on the
documented status codes: a 400, 404 or 409 that the schema does not list is a contract break.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from apps.core.api import filters as _filters  # noqa: F401 - registers SeedbedFilterExtension


class ErrorSerializer(serializers.Serializer):
    """`{code, message, errors}`: every API error, in Chinese or (Accept-Language: en) English."""

    code = serializers.CharField(help_text="Machine-readable error code, e.g. invalid, not_found, conflict.")
    message = serializers.CharField(help_text="A sentence for people, in the request's language.")
    # The metaclass takes declared fields out of the class, so Serializer.errors stays as it is.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.JSONField(),
        help_text="Per-field messages: {field: [message, …]}; empty when the error is not about fields.",
    )


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


_ALWAYS = {
    "400": _error("Invalid input (body, query parameters or filters)."),
    "401": _error("Not logged in, or the token is invalid, expired or revoked."),
    "403": _error("The caller's role may not do this (or the CSRF check failed)."),
    "406": _error("The Accept header asks for a format this operation does not produce."),
    "503": _error("The database is temporarily unavailable; retry after the Retry-After seconds."),
}
THROTTLED = _error("Too many requests; retry after the Retry-After seconds.")
_NOT_FOUND = {"404": _error("No such object (or page of a list), or it is outside the caller's scope.")}
_WRITE = {
    "409": _error("The change conflicts with existing data or with a newer version of the record."),
    "413": _error("The request body or upload is too large."),
    "415": _error("The request's Content-Type is not accepted."),
}


def _model_field(field: serializers.Field) -> Any:
    """The model field a serializer field reads, if its serializer is a ModelSerializer."""
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    source = getattr(field, "source", None)
    if model is None or not source or "." in source or source == "*":
        return None
    try:
        model_field = model._meta.get_field(source)
    except Exception:  # noqa: BLE001 - a property or annotation, not a model field
        return None
    return model_field if getattr(model_field, "concrete", False) else None  # not a reverse relation


IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        'Optimistic locking: the ETag of the version you read (GET answers with it), e.g. "2026-03-01T10:00:00+08:00". '
        "If the record changed meanwhile the write is refused with 409 `stale` and nothing is changed. "
        "乐观锁：填写读取时的 ETag；记录已被他人修改时返回 409，不作任何更改。"
    ),
)


ETAG = OpenApiParameter(
    "ETag",
    str,
    OpenApiParameter.HEADER,
    response=[200],
    required=True,
    description=(
        'The version of the object in this answer, quoted, e.g. "2026-03-01T10:00:00+08:00". '
        "Send it back as If-Match with the next write. 对象版本，写入时作为 If-Match 发回。"
    ),
)

# The CRUD actions keep DRF's names (firms_list, firms_create, …); a custom action is named after its
# path alone (certifications_renew, firms_leave, firms_export) when its route has one method.
_CRUD = {"list", "create", "retrieve", "update", "partial_update", "destroy"}


_BLANK = {"type": "string", "maxLength": 0}


def _without_double_blank(schema: Any) -> Any:
    """A blank-allowed field whose own pattern already admits "" becomes that pattern alone: as
    `oneOf: [pattern, blank]`, "" would match both branches, which oneOf forbids."""
    one_of = schema.get("oneOf") if isinstance(schema, dict) else None
    if not one_of or len(one_of) != 2 or one_of[1] != _BLANK:
        return schema
    pattern = one_of[0].get("pattern") if isinstance(one_of[0], dict) else None
    if pattern is None or re.search(pattern, "") is None:
        return schema
    return {**one_of[0], **{k: v for k, v in schema.items() if k != "oneOf"}}


class SeedbedAutoSchema(AutoSchema):
    def get_operation_id(self) -> str:
        operation_id = super().get_operation_id()
        action = getattr(self.view, "action", None)
        # DRF adds 'head' to a route's action map in place at its first GET, so it is not counted: the
        # names must not depend on which requests the process has served.
        methods = {m for m in (getattr(self.view, "action_map", None) or {}) if m != "head"}
        if action and action not in _CRUD and len(methods) == 1:
            operation_id = "_".join(t.replace("-", "_") for t in self._tokenize_path())
        # No dots or other punctuation in a name a generator turns into a function (calendar_.ics_retrieve).
        return re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9_]", "_", operation_id)).strip("_")

    def get_filter_backends(self) -> list[Any]:
        # A detail route's list (history, versions, timeline) is not the resource's filtered list.
        if getattr(self.view, "detail", False) and getattr(self.view, "action", None) not in _CRUD:
            return []
        return list(super().get_filter_backends())

    def get_override_parameters(self) -> list[Any]:
        from apps.core.api.base import PreconditionDestroyMixin, PreconditionUpdateMixin, VersionedObjectMixin

        parameters = list(super().get_override_parameters())
        action = getattr(self.view, "action", None)
        if (
            (isinstance(self.view, PreconditionUpdateMixin) and action in ("update", "partial_update"))
            or (isinstance(self.view, PreconditionDestroyMixin) and action == "destroy")
            or (isinstance(self.view, VersionedObjectMixin) and action in self.view.precondition_actions)
        ):
            parameters.append(IF_MATCH)
        # VersionedObjectMixin._with_etag: retrieve, update and the precondition actions answer with it.
        if isinstance(self.view, VersionedObjectMixin) and (
            action in ("retrieve", "update", "partial_update") or action in self.view.precondition_actions
        ):
            parameters.append(ETAG)
        return parameters

    def _map_serializer_field(self, field: Any, direction: Any, bypass_extensions: bool = False) -> Any:
        # DRF drops allow_blank (and a declared field has no allow_null) on read-only fields, so the
        # schema would promise a value where the database stores "" or NULL.
        if field.read_only:
            model_field = _model_field(field)
            if model_field is not None:
                if getattr(model_field, "null", False):
                    field.allow_null = True
                if getattr(model_field, "blank", False) and isinstance(field, serializers.ChoiceField):
                    field.allow_blank = True
        return super()._map_serializer_field(field, direction, bypass_extensions)

    def _insert_field_validators(self, field: Any, schema: dict[str, Any]) -> None:
        super()._insert_field_validators(field, schema)
        fixed = _without_double_blank(schema)
        if fixed is not schema:
            schema.clear()
            schema.update(fixed)

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        extra = dict(_ALWAYS)
        if "{" in self.path or self.method == "GET":
            extra.update(_NOT_FOUND)
        if self.method not in ("GET", "HEAD", "OPTIONS"):
            extra.update(_WRITE)
        for code, response in extra.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, ("application/json",), direction)
        return responses


def _english(value: Any) -> Any:
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, dict):
        return {_english(k): _english(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_english(v) for v in value)
    return value


class EnglishSchemaGenerator(SchemaGenerator):
    """The schema is in English whatever the request's or the server's language: the lazy `t()`
    strings and DRF's own texts (pagination, ordering) are rendered here, under English."""

    def get_schema(self, request: Any = None, public: bool = False) -> Any:
        with translation.override("en"):
            return _english(super().get_schema(request=request, public=public))


_BINARY = {"type": "string", "format": "binary"}


def binary_downloads(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Postprocessing hook: a file download (CSV, XLSX, DOCX, evidence files) is offered as
    application/octet-stream first, then under its real media types, all `format: binary`, so that
    generated clients keep the operation and hand back bytes."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            if not isinstance(operation, dict):
                continue
            for code, response in operation.get("responses", {}).items():
                content = response.get("content") if isinstance(response, dict) else None
                if not code.startswith("2") or not content or "application/json" in content:
                    continue
                if any(media.startswith("text/calendar") for media in content):
                    continue
                response["content"] = {
                    "application/octet-stream": {"schema": dict(_BINARY)},
                    **{media: {**body, "schema": dict(_BINARY)} for media, body in content.items()},
                }
    return result


def _drop_chinese_titles(node: Any) -> None:
    if isinstance(node, dict):
        title = node.get("title")
        if isinstance(title, str) and not title.isascii():
            del node["title"]  # a model field's verbose name: generators make class names of titles
        for value in node.values():
            _drop_chinese_titles(value)
    elif isinstance(node, list):
        for value in node:
            _drop_chinese_titles(value)


def english_names(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Postprocessing hook: no Chinese `title` (a verbose name) left for a generator to name a type after."""
    _drop_chinese_titles(result)
    return result
