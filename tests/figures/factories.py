from __future__ import annotations

import io
import struct
import zipfile
import zlib
from decimal import Decimal

import factory
from django.utils import timezone

from apps.core import clock
from apps.figures.models import AnnualFigures, FigureSource, FigureState, MonthlyFigures
from tests.factories import FirmFactory


class AnnualFiguresFactory(factory.django.DjangoModelFactory):
    """Verified figures entered by staff, unless told otherwise."""

    class Meta:
        model = AnnualFigures

    firm = factory.SubFactory(FirmFactory)
    fiscal_year = 2022
    version = factory.Sequence(lambda n: n + 1)
    state = FigureState.VERIFIED
    source = FigureSource.STAFF
    reviewed_at = factory.LazyFunction(timezone.now)
    operating_revenue = Decimal("30000000.00")
    main_business_revenue = Decimal("28000000.00")
    rd_expense = Decimal("1200000.00")
    staff_total = 120
    st_staff = 20


class MonthlyFiguresFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MonthlyFigures

    firm = factory.SubFactory(FirmFactory)
    year = 2022
    month = 6
    version = factory.Sequence(lambda n: n + 1)
    state = FigureState.VERIFIED
    source = FigureSource.STAFF
    reviewed_at = factory.LazyFunction(timezone.now)
    main_business_revenue_ytd = Decimal("12000000.00")
    output_value_ytd = Decimal("13000000.00")


def this_year() -> int:
    return clock.today().year


# Small real files of each accepted kind, and a few that must be refused.

PDF_BYTES = (
    b"%PDF-1.4\n"
    b"1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
    b"2 0 obj <</Type /Pages /Kids [3 0 R] /Count 1>> endobj\n"
    b"3 0 obj <</Type /Page /Parent 2 0 R /MediaBox [0 0 200 200]>> endobj\n"
    b"trailer <</Root 1 0 R>>\n%%EOF\n"
)


def png_bytes() -> bytes:
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["年度", "营业收入"])
    sheet.append([2023, 31000000])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def zip_bytes(members: dict[str, bytes] | None = None, *, count: int = 0, zeros: int = 0) -> bytes:
    """A zip that looks like an XLSX; `count` adds empty members, `zeros` one member of that many zero bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in (members or {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}).items():
            archive.writestr(name, data)
        for index in range(count):
            archive.writestr(f"xl/worksheets/extra{index}.xml", b"")
        if zeros:
            with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as member:
                block = b"\x00" * (1024 * 1024)
                for _ in range(zeros // len(block)):
                    member.write(block)
    return out.getvalue()
