"""Reads of the highlights, narrowed to what the caller may see.

Who sees which report (backend/apps/highlights/README.md):
- administrators, and viewers and staff of every zone: the whole park and any zone;
- staff and viewers limited to zones: only their zones. `?zone=` outside them is a 404; without `?zone=`
  the report covers their zones (the union), never the whole park. Published reports: only those
  whose scope lies within their zones.
- enterprise users: nothing — the highlights are the park's, not a firm's.

The report scope is the same set of firms `apps.registry.selectors.firms_visible_to(scope)` gives
the caller (whole park, or their zones), narrowed further by `?zone=`. Every function takes the
caller's one resolved `apps.core.scope.Scope` (or a user, turned into it).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils import translation

from apps.core import clock
from apps.core.datacache import cached_on_data
from apps.core.db import user_columns_shown
from apps.core.scope import PARK_ROLES, scope_of
from apps.highlights import compute
from apps.highlights.models import PublishedReport, ReportLine, TagGroup
from apps.registry.models import Zone

READERS = PARK_ROLES
BUCKET_NAMES = {
    "opening": ("年初", "Opening"),
    "new": ("新增", "New"),
    "moved_in": ("迁入", "Moved in"),
    "renewed": ("重新认定", "Renewed"),
    "lapsed": ("到期未续", "Lapsed"),
    "revoked": ("撤销", "Revoked"),
    "left_park": ("迁出园区", "Left the park"),
    "closing": ("年末", "Closing"),
}


def can_read_highlights(who: Any) -> bool:
    return scope_of(who).role in READERS


def report_scope_for(who: Any, zone_id: int | None) -> compute.Scope | None:
    """The scope of a report the caller asked for, or None when it is outside what they may see."""
    scope = scope_of(who)
    if not can_read_highlights(scope):
        return None
    limited = scope.limited_zones
    if zone_id is not None:
        if (limited is not None and zone_id not in limited) or not Zone.objects.filter(pk=zone_id).exists():
            return None
        return compute.zones_scope([zone_id])
    if limited is not None:
        return compute.zones_scope(limited)
    return compute.park_scope()


def scope_of_published(report: PublishedReport) -> compute.Scope:
    return compute.zones_scope(report.zone_ids) if report.zone_ids else compute.park_scope()


def report_lines_visible_to(who: Any) -> QuerySet[ReportLine]:
    if not can_read_highlights(who):
        return ReportLine.objects.none()
    return ReportLine.objects.prefetch_related("programmes")


def tag_groups_visible_to(who: Any) -> QuerySet[TagGroup]:
    if not can_read_highlights(who):
        return TagGroup.objects.none()
    return TagGroup.objects.select_related("programme")


def published_reports_visible_to(who: Any) -> QuerySet[PublishedReport]:
    scope = scope_of(who)
    if not can_read_highlights(scope):
        return PublishedReport.objects.none()
    reports = PublishedReport.objects.select_related("published_by").defer(*user_columns_shown("published_by"))
    limited = scope.limited_zones
    if limited is None:
        return reports
    return reports.filter(zone_ids__len__gt=0, zone_ids__contained_by=limited)


def live_report(
    year: int, scope: compute.Scope, *, with_members: bool = False, raw_columns: Any = None
) -> dict[str, Any]:
    if with_members or raw_columns is not None:
        return compute.report(year, scope, with_members=with_members, raw_columns=raw_columns)
    # The numbers alone (what the highlights page shows): cached until the data changes.
    # The language too, should a label ever be translated per request (the report's are Chinese today).
    key = ("highlights", year, scope.key, translation.get_language())
    return cached_on_data(key, lambda: compute.report(year, scope))


# ---------------------------------------------------------------- the firms behind a number


class UnknownNumber(LookupError):
    """The query names no number of the report (unknown line, group or bucket)."""


def firms_in_report(report: dict[str, Any], query: dict[str, Any]) -> list[dict[str, Any]]:
    """The firm list behind one number of a report that carries its firm lists (published, or computed so)."""
    if query.get("line"):
        line = next((entry for entry in report["lines"] if entry["code"] == query["line"]), None)
        if line is None:
            raise UnknownNumber("line")
        bucket = query["bucket"]
        members = compute.unpack_line(report, line)  # a published report keeps its lists packed
        if bucket == "opening":
            return [m for m in members if m["opening"]]
        if bucket == "closing":
            return [m for m in members if m["closing"]]
        return [m for m in members if m["change"] == bucket]
    if query.get("tag_group"):
        group = next((g for g in report["tag_groups"] if g["code"] == query["tag_group"]), None)
        if group is None:
            raise UnknownNumber("tag_group")
        return list(group["firms"])
    if query.get("monthly_upgrades"):
        return list(report["monthly_upgrades"]["firms"])
    if query.get("listing_bucket"):
        bucket = next(b for b in report["listing"]["buckets"] if b["bucket"] == query["listing_bucket"])
        return list(bucket["firms"])
    raise UnknownNumber("query")


@compute.report_session()
def live_firms(year: int, scope: compute.Scope, query: dict[str, Any], today: dt.date | None = None) -> list[Any]:
    """The firm list behind one number of the live report, computing only that number."""
    period = compute.Period.of(year, today)
    if query.get("line"):
        line = ReportLine.objects.filter(code=query["line"], active=True).prefetch_related("programmes").first()
        if line is None:
            raise UnknownNumber("line")
        (definition,) = compute.line_defs([line])
        return compute.line_members([definition], period, scope, bucket=query["bucket"])[definition.id]
    if query.get("tag_group"):
        group = TagGroup.objects.filter(code=query["tag_group"], active=True).select_related("programme").first()
        if group is None:
            raise UnknownNumber("tag_group")
        firms: list[Any] = compute.tag_group_reports([group], period, scope, with_members=True)[0]["firms"]
        return firms
    if query.get("monthly_upgrades"):
        return compute.monthly_upgrades(period, scope)
    if query.get("listing_bucket"):
        buckets = compute.listing_report(period, scope)["buckets"]
        return next(b for b in buckets if b["bucket"] == query["listing_bucket"])["firms"]
    raise UnknownNumber("query")


def current_year() -> int:
    return clock.today().year
