"""A streaming reader of XLSX cell values, for large imports.

openpyxl's read-only mode builds an object per cell and reads about 20,000 cells a second on the
machines Seedbed runs on; a 100,000-row recognition list then takes most of a minute to read, twice
(dry run and commit). This reader walks the sheet XML with the standard library's C parser and
returns what an import needs — the values — an order of magnitude faster:

- strings (shared, inline, rich text), numbers (int when integral, else float), booleans;
- dates: a number whose cell style has a date format becomes a `datetime` (1900 or 1904 date system);
- formulas: the value Excel cached in the file (`<v>`); the formula itself is never looked at;
- error values (#N/A …) as their text; rows keep their numbers (missing rows come back empty).

Anything unexpected raises `Unsupported`, and the caller falls back to openpyxl. Archive limits are
checked before (apps.figures.uploads). XML attacks: a spreadsheet part never has a DTD, so every
part is parsed by defusedxml with DTDs, entities and external references forbidden wherever they
appear in the part (`Refused`: the whole file is refused, never read by openpyxl instead). openpyxl,
which reads what this reader does not understand, uses defusedxml too once it is installed.
"""

from __future__ import annotations

import datetime as dt
import io
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterator
from typing import Any
from xml.etree.ElementTree import Element
from xml.parsers import expat

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"

# Built-in number formats that are dates or times (ECMA-376 18.8.30, with the CJK ones Excel uses).
BUILTIN_DATE_FORMATS = {14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 45, 46, 47}
BUILTIN_DATE_FORMATS |= {50, 51, 52, 53, 54, 55, 56, 57, 58}
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')
_CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")


class Unsupported(ValueError):
    """Something this reader does not handle; openpyxl reads the file instead."""


class Refused(ValueError):
    """A part declares a DTD or entities, which no spreadsheet does: the file is refused."""


class _PrologDone(Exception):
    """The root element started: no DTD can follow."""


def _no_dtd_in(handle: Any, name: str) -> None:
    """Parses a part's prolog (up to its first element), in whatever encoding it declares; a DTD there
    (the only place one can be, and the only place entities can be declared) raises Refused."""
    parser = expat.ParserCreate()

    def refuse(*args: Any) -> None:
        raise Refused(f"{name}: a DTD or an entity")

    def done(*args: Any) -> None:
        raise _PrologDone

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = done
    try:
        while chunk := handle.read(16384):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except (_PrologDone, expat.ExpatError):
        return  # the prolog is clean, or this member is not XML (an image): nothing an XML parser reads


