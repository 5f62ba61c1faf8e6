"""One error shape, in Chinese or English; the schema and health endpoints."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_error_shape_in_chinese_by_default(park, as_user):
    response = as_user(park.staff).post("/api/v1/firms/", {"name": ""}, format="json")
    body = response.json()
    assert response.status_code == 400
    assert set(body) == {"code", "message", "errors"}
    assert "提交的数据有误" in body["message"]
    assert "uscc" in body["errors"] and "zone" in body["errors"]
    assert body["errors"]["uscc"] == ["该字段是必填项。"]


def test_error_shape_in_english(park, as_user):
    body = as_user(park.staff, "en").post("/api/v1/firms/", {"name": ""}, format="json").json()
    assert body["message"].startswith("The submitted data is invalid")
    assert body["errors"]["uscc"] == ["This field is required."]


def test_not_found_has_the_shape(park, as_user):
    for url in ("/api/v1/firms/999999/", "/api/v1/no-such-thing/"):
        response = as_user(park.staff).get(url)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_unknown_filter_value_is_400_not_500(park, as_user):
    client = as_user(park.staff)
    assert client.get("/api/v1/firms/", {"zone": "abc"}).status_code == 400
    assert client.get("/api/v1/firms/", {"registration_date_after": "2020-13-45"}).status_code == 400
    assert client.get("/api/v1/firms/", {"page": "9999"}).status_code == 404
    assert client.get("/api/v1/firms/", {"ordering": "nonsense"}).status_code == 400  # an unknown field, not ignored


def test_very_long_and_odd_input_is_refused_cleanly(park, as_user):
    client = as_user(park.staff)
    response = client.patch(f"/api/v1/firms/{park.firm_a.pk}/", {"name": "长" * 5000}, format="json")
    assert response.status_code == 400 and "name" in response.json()["errors"]
    response = client.patch(f"/api/v1/firms/{park.firm_a.pk}/", {"tags": "not-a-list"}, format="json")
    assert response.status_code == 400
    response = client.get("/api/v1/firms/", {"q": "\x00"})
    assert response.status_code in (200, 400)


def test_healthz_reports_database_and_broker():
    response = APIClient().get("/healthz")
    body = response.json()
    assert body["database"]["ok"] is True
    assert "kind" in body["broker"]
    assert response.status_code in (200, 503)


def test_schema_and_docs_are_served():
    client = APIClient()
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/firms/" in schema.json()["paths"]
    assert client.get("/api/docs/").status_code == 200
