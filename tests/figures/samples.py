"""One object of each figures model for a firm, for the permission walk (tests/test_access.py)."""

from typing import Any

from django.core.files.base import ContentFile

from apps.figures.models import EvidenceFile
from tests.figures.factories import PDF_BYTES, AnnualFiguresFactory, MonthlyFiguresFactory


def make_samples(firm: Any) -> None:
    AnnualFiguresFactory(firm=firm, state="proposed", source="enterprise")
    MonthlyFiguresFactory(firm=firm, state="proposed", source="enterprise")
    evidence = EvidenceFile(
        firm=firm,
        fiscal_year=2022,
        storage_key=f"{firm.pk:032d}",
        extension="pdf",
        original_name="审计报告.pdf",
        content_type="application/pdf",
        size=len(PDF_BYTES),
        sha256="0" * 64,
    )
    evidence.file.save("report.pdf", ContentFile(PDF_BYTES), save=True)
