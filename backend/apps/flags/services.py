"""What people do with flags, deadlines, preferences and calendar feeds. The scan lives in apps.flags.scan,
the jobs in apps.flags.jobs.

The lifecycle of a flag
-----------------------
open → acknowledged (someone is on it) → resolved, dismissed, or snoozed until a date.
- resolved: automatically by the scan when the condition clears (resolution "auto"), by a person
  ("manual"), or by the yearly rollover ("year_end"). A resolved flag whose condition is found
  again is *reopened* (the same flag: the ladder points it already announced are not sent again).
  So "resolve" means "it is dealt with"; to stop hearing about a condition that persists, dismiss it.
- dismissed: with a reason; the subject stays dismissed. The scan never opens another flag for the
  same (firm, kind, programme, subject) — a new certificate, fiscal year or deadline year is a new
  subject, so it is flagged again. A person may reopen a dismissed flag.
- snoozed: hidden until `snoozed_until`; the first scan on or after that day reopens it if the
  condition still holds, or resolves it if not.
Every change is a compare-and-set on the state (two people acting at once: one wins, the other
gets a 409), and the history triggers record who did what and why.

Who may act: staff and administrators do everything; an enterprise user may only acknowledge a
flag of its own firm (that it has seen it); viewers only read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from apps.core import audit, clock
from apps.core.exceptions import Conflict
from apps.core.i18n import t
from apps.flags.models import (
    ELIGIBILITY_KINDS,
    NON_FINAL_STATES,
    CalendarFeed,
    DeadlineCompletion,
    EligibilityMemo,
    EmailDelivery,
    Flag,
    FlagState,
    NotificationPreference,
    Resolution,
)
from apps.programmes.models import ProgrammeDeadline
from apps.registry.models import Firm

MAX_SNOOZE_DAYS = 366

ACTIONS: dict[str, tuple[str, ...]] = {
    "acknowledge": (FlagState.OPEN,),
    "resolve": NON_FINAL_STATES,
    "snooze": NON_FINAL_STATES,
    "dismiss": NON_FINAL_STATES,
    "reopen": (FlagState.RESOLVED, FlagState.DISMISSED, FlagState.SNOOZED),
}


def _state_label(state: str) -> str:
    return str(dict(FlagState.choices).get(state, state))


def _not_allowed(action: str, flag: Flag) -> Conflict:
    return Conflict(
        t(
            f"该提醒当前状态为“{_state_label(flag.state).split(' / ')[0]}”，不能执行此操作。",
            f"This flag is {flag.state}; it cannot be {action}d now.",
        )
    )


def _values_for(action: str, *, user: Any, note: str, until: dt.date | None, reason: str) -> dict[str, Any]:
    now = clock.now()
    changed_by = user if getattr(user, "pk", None) else None
    values: dict[str, Any] = {"state_changed_at": now, "state_changed_by": changed_by}
    if note or reason:
        values["note"] = (note or reason)[:2000]
    if action == "acknowledge":
        values["state"] = FlagState.ACKNOWLEDGED
    elif action == "resolve":
        values.update(state=FlagState.RESOLVED, resolution=Resolution.MANUAL, resolved_at=now, snoozed_until=None)
    elif action == "snooze":
        values.update(state=FlagState.SNOOZED, snoozed_until=until)
    elif action == "dismiss":
        values.update(state=FlagState.DISMISSED, dismiss_reason=reason, snoozed_until=None)
    elif action == "reopen":
        values.update(state=FlagState.OPEN, snoozed_until=None, resolution="", resolved_at=None, dismiss_reason="")
    return values


def check_snooze_until(until: dt.date | None, today: dt.date | None = None) -> dt.date:
    from rest_framework import serializers

    today = today or clock.today()
    if until is None:
        raise serializers.ValidationError({"until": [t("请填写暂缓到哪一天。", "Give the day to snooze until.")]})
    if until <= today:
        raise serializers.ValidationError(
            {"until": [t("暂缓日期须晚于今天。", "The snooze date must be after today.")]}
        )
    if until > today + dt.timedelta(days=MAX_SNOOZE_DAYS):
        raise serializers.ValidationError(
            {"until": [t("最多暂缓一年。", f"A flag can be snoozed for at most {MAX_SNOOZE_DAYS} days.")]}
        )
    return until


def forget_eligibility(firm_ids: list[int]) -> None:
    """A person resolved or reopened one of these firms' eligibility flags: evaluate them at the next scan
    (a resolved flag whose condition holds is reopened then; a reopened one whose condition cleared, resolved)."""
    EligibilityMemo.objects.filter(firm_id__in=firm_ids).delete()


def flag_act(
    *, flag: Flag, action: str, user: Any, note: str = "", until: dt.date | None = None, reason: str = ""
) -> Flag:
    """Applies one action to one flag (compare-and-set on its state)."""
    if action not in ACTIONS:
        raise ValueError(action)
    reason = reason.strip()
    if action == "snooze":
        until = check_snooze_until(until)
    if action == "dismiss" and not reason:
        from rest_framework import serializers

        raise serializers.ValidationError({"reason": [t("忽略提醒须填写原因。", "Give the reason for dismissing.")]})
    if reason:
        audit.set_reason(reason)
    values = _values_for(action, user=user, note=note.strip(), until=until, reason=reason)
    try:
        with transaction.atomic():
            changed = Flag.objects.filter(pk=flag.pk, state__in=ACTIONS[action]).update(**values)
    except IntegrityError as exc:
        raise Conflict(
            t(
                "该企业同一事项已有一条未关闭的提醒，不能重新打开这一条。",
                "The same subject already has a flag that is not closed; this one cannot be reopened.",
            )
        ) from exc
    if changed != 1:
        raise _not_allowed(action, flag)
    if action in ("resolve", "reopen") and flag.kind in ELIGIBILITY_KINDS:
        forget_eligibility([flag.firm_id])
    return Flag.objects.select_related("firm", "firm__zone").get(pk=flag.pk)


@dataclass
class BulkResult:
    done: list[int] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)


@transaction.atomic
def flags_bulk_act(
    *,
    flags: QuerySet[Flag],
    ids: list[int],
    action: str,
    user: Any,
    reason: str = "",
    note: str = "",
    until: dt.date | None = None,
) -> BulkResult:
    """The inbox's bulk action. Every id must be in the caller's scope (else 400, nothing changes);
    flags whose state does not allow the action are left alone and listed as skipped."""
    from rest_framework import serializers

    wanted = sorted(set(ids))
    found = {flag.pk: flag for flag in flags.filter(pk__in=wanted).select_for_update(of=("self",))}
    unknown = [pk for pk in wanted if pk not in found]
    if unknown:
        raise serializers.ValidationError(
            {"ids": [t(f"这些提醒不存在或不在您的权限范围内：{unknown}", f"Unknown or outside your scope: {unknown}")]}
        )
    reason = reason.strip()
    if action == "snooze":
        until = check_snooze_until(until)
    if action == "dismiss" and not reason:
        raise serializers.ValidationError({"reason": [t("忽略提醒须填写原因。", "Give the reason for dismissing.")]})
    if reason:
        audit.set_reason(reason)
    result = BulkResult()
    values = _values_for(action, user=user, note=note.strip(), until=until, reason=reason)
    for pk in wanted:
        flag = found[pk]
        if flag.state not in ACTIONS[action]:
            result.skipped.append({"id": pk, "state": flag.state})
            continue
        try:
            with transaction.atomic():
                Flag.objects.filter(pk=pk).update(**values)
        except IntegrityError:
            result.skipped.append({"id": pk, "state": flag.state, "conflict": True})
            continue
        result.done.append(pk)
    if action in ("resolve", "reopen"):
        forget_eligibility(sorted({found[pk].firm_id for pk in result.done if found[pk].kind in ELIGIBILITY_KINDS}))
    return result


# ---------------------------------------------------------------------------------------- deadlines


def deadline_mark_done(
    *, firm: Firm, deadline: ProgrammeDeadline, year: int, done_on: dt.date, note: str = "", user: Any = None
) -> DeadlineCompletion:
    """A firm's report / data update of `year` is done; the changed-firm sweep resolves its report_due flag."""
    from rest_framework import serializers

    if deadline.dates_in(year) is None:
        raise serializers.ValidationError(
            {"year": [t(f"该截止事项不适用于 {year} 年。", f"This deadline does not apply in {year}.")]}
        )
    if done_on > clock.today():
        raise serializers.ValidationError(
            {"done_on": [t("完成日期不能晚于今天。", "done_on cannot be in the future.")]}
        )
    try:
        with transaction.atomic():
            return DeadlineCompletion.objects.create(
                firm=firm, deadline=deadline, year=year, done_on=done_on, note=note.strip(),
                marked_by=user if getattr(user, "pk", None) else None,
            )  # fmt: skip
    except IntegrityError as exc:
        raise Conflict(
            t(f"该企业 {year} 年的此事项已标记完成。", f"This deadline of {year} is already marked done for the firm.")
        ) from exc