def refuse_dtds(data: bytes) -> None:
    """Every member of the archive, XML or not by its name, checked for a DTD before anything reads it
    (this reader, or openpyxl when this reader gives up). Raises Refused."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return  # not a zip: the reader reports a damaged file
    with archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            try:
                with archive.open(info) as handle:
                    _no_dtd_in(handle, info.filename)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError):
                continue  # an unreadable member: the reader reports it


def _is_date_format(code: str) -> bool:
    stripped = _QUOTED.sub("", code).lower()
    return any(ch in stripped for ch in "ymdhs") and "general" not in stripped


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + (ord(ch) - 64)
    return index - 1


def _text_of(element: Element) -> str:
    """The text of a string item: <t>, or the runs <r><t> of rich text; phonetic hints (<rPh>) left out."""
    direct = element.find(f"{NS}t")
    if direct is not None:
        return direct.text or ""
    return "".join(t.text or "" for r in element.findall(f"{NS}r") for t in r.findall(f"{NS}t"))


class Workbook:
    def __init__(self, data: bytes) -> None:
        refuse_dtds(data)
        try:
            self.archive = zipfile.ZipFile(io.BytesIO(data))
            self._read_workbook()
            self.shared = self._shared_strings()
            self.date_styles = self._date_styles()
        except Refused:
            raise
        except (KeyError, zipfile.BadZipFile, SyntaxError, ValueError) as exc:
            raise Unsupported(str(exc)) from exc

    def _xml(self, name: str, events: tuple[str, ...] = ("end",)) -> Iterator[tuple[str, Any]]:
        """The part's parse events; a DTD, an entity or an external reference anywhere in it raises Refused."""
        try:
            yield from iterparse(
                self.archive.open(name), events=events, forbid_dtd=True, forbid_entities=True, forbid_external=True
            )
        except DefusedXmlException as exc:
            raise Refused(f"{name}: {type(exc).__name__}") from exc

    def _read_workbook(self) -> None:
        rels: dict[str, str] = {}
        for _, element in self._xml("xl/_rels/workbook.xml.rels"):
            if element.tag == f"{PKG_REL_NS}Relationship":
                target = element.get("Target", "")
                path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
                rels[element.get("Id", "")] = path
        self.sheets: list[tuple[str, str]] = []
        self.date1904 = False
        for _, element in self._xml("xl/workbook.xml"):
            if element.tag == f"{NS}sheet":
                self.sheets.append((element.get("name", ""), rels[element.get(f"{REL_NS}id", "")]))
            elif element.tag == f"{NS}workbookPr":
                self.date1904 = element.get("date1904", "0") in ("1", "true")

    def _shared_strings(self) -> list[str]:
        if "xl/sharedStrings.xml" not in self.archive.namelist():
            return []
        strings = []
        for _, element in self._xml("xl/sharedStrings.xml"):
            if element.tag == f"{NS}si":
                strings.append(_text_of(element))
                element.clear()
        return strings

    def _date_styles(self) -> set[int]:
        if "xl/styles.xml" not in self.archive.namelist():
            return set()
        custom: dict[int, str] = {}
        formats: list[int] = []
        in_cell_xfs = False
        for event, element in self._xml("xl/styles.xml", ("start", "end")):
            if element.tag == f"{NS}numFmt" and event == "end":
                custom[int(element.get("numFmtId", "0"))] = element.get("formatCode", "")
            elif element.tag == f"{NS}cellXfs":
                in_cell_xfs = event == "start"
            elif element.tag == f"{NS}xf" and event == "end" and in_cell_xfs:
                formats.append(int(element.get("numFmtId", "0")))
        return {
            index
            for index, fmt in enumerate(formats)
            if fmt in BUILTIN_DATE_FORMATS or (fmt in custom and _is_date_format(custom[fmt]))
        }

    def rows(self, path: str, max_col: int) -> Iterator[list[Any]]:
        """Every row from the first, as lists of values (at most `max_col` of them)."""
        epoch = dt.datetime(1904, 1, 1) if self.date1904 else dt.datetime(1899, 12, 30)
        shared, date_styles = self.shared, self.date_styles
        row_tag, cell_tag, value_tag, inline_tag = f"{NS}row", f"{NS}c", f"{NS}v", f"{NS}is"
        expected = 1
        try:
            for _, element in self._xml(path):
                if element.tag != row_tag:
                    continue
                number = int(element.get("r") or expected)
                while expected < number:  # rows the file leaves out are empty
                    yield []
                    expected += 1
                values: list[Any] = []
                for position, cell in enumerate(element):
                    if cell.tag != cell_tag:
                        continue
                    ref = cell.get("r")
                    column = position
                    if ref is not None:
                        match = _CELL_REF.match(ref)
                        if match is None:
                            raise Unsupported(f"cell reference {ref!r}")
                        column = _column_index(match.group(1))
                    if column >= max_col:
                        continue
                    kind = cell.get("t")
                    value: Any = None
                    for child in cell:
                        if child.tag == value_tag and kind != "inlineStr":
                            value = _number_or_text(child.text, kind, cell.get("s"), shared, date_styles, epoch)
                        elif child.tag == inline_tag and kind == "inlineStr":
                            value = _text_of(child)
                    if value is None:
                        continue
                    if column >= len(values):
                        values.extend([None] * (column + 1 - len(values)))
                    values[column] = value
                element.clear()
                expected = number + 1
                yield values
        except (KeyError, SyntaxError, IndexError, ValueError) as exc:
            if isinstance(exc, Refused):
                raise
            raise Unsupported(str(exc)) from exc


def _number_or_text(
    text: str | None, kind: str | None, style: str | None, shared: list[str], date_styles: set[int], epoch: dt.datetime
) -> Any:
    if text is None:
        return None
    if kind == "s":
        return shared[int(text)]
    if kind in ("str", "e"):
        return text
    if kind == "b":
        return text in ("1", "true")
    if kind == "d":
        return dt.datetime.fromisoformat(text)
    number: int | float = int(text) if text.lstrip("-").isdigit() else float(text)
    if style is not None and int(style) in date_styles:
        return epoch + dt.timedelta(days=float(number))
    return number


def sheets(data: bytes, max_col: int) -> list[tuple[str, Callable[[], Iterator[list[Any]]]]]:
    """(title, a function giving a fresh iterator of its rows) for each sheet, in workbook order."""
    book = Workbook(data)

    def reader(path: str) -> Callable[[], Iterator[list[Any]]]:
        return lambda: book.rows(path, max_col)

    return [(title, reader(path)) for title, path in book.sheets]
