"""Writes to the registry. History is written by the database triggers; these add the rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Model

from apps.core.exceptions import Conflict
from apps.core.i18n import t
from apps.registry.models import ExitKind, Firm

# Relations that belong to the firm and go with it when an administrator erases a mistaken record.
_OWNED_RELATIONS = {"contacts"}


def firm_references(firm: Firm) -> dict[str, int]:
    """Everything that still points at the firm, by relation name, with counts (owned parts excluded)."""
    found: dict[str, int] = {}
    for rel in firm._meta.related_objects:
        accessor = rel.get_accessor_name()
        if accessor is None or accessor in _OWNED_RELATIONS:
            continue
        count = getattr(firm, accessor).count() if (rel.one_to_many or rel.many_to_many) else 0
        if count:
            found[accessor] = count
    return found


@transaction.atomic
def firm_delete(*, firm: Firm) -> None:
    """Hard delete, for a record entered by mistake. Refused while anything refers to the firm."""
    refs = firm_references(firm)
    if refs:
        listing = ", ".join(f"{name} ({count})" for name, count in sorted(refs.items()))
        raise Conflict(
            t(
                f"该企业仍被引用，不能删除：{listing}。如企业已离园，请登记离园日期。",
                f"Other records still refer to this firm: {listing}. "
                "If it left the park, record the exit date instead.",
            )
        )
    firm.delete()


@transaction.atomic
def firm_leave_park(*, firm: Firm, date: dt.date, kind: str = ExitKind.MOVED_OUT, note: str = "") -> Firm:
    """A firm that leaves is marked with a date, never erased."""
    firm.left_park_on = date
    firm.exit_kind = kind
    firm.exit_note = note
    firm.full_clean()
    firm.save(update_fields=["left_park_on", "exit_kind", "exit_note", "updated_at"])
    return firm


def firm_bulk_update(*, firm_ids: list[int], values: dict[str, Any]) -> int:
    """A set-based update; the triggers still record one history entry per changed firm."""
    return Firm.objects.filter(id__in=firm_ids).update(**values)


def model_label(instance: Model) -> str:
    return f"{instance._meta.label}#{instance.pk}"
