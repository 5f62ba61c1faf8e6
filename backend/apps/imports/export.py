"""Exports of the lists to XLSX and CSV: `GET /api/v1/<list>/export/?format=xlsx|csv&<the list's filters>`.

`ExportMixin` adds the `export` action to a list viewset: the same scope, filters and ordering as
the list, all rows instead of a page (up to SEEDBED_EXPORT_MAX_ROWS). The columns are those of the
import formats (apps.imports.formats), with the Chinese headers, so that an export re-imports with
zero changes. Listing events have no import; their export has its own columns.

Text a spreadsheet would run as a formula (starting with = + - @, tab or carriage return) is
neutralised with a leading apostrophe, in CSV and in XLSX. Numbers and dates are written as numbers
and dates (XLSX) or plain literals (CSV), which no spreadsheet runs.

CSV is UTF-8 with a byte-order mark, which Excel needs to read Chinese correctly. Without
`format`, CSV.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.db.models import Model, QuerySet
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers, serializers
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request

from apps.core import clock
from apps.core.i18n import t
from apps.figures.models import AnnualFigures, MonthlyFigures
from apps.imports.cells import neutralise
from apps.imports.formats import ANNUAL_FIGURES, CERTIFICATIONS, FIRMS, MONTHLY_FIGURES, TableFormat
from apps.imports.kinds.certifications import level_label
from apps.imports.kinds.figures import state_label
from apps.imports.kinds.firms import exit_kind_label, legal_form_label
from apps.listing.models import ListingEvent
from apps.programmes.models import Certification
from apps.registry.models import Firm

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def max_export_rows() -> int:
    return int(getattr(settings, "SEEDBED_EXPORT_MAX_ROWS", 200_000))


@dataclass(frozen=True)
class Exporter:
    title: str  # file name stem
    headers: list[str]
    row: Callable[[Any, int], list[Any]]  # (object, 1-based position) → cells
    related: tuple[str, ...] = ()


def _firm_row(firm: Firm, n: int) -> list[Any]:
    return [
        firm.uscc,
        firm.name,
        firm.zone.name,
        firm.registration_date,
        legal_form_label(firm.legal_form),
        firm.joint_stock_date,
        firm.industry_id or "",
        firm.entered_park_on,
        firm.left_park_on,
        exit_kind_label(firm.exit_kind) if firm.exit_kind else "",
        "、".join(firm.tags or []),
        firm.address,
        firm.legal_representative,
        firm.notes,
    ]


def _certification_row(cert: Certification, n: int) -> list[Any]:
    return [
        n,
        cert.firm.name,
        cert.firm.uscc,
        cert.number,
        cert.certificate_date,
        cert.batch,
        cert.programme.code,
        level_label(cert.level),
        cert.valid_until,
    ]


def _figures_row(model: type[AnnualFigures] | type[MonthlyFigures]) -> Callable[[Any, int], list[Any]]:
    def row(figure: Any, n: int) -> list[Any]:
        period = [getattr(figure, name) for name in model.PERIOD_FIELDS]
        values = [getattr(figure, name) for name in model.VALUE_FIELDS]
        return [figure.firm.uscc, figure.firm.name, *period, *values, state_label(figure.state)]

    return row


def _listing_row(event: ListingEvent, n: int) -> list[Any]:
    return [
        event.firm.uscc,
        event.firm.name,
        event.get_stage_display().split(" / ")[0],
        event.date,
        event.get_pool_level_display().split(" / ")[0] if event.pool_level else "",
        event.get_board_display().split(" / ")[0] if event.board else "",
        event.sponsor,
        event.get_outcome_display().split(" / ")[0] if event.outcome else "",
        event.announcement_url,
        event.note,
    ]


LISTING_HEADERS = [
    "统一社会信用代码",
    "企业名称",
    "阶段",
    "日期",
    "入库级别",
    "板块",
    "保荐机构",
    "审议结果",
    "公告链接",
    "备注",
]


def _headers(fmt: TableFormat) -> list[str]:
    return fmt.headers("zh")


EXPORTERS: dict[type[Model], Exporter] = {
    Firm: Exporter("企业", _headers(FIRMS), _firm_row, ("zone",)),
    Certification: Exporter("认定证书", _headers(CERTIFICATIONS), _certification_row, ("firm", "programme")),
    AnnualFigures: Exporter("年度数据", _headers(ANNUAL_FIGURES), _figures_row(AnnualFigures), ("firm",)),
    MonthlyFigures: Exporter("月度数据", _headers(MONTHLY_FIGURES), _figures_row(MonthlyFigures), ("firm",)),
    ListingEvent: Exporter("上市进程", LISTING_HEADERS, _listing_row, ("firm",)),
}


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (dt.date, Decimal, int)):
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    return neutralise(str(value))


def write_csv(headers: list[str], rows: Iterable[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in headers])
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_xlsx(title: str, headers: list[str], rows: Iterable[list[Any]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=cast(Any, neutralise(header)))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        cells: list[Any] = []
        for value in row:
            if isinstance(value, dt.date):
                cell = WriteOnlyCell(sheet, value=cast(Any, value))
                cell.number_format = "yyyy-mm-dd"
                cells.append(cell)
            elif isinstance(value, str):
                # Never a formula: a string cell, neutralised as in CSV.
                cells.append(neutralise(value) if value else None)
            else:
                cells.append(value)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_rows(queryset: QuerySet[Any], exporter: Exporter) -> Iterator[list[Any]]:
    if exporter.related:
        queryset = queryset.select_related(*exporter.related)
    for n, obj in enumerate(queryset.iterator(chunk_size=2000), start=1):
        yield exporter.row(obj, n)


class ExportNegotiation(DefaultContentNegotiation):
    """`format` names the file format here, not a renderer: errors render as JSON, the file is the response."""

    def select_renderer(
        self, request: Request, renderers: Iterable[renderers.BaseRenderer], format_suffix: str | None = None
    ) -> Any:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


_EXPORT_SCHEMA = extend_schema(
    parameters=[
        OpenApiParameter(
            "format", OpenApiTypes.STR, enum=["csv", "xlsx"], description="File format (default csv). 文件格式。"
        )
    ],
    filters=True,
    responses={
        (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="UTF-8 CSV with BOM"),
        (200, XLSX_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="Excel workbook"),
    },
)


class ExportMixin:
    """Adds `GET …/export/?format=xlsx|csv` to a list viewset, with the list's own scope and filters."""

    @_EXPORT_SCHEMA
    @action(
        detail=False,
        methods=["get"],
        url_path="export",
        content_negotiation_class=ExportNegotiation,
        renderer_classes=[renderers.JSONRenderer],
    )
    def export(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        """The list as a file (all rows matching the filters, in the list's order)."""
        file_format = (request.query_params.get("format") or "csv").strip().lower()
        if file_format not in ("csv", "xlsx"):
            raise serializers.ValidationError(
                {"format": [t("导出格式只能是 csv 或 xlsx。", "The export format is csv or xlsx.")]}
            )
        view: Any = self
        queryset = view.filter_queryset(view.get_queryset())
        exporter = EXPORTERS[queryset.model]
        limit = max_export_rows()
        total = queryset.count()
        if total > limit:
            raise serializers.ValidationError(
                {
                    "non_field_errors": [
                        t(
                            f"符合条件的记录有 {total} 条，超过一次导出 {limit} 条的上限，请缩小筛选范围。",
                            f"{total} rows match, more than the {limit} one export may hold; narrow the filters.",
                        )
                    ]
                }
            )
        rows = export_rows(queryset, exporter)
        stamp = clock.today().strftime("%Y%m%d")
        if file_format == "xlsx":
            content, content_type = write_xlsx(exporter.title, exporter.headers, rows), XLSX_TYPE
        else:
            content, content_type = write_csv(exporter.headers, rows), CSV_TYPE
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = (
            content_disposition_header(as_attachment=True, filename=f"{exporter.title}-{stamp}.{file_format}") or ""
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response
