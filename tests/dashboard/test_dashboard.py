"""GET /api/v1/dashboard/: the console's first page in one request, scoped like the lists it links to."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core import clock
from tests.conftest import client_for
from tests.factories import FirmFactory
from tests.flags.factories import FlagFactory
from tests.programmes.factories import CertificationFactory, programme

pytestmark = pytest.mark.django_db

URL = "/api/v1/dashboard/"


def hnte_ending_in(firm: Any, days: int) -> Any:
    today = clock.today()
    return CertificationFactory(
        firm=firm,
        programme=programme("HNTE"),
        certificate_date=today - dt.timedelta(days=1000),
        valid_from=today - dt.timedelta(days=1000),
        valid_until=today + dt.timedelta(days=days),
    )


@pytest.fixture
def scene(park: Any) -> Any:
    """Firm A (zone A) ends its 高企 in 20 days, firm B (zone B) in 100; a zone-A firm left the park."""
    today = clock.today()
    hnte_ending_in(park.firm_a, 20)
    hnte_ending_in(park.firm_b, 100)
    park.gone = FirmFactory(zone=park.zone_a, left_park_on=today - dt.timedelta(days=10), exit_kind="moved_out")
    hnte_ending_in(park.gone, 10)  # listed among renewals due, as /certifications/ lists it; not a holder in the park
    FlagFactory(firm=park.firm_a, kind="renewal_due")
    FlagFactory(firm=park.firm_b, kind="expired", state="acknowledged")
    FlagFactory(firm=park.firm_b, kind="eligible", state="resolved")  # done with: not counted
    return park


def by(rows: list[dict[str, Any]], key: str) -> dict[Any, dict[str, Any]]:
    return {row[key]: row for row in rows}


@pytest.mark.dated
def test_whole_park_counts_for_staff_of_every_zone(scene: Any) -> None:
    response = client_for(scene.staff).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["scope"]["all_zones"] is True
    assert body["firms"]["in_park"] == 2
    assert body["firms"]["left_park"] == 1
    assert {z["name"]: z["count"] for z in body["firms"]["by_zone"]} == {"甲区": 1, "乙区": 1}
    assert by(body["titles"], "code")["HNTE"]["firms"] == 2
    assert {r["days"]: r["count"] for r in body["renewals"]} == {30: 2, 90: 2, 180: 3}
    flags = by(body["flags"], "kind")
    assert (flags["renewal_due"]["open"], flags["expired"]["acknowledged"], flags["eligible"]["open"]) == (1, 1, 0)
    assert flags["renewal_due"]["label"] == "续期到期提醒"
    tech = by(body["funnel"], "ladder")["tech"]
    assert by(tech["rungs"], "code")["HNTE"]["holding"] == 2
    hnte = by(body["trend"]["lines"], "code")["HNTE"]
    assert hnte["years"][-1] == {"year": clock.today().year, "closing": 2, "new": 0}
    assert len(hnte["years"]) == body["trend"]["to"] - body["trend"]["from"] + 1


@pytest.mark.dated
def test_zone_limited_staff_see_only_their_zone(scene: Any) -> None:
    body = client_for(scene.staff_a).get(URL).json()
    assert body["scope"] == {"all_zones": False, "zone_ids": [scene.zone_a.pk], "label": "甲区"}
    assert (body["firms"]["in_park"], body["firms"]["left_park"]) == (1, 1)
    assert [z["name"] for z in body["firms"]["by_zone"]] == ["甲区"]
    assert by(body["titles"], "code")["HNTE"]["firms"] == 1
    assert {r["days"]: r["count"] for r in body["renewals"]} == {30: 2, 90: 2, 180: 2}
    assert by(body["flags"], "kind")["expired"]["acknowledged"] == 0
    assert scene.firm_b.name not in response_text(scene.staff_a)


def response_text(user: Any) -> str:
    return client_for(user).get(URL).content.decode()


@pytest.mark.dated
def test_every_number_matches_the_list_it_links_to(scene: Any) -> None:
    for user in (scene.staff, scene.staff_a, scene.viewer):
        client = client_for(user)
        body = client.get(URL).json()
        firms = client.get("/api/v1/firms/", {"in_park": "true"}).json()["count"]
        assert body["firms"]["in_park"] == firms
        for window in body["renewals"]:
            listed = client.get("/api/v1/certifications/", {"expires_within_days": window["days"]}).json()
            assert window["count"] == listed["count"], (user.username, window)
        year = body["trend"]["to"]
        holders = client.get(f"/api/v1/highlights/{year}/firms/", {"line": "HNTE", "bucket": "closing"}).json()
        assert by(body["titles"], "code")["HNTE"]["firms"] == holders["count"]


@pytest.mark.dated
def test_enterprise_users_and_strangers_have_no_dashboard(scene: Any) -> None:
    refused = client_for(scene.ent_a).get(URL)
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert client_for(None).get(URL).status_code == 401


@pytest.mark.dated
def test_english_labels(scene: Any) -> None:
    body = client_for(scene.viewer, language="en").get(URL).json()
    assert by(body["flags"], "kind")["renewal_due"]["label"] == "Renewal due"
    assert by(body["titles"], "code")["HNTE"]["name"] == "High and new technology enterprises"
    assert by(body["funnel"], "ladder")["tech"]["name"] == "Science & technology"
    assert body["scope"]["label"] == "Whole park"


@pytest.mark.dated
def test_the_number_of_queries_does_not_grow_with_the_park(scene: Any) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client_for(scene.staff).get(URL).status_code == 200
        return len(captured)

    before = queries()
    for days in (5, 50, 150, 400):
        firm = FirmFactory(zone=scene.zone_b)
        hnte_ending_in(firm, days)
        FlagFactory(firm=firm, kind="renewal_due")
    assert queries() == before
    body = client_for(scene.staff).get(URL).json()
    assert {r["days"]: r["count"] for r in body["renewals"]} == {30: 3, 90: 4, 180: 6}
