"""The Word export opens in LibreOffice and reads the same once rendered to PDF (when LibreOffice is installed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.highlights.factories import D, cert, firm

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftotext")), reason="needs LibreOffice and poppler")
def test_word_export_renders_to_pdf(park: Any, as_user: Any, tmp_path: Path) -> None:
    for n in range(3):
        cert(firm(park.zone_a), "HNTE", D(2021, 3, 1 + n))
    cert(firm(park.zone_a), "HNTE", D(2022, 10, 12))
    content = as_user(park.viewer).get("/api/v1/highlights/2022/docx/").content
    source = tmp_path / "highlights.docx"
    source.write_bytes(content)
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
        check=True,
        capture_output=True,
        timeout=180,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin:/usr/local/bin"},
    )
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "highlights.pdf"), "-"], check=True, capture_output=True, timeout=60
    ).stdout.decode()
    flat = "".join(text.split())
    assert "全园区2022年企业培育亮点" in flat
    assert "高新技术企业4家，2022年新增1家，增速33.33%" in flat
