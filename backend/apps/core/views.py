"""JSON answers for paths Django itself rejects, so API clients always get the error shape."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse

from apps.core.i18n import t


def not_found(request: HttpRequest, exception: Any = None) -> JsonResponse:
    return JsonResponse(
        {"code": "not_found", "message": str(t("未找到。", "Not found.")), "errors": {}},
        status=404,
    )


def server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "code": "server_error",
            "message": str(t("服务器内部错误，已记录。", "Internal server error; it has been logged.")),
            "errors": {},
        },
        status=500,
    )


def bad_request(request: HttpRequest, exception: Any = None) -> JsonResponse:
    return JsonResponse(
        {"code": "bad_request", "message": str(t("请求无效。", "Bad request.")), "errors": {}},
        status=400,
    )


def permission_denied(request: HttpRequest, exception: Any = None) -> JsonResponse:
    return JsonResponse(
        {"code": "permission_denied", "message": str(t("无权访问。", "Permission denied.")), "errors": {}},
        status=403,
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> JsonResponse:
    return JsonResponse(
        {
            "code": "csrf_failed",
            "message": str(t("CSRF 校验失败，请刷新页面后重试。", "CSRF check failed; reload the page and try again.")),
            "errors": {},
        },
        status=403,
    )
