"""What an uploaded import file is, and its rows.

Accepted: XLSX (checked as the evidence uploads are: by content, with the zip-bomb caps of
apps.figures.uploads), and CSV/TXT text in UTF-8 (with or without BOM), UTF-16 with BOM (Excel's
"Unicode text"), or GB18030 — the superset of GBK that Chinese Excel writes CSV in. The encoding is
detected, never asked for. Everything else is refused, with the reason.

XLSX cells are read as values: a formula gives the value Excel last calculated and saved with the
file (nothing here evaluates anything), or nothing if the file was never calculated.

Rows are numbered as a spreadsheet shows them (the first line is row 1), so that an error names the
row the uploader sees.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings

from apps.core.i18n import t
from apps.figures import uploads
from apps.imports import xlsx
from apps.imports.formats import HeaderMatch, TableFormat

CSV, XLSX = "csv", "xlsx"
EXTENSIONS = {"csv": CSV, "txt": CSV, "xlsx": XLSX}
# Where the header may be: recognition lists often start with a title line or two.
HEADER_SEARCH_ROWS = 10
# Columns read from a sheet. Not a policy value: no import format comes near it, and it bounds the
# work a sheet that claims 16,384 columns can cause.
MAX_COLUMNS = 200


def max_rows() -> int:
    return int(getattr(settings, "SEEDBED_IMPORT_MAX_ROWS", 200_000))


class UnreadableFile(ValueError):
    """The file as a whole cannot be imported; the message says why (bilingual, lazy)."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class Source:
    file_format: str  # csv or xlsx
    encoding: str = ""  # for CSV
    delimiter: str = ","


def _neither() -> UnreadableFile:
    return UnreadableFile(
        t(
            "只能导入 Excel (.xlsx) 或 CSV 文件。",
            "Only Excel (.xlsx) or CSV files can be imported.",
        )
    )


def inspect(stream: IO[bytes], name: str) -> Source:
    """The format and encoding of the upload, from its content; the name's extension must agree."""
    ext = uploads.extension_of(name)
    claimed = EXTENSIONS.get(ext)
    if claimed is None:
        raise _neither()
    stream.seek(0)
    head = stream.read(8)
    stream.seek(0)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFile(
            t(
                "这是旧版 Excel (.xls) 文件，请在 Excel 中“另存为” .xlsx 或 CSV 后再导入。",
                "This is an old Excel (.xls) file; save it as .xlsx or CSV in Excel and import that.",
            )
        )
    if head.startswith(b"PK\x03\x04"):
        try:
            kind = uploads.sniff(stream)
        except uploads.UnacceptableFile as exc:
            raise UnreadableFile(exc.message) from exc
        if kind != uploads.XLSX:
            raise _neither()
        if claimed != XLSX:
            raise _mismatch(ext, "Excel (.xlsx)")
        return Source(XLSX)
    try:
        uploads.sniff(stream)
    except uploads.UnacceptableFile:
        pass  # not a known binary type: may be text
    else:
        raise _neither()  # a PDF, an image …
    source = _text_source(stream.read())
    stream.seek(0)
    if claimed != CSV:
        raise _mismatch(ext, "CSV")
    return source


def _mismatch(ext: str, actual: str) -> UnreadableFile:
    return UnreadableFile(
        t(
            f"文件名为 .{ext}，但内容是 {actual}。请改正文件名后重新上传。",
            f"The name says .{ext} but the content is {actual}. Correct the name and upload again.",
        )
    )


def _text_source(data: bytes) -> Source:
    text = decode(data)  # raises when it is not text
    return Source(CSV, encoding=_encoding_of(data), delimiter=_delimiter(text))


def _encoding_of(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def decode(data: bytes, encoding: str = "") -> str:
    encoding = encoding or _encoding_of(data)
    if encoding != "utf-16" and b"\x00" in data[:65536]:
        raise _neither()
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            t(
                "无法识别文件的文字编码（支持 UTF-8 和 GBK/GB18030）。",
                "The text encoding of the file is not recognised (UTF-8 and GBK/GB18030 are supported).",
            )
        ) from exc
    if "\x00" in text:  # no text file has one, and PostgreSQL cannot store it
        raise _neither()
    return text


def _delimiter(text: str) -> str:
    best, best_count = ",", 0
    for line in text.splitlines()[:HEADER_SEARCH_ROWS]:
        for candidate in (",", "\t", ";"):
            found = line.count(candidate)
            if found > best_count:
                best, best_count = candidate, found
    return best


# ---------------------------------------------------------------------------------------------
# Rows


