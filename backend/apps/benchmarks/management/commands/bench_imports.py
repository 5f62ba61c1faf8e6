"""Import benchmark (issue 3): 100,000 certification rows from CSV and from XLSX, next to PostgreSQL COPY.

    cd backend && DATABASE_URL=postgresql://postgres@127.0.0.1:5432/seedbed \\
        ../.venv/bin/python manage.py bench_imports [--rows 100000] [--refill] [--drop]

It never touches the database DATABASE_URL names: it works in `<name>_imports_bench` on the same
server (apps.benchmarks.benchdb: created, marked, reused, refused, dropped; the firms it needs are
kept between runs; `--smoke`, a toy run for CI, in a database of its own). Each measured import starts
from no certifications. The imports go through the same services as the API (upload checks, dry
run, commit in one transaction with the history triggers); only HTTP is left out.

Printed, in the same run, next to two baselines:
- (a) COPY into the table: the same certification rows as the import writes them (firm ids resolved,
  programme, level, number, batch, dates) loaded with COPY straight into `programmes_certification`,
  with its indexes, exclusion constraint, foreign keys (checked) and history triggers — the fastest
  PostgreSQL itself stores these rows in their table; rolled back. The target is judged against it;
- (b) COPY of the raw file: the CSV as it is into a temporary table of six text columns (no parsing,
  no index, no constraint, no trigger), for information: the ratio to it is printed too;
- the import: dry run, commit, both, and the same file imported again (nothing to change).
docs/benchmarks.md records a run.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import random
import shutil
import statistics
import tempfile
import time
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from apps.benchmarks import benchdb
from apps.registry.uscc import make

MARKER = "seedbed bench_imports"
SMOKE_ROWS = 1_000
HEADER = ["序号", "企业名称", "统一社会信用代码", "证书编号", "发证日期", "批次"]
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
TARGET = 5  # the CSV import must run at no less than 1/TARGET of the speed of (a), COPY into the table


class Command(BaseCommand):
    help = "Benchmarks importing certification rows (CSV and XLSX) against COPY, in its own database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rows", type=int, default=100_000, help="Certification rows (and firms).")
        parser.add_argument("--seed", type=int, default=32100)
        parser.add_argument("--copies", type=int, default=3, help="Runs of baseline (b) (the median is reported).")
        parser.add_argument(
            "--table-copies", type=int, default=1, help="Runs of baseline (a) (the median is reported)."
        )
        parser.add_argument("--skip-xlsx", action="store_true", help="Only CSV.")
        parser.add_argument("--refill", action="store_true", help="Drop and refill the benchmark database.")
        parser.add_argument("--drop", action="store_true", help="Drop the benchmark database when done.")
        parser.add_argument(
            "--smoke",
            action="store_true",
            help=f"A toy run for CI ({SMOKE_ROWS} rows, its own database, dropped after): every measurement "
            "path runs (both baselines, CSV and XLSX, new and again); timings are not judged.",
        )

    # ---- data ---------------------------------------------------------------------------------

    def _codes(self, n: int, seed: int) -> list[str]:
        rng = random.Random(seed)
        seen: set[str] = set()
        codes: list[str] = []
        while len(codes) < n:
            code = make("91500116" + "MA" + "".join(rng.choices(USCC_ALPHABET, k=6)))
            if code not in seen:
                seen.add(code)
                codes.append(code)
        return codes

    def _fill_firms(self, codes: list[str]) -> None:
        """The firms the certifications belong to, by COPY; their own history is not what is measured."""
        from apps.registry.models import Zone

        zone, _ = Zone.objects.get_or_create(code="bench", defaults={"name": "基准测试片区"})
        started = time.perf_counter()
        now = dt.datetime.now(dt.UTC)
        with benchdb.connect(settings.DATABASES["default"]["NAME"]) as conn:
            conn.autocommit = False
            with conn.cursor() as cur, benchdb.history_off(cur, ["registry_firm"]):
                columns = (
                    "uscc, name, zone_id, tags, legal_form, exit_kind, exit_note, address, legal_representative, notes"
                )
                with cur.copy(f"COPY registry_firm ({columns}, created_at, updated_at) FROM STDIN") as copy:
                    for i, code in enumerate(codes):
                        copy.write_row(
                            (code, f"重庆基准{i:06d}科技有限公司", zone.pk, [], "limited", "", "", "", "", "", now, now)
                        )
            conn.commit()
            conn.autocommit = True
            conn.execute("VACUUM ANALYZE")
        self.stdout.write(f"fill: {len(codes)} firms by COPY in {time.perf_counter() - started:.1f} s")

    @staticmethod
    def _rows(codes: list[str]) -> list[list[Any]]:
        start = dt.date(2022, 1, 1)
        return [
            [
                i + 1,
                f"重庆基准{i:06d}科技有限公司",
                code,
                f"GR2022{i:08d}",
                (start + dt.timedelta(days=i % 360)).isoformat(),
                f"2022年第{i % 3 + 1}批",
            ]
            for i, code in enumerate(codes)
        ]

    @staticmethod
    def _csv(rows: list[list[Any]]) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
        return ("\ufeff" + out.getvalue()).encode("utf-8")

    @staticmethod
    def _xlsx(rows: list[list[Any]]) -> bytes:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("名单")
        sheet.append(HEADER)
        for row in rows:
            sheet.append(row)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    def _reset(self) -> None:
        """No certifications and no history: every import run starts from the same state."""
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE programmes_certification, core_change CASCADE")
            cursor.execute("ANALYZE programmes_certification")

    # ---- measuring ------------------------------------------------------------------------------

    def _copy(self, data: bytes, runs: int) -> float:
        """Baseline (b): the raw CSV into a bare temporary table."""
        times = []
        with benchdb.connect(settings.DATABASES["default"]["NAME"]) as conn, conn.cursor() as cur:
            for _ in range(runs):
                conn.autocommit = False
                cur.execute(
                    "CREATE TEMPORARY TABLE copy_baseline (seq text, name text, uscc text, number text,"
                    " certificate_date text, batch text) ON COMMIT DROP"
                )
                started = time.perf_counter()
                with cur.copy("COPY copy_baseline FROM STDIN (FORMAT csv, HEADER true, ENCODING 'UTF8')") as copy:
                    copy.write(data[3:])  # without the BOM
                times.append(time.perf_counter() - started)
                conn.rollback()
        return statistics.median(times)

    def _copy_into_table(self, codes: list[str], rows: list[list[Any]], runs: int) -> float:
        """Baseline (a): COPY of the rows the import writes into programmes_certification, everything on."""
        from apps.programmes.models import Programme
        from apps.programmes.services import validity_for

        hnte = Programme.objects.get(code="HNTE")
        level = hnte.levels[0]
        db_name = settings.DATABASES["default"]["NAME"]
        with benchdb.connect(db_name) as conn, conn.cursor() as cur:
            firm_ids = dict(cur.execute("SELECT uscc, id FROM registry_firm WHERE uscc = ANY(%s)", [codes]).fetchall())
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            now = dt.datetime.now(dt.UTC).isoformat()
            for _, _, code, number, day, batch in rows:
                valid_from, valid_until = validity_for(hnte, dt.date.fromisoformat(day))
                writer.writerow(
                    [firm_ids[code], hnte.pk, level, number, batch, "", day, valid_from, valid_until or "", "", "", now,
                     now]
                )  # fmt: skip
            data = out.getvalue().encode()
            times = []
            for _ in range(runs):
                conn.autocommit = False
                # What an import's transaction carries: the history's context, read by the triggers.
                cur.execute(
                    "SELECT set_config('seedbed.ctx', %s, true)",
                    ['{"source": "import", "actor": "bench", "reason": "COPY baseline"}'],
                )
                started = time.perf_counter()
                with cur.copy(
                    "COPY programmes_certification (firm_id, programme_id, level, number, batch, entry_route,"
                    " certificate_date, valid_from, valid_until, revocation_reason, notes, created_at, updated_at)"
                    " FROM STDIN (FORMAT csv, FORCE_NOT_NULL (entry_route, revocation_reason, notes))"
                ) as copy:
                    copy.write(data)
                cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred foreign-key checks, as a commit runs them
                times.append(time.perf_counter() - started)
                history = cur.execute("SELECT count(*) FROM core_change").fetchone()
                conn.rollback()
                if history is None or history[0] < len(rows):
                    raise CommandError("the COPY baseline wrote no history: are the history triggers there?")
        return statistics.median(times)

    def _import(self, data: bytes, name: str, user: Any, n: int) -> dict[str, float]:
        from apps.imports import services
        from apps.imports.models import ImportStatus
        from apps.programmes.models import Programme

        programme = Programme.objects.get(code="HNTE")
        upload = SimpleUploadedFile(name, data)
        started = time.perf_counter()
        job = services.import_job_create(user=user, upload=upload, kind="certifications", programme=programme)
        checked = time.perf_counter()
        if job.status != ImportStatus.READY or job.rows_total != n:
            raise CommandError(f"dry run of {name}: {job.status}, {job.rows_total} rows, {job.errors[:3]}")
        job = services.import_commit_start(job=job, user=user)
        done = time.perf_counter()
        if job.status != ImportStatus.COMMITTED:
            raise CommandError(f"commit of {name}: {job.status} {job.failure}")
        return {
            "dry": checked - started,
            "commit": done - checked,
            "created": job.created,
            "unchanged": job.unchanged,
        }

    def handle(self, *args: Any, **options: Any) -> None:
        if options["smoke"]:
            options.update(rows=SMOKE_ROWS, copies=1, table_copies=1, drop=True)
        n, seed = options["rows"], options["seed"]
        database = benchdb.BenchDatabase("bench_imports", "imports_bench", self.stdout, smoke=options["smoke"])
        filled = f"{MARKER}: firms={n} seed={seed}"
        media = tempfile.mkdtemp(prefix="seedbed-bench-imports-")
        try:
            with database.session(filled, refill=options["refill"], drop=options["drop"]) as reuse:
                codes = self._codes(n, seed)
                if not reuse:
                    self._fill_firms(codes)
                    database.mark_filled(filled)
                settings.MEDIA_ROOT = media
                settings.SEEDBED_IMPORT_INLINE_MAX_ROWS = n * 10  # measure in-process: no worker in between
                settings.SEEDBED_IMPORT_MAX_ROWS = max(n, settings.SEEDBED_IMPORT_MAX_ROWS)
                settings.SEEDBED_MAX_UPLOAD_BYTES = max(64 * 1024 * 1024, settings.SEEDBED_MAX_UPLOAD_BYTES)
                self._run(codes, options)
        finally:
            shutil.rmtree(media, ignore_errors=True)

    def _run(self, codes: list[str], options: dict[str, Any]) -> None:
        from apps.accounts.models import Role, User
        from apps.programmes.models import Certification

        n = len(codes)
        user, _ = User.objects.get_or_create(username="bench_admin", defaults={"role": Role.ADMIN})
        rows = self._rows(codes)
        started = time.perf_counter()
        csv_data = self._csv(rows)
        self.stdout.write(f"CSV file: {len(csv_data) / 1e6:.1f} MB, made in {time.perf_counter() - started:.1f} s")
        xlsx_data = b""
        if not options["skip_xlsx"]:
            started = time.perf_counter()
            xlsx_data = self._xlsx(rows)
            self.stdout.write(
                f"XLSX file: {len(xlsx_data) / 1e6:.1f} MB, made in {time.perf_counter() - started:.1f} s"
            )
        self.stdout.write(f"machine: {os.cpu_count()} CPUs; load average before: {benchdb.load_average()}")

        self._reset()
        copy_s = self._copy(csv_data, options["copies"])
        table_s = self._copy_into_table(codes, rows, options["table_copies"])
        results: dict[str, dict[str, float]] = {}
        for label, data, file_name in (("CSV", csv_data, "名单.csv"), ("XLSX", xlsx_data, "名单.xlsx")):
            if not data:
                continue
            self._reset()
            results[label] = self._import(data, file_name, user, n)
            if Certification.objects.count() != n:
                raise CommandError(f"{label}: {Certification.objects.count()} certifications after the import")
            results[f"{label} again"] = self._import(data, file_name, user, n)

        def line(label: str, seconds: float) -> str:
            return (
                f"{label:<40} {seconds:7.2f} s {n / seconds:10,.0f} rows/s"
                f"   (a) 1/{seconds / table_s:.2f}   (b) 1/{seconds / copy_s:.1f}"
            )

        self.stdout.write("")
        self.stdout.write(f"{n:,} certification rows (firms matched by USCC; HNTE, derived validity)")
        self.stdout.write("ratios: speed as a fraction of (a) COPY into the table, and of (b) COPY of the raw file")
        self.stdout.write(line("(a) COPY into programmes_certification", table_s))
        self.stdout.write(line("(b) COPY of the raw CSV into a temp table", copy_s))
        for label, result in results.items():
            what = "unchanged" if "again" in label else "new"
            self.stdout.write(line(f"{label} dry run ({what})", result["dry"]))
            self.stdout.write(line(f"{label} commit", result["commit"]))
            self.stdout.write(line(f"{label} dry run + commit", result["dry"] + result["commit"]))
        self.stdout.write(
            f"load average after: {benchdb.load_average()} (other work on the machine inflates every figure)"
        )
        self.stdout.write("")
        for label, key in (("CSV, new rows", "CSV"), ("CSV, same file again", "CSV again")):
            seconds = results[key]["dry"] + results[key]["commit"]
            verdict = "PASS" if seconds / table_s <= TARGET else "FAIL"
            self.stdout.write(
                f"target: at least 1/{TARGET} of (a) COPY into the table, {label}: 1/{seconds / table_s:.2f}: {verdict}"
                f"   (against (b), the raw file into a bare table: 1/{seconds / copy_s:.1f})"
            )
