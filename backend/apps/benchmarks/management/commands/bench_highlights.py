"""Annual-highlights benchmark (issue 5): one full-year report next to one hand-written SQL query.

    cd backend && DATABASE_URL=postgresql://postgres@127.0.0.1:5432/seedbed \\
        ../.venv/bin/python manage.py bench_highlights [--firms 200000] [--certifications 600000] [--year 2024]

It never touches the database DATABASE_URL names: it works in `<name>_highlights_bench` (or
`--database`) on the same server (apps.benchmarks.benchdb: created, marked, reused, refused, dropped).

The fill is set-based (INSERT … SELECT over generate_series, one transaction, the history triggers
of the filled tables disabled inside it): firms in three zones, three certifications a firm over
2018–2025 (renewals with and without gaps, revocations, monthly above-size entries), verified output
values of the tagged firms, and a listing pipeline. In the same run it then times, median of
`--runs` after a warm-up:
- the hand-written query: opening, closing and new of every report line, whole park (psycopg);
- the report: GET /api/v1/highlights/{year}/ through the whole Django stack (every line, tag group,
  月度升规, listing buckets and firsts), cold (the first request after a write: the numbers are cached
  until the data changes, apps.core.datacache) and warm (the same request again), and `compute.report` alone;
- the Excel export of the same report: GET /api/v1/highlights/{year}/xlsx/.
Targets (on the cold report): report ≤ 3× the query and < 2 s; Excel < 10 s. `--smoke`: a toy run
for CI. docs/benchmarks.md records a run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import statistics
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections, connections
from django.db.models import Max, Min
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from apps.benchmarks import benchdb

MARKER = "seedbed bench_highlights"
SMOKE_FIRMS = 1_000
FIRST_DAY = dt.date(2018, 1, 1)
SPAN_DAYS = 8 * 365  # certificate dates over 2018–2025
FILLED_TABLES = (
    "registry_firm",
    "programmes_certification",
    "figures_annualfigures",
    "listing_listingevent",
)
INDUSTRIES = ("C3670", "C3399", "C2110", "C3670", "I6513", "G5439", "M7320", "F5261")


def _escaped(statement: str) -> str:
    """Literal % doubled for psycopg; %(name)s placeholders kept."""
    return re.sub(r"%(?!\()", "%%", statement)


FIRMS_SQL = _escaped(
    """
INSERT INTO registry_firm (uscc, name, registration_date, legal_form, joint_stock_date, industry_id, zone_id,
    entered_park_on, left_park_on, exit_kind, exit_note, tags, address, legal_representative, assigned_staff_id,
    notes, created_at, updated_at)
SELECT
    '91500116' || lpad(g::text, 10, '0'),
    '重庆基准' || g || (ARRAY['科技', '机械制造', '新材料', '物流', '电子'])[1 + g % 5] || '有限公司',
    DATE '2000-01-01' + (g * 37 % 7000),
    'limited', NULL,
    (%(industries)s::text[])[1 + g % %(n_industries)s],
    (%(zones)s::bigint[])[CASE WHEN g % 20 < 9 THEN 1 WHEN g % 20 < 16 THEN 2 ELSE 3 END],
    DATE '2000-01-01' + (g * 37 % 7000) + 30 + (g % 2000),
    CASE WHEN g % 25 = 0 THEN DATE '2000-01-01' + (g * 37 % 7000) + 30 + (g % 2000) + 200 + (g * 13 % 3000) END,
    CASE WHEN g % 25 = 0 THEN 'moved_out' ELSE '' END,
    '',
    CASE g % 10 WHEN 0 THEN ARRAY['数字经济'] WHEN 1 THEN ARRAY['战略性新兴产业']
        WHEN 2 THEN ARRAY['数字经济', '战略性新兴产业'] ELSE ARRAY[]::varchar[] END,
    '', '', NULL, '', now(), now()
FROM generate_series(1, %(firms)s) AS g
"""
)

CERTIFICATIONS_SQL = _escaped(
    """
