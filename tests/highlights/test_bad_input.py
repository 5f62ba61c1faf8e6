"""Bad input gets a 4xx with a clear message in both languages, never a 500."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "status", "field"),
    [
        ("/api/v1/highlights/1985/", 400, "year"),
        ("/api/v1/highlights/2099/", 400, "year"),
        ("/api/v1/highlights/2022/?zone=abc", 400, "zone"),
        ("/api/v1/highlights/2022/?zone=0", 400, "zone"),
        ("/api/v1/highlights/2022/lines/HNTE/firms/", 400, "bucket"),
        ("/api/v1/highlights/2022/lines/HNTE/firms/?bucket=gone", 400, "bucket"),
        ("/api/v1/highlights/2022/firms/", 400, "line"),
        ("/api/v1/highlights/2022/firms/?tag_group=DIGITAL&monthly_upgrades=true", 400, "line"),
        ("/api/v1/highlights/2022/firms/?listing_bucket=nowhere", 400, "listing_bucket"),
        ("/api/v1/highlights/trend/?from=2025&to=2018", 400, "from"),
        ("/api/v1/highlights/trend/?from=1900", 400, "from"),
        ("/api/v1/highlights/trend/?to=2098", 400, "to"),
    ],
)
def test_bad_parameters(park: Any, as_user: Any, path: str, status: int, field: str) -> None:
    response = as_user(park.viewer, "en").get(path)
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == "invalid" and field in body["errors"]
    chinese = as_user(park.viewer).get(path).json()
    assert chinese["message"] != body["message"]


def test_unknown_numbers_and_zones_are_not_found(park: Any, as_user: Any) -> None:
    client = as_user(park.viewer, "en")
    assert client.get("/api/v1/highlights/2022/lines/NOPE/firms/?bucket=new").status_code == 404
    assert client.get("/api/v1/highlights/2022/firms/?tag_group=NOPE").status_code == 404
    missing_zone = client.get("/api/v1/highlights/2022/?zone=999999")
    assert missing_zone.status_code == 404
    assert "outside your scope" in missing_zone.json()["message"]
    assert client.get("/api/v1/highlights/22/").status_code == 404
