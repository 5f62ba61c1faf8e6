"""The staff console's dashboard in one read: a handful of aggregate queries over what the caller may see.

Scope (the caller's one resolved `apps.core.scope.Scope`): administrators, and viewers and staff of
every zone see the whole park; staff and viewers limited to zones see their zones (firms, titles,
renewals, flags, funnel and trend alike); enterprise users have no dashboard (the view refuses
them). Every figure matches the list it links to:

- firms in / out of the park: the firm list's `in_park` filter (left_park_on empty or later than today);
- titles held and the trend: the highlights' line counts (SPEC §5: valid and in the park on the day),
  this year's closing being today's holders, so `/highlights/{year}/firms/?line=X&bucket=closing` lists them;
- renewals due: `/certifications/?expires_within_days=N` (valid now, printed end within N days, not
  revoked, no successor yet), of every firm the caller sees, as that list counts them;
- flags: by kind, in the states that still ask for something (open, acknowledged, snoozed).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q
from django.utils import translation

from apps.core import clock
from apps.core.scope import scope_of
from apps.flags.models import NON_FINAL_STATES, Flag, FlagKind, FlagState
from apps.highlights import compute
from apps.highlights.selectors import READERS, report_scope_for
from apps.programmes.models import Certification, Ladder, Programme
from apps.programmes.selectors import certifications_expiring_within
from apps.registry.models import Industry, Zone
from apps.registry.selectors import firms_visible_to

RENEWAL_WINDOWS = (30, 90, 180)
TREND_YEARS = 6


def can_see_dashboard(who: Any) -> bool:
    return scope_of(who).role in READERS


def _english() -> bool:
    return (translation.get_language() or "").lower().startswith("en")


def _label(choice_label: Any) -> str:
    zh, _, en = str(choice_label).partition(" / ")
    return (en or zh) if _english() else zh


def _in_park(today: dt.date, prefix: str = "") -> Q:
    # The firm list's `in_park` filter, so that a number and the list behind it agree.
    return Q(**{f"{prefix}left_park_on__isnull": True}) | Q(**{f"{prefix}left_park_on__gt": today})


def dashboard(who: Any, today: dt.date | None = None) -> dict[str, Any]:
    """`who`: the caller's `Scope` (or a user, turned into it)."""
    today = today or clock.today()
    access = scope_of(who)
    scope = report_scope_for(access, None)
    if scope is None:
        raise PermissionError("no dashboard for this role")
    firms = firms_visible_to(access)
    limited = access.limited_zones
    english = _english()

    totals = firms.aggregate(
        in_park=Count("id", filter=_in_park(today)),
        left_park=Count("id", filter=~_in_park(today)),
    )
    inside = firms.filter(_in_park(today))

    zone_counts = dict(inside.values_list("zone_id").annotate(n=Count("id")).values_list("zone_id", "n"))
    zones = Zone.objects.order_by("id")
    if limited is not None:
        zones = zones.filter(id__in=limited)
    by_zone = [{"id": z.pk, "code": z.code, "name": z.name, "count": zone_counts.get(z.pk, 0)} for z in zones]

    section_counts = dict(
        inside.filter(industry__isnull=False)
        .values_list("industry__section")
        .annotate(n=Count("id"))
        .values_list("industry__section", "n")
    )
    sections = Industry.objects.filter(level=1, code__in=list(section_counts)).order_by("code")
    by_section = sorted(
        ({"code": s.code, "name": s.name, "count": section_counts[s.code]} for s in sections),
        key=lambda row: (-int(row["count"]), str(row["code"])),
    )
    unclassified = totals["in_park"] - sum(int(row["count"]) for row in by_section)

    # Renewals due: one query, a count per window; the same certificates the linked list shows.
    held = Certification.objects.filter(firm__in=firms)
    due = certifications_expiring_within(max(RENEWAL_WINDOWS), held, today).aggregate(
        **{
            f"d{days}": Count("id", filter=Q(valid_until__lte=today + dt.timedelta(days=days)))
            for days in RENEWAL_WINDOWS
        }
    )
    renewals = [{"days": days, "count": due[f"d{days}"]} for days in RENEWAL_WINDOWS]

    # Flags still asking for something, by kind and state: one query.
    flag_rows = (
        Flag.objects.filter(firm__in=firms, state__in=NON_FINAL_STATES)
        .values_list("kind", "state")
        .annotate(n=Count("id"))
        .values_list("kind", "state", "n")
    )
    per_kind: dict[str, dict[str, int]] = {kind: dict.fromkeys(NON_FINAL_STATES, 0) for kind in FlagKind.values}
    for kind, state, n in flag_rows:
        per_kind.setdefault(kind, dict.fromkeys(NON_FINAL_STATES, 0))[state] = n
    flags = [
        {
            "kind": kind.value,
            "label": _label(kind.label),
            "open": per_kind[kind.value][FlagState.OPEN.value],
            "acknowledged": per_kind[kind.value][FlagState.ACKNOWLEDGED.value],
            "snoozed": per_kind[kind.value][FlagState.SNOOZED.value],
        }
        for kind in FlagKind
    ]

    # Titles held today and the trend: the highlights' line counts, one query per year.
    first = today.year - TREND_YEARS + 1
    with compute.report_session():  # JIT off for the counting queries, as for the report itself
        trend = compute.trend(first, today.year, scope, today)
    lines = {line.code: line for line in compute.line_defs()}
    titles = []
    trend_lines = []
    for entry in trend:
        line = lines[entry["code"]]
        name = (line.name_en or line.name) if english else line.name
        current = entry["years"][-1]
        titles.append({"code": line.code, "name": name, "firms": current["closing"], "headline": line.headline})
        trend_lines.append(
            {
                "code": line.code,
                "name": name,
                "headline": line.headline,
                "years": [{"year": y["year"], "closing": y["closing"], "new": y["new"]} for y in entry["years"]],
            }
        )

    funnel = compute.funnel(scope, today)
    if english:
        names = dict(Programme.objects.values_list("code", "name_en"))
        for ladder in funnel:
            ladder["name"] = _label(Ladder(ladder["ladder"]).label)
            for rung in ladder["rungs"]:
                rung["name"] = names.get(rung["code"]) or rung["name"]

    return {
        "as_of": today,
        "scope": {
            "all_zones": scope.zone_ids is None,
            "zone_ids": list(scope.zone_ids) if scope.zone_ids is not None else None,
            "label": scope.label if scope.zone_ids is not None else ("Whole park" if english else scope.label),
        },
        "firms": {
            "in_park": totals["in_park"],
            "left_park": totals["left_park"],
            "by_zone": by_zone,
            "by_section": by_section,
            "unclassified": unclassified,
        },
        "titles": titles,
        "renewals": renewals,
        "flags": flags,
        "funnel": funnel,
        "trend": {"from": first, "to": today.year, "lines": trend_lines},
    }
