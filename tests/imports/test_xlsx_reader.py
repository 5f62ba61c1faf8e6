"""The fast XLSX reader gives the values openpyxl gives, and refuses what no spreadsheet contains."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

import pytest

from apps.imports import xlsx
from apps.imports.formats import CERTIFICATIONS
from apps.imports.reader import MAX_COLUMNS, Source, UnreadableFile, open_table
from tests.imports.factories import CERT_HEADER, xlsx_bytes


def with_openpyxl(data: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    sheet.reset_dimensions()
    return [list(row) for row in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)]


def fast(data: bytes) -> list[list[Any]]:
    return list(xlsx.sheets(data, MAX_COLUMNS)[0][1]())


def trimmed(rows: list[list[Any]]) -> list[list[Any]]:
    out = []
    for row in rows:
        row = list(row)
        while row and row[-1] is None:
            row.pop()
        out.append(row)
    return out


def test_same_values_as_openpyxl_for_a_workbook_openpyxl_wrote() -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["标题"])
    sheet.append([])
    sheet.append(CERT_HEADER)
    sheet.append([1, "重庆甲方科技有限公司", "91500116MA5U7X8Y9K", 202251000123, dt.datetime(2022, 12, 19), "第一批"])
    sheet.append([2.5, "=1+1", True, None, dt.date(2021, 3, 4), -12.75])
    sheet["H9"] = "far away"
    sheet["B9"].number_format = "yyyy/mm/dd"
    sheet["B9"] = 44914
    data = io.BytesIO()
    book.save(data)
    assert trimmed(fast(data.getvalue())) == trimmed(with_openpyxl(data.getvalue()))


def _crafted(sheet_xml: str, *, date1904: bool = False, extra: dict[str, str] | None = None) -> bytes:
    """A workbook as Excel writes it: shared strings, styles with a custom date format."""
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": "<Types/>",
        "xl/workbook.xml": f'<workbook {ns} xmlns:r="{rel}"><workbookPr date1904="{int(date1904)}"/>'
        '<sheets><sheet name="名单" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="x"/></Relationships>',
        "xl/sharedStrings.xml": f"<sst {ns}><si><t>企业名称</t></si><si><r><t>重庆</t></r><r><t>富文本</t></r>"
        "<rPh><t>ちょう</t></rPh></si><si><t>发证日期</t></si></sst>",
        "xl/styles.xml": f"<styleSheet {ns}><numFmts>"
        '<numFmt numFmtId="176" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/>'
        '<numFmt numFmtId="177" formatCode="#,##0.00&quot;元&quot;"/></numFmts>'
        '<cellXfs><xf numFmtId="0"/><xf numFmtId="176"/><xf numFmtId="177"/><xf numFmtId="14"/></cellXfs></styleSheet>',
        "xl/worksheets/sheet1.xml": f"<worksheet {ns}><sheetData>{sheet_xml}</sheetData></worksheet>",
        **(extra or {}),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return out.getvalue()


def test_a_workbook_as_excel_writes_it() -> None:
    data = _crafted(
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="s"><v>2</v></c></row>'
        '<row r="3"><c r="A3" t="s"><v>1</v></c><c r="B3" s="1"><v>44914</v></c><c r="C3" s="2"><v>1234.5</v></c>'
        '<c r="D3" s="3"><f>TODAY()</f><v>44915.5</v></c><c r="E3"><f>1/0</f></c><c r="F3" t="e"><v>#DIV/0!</v></c>'
        '<c r="G3" t="str"><f>A3&amp;"x"</f><v>重庆富文本x</v></c></row>'
    )
    rows = fast(data)
    assert rows[0] == ["企业名称", None, "发证日期"]
    assert rows[1] == []
    assert rows[2] == [
        "重庆富文本",
        dt.datetime(2022, 12, 19),
        1234.5,
        dt.datetime(2022, 12, 20, 12),
        None,
        "#DIV/0!",
        "重庆富文本x",
    ]
    assert fast(_crafted('<row r="1"><c r="A1" s="1"><v>0</v></c></row>', date1904=True))[0] == [
        dt.datetime(1904, 1, 1)
    ]


def test_a_dtd_is_refused_whatever_reads_the_file() -> None:
    bomb = '<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol">]><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'
    data = _crafted('<row r="1"><c r="A1" t="s"><v>0</v></c></row>', extra={"xl/sharedStrings.xml": bomb})
    with pytest.raises(xlsx.Refused):
        xlsx.sheets(data, MAX_COLUMNS)
    with pytest.raises(UnreadableFile):
        open_table(data, Source("xlsx"), CERTIFICATIONS)


def test_files_it_does_not_understand_are_read_by_openpyxl() -> None:
    data = xlsx_bytes([CERT_HEADER, [1, "甲", "91500116MA5U7X8Y9K", "GR1", "2022-12-19", "b"]])
    moved = io.BytesIO()  # the workbook part under another name, found through the package's relationships
    renames = {"xl/workbook.xml": "xl/book.xml", "xl/_rels/workbook.xml.rels": "xl/_rels/book.xml.rels"}
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(moved, "w") as target:
        for item in source.infolist():
            content = source.read(item).replace(b"xl/workbook.xml", b"xl/book.xml")
            target.writestr(renames.get(item.filename, item.filename), content)
    with pytest.raises(xlsx.Unsupported):
        xlsx.sheets(moved.getvalue(), MAX_COLUMNS)
    table = open_table(moved.getvalue(), Source("xlsx"), CERTIFICATIONS)
    assert next(row for _, row in table.data_rows())[2] == "91500116MA5U7X8Y9K"
