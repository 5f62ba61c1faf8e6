"""What files are accepted and how they are read: encodings, header aliases and title rows, formulas as
values, and the files that are refused (with the reason, nothing stored)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from apps.imports.models import ImportJob
from apps.programmes.models import Certification
from tests.figures.factories import PDF_BYTES, zip_bytes
from tests.imports.factories import CERT_HEADER, cert_rows, csv_bytes, make_firms, upload, xlsx_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def firms(park: Any) -> list[Any]:
    return make_firms(park.zone_a, 3)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_csv_in_every_encoding_excel_writes(park: Any, as_user: Any, media: Any, firms: Any, encoding: str) -> None:
    delimiter = "\t" if encoding == "utf-16" else ","  # Excel's "Unicode text" is tab-separated UTF-16
    data = csv_bytes([CERT_HEADER, *cert_rows(firms)], encoding=encoding, delimiter=delimiter)
    answer = upload(as_user(park.staff), data, "名单.csv", "certifications", programme="HNTE")
    assert answer.status_code == 201, answer.content
    job = answer.json()
    assert (job["status"], job["to_create"], job["file_format"]) == ("ready", 3, "csv")
    assert job["encoding"] == {"gbk": "gb18030"}.get(encoding, encoding)


def test_header_aliases_title_rows_and_english(park: Any, as_user: Any, media: Any, firms: Any) -> None:
    rows = [
        ["重庆市 2022 年第一批拟认定高新技术企业名单"],
        [],
        ["序 号", "单位名称", "社会信用代码", "证书号", "认定日期", "批次名称", "联系人"],
        *[[i, f.name, f.uscc, f"GR{i:06d}", dt.datetime(2022, 12, 19), "第一批", "张三"] for i, f in enumerate(firms)],
    ]
    client = as_user(park.staff)
    job = upload(client, xlsx_bytes(rows, title="名单"), "list.xlsx", "certifications", programme="HNTE").json()
    assert (job["status"], job["to_create"], job["header_row"], job["sheet"]) == ("ready", 3, 3, "名单")
    assert job["ignored_columns"] == ["联系人"]
    english = [["No.", "Firm name", "USCC", "Certificate number", "Certificate date", "Batch"]]
    english += [[1, firms[0].name, firms[0].uscc, "X1", "2022/12/19", "b"]]
    job = upload(client, csv_bytes(english), "list.csv", "certifications", programme="HNTE").json()
    assert (job["status"], job["to_create"]) == ("ready", 1)
    aliases = [["信用代码", "入库登记编号", "发证时间"], [firms[1].uscc, "2022500116A0001", "2022年6月30日"]]
    job = upload(client, csv_bytes(aliases), "tsme.csv", "certifications", programme="TSME").json()
    assert (job["status"], job["to_create"]) == ("ready", 1), job["row_errors"]
    client.post(f"/api/v1/imports/{job['id']}/commit/", {}, format="json")
    cert = Certification.objects.get(number="2022500116A0001")
    assert (cert.certificate_date, cert.valid_until) == (dt.date(2022, 6, 30), dt.date(2022, 12, 31))


def test_the_sheet_with_the_header_is_found(park: Any, as_user: Any, media: Any, firms: Any) -> None:
    data = xlsx_bytes([["说明：本表仅供参考"]], sheets={"名单": [CERT_HEADER, *cert_rows(firms)]})
    job = upload(as_user(park.staff), data, "list.xlsx", "certifications", programme="HNTE").json()
    assert (job["sheet"], job["to_create"]) == ("名单", 3)


def test_formula_cells_are_read_as_their_saved_values_never_evaluated(
    park: Any, as_user: Any, media: Any, firms: Any
) -> None:
    # openpyxl writes formulas without cached values, as a generator that never calculates would:
    # the cell then has no value, and the row says so rather than running anything.
    rows = [CERT_HEADER, [1, firms[0].name, firms[0].uscc, "GR1", '=TEXT(DATE(2022,12,19),"yyyy-mm-dd")', "b"]]
    job = upload(as_user(park.staff), xlsx_bytes(rows), "f.xlsx", "certifications", programme="HNTE").json()
    assert job["status"] == "invalid"
    assert job["row_errors"][0]["column"] == "发证日期"
    assert "请填写发证日期" in job["row_errors"][0]["message"]


def test_a_formula_typed_into_a_csv_is_text(park: Any, as_user: Any, media: Any) -> None:
    rows = [["统一社会信用代码", "企业名称", "园区片区"], [park.firm_a.uscc, '=HYPERLINK("http://x","y")', "zone-a"]]
    client = as_user(park.staff)
    job = upload(client, csv_bytes(rows), "f.csv", "firms").json()
    client.post(f"/api/v1/imports/{job['id']}/commit/", {}, format="json")
    park.firm_a.refresh_from_db()
    assert park.firm_a.name == '=HYPERLINK("http://x","y")'  # stored as typed; exports neutralise it


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("名单.pdf", PDF_BYTES, "Only Excel (.xlsx) or CSV"),
        ("名单.xlsx", PDF_BYTES, "Only Excel (.xlsx) or CSV"),
        ("名单.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "Only Excel (.xlsx) or CSV"),
        ("名单.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old Excel (.xls)"),
        ("名单.csv", b"\x00\x01\x02binary\x00", "Only Excel (.xlsx) or CSV"),
        ("名单.csv", xlsx_bytes([CERT_HEADER]), "the content is Excel"),
        ("名单.xlsx", csv_bytes([CERT_HEADER]), "the content is CSV"),
        ("名单.xlsx", zip_bytes(count=1200), "zip bomb"),
        ("名单.xlsx", zip_bytes({"a.txt": b"x"}), "not an Excel"),
        ("名单.csv", "企业名称,地址\n甲,乙\n".encode(), "No certifications header"),
        ("名单.csv", b"abc\x80\xff\x80" * 5, "encoding"),
        ("名单.csv", ",".join(CERT_HEADER).encode() + b"\n" + b"x" * 70_000 + b"\x00\n", "Only Excel (.xlsx) or CSV"),
    ],
)
def test_files_that_are_refused(park: Any, as_user: Any, media: Any, name: str, content: bytes, expected: str) -> None:
    answer = upload(as_user(park.staff, "en"), content, name, "certifications", programme="HNTE")
    assert answer.status_code == 400, answer.content
    assert expected in answer.json()["errors"]["file"][0]
    assert ImportJob.objects.count() == 0
    assert not list(media.rglob("*.*"))


def test_size_and_row_caps(park: Any, as_user: Any, media: Any, settings: Any, firms: Any) -> None:
    settings.SEEDBED_MAX_UPLOAD_BYTES = 100
    data = csv_bytes([CERT_HEADER, *cert_rows(firms)])
    assert upload(as_user(park.staff), data, "a.csv", "certifications", programme="HNTE").status_code == 413
    settings.SEEDBED_MAX_UPLOAD_BYTES = 20 * 1024 * 1024
    settings.SEEDBED_IMPORT_MAX_ROWS = 2
    job = upload(as_user(park.staff, "en"), data, "a.csv", "certifications", programme="HNTE").json()
    assert job["status"] == "failed"
    assert "more than 2 rows" in job["message"]
    assert job["to_create"] == 0


def test_errors_follow_the_uploaders_language(park: Any, as_user: Any, media: Any, firms: Any) -> None:
    rows = [CERT_HEADER, [1, firms[0].name, firms[0].uscc, "GR1", "soon", "b"]]
    job = upload(as_user(park.staff, "en"), csv_bytes(rows), "a.csv", "certifications", programme="HNTE").json()
    assert job["row_errors"] == [
        {"row": 2, "column": "发证日期", "message": "'发证日期': 'soon' is not a date (write it like 2022-12-19)."}
    ]
    from tests.imports.factories import read_xlsx

    sheet = read_xlsx(b"".join(as_user(park.staff, "en").get(job["error_workbook_url"]).streaming_content))
    assert sheet[0][6] == "Error" and "is not a date" in sheet[1][6]
    # Read by a Chinese-speaking colleague (an administrator), the API answers in Chinese.
    chinese = as_user(park.admin).get(f"/api/v1/imports/{job['id']}/").json()
    assert "无法识别的日期" in chinese["row_errors"][0]["message"]
