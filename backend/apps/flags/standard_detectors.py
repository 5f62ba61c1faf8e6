"""The detectors of the title lifecycle: renewal_due, expired, report_due, data_missing.

Each returns one SELECT (a `SqlFindings`) that the scan runs inside PostgreSQL over every firm of a
batch at once; no query per firm, and no finding travels through Python. The certification sets
come from apps.programmes.selectors (compiled to SQL), so "expiring" and "expired without successor"
mean here exactly what they mean in the certification list's filters.

Only firms in the park today are looked at: the flags of a firm that left are resolved by the scan.
Evidence holds stable inputs only (no "days left"), so an unchanged condition writes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

from apps.figures.models import ANNUAL_VALUE_FIELDS, AnnualFigures, FigureState
from apps.flags import conf
from apps.flags.detectors import ScanContext, SqlFindings, register_detector
from apps.flags.models import DeadlineCompletion, FigureRequirement
from apps.programmes.models import Certification, DeadlineKind, Programme, ValidityKind
from apps.programmes.selectors import (
    certifications_expired_without_successor,
    certifications_expiring_within,
    deadlines_in_year,
)
from apps.registry.models import Firm

NOTHING = SqlFindings(
    "SELECT NULL::bigint, NULL::text, NULL::text, NULL::text, NULL::date, NULL::text, NULL::jsonb, NULL::int"
    " WHERE FALSE"
)
CERT = Certification._meta.db_table
PROGRAMME = Programme._meta.db_table
FIRM = Firm._meta.db_table
FIGURES = AnnualFigures._meta.db_table
COMPLETION = DeadlineCompletion._meta.db_table
REQUIREMENT = FigureRequirement._meta.db_table


def _sql(queryset: QuerySet[Any]) -> tuple[str, list[Any]]:
    sql, params = queryset.query.sql_with_params()
    return sql, list(params)


def _certifications_in_scope(ctx: ScanContext) -> QuerySet[Certification]:
    """Certifications of active programmes held by the context's firms that are in the park today."""
    certs = Certification.objects.filter(programme__active=True).filter(
        Q(firm__left_park_on__isnull=True) | Q(firm__left_park_on__gt=ctx.today)
    )
    if ctx.firm_range is not None:
        return certs.filter(firm_id__gte=ctx.firm_range[0], firm_id__lte=ctx.firm_range[1])
    if ctx.firm_ids is not None:
        return certs.filter(firm_id__in=list(ctx.firm_ids))
    return certs


def _in_park_sql(alias: str) -> str:
    return f"({alias}.left_park_on IS NULL OR {alias}.left_park_on > %s::date)"


def _max_renewal_lead() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT max(l) FROM {PROGRAMME} p, unnest(p.renewal_lead_days) l WHERE p.active")  # noqa: S608
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] else 0


# The rung a count of smaller rungs stands for: the smallest is critical, the next a warning.
_SEVERITY_BY_RANK = "CASE {rank} WHEN 0 THEN 'critical' WHEN 1 THEN 'warning' ELSE 'info' END"

_CERT_EVIDENCE = """jsonb_build_object(
    'certification_id', c.id, 'number', c.number, 'level', c.level,
    'certificate_date', c.certificate_date, 'valid_until', c.valid_until,
    'programme_name', p.name_zh, 'programme_name_en', p.name_en"""


@register_detector("renewal_due")
def renewals_due(ctx: ScanContext) -> SqlFindings:
    """A certification ends within its programme's lead window (e.g. 180/90/30 days) and has no successor.

    The ladder point is the smallest rung reached: 120 days left → 180, 60 → 90, 10 → 30.
    """
    max_lead = _max_renewal_lead()
    if max_lead <= 0:
        return NOTHING
    certs = certifications_expiring_within(max_lead, _certifications_in_scope(ctx), today=ctx.today)
    base, params = _sql(
        certs.values("id", "firm_id", "programme_id", "number", "level", "certificate_date", "valid_until")
    )
    severity = _SEVERITY_BY_RANK.format(rank="r.below")
    sql = f"""
        SELECT c.firm_id, 'renewal_due', p.code, 'cert:' || c.id, c.valid_until, {severity},
               {_CERT_EVIDENCE}, 'lead_days', to_jsonb(p.renewal_lead_days)),
               r.point
        FROM ({base}) c
        JOIN {PROGRAMME} p ON p.id = c.programme_id
        CROSS JOIN LATERAL (
            SELECT min(l) AS point FROM unnest(p.renewal_lead_days) l WHERE l >= c.valid_until - %s::date
        ) rung
        CROSS JOIN LATERAL (
            SELECT rung.point, count(*) AS below FROM unnest(p.renewal_lead_days) l WHERE l < rung.point
        ) r
        WHERE rung.point IS NOT NULL
    """  # noqa: S608 - table names from models, values as params
    return SqlFindings(sql, [*params, ctx.today])


