from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import connection, models, transaction
from django.utils import timezone

from apps.accounts import lockout
from apps.accounts.models import ApiToken, PasswordResetRequest, User, hash_token
from apps.core.i18n import t
from apps.core.permissions import ADMIN


class LoginThrottled(Exception):
    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after


def check_password_of(*, username: str, password: str, request: Any) -> User | None:
    """Tests a password through Django's authenticate(), so that django-axes' lockout applies
    (apps.accounts.lockout): per username and client together, atomic under concurrency.

    Raises LoginThrottled while the pair is locked out, including for the failure that locks it.
    The failure is committed even when the caller then answers with an error.
    """
    with transaction.atomic():
        user = authenticate(request, username=username, password=password)
    if user is None and getattr(request, "axes_locked_out", False):
        raise LoginThrottled(lockout.retry_after(username, lockout.client_ip(request)))
    return user if isinstance(user, User) else None


def login_check(*, username: str, password: str, request: Any) -> User | None:
    """The session login's password check (every login path shares its lockout)."""
    return check_password_of(username=username, password=password, request=request)


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
    """Sets the new password: the link is then void, every session and API token of the user ends,
    the lockout lifts."""
    user.set_password(password)
    user.save(update_fields=["password"])  # User.save revokes the tokens
    lockout.lift_lockout(user.username)


def password_change(*, user: User, new_password: str, revoke_tokens: bool = True) -> None:
    """A user's own password change (the current password is checked by the caller). Every other
    session ends (the session hash changes); the API tokens are revoked unless the user keeps them."""
    user.set_password(new_password)
    user.keep_api_tokens = not revoke_tokens
    user.save(update_fields=["password"])


class TokenExpiryError(ValueError):
    pass


def token_expiry(*, requested: datetime | None, parent: ApiToken | None) -> datetime | None:
    """The expiry of a new token: the one asked for, never in the past, never beyond the
    administrator's maximum (SEEDBED_TOKEN_MAX_DAYS) for a token made in a session, and never
    after the token it is made with. Without one: the latest allowed."""
    now = timezone.now()
    if requested is not None and requested <= now:
        raise TokenExpiryError(t("到期时间必须在将来。", "The expiry must be in the future."))
    if parent is not None:
        latest = parent.expires_at
        if requested is not None and latest is not None and requested > latest:
            raise TokenExpiryError(
                t(
                    "用令牌创建的令牌不能晚于该令牌到期。",
                    "A token created with a token cannot expire after it.",
                )
            )
        return requested or latest
    days = settings.SEEDBED_TOKEN_MAX_DAYS
    latest = now + timedelta(days=days)
    if requested is not None and requested > latest:
        raise TokenExpiryError(t(f"令牌有效期最长 {days} 天。", f"A token can be valid for at most {days} days."))
    return requested or latest


def api_token_create(
    *, user: User, name: str, expires_at: datetime | None = None, parent: ApiToken | None = None
) -> tuple[ApiToken, str]:
    key = ApiToken.new_key()
    token = ApiToken.objects.create(
        user=user, name=name, prefix=key[:10], key_hash=hash_token(key), expires_at=expires_at, parent=parent
    )
    return token, key


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revokes the token and every token created with it (and with those, and so on)."""
    now = timezone.now()
    ids = [token.pk]
    frontier = [token.pk]
    while frontier:
        frontier = list(ApiToken.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        ids += frontier
    ApiToken.objects.filter(pk__in=ids, revoked_at__isnull=True).update(revoked_at=now)
    token.refresh_from_db()
    return token


def api_tokens_revoke_all(*, user: User) -> int:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


class AdminChangeRefused(Exception):
    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = str(message)


def _is_admin(*, role: str, is_active: bool, is_superuser: bool) -> bool:
    return is_active and (role == ADMIN or is_superuser)


def guard_admin_change(
    *,
    actor: Any,
    target: User,
    role: str | None = None,
    is_active: bool | None = None,
    is_superuser: bool | None = None,
) -> None:
    """Refuses (AdminChangeRefused) a change that takes an active administrator's rights away when it is
    the actor's own account, or when no other active administrator would remain. Runs in the request's
    transaction; an advisory lock makes two such changes take turns, so two administrators demoting each
    other at once cannot leave none."""
    before = User.objects.filter(pk=target.pk).values_list("role", "is_active", "is_superuser").first()
    if before is None or not _is_admin(role=before[0], is_active=before[1], is_superuser=before[2]):
        return
    if _is_admin(
        role=before[0] if role is None else role,
        is_active=before[1] if is_active is None else is_active,
        is_superuser=before[2] if is_superuser is None else is_superuser,
    ):
        return
    if actor is not None and getattr(actor, "pk", None) == target.pk:
        raise AdminChangeRefused(
            t(
                "不能停用自己或取消自己的管理员权限，请由另一位管理员操作。",
                "You cannot deactivate yourself or take away your own administrator role; ask another administrator.",
            )
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(7304, 0)")
    others = (
        User.objects.filter(is_active=True)
        .filter(models.Q(role=ADMIN) | models.Q(is_superuser=True))
        .exclude(pk=target.pk)
    )
    if not others.exists():
        raise AdminChangeRefused(
            t(
                "至少要保留一位启用的管理员。",
                "At least one active administrator must remain.",
            )
        )
