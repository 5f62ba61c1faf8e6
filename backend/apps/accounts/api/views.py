from __future__ import annotations

from typing import Any

from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, Throttled, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import lockout, selectors, services
from apps.accounts.api.serializers import (
    ApiTokenCreatedSerializer,
    ApiTokenSerializer,
    DetailSerializer,
    LoginSerializer,
    MeSerializer,
    PasswordChangeSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetRequestSerializer,
    TokenToRevokeSerializer,
    UserSerializer,
)
from apps.accounts.models import ApiToken, User
from apps.core.api.base import ScopedModelViewSet, ScopedQuerysetMixin
from apps.core.api.schema import THROTTLED
from apps.core.i18n import t
from apps.core.permissions import ADMIN, ALL_ROLES, PublicEndpoint


class LoginFailed(APIException):
    status_code = status.HTTP_401_UNAUTHORIZED
    default_code = "login_failed"
    default_detail = t("用户名或密码错误。", "Wrong username or password.")


class CsrfFailed(APIException):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "csrf_failed"
    default_detail = t("CSRF 校验失败，请刷新页面后重试。", "CSRF check failed; reload the page and try again.")


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request: HttpRequest, reason: str) -> Any:
        return reason


def _enforce_csrf(request: Request) -> None:
    """Django's CSRF check (token and Origin), on a view that takes no session yet: the login. Without it
    a hostile page could post a form that signs the victim's browser into the attacker's account."""
    check = _CsrfCheck(lambda _request: HttpResponse())
    check.process_request(request._request)
    if check.process_view(request._request, lambda _request: HttpResponse(), (), {}) is not None:
        raise CsrfFailed()


def _client_ip(request: Request) -> str | None:
    """The caller's address; behind our own nginx (SEEDBED_TRUST_X_REAL_IP) the one it reports."""
    return lockout.client_ip(request._request)


class _Throttled(Throttled):
    """429 with Retry-After; the message already says when, so DRF's English "Expected available in …"
    sentence is not appended."""

    wait: int | None

    def __init__(self, message: Any, wait: int) -> None:
        super().__init__(detail=str(message))
        self.wait = wait


def _throttled(message: Any, wait: int) -> Throttled:
    return _Throttled(message, wait)


def _throttled_for(retry_after: int, what_zh: str, what_en: str) -> Throttled:
    """429 with when to try again, in whole minutes: '<what>，请 N 分钟后再试。' / '<what>; try again in N min.'"""
    minutes = max(1, round(retry_after / 60))
    message = t(f"{what_zh}，请 {minutes} 分钟后再试。", f"{what_en}; try again in {minutes} min.")
    return _throttled(message, retry_after)


@method_decorator(transaction.non_atomic_requests, name="dispatch")
class LoginView(APIView):
    """Session login for the browser; needs the CSRF token (GET /auth/csrf/). Too many failures for one
    username from one client lock that pair for a while (the same lockout as every other login path).

    Logging in rotates the CSRF token: the token read before login no longer works. A session client
    fetches it again (`GET /auth/csrf/`) after logging in and sends it as `X-CSRFToken` on every
    write. API clients use a token instead (`POST /tokens/` once, then `Authorization: Bearer <key>`),
    which needs no CSRF token; see docs/api.md.
    """

    permission_classes = [PublicEndpoint]
    authentication_classes: list[Any] = []

    @extend_schema(request=LoginSerializer, responses={200: MeSerializer, 429: THROTTLED}, operation_id="auth_login")
    def post(self, request: Request) -> Response:
        _enforce_csrf(request)
        data = LoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            user = services.login_check(
                username=data.validated_data["username"],
                password=data.validated_data["password"],
                request=request._request,
            )
        except services.LoginThrottled as exc:
            raise _throttled_for(exc.retry_after, "登录失败次数过多", "Too many failed logins") from exc
        if user is None:
            raise LoginFailed()
        login(request._request, user)
        return Response(MeSerializer(user).data)


