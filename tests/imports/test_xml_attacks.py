"""Issue 13, finding 6: a DTD anywhere in any part of an uploaded workbook refuses the file.

The audit hid a DTD behind a comment of padding (the old guard read only the first 4 KB of a part)
and a 7 KB file grew a 190 MB cell. Now every member of the archive is checked for a DTD before
anything reads it, and the sheet reader parses with defusedxml (DTDs, entities, external references
forbidden): the upload gets a clear refusal, and nothing changes.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import pytest

from apps.core.models import Change
from apps.imports import xlsx
from apps.imports.formats import FIRMS
from apps.imports.reader import MAX_COLUMNS, Source, UnreadableFile, estimate_rows, open_table
from apps.registry.models import Firm
from tests.factories import uscc_for
from tests.imports.factories import upload, xlsx_bytes

pytestmark = pytest.mark.django_db

LAUGHS = (
    b'<!DOCTYPE sst [<!ENTITY a "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA">'
    + b"".join(f'<!ENTITY {n} "{("&" + p + ";") * 10}">'.encode() for p, n in zip("abcdefg", "bcdefgh", strict=True))
    + b"]>"
)
PAYLOADS = {
    "entity expansion": (LAUGHS, b"&h;"),
    "external entity": (b'<!DOCTYPE sst [<!ENTITY ext SYSTEM "file:///etc/passwd">]>', b"&ext;"),
    "parameter entity": (b'<!DOCTYPE sst [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]>', None),
    "bare DTD": (b"<!DOCTYPE sst>", None),
}
PADDING = b"<!--" + b" padding " * 1000 + b"-->"  # 9 KB: well past the old 4 KB look


def _rows() -> list[list[Any]]:
    return [["统一社会信用代码", "企业名称", "园区片区"], [uscc_for(6001), "重庆实体科技有限公司", "zone-a"]]


def _poisoned(part: str, dtd: bytes, reference: bytes | None, *, utf16: bool = False) -> bytes:
    source = xlsx_bytes(_rows())
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as archive, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        names = archive.namelist()
        assert part in names, names
        for name in names:
            data = archive.read(name)
            if name == part:
                declaration, body = b"", data
                if data.startswith(b"<?xml"):
                    head, _, body = data.partition(b"?>")
                    declaration = head + b"?>"
                if reference is not None:
                    body = body.replace("重庆实体科技有限公司".encode(), reference, 1)
                data = declaration + PADDING + dtd + body
                if utf16:
                    data = ('<?xml version="1.0" encoding="UTF-16"?>' + (PADDING + dtd + body).decode()).encode(
                        "utf-16"
                    )
            target.writestr(name, data)
    return out.getvalue()


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.mark.parametrize("payload", list(PAYLOADS))
@pytest.mark.parametrize(
    "part",
    [
        "xl/worksheets/sheet1.xml",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "xl/styles.xml",
        "[Content_Types].xml",
        "docProps/core.xml",
    ],
)
def test_a_dtd_after_padding_in_any_part_refuses_the_upload_and_changes_nothing(park, as_user, media, part, payload):
    dtd, reference = PAYLOADS[payload]
    data = _poisoned(part, dtd, reference if part == "xl/worksheets/sheet1.xml" else None)
    assert len(data) < 20_000
    before = (Firm.objects.count(), Change.objects.exclude(table_name="imports_importjob").count())
    client = as_user(park.staff, "en")
    answer = upload(client, data, "企业.xlsx", "firms")
    assert answer.status_code in (201, 400), answer.content
    body = answer.json()
    text = str(body.get("message") or body)
    assert "document type definition (DTD)" in text, body
    if answer.status_code == 201:
        assert body["status"] == "failed", body
        commit = client.post(f"/api/v1/imports/{body['id']}/commit/", {}, format="json")
        assert commit.status_code in (400, 409), commit.content
    assert (Firm.objects.count(), Change.objects.exclude(table_name="imports_importjob").count()) == before


def test_a_dtd_in_a_utf16_part_is_found_too() -> None:
    data = _poisoned("xl/worksheets/sheet1.xml", PAYLOADS["entity expansion"][0], b"&h;", utf16=True)
    with pytest.raises(xlsx.Refused):
        xlsx.refuse_dtds(data)
    with pytest.raises(UnreadableFile):
        open_table(data, Source("xlsx"), FIRMS)


def test_openpyxl_never_opens_a_file_with_a_dtd_even_when_the_fast_reader_gives_up(monkeypatch) -> None:
    # A part the fast reader does not understand sends the file to openpyxl; the DTD check comes first.
    data = _poisoned("docProps/app.xml", PAYLOADS["entity expansion"][0], None)
    moved = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(moved, "w") as target:
        for item in source.infolist():
            content = source.read(item).replace(b"xl/workbook.xml", b"xl/book.xml")
            target.writestr(re.sub(r"^xl/(_rels/)?workbook", r"xl/\1book", item.filename), content)
    import openpyxl

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("openpyxl was asked to open a file with a DTD")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    with pytest.raises(UnreadableFile) as refused:
        open_table(moved.getvalue(), Source("xlsx"), FIRMS)
    assert "DTD" in str(refused.value.message)
    assert estimate_rows(moved.getvalue(), Source("xlsx")) == 0


def test_the_sheet_reader_itself_parses_with_entities_forbidden() -> None:
    # Even past the archive check (called directly on one part), the reader's parser refuses a DTD.
    data = _poisoned("xl/worksheets/sheet1.xml", PAYLOADS["external entity"][0], b"&ext;")
    book = xlsx.Workbook.__new__(xlsx.Workbook)
    book.archive = zipfile.ZipFile(io.BytesIO(data))
    with pytest.raises(xlsx.Refused):
        list(book._xml("xl/worksheets/sheet1.xml"))
    assert xlsx.sheets(xlsx_bytes(_rows()), MAX_COLUMNS), "an honest workbook still reads"
