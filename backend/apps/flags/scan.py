"""The scan: every registered detector over the firms, in batches, and findings turned into flags.

One batch = one transaction, set-based from end to end:
1. each detector's findings for the batch's firms go into a temporary staging table (a SqlFindings
   detector by `INSERT … SELECT` inside PostgreSQL, any other by COPY), deduplicated by key;
2. snoozed flags whose date has passed and whose condition still holds are reopened; a resolved
   flag whose condition is back is reopened (the same row: its earlier notifications count);
3. one `INSERT … ON CONFLICT` on the partial unique index opens new flags and refreshes the
   evidence of non-final ones, writing nothing when nothing changed; a subject with a *dismissed*
   flag stays dismissed (no new flag is opened for it);
4. non-final flags of the kinds whose detectors ran (and did not fail), for the batch's firms,
   whose condition no longer holds are resolved (resolution "auto");
5. in-app notifications and outbox messages for every flag written in 2–3, keyed by
   (flag, ladder point, channel, recipient), `ON CONFLICT DO NOTHING`;
6. the job run's progress (the last firm id done) is written in the same transaction.
So a killed run loses at most its current batch (rolled back), and the next run resumes after the
last committed one; a re-run or a concurrent run cannot duplicate a flag or a message.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from apps.core import clock
from apps.core.db import local_settings
from apps.flags import conf
from apps.flags.detectors import (
    SQL_FINDING_COLUMNS,
    Detector,
    Finding,
    ScanContext,
    SqlFindings,
    ThenSql,
    detectors,
)
from apps.flags.models import (
    ELIGIBILITY_KINDS,
    Flag,
    JobRun,
    Notification,
    NotificationPreference,
    OutboxMessage,
    WebhookChannel,
)
from apps.registry.models import Firm

logger = logging.getLogger(__name__)

FLAG = Flag._meta.db_table
NOTIFICATION = Notification._meta.db_table
OUTBOX = OutboxMessage._meta.db_table
PREFERENCE = NotificationPreference._meta.db_table
WEBHOOK = WebhookChannel._meta.db_table
FIRM = Firm._meta.db_table
NON_FINAL = "('open', 'acknowledged', 'snoozed')"
KEY = ("firm_id", "kind", "programme_code", "subject")

STAGING = "flags_scan_staging"
FOUND = "flags_scan_findings"
TOUCHED = "flags_scan_touched"
COPY_CHUNK = 5000
# The kinds the eligibility pass produces together: a scan staging all three lets it skip unchanged firms.
INCREMENTAL_KINDS = set(ELIGIBILITY_KINDS)

_TEMP_TABLES = f"""
CREATE TEMP TABLE IF NOT EXISTS {STAGING} (
    firm_id bigint NOT NULL, kind text NOT NULL, programme_code text NOT NULL, subject text NOT NULL,
    due_date date, severity text NOT NULL, evidence jsonb NOT NULL, ladder_point integer
) ON COMMIT DELETE ROWS;
-- settled: a non-final flag with exactly this content exists, so there is nothing to write.
CREATE TEMP TABLE IF NOT EXISTS {FOUND} (LIKE {STAGING}, settled boolean NOT NULL DEFAULT false)
    ON COMMIT DELETE ROWS;
