"""A small streaming .xlsx writer: inline strings, numbers, a bold style, column widths.

Why not openpyxl: a whole-park export lists every firm of every line (half a million rows on a
park of 200,000 firms); openpyxl, even write-only, writes about 70,000 cells a second, this about
ten times as many, because it does nothing but format rows of plain values into SpreadsheetML and
deflate them into the zip as they come. openpyxl reads the result back in the tests.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from apps.core.text import export_safe

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
# The same characters as UTF-8 bytes (single bytes that never occur inside a multi-byte sequence):
# deleted from every chunk as it is written, by bytes.translate, at memory speed.
_ILLEGAL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
_EMPTY = "<c/>"
_SPACES = " \t\n\r"
# Spreadsheet injection: text starting with one of these is a formula once someone edits the cell or
# saves the sheet as CSV. Such text gets a leading apostrophe, as in every other export (apps.imports.cells).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="{MAIN}"><fonts count="2"><font><sz val="11"/><name val="宋体"/></font>\
<font><b/><sz val="11"/><name val="宋体"/></font></fonts>\
<fills count="2"><fill><patternFill patternType="none"/></fill>\
<fill><patternFill patternType="gray125"/></fill></fills>\
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>\
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"""


def text(value: str | None, style: str = "") -> str:
    """A string cell (None or "" an empty one)."""
    if not value:
        return _EMPTY
    if not value.isprintable():
        value = export_safe(value)
        if not value:
            return _EMPTY
    if value.startswith(_FORMULA_STARTS):
        value = "'" + value
    if "&" in value or "<" in value or ">" in value:
        value = escape(value)
    if value[0] in _SPACES or value[-1] in _SPACES:
        return f'<c t="inlineStr"{style}><is><t xml:space="preserve">{value}</t></is></c>'
    return f'<c t="inlineStr"{style}><is><t>{value}</t></is></c>'


def sql_text_cell(expression: str, *, plain: bool = False) -> str:
    """A SQL expression rendering `expression` (text) as the string cell `text()` would write.

    For lists of hundreds of thousands of rows, PostgreSQL formats the cells (in C) and Python only
    joins them. `plain=True` for values that cannot hold &, < or > (dates, codes the database checks
    against a pattern): no escaping. Other text starting like a formula gets a leading apostrophe.
    Control characters XML forbids are removed by `Sheet.rows_xml` (translate() in SQL costs more
    than everything else together). `expression` is SQL written by the caller, never user input.
    """
    if plain:
        return (
            f"CASE WHEN COALESCE({expression}, '') = '' THEN '{_EMPTY}' "
            f"""ELSE '<c t="inlineStr"><is><t>' || {expression} || '</t></is></c>' END"""
        )
    neutral = (
        f"(CASE WHEN left({expression}, 1) IN ('=', '+', '-', '@', E'\\t', E'\\r') "
        f"THEN '''' || {expression} ELSE {expression} END)"
    )
    value = f"replace(replace(replace({neutral}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')"
    # xml:space="preserve" only where leading or trailing white space would otherwise be dropped.
    return (
        f"CASE WHEN COALESCE({expression}, '') = '' THEN '{_EMPTY}' "
        f"""WHEN btrim({expression}, E' \\t\\n\\r') = {expression} """
        f"""THEN '<c t="inlineStr"><is><t>' || {value} || '</t></is></c>' """
        f"""ELSE '<c t="inlineStr"><is><t xml:space="preserve">' || {value} || '</t></is></c>' END"""
    )


