"""What every import kind shares: parse rows in Python, COPY them into a staging table, then check,
classify and write with a few set-based statements.

A kind (firms, certifications, annual or monthly figures) declares its staging columns, turns one
row of cells into one staging tuple (collecting cell errors), and writes the SQL that checks rows
against the database and upserts them. Every statement works on all rows at once; the history
triggers still fire per changed row, inside the same transaction.

The dry run's plan: when the dry run finds no errors, the rows to write (staging table, actions
decided) are kept next to the uploaded file, with the snapshot the checks started from. The commit
writes that plan as it is when the history says none of the tables the checks read (`depends_on`)
has been written since (`seedbed_changed_since`, decision 0003); otherwise it reads and checks every
row again. Either way the commit runs in one transaction and the constraints still hold.

Row errors found in SQL come back as (row number, arguments) and are turned into bilingual messages
here, so that SQL never builds text for people.

The statements are put together from table and column names of our own models (hence the
`noqa: S608` marks); every value from a file travels through COPY or as a query parameter.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from django.core.files.base import ContentFile
from django.db import DatabaseError, connection, transaction

from apps.core.scope import scope_of
from apps.core.text import line_break_in, single_line
from apps.imports.cells import CellError, Msg, name_key
from apps.imports.formats import NAME, USCC, Column, MatchedColumn, TableFormat
from apps.imports.reader import Table

Progress = Callable[[str, int, int], None]


@dataclass
class RowError:
    row: int
    column: str
    message: Msg

    def as_json(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "zh": self.message.zh, "en": self.message.en}


@dataclass
class Counts:
    rows_total: int = 0
    to_create: int = 0
    to_update: int = 0
    unchanged: int = 0
    skipped: int = 0
    error_rows: int = 0


@dataclass
class Options:
    """What the upload form chose, and who uploaded (whose scope applies)."""

    user: Any
    programme: Any = None
    level: str = ""
    job_id: int = 0
    note: str = ""
    chunk_rows: int = 5000
    estimated_rows: int = 0


@dataclass
class Run:
    table: Table
    options: Options
    progress: Progress
    errors: dict[int, list[RowError]] = field(default_factory=dict)
    counts: Counts = field(default_factory=Counts)
    # One-line cells whose line breaks / control characters were replaced by spaces (shown in the dry run).
    cleaned: dict[tuple[int, str], RowError] = field(default_factory=dict)

    def add(self, row: int, column: str, message: Msg) -> None:
        self.errors.setdefault(row, []).append(RowError(row, column, message))

    def sorted_errors(self) -> list[RowError]:
        return [error for row in sorted(self.errors) for error in self.errors[row]]


class ImportInvalid(Exception):
    """Raised inside a commit when rows fail: the transaction rolls back, nothing is written."""

    # Tables the checks read. When none has been written since the dry run, the commit writes the dry
    # run's plan without checking again. Empty: the commit always checks again.
    depends_on: ClassVar[tuple[str, ...]] = ()
    PLAN_VERSION: ClassVar[int] = 2

    def __init__(self, run: Run) -> None:
        super().__init__(f"{len(run.errors)} rows have errors")
        self.run = run


class Kind:
    """One import format. Subclasses set `fmt` and `stage_columns`, and implement the hooks."""

    fmt: ClassVar[TableFormat]
    # (name, SQL type) of the values parsed in Python; row_no and bad are added.
    stage_columns: ClassVar[tuple[tuple[str, str], ...]]
    # Extra columns filled by SQL (firm_id, action …).
    work_columns: ClassVar[tuple[tuple[str, str], ...]] = (
        ("firm_id", "bigint"),
        ("firm_zone", "bigint"),
        ("name_matches", "integer"),
        ("action", "text"),
    )

    # Tables the checks read. When none has been written since the dry run, the commit writes the dry
    # run's plan without checking again. Empty: the commit always checks again.
    depends_on: ClassVar[tuple[str, ...]] = ()
    PLAN_VERSION: ClassVar[int] = 2

    def __init__(self, run: Run) -> None:
        self.run = run
        self.table_name = f"imp_{uuid.uuid4().hex[:12]}"
        self.header = run.table.header
        self.cursor: Any = None
        self._current: list[Any] = []  # the row being parsed

    # ---- hooks ----------------------------------------------------------------------------

    def prepare(self) -> None:
        """Load what parsing needs (lookups) before the first row."""

    def parse(self, row: int, cells: list[Any]) -> tuple[Any, ...]:
        """One staging tuple (without row_no and bad). Cell errors go to self.error(...)."""
        raise NotImplementedError

    def check(self) -> None:
        """Row checks against the database; mark failing rows bad."""
        raise NotImplementedError

    def classify(self) -> None:
        """Set `action` (create / update / unchanged) on the good rows."""
        raise NotImplementedError

    def write(self, lo: int, hi: int) -> tuple[int, int]:
        """Write the good rows with lo <= row_no <= hi; returns (created, updated)."""
        raise NotImplementedError

    def before_write(self) -> None:
        """Statements that must run once, before the chunks (e.g. shortening predecessors)."""

    # ---- helpers for the hooks ------------------------------------------------------------

    def cell(self, cells: list[Any], key: str) -> Any:
        matched = self.header.columns.get(key)
        return cells[matched.index] if matched is not None and matched.index < len(cells) else None

    def label(self, key: str) -> str:
        """The column as the file names it (or our header when the file has no such column)."""
        matched = self.header.columns.get(key)
        return matched.header if matched is not None else self.fmt.column(key).zh

    def matched(self, key: str) -> MatchedColumn | None:
        return self.header.columns.get(key)

    def error(self, row: int, key: str, message: Msg) -> None:
        self.run.add(row, self.label(key) if key else "", message)

    def read(self, row: int, key: str, reader: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """reader(cell, column label, ...) or None with the error recorded."""
        if key not in self.header.columns:
            return None
        try:
            return reader(self.cell_value(row, key), self.label(key), *args, **kwargs)
        except CellError as exc:
            self.error(row, key, exc.message)
            return None

    def one_line(self, row: int, key: str, value: str) -> str:
        """A one-line cell (names, codes, addresses …): line breaks (Excel's Alt+Enter) and control
        characters become spaces, and the dry run lists the cell (`Run.cleaned`)."""
        if not line_break_in(value):
            return value
        label = self.label(key)
        self.run.cleaned.setdefault(
            (row, key),
            RowError(
                row,
                label,
                Msg(
                    f"“{label}”中的换行符或控制字符已替换为空格。",
                    f"Line breaks or control characters in '{label}' were replaced by spaces.",
                ),
            ),
        )
        return single_line(value)

    def cell_value(self, row: int, key: str) -> Any:
        return self.cell(self._current, key)

    def sql(self, statement: str, params: Sequence[Any] | dict[str, Any] | None = None) -> Any:
        self.cursor.execute(statement.replace("{st}", self.table_name), params)
        return self.cursor

    def rows(self, statement: str, params: Sequence[Any] | dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        return list(self.sql(statement, params).fetchall())

    def fail(self, found: Iterable[tuple[Any, ...]], key: str, message: Callable[..., Msg]) -> None:
        """Record `message(*args)` for every (row_no, *args) found, and mark those rows bad."""
        bad = []
        for row_no, *args in found:
            self.error(row_no, key, message(*args))
            bad.append(row_no)
        if bad:
            self.sql("UPDATE {st} SET bad = true WHERE row_no = ANY(%s)", [bad])

    # ---- the run --------------------------------------------------------------------------

    def stage(self) -> None:
        """Parse every data row and COPY it into the staging table."""
        definition = ", ".join(f"{name} {kind}" for name, kind in self._staging_columns())
        self.sql(f"CREATE TEMPORARY TABLE {{st}} ({definition}) ON COMMIT DROP")
        names = ["row_no", "bad", *(name for name, _ in self.stage_columns)]
        self.prepare()
        done = 0
        raw = self.cursor.cursor  # the psycopg cursor: COPY needs it
        with raw.copy(f"COPY {self.table_name} ({', '.join(names)}) FROM STDIN") as copy:
            for row_no, cells in self.run.table.data_rows():
                self._current = cells
                errors_before = len(self.run.errors.get(row_no, ()))
                values = self.parse(row_no, cells)
                if values is None:  # a row the format says to leave out
                    self.run.counts.skipped += 1
                    continue
                bad = len(self.run.errors.get(row_no, ())) > errors_before
                copy.write_row((row_no, bad, *values))
                done += 1
                if done % 2000 == 0:
                    self.run.progress("reading", done, max(done, self.run.options.estimated_rows))
        self.run.counts.rows_total = done + self.run.counts.skipped
        self.run.progress("checking", done, done)

    def rebuild(self, values: dict[str, str], joins: str, params: Sequence[Any] | None = None) -> None:
        """Recompute columns of every row in one pass: a new staging table from a SELECT (`values` are the
        SQL expressions of the columns that change, over the old table `t` and `joins`).

        Rewriting the table this way costs far less than an UPDATE of every row, which leaves a dead
        version of each row and an index entry behind.
        """
        columns = ["row_no", "bad", *(n for n, _ in self.stage_columns), *(n for n, _ in self.work_columns)]
        select = ", ".join(f"{values.get(name, 't.' + name)} AS {name}" for name in columns)
        fresh = f"{self.table_name}_r"
        self.sql(f"CREATE TEMPORARY TABLE {fresh} ON COMMIT DROP AS SELECT {select} FROM {{st}} t {joins}", params)  # noqa: S608
        self.sql("DROP TABLE {st}")
        self.sql(f"ALTER TABLE {fresh} RENAME TO {self.table_name}")
        self.sql("ALTER TABLE {st} ADD PRIMARY KEY (row_no)")

    def drop(self) -> None:
        self.sql("DROP TABLE IF EXISTS {st}")

    def count_actions(self) -> None:
        found = dict(self.rows("SELECT action, count(*) FROM {st} WHERE NOT bad GROUP BY action"))
        counts = self.run.counts
        counts.to_create = found.get("create", 0)
        counts.to_update = found.get("update", 0)
        counts.unchanged = found.get("unchanged", 0)
        counts.error_rows = len(self.run.errors)

    def dry_run(self) -> None:
        # Run inside a transaction (the caller's atomic block): the staging table goes with it, also on errors.
        with connection.cursor() as cursor:
            self.cursor = cursor
            # Before anything is read: what the checks may have seen is at most what came after this.
            since = self.rows(
                "SELECT pg_current_snapshot()::text, (SELECT COALESCE(max(id), 0) FROM core_change),"
                " pg_current_xact_id_if_assigned()::text::bigint"
            )
            self.stage()
            self.check()
            self.classify()
            self.count_actions()
            if not self.run.errors:
                self._save_plan(*since[0])
            self.drop()

    def commit(self) -> tuple[int, int]:
        """Write the dry run's plan if nothing it depends on changed; else check every row again (the data
        may have changed since the dry run) and write. ImportInvalid if any row fails."""
        with connection.cursor() as cursor:
            self.cursor = cursor
            if not self._load_plan():
                self.stage()
                self.check()
                self.classify()
                self.count_actions()
                if self.run.errors:
                    raise ImportInvalid(self.run)
            written = self._write_all()
            # Foreign keys are checked at the end of the transaction: check them now, inside the caller's
            # block, so that a violation rolls this import back as an error rather than the whole request.
            self.sql("SET CONSTRAINTS ALL IMMEDIATE")
            self.drop()
            transaction.on_commit(self.forget_plan)
            return written

    # ---- the dry run's plan ---------------------------------------------------------------

    def _staging_columns(self) -> list[tuple[str, str]]:
        return [
            ("row_no", "integer PRIMARY KEY"),
            ("bad", "boolean NOT NULL DEFAULT false"),
            *self.stage_columns,
            *self.work_columns,
        ]

    def _plan_place(self) -> tuple[Any, str] | None:
        """(storage, name) of this job's plan, or None when the kind keeps none."""
        if not self.depends_on or not self.run.options.job_id:
            return None
        from apps.imports.models import ImportJob

        job = ImportJob.objects.filter(pk=self.run.options.job_id).only("file", "storage_key").first()
        if job is None:
            return None
        return job.file.storage, f"imports/{job.storage_key}-plan.tsv"

    def forget_plan(self) -> None:
        place = self._plan_place()
        if place is not None and place[0].exists(place[1]):
            place[0].delete(place[1])

    def _save_plan(self, snapshot: str, since_id: int, since_xact: int | None) -> None:
        place = self._plan_place()
        if place is None:
            return
        storage, name = place
        header = {
            "version": self.PLAN_VERSION,
            "columns": self._staging_columns(),
            "snapshot": snapshot,
            "since_id": since_id,
            "since_xact": since_xact,
            "counts": asdict(self.run.counts),
        }
        chunks = [json.dumps(header, ensure_ascii=False).encode() + b"\n"]
        names = ", ".join(name for name, _ in self._staging_columns())
        with self.cursor.cursor.copy(
            f"COPY (SELECT {names} FROM {self.table_name} WHERE action IN ('create', 'update')) TO STDOUT"  # noqa: S608
        ) as copy:
            chunks.extend(bytes(data) for data in copy)
        if storage.exists(name):
            storage.delete(name)
        storage.save(name, ContentFile(b"".join(chunks)))

    def _load_plan(self) -> bool:
        """Stage the dry run's plan if it is there and nothing it depends on was written since."""
        place = self._plan_place()
        if place is None:
            return False
        storage, name = place
        if not storage.exists(name):
            return False
        with storage.open(name, "rb") as handle:
            data = handle.read()
        head, _, body = data.partition(b"\n")
        try:
            header = json.loads(head)
        except ValueError:
            return False
        columns = [tuple(c) for c in header.get("columns", [])]
        if header.get("version") != self.PLAN_VERSION or columns != self._staging_columns():
            return False
        changed = self.rows(
            "SELECT seedbed_changed_since(%s::pg_snapshot, %s, %s, %s)",
            [header["snapshot"], header["since_id"], header.get("since_xact"), list(self.depends_on)],
        )[0][0]
        if changed:
            return False
        try:
            with transaction.atomic():
                definition = ", ".join(f"{n} {kind}" for n, kind in columns)
                self.sql(f"CREATE TEMPORARY TABLE {{st}} ({definition}) ON COMMIT DROP")
                with self.cursor.cursor.copy(f"COPY {self.table_name} FROM STDIN") as copy:
                    copy.write(body)
        except DatabaseError:
            return False  # an unreadable plan: check every row again
        self.run.counts = Counts(**header["counts"])
        self.run.progress("checking", self.run.counts.rows_total, self.run.counts.rows_total)
        return True

    def _write_all(self) -> tuple[int, int]:
        total = self.run.counts.to_create + self.run.counts.to_update
        bounds = self.rows("SELECT min(row_no), max(row_no) FROM {st} WHERE action IN ('create', 'update')")[0]
        created = updated = 0
        if bounds[0] is None:
            return 0, 0
        self.run.progress("writing", 0, total)
        self.before_write()
        step = max(1, self.run.options.chunk_rows)
        # Chunks by row number: each is a few set-based statements; progress is reported between them.
        chunk_starts = [r for (r,) in self.rows(
            "SELECT row_no FROM (SELECT row_no, row_number() OVER (ORDER BY row_no) AS n FROM {st}"
            " WHERE action IN ('create', 'update')) x WHERE (n - 1) %% %s = 0 ORDER BY row_no",
            [step],
        )]  # fmt: skip
        for i, lo in enumerate(chunk_starts):
            hi = chunk_starts[i + 1] - 1 if i + 1 < len(chunk_starts) else bounds[1]
            made, changed = self.write(lo, hi)
            created += made
            updated += changed
            self.run.progress("writing", created + updated, total)
        return created, updated

    # ---- shared checks --------------------------------------------------------------------

    def firm_cells(self, row: int) -> tuple[str | None, str]:
        """(uscc, name key) of the row; a row with neither is an error.

        The USCC is '' when the cell is blank (the name then identifies the firm) and None when it
        cannot be read (the row is in error; its name is not tried).
        """
        from apps.imports import cells

        code = self.read(row, "uscc", cells.uscc) if self.header.has("uscc") else ""
        name = self.one_line(row, "name", cells.text(self.cell_value(row, "name"))) if self.header.has("name") else ""
        if code == "" and not name:
            self.run.add(
                row,
                f"{self.label('uscc')}/{self.label('name')}",
                Msg("请填写统一社会信用代码或企业名称。", "Give the USCC or the firm name."),
            )
        return code, name_key(name) if name else ""

    def firm_code(self, row: int, values: list[Any]) -> tuple[str, str]:
        """(uscc, name key) for a row that must name a firm already registered.

        The code is only normalised here, not checked: a row whose code is not registered is an error
        anyway, and `resolve_firms` then says what is wrong with it (length, characters, check
        character) or that the firm is not registered. The name counts only without a code.
        """
        from apps.imports import cells

        at = self.header.columns
        raw = values[at["uscc"].index] if "uscc" in at else None
        code = cells.uscc_normalised(raw)
        if code:
            return code, ""
        name = self.one_line(row, "name", cells.text(values[at["name"].index])) if "name" in at else ""
        if not name:
            self.run.add(
                row,
                f"{self.label('uscc')}/{self.label('name')}",
                Msg("请填写统一社会信用代码或企业名称。", "Give the USCC or the firm name."),
            )
        return "", name_key(name) if name else ""

    def resolve_firms(self, *, missing_uscc_is_error: bool = True, by_code: bool = True) -> None:
        """firm_id and firm_zone from the USCC, or from the exact name when the row has no USCC.

        `by_code=False`: the kind already looked the codes up in a pass of its own.
        """
        in_scope, params = self.firm_scope_sql("f")
        if by_code:
            self.sql(
                "UPDATE {st} SET firm_id = f.id, firm_zone = f.zone_id FROM registry_firm f"  # noqa: S608
                " WHERE {st}.uscc <> '' AND f.uscc = {st}.uscc" + in_scope,
                params,
            )
        if missing_uscc_is_error:
            self.fail(
                self.rows("SELECT row_no, uscc FROM {st} WHERE uscc <> '' AND firm_id IS NULL"),
                USCC.key,
                self._unknown_code,
            )
        if not self.rows("SELECT 1 FROM {st} WHERE uscc = '' AND name_key <> '' LIMIT 1"):
            return
        self.sql(
            "WITH m AS (SELECT normalize(btrim(f.name), NFKC) AS k, min(f.id) AS id, min(f.zone_id) AS zone,"  # noqa: S608 - in_scope is a constant fragment
            " count(*) AS n FROM registry_firm f"
            " WHERE normalize(btrim(f.name), NFKC) IN (SELECT name_key FROM {st} WHERE uscc = '' AND name_key <> '')"
            + in_scope
            + " GROUP BY 1)"
            " UPDATE {st} SET name_matches = m.n, firm_id = CASE WHEN m.n = 1 THEN m.id END,"
            " firm_zone = CASE WHEN m.n = 1 THEN m.zone END"
            " FROM m WHERE {st}.uscc = '' AND {st}.name_key = m.k",
            params,
        )
        self.fail(
            self.rows("SELECT row_no, name_key, name_matches FROM {st} WHERE uscc = '' AND name_matches > 1"),
            NAME.key,
            lambda name, n: Msg(
                f"名称为“{name}”的企业有 {n} 家，无法确定是哪一家，请填写统一社会信用代码。",
                f"{n} firms are named '{name}'; give the USCC to say which one.",
            ),
        )
        self.fail(
            self.rows("SELECT row_no, name_key FROM {st} WHERE uscc = '' AND name_key <> '' AND name_matches IS NULL"),
            NAME.key,
            lambda name: Msg(
                f"没有名称为“{name}”的已登记企业；请填写统一社会信用代码。",
                f"No registered firm is named '{name}'; give the USCC.",
            ),
        )

    def _unknown_code(self, code: str) -> Msg:
        from apps.imports import cells

        try:
            cells.uscc(code, self.label(USCC.key))
        except CellError as exc:
            return exc.message
        return Msg(
            f"统一社会信用代码为 {code} 的企业尚未登记，请先导入或登记该企业。",
            f"No firm with USCC {code} is registered; import or register the firm first.",
        )

    def zones_allowed(self) -> list[int] | None:
        """The zones of the importing user's scope, or None for every zone."""
        return scope_of(self.run.options.user).limited_zones

    def firm_scope_sql(self, alias: str) -> tuple[str, list[Any] | None]:
        """(` AND <alias>.zone_id = ANY(%s)`, [zones]) for a zone-limited importer, else ("", None): firms
        outside their zones are never matched, so a row naming one gets the same answer as a row naming
        no registered firm (a dry run does not tell "in another zone" from "not registered")."""
        zones = self.zones_allowed()
        if zones is None:
            return "", None
        return f" AND {alias}.zone_id = ANY(%s)", [zones]

    def check_scope(self) -> None:
        """Zone-limited staff import only firms of their zones (a second guard: resolution already
        matches only firms of their zones, see `firm_scope_sql`)."""
        zones = self.zones_allowed()
        if zones is None:
            return
        key = USCC.key if self.header.has("uscc") else NAME.key
        self.fail(
            self.rows("SELECT row_no FROM {st} WHERE firm_id IS NOT NULL AND NOT (firm_zone = ANY(%s))", [zones]),
            key,
            lambda: Msg(
                "该企业不在您负责的片区内，您不能导入它的数据。",
                "This firm is outside the zones you look after; you cannot import its data.",
            ),
        )

    def check_duplicates(self, partition: str, key: str, what: Msg) -> None:
        """A later row with the same natural key as an earlier one is an error; the first one stands."""
        self.fail(
            self.rows(
                f"SELECT row_no, first FROM (SELECT row_no, min(row_no) OVER (PARTITION BY {partition}) AS first"  # noqa: S608
                " FROM {st} WHERE NOT bad AND firm_id IS NOT NULL) x WHERE row_no <> first"
            ),
            key,
            lambda first: Msg(f"与第 {first} 行重复（{what.zh}相同）。", f"Repeats row {first} (same {what.en})."),
        )


def column_keys(columns: Iterable[Column]) -> list[str]:
    return [c.key for c in columns]
