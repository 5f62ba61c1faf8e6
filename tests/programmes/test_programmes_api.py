"""The programme catalogue: shipped as data, read by everyone, edited by administrators only."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.programmes.models import Programme, ProgrammeDeadline
from apps.programmes.services import add_years, validity_for
from tests.programmes.factories import CertificationFactory, programme

pytestmark = pytest.mark.django_db

URL = "/api/v1/programmes/"
DEADLINES = "/api/v1/programme-deadlines/"

SHIPPED = {
    "TSME": ("tech", 1, "calendar_year", None),
    "HNTE": ("tech", 2, "years", 3),
    "ISME": ("quality_sme", 1, "years", 3),
    "SRDI": ("quality_sme", 2, "years", 3),
    "LITTLE_GIANT": ("quality_sme", 3, "years", 3),
    "CHAMPION": ("quality_sme", 4, "years", 3),
    "ABOVE_SIZE": ("scale", 1, "open_ended", None),
    "LISTING_RESERVE": ("capital", 1, "open_ended", None),
    "GAZELLE": ("growth", 1, "calendar_year", None),
}


def local(**extra):
    body = {
        "code": "jj_talent",
        "name_zh": "江津区人才企业",
        "name_en": "Jiangjin talent firm",
        "levels": ["district"],
        "validity_kind": "years",
        "validity_years": 2,
        "ladder": "growth",
        "rung": 2,
    }
    body.update(extra)
    return body


@pytest.mark.parametrize(
    ("code", "issued", "until"),
    [
        ("HNTE", dt.date(2019, 12, 2), dt.date(2022, 12, 1)),
        ("HNTE", dt.date(2020, 2, 29), dt.date(2023, 2, 28)),
        ("HNTE", dt.date(2021, 1, 1), dt.date(2023, 12, 31)),
        ("SRDI", dt.date(2022, 6, 28), dt.date(2025, 6, 27)),
        ("TSME", dt.date(2024, 4, 18), dt.date(2024, 12, 31)),
        ("GAZELLE", dt.date(2024, 12, 31), dt.date(2024, 12, 31)),
        ("ABOVE_SIZE", dt.date(2022, 9, 30), None),
        ("LISTING_RESERVE", dt.date(2020, 8, 20), None),
    ],
)
def test_validity_follows_the_programme_rule(code, issued, until):
    assert validity_for(programme(code), issued) == (issued, until)


def test_add_years_on_29_february():
    assert add_years(dt.date(2020, 2, 29), 3) == dt.date(2023, 3, 1)
    assert add_years(dt.date(2020, 2, 29), 4) == dt.date(2024, 2, 29)


def test_the_catalogue_ships_with_spec_3_1(park, as_user):
    body = as_user(park.ent_a).get(URL, {"page_size": 100}).json()
    found = {p["code"]: (p["ladder"], p["rung"], p["validity_kind"], p["validity_years"]) for p in body["results"]}
    assert found == SHIPPED
    hnte = next(p for p in body["results"] if p["code"] == "HNTE")
    assert hnte["renewal_lead_days"] == [180, 90, 30]
    assert hnte["builtin"] is True
    assert [(d["name"], d["month"], d["day"]) for d in hnte["deadlines"]] == [("高新技术企业年度发展情况报表", 5, 31)]


def test_every_role_reads_and_only_administrators_write(park, as_user):
    hnte = programme("HNTE")
    for user in (park.staff, park.staff_a, park.viewer, park.ent_a):
        client = as_user(user)
        assert client.get(f"{URL}{hnte.pk}/").status_code == 200
        assert client.post(URL, local(), format="json").status_code == 403
        assert client.patch(f"{URL}{hnte.pk}/", {"validity_years": 4}, format="json").status_code == 403
        assert (
            client.post(
                DEADLINES, {"programme": "HNTE", "kind": "other", "name": "x", "month": 1, "day": 1}, format="json"
            ).status_code
            == 403
        )
    assert as_user(None).get(URL).status_code in (401, 403)
    assert not Programme.objects.filter(code="JJ_TALENT").exists()


def test_an_administrator_adds_a_local_programme_and_awards_it(park, as_user):
    admin = as_user(park.admin)
    created = admin.post(URL, local(reason="区级政策"), format="json")
    assert created.status_code == 201, created.content
    assert created.json()["code"] == "JJ_TALENT"
    assert created.json()["builtin"] is False
    award = as_user(park.staff).post(
        "/api/v1/certifications/",
        {"firm": park.firm_a.pk, "programme": "JJ_TALENT", "certificate_date": "2024-03-01"},
        format="json",
    )
    assert award.status_code == 201, award.content
    assert (award.json()["level"], award.json()["valid_until"]) == ("district", "2026-02-28")


def test_an_administrator_changes_a_rule_and_existing_certificates_keep_their_dates(park, as_user):
    hnte = programme("HNTE")
    old = CertificationFactory(firm=park.firm_a, certificate_date=dt.date(2019, 12, 2))
    response = as_user(park.admin).patch(
        f"{URL}{hnte.pk}/", {"validity_years": 4, "renewal_lead_days": [30, 365, 90, 90]}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["renewal_lead_days"] == [365, 90, 30]
    old.refresh_from_db()
    assert old.valid_until == dt.date(2022, 12, 1)
    assert validity_for(programme("HNTE"), dt.date(2019, 12, 2))[1] == dt.date(2023, 12, 1)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (local(code="1BAD"), "code"),
        (local(code="HNTE"), "code"),
        (local(code="中文"), "code"),
        (local(levels=[]), "levels"),
        (local(levels=["galactic"]), "levels"),
        (local(validity_years=None), "validity_years"),
        (local(renewal_lead_days=[0]), "renewal_lead_days"),
        (local(ladder="moon"), "ladder"),
        (local(rung=0), "rung"),
    ],
)
def test_bad_programme_input_is_400(park, as_user, body, field):
    response = as_user(park.admin).post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]


def test_shipped_programmes_keep_their_code_and_cannot_be_deleted(park, as_user):
    admin = as_user(park.admin, "en")
    hnte = programme("HNTE")
    renamed = admin.patch(f"{URL}{hnte.pk}/", {"code": "GAOQI"}, format="json")
    assert renamed.status_code == 400 and "code" in renamed.json()["errors"]
    deleted = admin.delete(f"{URL}{hnte.pk}/")
    assert deleted.status_code == 409 and "deactivate" in deleted.json()["message"]
    assert admin.patch(f"{URL}{hnte.pk}/", {"active": False}, format="json").json()["active"] is False


def test_a_local_programme_goes_only_while_nobody_holds_it(park, as_user):
    admin = as_user(park.admin)
    pk = admin.post(URL, local(), format="json").json()["id"]
    held = CertificationFactory(firm=park.firm_a, programme=Programme.objects.get(pk=pk), level="district")
    assert admin.delete(f"{URL}{pk}/").status_code == 409
    removed_level = admin.patch(f"{URL}{pk}/", {"levels": ["municipal"]}, format="json")
    assert removed_level.status_code == 400 and "levels" in removed_level.json()["errors"]
    held.delete()
    assert admin.delete(f"{URL}{pk}/").status_code == 204


def test_switching_to_open_ended_clears_the_years(park, as_user):
    pk = as_user(park.admin).post(URL, local(), format="json").json()["id"]
    response = as_user(park.admin).patch(f"{URL}{pk}/", {"validity_kind": "open_ended"}, format="json")
    assert response.status_code == 200
    assert response.json()["validity_years"] is None


# ------------------------------------------------------------------ deadlines


def test_deadlines_for_a_year(park, as_user):
    client = as_user(park.ent_a)
    in_2025 = client.get(DEADLINES, {"year": 2025, "programme": "TSME"}).json()["results"]
    assert [(d["opens_on"], d["due_on"]) for d in in_2025] == [("2025-06-30", "2025-09-30")]
    assert client.get(DEADLINES, {"year": 2024, "programme": "TSME"}).json()["results"] == []
    hnte = client.get(DEADLINES, {"year": 2023, "programme": "hnte"}).json()["results"]
    assert [d["due_on"] for d in hnte] == ["2023-05-31"]


def test_an_administrator_adds_next_years_window(park, as_user):
    body = {
        "programme": "TSME",
        "kind": "application_window",
        "name": "科技型中小企业评价填报（2026 年）",
        "opens_month": 5,
        "opens_day": 15,
        "month": 9,
        "day": 30,
        "first_year": 2026,
        "last_year": 2026,
    }
    response = as_user(park.admin).post(DEADLINES, body, format="json")
    assert response.status_code == 201, response.content
    assert ProgrammeDeadline.objects.filter(programme__code="TSME", first_year=2026).exists()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"month": 2, "day": 30}, "day"),
        ({"month": 13}, "month"),
        ({"opens_month": 10, "opens_day": 1}, "opens_day"),
        ({"opens_month": 5}, "opens_day"),
        ({"first_year": 2026, "last_year": 2025}, "last_year"),
        ({"programme": "NOPE"}, "programme"),
    ],
)
def test_bad_deadlines_are_400(park, as_user, extra, field):
    body = {"programme": "hnte", "kind": "other", "name": "x", "month": 9, "day": 30, **extra}
    response = as_user(park.admin).post(DEADLINES, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