@register_detector("expired")
def expired_titles(ctx: ScanContext) -> SqlFindings:
    """A certification ran out (not revoked) with no successor. Ladder point 0 at the lapse; after
    SEEDBED_EXPIRED_ESCALATION_DAYS (30) it moves to that point, which tells the administrators."""
    escalation = int(conf.get("SEEDBED_EXPIRED_ESCALATION_DAYS"))
    lookback = int(conf.get("SEEDBED_EXPIRED_LOOKBACK_DAYS"))
    certs = certifications_expired_without_successor(_certifications_in_scope(ctx), today=ctx.today).filter(
        valid_until__gte=ctx.today - dt.timedelta(days=lookback)
    )
    base, params = _sql(
        certs.values("id", "firm_id", "programme_id", "number", "level", "certificate_date", "valid_until")
    )
    sql = f"""
        SELECT c.firm_id, 'expired', p.code, 'cert:' || c.id, c.valid_until,
               CASE WHEN %s::date - c.valid_until >= %s THEN 'critical' ELSE 'warning' END,
               {_CERT_EVIDENCE}),
               CASE WHEN %s::date - c.valid_until >= %s THEN %s ELSE 0 END
        FROM ({base}) c
        JOIN {PROGRAMME} p ON p.id = c.programme_id
    """  # noqa: S608
    return SqlFindings(sql, [ctx.today, escalation, ctx.today, escalation, escalation, *params])


# Deadline kinds a holder must meet; application windows only matter for yearly registrations (TSME).
_REPORT_KINDS = (DeadlineKind.ANNUAL_REPORT, DeadlineKind.DATA_UPDATE, DeadlineKind.REVIEW)


@register_detector("report_due")
def reports_due(ctx: ScanContext) -> SqlFindings:
    """A deadline of a programme the firm holds (today, or on 31 Dec of last year) is near or past, not marked done.

    Annual reports, data updates and re-reviews; for a calendar-year programme (TSME) also the
    application window of this year, unless the firm already registered again this year. Ladder
    points SEEDBED_REPORT_DUE_LEAD_DAYS before the due date; 0 once it is overdue (until the year ends).
    """
    leads = sorted({int(day) for day in conf.get("SEEDBED_REPORT_DUE_LEAD_DAYS") if int(day) > 0})
    if not leads:
        return NOTHING
    year = ctx.today.year
    horizon = ctx.today + dt.timedelta(days=max(leads))
    rows: list[tuple[Any, ...]] = []
    for item in deadlines_in_year(year, Programme.objects.filter(active=True)):
        entry, due_on = item["deadline"], item["due_on"]
        window = (
            entry.kind == DeadlineKind.APPLICATION_WINDOW
            and entry.programme.validity_kind == ValidityKind.CALENDAR_YEAR
        )
        if (entry.kind in _REPORT_KINDS or window) and due_on <= horizon:
            rows.append(
                (entry.pk, entry.programme_id, entry.name, entry.name_en, entry.kind, item["opens_on"], due_on, window)
            )
    if not rows:
        return NOTHING
    values = ", ".join(
        ["(%s::bigint, %s::bigint, %s::text, %s::text, %s::text, %s::date, %s::date, %s::boolean)"] * len(rows)
    )
    value_params = [value for row in rows for value in row]
    firms, firm_params = ctx.firm_filter_sql("c.firm_id")
    last_year_end, year_start = dt.date(year - 1, 12, 31), dt.date(year, 1, 1)
    severity = _SEVERITY_BY_RANK.format(rank="r.below")
    sql = f"""
        WITH d(deadline_id, programme_id, name, name_en, kind, opens_on, due_on, is_window) AS (VALUES {values})
        SELECT DISTINCT ON (c.firm_id, d.deadline_id)
               c.firm_id, 'report_due', p.code, 'deadline:' || d.deadline_id || ':' || %s::int, d.due_on,
               CASE WHEN d.due_on < %s::date THEN 'critical' ELSE {severity} END,
               jsonb_build_object('deadline_id', d.deadline_id, 'name', d.name, 'name_en', d.name_en,
                                  'deadline_kind', d.kind, 'year', %s::int, 'opens_on', d.opens_on,
                                  'due_on', d.due_on, 'programme_name', p.name_zh, 'programme_name_en', p.name_en),
               CASE WHEN d.due_on < %s::date THEN 0 ELSE r.point END
        FROM d
        JOIN {PROGRAMME} p ON p.id = d.programme_id
        JOIN {CERT} c ON c.programme_id = d.programme_id
        JOIN {FIRM} f ON f.id = c.firm_id
        CROSS JOIN LATERAL (SELECT min(l) AS point FROM unnest(%s::int[]) l WHERE l >= d.due_on - %s::date) rung
        CROSS JOIN LATERAL (
            SELECT rung.point, count(*) AS below FROM unnest(%s::int[]) l WHERE l < rung.point
        ) r
        WHERE {firms} AND {_in_park_sql("f")}
          -- reports: held today or at the end of last year; a window (re-registering): held last year
          AND ((NOT d.is_window AND c.period @> %s::date) OR c.period @> %s::date)
          AND (d.due_on < %s::date OR rung.point IS NOT NULL)
          AND NOT EXISTS (
              SELECT 1 FROM {COMPLETION} dc
              WHERE dc.firm_id = c.firm_id AND dc.deadline_id = d.deadline_id AND dc.year = %s
          )
          AND NOT (d.is_window AND EXISTS (
              SELECT 1 FROM {CERT} again
              WHERE again.firm_id = c.firm_id AND again.programme_id = d.programme_id AND again.valid_from >= %s::date
          ))
        ORDER BY c.firm_id, d.deadline_id
    """  # noqa: S608
    params = [
        *value_params,
        year,
        ctx.today,
        year,
        ctx.today,
        leads,
        ctx.today,
        leads,
        *firm_params,
        ctx.today,  # in the park today
        ctx.today,  # a report: held today …
        last_year_end,  # … or at the end of last year
        ctx.today,  # overdue
        year,
        year_start,
    ]
    return SqlFindings(sql, params)