class Sheet:
    """Rows go straight into the zip entry of the sheet, a chunk at a time."""

    CHUNK = 2000

    def __init__(self, stream: Any, widths: Sequence[float] | None) -> None:
        self._stream = stream
        self._pending: list[str] = []
        self._cache: dict[str, str] = {}
        cols = ""
        if widths:
            cols = "<cols>" + "".join(
                f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, start=1)
            )
            cols += "</cols>"
        head = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}">'
        self._stream.write(f"{head}{cols}<sheetData>".encode())

    def cached(self, value: str | None) -> str:
        """A string cell for values that repeat (zone names, dates, 是, change labels): formatted once."""
        if not value:
            return _EMPTY
        found = self._cache.get(value)
        if found is None:
            found = text(value)
            if len(self._cache) < 100_000:
                self._cache[value] = found
        return found

    def _cell(self, value: Any) -> str:
        if value is None or value == "":
            return _EMPTY
        kind = type(value)
        if kind is str:
            return self.cached(value) if len(value) <= 12 else text(value)
        if kind is bool:
            return text("是" if value else "否")
        if kind in (int, float, Decimal):
            return f"<c><v>{value}</v></c>"
        if kind is dt.date:
            return self.cached(value.isoformat())
        return text(str(value))

    def append(self, values: Iterable[Any]) -> None:
        cell = self._cell
        self._pending.append("<row>" + "".join([cell(v) for v in values]) + "</row>")
        if len(self._pending) >= self.CHUNK:
            self._flush()

    def raw(self, cells: str) -> None:
        """A row from cells already formatted (`text`, `cached`, `sql_text_cell`): the fast path for long lists.

        Control characters XML forbids are deleted when the chunk is written (`_write`)."""
        self._pending.append(f"<row>{cells}</row>")
        if len(self._pending) >= self.CHUNK:
            self._flush()

    def rows_xml(self, rows: str) -> None:
        """Many `<row>…</row>` elements built by the caller from formatted cells, written as they are."""
        self._flush()
        self._write(rows)

    def _write(self, xml: str) -> None:
        data = xml.encode().translate(None, _ILLEGAL_BYTES)
        if b"\xef\xbf\xbe" in data or b"\xef\xbf\xbf" in data:  # U+FFFE, U+FFFF: not XML characters either
            data = data.replace(b"\xef\xbf\xbe", b"").replace(b"\xef\xbf\xbf", b"")
        self._stream.write(data)

    def header(self, values: Iterable[str]) -> None:
        self._pending.append("<row>" + "".join(text(v, ' s="1"') for v in values) + "</row>")

    def _flush(self) -> None:
        if self._pending:
            self._write("".join(self._pending))
            self._pending.clear()

    def close(self) -> None:
        self._flush()
        self._stream.write(b"</sheetData></worksheet>")
        self._stream.close()


class Workbook:
    def __init__(self) -> None:
        self._buffer = io.BytesIO()
        self._zip = zipfile.ZipFile(self._buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self._titles: list[str] = []
        self._open: Sheet | None = None

    def sheet(self, title: str, widths: Sequence[float] | None = None) -> Sheet:
        """The next sheet; the one before it is finished first (one sheet is written at a time)."""
        if self._open is not None:
            self._open.close()
        self._titles.append(export_safe(title) or f"Sheet{len(self._titles) + 1}")
        stream = self._zip.open(f"xl/worksheets/sheet{len(self._titles)}.xml", "w", force_zip64=True)
        self._open = Sheet(stream, widths)
        return self._open

    def save(self) -> bytes:
        if self._open is not None:
            self._open.close()
            self._open = None
        n = len(self._titles)
        sheets = "".join(
            f'<sheet name={quoteattr(title)} sheetId="{i}" r:id="rId{i}"/>' for i, title in enumerate(self._titles, 1)
        )
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, n + 1)
        )
        relations = "".join(
            f'<Relationship Id="rId{i}" Type="{REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, n + 1)
        )
        head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        self._zip.writestr(
            "[Content_Types].xml",
            head + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f"{overrides}</Types>",
        )
        self._zip.writestr(
            "_rels/.rels",
            head + f'<Relationships xmlns="{PKG_REL}"><Relationship Id="rId1" '
            f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        self._zip.writestr(
            "xl/workbook.xml",
            head + f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>{sheets}</sheets></workbook>',
        )
        self._zip.writestr(
            "xl/_rels/workbook.xml.rels",
            head + f'<Relationships xmlns="{PKG_REL}">{relations}'
            f'<Relationship Id="rId{n + 1}" Type="{REL}/styles" Target="styles.xml"/></Relationships>',
        )
        self._zip.writestr("xl/styles.xml", STYLES)
        self._zip.close()
        return self._buffer.getvalue()