# ---------------------------------------------------------------------------------------- preferences


def default_email_delivery(user: Any) -> str:
    from apps.core.permissions import ENTERPRISE, role_of

    return EmailDelivery.IMMEDIATE if role_of(user) == ENTERPRISE else EmailDelivery.DIGEST


def email_delivery_of(user: Any) -> str:
    pref = NotificationPreference.objects.filter(user=user).first()
    return pref.email_delivery if pref else default_email_delivery(user)


def preference_set(*, user: Any, email_delivery: str) -> str:
    NotificationPreference.objects.update_or_create(user=user, defaults={"email_delivery": email_delivery})
    return email_delivery


# ---------------------------------------------------------------------------------------- calendar


def calendar_feed_of(user: Any) -> CalendarFeed:
    """The user's feed settings; a user who never touched them has version 1, enabled (no row needed)."""
    return CalendarFeed.objects.filter(user=user).first() or CalendarFeed(user=user, version=1, enabled=True)


@transaction.atomic
def calendar_feed_update(*, user: Any, rotate: bool = False, enabled: bool | None = None) -> CalendarFeed:
    feed, _ = CalendarFeed.objects.select_for_update().get_or_create(user=user)
    if rotate:
        feed.version += 1
        feed.rotated_at = timezone.now()
    if enabled is not None:
        feed.enabled = enabled
    feed.save()
    return feed
