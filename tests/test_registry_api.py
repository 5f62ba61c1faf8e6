"""The firm registry as staff use it: create, find, correct, mark as left, and the errors they meet."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from apps.core.models import Change
from apps.registry.models import Firm
from tests.factories import FirmFactory, uscc_for

pytestmark = pytest.mark.django_db

VALID = "91500000MA5U12346T"


def new_firm(park, **extra):
    body = {"uscc": VALID, "name": "重庆新来科技有限公司", "zone": park.zone_a.pk, "industry": "C3912"}
    body.update(extra)
    return body


def test_staff_creates_a_firm_and_finds_it_by_uscc(park, as_user):
    client = as_user(park.staff)
    created = client.post("/api/v1/firms/", new_firm(park), format="json")
    assert created.status_code == 201, created.content
    assert created.json()["industry_name"] == "计算机零部件制造"
    found = client.get("/api/v1/firms/", {"uscc": VALID.lower()}).json()
    assert [f["name"] for f in found["results"]] == ["重庆新来科技有限公司"]


def test_wrong_check_character_is_400_naming_the_field_and_changes_nothing(park, as_user):
    before = Firm.objects.count()
    response = as_user(park.staff).post("/api/v1/firms/", new_firm(park, uscc="91500000MA5U1234XX"), format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "uscc" in body["errors"]
    assert "校验位" in body["errors"]["uscc"][0]
    assert Firm.objects.count() == before


def test_wrong_check_character_in_english(park, as_user):
    response = as_user(park.staff, "en").post(
        "/api/v1/firms/", new_firm(park, uscc="91110000100000589B"), format="json"
    )
    assert response.status_code == 400
    assert "check character" in response.json()["errors"]["uscc"][0]


def test_duplicate_uscc_is_400_not_500(park, as_user):
    client = as_user(park.staff)
    assert client.post("/api/v1/firms/", new_firm(park), format="json").status_code == 201
    again = client.post("/api/v1/firms/", new_firm(park, name="另一家"), format="json")
    assert again.status_code == 400
    assert "已登记" in again.json()["errors"]["uscc"][0]


def test_full_width_uscc_is_normalised(park, as_user):
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in VALID)
    response = as_user(park.staff).post("/api/v1/firms/", new_firm(park, uscc=full_width), format="json")
    assert response.status_code == 201
    assert response.json()["uscc"] == VALID


def test_unknown_industry_code_is_400(park, as_user):
    response = as_user(park.staff).post("/api/v1/firms/", new_firm(park, industry="C9999"), format="json")
    assert response.status_code == 400
    assert "C9999" in response.json()["errors"]["industry"][0]


def test_exit_before_entry_is_400(park, as_user):
    response = as_user(park.staff).patch(
        f"/api/v1/firms/{park.firm_a.pk}/", {"left_park_on": "2010-01-01"}, format="json"
    )
    assert response.status_code == 400
    assert "left_park_on" in response.json()["errors"]
    park.firm_a.refresh_from_db()
    assert park.firm_a.left_park_on is None


def test_malformed_json_is_400_with_the_error_shape(park, as_user):
    response = as_user(park.staff).generic("POST", "/api/v1/firms/", '{"uscc": "9150', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert set(response.json()) == {"code", "message", "errors"}


def test_leaving_the_park_keeps_the_firm(park, as_user):
    client = as_user(park.staff)
    response = client.post(
        f"/api/v1/firms/{park.firm_a.pk}/leave/",
        {"date": "2024-06-30", "kind": "moved_out", "reason": "迁往璧山"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["in_park"] is False
    assert Firm.objects.filter(pk=park.firm_a.pk).exists()
    still_in = client.get("/api/v1/firms/", {"in_park": "true"}).json()
    assert park.firm_a.pk not in [f["id"] for f in still_in["results"]]
    gone = client.get("/api/v1/firms/", {"in_park": "false"}).json()
    assert [f["id"] for f in gone["results"]] == [park.firm_a.pk]
    change = Change.objects.filter(table_name="registry_firm", object_id=str(park.firm_a.pk), action="update").first()
    assert change is not None and change.reason == "迁往璧山"


def test_only_administrators_erase_and_only_unreferenced_firms(park, as_user):
    lonely = FirmFactory(zone=park.zone_a)
    assert as_user(park.staff).delete(f"/api/v1/firms/{lonely.pk}/").status_code == 403
    referenced = as_user(park.admin).delete(f"/api/v1/firms/{park.firm_a.pk}/")
    assert referenced.status_code == 409
    assert "journal_entries" in referenced.json()["message"]
    assert as_user(park.admin).delete(f"/api/v1/firms/{lonely.pk}/").status_code == 204
    assert not Firm.objects.filter(pk=lonely.pk).exists()
    assert Change.objects.filter(table_name="registry_firm", object_id=str(lonely.pk), action="delete").exists()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"industry_section": "C"}, {"a", "b"}),
        ({"industry_division": "36"}, {"a"}),
        ({"industry_division": "C34"}, {"b"}),
        ({"industry_class": "3422"}, {"b"}),
        ({"industry": "C367"}, {"a"}),
        ({"tag": "数字经济"}, {"a"}),
        ({"registration_date_after": "2016-01-01"}, {"b"}),
        ({"q": "甲方"}, {"a"}),
        ({"q": "机"}, {"b"}),
        ({"zone_code": "zone-b"}, {"b"}),
    ],
)
def test_filters(park, as_user, params, expected):
    Firm.objects.filter(pk=park.firm_a.pk).update(tags=["数字经济", "重点跟踪"])
    Firm.objects.filter(pk=park.firm_b.pk).update(registration_date=dt.date(2018, 1, 1))
    names = {park.firm_a.pk: "a", park.firm_b.pk: "b"}
    body = as_user(park.admin).get("/api/v1/firms/", params).json()
    assert {names[f["id"]] for f in body["results"]} == expected


def test_search_by_part_of_the_uscc(park, as_user):
    part = park.firm_b.uscc[10:18]
    body = as_user(park.admin).get("/api/v1/firms/", {"q": part.lower()}).json()
    assert [f["id"] for f in body["results"]] == [park.firm_b.pk]


def test_pages_are_deterministic_and_bounded(park, as_user):
    FirmFactory.create_batch(30, zone=park.zone_a, name="重庆同名有限公司")
    client = as_user(park.admin)
    first = client.get("/api/v1/firms/", {"ordering": "name", "page_size": 10}).json()
    again = client.get("/api/v1/firms/", {"ordering": "name", "page_size": 10}).json()
    assert [f["id"] for f in first["results"]] == [f["id"] for f in again["results"]]
    second = client.get("/api/v1/firms/", {"ordering": "name", "page_size": 10, "page": 2}).json()
    assert not {f["id"] for f in first["results"]} & {f["id"] for f in second["results"]}
    huge = client.get("/api/v1/firms/", {"page_size": 100000}).json()
    assert len(huge["results"]) == 32


def test_query_count_does_not_grow_with_page_size(park, as_user, settings):
    settings.SEEDBED_DATA_CACHE_SECONDS = 0  # the second request would find the total count cached
    FirmFactory.create_batch(120, zone=park.zone_a)
    client = as_user(park.admin)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (10, 100):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/v1/firms/", {"page_size": size}).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_industries_search(park, as_user):
    body = as_user(park.ent_a).get("/api/v1/industries/", {"q": "铜压延"}).json()
    assert [i["code"] for i in body["results"]] == ["C3251"]
    by_code = as_user(park.staff).get("/api/v1/industries/", {"q": "C35", "level": 2}).json()
    assert [i["code"] for i in by_code["results"]] == ["C35"]


def test_journal_entry_is_authored_by_the_caller(park, as_user):
    response = as_user(park.staff).post(
        "/api/v1/journal/",
        {"firm": park.firm_a.pk, "date": "2024-09-01", "title": "走访", "body": "了解研发投入"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["author"] == park.staff.pk


def test_script_like_text_is_stored_inertly(park, as_user):
    name = "<script>alert(1)</script>'; DROP TABLE registry_firm; --"
    response = as_user(park.staff).patch(f"/api/v1/firms/{park.firm_a.pk}/", {"name": name}, format="json")
    assert response.status_code == 200
    assert json.loads(response.content)["name"] == name
    assert Firm.objects.filter(name=name).count() == 1


def test_uscc_factory_codes_are_valid():
    from stdnum.cn import uscc

    assert all(uscc.is_valid(uscc_for(n)) for n in range(200))
