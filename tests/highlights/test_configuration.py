"""Report lines and tag groups are data administrators edit; the shipped defaults reload idempotently."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps

from apps.highlights.models import ReportLine, TagGroup
from tests.highlights.factories import D, cert, firm

pytestmark = pytest.mark.django_db


def test_defaults_ship_as_data_and_reload_without_touching_edits() -> None:
    zjtx = ReportLine.objects.get(code="ZJTX")
    assert sorted(p.code for p in zjtx.programmes.all()) == ["LITTLE_GIANT", "SRDI"]
    assert set(ReportLine.objects.values_list("code", flat=True)) >= {
        "HNTE",
        "TSME",
        "ISME",
        "SRDI",
        "LITTLE_GIANT",
        "CHAMPION",
        "ABOVE_SIZE",
        "LISTING_RESERVE",
        "GAZELLE",
    }
    assert set(TagGroup.objects.values_list("code", "tag")) == {
        ("DIGITAL", "数字经济"),
        ("STRATEGIC", "战略性新兴产业"),
    }
    ReportLine.objects.filter(code="HNTE").update(name_zh="高企")
    ReportLine.objects.filter(code="GAZELLE").delete()
    before = ReportLine.objects.count()
    apps.get_app_config("highlights").load_reference_data()
    apps.get_app_config("highlights").load_reference_data()
    assert ReportLine.objects.get(code="HNTE").name_zh == "高企"
    assert ReportLine.objects.count() == before + 1


def test_an_administrator_adds_a_group_line_and_the_report_counts_distinct_firms(park: Any, as_user: Any) -> None:
    both = firm(park.zone_a)
    cert(both, "HNTE", D(2022, 3, 1))
    cert(both, "TSME", D(2022, 4, 1))
    only_tsme = firm(park.zone_a)
    cert(only_tsme, "TSME", D(2022, 5, 1))
    admin = as_user(park.admin)
    created = admin.post(
        "/api/v1/highlight-lines/",
        {"code": "tech", "name_zh": "科技企业", "programmes": ["hnte", "TSME"], "reason": "区科技局口径"},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["code"] == "TECH" and created.json()["programmes"] == ["HNTE", "TSME"]
    report = admin.get("/api/v1/highlights/2022/").json()
    tech = next(line for line in report["lines"] if line["code"] == "TECH")
    assert (tech["new"], tech["closing"]) == (2, 2)
    patched = admin.patch(f"/api/v1/highlight-lines/{created.json()['id']}/", {"active": False}, format="json")
    assert patched.status_code == 200
    assert all(line["code"] != "TECH" for line in admin.get("/api/v1/highlights/2022/").json()["lines"])


def test_only_administrators_write_the_configuration(park: Any, as_user: Any) -> None:
    line = {"code": "X", "name_zh": "某口径", "programmes": ["HNTE"]}
    group = {"code": "Y", "name_zh": "某产业", "tag": "重点跟踪"}
    for user in (park.staff, park.viewer):
        assert as_user(user).post("/api/v1/highlight-lines/", line, format="json").status_code == 403
        assert as_user(user).post("/api/v1/highlight-tag-groups/", group, format="json").status_code == 403
    assert as_user(park.staff).get("/api/v1/highlight-lines/").status_code == 200
    made = as_user(park.admin).post("/api/v1/highlight-tag-groups/", group, format="json")
    assert made.status_code == 201, made.content
    assert (made.json()["programme"], made.json()["figure"], made.json()["industry_section"]) == (
        "ABOVE_SIZE",
        "output_value",
        "",
    )


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("/api/v1/highlight-lines/", {"code": "HNTE", "name_zh": "重复", "programmes": ["HNTE"]}, "code"),
        ("/api/v1/highlight-lines/", {"code": "9X", "name_zh": "坏代码", "programmes": ["HNTE"]}, "code"),
        ("/api/v1/highlight-lines/", {"code": "EMPTY", "name_zh": "空", "programmes": []}, "programmes"),
        ("/api/v1/highlight-lines/", {"code": "GHOST", "name_zh": "无此项目", "programmes": ["NOPE"]}, "programmes"),
        (
            "/api/v1/highlight-lines/",
            {"code": "G", "name_zh": "口径", "programmes": ["HNTE"], "growth_basis": "x"},
            "growth_basis",
        ),
        (
            "/api/v1/highlight-tag-groups/",
            {"code": "T", "name_zh": "产业", "tag": "数字经济", "figure": "staff_total"},
            "figure",
        ),
        (
            "/api/v1/highlight-tag-groups/",
            {"code": "T", "name_zh": "产业", "tag": "数字经济", "industry_section": "CC"},
            "industry_section",
        ),
        ("/api/v1/highlight-tag-groups/", {"code": "T", "name_zh": "产业", "tag": "  "}, "tag"),
    ],
)
def test_bad_configuration_is_refused_clearly(
    park: Any, as_user: Any, path: str, payload: dict[str, Any], field: str
) -> None:
    response = as_user(park.admin, "en").post(path, payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
