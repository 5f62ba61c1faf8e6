"""Writes of the highlights: publishing a report (frozen), and comparing a published report with today's data."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.dateparse import parse_datetime

from apps.core.exceptions import Conflict
from apps.core.i18n import t
from apps.highlights import compute
from apps.highlights.models import PublishedReport
from apps.highlights.selectors import scope_of_published


def report_publish(
    *, year: int, scope: compute.Scope, user: Any = None, title: str = "", note: str = ""
) -> PublishedReport:
    """Computes the report with every firm list and stores it, frozen, as the next version for its year and scope."""
    data = compute.report(year, scope, with_members=True)
    computed_at = parse_datetime(data["computed_at"])
    assert computed_at is not None
    try:
        with transaction.atomic():
            latest = PublishedReport.objects.filter(year=year, scope_key=scope.key).aggregate(v=Max("version"))["v"]
            return PublishedReport.objects.create(
                year=year,
                zone_ids=list(scope.zone_ids or ()),
                scope_key=scope.key,
                scope_label=scope.label,
                version=(latest or 0) + 1,
                title=title.strip() or f"{scope.label}{year}年企业培育亮点",
                note=note.strip(),
                as_of=dt.date.fromisoformat(data["as_of"]),
                computed_at=computed_at,
                published_by=user if getattr(user, "pk", None) else None,
                data=compute.pack_members(data),  # the firm lists packed: a whole park's are ~120 MB as dicts
            )
    except IntegrityError as exc:
        raise Conflict(
            t(
                "同一年度、同一范围的报告刚刚由他人发布，请刷新后重试。",
                "Someone published a report for the same year and scope a moment ago; refresh and try again.",
            )
        ) from exc


# ---------------------------------------------------------------- difference with today's data


def _firm(m: dict[str, Any]) -> dict[str, Any]:
    return {"id": m["id"], "name": m["name"], "uscc": m.get("uscc")}


def _compare(published: list[dict[str, Any]], live: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    before = {m["id"]: m for m in published}
    now = {m["id"]: m for m in live}
    return {
        "added": [_firm(now[i]) for i in now if i not in before],
        "removed": [_firm(before[i]) for i in before if i not in now],
    }


def _line_buckets(line: dict[str, Any] | None) -> dict[str, list[dict[str, Any]]]:
    members = line["firms"] if line else []
    found = {bucket: [m for m in members if m["change"] == bucket] for bucket in compute.CHANGE_BUCKETS}
    found["opening"] = [m for m in members if m["opening"]]
    found["closing"] = [m for m in members if m["closing"]]
    return found


def report_diff(*, published: PublishedReport) -> dict[str, Any]:
    """Recomputes the published report's year and scope from today's records and lists, number by
    number, the firms that entered or left each list since it was published."""
    live = compute.report(published.year, scope_of_published(published), with_members=True)
    frozen = compute.unpack_members(published.data)
    identical = True

    lines = []
    codes = [line["code"] for line in frozen["lines"]]
    codes += [line["code"] for line in live["lines"] if line["code"] not in codes]
    for code in codes:
        old = next((line for line in frozen["lines"] if line["code"] == code), None)
        new = next((line for line in live["lines"] if line["code"] == code), None)
        old_lists, new_lists = _line_buckets(old), _line_buckets(new)
        buckets = {}
        for bucket in compute.COUNT_BUCKETS:
            delta = _compare(old_lists[bucket], new_lists[bucket])
            before, after = len(old_lists[bucket]), len(new_lists[bucket])
            if before != after or delta["added"] or delta["removed"]:
                buckets[bucket] = {"published": before, "live": after, **delta}
        status = "added" if old is None else "removed" if new is None else "changed" if buckets else "same"
        identical = identical and status == "same"
        lines.append({"code": code, "name": (new or old or {}).get("name", code), "status": status, "buckets": buckets})

    groups = []
    for old_group in frozen["tag_groups"]:
        new_group = next((g for g in live["tag_groups"] if g["code"] == old_group["code"]), None)
        delta = _compare(old_group["firms"], new_group["firms"] if new_group else [])
        numbers = {
            key: {"published": old_group[key], "live": new_group[key] if new_group else None}
            for key in ("count", "total", "growth_pct", "lacking_prior")
            if new_group is None or old_group[key] != new_group[key]
        }
        changed = bool(numbers or delta["added"] or delta["removed"])
        identical = identical and not changed
        groups.append({"code": old_group["code"], "name": old_group["name"], "changed": changed, **numbers, **delta})

    upgrades = _compare(frozen["monthly_upgrades"]["firms"], live["monthly_upgrades"]["firms"])
    identical = identical and not (upgrades["added"] or upgrades["removed"])
    listing = {}
    for old_bucket in frozen["listing"]["buckets"]:
        new_bucket = next(b for b in live["listing"]["buckets"] if b["bucket"] == old_bucket["bucket"])
        delta = _compare(old_bucket["firms"], new_bucket["firms"])
        if delta["added"] or delta["removed"]:
            identical = False
            listing[old_bucket["bucket"]] = {"published": old_bucket["count"], "live": new_bucket["count"], **delta}

    return {
        "published_id": published.pk,
        "version": published.version,
        "published_computed_at": frozen["computed_at"],
        "live_computed_at": live["computed_at"],
        "identical": identical,
        "lines": lines,
        "tag_groups": groups,
        "monthly_upgrades": upgrades,
        "listing": listing,
    }
