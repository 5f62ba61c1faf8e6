"""Hostile input: uploads, formula injection in every export, long strings, odd Unicode, SQL- and
script-looking text, ids from another scope, and concurrent edits of the same record.

Every refusal is a 4xx with the error shape and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import io
import threading
import zipfile
from typing import Any

import pytest
from django.db import connection
from openpyxl import load_workbook

from apps.core.models import Change
from apps.figures.models import EvidenceFile
from apps.imports.models import ImportJob
from apps.programmes.models import Certification
from apps.registry.models import Contact, Firm
from tests.conftest import client_for
from tests.factories import FirmFactory, uscc_for
from tests.figures.factories import AnnualFiguresFactory, MonthlyFiguresFactory
from tests.highlights.factories import D, cert
from tests.imports.factories import read_csv, upload
from tests.listing.factories import ListingEventFactory

pytestmark = pytest.mark.django_db

FORMULA_STARTS = ("=", "+", "-", "@")
POISON = '=HYPERLINK("http://evil.example","点我")'


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def error_shape(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"code", "message", "errors"}, body
    assert body["message"]
    return body


# ------------------------------------------------------------------------------------------ uploads
def zip_bomb_xlsx(member_bytes: int = 300 * 1024 * 1024) -> bytes:
    """A real Excel skeleton plus one member that expands to `member_bytes` of zeros (~300 KB compressed)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(member_bytes // len(chunk)):
                member.write(chunk)
    return out.getvalue()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return zip_bomb_xlsx()


def test_a_zip_bomb_disguised_as_xlsx_is_refused_by_imports_and_evidence(park, as_user, media, bomb) -> None:
    assert len(bomb) < 2 * 1024 * 1024
    client = as_user(park.staff, "en")
    answer = upload(client, bomb, "名单.xlsx", "firms")
    assert answer.status_code == 400
    assert "zip bomb" in error_shape(answer)["errors"]["file"][0]
    evidence = client.post(
        "/api/v1/evidence-files/",
        {"file": _file("审计报告.xlsx", bomb), "firm": park.firm_a.pk, "fiscal_year": 2023},
        format="multipart",
    )
    assert evidence.status_code == 400
    assert "zip bomb" in error_shape(evidence)["errors"]["file"][0]
    assert not ImportJob.objects.exists() and not EvidenceFile.objects.exists()
    assert not list(media.rglob("*.*"))


def _file(name: str, data: bytes, content_type: str = "application/octet-stream") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.mark.parametrize(
    ("name", "data", "claimed"),
    [
        ("名单.xlsx", b"%PDF-1.4\n%%EOF\n", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("名单.csv", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "text/csv"),
        ("名单.xlsx", b"<html><script>alert(1)</script></html>", "text/html"),
    ],
)
def test_uploads_whose_content_is_not_what_they_claim_are_refused(park, as_user, media, name, data, claimed) -> None:
    client = as_user(park.staff)
    answer = client.post("/api/v1/imports/", {"file": _file(name, data, claimed), "kind": "firms"}, format="multipart")
    assert answer.status_code == 400
    assert error_shape(answer)["errors"]["file"]
    evidence = client.post(
        "/api/v1/evidence-files/",
        {"file": _file(name.replace("名单", "证明"), data, claimed), "firm": park.firm_a.pk, "fiscal_year": 2023},
        format="multipart",
    )
    assert evidence.status_code == 400
    assert error_shape(evidence)["errors"]["file"]
    assert not ImportJob.objects.exists() and not EvidenceFile.objects.exists()


@pytest.mark.parametrize("endpoint", ["/api/v1/imports/", "/api/v1/evidence-files/"])
def test_an_upload_sent_as_something_other_than_a_form_is_a_clear_4xx(park, as_user, endpoint) -> None:
    client = as_user(park.staff)
    as_json = client.post(endpoint, {"file": "aGVsbG8=", "kind": "firms", "firm": park.firm_a.pk}, format="json")
    assert as_json.status_code in (400, 415)
    body = error_shape(as_json)
    assert "file" in body["errors"] if as_json.status_code == 400 else body["code"] == "unsupported_media_type"
    raw = client.post(endpoint, b"\x00\x01binary", content_type="application/x-unknown")
    assert raw.status_code == 415
    assert error_shape(raw)["code"] == "unsupported_media_type"


@pytest.mark.parametrize("endpoint", ["/api/v1/imports/", "/api/v1/evidence-files/"])
def test_an_oversized_upload_is_413_and_stores_nothing(park, as_user, media, settings, endpoint) -> None:
    settings.SEEDBED_MAX_UPLOAD_BYTES = 1024
    data = b"%PDF-1.4\n" + b"0" * 4096
    form = {"kind": "firms"} if "imports" in endpoint else {"firm": park.firm_a.pk, "fiscal_year": 2023}
    answer = as_user(park.staff).post(endpoint, {"file": _file("big.pdf", data), **form}, format="multipart")
    assert answer.status_code == 413, answer.content
    assert error_shape(answer)["code"] == "file_too_large"
    assert not list(media.rglob("*.*"))


# ------------------------------------------------------------------------------------- exports
def _csv_cells(content: bytes) -> list[str]:
    return [cell for row in read_csv(content) for cell in row]


def _xlsx_cells(content: bytes) -> list[Any]:
    book = load_workbook(io.BytesIO(content))
    cells = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                cells.append(cell.value)
    return cells


def assert_inert(cells: list[Any], where: str) -> None:
    texts = [c for c in cells if isinstance(c, str)]
    live = [c for c in texts if c.startswith(FORMULA_STARTS)]
    assert not live, (where, live)
    assert any(c == "'" + POISON for c in texts), (where, "the poisoned name is missing from the export")


@pytest.fixture
def poisoned(park: Any) -> Any:
    """A firm whose text fields all start like formulas, with a record of every exported kind."""
    firm = FirmFactory(
        zone=park.zone_a,
        name=POISON,
        address="+86 023 珞璜",
        legal_representative="@SUM(A1)",
        notes="-1+1",
        entered_park_on=D(2015, 1, 1),
    )
    held = cert(firm, "HNTE", D(2022, 5, 1))
    Certification.objects.filter(pk=held.pk).update(number="=1+2")
    AnnualFiguresFactory(firm=firm)
    MonthlyFiguresFactory(firm=firm)
    ListingEventFactory(firm=firm, sponsor="=cmd|' /C calc'!A0", note="@note", date=dt.date(2021, 3, 1))
    return firm


@pytest.mark.parametrize("name", ["firms", "certifications", "annual-figures", "monthly-figures", "listing-events"])
def test_every_list_export_neutralises_formulas(park, as_user, poisoned, name) -> None:
    client = as_user(park.staff)
    csv_answer = client.get(f"/api/v1/{name}/export/", {"format": "csv"})
    assert csv_answer.status_code == 200
    assert_inert(_csv_cells(csv_answer.content), f"{name} csv")
    xlsx_answer = client.get(f"/api/v1/{name}/export/", {"format": "xlsx"})
    assert xlsx_answer.status_code == 200
    assert_inert(_xlsx_cells(xlsx_answer.content), f"{name} xlsx")


def test_highlights_workbooks_neutralise_formulas(park, as_user, poisoned) -> None:
    client = as_user(park.staff)
    live = client.get("/api/v1/highlights/2022/xlsx/")
    assert live.status_code == 200
    assert_inert(_xlsx_cells(live.content), "highlights live xlsx")
    report = client.post("/api/v1/highlight-reports/", {"year": 2022}, format="json").json()
    frozen = client.get(f"/api/v1/highlight-reports/{report['id']}/xlsx/")
    assert frozen.status_code == 200
    assert_inert(_xlsx_cells(frozen.content), "highlights published xlsx")


def test_the_import_error_workbook_neutralises_formulas(park, as_user, media) -> None:
    rows = [
        ["统一社会信用代码", "企业名称", "园区片区", "备注"],
        ["91500000NOTAUSCC", POISON, "zone-a", "+1"],
    ]
    data = "\n".join(",".join(f'"{c.replace(chr(34), chr(34) * 2)}"' for c in row) for row in rows).encode()
    client = as_user(park.staff)
    job = upload(client, data, "企业.csv", "firms").json()
    assert job["status"] == "invalid", job
    book = client.get(f"/api/v1/imports/{job['id']}/error-workbook/")
    assert book.status_code == 200
    cells = b"".join(book.streaming_content)
    assert_inert(_xlsx_cells(cells), "import error workbook")


# ------------------------------------------------------------------------------------ text
def test_very_long_strings_are_refused_field_by_field_and_change_nothing(park, as_user) -> None:
    client = as_user(park.staff)
    before = (Firm.objects.count(), Change.objects.count())
    long_name = "重" * 100_000
    created = client.post(
        "/api/v1/firms/",
        {"uscc": uscc_for(4242), "name": long_name, "zone": park.zone_a.pk, "notes": "x" * 1_000_000},
        format="json",
    )
    assert created.status_code == 400
    assert "name" in error_shape(created)["errors"]
    patched = client.patch(f"/api/v1/firms/{park.firm_a.pk}/", {"address": "路" * 50_000}, format="json")
    assert patched.status_code == 400 and "address" in error_shape(patched)["errors"]
    reason = client.patch(f"/api/v1/firms/{park.firm_a.pk}/", {"name": "新名", "reason": "因" * 5000}, format="json")
    assert reason.status_code == 400 and "reason" in error_shape(reason)["errors"]
    assert (Firm.objects.count(), Change.objects.count()) == before
    # A huge search string is just a search that finds nothing.
    search = client.get("/api/v1/firms/", {"q": "科" * 10_000})
    assert search.status_code in (200, 400)
    if search.status_code == 200:
        assert search.json()["count"] == 0


def test_full_width_digits_in_a_uscc_are_normalised(park, as_user) -> None:
    code = uscc_for(777)
    full_width = code.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789ABCDEFGHJKLMNPQRTUWXY"})
    assert full_width != code
    client = as_user(park.staff)
    created = client.post(
        "/api/v1/firms/",
        {"uscc": f" {full_width} ", "name": "重庆全角科技有限公司", "zone": park.zone_a.pk},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["uscc"] == code
    # The filter normalises too, and a broken code is refused clearly rather than stored.
    assert client.get("/api/v1/firms/", {"uscc": full_width}).json()["count"] == 1
    broken = client.post(
        "/api/v1/firms/",
        {"uscc": full_width[:-1] + "Ｏ", "name": "重庆错码科技有限公司", "zone": park.zone_a.pk},
        format="json",
    )
    assert broken.status_code == 400
    assert "uscc" in error_shape(broken)["errors"]


SCARY = [
    "'; DROP TABLE registry_firm; --",
    '重庆" OR 1=1 -- 科技有限公司',
    "<script>alert('x')</script>有限公司",
    "<img src=x onerror=alert(1)>",
    "{{7*7}} ${7*7} %s %n",
    "Robert'); DELETE FROM core_change;--",
]


@pytest.mark.parametrize("text", SCARY)
def test_sql_and_script_looking_text_is_stored_and_returned_inertly(park, as_user, text) -> None:
    client = as_user(park.staff)
    firms_before = Firm.objects.count()
    created = client.post(
        "/api/v1/firms/", {"uscc": uscc_for(9000), "name": text, "zone": park.zone_a.pk, "notes": text}, format="json"
    )
    assert created.status_code == 201, created.content
    assert created["Content-Type"] == "application/json"
    assert created.json()["name"] == text
    fetched = client.get(f"/api/v1/firms/{created.json()['id']}/")
    assert fetched.json()["name"] == text and fetched.json()["notes"] == text
    assert Firm.objects.count() == firms_before + 1
    assert Firm.objects.get(pk=created.json()["id"]).name == text
    # Searching for it finds exactly it, not every firm (white space in the query included).
    found = client.get("/api/v1/firms/", {"q": text})
    assert found.status_code == 200
    assert [f["id"] for f in found.json()["results"]] == [created.json()["id"]]


def test_sql_looking_filters_are_plain_values(park, as_user) -> None:
    client = as_user(park.staff)
    for params in ({"q": "' OR '1'='1"}, {"uscc": "' OR 1=1 --"}, {"tag": "x') OR ('1'='1"}):
        answer = client.get("/api/v1/firms/", params)
        assert answer.status_code in (200, 400), (params, answer.status_code)
        if answer.status_code == 200:
            assert answer.json()["count"] == 0, params
    ordering = client.get("/api/v1/firms/", {"ordering": "name; DROP TABLE registry_firm"})
    assert ordering.status_code in (200, 400)
    assert Firm.objects.count() == 2


# ------------------------------------------------------------------------------- other scopes
def test_a_firm_of_another_scope_in_a_body_is_refused_and_nothing_changes(park, as_user) -> None:
    before = Change.objects.count()
    staff_a = as_user(park.staff_a)  # zone A only
    for endpoint, body in (
        ("/api/v1/contacts/", {"firm": park.firm_b.pk, "name": "冒充"}),
        ("/api/v1/journal/", {"firm": park.firm_b.pk, "date": "2024-05-01", "title": "冒充"}),
        ("/api/v1/listing-events/", {"firm": park.firm_b.pk, "stage": "pool", "date": "2024-05-01"}),
        ("/api/v1/annual-figures/", {"firm": park.firm_b.pk, "fiscal_year": 2023}),
    ):
        answer = staff_a.post(endpoint, body, format="json")
        assert answer.status_code == 400, (endpoint, answer.status_code, answer.content)
        assert "firm" in error_shape(answer)["errors"], endpoint
    # Moving one's own record onto firm B is refused too.
    moved = staff_a.patch(f"/api/v1/contacts/{park.contact_a.pk}/", {"firm": park.firm_b.pk}, format="json")
    assert moved.status_code == 400 and "firm" in error_shape(moved)["errors"]
    assert Contact.objects.get(pk=park.contact_a.pk).firm_id == park.firm_a.pk
    # firm B's own objects are simply not there.
    assert staff_a.patch(f"/api/v1/contacts/{park.contact_b.pk}/", {"name": "改"}, format="json").status_code == 404
    assert staff_a.patch(f"/api/v1/firms/{park.firm_b.pk}/", {"name": "改"}, format="json").status_code == 404
    assert Change.objects.count() == before


def test_a_firm_of_another_scope_in_a_filter_shows_nothing(park, as_user) -> None:
    enterprise = as_user(park.ent_a)
    for endpoint, params in (
        ("/api/v1/contacts/", {"firm": park.firm_b.pk}),
        ("/api/v1/journal/", {"firm": park.firm_b.pk}),
        ("/api/v1/firms/", {"zone": park.zone_b.pk}),
        ("/api/v1/firms/", {"uscc": park.firm_b.uscc}),
        ("/api/v1/firms/", {"q": park.firm_b.name}),
    ):
        answer = enterprise.get(endpoint, params)
        # 403: a list the role may not read at all (enterprise users have no journal).
        assert answer.status_code in (200, 400, 403), (endpoint, params)
        assert park.firm_b.uscc not in answer.content.decode() and park.firm_b.name not in answer.content.decode()
        if answer.status_code == 200:
            assert answer.json()["count"] == 0, (endpoint, params)


# ------------------------------------------------------------------------ concurrent edits
def test_a_stale_firm_edit_is_409_and_changes_nothing(park, as_user) -> None:
    first, second = as_user(park.staff), as_user(park.admin, "en")
    read = first.get(f"/api/v1/firms/{park.firm_a.pk}/")
    etag = read["ETag"]
    assert etag.strip('"') == read.json()["updated_at"]
    # Someone else saves first …
    saved = second.patch(f"/api/v1/firms/{park.firm_a.pk}/", {"address": "新地址"}, format="json", HTTP_IF_MATCH=etag)
    assert saved.status_code == 200
    assert saved["ETag"] != etag
    # … so the first user's edit, made on the old version, is refused rather than overwriting it.
    stale = first.patch(f"/api/v1/firms/{park.firm_a.pk}/", {"address": "旧稿"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 409
    assert error_shape(stale)["code"] == "stale"
    assert "已被他人修改" in stale.json()["message"]
    english = second.patch(f"/api/v1/firms/{park.firm_a.pk}/", {"address": "x"}, format="json", HTTP_IF_MATCH=etag)
    assert "changed this record meanwhile" in english.json()["message"]
    # The same precondition as a body field (what the web form sends), and on delete.
    in_body = first.patch(
        f"/api/v1/firms/{park.firm_a.pk}/",
        {"address": "旧稿", "updated_at": read.json()["updated_at"]},
        format="json",
    )
    assert in_body.status_code == 409
    park.firm_a.refresh_from_db()
    assert park.firm_a.address == "新地址"
    current = first.get(f"/api/v1/firms/{park.firm_a.pk}/")["ETag"]
    fresh = first.patch(f"/api/v1/firms/{park.firm_a.pk}/", {"address": "终稿"}, format="json", HTTP_IF_MATCH=current)
    assert fresh.status_code == 200 and fresh.json()["address"] == "终稿"


@pytest.mark.parametrize(
    ("path", "change"),
    [
        ("contacts/{contact}", {"name": "王五"}),
        ("journal/{journal}", {"title": "回访"}),
        ("zones/{zone}", {"name": "新区名"}),
        ("users/{user}", {"display_name": "新名字"}),
    ],
)
def test_every_editable_resource_refuses_a_stale_write(park, as_user, path, change) -> None:
    """The same mechanism (If-Match with the ETag a read returned) for resources without updated_at."""
    url = (
        "/api/v1/"
        + path.format(contact=park.contact_a.pk, journal=park.journal_a.pk, zone=park.zone_a.pk, user=park.ent_a.pk)
        + "/"
    )
    client = as_user(park.admin)
    read = client.get(url)
    etag = read["ETag"]
    assert etag
    # A read in English has the same version: it does not depend on the language of the labels.
    assert as_user(park.admin, "en").get(url)["ETag"] == etag
    saved = client.patch(url, change, format="json", HTTP_IF_MATCH=etag)
    assert saved.status_code == 200
    assert saved["ETag"] != etag
    # A writer still holding the version read before that save is refused, and changes nothing.
    other = {key: value + "（另一稿）" for key, value in change.items()}
    refused = client.patch(url, other, format="json", HTTP_IF_MATCH=etag)
    assert refused.status_code == 409 and error_shape(refused)["code"] == "stale"
    assert {key: client.get(url).json()[key] for key in change} == change
    assert client.delete(url, HTTP_IF_MATCH=etag).status_code == 409
    # With the current version the write goes through.
    assert client.patch(url, other, format="json", HTTP_IF_MATCH=saved["ETag"]).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_edits_of_one_firm_never_lose_an_update(park) -> None:
    """Two browsers saving the same version at the same moment: one wins, the other gets 409."""
    etag = client_for(park.staff).get(f"/api/v1/firms/{park.firm_a.pk}/")["ETag"]
    barrier = threading.Barrier(2)
    results: dict[str, int] = {}

    def save(user: Any, address: str) -> None:
        try:
            client = client_for(user)
            barrier.wait(timeout=10)
            answer = client.patch(
                f"/api/v1/firms/{park.firm_a.pk}/", {"address": address}, format="json", HTTP_IF_MATCH=etag
            )
            results[address] = answer.status_code
        finally:
            connection.close()

    threads = [
        threading.Thread(target=save, args=(park.staff, "甲的地址")),
        threading.Thread(target=save, args=(park.admin, "乙的地址")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results.values()) == [200, 409], results
    winner = next(address for address, status in results.items() if status == 200)
    park.firm_a.refresh_from_db()
    assert park.firm_a.address == winner


def test_without_a_precondition_a_patch_touches_only_its_own_fields(park, as_user) -> None:
    """Clients that send no If-Match still cannot wipe each other's fields: PATCH writes what it names."""
    one, two = as_user(park.staff), as_user(park.admin)
    assert one.patch(f"/api/v1/firms/{park.firm_a.pk}/", {"address": "一号路"}, format="json").status_code == 200
    assert two.patch(f"/api/v1/firms/{park.firm_a.pk}/", {"notes": "二号备注"}, format="json").status_code == 200
    park.firm_a.refresh_from_db()
    assert (park.firm_a.address, park.firm_a.notes) == ("一号路", "二号备注")
