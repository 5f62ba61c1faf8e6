"""Files to import, and helpers to upload them."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from apps.registry.models import Firm, Zone
from tests.factories import uscc_for

CERT_HEADER = ["序号", "企业名称", "统一社会信用代码", "证书编号", "发证日期", "批次"]


def csv_bytes(rows: Iterable[Sequence[Any]], encoding: str = "utf-8-sig", delimiter: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue().encode(encoding)


def xlsx_bytes(
    rows: Iterable[Sequence[Any]], *, title: str = "Sheet1", sheets: dict[str, list[Any]] | None = None
) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    for name, extra in (sheets or {}).items():
        other = book.create_sheet(name)
        for row in extra:
            other.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_xlsx(data: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    sheet = book.worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def upload(client: Any, data: bytes, name: str, kind: str, **form: Any) -> Any:
    payload = {"file": SimpleUploadedFile(name, data), "kind": kind, **form}
    return client.post("/api/v1/imports/", payload, format="multipart")


def make_firms(zone: Zone, n: int, *, start: int = 10_000, prefix: str = "重庆导入测试") -> list[Firm]:
    """Many firms at once (bulk insert; the history triggers still fire)."""
    firms = [
        Firm(
            uscc=uscc_for(start + i),
            name=f"{prefix}{start + i}有限公司",
            zone=zone,
            registration_date=dt.date(2015, 3, 1),
            entered_park_on=dt.date(2016, 1, 1),
            industry_id="C3670",
        )
        for i in range(n)
    ]
    return Firm.objects.bulk_create(firms)


def cert_rows(
    firms: Sequence[Firm], *, day: str = "2022-12-19", batch: str = "2022年第一批", prefix: str = "GR2022"
) -> list[list[Any]]:
    return [[i + 1, firm.name, firm.uscc, f"{prefix}{i + 1:08d}", day, batch] for i, firm in enumerate(firms)]