WITH prog AS (
    SELECT * FROM unnest(%(ids)s::bigint[], %(kinds)s::text[], %(years)s::int[], %(levels)s::text[],
        %(codes)s::text[]) WITH ORDINALITY AS p(id, kind, years, level, code, idx)
),
firms AS (
    SELECT id, row_number() OVER (ORDER BY id) AS rn FROM registry_firm
),
slots AS (
    SELECT f.id AS firm_id, f.rn, k,
        DATE '2018-01-01' + ((f.rn * 131 + 977) % %(span)s)::int AS first_day,
        (f.rn * 7) % 9 + 1 AS first_idx
    FROM firms f CROSS JOIN generate_series(1, 3) AS k
    WHERE (f.rn - 1) * 3 + k <= %(certifications)s
),
planned AS (
    SELECT s.*, p1.kind = 'years' AND s.k = 2 AND s.rn % 10 < 3 AS renewal, p1.years AS first_years
    FROM slots s JOIN prog p1 ON p1.idx = s.first_idx
),
dated AS (
    SELECT pl.firm_id, pl.rn, pl.k,
        CASE WHEN pl.renewal THEN pl.first_idx ELSE (pl.rn * 7 + (pl.k - 1) * 3) % 9 + 1 END AS idx,
        CASE WHEN pl.renewal
            THEN (pl.first_day + make_interval(years => pl.first_years))::date + ((pl.rn % 4) * 30)::int
            ELSE DATE '2018-01-01' + ((pl.rn * 131 + pl.k * 977) % %(span)s)::int
        END AS day
    FROM planned pl
),
certs AS (
    SELECT d.*, p.id AS programme_id, p.level, p.code,
        CASE p.kind
            WHEN 'years' THEN (d.day + make_interval(years => p.years))::date - 1
            WHEN 'calendar_year' THEN make_date(extract(year FROM d.day)::int, 12, 31)
        END AS until
    FROM dated d JOIN prog p ON p.idx = d.idx
)
INSERT INTO programmes_certification (firm_id, programme_id, level, number, batch, entry_route, certificate_date,
    valid_from, valid_until, revoked_on, revocation_reason, renews_id, superseded_on, notes, created_by_id,
    created_at, updated_at)
SELECT firm_id, programme_id, level, 'BN' || rn || '-' || k, '',
    CASE WHEN code = 'ABOVE_SIZE' THEN CASE WHEN rn % 5 = 0 THEN 'monthly' ELSE 'annual' END ELSE '' END,
    day, day, until,
    CASE WHEN (rn * 13 + k) % 50 = 0 AND (until IS NULL OR day + 100 <= until) THEN day + 100 END,
    '', NULL, NULL, '', NULL, now(), now()
FROM certs
"""
)

FIGURES_SQL = _escaped(
    """
INSERT INTO figures_annualfigures (firm_id, fiscal_year, state, source, version, note, review_note, output_value,
    created_at, updated_at)
SELECT f.id, y, 'verified', 'staff', 1, '', '',
    (10000000 + (f.id * 7919 % 900000000) * (1 + (y - %(year)s) * 0.05))::numeric(18, 2), now(), now()
FROM registry_firm f CROSS JOIN generate_series(%(year)s - 1, %(year)s) AS y
WHERE cardinality(f.tags) > 0 AND f.industry_id LIKE 'C%'
"""
)

LISTING_SQL = _escaped(
    """
INSERT INTO listing_listingevent (firm_id, stage, date, pool_level, board, sponsor, outcome, announcement_url, note,
    recorded_by_id, out_of_order_override, created_at, updated_at)
