"""The numbers of the annual highlights, set-based, by SPEC §5 to the letter.

For a year Y, a scope (the whole park or a set of zones) and a report line (a set of programmes):

- valid(f, d): f holds a certification of the line whose `period` contains d. `period` is the
  generated column `[valid_from, LEAST(valid_until, revoked_on - 1, superseded_on - 1)]`, so "no
  revocation dated on or before d" is part of it; it is what `apps.programmes.selectors.
  certifications_valid_on` filters on.
- in_park(f, d): f entered the park on or before d (an unknown entry date counts as "always
  was") and did not leave on or before d.
- opening = valid ∧ in_park on 31 Dec Y−1; closing = valid ∧ in_park on the closing day: 31 Dec Y
  (or today, while Y is still running — `Period.end`).
- new: closing ∖ opening, and a certification it holds on the closing day is dated in Y;
  moved_in: the rest of closing ∖ opening.
- renewed: in both, and a certification it holds on the closing day is dated in Y.
- exits, opening ∖ closing, each firm in exactly one: left_park (left the park during Y), else
  revoked (a certification of the line was revoked during Y), else lapsed.

The bucket predicates are SQL text in `BUCKETS`, used by the counts, the drill-down lists and the
published firm lists alike, so a count and its list cannot disagree. Each report is a handful of
queries whatever the number of firms: one for all line counts, one for the "held before Y?"
test behind the firsts, two per tag group, one for 月度升规, two for the listing pipeline.

A firm's zone is its current zone (the registry keeps no zone history) and a tag group reads the
firm's current tags.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from apps.figures.selectors import verified_annual_figures
from apps.highlights.models import GrowthBasis, ReportLine, TagGroup
from apps.listing import stages
from apps.listing.models import Bucket, CommitteeOutcome, ListingEvent, ListingStage
from apps.listing.selectors import listing_events_in_year
from apps.programmes.models import Certification, EntryRoute, Ladder, Programme
from apps.programmes.selectors import certifications_valid_on
from apps.registry.models import Firm, Zone

ABOVE_SIZE = "ABOVE_SIZE"
COUNT_BUCKETS = ("opening", "new", "moved_in", "renewed", "lapsed", "revoked", "left_park", "closing")
CHANGE_BUCKETS = ("new", "moved_in", "renewed", "lapsed", "revoked", "left_park")
EXIT_BUCKETS = ("lapsed", "revoked", "left_park")

# Over the per-(line, firm) flags: o = opening, c = closing, dated = holds on the closing day a
# certification dated in Y, revoked = a certification of the line was revoked during Y,
# left_ = the firm left the park during Y. All are non-null booleans.
BUCKETS: dict[str, str] = {
    "opening": "o",
    "closing": "c",
    "new": "(c AND NOT o AND dated)",
    "moved_in": "(c AND NOT o AND NOT dated)",
    "renewed": "(c AND o AND dated)",
    "left_park": "(o AND NOT c AND left_)",
    "revoked": "(o AND NOT c AND NOT left_ AND revoked)",
    "lapsed": "(o AND NOT c AND NOT left_ AND NOT revoked)",
}
_CHANGE_CASE = "CASE " + " ".join(f"WHEN {BUCKETS[b]} THEN '{b}'" for b in CHANGE_BUCKETS) + " ELSE '' END"

# Listing stages whose first reaching in a scope is a "从'0'到'1'" (a committee counts when passed).
FIRST_STAGES = (
    ListingStage.TUTORING_FILED,
    ListingStage.APPLICATION_ACCEPTED,
    ListingStage.COMMITTEE,
    ListingStage.REGISTRATION_EFFECTIVE,
    ListingStage.LISTED,
)


# ---------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Scope:
    """The whole park (`zone_ids` None) or the union of some zones. `zones`: (id, name) of every zone in it."""

    zone_ids: tuple[int, ...] | None
    label: str
    zones: tuple[tuple[int, str], ...]

    @property
    def key(self) -> str:
        return "park" if self.zone_ids is None else "zones:" + ",".join(str(z) for z in sorted(self.zone_ids))

    @property
    def all_zone_ids(self) -> list[int]:
        return [zone_id for zone_id, _ in self.zones]

    def firms(self) -> QuerySet[Firm]:
        firms = Firm.objects.all()
        return firms if self.zone_ids is None else firms.filter(zone_id__in=self.zone_ids)


PARK_LABEL = "全园区"


def park_scope() -> Scope:
    return Scope(None, PARK_LABEL, tuple(Zone.objects.order_by("id").values_list("id", "name")))


def zones_scope(zone_ids: Iterable[int]) -> Scope:
    zones = tuple(Zone.objects.filter(id__in=list(zone_ids)).order_by("id").values_list("id", "name"))
    return Scope(tuple(z for z, _ in zones), "、".join(name for _, name in zones), zones)


@dataclass(frozen=True)
class Period:
    year: int
    opening: dt.date  # 31 Dec Y−1
    start: dt.date  # 1 Jan Y
    end: dt.date  # the closing day: 31 Dec Y, or today while Y runs

    @classmethod
    def of(cls, year: int, today: dt.date | None = None) -> Period:
        today = today or timezone.localdate()
        end = min(dt.date(year, 12, 31), today)
        return cls(year, dt.date(year - 1, 12, 31), dt.date(year, 1, 1), end)


@dataclass(frozen=True)
class LineDef:
    id: int
    code: str
    name: str
    name_en: str
    programme_ids: tuple[int, ...]
    programme_codes: tuple[str, ...]
    growth_basis: str
    headline: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "name_en": self.name_en,
            "programmes": list(self.programme_codes),
            "growth_basis": self.growth_basis,
            "headline": self.headline,
        }


def line_defs(lines: Iterable[ReportLine] | None = None) -> list[LineDef]:
    """The active report lines with their programmes (two queries)."""
    source = ReportLine.objects.filter(active=True).prefetch_related("programmes") if lines is None else list(lines)
    found = []
    for line in source:
        programmes = sorted(line.programmes.all(), key=lambda p: p.code)
        found.append(
            LineDef(
                id=line.pk,
                code=line.code,
                name=line.name_zh,
                name_en=line.name_en,
                programme_ids=tuple(p.pk for p in programmes),
                programme_codes=tuple(p.code for p in programmes),
                growth_basis=line.growth_basis,
                headline=line.headline,
            )
        )
    return found


# ---------------------------------------------------------------- SQL


def _params(lines: Sequence[LineDef], period: Period, zone_ids: Iterable[int] = ()) -> dict[str, Any]:
    pairs = [(line.id, programme) for line in lines for programme in line.programme_ids]
    return {
        "line_ids": [p[0] for p in pairs],
        "programme_ids": [p[1] for p in pairs],
        "opening": period.opening,
        "start": period.start,
        "end": period.end,
        "year_end": dt.date(period.year, 12, 31),
        "before": period.start - dt.timedelta(days=1),
        "zone_ids": list(zone_ids),
    }


def _tables() -> dict[str, str]:
    return {"cert": Certification._meta.db_table, "firm": Firm._meta.db_table, "zone": Zone._meta.db_table}


def _flags_sql(scope: Scope, *, detail: bool) -> str:
    """Per (line, firm) of the scope that is in opening or closing: the flags `BUCKETS` reads."""
    cert_ids = (
        """,
        (array_agg(c.id ORDER BY c.certificate_date DESC, c.id DESC) FILTER (WHERE c.period @> %(end)s::date))[1]
            AS close_cert,
        (array_agg(c.id ORDER BY c.certificate_date DESC, c.id DESC) FILTER (WHERE c.period @> %(opening)s::date))[1]
            AS open_cert,
        (array_agg(c.id ORDER BY c.revoked_on DESC, c.id DESC)
            FILTER (WHERE c.revoked_on BETWEEN %(start)s::date AND %(end)s::date))[1] AS revoked_cert"""
        if detail
        else ""
    )
    carried = ", h.close_cert, h.open_cert, h.revoked_cert" if detail else ""
    zone_filter = "AND f.zone_id = ANY(%(zone_ids)s::bigint[])" if scope.zone_ids is not None else ""
    t = _tables()
    return f"""
    WITH lp(line_id, programme_id) AS (
        SELECT * FROM unnest(%(line_ids)s::bigint[], %(programme_ids)s::bigint[])
    ),
    held AS (
        SELECT lp.line_id, c.firm_id,
            bool_or(c.period @> %(opening)s::date) AS open_valid,
            bool_or(c.period @> %(end)s::date) AS close_valid,
            bool_or(c.period @> %(end)s::date AND c.certificate_date BETWEEN %(start)s::date AND %(year_end)s::date)
                AS dated,
            COALESCE(bool_or(c.revoked_on BETWEEN %(start)s::date AND %(end)s::date), false) AS revoked
            {cert_ids}
        FROM {t["cert"]} c
        JOIN lp ON lp.programme_id = c.programme_id
        WHERE c.period && daterange(%(opening)s::date, %(end)s::date, '[]')
           OR c.revoked_on BETWEEN %(start)s::date AND %(end)s::date
        GROUP BY lp.line_id, c.firm_id
    ),
    flags AS (
        SELECT h.line_id, h.firm_id,
            h.open_valid AND COALESCE(f.entered_park_on <= %(opening)s::date, true)
                AND COALESCE(f.left_park_on > %(opening)s::date, true) AS o,
            h.close_valid AND COALESCE(f.entered_park_on <= %(end)s::date, true)
                AND COALESCE(f.left_park_on > %(end)s::date, true) AS c,
            h.dated,
            h.revoked,
            COALESCE(f.left_park_on BETWEEN %(start)s::date AND %(end)s::date, false) AS left_
            {carried}
        FROM held h
        JOIN {t["firm"]} f ON f.id = h.firm_id
        WHERE true {zone_filter}
    )
    """  # noqa: S608 - table names from models, bucket SQL from constants, values as params


def _fetch(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def line_counts(lines: Sequence[LineDef], period: Period, scope: Scope) -> dict[int, dict[str, int]]:
    """{line id: {bucket: count}} for every line, in one query."""
    if not lines:
        return {}
    columns = ",\n".join(f"count(*) FILTER (WHERE {BUCKETS[b]})" for b in COUNT_BUCKETS)
    sql = _flags_sql(scope, detail=False) + f"SELECT line_id, {columns} FROM flags GROUP BY line_id"  # noqa: S608
    counts = {line.id: dict.fromkeys(COUNT_BUCKETS, 0) for line in lines}
    for row in _fetch(sql, _params(lines, period, scope.zone_ids or ())):
        counts[row[0]] = dict(zip(COUNT_BUCKETS, row[1:], strict=True))
    return counts


def line_members(
    lines: Sequence[LineDef], period: Period, scope: Scope, *, bucket: str | None = None
) -> dict[int, list[dict[str, Any]]]:
    """{line id: [member]}: every firm of opening ∪ closing (or of one bucket), with the certificate behind it.

    The certificate shown is the one held on the closing day (for a firm in closing), else the one
    held at the opening; a revoked exit also names the certification revoked during the year.
    """
    if not lines:
        return {}
    where = BUCKETS[bucket] if bucket else "(o OR c)"
    t = _tables()
    sql = (
        _flags_sql(scope, detail=True)  # noqa: S608 - table names from models, bucket SQL from constants
        + f"""
    SELECT fl.line_id, fl.firm_id, fl.o, fl.c, {_CHANGE_CASE} AS change,
        f.name, f.uscc, z.name, f.left_park_on, f.exit_kind,
        cc.number, p.code, cc.level, cc.certificate_date, cc.valid_until, upper(cc.period) - 1,
        rc.number, rc.revoked_on, rc.revocation_reason
    FROM flags fl
    JOIN {t["firm"]} f ON f.id = fl.firm_id
    JOIN {t["zone"]} z ON z.id = f.zone_id
    LEFT JOIN {t["cert"]} cc ON cc.id = COALESCE(fl.close_cert, fl.open_cert)
    LEFT JOIN {Programme._meta.db_table} p ON p.id = cc.programme_id
    LEFT JOIN {t["cert"]} rc ON rc.id = fl.revoked_cert AND {BUCKETS["revoked"]}
    WHERE {where}
    ORDER BY fl.line_id, f.name, f.id
    """  # noqa: S608 - table names from models, bucket SQL from constants, values as params
    )
    found: dict[int, list[dict[str, Any]]] = {line.id: [] for line in lines}
    for row in _fetch(sql, _params(lines, period, scope.zone_ids or ())):
        (line_id, firm_id, o, c, change, name, uscc, zone, left_on, exit_kind) = row[:10]
        number, programme, level, cert_date, valid_until, ends_on, r_number, revoked_on, revoked_reason = row[10:]
        member: dict[str, Any] = {
            "id": firm_id,
            "name": name,
            "uscc": uscc,
            "zone": zone,
            "opening": o,
            "closing": c,
            "change": change,
            "certificate": {
                "number": number,
                "programme": programme,
                "level": level,
                "certificate_date": _iso(cert_date),
                "valid_until": _iso(valid_until),
                "ends_on": _iso(ends_on),
            }
            if programme
            else None,
        }
        if change == "left_park":
            member["left_park_on"] = _iso(left_on)
            member["exit_kind"] = exit_kind
        if change == "revoked":
            member["revoked"] = {"number": r_number, "revoked_on": _iso(revoked_on), "reason": revoked_reason}
        found[line_id].append(member)
    return found


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


# ---------------------------------------------------------------- firsts


def _held_before(lines: Sequence[LineDef], period: Period, zone_ids: Sequence[int]) -> set[tuple[int, int]]:
    """(line id, zone id) pairs where some firm of the zone held the line, in the park, before 1 Jan Y.

    One query; each pair is an EXISTS that stops at the first match, so the common answer ("yes,
    long ago") is cheap whatever the size of the park.
    """
    if not lines or not zone_ids:
        return set()
    t = _tables()
    sql = f"""
    WITH lp(line_id, programme_id) AS (
        SELECT * FROM unnest(%(line_ids)s::bigint[], %(programme_ids)s::bigint[])
    )
    SELECT l.line_id, z.zone_id
    FROM (SELECT DISTINCT line_id FROM lp) l
    CROSS JOIN unnest(%(all_zones)s::bigint[]) AS z(zone_id)
    WHERE EXISTS (
        SELECT 1 FROM {t["cert"]} c
        JOIN {t["firm"]} f ON f.id = c.firm_id
        WHERE c.programme_id IN (SELECT programme_id FROM lp WHERE lp.line_id = l.line_id)
          AND f.zone_id = z.zone_id
          AND NOT isempty(c.period)
          AND GREATEST(lower(c.period), f.entered_park_on)
              <= LEAST(upper(c.period) - 1, f.left_park_on - 1, %(before)s::date)
    )
    """  # noqa: S608 - table names from models, bucket SQL from constants, values as params
    params = _params(lines, period)
    params["all_zones"] = list(zone_ids)
    return {(row[0], row[1]) for row in _fetch(sql, params)}


def _first_holders(
    lines: Sequence[LineDef], period: Period, pairs: set[tuple[int, int]]
) -> dict[tuple[int, int], list[dict[str, Any]]]:
    """For (line, zone) pairs nobody held before Y: every firm's first in-park day of holding, within Y."""
    if not pairs:
        return {}
    wanted_lines = [line for line in lines if any(p[0] == line.id for p in pairs)]
    t = _tables()
    sql = f"""
    WITH lp(line_id, programme_id) AS (
        SELECT * FROM unnest(%(line_ids)s::bigint[], %(programme_ids)s::bigint[])
    )
    SELECT lp.line_id, f.zone_id, f.id, f.name, c.level,
        min(GREATEST(lower(c.period), f.entered_park_on)) AS first_day
    FROM {t["cert"]} c
    JOIN lp ON lp.programme_id = c.programme_id
    JOIN {t["firm"]} f ON f.id = c.firm_id
    WHERE f.zone_id = ANY(%(all_zones)s::bigint[])
      AND NOT isempty(c.period)
      AND GREATEST(lower(c.period), f.entered_park_on) >= %(start)s::date
      AND GREATEST(lower(c.period), f.entered_park_on) <= LEAST(upper(c.period) - 1, f.left_park_on - 1, %(end)s::date)
    GROUP BY lp.line_id, f.zone_id, f.id, f.name, c.level
    """  # noqa: S608 - table names from models, bucket SQL from constants, values as params
    params = _params(wanted_lines, period)
    params["all_zones"] = sorted({p[1] for p in pairs})
    found: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for line_id, zone_id, firm_id, name, level, first_day in _fetch(sql, params):
        if (line_id, zone_id) in pairs:
            found[(line_id, zone_id)].append({"id": firm_id, "name": name, "level": level, "date": first_day})
    return found


def _earliest(holders: Iterable[dict[str, Any]]) -> tuple[dt.date | None, list[dict[str, Any]]]:
    """The earliest day and the firms (each once) that reached it that day."""
    holders = list(holders)
    if not holders:
        return None, []
    day = min(h["date"] for h in holders)
    firms: dict[int, dict[str, Any]] = {}
    for h in sorted(holders, key=lambda h: (h["name"], h["id"])):
        if h["date"] == day and h["id"] not in firms:
            firms[h["id"]] = {"id": h["id"], "name": h["name"], "level": h.get("level", "")}
    return day, list(firms.values())


@dataclass
class Firsts:
    line_first: dict[int, bool] = field(default_factory=dict)
    entries: list[dict[str, Any]] = field(default_factory=list)


def line_firsts(lines: Sequence[LineDef], period: Period, scope: Scope) -> Firsts:
    """`first` per line (nobody in the scope held it before Y; someone does at the closing day is
    checked by the caller) and the list of firsts in Y: the scope's, and each zone's when the scope
    has several zones (a zone first that is also the scope's first is listed once, as the scope's).
    """
    zone_ids = scope.all_zone_ids
    held = _held_before(lines, period, zone_ids)
    fresh = {(line.id, z) for line in lines for z in zone_ids if (line.id, z) not in held}
    holders = _first_holders(lines, period, fresh)
    result = Firsts()
    zone_names = dict(scope.zones)
    for line in lines:
        never_before = all((line.id, z) in fresh for z in zone_ids) and bool(zone_ids)
        result.line_first[line.id] = never_before
        scope_day: dt.date | None = None
        scope_firms: list[dict[str, Any]] = []
        if never_before:
            scope_day, scope_firms = _earliest(h for z in zone_ids for h in holders.get((line.id, z), []))
            if scope_day is not None:
                result.entries.append(_first_entry("line", line.code, line.name, scope, None, scope_day, scope_firms))
        if len(zone_ids) > 1:
            for z in zone_ids:
                if (line.id, z) not in fresh:
                    continue
                day, firms = _earliest(holders.get((line.id, z), []))
                if day is None or (day == scope_day and {f["id"] for f in firms} <= {f["id"] for f in scope_firms}):
                    continue
                result.entries.append(_first_entry("line", line.code, line.name, scope, (z, zone_names[z]), day, firms))
    return result


def _first_entry(
    kind: str,
    code: str,
    name: str,
    scope: Scope,
    zone: tuple[int, str] | None,
    day: dt.date,
    firms: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "kind": kind,
        "code": code,
        "name": name,
        "scope": "zone" if zone is not None else ("park" if scope.zone_ids is None else "scope"),
        "zone_id": zone[0] if zone else None,
        "where": zone[1] if zone else scope.label,
        "date": day.isoformat(),
        "firms": firms,
    }


def listing_firsts(period: Period, scope: Scope) -> list[dict[str, Any]]:
    """First firm ever in the scope (and in each of its zones) to reach a milestone stage, when that was in Y."""
    zone_ids = scope.all_zone_ids
    if not zone_ids:
        return []
    in_park = (Q(firm__entered_park_on__isnull=True) | Q(firm__entered_park_on__lte=F("date"))) & (
        Q(firm__left_park_on__isnull=True) | Q(firm__left_park_on__gt=F("date"))
    )
    events = (
        ListingEvent.objects.filter(in_park, stage__in=FIRST_STAGES, date__lte=period.end, firm__zone_id__in=zone_ids)
        .exclude(stage=ListingStage.COMMITTEE, outcome__in=[CommitteeOutcome.PENDING, CommitteeOutcome.FAILED])
        .values_list("stage", "firm__zone_id", "firm_id", "firm__name", "date", "board")
    )
    by_key: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for stage, zone_id, firm_id, name, day, board in events:
        by_key[(stage, zone_id)].append({"id": firm_id, "name": name, "date": day, "board": board})
    entries: list[dict[str, Any]] = []
    zone_names = dict(scope.zones)
    for stage in FIRST_STAGES:
        label = str(stages.stage_label(stage))
        scope_day, scope_firms = _earliest(h for z in zone_ids for h in by_key.get((stage, z), []))
        if scope_day is not None and scope_day >= period.start:
            entries.append(_first_entry("listing_stage", stage, label, scope, None, scope_day, scope_firms))
        if len(zone_ids) > 1:
            for z in zone_ids:
                zone_day, firms = _earliest(by_key.get((stage, z), []))
                if zone_day is None or zone_day < period.start:
                    continue
                if zone_day == scope_day and {f["id"] for f in firms} <= {f["id"] for f in scope_firms}:
                    continue
                entries.append(_first_entry("listing_stage", stage, label, scope, (z, zone_names[z]), zone_day, firms))
    return entries


# ---------------------------------------------------------------- tag groups, 月度升规, listing


def in_park_on(day: dt.date, prefix: str = "") -> Q:
    entered, left = f"{prefix}entered_park_on", f"{prefix}left_park_on"
    return (Q(**{f"{entered}__isnull": True}) | Q(**{f"{entered}__lte": day})) & (
        Q(**{f"{left}__isnull": True}) | Q(**{f"{left}__gt": day})
    )


def tag_group_members(group: TagGroup, period: Period, scope: Scope) -> QuerySet[Firm]:
    """Firms of the scope that on the closing day carry the tag, hold the programme, are in the section and the park."""
    holds = certifications_valid_on(
        period.end, Certification.objects.filter(firm_id=OuterRef("pk"), programme_id=group.programme_id)
    )
    firms = scope.firms().filter(in_park_on(period.end), tags__contains=[group.tag]).filter(Exists(holds))
    if group.industry_section:
        firms = firms.filter(industry__code__startswith=group.industry_section)
    return firms


def _percent(numerator: Decimal, denominator: Decimal) -> float | None:
    if not denominator:
        return None
    return float((numerator * 100 / denominator).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def tag_group_report(group: TagGroup, period: Period, scope: Scope, *, with_members: bool) -> dict[str, Any]:
    """Count, Σ figure(Y), and Σ figure(Y) / Σ figure(Y−1) − 1 over the members having both years (verified only)."""
    members = list(
        tag_group_members(group, period, scope).order_by("name", "id").values_list("id", "name", "uscc", "zone__name")
    )
    ids = [m[0] for m in members]
    values: dict[tuple[int, int], Decimal | None] = {}
    if ids:
        rows = verified_annual_figures(firms=ids, fiscal_years=[period.year - 1, period.year]).values_list(
            "firm_id", "fiscal_year", group.figure
        )
        values = {(firm_id, year): value for firm_id, year, value in rows}
    total = Decimal(0)
    comparable_now, comparable_before = Decimal(0), Decimal(0)
    lacking_prior, lacking_current, comparable = 0, 0, 0
    listed = []
    for firm_id, name, uscc, zone in members:
        now, before = values.get((firm_id, period.year)), values.get((firm_id, period.year - 1))
        if now is None:
            lacking_current += 1
        else:
            total += now
        if before is None:
            lacking_prior += 1
        if now is not None and before is not None:
            comparable += 1
            comparable_now += now
            comparable_before += before
        if with_members:
            listed.append(
                {
                    "id": firm_id,
                    "name": name,
                    "uscc": uscc,
                    "zone": zone,
                    "value": _money(now),
                    "prior_value": _money(before),
                }
            )
    growth = _percent(comparable_now - comparable_before, comparable_before) if comparable else None
    report: dict[str, Any] = {
        "code": group.code,
        "name": group.name_zh,
        "name_en": group.name_en,
        "tag": group.tag,
        "programme": group.programme.code,
        "industry_section": group.industry_section,
        "figure": group.figure,
        "figure_label": group.figure_label,
        "count": len(members),
        "total": _money(total),
        "comparable_firms": comparable,
        "comparable_total": _money(comparable_now),
        "comparable_prior_total": _money(comparable_before),
        "growth_pct": growth,
        "lacking_prior": lacking_prior,
        "lacking_current": lacking_current,
    }
    if with_members:
        report["firms"] = listed
    return report


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(Decimal("0.01")))


def monthly_upgrades(period: Period, scope: Scope) -> list[dict[str, Any]]:
    """月度升规: ABOVE_SIZE certifications dated in Y with entry_route monthly, of firms in the park that day.

    Each firm once (its first such entry of the year)."""
    in_park = (Q(firm__entered_park_on__isnull=True) | Q(firm__entered_park_on__lte=F("certificate_date"))) & (
        Q(firm__left_park_on__isnull=True) | Q(firm__left_park_on__gt=F("certificate_date"))
    )
    certs = Certification.objects.filter(
        in_park,
        programme__code=ABOVE_SIZE,
        entry_route=EntryRoute.MONTHLY,
        certificate_date__gte=period.start,
        certificate_date__lte=period.end,
        firm__in=scope.firms(),
    ).order_by("certificate_date", "id")
    firms: dict[int, dict[str, Any]] = {}
    for firm_id, name, uscc, zone, day, number, batch in certs.values_list(
        "firm_id", "firm__name", "firm__uscc", "firm__zone__name", "certificate_date", "number", "batch"
    ):
        firms.setdefault(
            firm_id,
            {"id": firm_id, "name": name, "uscc": uscc, "zone": zone, "date": day.isoformat(), "number": number},
        )
        firms[firm_id].setdefault("batch", batch)
    return list(firms.values())


def listing_report(period: Period, scope: Scope) -> dict[str, Any]:
    """Listing-pipeline events of Y by bucket (辅导备案 / 排队在审 / 过审待发 / 新增上市), distinct firms per bucket."""
    firms = scope.firms().filter(
        Q(entered_park_on__isnull=True) | Q(entered_park_on__lte=period.end),
        Q(left_park_on__isnull=True) | Q(left_park_on__gte=period.start),
    )
    grouped = listing_events_in_year(period.year, firms=firms)
    buckets = []
    for bucket in Bucket.values:
        latest: dict[int, ListingEvent] = {}
        for event in grouped[bucket]:
            if event.date <= period.end:
                latest[event.firm_id] = event  # events come in date order: the last one wins
        members = [
            {
                "id": event.firm_id,
                "name": event.firm.name,
                "uscc": event.firm.uscc,
                "zone": event.firm.zone.name,
                "stage": event.stage,
                "stage_name": str(stages.stage_label(event.stage)),
                "date": event.date.isoformat(),
                "board": event.board,
                "outcome": event.outcome,
                "note": event.note,
            }
            for event in sorted(latest.values(), key=lambda e: (e.date, e.firm.name, e.firm_id))
        ]
        buckets.append(
            {"bucket": bucket, "name": str(stages.bucket_label(bucket)), "count": len(members), "firms": members}
        )
    return {"buckets": buckets}


# ---------------------------------------------------------------- the report


def growth_pct(line: LineDef, counts: dict[str, int]) -> float | None:
    opening = counts["opening"]
    if not opening:
        return None
    change = counts["new"] if line.growth_basis == GrowthBasis.GROSS_NEW else counts["closing"] - opening
    return _percent(Decimal(change), Decimal(opening))


def identity_holds(counts: dict[str, int]) -> bool:
    c = counts
    return c["closing"] == c["opening"] + c["new"] + c["moved_in"] - c["lapsed"] - c["revoked"] - c["left_park"]


def report(
    year: int,
    scope: Scope,
    *,
    with_members: bool = False,
    today: dt.date | None = None,
    lines: Sequence[LineDef] | None = None,
) -> dict[str, Any]:
    """The whole report for a year and a scope. `with_members` adds every firm list (for publishing and exports)."""
    computed_at = timezone.now()
    period = Period.of(year, today)
    lines = line_defs() if lines is None else lines
    counts = line_counts(lines, period, scope)
    firsts = line_firsts(lines, period, scope)
    members = line_members(lines, period, scope) if with_members else {}
    line_reports = []
    for line in lines:
        c = counts[line.id]
        entry: dict[str, Any] = {
            **line.as_dict(),
            **c,
            "growth_pct": growth_pct(line, c),
            "first": firsts.line_first.get(line.id, False) and c["closing"] > 0,
            "identity_ok": identity_holds(c),
        }
        if with_members:
            entry["firms"] = members[line.id]
        line_reports.append(entry)
    groups = TagGroup.objects.filter(active=True).select_related("programme")
    upgrades = monthly_upgrades(period, scope)
    listing = listing_report(period, scope)
    if not with_members:
        for bucket in listing["buckets"]:
            bucket["firms"] = [
                {k: v for k, v in firm.items() if k in ("id", "name", "stage", "stage_name", "date", "board")}
                for firm in bucket["firms"]
            ]
    return {
        "year": year,
        "scope": {"zone_ids": list(scope.zone_ids) if scope.zone_ids is not None else None, "label": scope.label},
        "opening_date": period.opening.isoformat(),
        "as_of": period.end.isoformat(),
        "computed_at": computed_at.isoformat(),
        "complete_year": period.end == dt.date(year, 12, 31),
        "identity_ok": all(line["identity_ok"] for line in line_reports),
        "lines": line_reports,
        "tag_groups": [tag_group_report(g, period, scope, with_members=with_members) for g in groups],
        "monthly_upgrades": {"count": len(upgrades), "firms": upgrades},
        "listing": listing,
        "firsts": firsts.entries + listing_firsts(period, scope),
    }


def trend(first_year: int, last_year: int, scope: Scope, today: dt.date | None = None) -> list[dict[str, Any]]:
    """Per line: closing and new for every year (one counting query per year)."""
    lines = line_defs()
    series: dict[int, list[dict[str, Any]]] = {line.id: [] for line in lines}
    for year in range(first_year, last_year + 1):
        period = Period.of(year, today)
        counts = line_counts(lines, period, scope)
        for line in lines:
            c = counts[line.id]
            series[line.id].append(
                {"year": year, "closing": c["closing"], "new": c["new"], "opening": c["opening"], "as_of": period.end}
            )
    return [{"code": line.code, "name": line.name, "years": series[line.id]} for line in lines]


def funnel(scope: Scope, today: dt.date | None = None) -> list[dict[str, Any]]:
    """Firms on each rung of every ladder today: holding it, and standing on it as their top rung."""
    today = today or timezone.localdate()
    in_park = scope.firms().filter(in_park_on(today))
    held = certifications_valid_on(today, Certification.objects.filter(firm__in=in_park))
    pairs = set(held.values_list("firm_id", "programme_id"))
    programmes = list(Programme.objects.order_by("ladder", "rung", "code"))
    by_id = {p.pk: p for p in programmes}
    holding: dict[int, set[int]] = defaultdict(set)
    top: dict[tuple[str, int], tuple[int, str, int]] = {}
    for firm_id, programme_id in pairs:
        programme = by_id[programme_id]
        holding[programme_id].add(firm_id)
        key = (programme.ladder, firm_id)
        rank = (programme.rung, programme.code, programme_id)
        if key not in top or rank > top[key]:
            top[key] = rank
    on_top: dict[int, int] = defaultdict(int)
    for programme_id in (rank[2] for rank in top.values()):
        on_top[programme_id] += 1
    ladders = []
    for ladder in Ladder:
        rungs = [p for p in programmes if p.ladder == ladder.value and (p.active or holding.get(p.pk))]
        ladders.append(
            {
                "ladder": ladder.value,
                "name": str(ladder.label).partition(" / ")[0],
                "rungs": [
                    {
                        "code": p.code,
                        "name": p.name_zh,
                        "rung": p.rung,
                        "holding": len(holding.get(p.pk, ())),
                        "on_top": on_top.get(p.pk, 0),
                    }
                    for p in rungs
                ],
            }
        )
    return ladders


def in_park_count(scope: Scope, today: dt.date | None = None) -> int:
    return scope.firms().filter(in_park_on(today or timezone.localdate())).count()
