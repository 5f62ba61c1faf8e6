from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.utils import timezone

from apps.accounts.models import ApiToken, LoginFailure, User, hash_token


class LoginThrottled(Exception):
    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after


def login_check(*, username: str, password: str, ip: str | None, request: Any = None) -> User | None:
    """Authenticates, refusing a username after too many recent failures (every process shares the count)."""
    window = timedelta(seconds=settings.SEEDBED_LOGIN_FAILURE_WINDOW_SECONDS)
    since = timezone.now() - window
    failures = LoginFailure.objects.filter(username=username, at__gte=since)
    if failures.count() >= settings.SEEDBED_LOGIN_FAILURE_LIMIT:
        oldest = failures.order_by("at").values_list("at", flat=True).first()
        retry = int(((oldest or timezone.now()) + window - timezone.now()).total_seconds()) + 1
        raise LoginThrottled(max(retry, 1))
    user = authenticate(request, username=username, password=password)
    if user is None:
        # The login view is not wrapped in the request transaction, so this row survives the failed request.
        LoginFailure.objects.create(username=username[:150], ip=ip)
        return None
    LoginFailure.objects.filter(username=username).delete()
    return user if isinstance(user, User) else None


def api_token_create(*, user: User, name: str, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    key = ApiToken.new_key()
    token = ApiToken.objects.create(
        user=user, name=name, prefix=key[:10], key_hash=hash_token(key), expires_at=expires_at
    )
    return token, key


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
