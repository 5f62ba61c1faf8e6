"""GET /firms/{id}/eligibility/ and POST …/what-if/: what a staff member or the firm itself sees."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.core import clock
from apps.core.models import Change
from apps.figures.models import AnnualFigures, MonthlyFigures
from apps.programmes.models import Certification
from tests.rules.factories import M, hnte_ready, verified

pytestmark = pytest.mark.django_db


def hnte(payload: dict) -> dict:
    return next(p for p in payload["programmes"] if p["programme"] == "HNTE")


def crit(programme: dict, code: str) -> dict:
    return next(c for c in programme["criteria"] if c["code"] == code)


@pytest.fixture
def short_of_rd(park):
    """Firm A: revenue 100M a year (50–200M band, 4 %), R&D 3.1 % over three years: ¥2.7M short."""
    figures = hnte_ready(2024)
    for values in figures.values():
        values["rd_expense"] = 3_100_000
        values["rd_expense_domestic"] = 3_000_000
    for year, values in figures.items():
        verified(park.firm_a, year, **values)
    return park.firm_a


def test_gap_in_the_firms_own_units_in_chinese_and_english(park, as_user, short_of_rd):
    url = f"/api/v1/firms/{short_of_rd.pk}/eligibility/?programme=HNTE&year=2024"
    zh = hnte(as_user(park.staff).get(url).json())
    rd = crit(zh, "rd_ratio")
    assert rd["status"] == "not_met"
    # 4 % of 300M = 12M; 9.3M spent: 2.7M more R&D, exactly.
    assert rd["gaps"][0]["amount"] == "2700000.00"
    assert rd["gaps"][0]["field"] == "rd_expense"
    assert rd["text"] == "研发费用占比 3.1%，收入 5000 万–2 亿元档要求 4%：需增加研发投入 ¥270 万"
    en = hnte(as_user(park.staff, "en").get(url).json())
    assert crit(en, "rd_ratio")["text"] == "R&D ratio 3.1 % vs 4 % required for revenue 50–200M: +¥2.7M R&D"
    assert zh["verdict"] == "not_eligible"
    assert zh["rule_set"]["code"] == "HNTE-2016"
    assert zh["rule_set"]["revision"] == 1


def test_inputs_name_the_fiscal_years_they_came_from(park, as_user, short_of_rd):
    body = hnte(as_user(park.staff).get(f"/api/v1/firms/{short_of_rd.pk}/eligibility/?programme=HNTE&year=2024").json())
    inputs = crit(body, "rd_ratio")["inputs"]
    assert {(i["field"], i["fiscal_year"]) for i in inputs} >= {
        ("rd_expense", 2022),
        ("rd_expense", 2023),
        ("rd_expense", 2024),
        ("sales_revenue", 2024),
    }
    assert all(not i["hypothetical"] for i in inputs)


@pytest.mark.dated
def test_every_programme_by_default_and_the_last_fiscal_year(park, as_user):
    body = as_user(park.staff).get(f"/api/v1/firms/{park.firm_a.pk}/eligibility/").json()
    assert body["fiscal_year"] == clock.today().year - 1
    codes = {p["programme"] for p in body["programmes"]}
    assert {"HNTE", "TSME", "ISME", "SRDI", "LITTLE_GIANT", "ABOVE_SIZE", "LISTING_RESERVE", "GAZELLE"} <= codes
    champion = next(p for p in body["programmes"] if p["programme"] == "CHAMPION")
    assert champion["verdict"] == "no_rule_set"


def test_missing_figures_are_unknown_not_failed(park, as_user):
    verified(park.firm_a, 2024, staff_total=100)  # no S&T staff count
    body = hnte(as_user(park.staff).get(f"/api/v1/firms/{park.firm_a.pk}/eligibility/?programme=HNTE&year=2024").json())
    staff = crit(body, "st_staff_ratio")
    assert staff["status"] == "unknown"
    assert "2024 年度科技人员" in staff["text"]
    assert body["verdict"] == "unknown"


def test_only_verified_figures_count(park, as_user):
    firm = park.firm_a
    verified(firm, 2024, staff_total=100, st_staff=5)
    # The enterprise proposes better numbers; until staff verify them, they change nothing.
    verified(firm, 2024, state="proposed", staff_total=100, st_staff=50)
    url = f"/api/v1/firms/{firm.pk}/eligibility/?programme=HNTE&year=2024"
    staff = crit(hnte(as_user(park.staff).get(url).json()), "st_staff_ratio")
    assert staff["status"] == "not_met"
    assert staff["value"] == "0.05"
    assert {i["value"] for i in staff["inputs"] if i["field"] == "st_staff"} == {5}


def test_eligible_lists_manual_criteria_still_to_check(park, as_user):
    for year, values in hnte_ready(2024).items():
        verified(park.firm_a, year, **values)
    body = hnte(as_user(park.staff).get(f"/api/v1/firms/{park.firm_a.pk}/eligibility/?programme=HNTE&year=2024").json())
    assert body["verdict"] == "eligible"
    assert {"core_ip", "tech_field", "innovation_score", "compliance"} <= {m["code"] for m in body["manual_to_check"]}
    assert body["verdict_text"].startswith("满足全部计算条件；尚需人工核实")


def test_what_if_merges_hypothetical_figures_and_stores_nothing(park, as_user, short_of_rd):
    url = f"/api/v1/firms/{short_of_rd.pk}/eligibility/what-if/"
    counts = (AnnualFigures.objects.count(), MonthlyFigures.objects.count(), Certification.objects.count())
    changes = Change.objects.count()
    response = as_user(park.ent_a).post(
        url,
        {"programme": "HNTE", "year": 2024, "figures": [{"fiscal_year": 2024, "rd_expense": "6000000.00"}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = hnte(response.json())
    rd = crit(body, "rd_ratio")
    assert rd["status"] == "met"  # 3.1 + 3.1 + 6.0 of 300M = 12.2M ≥ 12M
    assert [i["hypothetical"] for i in rd["inputs"] if i["field"] == "rd_expense" and i["fiscal_year"] == 2024] == [
        True
    ]
    assert response.json()["what_if"] is True
    assert (AnnualFigures.objects.count(), MonthlyFigures.objects.count(), Certification.objects.count()) == counts
    assert Change.objects.count() == changes
    # The verified figures are untouched: the plain evaluation still fails.
    again = hnte(
        as_user(park.ent_a).get(f"/api/v1/firms/{short_of_rd.pk}/eligibility/?programme=HNTE&year=2024").json()
    )
    assert crit(again, "rd_ratio")["status"] == "not_met"


def test_what_if_refuses_inconsistent_or_negative_figures(park, as_user, short_of_rd):
    client = as_user(park.staff, "en")
    url = f"/api/v1/firms/{short_of_rd.pk}/eligibility/what-if/"
    too_many = client.post(url, {"figures": [{"fiscal_year": 2024, "st_staff": 500}]}, format="json")
    assert too_many.status_code == 400
    assert "cannot exceed" in too_many.json()["message"]
    negative = client.post(url, {"figures": [{"fiscal_year": 2024, "rd_expense": "-1"}]}, format="json")
    assert negative.status_code == 400
    assert "rd_expense" in str(negative.json()["errors"])
    empty = client.post(url, {"figures": []}, format="json")
    assert empty.status_code == 400
    repeated = client.post(url, {"figures": [{"fiscal_year": 2024, "rd_expense": 1}] * 2}, format="json")
    assert repeated.status_code == 400


@pytest.mark.dated
def test_bad_query_is_a_clear_400(park, as_user):
    client = as_user(park.staff, "en")
    url = f"/api/v1/firms/{park.firm_a.pk}/eligibility/"
    unknown = client.get(url, {"programme": "NOPE"})
    assert unknown.status_code == 400
    assert "Unknown programme: NOPE" in unknown.json()["message"]
    future = client.get(url, {"year": clock.today().year + 3})
    assert future.status_code == 400
    assert client.get(url, {"year": "abc"}).status_code == 400
    assert client.get(url, {"on": "2024-13-40"}).status_code == 400
    assert client.get("/api/v1/firms/abc/eligibility/").status_code == 404


def test_scope_enterprise_sees_its_own_gaps_and_never_another_firm(park, as_user, short_of_rd):
    client = as_user(park.ent_a)
    own = client.get(f"/api/v1/firms/{park.firm_a.pk}/eligibility/?programme=HNTE&year=2024")
    assert own.status_code == 200
    assert crit(hnte(own.json()), "rd_ratio")["gaps"][0]["amount"] == "2700000.00"
    assert client.get(f"/api/v1/firms/{park.firm_b.pk}/eligibility/").status_code == 404
    what_if = client.post(
        f"/api/v1/firms/{park.firm_b.pk}/eligibility/what-if/",
        {"figures": [{"fiscal_year": 2024, "rd_expense": 1}]},
        format="json",
    )
    assert what_if.status_code == 404
    assert as_user(park.staff_a).get(f"/api/v1/firms/{park.firm_b.pk}/eligibility/").status_code == 404
    assert as_user(park.viewer).get(f"/api/v1/firms/{park.firm_b.pk}/eligibility/").status_code == 200


def test_viewers_read_but_do_not_run_what_ifs(park, as_user):
    response = as_user(park.viewer).post(
        f"/api/v1/firms/{park.firm_a.pk}/eligibility/what-if/",
        {"figures": [{"fiscal_year": 2024, "rd_expense": 1}]},
        format="json",
    )
    assert response.status_code == 403


def test_titles_held_on_the_evaluation_day_open_direct_routes(park, as_user):
    from tests.programmes.factories import CertificationFactory, programme

    CertificationFactory(firm=park.firm_a, programme=programme("HNTE"), certificate_date=dt.date(2023, 12, 1))
    verified(
        park.firm_a,
        2024,
        staff_total=100,
        st_staff=5,
        rd_expense=0,
        sales_revenue=M,
        total_assets=M,
        ip_class1=0,
        ip_class2=0,
    )
    body = as_user(park.staff).get(f"/api/v1/firms/{park.firm_a.pk}/eligibility/?programme=TSME&year=2024").json()
    tsme = body["programmes"][0]
    assert crit(tsme, "hnte_direct")["status"] == "met"
    assert crit(tsme, "score")["status"] == "not_met"
    assert tsme["verdict"] == "eligible"  # the direct route replaces the score
    before = (
        as_user(park.staff)
        .get(f"/api/v1/firms/{park.firm_a.pk}/eligibility/?programme=TSME&year=2024&on=2023-06-30")
        .json()
    )
    assert before["programmes"][0]["rule_set"]["code"] == "TSME-2017"
    assert crit(before["programmes"][0], "hnte_direct")["status"] == "not_met"
