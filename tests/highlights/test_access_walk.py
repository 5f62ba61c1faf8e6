"""The shared permission walk, over the highlights routes, with a published report of zone B as the sample.

(tests/test_access.py can only find firm-B samples of models with a `firm` field; a published report
belongs to a zone, so this walk tries every highlights route against zone B's report here.)
"""

from __future__ import annotations

from typing import Any

import pytest

from apps.highlights import compute, services
from apps.highlights.models import ReportLine, TagGroup
from tests.conftest import client_for
from tests.test_access import WRITE_METHODS, api_routes, url_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def samples(park: Any) -> dict[str, Any]:
    report = services.report_publish(year=2022, scope=compute.zones_scope([park.zone_b.pk]))
    return {
        "highlight-line": ReportLine.objects.get(code="HNTE"),
        "highlight-tag-group": TagGroup.objects.get(code="DIGITAL"),
        "highlight-report": report,
        "highlight": report,  # /highlights/{year}/ routes: the year of zone B's report
    }


def routes() -> list[Any]:
    found = [r for r in api_routes() if r.name.startswith("highlight")]
    assert len(found) >= 16
    return found


def sample(route: Any, samples: dict[str, Any]) -> Any:
    return next(
        obj for prefix, obj in sorted(samples.items(), key=lambda i: -len(i[0])) if route.name.startswith(prefix)
    )


def test_enterprise_users_reach_nothing(park: Any, samples: dict[str, Any]) -> None:
    client = client_for(park.ent_b)
    for route in routes():
        url = url_for(route, sample(route, samples) if route.detail else None)
        for method in route.methods:
            response = getattr(client, method)(url, {}, format="json")
            if route.detail and not route.name.startswith(("highlight-line", "highlight-tag-group")):
                expected = {404} if method == "get" else {403, 404}
            else:
                expected = {403}
            assert response.status_code in expected, (method, url, response.status_code)


def test_viewer_writes_nothing_and_zone_a_staff_do_not_reach_zone_b(park: Any, samples: dict[str, Any]) -> None:
    viewer, staff_a = client_for(park.viewer), client_for(park.staff_a)
    for route in routes():
        obj = sample(route, samples) if route.detail else None
        url = url_for(route, obj)
        for method in route.methods:
            if method in WRITE_METHODS:
                response = getattr(viewer, method)(url, {}, format="json")
                assert response.status_code == 403, (method, url)
                assert response.json()["code"] == "permission_denied"
        if route.name.startswith("highlight-report") and route.detail:
            assert staff_a.get(url).status_code == 404, url
    listed = staff_a.get("/api/v1/highlight-reports/").json()
    assert listed["count"] == 0
    assert staff_a.get(f"/api/v1/highlights/2022/?zone={park.zone_b.pk}").status_code == 404
