"""Annual figures (USCC + fiscal year) and monthly figures (USCC + year + month).

Imported figures come from the statistics and tax bureaus, so they are entered as *verified*
versions with source 'import' (as staff entry is, see apps.figures.services.figures_enter): the
previous verified version of the period is superseded, every version stays on record, and an open
proposal of the firm is left for staff to review. A blank cell keeps the current verified value;
a row whose values equal the current verified figures changes nothing. When the file has a 状态
(state) column, as exports do, rows that are not verified (proposals, superseded versions) are left
out, so that an export re-imports unchanged.
"""

from __future__ import annotations

from typing import Any, ClassVar

from apps.figures import services as figure_services
from apps.figures.models import (
    ANNUAL_COUNT_FIELDS,
    ANNUAL_NOT_ABOVE,
    AnnualFigures,
    FigureState,
    FigureVersion,
    MonthlyFigures,
)
from apps.imports import cells
from apps.imports.cells import Msg
from apps.imports.formats import ANNUAL_FIGURES, COUNT, MONTHLY_FIGURES, TableFormat, header_key
from apps.imports.kinds.base import Kind

_VERIFIED_WORDS = {header_key(w) for w in ("已核实", "核实", "verified", FigureState.VERIFIED.value)}


def state_label(state: str) -> str:
    return str(FigureState(state).label).split(" / ")[0] if state in FigureState.values else state


class _FiguresKind(Kind):
    model: ClassVar[type[FigureVersion]]
    table: ClassVar[str]
    period: ClassVar[tuple[str, ...]]

    @classmethod
    def _columns(cls, fmt: TableFormat, model: type[FigureVersion]) -> tuple[tuple[str, str], ...]:
        values = tuple(
            (name, "bigint" if name in ANNUAL_COUNT_FIELDS else "numeric(18,2)") for name in model.VALUE_FIELDS
        )
        return (("uscc", "text"), ("name_key", "text"), *((p, "integer") for p in model.PERIOD_FIELDS), *values)

    work_columns = (*Kind.work_columns, ("cur_id", "bigint"), ("max_version", "integer"))

    def parse(self, row: int, values: list[Any]) -> tuple[Any, ...] | None:  # type: ignore[override]
        if self.header.has("state"):
            state = cells.text(self.cell_value(row, "state"))
            if state and header_key(state) not in _VERIFIED_WORDS:
                return None  # a proposal or an old version in an export: not figures to import
        code, key = self.firm_code(row, values)
        period = self.parse_period(row)
        numbers: list[Any] = []
        for name in self.model.VALUE_FIELDS:
            matched = self.matched(name)
            if matched is None:
                numbers.append(None)
                continue
            if matched.column.kind == COUNT:
                numbers.append(self.read(row, name, cells.count))
            else:
                numbers.append(self.read(row, name, cells.decimal, factor=matched.factor, signed=matched.column.signed))
        given = [n for n, name in zip(numbers, self.model.VALUE_FIELDS, strict=True) if name in self.header.columns]
        if all(n is None for n in given) and not self.run.errors.get(row):
            self.run.add(row, "", Msg("这一行没有任何数据。", "This row has no values."))
        return (code, key, *period, *numbers)

    def parse_period(self, row: int) -> list[int | None]:
        raise NotImplementedError

    def period_errors(self, row: int, period: dict[str, int | None], key: str) -> None:
        for _field, messages in figure_services.period_errors(self.model, period).items():
            for message in messages:
                text = cells.both(message)
                self.error(row, key, Msg(f"“{self.label(key)}”：{text.zh}", f"'{self.label(key)}': {text.en}"))

    # ---- checks ---------------------------------------------------------------------------

    def check(self) -> None:
        self.sql("ANALYZE {st}")  # statistics for the joins below
        self.resolve_firms()
        self.check_scope()
        period = ", ".join(self.period)
        self.check_duplicates(f"firm_id, {period}", self.period[0], Msg("企业和期间", "firm and period"))
        join = " AND ".join(f"v.{p} = {{st}}.{p}" for p in self.period)
        self.sql(
            f"UPDATE {{st}} SET cur_id = v.id FROM {self.table} v WHERE NOT {{st}}.bad"  # noqa: S608
            f" AND v.firm_id = {{st}}.firm_id AND {join} AND v.state = 'verified'"
        )
        self.sql(
            f"UPDATE {{st}} SET max_version = m.top FROM (SELECT firm_id, {period}, max(version) AS top"  # noqa: S608
            f" FROM {self.table} WHERE firm_id IN (SELECT firm_id FROM {{st}} WHERE NOT bad)"
            f" GROUP BY firm_id, {period}) m WHERE m.firm_id = {{st}}.firm_id AND "
            + " AND ".join(f"m.{p} = {{st}}.{p}" for p in self.period)
        )
        if self.model is AnnualFigures:
            for small, large in ANNUAL_NOT_ABOVE:
                self.fail(
                    self.rows(
                        f"SELECT s.row_no, COALESCE(s.{small}, v.{small}), COALESCE(s.{large}, v.{large})"  # noqa: S608
                        f" FROM {{st}} s LEFT JOIN {self.table} v ON v.id = s.cur_id WHERE NOT s.bad"
                        f" AND COALESCE(s.{small}, v.{small}) > COALESCE(s.{large}, v.{large})"
                    ),
                    small,
                    self._not_above(small, large),
                )

    def _not_above(self, small: str, large: str) -> Any:
        def message(a: Any, b: Any) -> Msg:
            zh_s, en_s = self.label(small), self.fmt.column(small).en
            zh_l, en_l = self.label(large), self.fmt.column(large).en
            return Msg(f"“{zh_s}”（{a}）不能超过“{zh_l}”（{b}）。", f"'{en_s}' ({a}) cannot exceed '{en_l}' ({b}).")

        return message

    def classify(self) -> None:
        self.sql("UPDATE {st} SET action = 'create' WHERE NOT bad AND cur_id IS NULL")
        same = " AND ".join(f"COALESCE(s.{c}, v.{c}) IS NOT DISTINCT FROM v.{c}" for c in self.model.VALUE_FIELDS)
        self.sql(
            f"UPDATE {{st}} s SET action = CASE WHEN {same} THEN 'unchanged' ELSE 'update' END"  # noqa: S608
            f" FROM {self.table} v WHERE NOT s.bad AND v.id = s.cur_id"
        )

    def write(self, lo: int, hi: int) -> tuple[int, int]:
        window = "NOT s.bad AND s.row_no BETWEEN %(lo)s AND %(hi)s"
        user = getattr(self.run.options.user, "pk", None)
        params = {"lo": lo, "hi": hi, "user": user, "note": self.run.options.note}
        updated = self.sql(
            f"UPDATE {self.table} v SET state = 'superseded', superseded_at = now(), updated_at = now()"  # noqa: S608
            f" FROM {{st}} s WHERE {window} AND s.action = 'update' AND v.id = s.cur_id",
            params,
        ).rowcount
        values = self.model.VALUE_FIELDS
        period = ", ".join(self.period)
        inserted = self.sql(
            f"INSERT INTO {self.table} (firm_id, {period}, {', '.join(values)}, state, source, version, note,"  # noqa: S608
            " submitted_by_id, reviewed_by_id, reviewed_at, review_note, created_at, updated_at)"
            f" SELECT s.firm_id, {', '.join('s.' + p for p in self.period)},"
            f" {', '.join(f'COALESCE(s.{c}, v.{c})' for c in values)},"
            " 'verified', 'import', COALESCE(s.max_version, 0) + 1, %(note)s, %(user)s, %(user)s, now(), '',"
            " now(), now()"
            f" FROM {{st}} s LEFT JOIN {self.table} v ON v.id = s.cur_id"
            f" WHERE {window} AND s.action IN ('create', 'update') ORDER BY s.row_no",
            params,
        ).rowcount
        return inserted - updated, updated


