from __future__ import annotations

import contextlib
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

from apps.core import audit
from apps.core.broker import BrokerUnavailable
from apps.core.i18n import t

REASON_HEADER = "HTTP_X_CHANGE_REASON"


class ChangeContextMiddleware:
    """Every write made while serving a request is attributed to its user, source and reason."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        source = "admin" if path.startswith("/admin/") else "api" if path.startswith("/api/") else "web"
        reason = request.META.get(REASON_HEADER, "")
        # Header values arrive as latin-1; a client sending UTF-8 Chinese gets it back intact.
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            reason = reason.encode("latin-1").decode("utf-8")
        with audit.change_context(source=source, reason=reason.strip(), actor_resolver=audit.user_resolver(request)):
            return self.get_response(request)


def database_unavailable_response() -> JsonResponse:
    response = JsonResponse(
        {
            "code": "database_unavailable",
            "message": str(
                t("数据库暂时不可用，请稍后重试。", "The database is temporarily unavailable; try again shortly.")
            ),
            "errors": {},
        },
        status=503,
    )
    response["Retry-After"] = "5"
    return response


class DatabaseUnavailableMiddleware:
    """A lost database connection is a 503 with the error shape, never a 500; Django reconnects by itself."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, (OperationalError, InterfaceError)):
            return database_unavailable_response()
        if isinstance(exception, BrokerUnavailable):
            # Raised after the request's transaction committed (sending a task on commit), past DRF's handler.
            body = {"code": "broker_unavailable", "message": str(exception.detail), "errors": {}}
            response = JsonResponse(body, status=503)
            response["Retry-After"] = "5"
            return response
        return None
