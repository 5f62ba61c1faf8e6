"""The uploaded sheet handed back with an error column (错误原因 / Error) filled for each bad row.

It is always an XLSX, also for a CSV upload, with every row where it was (so row numbers match the
messages), the header, and the rows above the header. Text that a spreadsheet would run as a formula
is neutralised; the importer undoes that when the fixed workbook comes back, and ignores the error
column.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from typing import Any, cast

from apps.imports.cells import neutralise
from apps.imports.formats import ERROR_HEADERS
from apps.imports.kinds.base import RowError
from apps.imports.reader import Table


def error_text(errors: Sequence[RowError], language: str) -> str:
    parts = []
    for error in errors:
        text = error.message.pick(language)
        if error.column and error.column not in text:
            text = f"{error.column}：{text}" if not language.startswith("en") else f"{error.column}: {text}"
        parts.append(text)
    return "；".join(parts) if not language.startswith("en") else "; ".join(parts)


def error_workbook(table: Table, errors: Mapping[int, Sequence[RowError]], language: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill

    english = language.lower().startswith("en")
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=(table.sheet or "Sheet1")[:31] if table.sheet != "CSV" else "导入数据")
    column = table.header.error_column if table.header.error_column is not None else table.width
    red = Font(color="9C0006")
    fill = PatternFill("solid", fgColor="FFC7CE")
    bold = Font(bold=True, color="9C0006")
    header_number = table.header_row_number

    def cell(value: Any, **style: Any) -> Any:
        out = WriteOnlyCell(sheet, value=cast(Any, neutralise(value)))
        if isinstance(value, dt.datetime):
            out.number_format = "yyyy-mm-dd hh:mm:ss"
        elif isinstance(value, dt.date):
            out.number_format = "yyyy-mm-dd"
        for name, setting in style.items():
            setattr(out, name, setting)
        return out

    for number, values in table.all_rows():
        row: list[Any] = [cell(v) for v in values]
        if number == header_number:
            note = ERROR_HEADERS[1] if english else ERROR_HEADERS[0]
            row = _place(row, column, cell(note, font=bold))
        elif number in errors:
            text = error_text(errors[number], language)
            row = [_mark(c, fill) for c in row]
            row = _place(row, column, cell(text, font=red, fill=fill))
        elif column < len(row):
            row = _place(row, column, cell(None))  # an old error text, now fixed
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _place(row: list[Any], column: int, value: Any) -> list[Any]:
    while len(row) <= column:
        row.append(None)
    row[column] = value
    return row


def _mark(cell: Any, fill: Any) -> Any:
    cell.fill = fill
    return cell
