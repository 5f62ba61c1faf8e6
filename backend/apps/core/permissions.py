"""Who may do what. Reads are narrowed by each viewset's scope (deny by default); this decides writes."""

from __future__ import annotations

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from apps.core.i18n import t
from apps.core.scope import ADMIN, ENTERPRISE, STAFF, VIEWER, scope_of

__all__ = ["ADMIN", "ALL_ROLES", "ENTERPRISE", "STAFF", "VIEWER", "role_of"]

ALL_ROLES = frozenset({ADMIN, STAFF, VIEWER, ENTERPRISE})


def role_of(user: Any) -> str | None:
    """The caller's role, as their one resolved scope says (apps.core.scope)."""
    return scope_of(user).role


class RolePermission(permissions.BasePermission):
    """Views declare `read_roles` and `write_roles`; anything else is refused."""

    message = t("您的角色无权执行此操作。", "Your role may not do this.")

    def has_permission(self, request: Request, view: Any) -> bool:
        role = role_of(request.user)
        if role is None:
            return False  # DRF turns this into 401 for anonymous callers
        if request.method in permissions.SAFE_METHODS:
            allowed = getattr(view, "read_roles", ALL_ROLES)
        else:
            allowed = getattr(view, "write_roles", frozenset({ADMIN, STAFF}))
            action = getattr(view, "action", None)
            per_action = getattr(view, "action_write_roles", {})
            if action in per_action:
                allowed = per_action[action]
        return role in allowed


class PublicEndpoint(permissions.BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return True
