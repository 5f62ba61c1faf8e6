"""Issue 13, findings 3 (the edge) and 8: control characters and line breaks in stored and incoming text.

- Every export (lists as CSV and XLSX, the highlights workbook and Word document, live and published,
  the import error workbook) answers 200 and a file that opens, whatever text is stored.
- One-line fields refuse line breaks and control characters at the API (400 naming the field), and
  imports replace them by spaces, listing the cells in the dry run.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from apps.core.models import Change
from apps.highlights.exports import docx_text
from apps.imports.cells import neutralise
from apps.programmes.models import Certification
from apps.registry.models import Contact, Firm
from tests.factories import FirmFactory, uscc_for
from tests.figures.factories import AnnualFiguresFactory, MonthlyFiguresFactory
from tests.highlights.factories import D, cert
from tests.imports.factories import read_csv, upload, xlsx_bytes
from tests.listing.factories import ListingEventFactory

pytestmark = pytest.mark.django_db

# Every C0 control PostgreSQL can store (NUL it cannot), DEL, C1 NEL, the line and paragraph
# separators, and the non-characters U+FFFE / U+FFFF. (Lone surrogates cannot be stored either:
# PostgreSQL's UTF-8 refuses them, and so does the API's JSON decoding.)
HOSTILE = "".join(chr(c) for c in range(1, 32)) + "\x7f\x85\u2028\u2029\ufffe\uffff"
XML_FORBIDDEN = [chr(c) for c in range(1, 32) if chr(c) not in "\t\n\r"] + ["\ufffe", "\uffff"]


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def hostile(park: Any) -> Firm:
    """A firm whose every text holds every control character, with a record of every exported kind.
    Stored past the API (an older version, a bulk fill, SQL): what is stored must export anyway."""
    firm = FirmFactory(zone=park.zone_a, name="重庆控制字符科技有限公司", entered_park_on=D(2015, 1, 1))
    held = cert(firm, "HNTE", D(2022, 5, 1))
    Certification.objects.filter(pk=held.pk).update(number=f"GR{HOSTILE}1", batch=HOSTILE)
    AnnualFiguresFactory(firm=firm)
    MonthlyFiguresFactory(firm=firm)
    ListingEventFactory(firm=firm, sponsor=HOSTILE, note=HOSTILE * 3, date=dt.date(2021, 3, 1))
    Firm.objects.filter(pk=firm.pk).update(
        name=f"重庆{HOSTILE}科技有限公司",
        address=HOSTILE,
        legal_representative="\x0b张三",
        notes=HOSTILE + "很长" * 40_000,
        tags=[HOSTILE, "数字经济"],
    )
    return firm


def _opens(content: bytes, kind: str) -> str:
    """The file's text, read back the way a user's program would."""
    if kind == "csv":
        return "\n".join(",".join(row) for row in read_csv(content))
    if kind == "xlsx":
        book = load_workbook(io.BytesIO(content))
        return "\n".join(str(c.value) for sheet in book.worksheets for row in sheet.iter_rows() for c in row)
    return docx_text(content)


def _assert_clean(text: str, where: str) -> None:
    bad = [hex(ord(c)) for c in XML_FORBIDDEN if c in text]
    assert not bad, (where, bad)


@pytest.mark.parametrize("name", ["firms", "certifications", "annual-figures", "monthly-figures", "listing-events"])
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_every_list_export_answers_200_whatever_text_is_stored(park, as_user, hostile, name, file_format) -> None:
    for user in (park.staff, park.staff_a, park.viewer, park.admin):
        answer = as_user(user).get(f"/api/v1/{name}/export/", {"format": file_format})
        assert answer.status_code == 200, (name, file_format, user.username, answer.content[:300])
    text = _opens(answer.content, file_format)
    _assert_clean(text, f"{name}.{file_format}")
    if name == "firms":
        assert "很长很长" in text, "the very long notes are exported, cleaned, not dropped"


def test_the_highlights_workbook_and_document_answer_200_whatever_text_is_stored(park, as_user, hostile) -> None:
    client = as_user(park.staff)
    files = {
        "live xlsx": (client.get("/api/v1/highlights/2022/xlsx/"), "xlsx"),
        "live docx": (client.get("/api/v1/highlights/2022/docx/"), "docx"),
    }
    report = client.post("/api/v1/highlight-reports/", {"year": 2022}, format="json")
    assert report.status_code == 201, report.content
    rid = report.json()["id"]
    files["published xlsx"] = (client.get(f"/api/v1/highlight-reports/{rid}/xlsx/"), "xlsx")
    files["published docx"] = (client.get(f"/api/v1/highlight-reports/{rid}/docx/"), "docx")
    for where, (answer, kind) in files.items():
        assert answer.status_code == 200, (where, answer.content[:300])
        _assert_clean(_opens(answer.content, kind), where)
    assert "科技有限公司" in _opens(files["live xlsx"][0].content, "xlsx"), "the firm is listed, cleaned"


def test_the_import_error_workbook_answers_200_whatever_the_uploaded_cells_hold(park, as_user, media) -> None:
    rows = [
        ["统一社会信用代码", "企业名称", "园区片区", "备注"],
        ["91500000NOTAUSCC", "重庆\x0b\x01名称", "zone-a", HOSTILE],
    ]
    client = as_user(park.staff)
    job = upload(client, "\n".join(",".join(f'"{c}"' for c in row) for row in rows).encode(), "企业.csv", "firms")
    assert job.status_code == 201, job.content
    assert job.json()["status"] == "invalid"
    book = client.get(f"/api/v1/imports/{job.json()['id']}/error-workbook/")
    assert book.status_code == 200
    _assert_clean(_opens(b"".join(book.streaming_content), "xlsx"), "error workbook")


def test_the_shared_cleaning_keeps_line_breaks_and_formula_neutralising() -> None:
    assert neutralise("=1+2\x0b") == "'=1+2"
    assert neutralise("\x0b=1+2") == "'=1+2", "a control character cannot hide a formula"
    assert neutralise("甲\n乙\t丙\r") == "甲\n乙\t丙\r"
    assert neutralise("\ufffe甲\uffff\ud800") == "甲"
    assert neutralise(12) == 12


# ---------------------------------------------------------------------------- the edge: API and imports

LINE_BREAKS = ["\n", "\r", "\r\n", "\t", "\x0b", "\x0c", "\x00", "\x1b", "\x7f", "\x85", "\u2028", "\u2029"]


@pytest.mark.parametrize("brk", LINE_BREAKS, ids=[hex(ord(b[0])) for b in LINE_BREAKS])
def test_one_line_fields_refuse_line_breaks_and_controls_with_a_400_naming_the_field(park, as_user, brk) -> None:
    client = as_user(park.staff, "en")
    before = (Firm.objects.count(), Contact.objects.count(), Change.objects.count())
    created = client.post(
        "/api/v1/firms/",
        {"uscc": uscc_for(4711), "name": f"重庆{brk}换行科技有限公司", "zone": park.zone_a.pk},
        format="json",
    )
    assert created.status_code == 400, created.content
    errors = created.json()["errors"]
    assert list(errors) == ["name"], errors
    if brk != "\x00":  # DRF's own NUL check answers first, as clearly
        assert "one line of text" in errors["name"][0]
    for field in ("address", "legal_representative"):
        patched = client.patch(f"/api/v1/firms/{park.firm_a.pk}/", {field: f"甲{brk}乙"}, format="json")
        assert patched.status_code == 400 and list(patched.json()["errors"]) == [field], patched.content
    for field in ("name", "phone", "title", "email"):
        value = f"a{brk}b@example.com" if field == "email" else f"甲{brk}乙"
        contact = client.post(
            "/api/v1/contacts/", {"firm": park.firm_a.pk, "name": "张三", field: value}, format="json"
        )
        assert contact.status_code == 400 and field in contact.json()["errors"], (field, contact.content)
    assert (Firm.objects.count(), Contact.objects.count(), Change.objects.count()) == before
    zh = as_user(park.staff).post(
        "/api/v1/firms/", {"uscc": uscc_for(4711), "name": f"重庆{brk}换行", "zone": park.zone_a.pk}, format="json"
    )
    if brk != "\x00":
        assert "只能是一行文字" in zh.json()["errors"]["name"][0]


def test_multi_line_fields_keep_their_line_breaks(park, as_user) -> None:
    client = as_user(park.staff)
    answer = client.patch(f"/api/v1/firms/{park.firm_a.pk}/", {"notes": "第一行\n第二行\r\n\t缩进"}, format="json")
    assert answer.status_code == 200, answer.content
    assert Firm.objects.get(pk=park.firm_a.pk).notes == "第一行\n第二行\r\n\t缩进"


def test_an_import_replaces_line_breaks_in_one_line_cells_by_spaces_and_says_so_in_the_dry_run(
    park, as_user, media
) -> None:
    rows = [
        ["统一社会信用代码", "企业名称", "园区片区", "住所", "备注"],
        [uscc_for(5001), "重庆\n换行\r\n科技有限公司", "zone-a", "重庆市\t江津区\u2028珞璜镇", "第一行\n第二行"],
        [uscc_for(5002), "重庆平常科技有限公司", "zone-a", "重庆市江津区", ""],
    ]
    client = as_user(park.staff, "en")
    job = upload(client, xlsx_bytes(rows), "企业.xlsx", "firms")
    assert job.status_code == 201, job.content
    body = job.json()
    assert body["status"] == "ready", body
    cleaned = {(c["row"], c["column"]) for c in body["cleaned_cells"]}
    assert cleaned == {(2, "企业名称"), (2, "住所")}, body["cleaned_cells"]
    assert all("replaced by spaces" in c["message"] for c in body["cleaned_cells"])
    done = client.post(f"/api/v1/imports/{body['id']}/commit/", {}, format="json")
    assert done.status_code == 200, done.content
    firm = Firm.objects.get(uscc=uscc_for(5001))
    assert (firm.name, firm.address, firm.notes) == ("重庆 换行 科技有限公司", "重庆市 江津区 珞璜镇", "第一行\n第二行")
