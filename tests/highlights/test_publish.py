"""Publishing freezes a report; the live report moves on; the difference names the firms."""

from __future__ import annotations

from typing import Any

import pytest

from apps.highlights.exports import docx_text
from apps.highlights.models import PublishedReport
from tests.highlights.factories import D, cert, firm

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(park: Any) -> dict[str, Any]:
    """Zone A: three HNTE firms at the end of 2021; in 2022 one renews, one is new, one lapses."""
    a = park.zone_a
    kept = firm(a, name="重庆续期科技有限公司")
    old = cert(kept, "HNTE", D(2019, 12, 2), until=D(2022, 12, 1), superseded=D(2022, 11, 28))
    cert(kept, "HNTE", D(2022, 11, 28))
    lapsing = firm(a, name="重庆到期科技有限公司")
    cert(lapsing, "HNTE", D(2019, 3, 1))
    steady = firm(a, name="重庆稳定科技有限公司")
    cert(steady, "HNTE", D(2021, 5, 1))
    newcomer = firm(a, name="重庆新晋科技有限公司")
    revocable = cert(newcomer, "HNTE", D(2022, 10, 12))
    return {"old": old, "newcomer": newcomer, "revocable": revocable, "steady": steady}


def hnte(body: dict[str, Any]) -> dict[str, Any]:
    return next(line for line in body["lines"] if line["code"] == "HNTE")


def test_published_report_stays_while_the_live_one_moves(park: Any, as_user: Any, scene: dict[str, Any]) -> None:
    staff = as_user(park.staff)
    published = staff.post(
        "/api/v1/highlight-reports/", {"year": 2022, "zone": park.zone_a.pk, "note": "报区委"}, format="json"
    )
    assert published.status_code == 201, published.content
    body = published.json()
    assert body["version"] == 1 and body["scope_label"] == "甲区" and body["published_by"] == park.staff.username
    assert body["title"] == "甲区2022年企业培育亮点"
    before = hnte(body["report"])
    assert (before["opening"], before["new"], before["renewed"], before["lapsed"], before["closing"]) == (3, 1, 1, 1, 3)
    assert before["links"]["new"] == f"/api/v1/highlight-reports/{body['id']}/firms/?line=HNTE&bucket=new"

    # The newcomer's certificate turns out to be void: revoked the day after it was issued.
    revoked = staff.post(
        f"/api/v1/certifications/{scene['revocable'].pk}/revoke/",
        {"date": "2022-10-13", "reason": "申报材料不实"},
        format="json",
    )
    assert revoked.status_code == 200, revoked.content

    frozen = staff.get(f"/api/v1/highlight-reports/{body['id']}/").json()
    assert frozen["report"] == body["report"]
    assert frozen["computed_at"] == body["computed_at"]
    assert hnte(frozen["report"])["closing"] == 3
    frozen_new = staff.get(before["links"]["new"]).json()
    assert [f["name"] for f in frozen_new["results"]] == ["重庆新晋科技有限公司"]

    live = hnte(staff.get("/api/v1/highlights/2022/", {"zone": park.zone_a.pk}).json())
    assert (live["new"], live["closing"]) == (0, 2)

    diff = staff.get(f"/api/v1/highlight-reports/{body['id']}/diff/").json()
    assert diff["identical"] is False
    line = next(line for line in diff["lines"] if line["code"] == "HNTE")
    assert line["status"] == "changed"
    assert line["buckets"]["new"]["published"] == 1 and line["buckets"]["new"]["live"] == 0
    assert [f["name"] for f in line["buckets"]["new"]["removed"]] == ["重庆新晋科技有限公司"]
    assert [f["name"] for f in line["buckets"]["closing"]["removed"]] == ["重庆新晋科技有限公司"]
    assert set(line["buckets"]) == {"new", "closing"}
    assert all(other["status"] == "same" for other in diff["lines"] if other["code"] != "HNTE")


def test_unchanged_records_give_an_identical_diff_and_versions_count_up(
    park: Any, as_user: Any, scene: dict[str, Any]
) -> None:
    admin = as_user(park.admin)
    first = admin.post("/api/v1/highlight-reports/", {"year": 2022}, format="json").json()
    second = admin.post("/api/v1/highlight-reports/", {"year": 2022}, format="json").json()
    assert (first["version"], second["version"]) == (1, 2)
    assert first["scope_key"] == "park" and first["zone_ids"] == []
    assert admin.get(f"/api/v1/highlight-reports/{second['id']}/diff/").json()["identical"] is True
    listed = admin.get("/api/v1/highlight-reports/", {"year": 2022}).json()
    assert [r["version"] for r in listed["results"]] == [2, 1]


def test_published_exports_say_which_version(park: Any, as_user: Any, scene: dict[str, Any]) -> None:
    staff = as_user(park.staff)
    body = staff.post("/api/v1/highlight-reports/", {"year": 2022, "zone": park.zone_a.pk}, format="json").json()
    word = staff.get(f"/api/v1/highlight-reports/{body['id']}/docx/")
    assert word.status_code == 200
    text = docx_text(word.content)
    assert "高新技术企业 3 家，2022 年新增 1 家，增速 0.00%" in text
    assert "已发布（第 1 版" in text
    excel = staff.get(f"/api/v1/highlight-reports/{body['id']}/xlsx/")
    assert excel.status_code == 200 and excel.content[:2] == b"PK"


def test_publishing_needs_staff_and_a_sane_year(park: Any, as_user: Any) -> None:
    assert as_user(park.viewer).post("/api/v1/highlight-reports/", {"year": 2022}, format="json").status_code == 403
    bad = as_user(park.staff).post("/api/v1/highlight-reports/", {"year": 2199}, format="json")
    assert bad.status_code == 400 and "year" in bad.json()["errors"]
    future = as_user(park.staff, "en").post("/api/v1/highlight-reports/", {"year": 2098}, format="json")
    assert future.status_code == 400
    assert "The year must be between" in future.json()["errors"]["year"][0]
    assert not PublishedReport.objects.exists()
