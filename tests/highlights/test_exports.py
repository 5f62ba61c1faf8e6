"""Both Excel paths (live rows formatted by PostgreSQL, published member dicts) write valid workbooks."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.highlights.factories import D, cert, firm

pytestmark = pytest.mark.django_db

AWKWARD = "重庆A&B<测试>\x07科技有限公司"


def hnte_sheet(content: bytes) -> list[tuple[Any, ...]]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return list(book["HNTE 高新技术企业"].iter_rows(min_row=3, values_only=True))


def test_awkward_names_survive_both_excel_paths(park: Any, as_user: Any) -> None:
    awkward = firm(park.zone_a, name=AWKWARD)
    cert(awkward, "HNTE", D(2022, 5, 1))
    leaving = firm(park.zone_a, name="重庆迁出科技有限公司", left=D(2022, 7, 1))
    cert(leaving, "HNTE", D(2021, 5, 1))
    staff = as_user(park.staff)
    live = staff.get("/api/v1/highlights/2022/xlsx/")
    published = staff.post("/api/v1/highlight-reports/", {"year": 2022}, format="json").json()
    frozen = staff.get(f"/api/v1/highlight-reports/{published['id']}/xlsx/")
    assert live.status_code == frozen.status_code == 200
    live_rows, frozen_rows = hnte_sheet(live.content), hnte_sheet(frozen.content)
    assert live_rows == frozen_rows
    by_name = {row[0]: row for row in live_rows}
    row = by_name["重庆A&B<测试>科技有限公司"]
    assert row[3:7] == (None, "是", "新增", "HNTE") and row[8] == "2022-05-01"
    assert row[7] == awkward.certifications.get().number
    assert by_name["重庆迁出科技有限公司"][5] == "迁出园区"
    assert by_name["重庆迁出科技有限公司"][10] == "2022-07-01 迁出园区"
