"""/api/v1/rule-sets/: thresholds are data administrators edit; evaluations follow without a deploy."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.core.models import Change
from apps.rules.models import Criterion, RuleSet
from tests.rules.factories import M, criterion, evaluate, firm_with, hnte_ready

pytestmark = pytest.mark.django_db


def rule_set(code: str) -> RuleSet:
    return RuleSet.objects.get(code=code)


def test_every_shipped_edition_is_there_with_unconfirmed_values_flagged(park, as_user):
    body = as_user(park.ent_a).get("/api/v1/rule-sets/", {"page_size": 100}).json()
    codes = {r["code"] for r in body["results"]}
    assert codes == {
        "HNTE-2016",
        "TSME-2017",
        "TSME-2025",
        "ISME-2022",
        "SRDI-2022",
        "LITTLE_GIANT-2022",
        "ABOVE_SIZE-2011",
        "LISTING_RESERVE-CQ-2022",
        "GAZELLE-CQ-2023",
    }
    hnte = next(r for r in body["results"] if r["code"] == "HNTE-2016")
    rd = next(c for c in hnte["criteria"] if c["code"] == "rd_ratio")
    assert rd["params"]["bands"] == [
        {"revenue_max": 50000000, "min_ratio": 0.05},
        {"revenue_max": 200000000, "min_ratio": 0.04},
        {"min_ratio": 0.03},
    ]
    growth = next(c for c in hnte["criteria"] if c["code"] == "growth_score")
    assert growth["unconfirmed"] is True and "UNCONFIRMED" in growth["notes"]
    assert hnte["near_miss_margin"] == "0.1000"


def test_filters_by_programme_and_day(park, as_user):
    client = as_user(park.staff)
    tsme = client.get("/api/v1/rule-sets/", {"programme": "tsme"}).json()
    assert [r["code"] for r in tsme["results"]] == ["TSME-2017", "TSME-2025"]
    in_2020 = client.get("/api/v1/rule-sets/", {"programme": "TSME", "effective_on": "2020-06-30"}).json()
    assert [r["code"] for r in in_2020["results"]] == ["TSME-2017"]


def test_a_threshold_edit_takes_effect_on_the_next_evaluation(park, as_user):
    firm = firm_with(hnte_ready(2024))  # S&T staff 40 of 200 = 20 %
    assert criterion(evaluate(firm, "HNTE"), "st_staff_ratio").outcome.status == "met"
    hnte = rule_set("HNTE-2016")
    response = as_user(park.admin).patch(
        f"/api/v1/rule-sets/{hnte.pk}/",
        {
            "criteria": [
                {
                    "code": "st_staff_ratio",
                    "kind": "computed",
                    "metric": "ratio_at_least",
                    "params": {
                        "numerator": "st_staff",
                        "denominator": "staff_total",
                        "min": 0.25,
                        "part_of_denominator": True,
                    },
                }
            ],
            "reason": "测试：提高科技人员比例",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["revision"] == 2
    assert (
        len(response.json()["criteria"]) == Criterion.objects.filter(rule_set=hnte).count() > 5
    )  # PATCH kept the rest
    result = evaluate(firm, "HNTE")
    staff = criterion(result, "st_staff_ratio").outcome
    assert staff.status == "not_met"
    assert staff.gaps[0].amount == 14  # (40 + 14) / (200 + 14) ≥ 25 %
    assert result.rule_set is not None and result.rule_set.revision == 2
    change = Change.objects.filter(table_name="rules_criterion").order_by("-id").first()
    assert change is not None and change.reason == "测试：提高科技人员比例"
    assert change.before["params"]["min"] == 0.1


def test_a_new_edition_applies_from_its_date_and_older_years_keep_theirs(park, as_user):
    firm = firm_with(hnte_ready(2024) | hnte_ready(2026))
    admin = as_user(park.admin)
    hnte = rule_set("HNTE-2016")
    overlapping = admin.post(
        "/api/v1/rule-sets/",
        {
            "programme": "HNTE",
            "code": "HNTE-2026",
            "name_zh": "高新技术企业认定（2026 假设版）",
            "effective_from": "2026-01-01",
            "criteria": [],
        },
        format="json",
    )
    assert overlapping.status_code == 400
    assert "HNTE-2016" in overlapping.json()["message"]
    ended = admin.patch(f"/api/v1/rule-sets/{hnte.pk}/", {"effective_to": "2025-12-31"}, format="json")
    assert ended.status_code == 200
    created = admin.post(
        "/api/v1/rule-sets/",
        {
            "programme": "HNTE",
            "code": "HNTE-2026",
            "name_zh": "高新技术企业认定（2026 假设版）",
            "effective_from": "2026-01-01",
            "criteria": [
                {
                    "code": "st_staff_ratio",
                    "name_zh": "科技人员占比",
                    "kind": "computed",
                    "metric": "ratio_at_least",
                    "params": {"numerator": "st_staff", "denominator": "staff_total", "min": 0.30},
                },
                {"code": "tech_field", "name_zh": "技术领域", "kind": "manual"},
            ],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    new = evaluate(firm, "HNTE", 2026)
    assert new.rule_set is not None and new.rule_set.code == "HNTE-2026"
    assert criterion(new, "st_staff_ratio").outcome.status == "not_met"  # 20 % < 30 %
    old = evaluate(firm, "HNTE", 2024)
    assert old.rule_set is not None and old.rule_set.code == "HNTE-2016"
    assert criterion(old, "st_staff_ratio").outcome.status == "met"
    assert old.verdict == "eligible"


def test_bad_parameters_are_refused_with_the_path_and_nothing_changes(park, as_user):
    hnte = rule_set("HNTE-2016")
    client = as_user(park.admin, "en")
    response = client.patch(
        f"/api/v1/rule-sets/{hnte.pk}/",
        {
            "criteria": [
                {
                    "code": "rd_ratio",
                    "kind": "computed",
                    "metric": "rd_ratio_by_revenue_band",
                    "params": {"years": 3, "revenue_field": "sales_revenue", "bands": [{"min_ratio": "lots"}]},
                }
            ]
        },
        format="json",
    )
    assert response.status_code == 400
    assert "bands[0].min_ratio" in str(response.json()["errors"])
    unknown_metric = client.patch(
        f"/api/v1/rule-sets/{hnte.pk}/",
        {"criteria": [{"code": "x", "name_zh": "x", "kind": "computed", "metric": "magic", "params": {}}]},
        format="json",
    )
    assert unknown_metric.status_code == 400
    wrong_field = client.patch(
        f"/api/v1/rule-sets/{hnte.pk}/",
        {
            "criteria": [
                {
                    "code": "x",
                    "name_zh": "x",
                    "kind": "computed",
                    "metric": "at_least",
                    "params": {"field": "profit_margin", "min": 1},
                }
            ]
        },
        format="json",
    )
    assert wrong_field.status_code == 400
    assert "Unknown annual figures field" in wrong_field.json()["message"]
    repeated = client.patch(
        f"/api/v1/rule-sets/{hnte.pk}/",
        {
            "criteria": [
                {"code": "x", "name_zh": "x", "kind": "manual"},
                {"code": "x", "name_zh": "y", "kind": "manual"},
            ]
        },
        format="json",
    )
    assert repeated.status_code == 400
    backwards = client.patch(f"/api/v1/rule-sets/{hnte.pk}/", {"effective_to": "2015-01-01"}, format="json")
    assert backwards.status_code == 400
    margin = client.patch(f"/api/v1/rule-sets/{hnte.pk}/", {"near_miss_margin": "1.5"}, format="json")
    assert margin.status_code == 400
    hnte.refresh_from_db()
    assert hnte.revision == 1
    assert not Criterion.objects.filter(rule_set=hnte, code="x").exists()


def test_only_administrators_write_and_shipped_editions_stay(park, as_user):
    hnte = rule_set("HNTE-2016")
    for user in (park.staff, park.viewer, park.ent_a):
        assert as_user(user).patch(f"/api/v1/rule-sets/{hnte.pk}/", {"notes": "x"}, format="json").status_code == 403
    admin = as_user(park.admin, "en")
    deleted = admin.delete(f"/api/v1/rule-sets/{hnte.pk}/")
    assert deleted.status_code == 409
    recoded = admin.patch(f"/api/v1/rule-sets/{hnte.pk}/", {"code": "HNTE-2099"}, format="json")
    assert recoded.status_code == 400
    unchanged = admin.patch(f"/api/v1/rule-sets/{hnte.pk}/", {"notes": hnte.notes}, format="json")
    assert unchanged.json()["revision"] == 1  # nothing changed, no new revision


def test_put_replaces_the_criteria_and_a_local_rule_set_can_be_deleted(park, as_user):
    admin = as_user(park.admin)
    created = admin.post(
        "/api/v1/rule-sets/",
        {
            "programme": "CHAMPION",
            "code": "CHAMPION-2023",
            "name_zh": "制造业单项冠军（本地试行）",
            "effective_from": "2023-01-01",
            "near_miss_margin": "0.05",
            "criteria": [
                {
                    "code": "revenue",
                    "name_zh": "营业收入 ≥ 4 亿元",
                    "kind": "computed",
                    "metric": "at_least",
                    "params": {"field": "operating_revenue", "min": 400 * M},
                },
                {"code": "share", "name_zh": "全球市场占有率前三", "kind": "manual"},
            ],
        },
        format="json",
    ).json()
    replaced = admin.put(
        f"/api/v1/rule-sets/{created['id']}/",
        {
            "programme": "CHAMPION",
            "code": "CHAMPION-2023",
            "name_zh": "制造业单项冠军（本地试行）",
            "effective_from": "2023-01-01",
            "criteria": [{"code": "share", "name_zh": "全球市场占有率前三", "kind": "manual"}],
        },
        format="json",
    )
    assert replaced.status_code == 200
    assert [c["code"] for c in replaced.json()["criteria"]] == ["share"]
    assert replaced.json()["revision"] == 2
    assert admin.delete(f"/api/v1/rule-sets/{created['id']}/").status_code == 204


def test_metrics_are_listed_for_administrators_to_pick_from(park, as_user):
    metrics = as_user(park.viewer).get("/api/v1/rule-sets/metrics/").json()
    names = {m["name"] for m in metrics}
    assert {"ratio_at_least", "rd_ratio_by_revenue_band", "tsme_score", "isme_score", "above_size_threshold"} <= names


def test_the_database_refuses_overlapping_editions_whatever_the_write_path(park):
    from django.db import IntegrityError, transaction

    hnte = rule_set("HNTE-2016")
    with pytest.raises(IntegrityError), transaction.atomic():
        RuleSet.objects.create(programme=hnte.programme, code="HNTE-X", name_zh="x", effective_from=dt.date(2020, 1, 1))
