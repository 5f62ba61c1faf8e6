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
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from apps.core import clock
from apps.core.db import local_settings
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
        today = today or clock.today()
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
    # The certification shown beside a firm: one it holds on the closing day dated in Y, else one it
    # holds on the closing day, else one it held at the opening (max(id): plain aggregates hash well).
    cert_ids = (
        """,
        max(c.id) FILTER (WHERE c.period @> %(end)s::date
            AND c.certificate_date BETWEEN %(start)s::date AND %(year_end)s::date) AS dated_cert,
        max(c.id) FILTER (WHERE c.period @> %(end)s::date) AS close_cert,
        max(c.id) FILTER (WHERE c.period @> %(opening)s::date) AS open_cert,
        max(c.id) FILTER (WHERE c.revoked_on BETWEEN %(start)s::date AND %(end)s::date) AS revoked_cert"""
        if detail
        else ""
    )
    carried = ", COALESCE(h.dated_cert, h.close_cert, h.open_cert) AS shown_cert, h.revoked_cert" if detail else ""
    t = _tables()
    if scope.zone_ids is None:
        # The whole park: only the firms that entered after the opening day or left by the closing day
        # can be out of the park on either day (or have left in Y); every other firm was in the park on
        # both days. Joining that handful instead of every firm spares hashing the whole registry.
        firms = f"""LEFT JOIN (
            SELECT id, entered_park_on, left_park_on FROM {t["firm"]}
            WHERE entered_park_on > %(opening)s::date OR left_park_on <= %(end)s::date
        ) f ON f.id = h.firm_id"""  # noqa: S608 - table name from the model, values as params
        in_park = "(f.id IS NULL OR ({}))"
    else:
        firms = f"JOIN {t['firm']} f ON f.id = h.firm_id AND f.zone_id = ANY(%(zone_ids)s::bigint[])"
        in_park = "({})"
    on_opening = in_park.format(
        "COALESCE(f.entered_park_on <= %(opening)s::date, true) AND COALESCE(f.left_park_on > %(opening)s::date, true)"
    )
    on_end = in_park.format(
        "COALESCE(f.entered_park_on <= %(end)s::date, true) AND COALESCE(f.left_park_on > %(end)s::date, true)"
    )
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
            h.open_valid AND {on_opening} AS o,
            h.close_valid AND {on_end} AS c,
            h.dated,
            h.revoked,
            COALESCE(f.left_park_on BETWEEN %(start)s::date AND %(end)s::date, false) AS left_
            {carried}
        FROM held h
        {firms}
    )
    """  # noqa: S608 - table names from models, bucket SQL from constants, values as params


@contextmanager
def report_session() -> Iterator[None]:
    """Session settings for the report's queries, restored afterwards (they are transaction-local).

    - JIT off: the report's queries are estimated expensive (correlated subqueries over many firms)
      while running in tens of milliseconds, and JIT then spends seconds compiling them (measured:
      4.5 s of JIT for a 0.2 s query on the benchmark park).
    - work_mem `SEEDBED_REPORT_WORK_MEM` (default 64MB): the per-firm aggregation and the firm lists
      of a whole park fit in memory instead of spilling to disk in many batches.
    """
    work_mem = getattr(settings, "SEEDBED_REPORT_WORK_MEM", "64MB")
    if not re.fullmatch(r"[1-9][0-9]*(kB|MB|GB)", work_mem):
        work_mem = "64MB"
    with transaction.atomic(), connection.cursor() as cursor, local_settings(cursor, jit="off", work_mem=work_mem):
        yield


def _fetch(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def line_counts(lines: Sequence[LineDef], period: Period, scope: Scope) -> dict[int, dict[str, int]]:
    """{line id: {bucket: count}} for every line, in one query."""
    if not lines:
        return {}
    # The flags' few combinations first (one hash lookup a row), then the bucket predicates over those.
    columns = ",\n".join(f"COALESCE(sum(n) FILTER (WHERE {BUCKETS[b]}), 0)::int" for b in COUNT_BUCKETS)
    combos = (
        ", combos AS (SELECT line_id, o, c, dated, revoked, left_, count(*) AS n FROM flags"
        " GROUP BY line_id, o, c, dated, revoked, left_)"
    )
    select = f" SELECT line_id, {columns} FROM combos GROUP BY line_id"  # noqa: S608 - bucket SQL from constants
    sql = _flags_sql(scope, detail=False) + combos + select
    counts = {line.id: dict.fromkeys(COUNT_BUCKETS, 0) for line in lines}
    for row in _fetch(sql, _params(lines, period, scope.zone_ids or ())):
        counts[row[0]] = dict(zip(COUNT_BUCKETS, row[1:], strict=True))
    return counts


# A member row: the per-(line, firm) flags, then the firm and the certificate shown, shared tuples:
#   (line_id, firm_id, opening, closing, change, shown_cert, revoked_cert, firm, certificate)
# `firm` and `certificate` hold the values of the columns asked for (`MemberColumns`); by default
#   firm = (name, uscc, zone name, left_park_on, exit_kind)
#   certificate = (number, programme code, level, certificate_date, valid_until, ends_on), all None if none
# with dates as ISO text. Rows are tuples, not dicts, because a whole park has hundreds of thousands
# of them; `members_from_rows` turns them into the dicts the API and published reports carry.
# SQL expressions over f (firm), z (its zone) and c (certification), p (its programme):
MemberColumns = tuple[tuple[str, ...], tuple[str, ...]]
DEFAULT_COLUMNS: MemberColumns = (
    ("f.name", "f.uscc", "z.name", "f.left_park_on::text", "f.exit_kind"),
    (
        "c.number",
        "p.code",
        "c.level",
        "c.certificate_date::text",
        "c.valid_until::text",
        "(upper(c.period) - 1)::text",
    ),
)


# From this many member rows on, `line_member_rows` reads the scope's firms and the year's
# certifications whole instead of by lists of ids.
WHOLE_FETCH_ROWS = 20_000


def line_member_rows(
    lines: Sequence[LineDef],
    period: Period,
    scope: Scope,
    *,
    bucket: str | None = None,
    columns: MemberColumns = DEFAULT_COLUMNS,
) -> dict[int, list[tuple[Any, ...]]]:
    """{line id: member rows} for every firm of opening ∪ closing (or of one bucket), in firm-name order.

    The certificate shown is one the firm holds on the closing day (dated in Y if it has one), else
    one it held at the opening; `revoked_cert` is the certification of the line revoked during Y.
    Three queries: the per-(line, firm) flags (narrow), then the firms (in name order) and the
    certificates they name, by id; joined here, because joining the wide rows inside the
    aggregation, or sorting them there, costs more than both.
    """
    found: dict[int, list[tuple[Any, ...]]] = {line.id: [] for line in lines}
    if not lines:
        return found
    where = BUCKETS[bucket] if bucket else "(o OR c)"
    select = f"SELECT line_id, firm_id, o, c, {_CHANGE_CASE}, shown_cert, revoked_cert FROM flags WHERE {where}"  # noqa: S608
    flags = _fetch(_flags_sql(scope, detail=True) + select, _params(lines, period, scope.zone_ids or ()))
    if not flags:
        return found
    t = _tables()
    by_firm: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in flags:
        by_firm[row[1]].append(row)
    firm_columns, cert_columns = (", ".join(c) for c in columns)
    no_certificate = (None,) * len(columns[1])
    params = _params(lines, period, scope.zone_ids or ())
    if len(flags) < WHOLE_FETCH_ROWS:
        # A short list (one bucket, a small scope): its firms and certificates by id. The ids go over
        # as one comma-separated string: dumping a Python list of many ints costs seconds.
        firm_where = "f.id = ANY(string_to_array(%(ids)s, ',')::bigint[])"
        cert_where = "c.id = ANY(string_to_array(%(cert_ids)s, ',')::bigint[])"
        params["ids"] = ",".join(map(str, by_firm))
        params["cert_ids"] = ",".join({str(row[5]) for row in flags if row[5] is not None})
    else:
        # A long list (a whole park's lines): every firm of the scope, and every certification of the
        # lines that counts on some day of the year (the certificate shown counts on the opening or the
        # closing day), read straight through: cheaper than filtering by a list of 300,000 ids, and a
        # few more rows than needed.
        firm_where = "f.zone_id = ANY(%(zone_ids)s::bigint[])" if scope.zone_ids is not None else "true"
        cert_where = (
            "c.programme_id = ANY(%(programme_ids)s::bigint[])"
            " AND c.period && daterange(%(opening)s::date, %(end)s::date, '[]')"
        )
    firms = _fetch(
        f"""SELECT f.id, {firm_columns}
        FROM {t["firm"]} f JOIN {t["zone"]} z ON z.id = f.zone_id
        WHERE {firm_where}
        ORDER BY f.name, f.id""",  # noqa: S608 - table names from models, conditions from constants
        params,
    )
    certificates = {
        row[0]: row[1:]
        for row in _fetch(
            f"""SELECT c.id, {cert_columns}
            FROM {t["cert"]} c JOIN {Programme._meta.db_table} p ON p.id = c.programme_id
            WHERE {cert_where}""",  # noqa: S608 - table names from models, conditions from constants
            params,
        )
    }
    get_certificate = certificates.get
    members_of = by_firm.get
    for firm_row in firms:  # in name order, so each line's list comes out sorted
        members = members_of(firm_row[0])
        if members is None:
            continue
        firm = firm_row[1:]
        for row in members:
            found[row[0]].append((*row, firm, get_certificate(row[5], no_certificate)))
    return found


def counts_from_rows(lines: Sequence[LineDef], rows: dict[int, list[tuple[Any, ...]]]) -> dict[int, dict[str, int]]:
    """The same counts as `line_counts`, from the member rows (when the lists are fetched anyway)."""
    counts = {line.id: dict.fromkeys(COUNT_BUCKETS, 0) for line in lines}
    for line_id, members in rows.items():
        c = counts[line_id]
        for (opening, closing, change), n in Counter((row[2], row[3], row[4]) for row in members).items():
            c["opening"] += n if opening else 0
            c["closing"] += n if closing else 0
            if change:
                c[change] += n
    return counts


def revocations(cert_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """{certification id: number, revocation date and reason} for the revoked exits of a list."""
    ids = {pk for pk in cert_ids if pk is not None}
    if not ids:
        return {}
    rows = Certification.objects.filter(pk__in=ids).values_list("pk", "number", "revoked_on", "revocation_reason")
    return {pk: {"number": number, "revoked_on": _iso(day), "reason": reason} for pk, number, day, reason in rows}


def line_members(
    lines: Sequence[LineDef], period: Period, scope: Scope, *, bucket: str | None = None
) -> dict[int, list[dict[str, Any]]]:
    """{line id: [member]}: `line_member_rows` as dicts, the shape the API and published reports carry."""
    return members_from_rows(line_member_rows(lines, period, scope, bucket=bucket))


def members_from_rows(rows: dict[int, list[tuple[Any, ...]]]) -> dict[int, list[dict[str, Any]]]:
    revoked = revocations(row[6] for members in rows.values() for row in members if row[4] == "revoked")
    found: dict[int, list[dict[str, Any]]] = {}
    for line_id, members in rows.items():
        found[line_id] = listed = []
        for _, firm_id, o, c, change, _, revoked_cert, firm, cert in members:
            name, uscc, zone, left_on, exit_kind = firm
            number, programme, level, cert_date, valid_until, ends_on = cert
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
                    "certificate_date": cert_date,
                    "valid_until": valid_until,
                    "ends_on": ends_on,
                }
                if programme
                else None,
            }
            if change == "left_park":
                member["left_park_on"] = left_on
                member["exit_kind"] = exit_kind
            elif change == "revoked":
                member["revoked"] = revoked.get(revoked_cert)
            listed.append(member)
    return found


# ---------------------------------------------------------------- published member lists, packed
#
# A whole park's report lists some 350,000 line members; as dicts (`members_from_rows`) that is
# ~120 MB of JSON, stored once in the published report and once more in its history row. A published
# report stores them packed instead: each firm and each certificate once (a firm is in ~2 lines, a
# certificate often in two: a group line and its programme's), every member as a short row of
# indexes. `unpack_members` gives back exactly the dicts `members_from_rows` made (a test checks).

_CERT_KEYS = ("number", "programme", "level", "certificate_date", "valid_until", "ends_on")


def pack_members(report: dict[str, Any]) -> dict[str, Any]:
    """The report with its lines' `firms` replaced by `members` rows over shared `member_firms` and
    `member_certificates` tables (lines already packed, or without lists, are left as they are)."""
    if not any("firms" in line for line in report["lines"]):
        return report
    firms: dict[int, int] = {}
    firm_rows: list[list[Any]] = []
    certs: dict[tuple[Any, ...], int] = {}
    cert_rows: list[list[Any]] = []
    lines = []
    for line in report["lines"]:
        if "firms" not in line:
            lines.append(line)
            continue
        rows = []
        for m in line["firms"]:
            index = firms.get(m["id"])
            if index is None:
                index = firms[m["id"]] = len(firm_rows)
                firm_rows.append([m["id"], m["name"], m["uscc"], m["zone"]])
            certificate = m["certificate"]
            cert_index = None
            if certificate is not None:
                key = tuple(certificate[k] for k in _CERT_KEYS)
                cert_index = certs.get(key)
                if cert_index is None:
                    cert_index = certs[key] = len(cert_rows)
                    cert_rows.append(list(key))
            row: list[Any] = [index, m["opening"], m["closing"], m["change"], cert_index]
            if m["change"] == "left_park":
                row += [m["left_park_on"], m["exit_kind"]]
            elif m["change"] == "revoked":
                row.append(m["revoked"])
            rows.append(row)
        lines.append({**{k: v for k, v in line.items() if k != "firms"}, "members": rows})
    return {**report, "lines": lines, "member_firms": firm_rows, "member_certificates": cert_rows}


def unpack_line(report: dict[str, Any], line: dict[str, Any]) -> list[dict[str, Any]]:
    """One line's members as dicts (`members_from_rows`' shape), packed or not."""
    if "members" not in line:
        return list(line.get("firms", []))
    firms, certs = report["member_firms"], report["member_certificates"]
    listed = []
    for row in line["members"]:
        firm_id, name, uscc, zone = firms[row[0]]
        cert_index, change = row[4], row[3]
        member: dict[str, Any] = {
            "id": firm_id,
            "name": name,
            "uscc": uscc,
            "zone": zone,
            "opening": row[1],
            "closing": row[2],
            "change": change,
            "certificate": None if cert_index is None else dict(zip(_CERT_KEYS, certs[cert_index], strict=True)),
        }
        if change == "left_park":
            member["left_park_on"], member["exit_kind"] = row[5], row[6]
        elif change == "revoked":
            member["revoked"] = row[5]
        listed.append(member)
    return listed


def unpack_members(report: dict[str, Any]) -> dict[str, Any]:
    """A report as `report(with_members=True)` returned it, from a packed one (or the report itself)."""
    if "member_firms" not in report:
        return report
    lines = [
        {**{k: v for k, v in line.items() if k != "members"}, "firms": unpack_line(report, line)}
        if "members" in line
        else line
        for line in report["lines"]
    ]
    unpacked = {k: v for k, v in report.items() if k not in ("member_firms", "member_certificates")}
    unpacked["lines"] = lines
    return unpacked


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


# ---------------------------------------------------------------- firsts


def _lines_values(lines: Sequence[LineDef]) -> str:
    """The lines as a VALUES list of (line id, programme ids); ids are integers from the database."""
    rows = [
        f"({int(line.id)}, ARRAY[{', '.join(str(int(p)) for p in line.programme_ids)}]::bigint[])"
        for line in lines
        if line.programme_ids
    ]
    return "VALUES " + ", ".join(rows) if rows else "SELECT NULL::bigint, NULL::bigint[] WHERE false"


def _held_before(lines: Sequence[LineDef], period: Period, zone_ids: Sequence[int]) -> set[tuple[int, int]]:
    """(line id, zone id) pairs where some firm of the zone held the line, in the park, before 1 Jan Y.

    One query of one probe per pair, each stopping at its first match (LIMIT 1), so the common
    answer ("yes, long ago") costs a few rows whatever the size of the park.
    """
    if not lines or not zone_ids:
        return set()
    t = _tables()
    sql = f"""
    SELECT l.line_id, z.zone_id
    FROM ({_lines_values(lines)}) AS l(line_id, programme_ids)
    CROSS JOIN unnest(%(all_zones)s::bigint[]) AS z(zone_id)
    CROSS JOIN LATERAL (
        SELECT 1 FROM {t["cert"]} c
        JOIN {t["firm"]} f ON f.id = c.firm_id
        WHERE c.programme_id = ANY(l.programme_ids)
          AND f.zone_id = z.zone_id
          AND NOT isempty(c.period)
          AND GREATEST(lower(c.period), f.entered_park_on)
              <= LEAST(upper(c.period) - 1, f.left_park_on - 1, %(before)s::date)
        LIMIT 1
    ) AS found
    """  # noqa: S608 - table names from models, ids are integers, values as params
    params = {"all_zones": list(zone_ids), "before": period.start - dt.timedelta(days=1)}
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
    # The events first (few, by stage and date), then their firms by id: no scan of the firm table.
    events = list(
        ListingEvent.objects.filter(stage__in=FIRST_STAGES, date__lte=period.end)
        .exclude(stage=ListingStage.COMMITTEE, outcome__in=[CommitteeOutcome.PENDING, CommitteeOutcome.FAILED])
        .values_list("stage", "firm_id", "date", "board")
    )
    in_scope = {
        firm[0]: firm
        for firm in Firm.objects.filter(pk__in={e[1] for e in events}, zone_id__in=zone_ids).values_list(
            "id", "name", "zone_id", "entered_park_on", "left_park_on"
        )
    }
    by_key: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for stage, firm_id, day, board in events:
        found = in_scope.get(firm_id)
        if found is None:
            continue
        _, name, zone_id, entered, left = found
        if (entered is None or entered <= day) and (left is None or left > day):  # in the park that day
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


def _percent(numerator: Decimal, denominator: Decimal) -> float | None:
    if not denominator:
        return None
    return float((numerator * 100 / denominator).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _candidates(groups: Sequence[TagGroup], period: Period, scope: Scope) -> list[dict[str, Any]]:
    """Every firm of the scope in the park on the closing day carrying one of the groups' tags, in one
    query, with whether it holds each groups' programme that day (`certifications_valid_on`) and its
    verified figures of Y and Y−1 (`verified_annual_figures`)."""

    def holds(programme_id: int) -> Exists:
        mine = Certification.objects.filter(firm_id=OuterRef("pk"), programme_id=programme_id)
        return Exists(certifications_valid_on(period.end, mine))

    def figure(name: str, year: int) -> Subquery:
        verified = verified_annual_figures(fiscal_year=year).filter(firm_id=OuterRef("pk"))
        return Subquery(verified.values(name)[:1])

    annotations: dict[str, Any] = {}
    for programme_id in sorted({g.programme_id for g in groups}):
        annotations[f"holds_{programme_id}"] = holds(programme_id)
    for name in sorted({g.figure for g in groups}):
        annotations[f"{name}_now"] = figure(name, period.year)
        annotations[f"{name}_before"] = figure(name, period.year - 1)
    firms = scope.firms().filter(in_park_on(period.end), tags__overlap=sorted({g.tag for g in groups}))
    if all(g.industry_section for g in groups):
        sections = Q()
        for section in sorted({g.industry_section for g in groups}):
            sections |= Q(industry__code__startswith=section)
        firms = firms.filter(sections)
    holds_one = Q()
    for programme_id in sorted({g.programme_id for g in groups}):
        holds_one |= Q(**{f"holds_{programme_id}": True})
    columns = ("id", "name", "uscc", "zone__name", "industry_id", "tags", *annotations)
    # Only holders get their figures looked up (the filter on the Exists annotations comes first).
    return list(firms.annotate(**annotations).filter(holds_one).order_by("name", "id").values(*columns))


def tag_group_reports(
    groups: Sequence[TagGroup], period: Period, scope: Scope, *, with_members: bool
) -> list[dict[str, Any]]:
    """Per group: count, Σ figure(Y), and Σ figure(Y) / Σ figure(Y−1) − 1 over the members having both
    years, with the number of members lacking them. Members: firms that on the closing day carry the
    tag, hold the programme, sit in the industry section and in the park. One query for all groups."""
    if not groups:
        return []
    candidates = _candidates(groups, period, scope)
    return [_tag_group_report(group, candidates, with_members=with_members) for group in groups]


def _tag_group_report(group: TagGroup, candidates: list[dict[str, Any]], *, with_members: bool) -> dict[str, Any]:
    section = group.industry_section
    members = [
        firm
        for firm in candidates
        if group.tag in firm["tags"]
        and firm[f"holds_{group.programme_id}"]
        and (not section or (firm["industry_id"] or "").startswith(section))
    ]
    total = Decimal(0)
    comparable_now, comparable_before = Decimal(0), Decimal(0)
    lacking_prior, lacking_current, comparable = 0, 0, 0
    listed = []
    for firm in members:
        now, before = firm[f"{group.figure}_now"], firm[f"{group.figure}_before"]
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
                    "id": firm["id"],
                    "name": firm["name"],
                    "uscc": firm["uscc"],
                    "zone": firm["zone__name"],
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
    ).order_by("certificate_date", "id")
    if scope.zone_ids is not None:  # the whole park needs no filter (a semi-join over every firm)
        certs = certs.filter(firm__zone_id__in=scope.zone_ids)
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
    zone_ids = None if scope.zone_ids is None else set(scope.zone_ids)

    def counted(firm: Firm) -> bool:
        """In the scope, and in the park at some time in Y (checked on the event's firm, which the
        selector loads with it: no semi-join over the whole registry)."""
        return (
            (zone_ids is None or firm.zone_id in zone_ids)
            and (firm.entered_park_on is None or firm.entered_park_on <= period.end)
            and (firm.left_park_on is None or firm.left_park_on >= period.start)
        )

    grouped = listing_events_in_year(period.year)
    buckets = []
    for bucket in Bucket.values:
        latest: dict[int, ListingEvent] = {}
        for event in grouped[bucket]:
            if event.date <= period.end and counted(event.firm):
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


@report_session()
def report(
    year: int,
    scope: Scope,
    *,
    with_members: bool = False,
    raw_columns: MemberColumns | None = None,
    today: dt.date | None = None,
    lines: Sequence[LineDef] | None = None,
) -> dict[str, Any]:
    """The whole report for a year and a scope.

    `with_members` adds every firm list: the lines' as dicts (published reports, the API), or with
    `raw_columns` as member rows of those columns (see `line_member_rows`; the live Excel export asks
    for ready-made cells and writes them straight out).
    With the lists, the counts come from the same rows; without, from one counting query.
    """
    computed_at = timezone.now()
    period = Period.of(year, today)
    lines = line_defs() if lines is None else lines
    raw_rows = raw_columns is not None
    rows = line_member_rows(lines, period, scope, columns=raw_columns or DEFAULT_COLUMNS) if with_members else {}
    counts = counts_from_rows(lines, rows) if with_members else line_counts(lines, period, scope)
    firsts = line_firsts(lines, period, scope)
    members = members_from_rows(rows) if with_members and not raw_rows else {}
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
        if raw_rows:
            entry["rows"] = rows[line.id]
            entry["revocations"] = revocations(row[6] for row in rows[line.id] if row[4] == "revoked")
        elif with_members:
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
        "tag_groups": tag_group_reports(list(groups), period, scope, with_members=with_members),
        "monthly_upgrades": {"count": len(upgrades), "firms": upgrades},
        "listing": listing,
        "firsts": firsts.entries + listing_firsts(period, scope),
    }


def _trend_sql(scope: Scope) -> str:
    """Opening, closing and new of every line for several years, in one statement (the same flags as
    `_flags_sql`, with the year as one more grouping key: a certification is read once per year it
    overlaps)."""
    t = _tables()
    if scope.zone_ids is None:
        # As in `_flags_sql`: only firms that entered after the first opening day or left by the last
        # closing day can be out of the park on a day of the span.
        firms = f"""LEFT JOIN (
            SELECT id, entered_park_on, left_park_on FROM {t["firm"]}
            WHERE entered_park_on > %(first_opening)s::date OR left_park_on <= %(last_end)s::date
        ) f ON f.id = h.firm_id"""  # noqa: S608 - table name from the model, values as params
        in_park = "(f.id IS NULL OR ({}))"
    else:
        firms = f"JOIN {t['firm']} f ON f.id = h.firm_id AND f.zone_id = ANY(%(zone_ids)s::bigint[])"
        in_park = "({})"
    on_opening = in_park.format(
        "COALESCE(f.entered_park_on <= yr.opening, true) AND COALESCE(f.left_park_on > yr.opening, true)"
    )
    on_end = in_park.format("COALESCE(f.entered_park_on <= yr.end_, true) AND COALESCE(f.left_park_on > yr.end_, true)")
    return f"""
    WITH lp(line_id, programme_id) AS (
        SELECT * FROM unnest(%(line_ids)s::bigint[], %(programme_ids)s::bigint[])
    ),
    yr(year, opening, start_, end_, year_end) AS (
        SELECT * FROM unnest(%(years)s::int[], %(openings)s::date[], %(starts)s::date[], %(ends)s::date[],
            %(year_ends)s::date[])
    ),
    held AS (
        SELECT yr.year, lp.line_id, c.firm_id,
            bool_or(c.period @> yr.opening) AS open_valid,
            bool_or(c.period @> yr.end_) AS close_valid,
            bool_or(c.period @> yr.end_ AND c.certificate_date BETWEEN yr.start_ AND yr.year_end) AS dated
        FROM {t["cert"]} c
        JOIN lp ON lp.programme_id = c.programme_id
        JOIN yr ON c.period && daterange(yr.opening, yr.end_, '[]')
        GROUP BY yr.year, lp.line_id, c.firm_id
    ),
    flags AS (
        SELECT h.year, h.line_id,
            h.open_valid AND {on_opening} AS o,
            h.close_valid AND {on_end} AS c,
            h.dated
        FROM held h
        JOIN yr ON yr.year = h.year
        {firms}
    ),
    combos AS (SELECT year, line_id, o, c, dated, count(*) AS n FROM flags GROUP BY year, line_id, o, c, dated)
    SELECT year, line_id, COALESCE(sum(n) FILTER (WHERE o), 0)::int, COALESCE(sum(n) FILTER (WHERE c), 0)::int,
        COALESCE(sum(n) FILTER (WHERE {BUCKETS["new"]}), 0)::int
    FROM combos GROUP BY year, line_id
    """  # noqa: S608 - table names from models, bucket SQL from constants, values as params


def trend_counts(
    lines: Sequence[LineDef], periods: Sequence[Period], scope: Scope
) -> dict[tuple[int, int], dict[str, int]]:
    """{(year, line id): {opening, closing, new}} for every line and year, in one query."""
    found = {(period.year, line.id): {"opening": 0, "closing": 0, "new": 0} for period in periods for line in lines}
    if not lines or not periods:
        return found
    params = _params(lines, periods[0], scope.zone_ids or ())
    params.update(
        years=[p.year for p in periods],
        openings=[p.opening for p in periods],
        starts=[p.start for p in periods],
        ends=[p.end for p in periods],
        year_ends=[dt.date(p.year, 12, 31) for p in periods],
        first_opening=min(p.opening for p in periods),
        last_end=max(p.end for p in periods),
    )
    for year, line_id, opening, closing, new in _fetch(_trend_sql(scope), params):
        found[(year, line_id)] = {"opening": opening, "closing": closing, "new": new}
    return found


@report_session()
def trend(first_year: int, last_year: int, scope: Scope, today: dt.date | None = None) -> list[dict[str, Any]]:
    """Per line: opening, closing and new for every year (one counting query for all the years)."""
    lines = line_defs()
    periods = [Period.of(year, today) for year in range(first_year, last_year + 1)]
    counts = trend_counts(lines, periods, scope)
    return [
        {
            "code": line.code,
            "name": line.name,
            "years": [
                {
                    "year": period.year,
                    "closing": counts[(period.year, line.id)]["closing"],
                    "new": counts[(period.year, line.id)]["new"],
                    "opening": counts[(period.year, line.id)]["opening"],
                    "as_of": period.end,
                }
                for period in periods
            ],
        }
        for line in lines
    ]


@report_session()
def funnel(scope: Scope, today: dt.date | None = None) -> list[dict[str, Any]]:
    """Firms on each rung of every ladder today: holding it, and standing on it as their top rung."""
    today = today or clock.today()
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
    return scope.firms().filter(in_park_on(today or clock.today())).count()
