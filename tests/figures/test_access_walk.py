"""The shared permission walk, over the figures routes, with firm-B samples of every figures model."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.base import ContentFile

from apps.figures.models import EvidenceFile
from tests.conftest import client_for
from tests.figures.factories import PDF_BYTES, AnnualFiguresFactory, MonthlyFiguresFactory
from tests.test_access import WRITE_METHODS, api_routes, url_for

pytestmark = pytest.mark.django_db

PREFIXES = ("annual-figures", "monthly-figures", "evidence-file")


@pytest.fixture
def samples(park: Any, settings: Any, tmp_path: Any) -> dict[Any, Any]:
    settings.MEDIA_ROOT = tmp_path
    evidence = EvidenceFile(
        firm=park.firm_b,
        fiscal_year=2022,
        storage_key="b" * 32,
        extension="pdf",
        original_name="乙方审计报告.pdf",
        content_type="application/pdf",
        size=len(PDF_BYTES),
        sha256="0" * 64,
    )
    evidence.file.save("b.pdf", ContentFile(PDF_BYTES), save=True)
    return {
        "annual-figures": AnnualFiguresFactory(firm=park.firm_b, state="proposed", source="enterprise"),
        "monthly-figures": MonthlyFiguresFactory(firm=park.firm_b, state="proposed", source="enterprise"),
        "evidence-file": evidence,
    }


def routes() -> list[Any]:
    found = [r for r in api_routes() if r.name.startswith(PREFIXES)]
    assert len(found) >= 12
    return found


def sample(route: Any, samples: dict[Any, Any]) -> Any:
    return next(obj for prefix, obj in samples.items() if route.name.startswith(prefix))


def test_firm_a_never_reaches_firm_b(park: Any, samples: dict[Any, Any]) -> None:
    client = client_for(park.ent_a)
    for route in routes():
        if route.detail:
            url = url_for(route, sample(route, samples))
            for method in route.methods:
                response = getattr(client, method)(url, {}, format="json")
                expected = {404} if method == "get" else {403, 404}
                assert response.status_code in expected, (method, url, response.status_code)
        else:
            text = client.get(url_for(route, None)).content.decode()
            assert park.firm_b.name not in text and "乙方审计报告" not in text


def test_viewer_writes_nothing_and_zone_a_staff_do_not_reach_zone_b(park: Any, samples: dict[Any, Any]) -> None:
    viewer, staff_a = client_for(park.viewer), client_for(park.staff_a)
    for route in routes():
        obj = sample(route, samples) if route.detail else None
        url = url_for(route, obj)
        for method in route.methods:
            if method in WRITE_METHODS:
                assert getattr(viewer, method)(url, {}, format="json").status_code == 403, (method, url)
        if route.detail and "get" in route.methods:
            assert staff_a.get(url).status_code == 404, url
    assert client_for(None).get("/api/v1/annual-figures/").status_code == 401
