"""Writes to the listing pipeline. History is written by the database trigger; these add the order rules.

Every write compares the firm's timeline before and after it: a write that adds a break of the
stage order (see `stages.timeline_problems`) is refused, unless staff override it with a reason.
Breaks accepted earlier stay accepted, so correcting the note of an overridden event needs no
second override. The firm row is locked for the check, so two writes to one firm's timeline at
once cannot each pass the check against a timeline the other is changing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from rest_framework import serializers

from apps.core.i18n import t
from apps.listing import stages
from apps.listing.models import ListingEvent
from apps.registry.models import Firm

EDITABLE_FIELDS = ("stage", "date", "pool_level", "board", "sponsor", "outcome", "announcement_url", "note")

OVERRIDE_HINT = t(
    "如记录属实，工作人员可设置 override=true 并填写原因（reason）后保存。",
    "If the record is right, staff can save it with override=true and a reason.",
)


def _lock_timeline(firm_id: int) -> list[ListingEvent]:
    Firm.objects.select_for_update().filter(pk=firm_id).first()
    return list(ListingEvent.objects.filter(firm_id=firm_id).order_by("date", "id"))


def _refuse_duplicate(event: ListingEvent, timeline: list[ListingEvent]) -> None:
    for other in timeline:
        if other.pk != event.pk and other.stage == event.stage and other.date == event.date:
            name = stages.stage_label(event.stage)
            raise serializers.ValidationError(
                {
                    "date": [
                        t(
                            f"该企业已登记 {event.date.isoformat()} 的「{name}」事件（编号 {other.pk}），不能重复。",
                            f"This firm already has a {name} event on {event.date.isoformat()} (#{other.pk}).",
                        )
                    ]
                }
            )


def _new_problems(before: list[Any], after: list[Any]) -> list[stages.Problem]:
    known = {p.key for p in stages.timeline_problems(before)}
    return [p for p in stages.timeline_problems(after) if p.key not in known]


def _refuse_unless_overridden(problems: list[stages.Problem], *, override: bool) -> None:
    if problems and not override:
        messages = [str(p.message()) for p in problems]
        messages.append(str(OVERRIDE_HINT))
        raise serializers.ValidationError({"non_field_errors": messages})


def _flag(event: ListingEvent, after: list[ListingEvent], *, overridden: bool) -> None:
    involved = any(
        event is step or (event.pk is not None and step.id == event.pk)
        for problem in stages.timeline_problems(after)
        for step in problem.steps
    )
    event.out_of_order_override = involved and (overridden or event.out_of_order_override)


@transaction.atomic
def listing_event_create(
    *, firm: Firm, stage: str, date: dt.date, recorded_by: Any = None, override: bool = False, **fields: Any
) -> ListingEvent:
    event = ListingEvent(firm=firm, stage=stage, date=date, recorded_by=recorded_by, **fields)
    timeline = _lock_timeline(firm.pk)
    _refuse_duplicate(event, timeline)
    after = [*timeline, event]
    problems = _new_problems(timeline, after)
    _refuse_unless_overridden(problems, override=override)
    _flag(event, after, overridden=bool(problems))
    event.full_clean()
    event.save()
    return event


@transaction.atomic
def listing_event_update(*, event: ListingEvent, override: bool = False, **fields: Any) -> ListingEvent:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    timeline = _lock_timeline(event.firm_id)
    for name, value in fields.items():
        setattr(event, name, value)
    _refuse_duplicate(event, timeline)
    after = [event if e.pk == event.pk else e for e in timeline]
    problems = _new_problems(timeline, after)
    _refuse_unless_overridden(problems, override=override)
    _flag(event, after, overridden=bool(problems))
    event.full_clean()
    event.save()
    return event


@transaction.atomic
def listing_event_delete(*, event: ListingEvent, override: bool = False) -> None:
    """Deleting a stage that later stages rest on is an order break too; the later events get the flag."""
    timeline = _lock_timeline(event.firm_id)
    after = [e for e in timeline if e.pk != event.pk]
    problems = _new_problems(timeline, after)
    _refuse_unless_overridden(problems, override=override)
    flagged = {step.id for problem in problems for step in problem.steps}
    if flagged:
        ListingEvent.objects.filter(pk__in=flagged).update(out_of_order_override=True)
    event.delete()
