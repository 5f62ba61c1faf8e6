"""Reads, always narrowed to what the caller may see. Deny by default: an unknown role sees nothing."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from apps.core.db import user_columns_shown
from apps.core.models import Change
from apps.core.scope import ADMIN, ENTERPRISE, STAFF, scope_of
from apps.registry.models import Contact, Firm, Industry, JournalEntry, Zone

# Every selector takes the caller's `Scope` (apps.core.scope; a user is turned into their cached one)
# and reads it: none works the role or the zones out again.
Who = Any  # a `Scope`, or a user (turned into their cached `Scope` by `scope_of`)


def firms_visible_to(who: Who) -> QuerySet[Firm]:
    """The root of every firm-owned scope: the firms of the caller's zones, or their linked firms."""
    scope = scope_of(who)
    if scope.role is None:
        return Firm.objects.none()
    return Firm.objects.filter(scope.firm_q())


def firms_for_listing(who: Who) -> QuerySet[Firm]:
    # The assigned staff member's name only, never the rest of their row (password hash included).
    return (
        firms_visible_to(who)
        .select_related("zone", "industry", "assigned_staff")
        .defer(*user_columns_shown("assigned_staff"))
    )


def zones_visible_to(who: Who) -> QuerySet[Zone]:
    scope = scope_of(who)
    if scope.is_park_user:
        return Zone.objects.filter(scope.zone_q())
    if scope.role == ENTERPRISE:
        return Zone.objects.filter(firms__id__in=list(scope.firm_ids)).distinct()
    return Zone.objects.none()


def zones_writable_by(who: Who) -> QuerySet[Zone]:
    """Zones a caller may put a firm into: a zone-limited staff member only their own."""
    scope = scope_of(who)
    if scope.role in (ADMIN, STAFF):
        return Zone.objects.filter(scope.zone_q())
    return Zone.objects.none()


def industries_visible_to(who: Who) -> QuerySet[Industry]:
    return Industry.objects.all() if scope_of(who).role else Industry.objects.none()


def contacts_visible_to(who: Who) -> QuerySet[Contact]:
    return Contact.objects.filter(firm__in=firms_visible_to(who)).select_related("firm")


def journal_visible_to(who: Who) -> QuerySet[JournalEntry]:
    scope = scope_of(who)
    if scope.is_park_user:
        return (
            JournalEntry.objects.filter(firm__in=firms_visible_to(scope))
            .select_related("firm", "author")
            .defer(*user_columns_shown("author"))
        )
    return JournalEntry.objects.none()


# Tables whose history an enterprise user may not read even for its own firm (internal notes).
_STAFF_ONLY_HISTORY = ("registry_journalentry",)


# The messages the scan sends about a firm's flags (one row per recipient and channel, then each
# delivery attempt): the history of the flags themselves says what happened; these are shown on request.
_MESSAGE_HISTORY = ("flags_notification", "flags_outboxmessage")


def firm_history(*, firm: Firm, user: Who, messages: bool = False) -> QuerySet[Change]:
    changes = Change.objects.filter(firm_id=firm.pk)
    if scope_of(user).role == ENTERPRISE:
        changes = changes.exclude(table_name__in=_STAFF_ONLY_HISTORY + _MESSAGE_HISTORY)
    elif not messages:
        changes = changes.exclude(table_name__in=_MESSAGE_HISTORY)
    return changes.order_by("-id")
