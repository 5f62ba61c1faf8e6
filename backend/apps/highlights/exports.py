"""Excel and Word exports of a report that carries its firm lists (a published one, or one computed so).

Excel: a summary sheet, then one sheet per report line (every firm of opening ∪ closing, with its
change in the year, so each count is a filter on the sheet), one per tag group, 月度升规 and the
listing pipeline. Written by `xlsx.Workbook`, which streams rows into the zip (see why there).

Word: the Chinese narrative (`narrative.paragraphs`), the reconciliation table and the definitions.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from apps.core.text import export_safe
from apps.highlights import narrative, xlsx

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CHANGE_NAMES = dict(narrative.BUCKET_COLUMNS) | {"": "保持（未重新认定）"}
FONT = "宋体"


def filename(report: dict[str, Any], extension: str, published: dict[str, Any] | None) -> str:
    version = f"_第{published['version']}版" if published else "_实时"
    return f"{report['scope']['label']}{report['year']}年企业培育亮点{version}.{extension}"


def content_disposition(name: str) -> str:
    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


# ---------------------------------------------------------------- Excel


def _sheet_title(text: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "_", text)[:31]
    title, n = base, 2
    while title in used:
        suffix = f"~{n}"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(title)
    return title


def _yes(value: bool) -> str:
    return "是" if value else ""


LINE_COLUMNS = (
    ("企业名称", 40),
    ("统一社会信用代码", 22),
    ("所属片区", 12),
    ("年初在册", 9),
    ("年末在册", 9),
    ("年内变动", 16),
    ("项目", 14),
    ("证书编号", 20),
    ("发证日期", 12),
    ("有效至", 12),
    ("说明", 40),
)


# The live export asks the database for the firm and certificate cells of its line sheets, ready-made.
# The live export asks the database for the firm and certificate cells of its line sheets, ready-made.
# USCCs, programme codes and dates match patterns the database enforces: no escaping needed.
_CELL = xlsx.sql_text_cell
XLSX_MEMBER_COLUMNS = (
    (" || ".join([_CELL("f.name"), _CELL("f.uscc", plain=True), _CELL("z.name")]), "f.left_park_on::text"),
    (
        " || ".join(
            [
                _CELL("p.code", plain=True),
                _CELL("c.number"),
                _CELL("c.certificate_date::text", plain=True),
                _CELL("(upper(c.period) - 1)::text", plain=True),
            ]
        ),
    ),
)


def _note(m: dict[str, Any]) -> str:
    if m.get("revoked"):
        r = m["revoked"]
        return f"{r['revoked_on']} 撤销（{r['number'] or '无编号'}）：{r['reason']}"
    if m.get("left_park_on"):
        return f"{m['left_park_on']} 迁出园区"
    return ""


def _write_line(sheet: xlsx.Sheet, line: dict[str, Any]) -> None:
    """One row per firm of opening ∪ closing: each count of the line is a filter on this sheet.

    Formatted here without generic type dispatch: a whole-park export has hundreds of thousands of
    these rows. A live export hands over member rows whose firm and certificate cells the database
    formatted (`XLSX_MEMBER_COLUMNS`); a published export its frozen member dicts."""
    text, cached = xlsx.text, sheet.cached
    yes, empty = cached("是"), xlsx.text(None)
    changes = {key: cached(name) for key, name in CHANGE_NAMES.items()}
    if "rows" in line:
        # Rows of `XLSX_MEMBER_COLUMNS`: firm = (its three cells, left_park_on), certificate = (its four cells,)
        revoked = line.get("revocations", {})
        no_cells = empty * 4
        status = {
            (opening, closing, change): (yes if opening else empty)
            + (yes if closing else empty)
            + (changes[change] if (change or opening) else empty)
            for opening in (False, True)
            for closing in (False, True)
            for change in CHANGE_NAMES
        }
        notes = {
            row[1]: text(
                _note({"revoked": revoked.get(row[6])}) if row[4] == "revoked" else _note({"left_park_on": row[7][1]})
            )
            for row in line["rows"]
            if row[4] in ("revoked", "left_park")
        }
        # One f-string per row, no calls: this loop writes hundreds of thousands of rows.
        sheet.rows_xml(
            "".join(
                [
                    f"<row>{firm[0]}{status[(opening, closing, change)]}{cert[0] or no_cells}"
                    f"{notes.get(firm_id, empty) if change in ('revoked', 'left_park') else empty}</row>"
                    for _, firm_id, opening, closing, change, _, _, firm, cert in line["rows"]
                ]
            )
        )
        return
    no_certificate: dict[str, Any] = {}
    for m in line["firms"]:
        certificate: dict[str, Any] = m["certificate"] or no_certificate
        change = m["change"]
        sheet.raw(
            text(m["name"])
            + text(m["uscc"])
            + cached(m["zone"])
            + (yes if m["opening"] else empty)
            + (yes if m["closing"] else empty)
            + (changes[change] if (change or m["opening"]) else empty)
            + cached(certificate.get("programme"))
            + text(certificate.get("number"))
            + cached(certificate.get("certificate_date"))
            + cached(certificate.get("ends_on"))
            + (text(_note(m)) if change in ("revoked", "left_park") else empty)
        )


def report_xlsx(report: dict[str, Any], published: dict[str, Any] | None = None) -> bytes:
    book = xlsx.Workbook()
    used: set[str] = set()

    summary = book.sheet(_sheet_title("汇总", used), widths=[16, 24, 9, 9, 9, 10, 10, 9, 10, 9, 10, 12, 8])
    summary.append([narrative.title(report)])
    summary.append([narrative.status_line(report, published)])
    identity = "全部成立" if report["identity_ok"] else "不成立"
    summary.append([f"勾稽关系（年末 = 年初 + 新增 + 迁入 − 到期未续 − 撤销 − 迁出园区）：{identity}"])
    summary.append([])
    summary.header(["代码", "口径", *[name for _, name in narrative.BUCKET_COLUMNS], "增速(%)", "从'0'到'1'", "勾稽"])
    for line in report["lines"]:
        summary.append(
            [
                line["code"],
                line["name"],
                *[line[key] for key, _ in narrative.BUCKET_COLUMNS],
                line["growth_pct"],
                _yes(line["first"]),
                "成立" if line["identity_ok"] else "不成立",
            ]
        )
    summary.append([])
    summary.header(
        ["代码", "产业口径", "户数", "指标", "合计(元)", "合计", "可比户数", "同比增速(%)", "无上年数据户数"]
    )
    for group in report["tag_groups"]:
        summary.append(
            [
                group["code"],
                group["name"],
                group["count"],
                group["figure_label"],
                Decimal(group["total"]) if group["total"] is not None else None,
                narrative.money(group["total"]),
                group["comparable_firms"],
                group["growth_pct"],
                group["lacking_prior"],
            ]
        )
    summary.append([])
    summary.append(["月度升规（户）", report["monthly_upgrades"]["count"]])
    for bucket in report["listing"]["buckets"]:
        summary.append([f"上市进程：{bucket['name']}（家）", bucket["count"]])
    if report["firsts"]:
        summary.append([])
        summary.header(["从'0'到'1'", "范围", "日期", "企业"])
        for entry in report["firsts"]:
            summary.append([entry["name"], entry["where"], entry["date"], "、".join(f["name"] for f in entry["firms"])])

    for line in report["lines"]:
        sheet = book.sheet(_sheet_title(f"{line['code']} {line['name']}", used), widths=[w for _, w in LINE_COLUMNS])
        counts = "，".join(f"{name} {line[key]}" for key, name in narrative.BUCKET_COLUMNS)
        sheet.append([f"{line['name']}（{'、'.join(line['programmes'])}）：{counts}"])
        sheet.header([name for name, _ in LINE_COLUMNS])
        _write_line(sheet, line)
    for group in report["tag_groups"]:
        sheet = book.sheet(_sheet_title(f"{group['code']} {group['name']}", used), widths=[40, 22, 12, 20, 20])
        sheet.append([narrative.tag_group_sentence(group)])
        year, label = report["year"], group["figure_label"]
        sheet.header(["企业名称", "统一社会信用代码", "所属片区", f"{year}年{label}(元)", f"{year - 1}年{label}(元)"])
        for firm in group["firms"]:
            sheet.append(
                [
                    firm["name"],
                    firm["uscc"],
                    firm["zone"],
                    Decimal(firm["value"]) if firm["value"] is not None else None,
                    Decimal(firm["prior_value"]) if firm["prior_value"] is not None else None,
                ]
            )
    sheet = book.sheet(_sheet_title("月度升规", used), widths=[40, 22, 12, 12, 20, 24])
    sheet.header(["企业名称", "统一社会信用代码", "所属片区", "入库日期", "证书/登记编号", "批次"])
    for firm in report["monthly_upgrades"]["firms"]:
        sheet.append([firm["name"], firm["uscc"], firm["zone"], firm["date"], firm["number"], firm.get("batch", "")])
    sheet = book.sheet(_sheet_title("上市进程", used), widths=[12, 40, 22, 12, 14, 12, 22, 40])
    sheet.header(["分组", "企业名称", "统一社会信用代码", "所属片区", "阶段", "日期", "板块", "说明"])
    for bucket in report["listing"]["buckets"]:
        for firm in bucket["firms"]:
            sheet.append(
                [
                    bucket["name"],
                    firm["name"],
                    firm.get("uscc"),
                    firm.get("zone"),
                    firm["stage_name"],
                    firm["date"],
                    narrative.EXCHANGES.get(firm["board"], ""),
                    firm.get("note", ""),
                ]
            )
    return book.save()


# ---------------------------------------------------------------- Word


def _font(run: Any, size: float, bold: bool = False) -> None:
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = FONT
    run._element.rPr.rFonts.set(qn("w:eastAsia"), FONT)


def report_docx(report: dict[str, Any], published: dict[str, Any] | None = None) -> bytes:
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)  # A4
    section.left_margin = section.right_margin = Cm(2.5)
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(heading.add_run(export_safe(narrative.title(report))), 18, bold=True)
    status = document.add_paragraph()
    status.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(status.add_run(export_safe(narrative.status_line(report, published))), 9)

    for paragraph in narrative.paragraphs(report):
        p = document.add_paragraph()
        p.paragraph_format.first_line_indent = Pt(24)
        p.paragraph_format.space_after = Pt(6)
        _font(p.add_run(export_safe(paragraph.heading + "　")), 12, bold=True)
        _font(p.add_run(export_safe(paragraph.text)), 12)

    p = document.add_paragraph()
    _font(p.add_run("附表：各口径年度变动核对"), 12, bold=True)
    columns = ["口径", *[name for _, name in narrative.BUCKET_COLUMNS], "增速", "勾稽"]
    table = document.add_table(rows=1, cols=len(columns))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, columns, strict=True):
        cell.text = ""
        _font(cell.paragraphs[0].add_run(export_safe(text)), 9, bold=True)
    table.autofit = False
    widths = [Cm(3.0), *[Cm(1.2)] * len(narrative.BUCKET_COLUMNS), Cm(1.8), Cm(1.2)]
    for line in report["lines"]:
        growth = narrative.percent_2(line["growth_pct"]) if line["growth_pct"] is not None else "—"
        values = [
            line["name"],
            *[str(line[key]) for key, _ in narrative.BUCKET_COLUMNS],
            growth,
            "成立" if line["identity_ok"] else "不成立",
        ]
        row = table.add_row().cells
        for cell, text in zip(row, values, strict=True):
            cell.text = ""
            _font(cell.paragraphs[0].add_run(export_safe(text)), 9)

    for column, width in zip(table.columns, widths, strict=True):
        column.width = width  # the grid, which LibreOffice reads
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width  # the cells, which Word reads
    note = document.add_paragraph()
    _font(note.add_run(narrative.DEFINITIONS), 9)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def docx_text(content: bytes) -> str:
    """Every paragraph and table cell of a .docx, in order (for tests and previews)."""
    document = Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append("\t".join(cell.text for cell in row.cells))
    return "\n".join(parts)
