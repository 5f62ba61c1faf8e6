"""Reads of the listing pipeline, always narrowed by `firms_visible_to(user)`.

The report helpers (`listing_statuses`, `listing_events_in_year`, `listing_buckets_on`) take an
optional `firms` queryset so that a caller passes the scope it serves (e.g. `firms_visible_to(user)`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from apps.core import clock
from apps.listing import stages
from apps.listing.models import Bucket, ListingEvent
from apps.listing.stages import ListingStatus
from apps.registry.models import Firm, Zone
from apps.registry.selectors import firms_visible_to


def listing_events_visible_to(user: Any) -> QuerySet[ListingEvent]:
    return ListingEvent.objects.filter(firm__in=firms_visible_to(user)).select_related(
        "firm", "firm__zone", "recorded_by"
    )


def firms_in_pipeline_visible_to(user: Any) -> QuerySet[Firm]:
    """Firms in the caller's scope with at least one listing event."""
    return (
        firms_visible_to(user)
        .filter(Exists(ListingEvent.objects.filter(firm_id=OuterRef("pk"))))
        .select_related("zone")
    )


def _zone_id(zone: Zone | int | None) -> int | None:
    return zone.pk if isinstance(zone, Zone) else zone


def listing_statuses(
    firms: QuerySet[Firm] | Iterable[Firm | int], *, on: dt.date | None = None
) -> dict[int, ListingStatus]:
    """Current stage and bucket of many firms, in one query. Firms without events on `on` are absent."""
    on = on or clock.today()
    events = ListingEvent.objects.filter(date__lte=on).only("id", "firm_id", "stage", "date", "outcome", "board")
    if isinstance(firms, QuerySet):
        events = events.filter(firm_id__in=firms.values("pk"))
    else:
        events = events.filter(firm_id__in=[f.pk if isinstance(f, Firm) else f for f in firms])
    by_firm: dict[int, list[ListingEvent]] = defaultdict(list)
    for event in events.order_by("firm_id", "date", "id"):
        by_firm[event.firm_id].append(event)
    result: dict[int, ListingStatus] = {}
    for firm_id, steps in by_firm.items():
        status = stages.status_of(firm_id, steps, on=on)
        if status is not None:
            result[firm_id] = status
    return result


def listing_status(firm: Firm | int, *, on: dt.date | None = None) -> ListingStatus | None:
    firm_id = firm.pk if isinstance(firm, Firm) else firm
    return listing_statuses([firm_id], on=on).get(firm_id)


def listing_buckets_on(
    day: dt.date, zone: Zone | int | None = None, *, firms: QuerySet[Firm] | None = None
) -> dict[str, list[ListingStatus]]:
    """Where firms stand on a day (e.g. 31 Dec of a report year), grouped by bucket; every bucket present."""
    scope = firms if firms is not None else Firm.objects.all()
    if (zone_id := _zone_id(zone)) is not None:
        scope = scope.filter(zone_id=zone_id)
    grouped: dict[str, list[ListingStatus]] = {bucket: [] for bucket in Bucket.values}
    for status in sorted(listing_statuses(scope, on=day).values(), key=lambda s: (s.since, s.firm_id)):
        if status.bucket is not None:
            grouped[status.bucket].append(status)
    return grouped


def listing_events_in_year(
    year: int, zone: Zone | int | None = None, *, firms: QuerySet[Firm] | None = None
) -> dict[str, list[ListingEvent]]:
    """The events dated in `year`, grouped by the bucket of each event; every bucket present.

    A firm can appear more than once in a bucket (filed and accepted for tutoring in the same
    year): count distinct `firm_id`s for "N 家". Pool, joint-stock, failed committee, withdrawn and
    terminated events belong to no bucket and are left out.
    """
    events = ListingEvent.objects.filter(date__year=year).select_related("firm", "firm__zone")
    if firms is not None:
        events = events.filter(firm__in=firms)
    if (zone_id := _zone_id(zone)) is not None:
        events = events.filter(firm__zone_id=zone_id)
    grouped: dict[str, list[ListingEvent]] = {bucket: [] for bucket in Bucket.values}
    for event in events.order_by("date", "id"):
        bucket = stages.event_bucket(event.stage, event.outcome)
        if bucket is not None:
            grouped[bucket].append(event)
    return grouped


def firm_listing_events(firm: Firm | int) -> list[ListingEvent]:
    firm_id = firm.pk if isinstance(firm, Firm) else firm
    return list(ListingEvent.objects.filter(firm_id=firm_id).order_by("date", "id"))
