"""Issue 3's acceptance for imports: a 1,000-row recognition list with 3 bad rows commits nothing; the
returned workbook marks exactly those rows; fixed, it imports 1,000 rows; the same file again changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.core.models import Change
from apps.programmes.models import Certification
from tests.imports.factories import CERT_HEADER, cert_rows, make_firms, read_xlsx, upload, xlsx_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def data_changes() -> int:
    return Change.objects.exclude(table_name="imports_importjob").count()


def test_a_thousand_rows_with_three_bad_ones(park: Any, as_user: Any, media: Any) -> None:
    firms = make_firms(park.zone_a, 1000)
    rows = cert_rows(firms)
    # Three bad rows: an unknown USCC (wrong check character), a date that is no date, a firm not registered.
    rows[10][2] = rows[10][2][:17] + ("0" if rows[10][2][17] != "0" else "1")
    rows[500][4] = "2022-13-45"
    rows[998][2] = "91500116MA5U7X8Y9K"[:17] + "0"
    from tests.factories import uscc_for

    rows[998][2] = uscc_for(999_999)
    bad_rows = {10 + 2, 500 + 2, 998 + 2}  # header is row 1
    data = xlsx_bytes([CERT_HEADER, *rows])
    client = as_user(park.staff)

    answer = upload(client, data, "2022年第一批高新技术企业名单.xlsx", "certifications", programme="HNTE")
    assert answer.status_code == 201, answer.content
    job = answer.json()
    assert job["status"] == "invalid"
    assert (job["rows_total"], job["to_create"], job["error_rows"]) == (1000, 997, 3)
    assert {e["row"] for e in job["row_errors"]} == bad_rows
    by_row = {e["row"]: e for e in job["row_errors"]}
    assert by_row[12]["column"] == "统一社会信用代码" and "校验位" in by_row[12]["message"]
    assert by_row[502]["column"] == "发证日期" and "2022-13-45" in by_row[502]["message"]
    assert "尚未登记" in by_row[1000]["message"]

    before = data_changes()
    refused = client.post(f"/api/v1/imports/{job['id']}/commit/", {}, format="json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "conflict"
    assert Certification.objects.count() == 0
    assert data_changes() == before

    workbook = client.get(job["error_workbook_url"])
    assert workbook.status_code == 200
    assert workbook["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = read_xlsx(b"".join(workbook.streaming_content))
    assert sheet[0][6] == "错误原因"
    marked = {number for number, row in enumerate(sheet, start=1) if number > 1 and len(row) > 6 and row[6]}
    assert marked == bad_rows
    assert "发证日期" in sheet[501][6]

    # Fix the three rows in the returned workbook itself (its error column is ignored on the way back).
    fixed = [list(r) for r in sheet]
    fixed[11][2] = firms[10].uscc
    fixed[501][4] = "2022-12-19"
    extra = make_firms(park.zone_a, 1, start=50_000)[0]
    fixed[999][2] = extra.uscc
    fixed[999][1] = extra.name
    again = upload(client, xlsx_bytes(fixed), "名单-改正.xlsx", "certifications", programme="HNTE")
    assert again.status_code == 201, again.content
    job2 = again.json()
    assert (job2["status"], job2["to_create"], job2["error_rows"]) == ("ready", 1000, 0)
    assert job2["error_workbook_url"] is None
    done = client.post(f"/api/v1/imports/{job2['id']}/commit/", {}, format="json")
    assert done.status_code == 200, done.content
    assert (done.json()["status"], done.json()["created"]) == ("committed", 1000)
    assert Certification.objects.count() == 1000
    cert = Certification.objects.get(number=rows[0][3])
    assert (cert.valid_from.isoformat(), cert.valid_until.isoformat()) == ("2022-12-19", "2025-12-18")
    assert (cert.level, cert.batch, cert.created_by) == ("national", "2022年第一批", park.staff)
    history = Change.objects.filter(table_name="programmes_certification", object_id=str(cert.pk)).get()
    assert (history.source, history.actor_label) == ("import", park.staff.username)

    # The same file once more: nothing to do, nothing written, not even history.
    before = data_changes()
    third = upload(client, xlsx_bytes(fixed), "名单-改正.xlsx", "certifications", programme="HNTE").json()
    assert (third["to_create"], third["to_update"], third["unchanged"], third["error_rows"]) == (0, 0, 1000, 0)
    committed = client.post(f"/api/v1/imports/{third['id']}/commit/", {}, format="json").json()
    assert (committed["status"], committed["created"], committed["updated"]) == ("committed", 0, 0)
    assert Certification.objects.count() == 1000
    assert data_changes() == before


def test_commit_is_idempotent(park: Any, as_user: Any, media: Any) -> None:
    firms = make_firms(park.zone_a, 3)
    client = as_user(park.staff)
    job = upload(
        client, xlsx_bytes([CERT_HEADER, *cert_rows(firms)]), "a.xlsx", "certifications", programme="HNTE"
    ).json()
    first = client.post(f"/api/v1/imports/{job['id']}/commit/", {}, format="json")
    second = client.post(f"/api/v1/imports/{job['id']}/commit/", {}, format="json")
    assert first.status_code == second.status_code == 200
    assert second.json()["created"] == 3
    assert Certification.objects.count() == 3


def test_upload_form_errors(park: Any, as_user: Any, media: Any) -> None:
    client = as_user(park.staff, "en")
    answer = client.post(
        "/api/v1/imports/",
        {"file": SimpleUploadedFile("a.csv", b"x"), "kind": "certifications", "programme": "HNTE", "level": "district"},
        format="multipart",
    )
    assert answer.status_code == 400
    assert "level" in answer.json()["errors"]
    assert "only has these levels" in answer.json()["errors"]["level"][0]
