from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import connection
from django.utils import timezone

from apps.accounts.models import ApiToken, LoginFailure, PasswordResetRequest, User, hash_token


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


class ResetThrottled(Exception):
    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after


def password_reset_throttle(*, email: str, ip: str | None) -> None:
    """Counts a reset request, refusing it (ResetThrottled) past the limit per address or per client.

    Every address counts the same whether or not an account has it, so a refusal says nothing about
    which accounts exist. Refused requests are not counted. Runs inside the request's transaction:
    advisory locks on the address and the client serialise simultaneous requests, so a burst cannot
    slip past the limit.
    """
    window = timedelta(seconds=settings.SEEDBED_PASSWORD_RESET_WINDOW_SECONDS)
    now = timezone.now()
    since = now - window
    address = email.strip().lower()[:254]
    with connection.cursor() as cursor:
        # Address first, then client: every request takes them in the same order.
        cursor.execute("SELECT pg_advisory_xact_lock(7301, hashtext(%s))", [address])
        if ip:
            cursor.execute("SELECT pg_advisory_xact_lock(7302, hashtext(%s))", [ip])
    PasswordResetRequest.objects.filter(at__lt=since).delete()
    checks = [
        (PasswordResetRequest.objects.filter(email=address, at__gte=since), settings.SEEDBED_PASSWORD_RESET_LIMIT)
    ]
    if ip:
        checks.append(
            (PasswordResetRequest.objects.filter(ip=ip, at__gte=since), settings.SEEDBED_PASSWORD_RESET_IP_LIMIT)
        )
    retry = 0
    for requests, limit in checks:
        if requests.count() >= limit:
            # Free again when enough of the oldest requests in the window have aged out of it.
            oldest = requests.order_by("-at").values_list("at", flat=True)[limit - 1 : limit].first()
            retry = max(retry, int(((oldest or now) + window - now).total_seconds()) + 1)
    if retry:
        raise ResetThrottled(max(retry, 1))
    PasswordResetRequest.objects.create(email=address, ip=ip, at=now)


def password_reset_request(*, email: str) -> int:
    """Mails a reset link to every active account with this address; says nothing about which exist.

    The link carries Django's reset token: it is bound to the current password hash and last login
    (so it works once: after the reset, or a login, it is void) and expires after
    PASSWORD_RESET_TIMEOUT seconds.
    """
    from django.contrib.auth.tokens import default_token_generator
    from django.core.mail import send_mail
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    sent = 0
    users = User.objects.filter(email__iexact=email.strip(), is_active=True) if email.strip() else []
    for user in users:
        if not user.has_usable_password():
            continue
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = default_token_generator.make_token(user)
        link = f"{settings.SEEDBED_PUBLIC_URL.rstrip('/')}/reset-password?uid={uid}&token={token}"
        hours = max(1, round(settings.PASSWORD_RESET_TIMEOUT / 3600))
        send_mail(
            "企业培育台账：重置密码 / Seedbed: reset your password",
            (
                f"{user.display_name or user.username}，您好：\n\n"
                f"请在 {hours} 小时内打开下面的链接设置新密码（链接只能使用一次）：\n{link}\n\n"
                "如果不是您本人申请，请忽略本邮件，您的密码不会改变。\n\n"
                f"Hello {user.username},\n\nOpen this link within {hours} h to set a new password "
                f"(it works once):\n{link}\n\nIf you did not ask for this, ignore this mail; "
                "your password stays as it is.\n"
            ),
            None,
            [user.email],
        )
        sent += 1
    return sent


def password_reset_user(*, uid: str, token: str) -> User | None:
    """The user a reset link is for, if the link is genuine, unused and not expired."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_str
    from django.utils.http import urlsafe_base64_decode

    try:
        pk = int(force_str(urlsafe_base64_decode(uid)))
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None or not default_token_generator.check_token(user, token):
        return None
    return user


def password_reset_confirm(*, user: User, password: str) -> None:
    """Sets the new password: the link is then void, every session of the user ends, the lockout lifts."""
    user.set_password(password)
    user.save(update_fields=["password"])
    LoginFailure.objects.filter(username=user.username).delete()


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