class LogoutView(APIView):
    permission_classes = [PublicEndpoint]

    @extend_schema(request=None, responses={204: None}, operation_id="auth_logout")
    def post(self, request: Request) -> Response:
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetRequestView(APIView):
    """Asks for a reset link by email. The answer is the same whether or not the address has an account.
    Too many requests for one address, or from one client, within the window are 429 (again the same
    whether or not the address has an account)."""

    permission_classes = [PublicEndpoint]
    authentication_classes: list[Any] = []

    @extend_schema(
        request=PasswordResetRequestSerializer,
        responses={202: DetailSerializer, 429: THROTTLED},
        operation_id="auth_password_reset",
    )
    def post(self, request: Request) -> Response:
        data = PasswordResetRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.password_reset_throttle(email=data.validated_data["email"], ip=_client_ip(request))
        except services.ResetThrottled as exc:
            raise _throttled_for(exc.retry_after, "重置密码的请求过于频繁", "Too many password-reset requests") from exc
        services.password_reset_request(email=data.validated_data["email"])
        message = t(
            "如果该邮箱属于某个账户，我们已向它发送重置密码的链接，请查收。",
            "If this address belongs to an account, a link to reset the password is on its way.",
        )
        return Response({"detail": str(message)}, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(APIView):
    """Sets a new password with the link's uid and token. The link works once and expires."""

    permission_classes = [PublicEndpoint]
    authentication_classes: list[Any] = []

    @extend_schema(
        request=PasswordResetConfirmSerializer,
        responses={200: DetailSerializer},
        operation_id="auth_password_reset_confirm",
    )
    def post(self, request: Request) -> Response:
        data = PasswordResetConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.password_reset_user(uid=data.validated_data["uid"], token=data.validated_data["token"])
        if user is None:
            raise ValidationError(
                {
                    "token": [
                        t(
                            "重置链接无效或已过期，请重新申请。",
                            "This reset link is invalid, used or expired; ask for a new one.",
                        )
                    ]
                }
            )
        try:
            validate_password(data.validated_data["new_password"], user=user)
        except DjangoValidationError as exc:
            raise ValidationError({"new_password": list(exc.messages)}) from exc
        services.password_reset_confirm(user=user, password=data.validated_data["new_password"])
        return Response({"detail": str(t("密码已重置，请用新密码登录。", "Your password is reset; sign in with it."))})


@method_decorator(transaction.non_atomic_requests, name="dispatch")
class PasswordChangeView(APIView):
    """Changes your own password. The current password is checked under the login lockout. Every other
    session of yours ends; your API tokens are revoked too unless `revoke_tokens` is false (so that an
    integration is not cut off without warning)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=PasswordChangeSerializer,
        responses={200: DetailSerializer, 429: THROTTLED},
        operation_id="auth_password_change",
    )
    def post(self, request: Request) -> Response:
        data = PasswordChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user: User = request.user  # type: ignore[assignment]
        try:
            checked = services.check_password_of(
                username=user.username, password=data.validated_data["current_password"], request=request._request
            )
        except services.LoginThrottled as exc:
            raise _throttled_for(exc.retry_after, "登录失败次数过多", "Too many failed logins") from exc
        if checked is None or checked.pk != user.pk:
            raise ValidationError({"current_password": [t("当前密码不正确。", "The current password is wrong.")]})
        try:
            validate_password(data.validated_data["new_password"], user=user)
        except DjangoValidationError as exc:
            raise ValidationError({"new_password": list(exc.messages)}) from exc
        with transaction.atomic():
            services.password_change(
                user=user,
                new_password=data.validated_data["new_password"],
                revoke_tokens=data.validated_data["revoke_tokens"],
            )
        if request.auth is None:
            update_session_auth_hash(request._request, user)  # this session stays, the others end
        return Response({"detail": str(t("密码已修改。", "Your password is changed."))})

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        # This view commits its own work (a failed check must count even though it answers an error), so
        # an enclosing transaction (a test's) is not ours to mark for rollback, as DRF's handler just did.
        if connection.in_atomic_block:
            transaction.set_rollback(False)
        return response


class CsrfView(APIView):
    """Sets the CSRF cookie and returns the token, for the browser before its first write. Login rotates
    the token: fetch it again after logging in."""

    permission_classes = [PublicEndpoint]
    authentication_classes: list[Any] = []

    @extend_schema(
        responses={200: inline_serializer("CsrfToken", {"csrf_token": serializers.CharField()})},
        operation_id="auth_csrf",
    )
    @method_decorator(ensure_csrf_cookie)
    def get(self, request: Request) -> Response:
        return Response({"csrf_token": get_token(request._request)})


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: MeSerializer})
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)


class UserViewSet(ScopedModelViewSet):
    """Administrators manage users, roles, zone limits and firm links. Deleting deactivates."""

    serializer_class = UserSerializer
    read_roles = frozenset({ADMIN})
    write_roles = frozenset({ADMIN})
    filterset_fields = ["role", "is_active"]
    ordering_fields = ["id", "username", "date_joined"]

    def scope(self, user: Any) -> Any:
        return selectors.users_visible_to(user)

    def perform_destroy(self, instance: User) -> None:
        try:
            services.guard_admin_change(actor=self.request.user, target=instance, is_active=False)
        except services.AdminChangeRefused as exc:
            raise ValidationError({"is_active": [exc.message]}) from exc
        instance.is_active = False
        instance.save(update_fields=["is_active"])  # User.save revokes the API tokens

    @extend_schema(responses={200: ApiTokenSerializer(many=True)}, operation_id="users_tokens_list")
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def tokens(self, request: Request, pk: str | None = None) -> Response:
        """The user's API tokens (never their keys), newest first: administrators only."""
        user = self.get_object()
        return Response(ApiTokenSerializer(user.api_tokens.order_by("-id"), many=True).data)

    @extend_schema(
        request=TokenToRevokeSerializer,
        responses={200: ApiTokenSerializer},
        operation_id="users_tokens_revoke",
    )
    @action(detail=True, methods=["post"], url_path="tokens/revoke", filter_backends=[])
    def revoke_token(self, request: Request, pk: str | None = None) -> Response:
        """Revokes one of the user's API tokens, `{"token": id}` (and the tokens created with it):
        administrators only."""
        user = self.get_object()
        body = TokenToRevokeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        token = user.api_tokens.filter(pk=body.validated_data["token"]).first()
        if token is None:
            raise NotFound()
        return Response(ApiTokenSerializer(services.api_token_revoke(token=token)).data)

    @extend_schema(
        request=None,
        responses={200: inline_serializer("TokensRevoked", {"revoked": serializers.IntegerField()})},
        operation_id="users_tokens_revoke_all",
    )
    @action(detail=True, methods=["post"], url_path="tokens/revoke-all", filter_backends=[])
    def revoke_all_tokens(self, request: Request, pk: str | None = None) -> Response:
        """Revokes every API token of the user: administrators only."""
        return Response({"revoked": services.api_tokens_revoke_all(user=self.get_object())})


class ApiTokenViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Your API tokens. The key is shown once on creation; DELETE revokes (the record stays)."""

    serializer_class = ApiTokenSerializer
    read_roles = ALL_ROLES
    write_roles = ALL_ROLES
    ordering = ["-id"]

    def scope(self, user: Any) -> Any:
        return selectors.tokens_visible_to(user)

    @extend_schema(request=ApiTokenSerializer, responses={201: ApiTokenCreatedSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A new token. `expires_at` is required to be in the future; without it, the latest allowed. A token
        made in a session lives at most SEEDBED_TOKEN_MAX_DAYS (default 365); one made with a token never
        outlives that token, and is revoked with it."""
        serializer = ApiTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        parent = request.auth if isinstance(request.auth, ApiToken) else None
        try:
            expires_at = services.token_expiry(requested=serializer.validated_data.get("expires_at"), parent=parent)
        except services.TokenExpiryError as exc:
            raise ValidationError({"expires_at": [str(exc)]}) from exc
        token, key = services.api_token_create(
            user=request.user,  # type: ignore[arg-type]
            name=serializer.validated_data["name"],
            expires_at=expires_at,
            parent=parent,
        )
        body = ApiTokenSerializer(token).data
        body["key"] = key
        return Response(body, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: ApiToken) -> None:
        services.api_token_revoke(token=instance)

    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        token = services.api_token_revoke(token=self.get_object())
        return Response(ApiTokenSerializer(token).data)