# ARRAY[…] of the names of the non-null value columns of the figures row `v`.
_PRESENT_FIELDS = "array_remove(ARRAY[{}], NULL)".format(
    ", ".join(f"CASE WHEN v.{name} IS NOT NULL THEN '{name}' END" for name in ANNUAL_VALUE_FIELDS)
)


@register_detector("data_missing")
def data_missing(ctx: ScanContext) -> SqlFindings:
    """A held programme needs annual figures (FigureRequirement) missing or unverified for the last fiscal year."""
    fiscal_year = ctx.last_fiscal_year
    firms, firm_params = ctx.firm_filter_sql("c.firm_id")
    sql = f"""
        WITH held AS (
            SELECT DISTINCT c.firm_id, p.code, p.name_zh, p.name_en, req.fields
            FROM {CERT} c
            JOIN {PROGRAMME} p ON p.id = c.programme_id AND p.active
            JOIN {REQUIREMENT} req ON req.programme_id = p.id AND req.active AND cardinality(req.fields) > 0
            JOIN {FIRM} f ON f.id = c.firm_id
            WHERE {firms} AND {_in_park_sql("f")} AND c.period @> %s::date
        ), checked AS MATERIALIZED (
            SELECT h.firm_id, h.code, h.name_zh, h.name_en, v.id AS verified_id, pr.id AS proposed_id,
                   ARRAY(
                       SELECT field FROM unnest(h.fields) field
                       WHERE v.id IS NULL OR NOT (field = ANY(values_of.present))
                       ORDER BY field
                   ) AS missing
            FROM held h
            LEFT JOIN {FIGURES} v ON v.firm_id = h.firm_id AND v.fiscal_year = %s AND v.state = %s
            LEFT JOIN {FIGURES} pr ON pr.firm_id = h.firm_id AND pr.fiscal_year = %s AND pr.state = %s
            -- the names of the verified row's non-null values, once per row (OFFSET 0: not inlined)
            CROSS JOIN LATERAL (SELECT {_PRESENT_FIELDS} AS present OFFSET 0) values_of
        )
        SELECT c.firm_id, 'data_missing', c.code, 'fy:' || %s::int, NULL::date,
               CASE WHEN c.verified_id IS NULL THEN 'warning' ELSE 'info' END,
               jsonb_build_object('fiscal_year', %s::int, 'verified', c.verified_id IS NOT NULL,
                                  'proposed', c.proposed_id IS NOT NULL, 'missing', to_jsonb(c.missing),
                                  'programme_name', c.name_zh, 'programme_name_en', c.name_en),
               NULL::int
        FROM checked c
        WHERE c.verified_id IS NULL OR cardinality(c.missing) > 0
    """  # noqa: S608
    params = [
        *firm_params,
        ctx.today,
        ctx.today,
        fiscal_year,
        FigureState.VERIFIED.value,
        fiscal_year,
        FigureState.PROPOSED.value,
        fiscal_year,
        fiscal_year,
    ]
    return SqlFindings(sql, params)