-- Lookups by key whatever plan the statistics lead to (flags_flag's may be stale right after a big first night).
CREATE INDEX IF NOT EXISTS {FOUND}_key ON {FOUND} (firm_id, kind, programme_code, subject);
CREATE TEMP TABLE IF NOT EXISTS {TOUCHED} (flag_id bigint PRIMARY KEY) ON COMMIT DELETE ROWS;
TRUNCATE {STAGING}, {FOUND}, {TOUCHED};
"""

_SEVERITY_RANK = "CASE severity WHEN 'critical' THEN 3 WHEN 'warning' THEN 2 ELSE 1 END"


@dataclass
class ScanTotals:
    batches: int = 0
    firms: int = 0
    findings: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    opened: int = 0
    reopened: int = 0
    updated: int = 0
    resolved: int = 0
    notifications: int = 0
    outbox: int = 0
    detect_seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    merge_seconds: float = 0.0
    errors: list[dict[str, Any]] = field(default_factory=list)
    kinds_run: set[str] = field(default_factory=set)
    last_firm_id: int = 0
    detector_stats: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    dry_run: bool = False
    would_write: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "batches": self.batches,
            "firms": self.firms,
            "findings": dict(sorted(self.findings.items())),
            "opened": self.opened,
            "reopened": self.reopened,
            "updated": self.updated,
            "resolved": self.resolved,
            "notifications": self.notifications,
            "outbox": self.outbox,
            "detect_seconds": {k: round(v, 3) for k, v in sorted(self.detect_seconds.items())},
            "merge_seconds": round(self.merge_seconds, 3),
            "kinds": sorted(self.kinds_run),
            **({"detectors": dict(sorted(self.detector_stats.items()))} if self.detector_stats else {}),
            **({"dry_run": True, "would_write": self.would_write} if self.dry_run else {}),
        }


def selected_detectors(kinds: Iterable[str] | None = None) -> dict[str, list[Detector]]:
    registered = detectors()
    if kinds is None:
        return {kind: fns for kind, fns in registered.items() if fns}
    wanted = set(kinds)
    return {kind: fns for kind, fns in registered.items() if kind in wanted and fns}


def _batches(
    firm_ids: list[int] | None, start_after: int, size: int
) -> Iterator[tuple[list[int], tuple[int, int] | None]]:
    """Firm ids in ascending order, `size` at a time, after `start_after` (a resumed run's cursor)."""
    if firm_ids is None:
        cursor = start_after
        while True:
            ids = list(Firm.objects.filter(id__gt=cursor).order_by("id").values_list("id", flat=True)[:size])
            if not ids:
                return
            yield ids, (ids[0], ids[-1])
            cursor = ids[-1]
    else:
        ids = sorted({int(i) for i in firm_ids if int(i) > start_after})
        for start in range(0, len(ids), size):
            yield ids[start : start + size], None


def scan(
    *,
    today: dt.date,
    kinds: Iterable[str] | None = None,
    firm_ids: list[int] | None = None,
    run: JobRun | None = None,
    start_after: int = 0,
    batch_size: int | None = None,
    on_commit_outbox: Callable[[], None] | None = None,
    dry_run: bool = False,
) -> ScanTotals:
    """Runs the detectors of `kinds` (default: every registered kind) over `firm_ids` (default: every firm).

    Commits one transaction per batch; `run.progress["cursor"]` is the last firm id committed.
    A dry run does every batch's work and rolls it back: nothing is written (no flag, notification,
    outbox message or progress), and `totals.would_write` lists the flags it would open or change.
    """
    chosen = selected_detectors(kinds)
    size = int(batch_size or conf.get("SEEDBED_SCAN_BATCH_FIRMS"))
    pause = float(conf.get("SEEDBED_SCAN_BATCH_SLEEP"))
    totals = ScanTotals(last_firm_id=start_after, dry_run=dry_run)
    for ids, firm_range in _batches(firm_ids, start_after, max(1, size)):
        with transaction.atomic():
            pending = _scan_batch(today=today, chosen=chosen, ids=ids, firm_range=firm_range, run=run, totals=totals)
            totals.batches += 1
            totals.firms += len(ids)
            totals.last_firm_id = ids[-1]
            if dry_run:
                _note_would_write(totals)
                transaction.set_rollback(True)
                continue
            if run is not None:
                progress = {**run.progress, "cursor": ids[-1], "today": today.isoformat()}
                run.progress = progress
                JobRun.objects.filter(pk=run.pk).update(progress=progress, counts=totals.as_dict())
            if pending and on_commit_outbox is not None:
                transaction.on_commit(on_commit_outbox)
            if pause:
                time.sleep(pause)  # inside the transaction: a kill now loses this batch, never half of it
    return totals


DRY_RUN_LISTED = 500


def _note_would_write(totals: ScanTotals) -> None:
    """A dry run's batch, before its rollback: the flags it opened or changed (up to DRY_RUN_LISTED in all)."""
    room = DRY_RUN_LISTED - len(totals.would_write)
    if room <= 0:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT f.firm_id, f.kind, f.programme_code, f.subject, f.due_date, f.severity, f.state, f.ladder_point
              FROM {FLAG} f JOIN {TOUCHED} t ON t.flag_id = f.id
             ORDER BY f.firm_id, f.kind, f.subject
             LIMIT %s
            """,  # noqa: S608 - table names only
            [room],
        )
        names = ("firm_id", "kind", "programme_code", "subject", "due_date", "severity", "state", "ladder_point")
        for row in cursor.fetchall():
            item = dict(zip(names, row, strict=True))
            item["due_date"] = item["due_date"].isoformat() if item["due_date"] else None
            totals.would_write.append(item)


def _scan_batch(
    *,
    today: dt.date,
    chosen: dict[str, list[Detector]],
    ids: list[int],
    firm_range: tuple[int, int] | None,
    run: JobRun | None,
    totals: ScanTotals,
) -> int:
    ctx = ScanContext(today=today, firm_ids=ids, firm_range=firm_range, incremental=set(chosen) >= INCREMENTAL_KINDS)
    with connection.cursor() as cursor:
        cursor.execute(_TEMP_TABLES)
        ran: list[str] = []
        for kind, fns in chosen.items():
            ok = True
            for fn in fns:
                started = time.perf_counter()
                try:
                    with transaction.atomic():
                        _stage(cursor, kind, fn(ctx))
                except Exception as exc:
                    ok = False
                    logger.exception("detector %s for %s failed", getattr(fn, "__name__", fn), kind)
                    totals.errors.append(
                        {"kind": kind, "detector": getattr(fn, "__qualname__", str(fn)), "error": repr(exc)[:2000]}
                    )
                totals.detect_seconds[kind] += time.perf_counter() - started
            if ok:
                ran.append(kind)
        totals.kinds_run.update(ran)
        started = time.perf_counter()
        pending = _merge(cursor, today=today, ids=ids, firm_range=firm_range, kinds=ran, run=run, totals=totals)
        for hook in ctx.after_merge:
            hook(set(ran))
        for name, count in ctx.stats.items():
            totals.detector_stats[name] += count
        totals.merge_seconds += time.perf_counter() - started
    return pending


def _stage(cursor: Any, kind: str, result: Iterable[Finding]) -> None:
    columns = ", ".join(SQL_FINDING_COLUMNS)
    if isinstance(result, ThenSql):
        _stage(cursor, kind, result.first)
        rest = result.then()
        if rest is not None:
            _stage(cursor, kind, rest)
        return
    if isinstance(result, SqlFindings):
        cursor.execute(
            f"INSERT INTO {STAGING} ({columns}) SELECT * FROM ({result.sql}) AS s({columns}) WHERE s.kind = %s",  # noqa: S608
            [*result.params, kind],
        )
        return
    # A detector may itself query the database while it yields: gather a chunk, then COPY it, so
    # that its queries never run on the connection while a COPY is open.
    chunk: list[tuple[Any, ...]] = []

    def flush() -> None:
        if chunk:
            with cursor.cursor.copy(f"COPY {STAGING} ({columns}) FROM STDIN") as copy:
                for row in chunk:
                    copy.write_row(row)
            chunk.clear()

    for finding in result:
        if finding.kind != kind:
            continue
        chunk.append(
            (
                finding.firm_id,
                finding.kind,
                finding.programme_code or "",
                finding.subject or "",
                finding.due_date,
                finding.severity,
                json.dumps(finding.evidence, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True),
                finding.ladder_point,
            )
        )
        if len(chunk) >= COPY_CHUNK:
            flush()
    flush()


def _key_match(a: str, b: str) -> str:
    return " AND ".join(f"{a}.{column} = {b}.{column}" for column in KEY)


def _merge(
    cursor: Any,
    *,
    today: dt.date,
    ids: list[int],
    firm_range: tuple[int, int] | None,
    kinds: list[str],
    run: JobRun | None,
    totals: ScanTotals,
) -> int:
    # Hash joins for the merge, whatever the statistics say: on a first night flags_flag's statistics
    # say "empty" while the batch fills it, and a nested loop over a table believed empty turns
    # quadratic. Every join below is between sets of a batch's size, where hashing is right.
    with local_settings(cursor, enable_nestloop="off"):
        touched = _merge_statements(cursor, today=today, ids=ids, firm_range=firm_range, kinds=kinds, run=run,
                                    totals=totals)  # fmt: skip
    # The messages start from the few flags written: index lookups (nested loops) are right again.
    if not touched:
        return 0
    cursor.execute(f"ANALYZE {TOUCHED}")
    notifications, outbox_pending, outbox_total = queue_flag_messages(cursor, TOUCHED)
    totals.notifications += notifications
    totals.outbox += outbox_total
    return outbox_pending


def _merge_statements(
    cursor: Any,
    *,
    today: dt.date,
    ids: list[int],
    firm_range: tuple[int, int] | None,
    kinds: list[str],
    run: JobRun | None,
    totals: ScanTotals,
) -> int:
    run_id = run.pk if run is not None else None
    stamp = clock.now()  # the flags' business timestamps: the app clock, not PostgreSQL's now()
    batch_params: list[Any]
    if firm_range is not None:
        batch_sql, batch_params = "{alias}.firm_id BETWEEN %s AND %s", [firm_range[0], firm_range[1]]
    else:
        batch_sql, batch_params = "{alias}.firm_id = ANY(%s::bigint[])", [ids]

    # The batch's findings, one per key (the most severe when two detectors agree).
    cursor.execute(
        f"""
        INSERT INTO {FOUND} ({", ".join(SQL_FINDING_COLUMNS)})
        SELECT DISTINCT ON (firm_id, kind, programme_code, subject) {", ".join(SQL_FINDING_COLUMNS)}
        FROM {STAGING} s
        WHERE {batch_sql.format(alias="s")}
        ORDER BY firm_id, kind, programme_code, subject, {_SEVERITY_RANK} DESC, due_date
        """,  # noqa: S608
        batch_params,
    )
    cursor.execute(f"ANALYZE {FOUND}")
    cursor.execute(f"SELECT kind, count(*) FROM {FOUND} GROUP BY kind")  # noqa: S608 - our temp table
    for kind, count in cursor.fetchall():
        totals.findings[kind] += count

    # Snoozed past their date with the condition still there: open again.
    cursor.execute(
        f"""
        WITH woken AS (
            UPDATE {FLAG} fl SET state = 'open', snoozed_until = NULL, last_seen = %s, scan_run_id = %s,
                   state_changed_at = %s, state_changed_by_id = NULL
            FROM {FOUND} f
            WHERE fl.state = 'snoozed' AND fl.snoozed_until <= %s AND {_key_match("fl", "f")}
            RETURNING fl.id
        )
        INSERT INTO {TOUCHED} SELECT id FROM woken ON CONFLICT DO NOTHING
        """,  # noqa: S608
        [stamp, run_id, stamp, today],
    )
    reopened = cursor.rowcount

    # Resolved, and the condition is back: reopen the latest resolved flag of the subject (unless
    # the subject has a non-final or a dismissed flag).
    cursor.execute(
        f"""
        WITH latest AS (
            SELECT DISTINCT ON (fl.firm_id, fl.kind, fl.programme_code, fl.subject) fl.id
            FROM {FLAG} fl JOIN {FOUND} f ON {_key_match("fl", "f")}
            WHERE fl.state = 'resolved' AND {batch_sql.format(alias="fl")}
            ORDER BY fl.firm_id, fl.kind, fl.programme_code, fl.subject, fl.id DESC
        ), back AS (
            UPDATE {FLAG} fl SET state = 'open', resolution = '', resolved_at = NULL, last_seen = %s,
                   scan_run_id = %s, state_changed_at = %s, state_changed_by_id = NULL
            FROM latest
            WHERE fl.id = latest.id
              AND NOT EXISTS (
                  SELECT 1 FROM {FLAG} other
                  WHERE {_key_match("other", "fl")} AND other.state IN ('open', 'acknowledged', 'snoozed', 'dismissed')
              )
            RETURNING fl.id
        )
        INSERT INTO {TOUCHED} SELECT id FROM back ON CONFLICT DO NOTHING
        """,  # noqa: S608
        [*batch_params, stamp, run_id, stamp],
    )
    reopened += cursor.rowcount

    # Findings whose flag is already there, unchanged: nothing to write (on a second night, most).
    cursor.execute(
        f"""
        UPDATE {FOUND} f SET settled = true
        FROM {FLAG} fl
        WHERE {_key_match("fl", "f")} AND fl.state IN {NON_FINAL} AND {batch_sql.format(alias="fl")}
          AND (fl.due_date, fl.severity, fl.evidence, fl.ladder_point)
              IS NOT DISTINCT FROM (f.due_date, f.severity, f.evidence, f.ladder_point)
        """,  # noqa: S608
        batch_params,
    )

    # Open new flags; refresh non-final ones whose content changed.
    cursor.execute(
        f"""
        WITH upserted AS (
            INSERT INTO {FLAG} AS fl
                (firm_id, kind, programme_code, subject, due_date, severity, evidence, ladder_point, state,
                 snoozed_until, dismiss_reason, resolution, resolved_at, note, first_seen, last_seen,
                 scan_run_id, state_changed_at, state_changed_by_id)
            SELECT f.firm_id, f.kind, f.programme_code, f.subject, f.due_date, f.severity, f.evidence,
                   f.ladder_point, 'open', NULL, '', '', NULL, '', %s, %s, %s, NULL, NULL
            FROM {FOUND} f
            WHERE NOT f.settled
              AND NOT EXISTS (SELECT 1 FROM {FLAG} d WHERE {_key_match("d", "f")} AND d.state = 'dismissed'
                              AND {batch_sql.format(alias="d")})
            ON CONFLICT (firm_id, kind, programme_code, subject) WHERE state IN {NON_FINAL}
            DO UPDATE SET due_date = EXCLUDED.due_date, severity = EXCLUDED.severity, evidence = EXCLUDED.evidence,
                          ladder_point = EXCLUDED.ladder_point, last_seen = EXCLUDED.last_seen,
                          scan_run_id = EXCLUDED.scan_run_id
            WHERE (fl.due_date, fl.severity, fl.evidence, fl.ladder_point)
                  IS DISTINCT FROM (EXCLUDED.due_date, EXCLUDED.severity, EXCLUDED.evidence, EXCLUDED.ladder_point)
            RETURNING fl.id, (xmax = 0) AS inserted
        ), noted AS (
            INSERT INTO {TOUCHED} SELECT id FROM upserted ON CONFLICT DO NOTHING
        )
        SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM upserted
        """,  # noqa: S608
        [stamp, stamp, run_id, *batch_params],
    )
    opened, updated = cursor.fetchone()
    totals.opened += opened
    totals.updated += updated
    totals.reopened += reopened

    # The condition cleared: resolve (only kinds whose detectors all ran in this batch).
    if kinds:
        cursor.execute(
            f"""
            UPDATE {FLAG} fl SET state = 'resolved', resolution = 'auto', resolved_at = %s, snoozed_until = NULL,
                   scan_run_id = %s, state_changed_at = %s, state_changed_by_id = NULL
            WHERE fl.state IN {NON_FINAL} AND fl.kind = ANY(%s::text[]) AND {batch_sql.format(alias="fl")}
              AND NOT EXISTS (SELECT 1 FROM {FOUND} f WHERE {_key_match("f", "fl")})
            """,  # noqa: S608
            [stamp, run_id, stamp, kinds, *batch_params],
        )
        totals.resolved += cursor.rowcount

    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {TOUCHED})")  # noqa: S608 - our temp table
    return int(bool(cursor.fetchone()[0]))


def queue_flag_messages(cursor: Any, touched_table: str) -> tuple[int, int, int]:
    """In-app notifications and outbox messages for the flags listed in `touched_table` (flag_id).

    Recipients: the firm's assigned staff member (while the firm is in their scope: a zone-limited
    member assigned a firm of another zone is not told about it) and its enterprise users, at the flag's ladder
    point (an expired flag tells them once, at point 0); administrators for an expired flag still
    open at the escalation point; and every active webhook channel whose zone, programme and kinds
    match. Email follows each user's preference: held for the daily digest, sent at once, or off.
    Returns (notifications created, outbox messages pending now, outbox messages created).
    """
    escalation = int(conf.get("SEEDBED_EXPIRED_ESCALATION_DAYS"))
    cursor.execute(
        f"""
        WITH admins AS MATERIALIZED (
            SELECT u.id, u.email, u.role, u.is_superuser FROM accounts_user u
            WHERE u.is_active AND (u.role = 'admin' OR u.is_superuser)
        ), t AS MATERIALIZED (
            SELECT fl.id, fl.firm_id, fl.kind, fl.programme_code, fl.state, fl.ladder_point,
                   f.zone_id, f.assigned_staff_id
            FROM {touched_table} x
            JOIN {FLAG} fl ON fl.id = x.flag_id
            JOIN {FIRM} f ON f.id = fl.firm_id
            WHERE fl.state IN ('open', 'acknowledged')
        ), people AS (
            SELECT t.id AS flag_id, t.firm_id, t.kind, u.id AS user_id, u.email, u.role, u.is_superuser,
                   CASE WHEN t.kind = 'expired' THEN 0 ELSE COALESCE(t.ladder_point, 0) END AS point
            FROM t JOIN accounts_user u ON u.id = t.assigned_staff_id AND u.is_active
            -- only while the firm is in their scope (apps.core.scope): every zone, or the firm's zone
            WHERE u.role = 'admin' OR u.is_superuser OR u.all_zones
               OR EXISTS (SELECT 1 FROM accounts_user_zones uz WHERE uz.user_id = u.id AND uz.zone_id = t.zone_id)
            UNION
            SELECT t.id, t.firm_id, t.kind, u.id, u.email, u.role, u.is_superuser,
                   CASE WHEN t.kind = 'expired' THEN 0 ELSE COALESCE(t.ladder_point, 0) END
            FROM t
            JOIN accounts_user_firms uf ON uf.firm_id = t.firm_id
            JOIN accounts_user u ON u.id = uf.user_id AND u.is_active AND u.role = 'enterprise'
            UNION
            SELECT t.id, t.firm_id, t.kind, a.id, a.email, a.role, a.is_superuser, t.ladder_point
            FROM t CROSS JOIN admins a
            WHERE t.kind = 'expired' AND t.state = 'open' AND t.ladder_point >= %(escalation)s
        ), inapp AS (
            INSERT INTO {NOTIFICATION} (user_id, firm_id, flag_id, ladder_point, topic, data, dedupe_key, created_at)
            SELECT p.user_id, p.firm_id, p.flag_id, p.point, p.kind, '{{}}'::jsonb,
                   'flag:' || p.flag_id || ':' || p.point || ':inapp:user:' || p.user_id, %(stamp)s
            FROM people p
            ON CONFLICT (dedupe_key) DO NOTHING
            RETURNING 1
        ), mail AS (
            INSERT INTO {OUTBOX}
                (channel, user_id, webhook_id, firm_id, flag_id, ladder_point, topic, data, dedupe_key, state,
                 digest_id, attempts, next_attempt_at, last_error, created_at, sent_at)
            SELECT 'email', p.user_id, NULL, p.firm_id, p.flag_id, p.point, p.kind, '{{}}'::jsonb,
                   'flag:' || p.flag_id || ':' || p.point || ':email:user:' || p.user_id,
                   CASE COALESCE(np.email_delivery,
                                 CASE WHEN p.role = 'enterprise' THEN 'immediate' ELSE 'digest' END)
                        WHEN 'immediate' THEN 'pending' ELSE 'held' END,
                   NULL, 0, %(due)s, '', %(stamp)s, NULL
            FROM people p LEFT JOIN {PREFERENCE} np ON np.user_id = p.user_id
            WHERE p.email <> '' AND COALESCE(np.email_delivery, '') <> 'off'
            ON CONFLICT (dedupe_key) DO NOTHING
            RETURNING state
        ), hooks AS (
            INSERT INTO {OUTBOX}
                (channel, user_id, webhook_id, firm_id, flag_id, ladder_point, topic, data, dedupe_key, state,
                 digest_id, attempts, next_attempt_at, last_error, created_at, sent_at)
            SELECT w.kind, NULL, w.id, t.firm_id, t.id, p.point, t.kind, '{{}}'::jsonb,
                   'flag:' || t.id || ':' || p.point || ':' || w.kind || ':hook:' || w.id,
                   'pending', NULL, 0, %(due)s, '', %(stamp)s, NULL
            FROM t
            CROSS JOIN LATERAL (
                SELECT CASE WHEN t.kind = 'expired' THEN 0 ELSE COALESCE(t.ladder_point, 0) END AS point
            ) p
            JOIN {WEBHOOK} w ON w.active
                AND (w.zone_id IS NULL OR w.zone_id = t.zone_id)
                AND (w.programme_id IS NULL
                     OR w.programme_id = (SELECT pr.id FROM programmes_programme pr WHERE pr.code = t.programme_code))
                AND (cardinality(w.kinds) = 0 OR t.kind = ANY(w.kinds))
            ON CONFLICT (dedupe_key) DO NOTHING
            RETURNING state
        )
        SELECT (SELECT count(*) FROM inapp),
               (SELECT count(*) FROM mail WHERE state = 'pending') + (SELECT count(*) FROM hooks),
               (SELECT count(*) FROM mail) + (SELECT count(*) FROM hooks)
        """,  # noqa: S608
        # created_at by the app clock (a message's "as of" date); next_attempt_at is a real-time
        # retry timer, compared with timezone.now() by the sender.
        {"escalation": escalation, "stamp": clock.now(), "due": timezone.now()},
    )
    notifications, pending, created = cursor.fetchone()
    return int(notifications), int(pending), int(created)