SELECT f.id, e.stage, e.day, e.pool_level, e.board, '', e.outcome, '', '', NULL, false, now(), now()
FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM registry_firm) f
CROSS JOIN LATERAL (VALUES
    ('pool', DATE '2019-03-01' + (f.rn % 300)::int, 'municipal', '', ''),
    ('tutoring_filed', DATE '2021-02-01' + (f.rn % 300)::int, '', '', ''),
    ('application_accepted', DATE '2023-01-10' + (f.rn % 300)::int, '', 'chinext', ''),
    ('committee', DATE '2024-02-01' + (f.rn % 300)::int, '', 'chinext', 'passed')
) AS e(stage, day, pool_level, board, outcome)
WHERE f.rn % 100 = 0 AND (e.stage <> 'committee' OR f.rn % 200 = 0)
"""
)


def baseline_sql(lines: list[tuple[str, list[int]]]) -> str:
    """Hand-written: opening, closing and new of every line, whole park, in one statement."""
    values = ", ".join(f"('{code}', {pid})" for code, ids in lines for pid in ids if code.replace("_", "").isalnum())
    return f"""
    WITH lp(line, programme_id) AS (VALUES {values}),
    per_firm AS (
        SELECT lp.line, c.firm_id,
            bool_or(c.period @> %(d0)s::date) AND COALESCE(f.entered_park_on <= %(d0)s::date, true)
                AND COALESCE(f.left_park_on > %(d0)s::date, true) AS o,
            bool_or(c.period @> %(d1)s::date) AND COALESCE(f.entered_park_on <= %(d1)s::date, true)
                AND COALESCE(f.left_park_on > %(d1)s::date, true) AS c,
            bool_or(c.period @> %(d1)s::date AND c.certificate_date BETWEEN %(start)s::date AND %(d1)s::date) AS dated
        FROM programmes_certification c
        JOIN lp ON lp.programme_id = c.programme_id
        JOIN registry_firm f ON f.id = c.firm_id
        WHERE c.period && daterange(%(d0)s::date, %(d1)s::date, '[]')
        GROUP BY lp.line, c.firm_id, f.entered_park_on, f.left_park_on
    )
    SELECT line, count(*) FILTER (WHERE o), count(*) FILTER (WHERE c), count(*) FILTER (WHERE c AND NOT o AND dated)
    FROM per_firm GROUP BY line ORDER BY line
    """  # noqa: S608 - codes checked above, values as params


class Command(BaseCommand):
    help = "Benchmarks the annual highlights report and its Excel export in its own <name>_highlights_bench database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--firms", type=int, default=200_000)
        parser.add_argument("--certifications", type=int, default=600_000, help="At most 3 per firm.")
        parser.add_argument("--year", type=int, default=2024, help="The report year (2018–2025 are filled).")
        parser.add_argument("--runs", type=int, default=5, help="Timed runs of each measurement (median printed).")
        parser.add_argument(
            "--database", default="", help="Benchmark database name (default: <name>_highlights_bench)."
        )
        parser.add_argument("--refill", action="store_true", help="Drop and refill the benchmark database.")
        parser.add_argument("--drop", action="store_true", help="Drop the benchmark database when done.")
        parser.add_argument("--json", default="", help="Also write the figures to this file as JSON.")
        parser.add_argument(
            "--smoke",
            action="store_true",
            help=f"A toy run for CI ({SMOKE_FIRMS} firms, one run, its own database, dropped after): "
            "every measurement path runs; timings are not judged.",
        )

    # ---- database ---------------------------------------------------------------------------------

    def _fill(self, name: str, firms: int, certifications: int, year: int) -> None:
        from apps.programmes.models import Programme
        from apps.registry.demo import ZONES
        from apps.registry.models import Zone

        zone_ids = [
            Zone.objects.get_or_create(code=c, defaults={"name": n, "description": d})[0].pk for c, n, d in ZONES
        ]
        programmes = list(Programme.objects.filter(builtin=True).order_by("code"))
        if len(programmes) != 9:
            raise CommandError(f"expected the 9 shipped programmes, found {len(programmes)}")
        started = time.perf_counter()
        with benchdb.connect(name, autocommit=False) as conn:
            with conn.cursor() as cur, benchdb.history_off(cur, FILLED_TABLES):
                steps: list[tuple[str, str, dict[str, Any]]] = [
                    (
                        "firms",
                        FIRMS_SQL,
                        {
                            "firms": firms,
                            "zones": zone_ids,
                            "industries": list(INDUSTRIES),
                            "n_industries": len(INDUSTRIES),
                        },
                    ),
                    (
                        "certifications",
                        CERTIFICATIONS_SQL,
                        {
                            "ids": [p.pk for p in programmes],
                            "kinds": [p.validity_kind for p in programmes],
                            "years": [p.validity_years or 0 for p in programmes],
                            "levels": [p.levels[0] for p in programmes],
                            "codes": [p.code for p in programmes],
                            "span": SPAN_DAYS,
                            "certifications": certifications,
                        },
                    ),
                    ("annual figures", FIGURES_SQL, {"year": year}),
                    ("listing events", LISTING_SQL, {}),
                ]
                for label, statement, params in steps:
                    step = time.perf_counter()
                    cur.execute(statement, params)
                    self.stdout.write(f"fill: {cur.rowcount} {label} in {time.perf_counter() - step:.1f} s")
            conn.commit()
            conn.autocommit = True
            conn.execute("VACUUM ANALYZE")
        self.stdout.write(
            f"fill: done in {time.perf_counter() - started:.1f} s (history triggers of the filled tables disabled "
            "inside the fill's transaction only: the benchmark measures reads); VACUUM ANALYZE done"
        )

    # ---- measuring ---------------------------------------------------------------------------------

    def handle(self, *args: Any, **options: Any) -> None:
        if options["smoke"]:
            options.update(firms=SMOKE_FIRMS, certifications=3 * SMOKE_FIRMS, runs=1, drop=True)
        database = benchdb.BenchDatabase(
            "bench_highlights", "highlights_bench", self.stdout, smoke=options["smoke"], name=options["database"]
        )
        firms, certifications, year = options["firms"], options["certifications"], options["year"]
        if certifications > 3 * firms:
            raise CommandError("--certifications may be at most 3 × --firms.")
        filled = f"{MARKER}: firms={firms} certifications={certifications} year={year}"
        with database.session(filled, refill=options["refill"], drop=options["drop"]) as reuse:
            if not reuse:
                self._fill(database.name, firms, certifications, year)
                database.mark_filled(filled)
            failures = self._run(database.name, year, options)
        if options["smoke"] and failures:
            raise CommandError(f"smoke: {', '.join(failures)}")

    def _interleaved(
        self,
        runs: int,
        works: dict[str, Callable[[], Any]],
        before: dict[str, Callable[[], Any]] | None = None,
    ) -> tuple[dict[str, list[float]], dict[str, Any]]:
        """Each work once to warm up, then `runs` rounds of each in turn: load from other processes
        on the machine then weighs on all of them alike. `before[label]`, if given, runs untimed
        before each run of that work (a write, so that a cached result is computed afresh)."""
        before = before or {}
        results = {}
        for label, work in works.items():
            before.get(label, lambda: None)()
            results[label] = work()
        samples: dict[str, list[float]] = {label: [] for label in works}
        for _ in range(runs):
            for label, work in works.items():
                before.get(label, lambda: None)()
                started = time.perf_counter()
                results[label] = work()
                samples[label].append(time.perf_counter() - started)
        return samples, results

    def _run(self, name: str, year: int, options: dict[str, Any]) -> list[str]:
        """Measures; returns the checks that failed which are not timings (a smoke run fails on them)."""
        from apps.accounts.models import Role, User
        from apps.highlights import compute
        from apps.programmes.models import Certification
        from apps.registry.models import Firm

        runs = options["runs"]
        admin, _ = User.objects.get_or_create(username="bench_admin", defaults={"role": Role.ADMIN})
        client = APIClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_authenticate(admin)
        lines = compute.line_defs()
        period = compute.Period.of(year)
        work_mem = getattr(settings, "SEEDBED_REPORT_WORK_MEM", "64MB")
        self.stdout.write("")
        dates = Certification.objects.aggregate(first=Min("certificate_date"), last=Max("certificate_date"))
        self.stdout.write(
            f"firms: {Firm.objects.count()}; certifications: {Certification.objects.count()} "
            f"(certificate dates {dates['first']} … {dates['last']}); report lines: {len(lines)}; "
            f"year {year}, whole park"
        )
        self.stdout.write(f"machine: {os.cpu_count()} CPUs; load average before: {benchdb.load_average()}")

        statement = baseline_sql([(line.code, list(line.programme_ids)) for line in lines])
        params = {"d0": period.opening, "d1": period.end, "start": period.start}

        def get(path: str) -> Any:
            close_old_connections()  # what the WSGI handler does around every request (the test client skips it)
            response = client.get(path)
            if response.status_code != 200:
                raise CommandError(f"GET {path} answered {response.status_code}")
            return response

        # The report's numbers are cached until the data changes (apps.core.datacache): "report" is the cold
        # request (after a write: a firm's notes changed, untimed), "report_warm" the same request right after.
        edited = Firm.objects.order_by("id").values_list("id", flat=True).first()
        writes = 0

        def write() -> None:
            nonlocal writes
            writes += 1
            plain.execute("UPDATE registry_firm SET notes = %s WHERE id = %s", [f"bench_highlights {writes}", edited])

        with benchdb.connect(name) as plain, benchdb.connect(name) as tuned:
            # The report runs its queries with JIT off and work_mem raised (compute.report_session);
            # the hand-written query is timed both as PostgreSQL runs it by default and so tuned.
            tuned.execute("SELECT set_config('jit', 'off', false), set_config('work_mem', %s, false)", [work_mem])
            samples, results = self._interleaved(
                runs,
                {
                    "query": lambda: plain.execute(statement, params).fetchall(),
                    "query_tuned": lambda: tuned.execute(statement, params).fetchall(),
                    "report": lambda: json.loads(get(f"/api/v1/highlights/{year}/").content),
                    "report_warm": lambda: json.loads(get(f"/api/v1/highlights/{year}/").content),
                    "compute": lambda: compute.report(year, compute.park_scope()),
                },
                before={"report": write},
            )
            plain.execute("UPDATE registry_firm SET notes = '' WHERE id = %s", [edited])
            plan = [r[0] for r in tuned.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", params).fetchall()]
        cpu = self._cpu_times(year, runs)
        excel_samples, excel_results = self._interleaved(
            max(1, min(runs, 3)), {"excel": lambda: get(f"/api/v1/highlights/{year}/xlsx/").content}
        )
        median = {label: statistics.median(values) for label, values in {**samples, **excel_samples}.items()}
        connections["default"].queries_log.clear()
        with CaptureQueriesContext(connections["default"]) as captured:
            compute.report(year, compute.park_scope())
        body, content = results["report"], excel_results["excel"]
        baseline = {code: (o, c, n) for code, o, c, n in results["query"]}
        same = len(baseline) == len(body["lines"]) and all(
            baseline.get(line["code"]) == (line["opening"], line["closing"], line["new"]) for line in body["lines"]
        )
        # opening ∪ closing = closing + the exits
        rows_listed = sum(
            line["closing"] + line["lapsed"] + line["revoked"] + line["left_park"] for line in body["lines"]
        )

        self.stdout.write("")
        self.stdout.write(f"{'line':<16} {'opening':>8} {'new':>7} {'closing':>8} {'exits':>7}   (report = query?)")
        for line in body["lines"]:
            exits = line["lapsed"] + line["revoked"] + line["left_park"]
            agree = baseline.get(line["code"]) == (line["opening"], line["closing"], line["new"])
            self.stdout.write(
                f"{line['code']:<16} {line['opening']:>8} {line['new']:>7} {line['closing']:>8} {exits:>7}   "
                f"{'yes' if agree else 'NO'}"
            )
        for group in body["tag_groups"]:
            self.stdout.write(f"tag group {group['code']}: {group['count']} firms, total {group['total']} yuan")
        self.stdout.write(
            f"月度升规 {body['monthly_upgrades']['count']}; listing buckets "
            + ", ".join(f"{b['bucket']} {b['count']}" for b in body["listing"]["buckets"])
            + f"; identity_ok {body['identity_ok']}"
        )

        def ms(values: list[float]) -> str:
            return " ".join(f"{v * 1000:.0f}" for v in values)

        query = min(median["query"], median["query_tuned"])
        ratio = median["report"] / query
        self.stdout.write("")
        self.stdout.write(f"timings, median of {runs} interleaved runs after a warm-up (ms of each run in brackets)")
        self.stdout.write(
            "  (the report's numbers are cached until the data changes: cold = the first request after a write,"
            " warm = the same request again; the targets apply to cold)"
        )
        self.stdout.write(
            f"  hand-written SQL, PostgreSQL defaults:      {median['query'] * 1000:8.0f} ms  [{ms(samples['query'])}]"
        )
        self.stdout.write(
            f"  hand-written SQL, JIT off, work_mem {work_mem}: {median['query_tuned'] * 1000:6.0f} ms  "
            f"[{ms(samples['query_tuned'])}]"
        )
        self.stdout.write(
            f"  report (cold), GET /api/v1/highlights/{year}/: {median['report'] * 1000:6.0f} ms  "
            f"[{ms(samples['report'])}]"
        )
        self.stdout.write(
            f"  report again (warm: numbers from the data cache): {median['report_warm'] * 1000:4.0f} ms  "
            f"[{ms(samples['report_warm'])}]"
        )
        self.stdout.write(
            f"  report, compute.report alone:               {median['compute'] * 1000:8.0f} ms  "
            f"[{ms(samples['compute'])}]"
        )
        self.stdout.write(f"  queries per report:                         {len(captured.captured_queries):8d}")
        self.stdout.write(
            f"  Excel, GET /api/v1/highlights/{year}/xlsx/: {median['excel'] * 1000:8.0f} ms  "
            f"[{ms(excel_samples['excel'])}]  ({len(content) / 1e6:.1f} MB, {rows_listed} firm rows in "
            f"{len(body['lines'])} line sheets)"
        )
        self.stdout.write(
            "  CPU time (this process + its PostgreSQL backend; wall time minus waiting for a core on a busy machine):"
        )
        for label, (wall, python, backend) in cpu.items():
            self.stdout.write(
                f"    {label:<38} wall {wall * 1000:6.0f} ms, CPU {(python + backend) * 1000:6.0f} ms "
                f"(Python {python * 1000:.0f}, PostgreSQL {backend * 1000:.0f})"
            )
        self.stdout.write(
            f"load average after: {benchdb.load_average()} (other work on the machine inflates every figure)"
        )
        checks = {
            f"report / faster query = {ratio:.2f}x (target <= 3x)": ratio <= 3,
            f"report {median['report']:.2f} s (target < 2 s)": median["report"] < 2,
            f"Excel {median['excel']:.2f} s (target < 10 s)": median["excel"] < 10,
            "report numbers equal the query's": same,
        }
        for label, passed in checks.items():
            self.stdout.write(f"{label}: {'PASS' if passed else 'FAIL'}")
        self.stdout.write("")
        self.stdout.write("EXPLAIN (ANALYZE, BUFFERS) of the hand-written query (JIT off, same work_mem):")
        for line in plan:
            self.stdout.write(f"    {line}")
        for q in sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:5]:
            self.stdout.write(f"report query {float(q['time']) * 1000:6.0f} ms: {' '.join(q['sql'].split())[:110]}…")
        self.stdout.write("")
        self.stdout.write(f"overall: {'PASS' if all(checks.values()) else 'FAIL'}")
        failures = [] if same else ["the report's numbers differ from the hand-written query's"]
        if json.loads(json.dumps(results["report_warm"]))["lines"] != body["lines"]:
            failures.append("the warm (cached) report differs from the cold one")
        if options["json"]:
            with open(options["json"], "w", encoding="utf-8") as out:
                json.dump(
                    {
                        **{f"{label}_ms": value * 1000 for label, value in median.items()},
                        "queries": len(captured.captured_queries),
                        "ratio": ratio,
                        "same": same,
                        "load": benchdb.load_average(),
                    },
                    out,
                )
        return failures

    def _cpu_times(self, year: int, runs: int) -> dict[str, tuple[float, float, float]]:
        """Median wall time and CPU time (Python, PostgreSQL backend) of `compute.report` and of the Excel
        export built directly (the same calls as the view), on one kept connection: on a shared machine
        the wall time includes waiting for a core, the CPU time does not. PostgreSQL's parallel
        workers (the tag-group query may use them) are not counted."""
        from apps.highlights import compute, exports

        connection = connections["default"]

        def backend_cpu() -> float:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                row = cursor.fetchone()
            try:
                with open(f"/proc/{row[0]}/stat", encoding="ascii") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:  # PostgreSQL on another host: no figure
                return float("nan")
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

        def report() -> Any:
            return compute.report(year, compute.park_scope())

        def excel() -> Any:
            data = compute.report(
                year, compute.park_scope(), with_members=True, raw_columns=exports.XLSX_MEMBER_COLUMNS
            )
            return exports.report_xlsx(data)

        found = {}
        for label, work, n in (("report, compute.report", report, runs), ("Excel, compute + write", excel, 1)):
            samples = []
            for _ in range(n):
                backend, python, wall = backend_cpu(), time.process_time(), time.perf_counter()
                work()
                wall, python = time.perf_counter() - wall, time.process_time() - python
                samples.append((wall, python, backend_cpu() - backend))
            samples.sort()
            found[label] = samples[len(samples) // 2]
        return found