@dataclass
class Table:
    """A sheet with its header found: rows before the header, the header, then the data rows."""

    sheet: str
    header: HeaderMatch
    header_cells: list[Any]
    width: int
    preamble: list[list[Any]]
    _rows: Any  # a function returning a fresh iterator of raw rows

    @property
    def header_row_number(self) -> int:
        return self.header.row_index + 1

    def data_rows(self) -> Iterator[tuple[int, list[Any]]]:
        """(row number, cells) after the header, blank rows left out, at most max_rows() of them."""
        limit = max_rows()
        seen = 0
        for index, cells in enumerate(self._rows()):
            if index <= self.header.row_index:
                continue
            row = list(cells[: self.width])
            try:
                blank = not "".join(row).strip()  # text cells (all of a CSV): one C-speed test
            except TypeError:
                blank = not any(cell is not None and str(cell).strip() != "" for cell in row)
            if blank:
                continue
            seen += 1
            if seen > limit:
                raise UnreadableFile(
                    t(
                        f"文件超过 {limit} 行的上限，请拆分后分批导入。",
                        f"The file has more than {limit} rows, the limit; split it and import the parts.",
                    )
                )
            if len(row) < self.width:
                row.extend([None] * (self.width - len(row)))
            yield index + 1, row

    def all_rows(self) -> Iterator[tuple[int, list[Any]]]:
        """Every row up to the last non-blank one, for writing the file back with its errors.

        Blank rows keep their place (so the rows keep their numbers), except that a run of more than
        a thousand of them, which only a doctored sheet has, shrinks to a thousand.
        """
        pending = 0
        for index, cells in enumerate(self._rows()):
            row = list(cells[: self.width])
            if index > self.header.row_index and not any(c is not None and str(c).strip() != "" for c in row):
                pending += 1
                continue
            for blank in range(min(pending, 1000)):
                yield index + 1 - pending + blank, []
            pending = 0
            yield index + 1, row


def open_table(data: bytes, source: Source, fmt: TableFormat) -> Table:
    """Finds the sheet and the row holding `fmt`'s header; UnreadableFile if there is none."""
    if source.file_format == XLSX:
        return _open_xlsx(data, fmt)
    text = decode(data, source.encoding)

    def rows() -> Iterator[list[Any]]:
        return iter(csv.reader(io.StringIO(text, newline=""), delimiter=source.delimiter))

    return _find_header("CSV", rows, fmt)


def _damaged() -> UnreadableFile:
    return UnreadableFile(t("Excel 文件已损坏或无法读取。", "The Excel file is damaged or cannot be read."))


def _refused() -> UnreadableFile:
    return UnreadableFile(
        t(
            "Excel 文件中含有 XML 文档类型定义（DTD）或实体声明，正常的 Excel 文件不会有这些内容，已拒绝导入。"
            "请在 Excel 中重新保存后再导入。",
            "The Excel file holds an XML document type definition (DTD) or entity declarations, which real "
            "Excel files never do; it is refused. Save it again in Excel and import that.",
        )
    )


def _open_xlsx(data: bytes, fmt: TableFormat) -> Table:
    """The sheet with the header, read by the fast reader (apps.imports.xlsx), or by openpyxl when the
    fast reader does not understand the file."""
    try:
        found = xlsx.sheets(data, MAX_COLUMNS)
    except xlsx.Refused as exc:
        raise _refused() from exc
    except xlsx.Unsupported:
        return _open_xlsx_with_openpyxl(data, fmt)
    for title, rows in found[:20]:

        def checked(rows: Any = rows) -> Iterator[Any]:
            try:
                yield from rows()
            except xlsx.Refused as exc:
                raise _refused() from exc
            except xlsx.Unsupported as exc:
                raise _damaged() from exc

        try:
            return _find_header(title, checked, fmt)
        except UnreadableFile:
            continue
    raise _no_header(fmt)


def _open_xlsx_with_openpyxl(data: bytes, fmt: TableFormat) -> Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception as exc:
        raise _damaged() from exc
    for sheet in book.worksheets[:20]:
        sheet.reset_dimensions()  # trust the cells, not the size the writer claimed

        def rows(sheet: Any = sheet) -> Iterator[Any]:
            return iter(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True))

        try:
            return _find_header(sheet.title, rows, fmt)
        except UnreadableFile:
            continue
    raise _no_header(fmt)


def _find_header(sheet: str, rows: Any, fmt: TableFormat) -> Table:
    preamble: list[list[Any]] = []
    for index, cells in enumerate(rows()):
        if index >= HEADER_SEARCH_ROWS:
            break
        cells = list(cells[:MAX_COLUMNS])
        match = fmt.match(cells, index)
        if match is not None:
            width = max((i for i, c in enumerate(cells) if c is not None and str(c).strip() != ""), default=0) + 1
            return Table(sheet, match, cells[:width], width, preamble, rows)
        preamble.append(cells)
    raise _no_header(fmt)


def _no_header(fmt: TableFormat) -> UnreadableFile:
    zh = "、".join(fmt.headers("zh")[:6])
    en = ", ".join(fmt.headers("en")[:6])
    return UnreadableFile(
        t(
            f"在文件前 {HEADER_SEARCH_ROWS} 行中没有找到{fmt.title_zh}的表头（应包含：{zh} 等列）。",
            f"No {fmt.title_en.lower()} header found in the first {HEADER_SEARCH_ROWS} rows "
            f"(expected columns such as {en}).",
        )
    )


def estimate_rows(data: bytes, source: Source) -> int:
    """A cheap upper estimate of the data rows, to decide between inline and background processing."""
    if source.file_format == CSV:
        return data.count(b"\n") + 1
    try:
        xlsx.refuse_dtds(data)  # before openpyxl opens anything
    except xlsx.Refused:
        return 0  # the real read refuses the file
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
        sizes = [sheet.max_row or 0 for sheet in book.worksheets[:20]]
    except Exception:  # noqa: BLE001 - a damaged file is reported by the real read
        return 0
    if any(size == 0 for size in sizes):
        return max(len(data) // 40, max(sizes, default=0))  # no dimension recorded: judge by size
    return max(sizes, default=0)
