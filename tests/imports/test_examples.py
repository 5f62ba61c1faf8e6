"""The example files in docs/examples import cleanly, in the order docs/imports.md gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from apps.figures.models import AnnualFigures, MonthlyFigures
from apps.programmes.models import Certification
from apps.registry.demo import ZONES
from apps.registry.models import Firm, Zone
from tests.imports.factories import upload

pytestmark = pytest.mark.django_db
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def test_the_examples_import_in_order(park: Any, as_user: Any, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    for code, name, description in ZONES:
        Zone.objects.create(code=code, name=name, description=description)
    client = as_user(park.admin)
    steps = [
        ("firms.csv", "firms", {}),
        ("certifications-hnte-2022.xlsx", "certifications", {"programme": "HNTE"}),
        ("annual-figures-2022.csv", "annual_figures", {}),
        ("monthly-figures-2022.csv", "monthly_figures", {}),
    ]
    for name, kind, form in steps:
        job = upload(client, (EXAMPLES / name).read_bytes(), name, kind, **form).json()
        assert (job["status"], job["error_rows"]) == ("ready", 0), (name, job["row_errors"], job.get("message"))
        assert client.post(f"/api/v1/imports/{job['id']}/commit/", {}, format="json").json()["status"] == "committed"
    assert Firm.objects.filter(uscc__startswith="91500116MAEXAM").count() == 3
    assert Certification.objects.filter(number__startswith="GR2022510001").count() == 3
    assert AnnualFigures.objects.count() == 3 and MonthlyFigures.objects.count() == 3
    # The CSV form of the recognition list is the same list: importing it changes nothing.
    data = (EXAMPLES / "certifications-hnte-2022.csv").read_bytes()
    job = upload(client, data, "list.csv", "certifications", programme="HNTE").json()
    assert job["unchanged"] == 3
    figures = AnnualFigures.objects.get(firm__uscc="91500116MAEXAM015T")
    assert str(figures.operating_revenue) == "86505000.00"  # 8650.5 万元
