"""Reads, always narrowed to what the caller may see. Deny by default: an unknown role sees nothing."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from apps.core.models import Change
from apps.core.permissions import ADMIN, ENTERPRISE, STAFF, VIEWER, role_of
from apps.registry.models import Contact, Firm, Industry, JournalEntry, Zone


def staff_zone_ids(user: Any) -> list[int] | None:
    """Zones a staff member is limited to, or None for every zone. Cached on the user for the request."""
    if hasattr(user, "_seedbed_zone_ids"):
        cached: list[int] | None = user._seedbed_zone_ids
        return cached
    ids: list[int] | None = list(user.zones.values_list("id", flat=True)) or None
    user._seedbed_zone_ids = ids
    return ids


def firms_visible_to(user: Any) -> QuerySet[Firm]:
    role = role_of(user)
    firms = Firm.objects.all()
    if role in (ADMIN, VIEWER):
        return firms
    if role == STAFF:
        zones = staff_zone_ids(user)
        return firms if zones is None else firms.filter(zone_id__in=zones)
    if role == ENTERPRISE:
        return firms.filter(users=user)
    return firms.none()


def firms_for_listing(user: Any) -> QuerySet[Firm]:
    return firms_visible_to(user).select_related("zone", "industry", "assigned_staff")


def zones_visible_to(user: Any) -> QuerySet[Zone]:
    role = role_of(user)
    if role in (ADMIN, VIEWER, STAFF):
        return Zone.objects.all()
    if role == ENTERPRISE:
        return Zone.objects.filter(firms__users=user).distinct()
    return Zone.objects.none()


def zones_writable_by(user: Any) -> QuerySet[Zone]:
    """Zones a caller may put a firm into: a zone-limited staff member only their own."""
    if role_of(user) == STAFF and (zones := staff_zone_ids(user)) is not None:
        return Zone.objects.filter(id__in=zones)
    if role_of(user) in (ADMIN, STAFF):
        return Zone.objects.all()
    return Zone.objects.none()


def industries_visible_to(user: Any) -> QuerySet[Industry]:
    return Industry.objects.all() if role_of(user) else Industry.objects.none()


def contacts_visible_to(user: Any) -> QuerySet[Contact]:
    return Contact.objects.filter(firm__in=firms_visible_to(user)).select_related("firm")


def journal_visible_to(user: Any) -> QuerySet[JournalEntry]:
    if role_of(user) in (ADMIN, STAFF, VIEWER):
        return JournalEntry.objects.filter(firm__in=firms_visible_to(user)).select_related("firm", "author")
    return JournalEntry.objects.none()


# Tables whose history an enterprise user may not read even for its own firm (internal notes).
_STAFF_ONLY_HISTORY = ("registry_journalentry",)


# The messages the scan sends about a firm's flags (one row per recipient and channel, then each
# delivery attempt): the history of the flags themselves says what happened; these are shown on request.
_MESSAGE_HISTORY = ("flags_notification", "flags_outboxmessage")


def firm_history(*, firm: Firm, user: Any, messages: bool = False) -> QuerySet[Change]:
    changes = Change.objects.filter(firm_id=firm.pk)
    if role_of(user) == ENTERPRISE:
        changes = changes.exclude(table_name__in=_STAFF_ONLY_HISTORY + _MESSAGE_HISTORY)
    elif not messages:
        changes = changes.exclude(table_name__in=_MESSAGE_HISTORY)
    return changes.order_by("-id")
