"""A caller's scope, decided once: the role, and either every zone, some zones, or some firms.

`scope_of(user)` is the ONE place that works out what a user may see. It is built once per user object
(so once per request: DRF loads the user once) and cached on it; every selector, report, export, job
and feed takes the `Scope` (or a user, which it turns into the same cached `Scope` here) and reads
its fields, never the user's role or zones itself.

- administrator (or superuser): every zone;
- staff and viewers: every zone when the administrator chose "all zones" (`User.all_zones`), else
  exactly their zones; a staff member or viewer with neither sees nothing (the user API refuses
  to create one);
- enterprise users: exactly their linked firms (no zone);
- anyone else (anonymous, unknown role): nothing.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

ADMIN, STAFF, VIEWER, ENTERPRISE = "admin", "staff", "viewer", "enterprise"
PARK_ROLES = frozenset({ADMIN, STAFF, VIEWER})  # the park's own people; enterprise users are outside it


@dataclass(frozen=True)
class Scope:
    role: str | None
    all_zones: bool = False
    zone_ids: tuple[int, ...] = ()
    firm_ids: tuple[int, ...] = ()
    user_id: int | None = None

    @property
    def is_park_user(self) -> bool:
        """Administrators, staff and viewers (whatever their zones)."""
        return self.role in PARK_ROLES

    @property
    def limited_zones(self) -> list[int] | None:
        """The zones a park user is limited to, or None for every zone. Enterprise and anonymous: []."""
        if self.all_zones:
            return None
        return list(self.zone_ids) if self.is_park_user else []

    @property
    def whole_park(self) -> bool:
        return self.all_zones

    def firm_q(self, prefix: str = "") -> Q:
        """The firms in scope, as a filter on a firm (prefix "") or on a row pointing at one ("firm__")."""
        if self.all_zones:
            return Q()
        if self.is_park_user:
            return Q(**{f"{prefix}zone_id__in": list(self.zone_ids)})
        if self.role == ENTERPRISE:
            return Q(**{f"{prefix}id__in": list(self.firm_ids)})
        return Q(pk__in=[])

    def zone_q(self, prefix: str = "") -> Q:
        """The zones in scope (park users): as a filter on a zone (prefix "") or through a relation."""
        if self.all_zones:
            return Q()
        if self.is_park_user:
            return Q(**{f"{prefix}id__in": list(self.zone_ids)})
        return Q(pk__in=[])


NOBODY = Scope(role=None)

_CACHE = "_seedbed_scope"


def scope_of(who: Any) -> Scope:
    """The caller's scope (a `Scope` is returned as it is). Cached on the user object."""
    if isinstance(who, Scope):
        return who
    if who is None or not getattr(who, "is_authenticated", False) or not getattr(who, "is_active", True):
        return NOBODY
    cached = getattr(who, _CACHE, None)
    if isinstance(cached, Scope):
        return cached
    scope = _build(who)
    with contextlib.suppress(AttributeError):  # a user object that takes no attributes: not cached
        setattr(who, _CACHE, scope)
    return scope


def forget_scope(user: Any) -> None:
    """After changing a user's role, zones or firms on this very object (tests, services)."""
    if hasattr(user, _CACHE):
        delattr(user, _CACHE)


def _build(user: Any) -> Scope:
    user_id = getattr(user, "pk", None)
    if getattr(user, "is_superuser", False):
        return Scope(role=ADMIN, all_zones=True, user_id=user_id)
    role = getattr(user, "role", None)
    if role == ADMIN:
        return Scope(role=ADMIN, all_zones=True, user_id=user_id)
    if role in (STAFF, VIEWER):
        if getattr(user, "all_zones", False):
            return Scope(role=role, all_zones=True, user_id=user_id)
        zone_ids = tuple(sorted(user.zones.values_list("id", flat=True)))
        return Scope(role=role, all_zones=False, zone_ids=zone_ids, user_id=user_id)
    if role == ENTERPRISE:
        firm_ids = tuple(sorted(user.firms.values_list("id", flat=True)))
        return Scope(role=ENTERPRISE, firm_ids=firm_ids, user_id=user_id)
    return Scope(role=None, user_id=user_id)
