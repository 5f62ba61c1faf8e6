"""Who sees which report: zone-limited staff their zones only, enterprise users nothing, viewers read."""

from __future__ import annotations

from typing import Any

import pytest

from apps.highlights import compute, services
from tests.highlights.factories import D, cert, firm

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(park: Any) -> Any:
    cert(park.firm_a, "HNTE", D(2021, 11, 12))
    cert(park.firm_b, "HNTE", D(2022, 3, 1))
    cert(firm(park.zone_b), "HNTE", D(2022, 5, 1))
    return park


def hnte(body: dict[str, Any]) -> dict[str, Any]:
    return next(line for line in body["lines"] if line["code"] == "HNTE")


def test_zone_limited_staff_see_only_their_zone(scene: Any, as_user: Any) -> None:
    client = as_user(scene.staff_a)
    own = client.get("/api/v1/highlights/2022/", {"zone": scene.zone_a.pk})
    assert own.status_code == 200
    assert hnte(own.json())["closing"] == 1
    # Without ?zone= the report covers their zones, never the whole park.
    default = client.get("/api/v1/highlights/2022/").json()
    assert default["scope"] == {"zone_ids": [scene.zone_a.pk], "label": "甲区"}
    assert hnte(default)["closing"] == 1
    other = client.get("/api/v1/highlights/2022/", {"zone": scene.zone_b.pk})
    assert other.status_code == 404
    assert other.json()["code"] == "not_found"
    for path in ("firms/?line=HNTE&bucket=closing", "xlsx/", "docx/"):
        assert (
            client.get(f"/api/v1/highlights/2022/{path}&zone={scene.zone_b.pk}".replace("/&", "/?")).status_code == 404
        )
    assert client.get(f"/api/v1/highlights/2022/lines/HNTE/firms/?bucket=new&zone={scene.zone_b.pk}").status_code == 404
    assert client.get("/api/v1/highlights/trend/", {"zone": scene.zone_b.pk}).status_code == 404
    listed = client.get("/api/v1/highlights/2022/lines/HNTE/firms/", {"bucket": "closing"}).json()
    assert [f["id"] for f in listed["results"]] == [scene.firm_a.pk]


def test_the_whole_park_for_everyone_else(scene: Any, as_user: Any) -> None:
    for user in (scene.viewer, scene.staff, scene.admin):
        body = as_user(user).get("/api/v1/highlights/2022/").json()
        assert body["scope"]["zone_ids"] is None and body["scope"]["label"] == "全园区"
        assert (hnte(body)["opening"], hnte(body)["new"], hnte(body)["closing"]) == (1, 2, 3)
        zone_b = as_user(user).get("/api/v1/highlights/2022/", {"zone": scene.zone_b.pk}).json()
        assert hnte(zone_b)["closing"] == 2 and hnte(zone_b)["first"] is True


def test_published_reports_follow_the_same_scope(scene: Any, as_user: Any) -> None:
    park_report = services.report_publish(year=2022, scope=compute.park_scope())
    zone_a = services.report_publish(year=2022, scope=compute.zones_scope([scene.zone_a.pk]))
    zone_b = services.report_publish(year=2022, scope=compute.zones_scope([scene.zone_b.pk]))
    client = as_user(scene.staff_a)
    listed = client.get("/api/v1/highlight-reports/").json()
    assert [r["id"] for r in listed["results"]] == [zone_a.pk]
    assert client.get(f"/api/v1/highlight-reports/{zone_a.pk}/").status_code == 200
    for hidden in (park_report, zone_b):
        for path in ("", "firms/?line=HNTE&bucket=new", "diff/", "xlsx/", "docx/"):
            assert client.get(f"/api/v1/highlight-reports/{hidden.pk}/{path}").status_code == 404
    refused = client.post("/api/v1/highlight-reports/", {"year": 2022, "zone": scene.zone_b.pk}, format="json")
    assert refused.status_code == 400 and "zone" in refused.json()["errors"]
    mine = client.post("/api/v1/highlight-reports/", {"year": 2022}, format="json").json()
    assert mine["zone_ids"] == [scene.zone_a.pk] and mine["version"] == 2
    viewer = as_user(scene.viewer)
    assert viewer.get("/api/v1/highlight-reports/").json()["count"] == 4
    covering_b = viewer.get("/api/v1/highlight-reports/", {"zone": scene.zone_b.pk}).json()["results"]
    assert {r["id"] for r in covering_b} == {park_report.pk, zone_b.pk}
    whole = viewer.get("/api/v1/highlight-reports/", {"whole_park": "true"}).json()["results"]
    assert [r["id"] for r in whole] == [park_report.pk]


def test_enterprise_users_have_no_highlights(scene: Any, as_user: Any) -> None:
    report = services.report_publish(year=2022, scope=compute.zones_scope([scene.zone_a.pk]))
    client = as_user(scene.ent_a)
    for path in (
        "/api/v1/highlights/2022/",
        f"/api/v1/highlights/2022/?zone={scene.zone_a.pk}",
        "/api/v1/highlights/2022/lines/HNTE/firms/?bucket=closing",
        "/api/v1/highlights/2022/xlsx/",
        "/api/v1/highlights/2022/docx/",
        f"/api/v1/highlight-reports/{report.pk}/",
        f"/api/v1/highlight-reports/{report.pk}/diff/",
    ):
        assert client.get(path).status_code == 404, path
    for path in (
        "/api/v1/highlight-reports/",
        "/api/v1/highlights/trend/",
        "/api/v1/highlights/funnel/",
        "/api/v1/highlight-lines/",
        "/api/v1/highlight-tag-groups/",
    ):
        assert client.get(path).status_code == 403, path
    assert client.post("/api/v1/highlight-reports/", {"year": 2022}, format="json").status_code == 403


def test_anonymous_callers_are_asked_to_log_in(scene: Any, as_user: Any) -> None:
    assert as_user(None).get("/api/v1/highlights/2022/").status_code == 401
