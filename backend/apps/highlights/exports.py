"""Excel and Word exports of a report that carries its firm lists (a published one, or one computed so).

Excel: a summary sheet, then one sheet per report line (every firm of opening ∪ closing, with its
change in the year, so each count is a filter on the sheet), one per tag group, 月度升规 and the
listing pipeline. Written in openpyxl's write-only mode: rows stream out, memory stays flat.

Word: the Chinese narrative (`narrative.paragraphs`), the reconciliation table and the definitions.
"""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import quote

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from apps.highlights import narrative

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


def report_xlsx(report: dict[str, Any], published: dict[str, Any] | None = None) -> bytes:
    book = Workbook(write_only=True)
    used: set[str] = set()
    bold = Font(bold=True)

    def header(sheet: Any, cells: list[str]) -> None:
        row = []
        for value in cells:
            cell = WriteOnlyCell(sheet, value=value)
            cell.font = bold
            row.append(cell)
        sheet.append(row)

    summary = book.create_sheet(_sheet_title("汇总", used))
    summary.append([narrative.title(report)])
    summary.append([narrative.status_line(report, published)])
    identity = "全部成立" if report["identity_ok"] else "不成立"
    summary.append([f"勾稽关系（年末 = 年初 + 新增 + 迁入 − 到期未续 − 撤销 − 迁出园区）：{identity}"])
    summary.append([])
    header(summary, ["代码", "口径", *[name for _, name in narrative.BUCKET_COLUMNS], "增速(%)", "从'0'到'1'", "勾稽"])
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
    header(
        summary, ["代码", "产业口径", "户数", "指标", "合计(元)", "合计", "可比户数", "同比增速(%)", "无上年数据户数"]
    )
    for group in report["tag_groups"]:
        summary.append(
            [
                group["code"],
                group["name"],
                group["count"],
                group["figure_label"],
                float(group["total"]) if group["total"] is not None else None,
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
        header(summary, ["从'0'到'1'", "范围", "日期", "企业"])
        for entry in report["firsts"]:
            summary.append([entry["name"], entry["where"], entry["date"], "、".join(f["name"] for f in entry["firms"])])

    line_columns = [
        "企业名称",
        "统一社会信用代码",
        "所属片区",
        "年初在册",
        "年末在册",
        "年内变动",
        "证书编号",
        "项目",
        "发证日期",
        "有效期至",
        "实际截止",
        "撤销日期",
        "撤销原因",
        "离园日期",
    ]
    for line in report["lines"]:
        sheet = book.create_sheet(_sheet_title(f"{line['code']} {line['name']}", used))
        counts = "，".join(f"{name} {line[key]}" for key, name in narrative.BUCKET_COLUMNS)
        sheet.append([f"{line['name']}（{'、'.join(line['programmes'])}）：{counts}"])
        header(sheet, line_columns)
        for m in line["firms"]:
            cert = m.get("certificate") or {}
            revoked = m.get("revoked") or {}
            sheet.append(
                [
                    m["name"],
                    m["uscc"],
                    m["zone"],
                    _yes(m["opening"]),
                    _yes(m["closing"]),
                    CHANGE_NAMES.get(m["change"], m["change"]) if (m["change"] or m["opening"]) else "",
                    cert.get("number"),
                    cert.get("programme"),
                    cert.get("certificate_date"),
                    cert.get("valid_until"),
                    cert.get("ends_on"),
                    revoked.get("revoked_on"),
                    revoked.get("reason"),
                    m.get("left_park_on"),
                ]
            )
    for group in report["tag_groups"]:
        sheet = book.create_sheet(_sheet_title(f"{group['code']} {group['name']}", used))
        sheet.append([narrative.tag_group_sentence(group)])
        header(
            sheet,
            [
                "企业名称",
                "统一社会信用代码",
                "所属片区",
                f"{report['year']}年{group['figure_label']}(元)",
                f"{report['year'] - 1}年{group['figure_label']}(元)",
            ],
        )
        for firm in group["firms"]:
            sheet.append(
                [
                    firm["name"],
                    firm["uscc"],
                    firm["zone"],
                    float(firm["value"]) if firm["value"] is not None else None,
                    float(firm["prior_value"]) if firm["prior_value"] is not None else None,
                ]
            )
    sheet = book.create_sheet(_sheet_title("月度升规", used))
    header(sheet, ["企业名称", "统一社会信用代码", "所属片区", "入库日期", "证书/登记编号", "批次"])
    for firm in report["monthly_upgrades"]["firms"]:
        sheet.append([firm["name"], firm["uscc"], firm["zone"], firm["date"], firm["number"], firm.get("batch", "")])
    sheet = book.create_sheet(_sheet_title("上市进程", used))
    header(sheet, ["分组", "企业名称", "统一社会信用代码", "所属片区", "阶段", "日期", "板块", "说明"])
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
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ---------------------------------------------------------------- Word


def _font(run: Any, size: float, bold: bool = False) -> None:
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = FONT
    run._element.rPr.rFonts.set(qn("w:eastAsia"), FONT)


def report_docx(report: dict[str, Any], published: dict[str, Any] | None = None) -> bytes:
    document = Document()
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(heading.add_run(narrative.title(report)), 18, bold=True)
    status = document.add_paragraph()
    status.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(status.add_run(narrative.status_line(report, published)), 9)

    for paragraph in narrative.paragraphs(report):
        p = document.add_paragraph()
        p.paragraph_format.first_line_indent = Pt(24)
        p.paragraph_format.space_after = Pt(6)
        _font(p.add_run(paragraph.heading + "　"), 12, bold=True)
        _font(p.add_run(paragraph.text), 12)

    p = document.add_paragraph()
    _font(p.add_run("附表：各口径年度变动核对"), 12, bold=True)
    columns = ["口径", *[name for _, name in narrative.BUCKET_COLUMNS], "增速", "勾稽"]
    table = document.add_table(rows=1, cols=len(columns))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, columns, strict=True):
        cell.text = ""
        _font(cell.paragraphs[0].add_run(text), 9, bold=True)
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
            _font(cell.paragraphs[0].add_run(text), 9)

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
