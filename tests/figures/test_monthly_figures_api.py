"""Monthly year-to-date figures: the same proposal and review flow, with month rules."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.core import clock
from apps.figures.models import MonthlyFigures
from apps.figures.selectors import verified_monthly_figures
from tests.figures.factories import MonthlyFiguresFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/monthly-figures/"


def ytd(firm, **values):
    body = {
        "firm": firm.pk,
        "year": 2022,
        "month": 8,
        "main_business_revenue_ytd": "21500000.00",
        "output_value_ytd": "23000000",
    }
    body.update(values)
    return body


def test_a_monthly_proposal_counts_only_once_verified(park, as_user):
    created = as_user(park.ent_a).post(URL, ytd(park.firm_a), format="json")
    assert created.status_code == 201, created.content
    figure = created.json()
    assert (figure["state"], figure["year"], figure["month"]) == ("proposed", 2022, 8)
    staff = as_user(park.staff)
    assert staff.get(URL, {"verified": "true"}).json()["results"] == []
    assert not verified_monthly_figures(year=2022, month=8).exists()

    assert staff.post(f"{URL}{figure['id']}/verify/", {}, format="json").status_code == 200
    assert [r["id"] for r in staff.get(URL, {"verified": "true", "month": 8}).json()["results"]] == [figure["id"]]
    assert verified_monthly_figures(firms=[park.firm_a], year=2022).get().output_value_ytd == 23000000


def test_resubmitting_a_month_keeps_both_versions(park, as_user):
    ent = as_user(park.ent_a)
    ent.post(URL, ytd(park.firm_a), format="json")
    second = ent.post(URL, ytd(park.firm_a, main_business_revenue_ytd="21600000"), format="json").json()
    assert second["version"] == 2
    assert sorted(MonthlyFigures.objects.filter(firm=park.firm_a).values_list("state", flat=True)) == [
        "proposed",
        "superseded",
    ]


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"month": 13}, "month", "1 到 12"),
        ({"month": 0}, "month", "1 到 12"),
        ({"month": -2}, "month", "1 到 12"),
        ({"main_business_revenue_ytd": "-10"}, "main_business_revenue_ytd", "负数"),
        ({"output_value_ytd": "-0.01"}, "output_value_ytd", "负数"),
        ({"month": "八月"}, "month", ""),
    ],
)
def test_bad_months_and_values_are_400_naming_the_field(park, as_user, values, field, words):
    response = as_user(park.ent_a).post(URL, ytd(park.firm_a, **values), format="json")
    assert response.status_code == 400, response.content
    assert words in response.json()["errors"][field][0]
    assert MonthlyFigures.objects.count() == 0


@pytest.mark.parametrize(
    ("moment", "year", "month", "field"),
    [
        ("2026-06-15", 2026, 7, "month"),  # later this year: the month is the mistake
        ("2026-12-31T23:59", 2027, 1, "year"),  # "next month" in December is next year's
        ("2027-01-01T00:01", 2027, 2, "month"),
        ("2028-02-29", 2028, 3, "month"),
        ("2026-06-15", 2027, 1, "year"),
    ],
)
def test_a_future_month_is_refused_naming_the_field_at_fault(park, as_user, travel, moment, year, month, field):
    travel(moment)
    response = as_user(park.ent_a).post(URL, ytd(park.firm_a, year=year, month=month), format="json")
    assert response.status_code == 400, response.content
    assert "未来" in response.json()["errors"][field][0]
    assert MonthlyFigures.objects.count() == 0


@pytest.mark.parametrize("moment", ["2026-06-15", "2026-12-31T23:59", "2027-01-01T00:01", "2028-02-29"])
def test_the_current_month_is_accepted(park, as_user, travel, moment):
    today = travel(moment).date()
    response = as_user(park.staff).post(URL, ytd(park.firm_a, year=today.year, month=today.month), format="json")
    assert response.status_code == 201, response.content


@pytest.mark.dated
def test_the_current_month_is_accepted_today(park, as_user):
    today = clock.today()
    response = as_user(park.staff).post(URL, ytd(park.firm_a, year=today.year, month=today.month), format="json")
    assert response.status_code == 201, response.content
    nxt = dt.date(today.year, today.month, 28) + dt.timedelta(days=4)
    response = as_user(park.staff).post(URL, ytd(park.firm_a, year=nxt.year, month=nxt.month), format="json")
    assert response.status_code == 400, response.content


def test_monthly_scope_and_roles(park, as_user):
    theirs = MonthlyFiguresFactory(firm=park.firm_b, state="proposed", source="enterprise")
    assert as_user(park.ent_a).get(f"{URL}{theirs.pk}/").status_code == 404
    assert as_user(park.ent_a).post(URL, ytd(park.firm_b), format="json").status_code == 400
    assert as_user(park.ent_b).post(f"{URL}{theirs.pk}/verify/", {}, format="json").status_code == 403
    assert as_user(park.staff_a).post(f"{URL}{theirs.pk}/reject/", {"reason": "缺失"}, format="json").status_code == 404
    assert as_user(park.viewer).post(URL, ytd(park.firm_a), format="json").status_code == 403
    rejected = as_user(park.staff).post(f"{URL}{theirs.pk}/reject/", {"reason": "与统计报表不符"}, format="json")
    assert rejected.json()["state"] == "rejected"
    assert [r["id"] for r in as_user(park.viewer).get(URL, {"zone": park.zone_b.pk}).json()["results"]] == [theirs.pk]