class AnnualFiguresKind(_FiguresKind):
    fmt = ANNUAL_FIGURES
    model = AnnualFigures
    table = AnnualFigures._meta.db_table
    period = ("fiscal_year",)
    stage_columns = _FiguresKind._columns(ANNUAL_FIGURES, AnnualFigures)

    def parse_period(self, row: int) -> list[int | None]:
        year = self.read(row, "fiscal_year", cells.integer, low=1900, high=2999)
        if year is None and not self.run.errors.get(row):
            self.error(row, "fiscal_year", Msg("请填写会计年度。", "The fiscal year is missing."))
        elif year is not None:
            before = len(self.run.errors.get(row, []))
            self.period_errors(row, {"fiscal_year": year}, "fiscal_year")
            if len(self.run.errors.get(row, [])) > before:
                year = None
        return [year]


class MonthlyFiguresKind(_FiguresKind):
    fmt = MONTHLY_FIGURES
    model = MonthlyFigures
    table = MonthlyFigures._meta.db_table
    period = ("year", "month")
    stage_columns = _FiguresKind._columns(MONTHLY_FIGURES, MonthlyFigures)

    def parse_period(self, row: int) -> list[int | None]:
        year = self.read(row, "year", cells.integer, low=1900, high=2999)
        month = self.read(row, "month", cells.integer, low=1, high=12)
        if (year is None or month is None) and not self.run.errors.get(row):
            self.error(row, "month", Msg("请填写年份和月份。", "The year and month are missing."))
        elif year is not None and month is not None:
            before = len(self.run.errors.get(row, []))
            self.period_errors(row, {"year": year, "month": month}, "month")
            if len(self.run.errors.get(row, [])) > before:
                year = month = None
        return [year, month]
