"""Annual figures as firms and staff use them: propose, verify or reject, correct by new versions, and the refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.core.models import Change
from apps.figures.models import AnnualFigures, FigureState
from apps.figures.selectors import verified_annual_by_firm, verified_annual_figures
from tests.factories import FirmFactory
from tests.figures.factories import AnnualFiguresFactory, this_year

pytestmark = pytest.mark.django_db

URL = "/api/v1/annual-figures/"


def proposal(firm, **values):
    body = {
        "firm": firm.pk,
        "fiscal_year": 2023,
        "operating_revenue": "52000000.00",
        "main_business_revenue": "50000000.00",
        "rd_expense": "2600000.00",
        "rd_expense_domestic": "2500000.00",
        "staff_total": 180,
        "st_staff": 30,
        "rd_staff": 22,
        "ip_class1": 3,
        "ip_class1_high_value": 1,
    }
    body.update(values)
    return body


def verified_ids(client, **params):
    body = client.get(URL, {"verified": "true", **params}).json()
    return [row["id"] for row in body["results"]]


def test_a_proposal_is_invisible_to_verified_lists_until_staff_verify_it(park, as_user):
    created = as_user(park.ent_a).post(URL, proposal(park.firm_a), format="json")
    assert created.status_code == 201, created.content
    figure = created.json()
    assert (figure["state"], figure["source"], figure["version"]) == ("proposed", "enterprise", 1)
    assert figure["operating_revenue"] == "52000000.00"

    staff = as_user(park.staff)
    assert verified_ids(staff, firm=park.firm_a.pk) == []
    assert not verified_annual_figures(firms=[park.firm_a], fiscal_year=2023).exists()
    # The firm itself sees its proposal, and so do staff in the unfiltered list.
    assert [r["id"] for r in as_user(park.ent_a).get(URL).json()["results"]] == [figure["id"]]
    assert [r["id"] for r in staff.get(URL, {"state": "proposed"}).json()["results"]] == [figure["id"]]

    verified = staff.post(f"{URL}{figure['id']}/verify/", {"note": "与审计报告一致"}, format="json")
    assert verified.status_code == 200, verified.content
    assert verified.json()["state"] == "verified"
    assert verified.json()["reviewed_by"] == park.staff.pk
    assert verified_ids(staff, firm=park.firm_a.pk) == [figure["id"]]
    assert verified_annual_by_firm(fiscal_year=2023)[park.firm_a.pk].rd_expense == Decimal("2600000.00")


def test_staff_entry_is_verified_at_once(park, as_user):
    response = as_user(park.staff).post(URL, proposal(park.firm_b, fiscal_year=2022), format="json")
    assert response.status_code == 201
    assert (response.json()["state"], response.json()["source"]) == ("verified", "staff")
    assert verified_annual_figures(fiscal_year=2022).count() == 1


def test_roles_enterprise_cannot_verify_viewer_only_reads(park, as_user):
    figure = as_user(park.ent_a).post(URL, proposal(park.firm_a), format="json").json()
    assert as_user(park.ent_a).post(f"{URL}{figure['id']}/verify/", {}, format="json").status_code == 403
    assert as_user(park.ent_a).post(f"{URL}{figure['id']}/reject/", {"reason": "x"}, format="json").status_code == 403
    viewer = as_user(park.viewer)
    assert viewer.get(f"{URL}{figure['id']}/").status_code == 200
    assert viewer.post(URL, proposal(park.firm_a), format="json").status_code == 403
    assert viewer.patch(f"{URL}{figure['id']}/", {"ip_class2": 4}, format="json").status_code == 403
    assert viewer.post(f"{URL}{figure['id']}/verify/", {}, format="json").status_code == 403
    assert AnnualFigures.objects.get(pk=figure["id"]).state == FigureState.PROPOSED
    # Nothing is ever deleted through the API.
    assert as_user(park.admin).delete(f"{URL}{figure['id']}/").status_code == 405


def test_reject_needs_a_reason_which_the_firm_then_sees(park, as_user):
    figure = as_user(park.ent_a).post(URL, proposal(park.firm_a), format="json").json()
    staff = as_user(park.staff, "en")
    missing = staff.post(f"{URL}{figure['id']}/reject/", {}, format="json")
    assert missing.status_code == 400
    assert "reason is required" in missing.json()["errors"]["reason"][0]
    assert AnnualFigures.objects.get(pk=figure["id"]).state == FigureState.PROPOSED

    rejected = staff.post(f"{URL}{figure['id']}/reject/", {"reason": "研发费用与审计报告不符"}, format="json")
    assert rejected.status_code == 200
    seen = as_user(park.ent_a).get(f"{URL}{figure['id']}/").json()
    assert (seen["state"], seen["review_note"]) == ("rejected", "研发费用与审计报告不符")
    assert verified_ids(staff) == []
    change = Change.objects.filter(
        table_name="figures_annualfigures", object_id=str(figure["id"]), action="update"
    ).first()
    assert change is not None
    assert (change.reason, change.firm_id, change.actor_id) == ("研发费用与审计报告不符", park.firm_a.pk, park.staff.pk)
    # A rejected version is final; reviewing it again is a conflict.
    again = staff.post(f"{URL}{figure['id']}/verify/", {}, format="json")
    assert again.status_code == 409


def test_every_version_is_kept(park, as_user):
    ent, staff = as_user(park.ent_a), as_user(park.staff)
    first = ent.post(URL, proposal(park.firm_a), format="json").json()
    second = ent.post(URL, proposal(park.firm_a, operating_revenue="53000000.00"), format="json").json()
    assert second["version"] == 2
    rows = AnnualFigures.objects.filter(firm=park.firm_a, fiscal_year=2023).order_by("version")
    assert [(r.version, r.state) for r in rows] == [(1, "superseded"), (2, "proposed")]
    assert rows[0].operating_revenue == Decimal("52000000.00")

    assert staff.post(f"{URL}{second['id']}/verify/", {}, format="json").status_code == 200
    corrected = staff.post(
        URL, proposal(park.firm_a, operating_revenue="53500000.00", reason="按审计报告更正"), format="json"
    )
    assert corrected.status_code == 201
    assert (corrected.json()["version"], corrected.json()["state"]) == (3, "verified")

    versions = staff.get(f"{URL}{first['id']}/versions/").json()
    assert [(v["version"], v["state"], v["operating_revenue"]) for v in versions] == [
        (3, "verified", "53500000.00"),
        (2, "superseded", "53000000.00"),
        (1, "superseded", "52000000.00"),
    ]
    assert [r.operating_revenue for r in verified_annual_figures(firms=[park.firm_a])] == [Decimal("53500000.00")]
    # The enterprise user reads the same history of its own firm.
    assert len(ent.get(f"{URL}{first['id']}/versions/").json()) == 3


def test_a_new_proposal_leaves_the_verified_version_in_force(park, as_user):
    current = AnnualFiguresFactory(firm=park.firm_a, fiscal_year=2023, version=1)
    response = as_user(park.ent_a).post(URL, proposal(park.firm_a), format="json")
    assert response.status_code == 201
    assert response.json()["version"] == 2
    assert list(verified_annual_figures(firms=[park.firm_a])) == [current]


def test_enterprise_edits_its_own_proposal_but_not_reviewed_figures(park, as_user):
    ent = as_user(park.ent_a)
    figure = ent.post(URL, proposal(park.firm_a), format="json").json()
    edited = ent.patch(f"{URL}{figure['id']}/", {"ip_class2": 6, "note": "补充软著"}, format="json")
    assert edited.status_code == 200, edited.content
    assert (edited.json()["ip_class2"], edited.json()["version"], edited.json()["state"]) == (6, 1, "proposed")

    as_user(park.staff).post(f"{URL}{figure['id']}/verify/", {}, format="json")
    refused = ent.patch(f"{URL}{figure['id']}/", {"ip_class2": 9}, format="json")
    assert refused.status_code == 409
    assert "新版本" in refused.json()["message"]
    assert AnnualFigures.objects.get(pk=figure["id"]).ip_class2 == 6


def test_the_firm_and_year_of_a_proposal_cannot_change(park, as_user):
    figure = as_user(park.ent_a).post(URL, proposal(park.firm_a), format="json").json()
    response = as_user(park.ent_a).patch(f"{URL}{figure['id']}/", {"fiscal_year": 2021}, format="json")
    assert response.status_code == 400
    assert "fiscal_year" in response.json()["errors"]
    assert AnnualFigures.objects.get(pk=figure["id"]).fiscal_year == 2023


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"operating_revenue": "-1.00"}, "operating_revenue", "负数"),
        ({"total_assets": "-5"}, "total_assets", "负数"),
        ({"staff_total": -3}, "staff_total", "负数"),
        ({"ip_class2": -1}, "ip_class2", "负数"),
        ({"staff_total": 20, "st_staff": 30}, "st_staff", "不能超过职工总数"),
        ({"staff_total": 20, "st_staff": 10, "rd_staff": 21}, "rd_staff", "不能超过职工总数"),
        ({"rd_expense": "100.00", "rd_expense_domestic": "100.01"}, "rd_expense_domestic", "不能超过研发费用总额"),
        ({"ip_class1": 1, "ip_class1_high_value": 2}, "ip_class1_high_value", "不能超过"),
        ({"fiscal_year": this_year() + 1}, "fiscal_year", "未来"),
        ({"fiscal_year": 1900}, "fiscal_year", "1949"),
        ({"operating_revenue": "12.345"}, "operating_revenue", "2"),
        ({"operating_revenue": "1e30"}, "operating_revenue", ""),
        ({"operating_revenue": "一百万"}, "operating_revenue", ""),
    ],
)
def test_bad_values_are_400_naming_the_field_and_change_nothing(park, as_user, values, field, words):
    for client in (as_user(park.ent_a), as_user(park.staff)):
        response = client.post(URL, proposal(park.firm_a, **values), format="json")
        assert response.status_code == 400, response.content
        body = response.json()
        assert body["code"] == "invalid"
        assert field in body["errors"]
        assert words in body["errors"][field][0]
    assert AnnualFigures.objects.count() == 0


@pytest.mark.dated
def test_messages_come_in_english_too(park, as_user):
    response = as_user(park.staff, "en").post(URL, proposal(park.firm_a, staff_total=10, st_staff=11), format="json")
    assert response.json()["errors"]["st_staff"] == ["The S&T staff (11) cannot exceed the total staff (10)."]
    future = as_user(park.staff, "en").post(URL, proposal(park.firm_a, fiscal_year=this_year() + 1), format="json")
    assert "future" in future.json()["errors"]["fiscal_year"][0]


def test_an_edit_is_checked_against_the_values_already_there(park, as_user):
    figure = as_user(park.ent_a).post(URL, proposal(park.firm_a), format="json").json()
    response = as_user(park.ent_a).patch(f"{URL}{figure['id']}/", {"st_staff": 500}, format="json")
    assert response.status_code == 400
    assert "st_staff" in response.json()["errors"]
    assert AnnualFigures.objects.get(pk=figure["id"]).st_staff == 30


def test_net_profit_may_be_negative_and_values_are_optional(park, as_user):
    body = {
        "firm": park.firm_a.pk,
        "fiscal_year": 2022,
        "net_profit": "-1250000.50",
        "net_profit_recurring": "-1300000",
    }
    response = as_user(park.ent_a).post(URL, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["net_profit"] == "-1250000.50"
    assert response.json()["operating_revenue"] is None


def test_an_empty_submission_is_refused(park, as_user):
    response = as_user(park.ent_a).post(URL, {"firm": park.firm_a.pk, "fiscal_year": 2022}, format="json")
    assert response.status_code == 400
    assert "至少" in response.json()["message"]


def test_enterprise_scope(park, as_user):
    theirs = AnnualFiguresFactory(firm=park.firm_b, fiscal_year=2022)
    ent = as_user(park.ent_a)
    assert ent.get(f"{URL}{theirs.pk}/").status_code == 404
    assert ent.get(f"{URL}{theirs.pk}/versions/").status_code == 404
    assert ent.patch(f"{URL}{theirs.pk}/", {"ip_class2": 1}, format="json").status_code == 404
    assert ent.get(URL).json()["results"] == []
    assert ent.get(URL, {"firm": park.firm_b.pk}).json()["results"] == []

    for_another = ent.post(URL, proposal(park.firm_b), format="json")
    assert for_another.status_code == 400
    assert "firm" in for_another.json()["errors"]
    assert AnnualFigures.objects.filter(firm=park.firm_b).count() == 1


def test_zone_limited_staff_review_only_their_zones(park, as_user):
    figure_b = as_user(park.ent_b).post(URL, proposal(park.firm_b), format="json").json()
    figure_a = as_user(park.ent_a).post(URL, proposal(park.firm_a), format="json").json()
    staff_a = as_user(park.staff_a)
    assert staff_a.post(f"{URL}{figure_b['id']}/verify/", {}, format="json").status_code == 404
    assert staff_a.post(f"{URL}{figure_a['id']}/verify/", {}, format="json").status_code == 200
    assert [r["id"] for r in staff_a.get(URL).json()["results"]] == [figure_a["id"]]
    assert staff_a.post(URL, proposal(park.firm_b, fiscal_year=2021), format="json").status_code == 400
    assert AnnualFigures.objects.get(pk=figure_b["id"]).state == FigureState.PROPOSED


def test_list_filters(park, as_user):
    a22 = AnnualFiguresFactory(firm=park.firm_a, fiscal_year=2022)
    b22 = AnnualFiguresFactory(firm=park.firm_b, fiscal_year=2022)
    a21 = AnnualFiguresFactory(firm=park.firm_a, fiscal_year=2021)
    a21p = AnnualFiguresFactory(firm=park.firm_a, fiscal_year=2021, state="proposed", source="enterprise")
    client = as_user(park.viewer)

    def ids(**params):
        return {row["id"] for row in client.get(URL, params).json()["results"]}

    assert ids(fiscal_year=2022) == {a22.pk, b22.pk}
    assert ids(zone=park.zone_b.pk) == {b22.pk}
    assert ids(firm=park.firm_a.pk, verified="true") == {a22.pk, a21.pk}
    assert ids(verified="false") == {a21p.pk}
    assert ids(state="proposed") == {a21p.pk}
    assert ids(source="enterprise") == {a21p.pk}
    assert ids(fiscal_year_max=2021) == {a21.pk, a21p.pk}
    bad = client.get(URL, {"fiscal_year": "二〇二二"})
    assert bad.status_code == 400


def test_one_verified_version_per_year_is_enforced_by_postgresql(park):
    from django.db import IntegrityError, transaction

    AnnualFiguresFactory(firm=park.firm_a, fiscal_year=2022)
    with pytest.raises(IntegrityError), transaction.atomic():
        AnnualFiguresFactory(firm=park.firm_a, fiscal_year=2022)
    with pytest.raises(IntegrityError), transaction.atomic():
        AnnualFiguresFactory(firm=park.firm_a, fiscal_year=2021, staff_total=5, st_staff=6)


def test_a_firm_with_figures_cannot_be_erased(park, as_user):
    lonely = FirmFactory(zone=park.zone_a)
    AnnualFiguresFactory(firm=lonely)
    response = as_user(park.admin).delete(f"/api/v1/firms/{lonely.pk}/")
    assert response.status_code == 409
    assert "annual_figures" in response.json()["message"]


def test_figures_changes_appear_in_the_firms_history(park, as_user):
    figure = as_user(park.ent_a).post(URL, {**proposal(park.firm_a), "reason": "2023 年报"}, format="json").json()
    history = as_user(park.ent_a).get(f"/api/v1/firms/{park.firm_a.pk}/history/").json()["results"]
    mine = [h for h in history if h["table_name"] == "figures_annualfigures" and h["object_id"] == str(figure["id"])]
    assert mine and mine[0]["action"] == "insert" and mine[0]["reason"] == "2023 年报"
