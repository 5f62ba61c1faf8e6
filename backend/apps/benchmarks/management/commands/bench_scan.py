"""Nightly-scan benchmark (issue 4): 200,000 firms, 600,000 certifications, 600,000 annual figure rows.

    cd backend && DATABASE_URL=postgresql://postgres@127.0.0.1:5432/seedbed_flags \\
        ../.venv/bin/python manage.py bench_scan [--firms 200000] [--refill]

It never touches the database DATABASE_URL names: it works in `<name>_scan_bench` on the same server
(apps.benchmarks.benchdb: created, marked, reused, refused, dropped; `--smoke`, a toy run for CI, in
a database of its own). The fill is set-based SQL
(generate_series) with the history triggers off for the generated rows only, inside the fill's
transaction. Before the first measured run the flags, notifications, outbox, job runs and the
change history are emptied, so run 1 is a first night and run 2 a second night on unchanged data.

Each scan runs as the nightly job runs: `request_job("scan")` hands it to a real Celery worker
(`celery worker --pool solo`, started here for that run alone, on a queue of its own, with the broker
of the settings: Redis when REDIS_URL is set). The scan's wall time is the job run's own (started →
finished); the worker's peak memory is its VmHWM (peak resident set, /proc) read when the run ends,
next to the peak the job itself records (getrusage). The worker sends no email (dummy backend); the
delivery tasks it queues are dropped with its queue. Next to it, in the same run, one hand-written
SQL query computes the renewal_due and threshold_reached sets; they are compared with the flags the
scan wrote.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from psycopg import sql

from apps.benchmarks import benchdb

MARKER = "seedbed bench_scan"
SMOKE_FIRMS = 1_000
TODAY = dt.date(2026, 11, 27)
INDUSTRIES = ("C3670", "C2682", "F5123", "F5261", "H6210", "I6513", "K7010", "L7212", "M7320")
PROGRAMMES = ("HNTE", "SRDI", "ISME", "TSME", "ABOVE_SIZE", "LITTLE_GIANT", "GAZELLE", "LISTING_RESERVE")
GENERATED = (
    "flags_deadlinecompletion",
    "registry_firm",
    "programmes_certification",
    "figures_annualfigures",
    "figures_monthlyfigures",
    "accounts_user",
    "accounts_user_firms",
)
EMPTIED = (
    "flags_outboxmessage",
    "flags_notification",
    "flags_flag",
    "flags_jobrun",
    "flags_eligibilitymemo",
    "core_change",
)


class Command(BaseCommand):
    help = "Benchmarks the nightly scan in its own <name>_bench database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--firms", type=int, default=200_000)
        parser.add_argument("--certifications-per-firm", type=int, default=3, choices=[1, 2, 3])
        parser.add_argument("--years-per-firm", type=int, default=3, choices=[1, 2, 3])
        parser.add_argument("--monthly-share", type=int, default=10, help="Percent of firms with 2026 monthly figures.")
        parser.add_argument("--refill", action="store_true", help="Drop and refill the benchmark database.")
        parser.add_argument("--drop", action="store_true", help="Drop the benchmark database when done.")
        parser.add_argument(
            "--smoke",
            action="store_true",
            help=f"A toy run for CI ({SMOKE_FIRMS} firms, its own database, dropped after): every measurement "
            "path runs (two scans on a real worker, the hand-written query); timings are not judged.",
        )

    def _fill(self, name: str, options: dict[str, Any]) -> None:
        n = options["firms"]
        started = time.perf_counter()
        with benchdb.connect(name) as conn:
            conn.autocommit = False
            cur = conn.cursor()
            cur.execute("SET LOCAL enable_nestloop = off")  # a set-based fill: hash joins
            step = time.perf_counter()

            def took(what: str) -> None:
                nonlocal step
                self.stdout.write(f"    {what}: {time.perf_counter() - step:.1f} s")
                step = time.perf_counter()

            # The history triggers (whatever their names), on the generated tables only.
            history_triggers = cur.execute(
                "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                " JOIN pg_proc f ON f.oid = t.tgfoid"
                " WHERE NOT t.tgisinternal AND f.proname IN ('seedbed_audit', 'seedbed_history')"
                " AND c.relname = ANY(%s)",
                [list(GENERATED)],
            ).fetchall()
            for table, trigger in history_triggers:
                cur.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER {}").format(sql.Identifier(table),
                                                                                 sql.Identifier(trigger)))  # fmt: skip
            # The no-overlap exclusion constraint is checked row by row on insert (a GiST search each);
            # it is added back below, exactly as the catalogue holds it, and checked over every row at once.
            row = cur.execute(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'certification_no_overlap'"
            ).fetchone()
            overlap_definition = row[0] if row else None
            if overlap_definition:
                cur.execute("ALTER TABLE programmes_certification DROP CONSTRAINT certification_no_overlap")
            zones = [
                cur.execute(
                    "INSERT INTO registry_zone (code, name, description) VALUES (%s, %s, '') "
                    "ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name RETURNING id",
                    [code, label],
                ).fetchone()[0]  # type: ignore[index]
                for code, label in (("bench-a", "基准甲区"), ("bench-b", "基准乙区"), ("bench-c", "基准丙区"))
            ]
            now = "now()"
            cur.execute(
                f"""
                INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email, is_staff,
                                           is_active, date_joined, role, display_name, phone, all_zones)
                SELECT '!', false, 'bench_staff_' || i, '', '', 'staff' || i || '@bench.example', false, true, {now},
                       'staff', '服务专员' || i, '', true
                FROM generate_series(1, 50) i
                UNION ALL
                SELECT '!', false, 'bench_admin_' || i, '', '', 'admin' || i || '@bench.example', false, true, {now},
                       'admin', '管理员' || i, '', true
                FROM generate_series(1, 3) i
                """,  # noqa: S608
                [],
            )
            staff = [r[0] for r in cur.execute("SELECT id FROM accounts_user WHERE role = 'staff' ORDER BY id")]
            cur.execute(
                f"""
                INSERT INTO registry_firm (uscc, name, registration_date, legal_form, joint_stock_date, industry_id,
                    zone_id, entered_park_on, left_park_on, exit_kind, exit_note, tags, address,
                    legal_representative, assigned_staff_id, notes, created_at, updated_at)
                SELECT '915001160' || lpad(upper(to_hex(i)), 9, '0'), '基准企业' || i || '有限公司',
                       date '2005-01-01' + (i %% 6000), 'limited', NULL,
                       (%s::text[])[1 + i %% {len(INDUSTRIES)}], (%s::bigint[])[1 + i %% 3],
                       date '2010-01-01' + (i %% 4000),
                       CASE WHEN i %% 33 = 0 THEN date '2025-06-30' END,
                       CASE WHEN i %% 33 = 0 THEN 'moved_out' ELSE '' END, '', '{{}}', '', '',
                       CASE WHEN i %% 5 < 3 THEN (%s::bigint[])[1 + i %% 50] END, '', {now}, {now}
                FROM generate_series(1, %s) i
                """,  # noqa: S608
                [list(INDUSTRIES), zones, staff, n],
            )
            took(f"{n} firms")
            # Enterprise users for 5 % of the firms.
            cur.execute(
                f"""
                WITH f AS (SELECT id FROM registry_firm WHERE uscc LIKE '915001160%%' AND id %% 20 = 0),
                u AS (
                    INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email,
                                               is_staff, is_active, date_joined, role, display_name, phone, all_zones)
                    SELECT '!', false, 'bench_ent_' || f.id, '', '', 'ent' || f.id || '@bench.example', false, true,
                           {now}, 'enterprise', '', '', false
                    FROM f RETURNING id, username
                )
                INSERT INTO accounts_user_firms (user_id, firm_id)
                SELECT u.id, substr(u.username, 11)::bigint FROM u
                """,  # noqa: S608
                [],
            )
            took("enterprise users")
            per_firm = options["certifications_per_firm"]
            # Three certifications per firm, of programmes (id + 3k) mod 8 — except that for 60 % of the
            # firms whose first one ran out before 2027 the third is its renewal (starts the day after).
            cur.execute(
                f"""
                WITH p AS (
                    SELECT id, levels[1] AS level, validity_kind, validity_years,
                           array_position(%s::text[], code) - 1 AS idx
                    FROM programmes_programme WHERE code = ANY(%s::text[])
                ), x AS (
                    SELECT f.id AS firm_id, k, (f.id + k * 3) %% 8 AS idx,
                           date '2020-06-01' + ((f.id * 37 + k * 101) %% 2350)::int AS cd
                    FROM registry_firm f, generate_series(0, %s - 1) k
                    WHERE f.uscc LIKE '915001160%%'
                ), dated AS (
                    SELECT x.*, p.id AS programme_id, p.level, p.validity_kind,
                           CASE p.validity_kind
                               WHEN 'years'
                                   THEN (x.cd + make_interval(years => p.validity_years) - interval '1 day')::date
                               WHEN 'calendar_year' THEN make_date(extract(year FROM x.cd)::int, 12, 31)
                           END AS until
                    FROM x JOIN p ON p.idx = x.idx
                ), renewed AS (
                    SELECT d.firm_id, d.k, first.programme_id, first.level, first.until + 1 AS cd,
                           CASE first.validity_kind
                               WHEN 'years' THEN (first.until + 1 + make_interval(
                                   years => (SELECT validity_years FROM p WHERE p.id = first.programme_id))
                                   - interval '1 day')::date
                               ELSE make_date(extract(year FROM first.until + 1)::int, 12, 31)
                           END AS until
                    FROM dated d JOIN dated first ON first.firm_id = d.firm_id AND first.k = 0
                    WHERE d.k = 2 AND d.firm_id %% 10 < 6 AND first.until < date '2026-12-31'
                ), chosen AS (
                    SELECT d.firm_id, d.k,
                           CASE WHEN r.firm_id IS NULL THEN d.programme_id ELSE r.programme_id END AS programme_id,
                           CASE WHEN r.firm_id IS NULL THEN d.level ELSE r.level END AS level,
                           CASE WHEN r.firm_id IS NULL THEN d.cd ELSE r.cd END AS cd,
                           CASE WHEN r.firm_id IS NULL THEN d.until ELSE r.until END AS until
                    FROM dated d LEFT JOIN renewed r ON r.firm_id = d.firm_id AND r.k = d.k
                )
                INSERT INTO programmes_certification (firm_id, programme_id, level, number, batch, entry_route,
                    certificate_date, valid_from, valid_until, revoked_on, revocation_reason, renews_id,
                    superseded_on, notes, created_by_id, created_at, updated_at)
                SELECT firm_id, programme_id, level, 'BENCH-' || firm_id || '-' || k, '', '', cd, cd, until,
                       NULL, '', NULL, NULL, '', NULL, {now}, {now}
                FROM chosen
                """,  # noqa: S608
                [list(PROGRAMMES), list(PROGRAMMES), per_firm],
            )
            took("certifications")
            # Annual figures: three fiscal years a firm (2023–2025; 10 % of firms have not reported 2025),
            # with ratios spread as a real park's are (R&D 0.2–6 % of revenue, S&T staff 0–29 % …).
            years = options["years_per_firm"]
            cur.execute(
                f"""
                INSERT INTO figures_annualfigures (firm_id, fiscal_year, state, source, version, note, submitted_by_id,
                    reviewed_by_id, reviewed_at, review_note, superseded_at, created_at, updated_at,
                    operating_revenue, main_business_revenue, sales_revenue, high_tech_revenue, rd_expense,
                    rd_expense_domestic, total_costs, net_profit, net_profit_recurring, total_assets,
                    total_liabilities, output_value, equity_financing, import_export_value, staff_total, st_staff,
                    rd_staff, ip_class1, ip_class2, ip_class1_high_value, st_results_converted)
                SELECT f.id, y.fy, 'verified', 'import', 1, '', NULL, NULL, {now}, '', NULL, {now}, {now},
                       r.rev, r.rev * 0.9, CASE WHEN f.id %% 7 = 0 THEN NULL ELSE r.rev * 0.93 END,
                       r.rev * ((f.id * 17) %% 90) / 100, r.rev * r.rd, r.rev * r.rd * 0.9, r.rev * 0.85,
                       r.rev * 0.06, r.rev * 0.05, r.rev * 1.3, r.rev * (0.3 + ((f.id * 11) %% 60) / 100.0),
                       r.rev * 1.05, 0, 0, r.staff, r.staff * ((f.id * 7) %% 30) / 100,
                       r.staff * ((f.id * 5) %% 20) / 100, CASE WHEN f.id %% 7 = 0 THEN 1 + f.id %% 3 ELSE 0 END,
                       f.id %% 9, 0, f.id %% 3
                FROM registry_firm f
                CROSS JOIN LATERAL (
                    -- revenue 0.5M–500M, most firms small: 0.5M × 1000^(u²) (about a quarter above 20M)
                    SELECT (500000 * power(1000, power(((f.id * 7919) %% 10007) / 10007.0, 2)))::numeric(18, 2)
                               AS rev,
                           0.002 + ((f.id * 13) %% 60) / 1000.0 AS rd, 20 + (f.id * 31) %% 380 AS staff
                ) r
                CROSS JOIN LATERAL (
                    SELECT fy FROM generate_series(CASE WHEN f.id %% 10 = 0 THEN 2022 ELSE 2023 END,
                                                   CASE WHEN f.id %% 10 = 0 THEN 2024 ELSE 2025 END) fy
                    ORDER BY fy DESC LIMIT %s
                ) y
                WHERE f.uscc LIKE '915001160%%'
                """,  # noqa: S608
                [years],
            )
            took("annual figures")
            # Most firms filed this year's reports and data updates (85 %).
            cur.execute(
                f"""
                INSERT INTO flags_deadlinecompletion (firm_id, deadline_id, year, done_on, note, marked_by_id,
                                                      created_at)
                SELECT f.id, d.id, 2026, date '2026-05-20', '', NULL, {now}
                FROM registry_firm f
                JOIN programmes_programmedeadline d ON d.kind IN ('annual_report', 'data_update')
                WHERE f.uscc LIKE '915001160%%' AND f.id %% 100 < 85
                ON CONFLICT DO NOTHING
                """,  # noqa: S608
                [],
            )
            cur.execute(
                f"""
                INSERT INTO figures_monthlyfigures (firm_id, year, month, state, source, version, note,
                    submitted_by_id, reviewed_by_id, reviewed_at, review_note, superseded_at, created_at, updated_at,
                    main_business_revenue_ytd, output_value_ytd)
                SELECT f.id, 2026, m, 'verified', 'import', 1, '', NULL, NULL, {now}, '', NULL, {now}, {now},
                       ((1000000 + (f.id * 104729) %% 4000000) * m)::numeric(18, 2),
                       ((1100000 + (f.id * 104729) %% 4000000) * m)::numeric(18, 2)
                FROM registry_firm f, generate_series(1, 10) m
                WHERE f.uscc LIKE '915001160%%' AND f.id %% 100 < %s
                """,  # noqa: S608
                [options["monthly_share"]],
            )
            took("monthly figures")
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            took("foreign keys checked")
            if overlap_definition:
                cur.execute(
                    "ALTER TABLE programmes_certification ADD CONSTRAINT certification_no_overlap " + overlap_definition
                )
                took("no-overlap constraint added back and checked")
            for table, trigger in history_triggers:
                cur.execute(sql.SQL("ALTER TABLE {} ENABLE TRIGGER {}").format(sql.Identifier(table),
                                                                                sql.Identifier(trigger)))  # fmt: skip
            conn.commit()
            conn.autocommit = True
            conn.execute("VACUUM ANALYZE")
        self.stdout.write(f"fill: done in {time.perf_counter() - started:.1f} s (history triggers re-enabled)")

    # ---- measuring ------------------------------------------------------------------------------

    def handle(self, *args: Any, **options: Any) -> None:
        if options["smoke"]:
            options.update(firms=SMOKE_FIRMS, drop=True)
        database = benchdb.BenchDatabase("bench_scan", "scan_bench", self.stdout, smoke=options["smoke"])
        filled = (
            f"{MARKER}: firms={options['firms']} certs/firm={options['certifications_per_firm']} "
            f"years/firm={options['years_per_firm']} monthly={options['monthly_share']}%"
        )
        with database.session(filled, refill=options["refill"], drop=options["drop"]) as reuse:
            if not reuse:
                self._fill(database.name, options)
                database.mark_filled(filled)
            failures = self._measure(database.name)
        if options["smoke"] and failures:
            raise CommandError(f"smoke: {', '.join(failures)}")

    def _scan_in_worker(self, name: str) -> dict[str, Any]:
        """One nightly scan on a real Celery worker of its own: the job run's wall time, the worker's peak memory."""
        from apps.flags import jobs

        url = benchdb.database_url(name)
        queue = f"bench-scan-{uuid.uuid4().hex[:8]}"
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SEEDBED_FLAGS_QUEUE": queue,
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        }
        log = tempfile.NamedTemporaryFile(prefix="bench_scan_worker_", suffix=".log", delete=False)  # noqa: SIM115
        worker = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "-Q", queue,
             "-n", f"{queue}@%h", "--loglevel", "WARNING", "--without-gossip", "--without-mingle",
             "--without-heartbeat"],
            cwd=Path(settings.BASE_DIR), env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        settings.SEEDBED_FLAGS_QUEUE = queue  # where request_job sends the task
        try:
            requested = time.perf_counter()
            run = jobs.request_job(job="scan", params={"today": TODAY.isoformat()}, trigger="bench")
            while True:
                time.sleep(0.5)
                run.refresh_from_db()
                if run.state in ("succeeded", "failed", "skipped", "interrupted"):
                    break
                if worker.poll() is not None:
                    raise CommandError(f"the worker stopped ({worker.returncode}); its log: {log.name}")
                if time.perf_counter() - requested > 3600:
                    raise CommandError(f"the scan did not end within an hour; worker log: {log.name}")
            end_to_end = time.perf_counter() - requested
            peak_kb = _peak_rss_kb(worker.pid)
        finally:
            if worker.poll() is None:
                worker.send_signal(signal.SIGKILL)  # what is left in it is delivery, dropped with its queue
                worker.wait(timeout=30)
            settings.SEEDBED_FLAGS_QUEUE = ""
            _drop_queue(queue)
        assert run.started_at is not None and run.finished_at is not None
        return {
            "run": run.pk,
            "state": run.state,
            "wall": (run.finished_at - run.started_at).total_seconds(),
            "end_to_end": end_to_end,
            "peak_kb": peak_kb,
            "job_peak_mb": run.counts.get("peak_rss_mb"),
            "worker_log": log.name,
        }

    def _baseline(self, name: str) -> tuple[dict[str, float], set[tuple[int, str, str]], str]:
        """One hand-written query: the renewal_due and threshold_reached sets (firm, kind, subject)."""
        thresholds, note = _above_size_thresholds()
        values = ", ".join(f"(%(prefix{j})s::text, %(min{j})s::numeric)" for j in range(len(thresholds)))
        named: dict[str, Any] = {"today": TODAY, "year": TODAY.year}
        for j, (prefix, minimum) in enumerate(thresholds):
            named[f"prefix{j}"], named[f"min{j}"] = prefix, minimum
        query = f"""
            WITH lead AS (SELECT max(l) AS days FROM programmes_programme p, unnest(p.renewal_lead_days) l
                          WHERE p.active),
            renewal AS (
                SELECT c.firm_id, 'renewal_due' AS kind, 'cert:' || c.id AS subject
                FROM programmes_certification c
                JOIN programmes_programme p ON p.id = c.programme_id AND p.active
                JOIN registry_firm f ON f.id = c.firm_id
                WHERE (f.left_park_on IS NULL OR f.left_park_on > %(today)s)
                  AND c.revoked_on IS NULL AND c.superseded_on IS NULL AND c.valid_from <= %(today)s
                  AND c.valid_until >= %(today)s AND c.valid_until <= %(today)s + (SELECT days FROM lead)
                  AND EXISTS (SELECT 1 FROM unnest(p.renewal_lead_days) l WHERE l >= c.valid_until - %(today)s)
                  AND NOT EXISTS (SELECT 1 FROM programmes_certification n WHERE n.firm_id = c.firm_id
                                  AND n.programme_id = c.programme_id AND n.valid_from > c.valid_from)
            ),
            thresholds(prefix, minimum) AS (VALUES {values or "(NULL::text, NULL::numeric)"}),
            reached AS (
                SELECT DISTINCT ON (m.firm_id) m.firm_id, 'threshold_reached' AS kind,
                       'month:' || m.year || '-' || lpad(m.month::text, 2, '0') AS subject
                FROM figures_monthlyfigures m
                JOIN registry_firm f ON f.id = m.firm_id
                CROSS JOIN LATERAL (
                    SELECT t.minimum FROM thresholds t WHERE f.industry_id LIKE t.prefix || '%%'
                    ORDER BY length(t.prefix) DESC LIMIT 1
                ) th
                WHERE m.state = 'verified' AND m.year BETWEEN %(year)s - 1 AND %(year)s
                  AND (f.left_park_on IS NULL OR f.left_park_on > %(today)s)
                  AND (f.entered_park_on IS NULL OR f.entered_park_on <= %(today)s)
                  AND th.minimum IS NOT NULL AND m.main_business_revenue_ytd >= th.minimum
                  AND NOT EXISTS (
                      SELECT 1 FROM programmes_certification a JOIN programmes_programme ap ON ap.id = a.programme_id
                      WHERE a.firm_id = m.firm_id AND ap.code = 'ABOVE_SIZE' AND a.period @> %(today)s::date
                  )
                ORDER BY m.firm_id, m.year DESC, m.month
            )
            SELECT firm_id, kind, subject FROM renewal WHERE %(renewal)s
            UNION ALL SELECT firm_id, kind, subject FROM reached WHERE %(reached)s
        """  # noqa: S608
        timings: dict[str, float] = {}
        rows: list[Any] = []
        with benchdb.connect(name) as conn, conn.cursor() as cur:
            for label, renewal, reached in (("both", True, True), ("renewal_due", True, False),
                                            ("threshold_reached", False, True)):  # fmt: skip
                bound = {**named, "renewal": renewal, "reached": reached}
                cur.execute(query, bound)
                cur.fetchall()  # warm the cache, as the scan's data is warm when it gets there
                started = time.perf_counter()
                cur.execute(query, bound)
                fetched = cur.fetchall()
                timings[label] = time.perf_counter() - started
                if label == "both":
                    rows = fetched
        return timings, {(int(r[0]), str(r[1]), str(r[2])) for r in rows}, note

    def _measure(self, name: str) -> list[str]:
        """Measures; returns the checks that failed which are not timings (a smoke run fails on them)."""
        from apps.flags.models import Flag, JobRun

        with benchdb.connect(name) as conn:
            counts = {
                table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]  # noqa: S608
                for table in ("registry_firm", "programmes_certification", "figures_annualfigures",
                              "figures_monthlyfigures", "accounts_user")
            }  # fmt: skip
            conn.execute(f"TRUNCATE {', '.join(EMPTIED)} RESTART IDENTITY CASCADE")
            conn.execute("VACUUM ANALYZE")
        self.stdout.write("")
        self.stdout.write(f"data: {counts}")
        self.stdout.write(
            f"machine: {os.cpu_count()} CPUs; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
        )
        self.stdout.write(f"scan as of {TODAY}; batch {settings.SEEDBED_SCAN_BATCH_FIRMS} firms")

        runs = []
        for label in ("run 1 (first night)", "run 2 (unchanged data)"):
            result = self._scan_in_worker(name)
            run = JobRun.objects.get(pk=result["run"])
            runs.append((result, run))
            self.stdout.write("")
            self.stdout.write(
                f"{label}: {result['state']} in {result['wall']:.1f} s (request to end {result['end_to_end']:.1f} s);"
                f" worker peak memory {result['peak_kb'] / 1024:.0f} MB (VmHWM; the job's getrusage:"
                f" {result['job_peak_mb']} MB); load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
            )
            detect = run.counts.get("detect_seconds", {})
            for kind, seconds in sorted(detect.items(), key=lambda kv: -kv[1]):
                found = run.counts.get("findings", {}).get(kind, 0)
                self.stdout.write(f"    detect {kind:<18} {seconds:8.2f} s   {found:>8} findings")
            self.stdout.write(
                f"    merge (upserts, resolves, notifications, outbox) {run.counts.get('merge_seconds', 0):.2f} s"
            )
            self.stdout.write(
                "    flags opened {opened}, updated {updated}, reopened {reopened}, resolved {resolved}; "
                "notifications {notifications}, outbox {outbox}".format(**{k: run.counts.get(k, 0) for k in (
                    "opened", "updated", "reopened", "resolved", "notifications", "outbox")})
            )  # fmt: skip
            stats = run.counts.get("detectors", {})
            if stats:
                self.stdout.write(
                    f"    eligibility: {stats.get('eligibility_evaluated', 0)} firms evaluated,"
                    f" {stats.get('eligibility_restated', 0)} unchanged firms re-stated from their flags"
                )
            for error in run.errors[:3]:
                self.stdout.write(f"    error: {str(error)[:300]}")

        timings, expected, note = self._baseline(name)
        baseline = timings["both"]
        first = runs[0][1]
        detect = first.counts.get("detect_seconds", {})
        part = sum(detect.get(k, 0.0) for k in ("renewal_due", "threshold_reached"))
        scanned = set(
            Flag.objects.filter(kind__in=["renewal_due", "threshold_reached"], state="open").values_list(
                "firm_id", "kind", "subject"
            )
        )
        self.stdout.write("")
        self.stdout.write(f"hand-written SQL, renewal_due + threshold_reached: {baseline:.2f} s, {len(expected)} rows")
        if note:
            self.stdout.write(f"    {note}")
        self.stdout.write(f"the scan producing the same two sets (run 1, detection): {part:.2f} s")
        second = runs[1][1].counts.get("detect_seconds", {})
        self.stdout.write(
            "    (run 2, the same detection again: "
            f"{sum(second.get(k, 0.0) for k in ('renewal_due', 'threshold_reached')):.2f} s)"
        )
        for kind in ("renewal_due", "threshold_reached"):
            scan_time, query_time = detect.get(kind, 0.0), timings[kind]
            self.stdout.write(
                f"    {kind:<18} scan {scan_time:6.2f} s; its part of the query alone {query_time:6.2f} s"
            )
        self.stdout.write(f"same sets as the flags the scan wrote: {'yes' if scanned == expected else 'NO'}")
        if scanned != expected:
            self.stdout.write(
                f"    only in the scan: {len(scanned - expected)}; only in the query: {len(expected - scanned)}"
            )
        (r1, _), (r2, _) = runs
        checks = [
            ("renewal_due + threshold_reached <= 3x the query", part <= 3 * baseline, f"{part / baseline:.2f}x"),
            ("full scan < 5 min", r1["wall"] < 300, f"{r1['wall']:.1f} s"),
            ("second run <= 1/2 of the first", r2["wall"] <= r1["wall"] / 2, f"{r2['wall'] / r1['wall']:.2f}"),
            ("peak memory < 1 GB", max(r1["peak_kb"], r2["peak_kb"]) < 1024 * 1024,
             f"{max(r1['peak_kb'], r2['peak_kb']) / 1024:.0f} MB"),
        ]  # fmt: skip
        self.stdout.write("")
        self.stdout.write(f"load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        for label, ok, value in checks:
            self.stdout.write(f"{label:<50} {value:>10}  {'PASS' if ok else 'FAIL'}")
        failures = [] if scanned == expected else ["the scan's flags differ from the hand-written query's sets"]
        failures += [f"run {i} {r['state']}" for i, (r, _) in enumerate(runs, 1) if r["state"] != "succeeded"]
        return failures


def _above_size_thresholds() -> tuple[list[tuple[str, Any]], str]:
    """(prefix, monthly minimum or None) of the ABOVE_SIZE rule set in force, as apps.rules reads them."""
    try:
        from apps.rules.evaluation import compile_rule_set
        from apps.rules.selectors import rule_sets_in_force
    except ImportError:
        return [], "apps.rules is not installed: threshold_reached is not part of this benchmark"
    rule_set = rule_sets_in_force(TODAY, ["ABOVE_SIZE"]).get("ABOVE_SIZE")
    if rule_set is None:
        return [], "no ABOVE_SIZE rule set in force: no threshold_reached set"
    compiled = compile_rule_set(rule_set)
    criterion = next((c for c in compiled.criteria if c.criterion.metric == "above_size_threshold"), None)
    if criterion is None:
        return [], "the ABOVE_SIZE rule set has no above_size_threshold criterion"
    rows = [
        (str(e["prefix"]), e["min"] if e.get("field") == "main_business_revenue" and "min" in e else None)
        for e in criterion.params["thresholds"]
    ]
    return rows, f"thresholds from rule set {rule_set.version()} ({len(rows)} industry prefixes)"


def _peak_rss_kb(pid: int) -> int:
    """A process's peak resident set (VmHWM), in kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise CommandError(f"no VmHWM for process {pid}")


def _drop_queue(queue: str) -> None:
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)  # type: ignore[attr-defined]
    except Exception as exc:  # noqa: BLE001 - a leftover queue is only untidy
        print(f"could not delete the queue {queue}: {exc!r}", file=sys.stderr)
