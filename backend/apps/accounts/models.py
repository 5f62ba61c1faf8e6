from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone

from apps.core.permissions import ADMIN, ENTERPRISE, STAFF, VIEWER


class Role(models.TextChoices):
    ADMIN = ADMIN, "管理员 / Administrator"
    STAFF = STAFF, "服务专员 / Staff"
    VIEWER = VIEWER, "只读 / Viewer"
    ENTERPRISE = ENTERPRISE, "企业用户 / Enterprise"


class User(AbstractUser):
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.VIEWER)
    display_name = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    # Staff and viewers: every zone (an explicit choice of the administrator), or only `zones`.
    # Neither means nothing (the user API refuses it); apps.core.scope reads both, nothing else does.
    all_zones = models.BooleanField(
        default=False, help_text="Staff and viewers: see every zone (otherwise only the zones listed)."
    )
    zones = models.ManyToManyField("registry.Zone", blank=True, related_name="staff")
    # Enterprise users see only these firms.
    firms = models.ManyToManyField("registry.Firm", blank=True, related_name="users")

    objects = UserManager()  # type: ignore[misc]

    class Meta:
        ordering = ["id"]

    @property
    def effective_role(self) -> str:
        return ADMIN if self.is_superuser else self.role

    def __str__(self) -> str:
        return self.display_name or self.username

    # Set by a self-service password change whose owner chose to keep their API tokens (the only exception).
    keep_api_tokens = False

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Revokes the user's API tokens when their password is set (not when Django merely re-hashes it
        at login), or when they are deactivated or their role changes: by the API, the Django admin, a
        password reset or a management command alike."""
        password_set = self._password is not None  # type: ignore[attr-defined]  # set_password() was called
        watched = {"role", "is_active", "is_superuser"}
        update_fields = kwargs.get("update_fields")
        before = None
        if self.pk and (update_fields is None or watched & set(update_fields)):
            before = User.objects.filter(pk=self.pk).values("role", "is_active", "is_superuser").first()
        super().save(*args, **kwargs)
        changed = before is not None and (
            before["role"] != self.role
            or before["is_superuser"] != self.is_superuser
            or (before["is_active"] and not self.is_active)
        )
        if changed or (password_set and not self.keep_api_tokens):
            ApiToken.objects.filter(user=self, revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.keep_api_tokens = False


def hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self) -> ApiTokenQuerySet:
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """A token for integrations. Only its SHA-256 is stored; the key is shown once, at creation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, help_text="First characters of the key, to recognise it.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # The token this one was created with, if any: it never outlives it (expiry and revocation).
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def new_key() -> str:
        return "sbd_" + secrets.token_urlsafe(32)

    @property
    def is_active(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.pk, "name": self.name, "prefix": self.prefix}


class PasswordResetRequest(models.Model):
    """Password-reset requests, counted per address and per client to throttle them across every worker
    process. The address is kept as typed (lower-cased) whether or not an account has it."""

    email = models.CharField(max_length=254, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.email} from {self.ip} @ {self.at}"
