"""One error shape for every API failure: {code, message, errors: {field: [...]}}."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, InterfaceError, OperationalError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from apps.core.i18n import t
from apps.core.middleware import database_unavailable_response


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = t("与现有数据冲突。", "This conflicts with existing data.")


def _messages(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {str(k): _messages(v) for k, v in detail.items()}
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return [str(item) for item in detail]
        return [_messages(item) for item in detail]
    return [str(detail)]


_GENERIC = {
    "invalid": t("提交的数据有误，请检查标出的字段。", "The submitted data is invalid; see the fields marked."),
    "parse_error": t("请求内容不是有效的 JSON。", "The request body is not valid JSON."),
}


def _shape(code: str, message: str, errors: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "errors": errors or {}}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, (OperationalError, InterfaceError)):
        set_rollback()
        django_response = database_unavailable_response()
        return Response(_shape("database_unavailable", django_response_message(django_response)), status=503)
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(errors)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, (ProtectedError, RestrictedError)):
        exc = Conflict(
            t("该记录仍被其他数据引用，不能删除。", "Other records still refer to this one, so it cannot be deleted.")
        )
    elif isinstance(exc, IntegrityError):
        exc = Conflict()
    elif isinstance(exc, DataError):
        # PostgreSQL refused a value (a NUL byte, a number out of range, …) that validation let through:
        # the client's input, not a server fault.
        exc = exceptions.ValidationError(
            {
                "non_field_errors": [
                    t(
                        "提交的某个值无法保存（含有不允许的字符或超出范围）。",
                        "A submitted value cannot be stored (a character that is not allowed, or out of range).",
                    )
                ]
            }
        )

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _messages(exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail})
        first = _first_message(errors)
        message = f"{_GENERIC['invalid']} {first}" if first else str(_GENERIC["invalid"])
        response.data = _shape("invalid", message, errors)
    else:
        assert isinstance(exc, exceptions.APIException)
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        if isinstance(exc, exceptions.ParseError):
            code, message = "parse_error", str(_GENERIC["parse_error"])
        else:
            detail = exc.detail
            message = str(detail) if not isinstance(detail, (dict, list)) else str(exc.default_detail)
        response.data = _shape(str(code), message)
    return response


def _first_message(errors: Any) -> str:
    if isinstance(errors, dict):
        for value in errors.values():
            inner = _first_message(value)
            if inner:
                return inner  # the field is named in `errors`; the message stays readable
    if isinstance(errors, list):
        for item in errors:
            inner = _first_message(item)
            if inner:
                return inner
    if isinstance(errors, str):
        return errors
    return ""


def django_response_message(response: Any) -> str:
    import json

    return str(json.loads(response.content)["message"])
