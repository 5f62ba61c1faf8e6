"""One lockout for every way to sign in, kept by django-axes (docs/security.md, finding 4 and 9).

Every password check goes through django.contrib.auth.authenticate(), whose first backend is
LockoutBackend: the API's session login, the Django admin's login and the self-service password
change alike. Failures are counted per username *and* client address together
(AXES_LOCKOUT_PARAMETERS), so a stranger guessing an administrator's password locks out only
himself. The check, the password test and the count of a failure happen under one PostgreSQL
advisory lock per (username, client) held to the end of the transaction: parallel guesses wait
for each other, so a burst cannot get more tries through than the limit.

The client address is the one the app uses everywhere (client_ip): REMOTE_ADDR, or X-Real-IP only
behind our own proxy (SEEDBED_TRUST_X_REAL_IP); never a header a client can set itself.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from apps.core.i18n import t

log = logging.getLogger(__name__)


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address; behind our own nginx (SEEDBED_TRUST_X_REAL_IP) the one it reports."""
    if settings.SEEDBED_TRUST_X_REAL_IP and request.META.get("HTTP_X_REAL_IP"):
        return str(request.META["HTTP_X_REAL_IP"]).strip()[:45] or None
    return request.META.get("REMOTE_ADDR")


def failure_limit(request: Any = None, credentials: Any = None) -> int:
    """AXES_FAILURE_LIMIT: failures allowed per (username, client) before the lockout."""
    return int(settings.SEEDBED_LOGIN_FAILURE_LIMIT)


def cool_off(request: Any = None) -> timedelta:
    """AXES_COOLOFF_TIME: how long a lockout lasts after the failure that caused it."""
    return timedelta(seconds=int(settings.SEEDBED_LOGIN_FAILURE_WINDOW_SECONDS))


def serialise_attempts(request: HttpRequest | None, username: str | None) -> None:
    """Makes concurrent attempts for one (username, client) take turns until their transaction ends."""
    if request is None or not username:
        return
    if not connection.in_atomic_block:
        # Both login paths run in a transaction (the API view opens one, the admin has ATOMIC_REQUESTS);
        # without one the lock would end with the statement.
        log.warning("login attempt outside a transaction: parallel attempts are not serialised")
        return
    name = username[:150]
    with connection.cursor() as cursor:
        # One 64-bit key per pair; the length prefix keeps ("a|b", "c") and ("a", "b|c") apart.
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 7303))",
            [f"{len(name)}:{name}|{client_ip(request) or ''}"],
        )


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' check, first in AUTHENTICATION_BACKENDS, behind the per-(username, client) lock."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        serialise_attempts(request, username)
        return super().authenticate(request, username=username, password=password, **kwargs)


def retry_after(username: str, ip: str | None) -> int:
    """Seconds until a locked (username, client) may try again."""
    from axes.models import AccessAttempt

    last = (
        AccessAttempt.objects.filter(username=username, ip_address=ip)
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    if last is None:
        return 1
    return max(1, int((last + cool_off() - timezone.now()).total_seconds()) + 1)


def lockout_message(seconds: int) -> str:
    """'登录失败次数过多，请 N 分钟后再试。' / 'Too many failed logins; try again in N min.'"""
    minutes = max(1, round(seconds / 60))
    return str(
        t(
            f"登录失败次数过多，请 {minutes} 分钟后再试。",
            f"Too many failed logins; try again in {minutes} min.",
        )
    )


def lockout_response(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the 429 of a locked login outside the API (the Django admin's login page).
    The API's views answer a lockout themselves, in the API's error shape; that answer stays."""
    if original_response is not None and getattr(original_response, "status_code", None) == 429:
        return original_response
    username = str((credentials or {}).get("username") or request.POST.get("username") or "")
    seconds = retry_after(username, client_ip(request))
    message = lockout_message(seconds)
    if "application/json" in request.headers.get("Accept", ""):
        response: HttpResponse = JsonResponse({"code": "throttled", "message": message, "errors": {}}, status=429)
    else:
        response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(seconds)
    return response


def lift_lockout(username: str) -> None:
    """Forgets every failure of this username, from every client (after a password reset)."""
    from axes.utils import reset

    reset(username=username)
