"""Certifications as staff record them: awards, renewals, revocations, and the refusals they meet."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from apps.core import clock
from apps.core.models import Change
from apps.programmes.models import Certification
from tests.programmes.factories import CertificationFactory, programme

pytestmark = pytest.mark.django_db

URL = "/api/v1/certifications/"


def today() -> dt.date:
    """The app's today (Asia/Shanghai), read when a test runs, not when the module is collected:
    a run that crosses midnight there would otherwise compare with yesterday."""
    return clock.today()


def award(park, **extra):
    body = {"firm": park.firm_a.pk, "programme": "HNTE", "certificate_date": "2019-12-02", "number": "GR201951000123"}
    body.update(extra)
    return body


# ------------------------------------------------------------------ validity derived from the programme


def test_hnte_runs_three_years_less_a_day(park, as_user):
    response = as_user(park.staff).post(URL, award(park), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["valid_from"], body["valid_until"]) == ("2019-12-02", "2022-12-01")
    assert body["level"] == "national"  # the programme's only level
    assert body["state"] == "expired"
    assert body["programme_name"] == "高新技术企业"


def test_tsme_registration_runs_to_the_end_of_its_year(park, as_user):
    response = as_user(park.staff).post(
        URL, award(park, programme="tsme", certificate_date="2024-04-18", number="T1"), format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["valid_until"] == "2024-12-31"


def test_above_size_is_open_ended_and_valid_until_given_wins(park, as_user):
    client = as_user(park.staff)
    open_ended = client.post(
        URL,
        award(park, programme="ABOVE_SIZE", certificate_date="2022-09-30", number="", entry_route="monthly"),
        format="json",
    )
    assert open_ended.status_code == 201, open_ended.content
    assert open_ended.json()["valid_until"] is None
    assert open_ended.json()["state"] == "valid"
    given = client.post(URL, award(park, firm=park.firm_b.pk, valid_until="2021-06-30"), format="json")
    assert given.json()["valid_until"] == "2021-06-30"


def test_level_outside_the_programme_is_400_naming_the_field(park, as_user):
    response = as_user(park.staff, "en").post(URL, award(park, programme="SRDI", level="national"), format="json")
    assert response.status_code == 400
    assert "level" in response.json()["errors"]
    assert "municipal" in response.json()["errors"]["level"][0]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"certificate_date": "9999-12-31"}, "certificate_date"),
        ({"certificate_date": "2022-13-01"}, "certificate_date"),
        ({"valid_until": "2018-01-01"}, "valid_until"),
        ({"programme": "NOPE"}, "programme"),
        ({"firm": 999999}, "firm"),
    ],
)
def test_bad_input_is_400_and_changes_nothing(park, as_user, extra, field):
    response = as_user(park.staff).post(URL, award(park, **extra), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not Certification.objects.exists()


def test_duplicate_certificate_number_is_400(park, as_user):
    client = as_user(park.staff)
    assert client.post(URL, award(park), format="json").status_code == 201
    again = client.post(URL, award(park, firm=park.firm_b.pk), format="json")
    assert again.status_code == 400
    assert "GR201951000123" in again.json()["errors"]["number"][0]


# ------------------------------------------------------------------ no overlap


def test_the_database_itself_refuses_overlapping_certifications(park):
    first = CertificationFactory(firm=park.firm_a, certificate_date=dt.date(2019, 12, 2))
    with pytest.raises(IntegrityError), transaction.atomic():
        Certification.objects.create(
            firm=park.firm_a,
            programme=first.programme,
            level="national",
            number="other",
            certificate_date=dt.date(2021, 1, 5),
            valid_from=dt.date(2021, 1, 5),
            valid_until=dt.date(2024, 1, 4),
        )
    # Another level, another firm or a later start are fine.
    CertificationFactory(firm=park.firm_b, certificate_date=dt.date(2021, 1, 5))
    CertificationFactory(firm=park.firm_a, certificate_date=dt.date(2022, 12, 2))


def test_equality_is_by_firm_programme_and_level(park):
    srdi = programme("LISTING_RESERVE")
    CertificationFactory(firm=park.firm_a, programme=srdi, level="district", certificate_date=dt.date(2020, 1, 1))
    CertificationFactory(firm=park.firm_a, programme=srdi, level="municipal", certificate_date=dt.date(2021, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        CertificationFactory(firm=park.firm_a, programme=srdi, level="district", certificate_date=dt.date(2022, 1, 1))


def test_overlap_through_the_api_is_409_with_a_clear_message(park, as_user):
    client = as_user(park.staff, "en")
    assert client.post(URL, award(park), format="json").status_code == 201
    response = client.post(URL, award(park, certificate_date="2021-06-01", number="GR202151000999"), format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict"
    assert "overlaps" in body["message"] and "GR201951000123" in body["message"] and "renew" in body["message"]
    assert Certification.objects.count() == 1


def test_moving_dates_into_an_overlap_is_409(park, as_user):
    client = as_user(park.staff)
    client.post(URL, award(park), format="json")
    later = client.post(URL, award(park, certificate_date="2022-12-02", number="GR202251000001"), format="json").json()
    response = client.patch(f"{URL}{later['id']}/", {"certificate_date": "2022-06-01"}, format="json")
    assert response.status_code == 409
    assert "重叠" in response.json()["message"]


# ------------------------------------------------------------------ renew


def test_renewal_supersedes_the_old_certificate_from_the_new_start(park, as_user):
    client = as_user(park.staff)
    old = client.post(URL, award(park), format="json").json()
    renewed = client.post(
        f"{URL}{old['id']}/renew/",
        {"certificate_date": "2022-11-28", "number": "GR202251000456", "reason": "2022 年重新认定"},
        format="json",
    )
    assert renewed.status_code == 201, renewed.content
    new = renewed.json()
    assert new["renews"] == old["id"]
    assert (new["valid_from"], new["valid_until"]) == ("2022-11-28", "2025-11-27")
    old = client.get(f"{URL}{old['id']}/").json()
    assert old["state"] == "superseded"
    assert old["valid_until"] == "2022-12-01"  # as printed
    assert old["ends_on"] == "2022-11-27"  # counted until the day before the successor
    assert old["renewed_by"] == new["id"]
    on_29_nov = client.get(URL, {"valid_on": "2022-11-29", "firm": park.firm_a.pk}).json()["results"]
    assert [c["id"] for c in on_29_nov] == [new["id"]]
    assert Change.objects.filter(
        table_name="programmes_certification", object_id=str(new["id"]), reason="2022 年重新认定"
    ).exists()


def test_a_certificate_is_renewed_once_and_a_revoked_one_never(park, as_user):
    client = as_user(park.staff)
    old = client.post(URL, award(park), format="json").json()
    assert (
        client.post(
            f"{URL}{old['id']}/renew/", {"certificate_date": "2022-11-28", "number": "A"}, format="json"
        ).status_code
        == 201
    )
    twice = client.post(f"{URL}{old['id']}/renew/", {"certificate_date": "2022-11-29", "number": "B"}, format="json")
    assert twice.status_code == 409
    other = client.post(URL, award(park, firm=park.firm_b.pk, number="C"), format="json").json()
    client.post(f"{URL}{other['id']}/revoke/", {"date": "2020-05-01", "reason": "弄虚作假"}, format="json")
    revoked = client.post(
        f"{URL}{other['id']}/renew/", {"certificate_date": "2022-11-28", "number": "D"}, format="json"
    )
    assert revoked.status_code == 409
    assert Certification.objects.count() == 3


def test_a_renewal_must_start_after_the_old_one(park, as_user):
    client = as_user(park.staff)
    old = client.post(URL, award(park), format="json").json()
    response = client.post(f"{URL}{old['id']}/renew/", {"certificate_date": "2019-01-01"}, format="json")
    assert response.status_code == 400
    assert "valid_from" in response.json()["errors"]


def test_deleting_a_renewal_gives_the_old_certificate_back_its_end(park, as_user):
    client = as_user(park.staff)
    old = client.post(URL, award(park), format="json").json()
    new = client.post(f"{URL}{old['id']}/renew/", {"certificate_date": "2022-11-28"}, format="json").json()
    assert client.delete(f"{URL}{old['id']}/").status_code == 409  # the renewal still refers to it
    assert client.delete(f"{URL}{new['id']}/").status_code == 204
    assert client.get(f"{URL}{old['id']}/").json()["ends_on"] == "2022-12-01"


# ------------------------------------------------------------------ revoke


def test_revocation_stops_validity_from_its_date(park, as_user):
    client = as_user(park.staff)
    cert = client.post(URL, award(park, certificate_date="2021-11-12", number="R1"), format="json").json()
    response = client.post(
        f"{URL}{cert['id']}/revoke/", {"date": "2023-06-15", "reason": "年报两年未报"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["revoked_on"], body["revocation_reason"], body["state"]) == ("2023-06-15", "年报两年未报", "revoked")
    assert body["ends_on"] == "2023-06-14"
    valid = client.get(URL, {"valid_on": "2023-06-14"}).json()["results"]
    assert [c["id"] for c in valid] == [cert["id"]]
    assert client.get(URL, {"valid_on": "2023-06-15"}).json()["results"] == []
    # Its days after the revocation are free: a new award may start then.
    again = client.post(URL, award(park, certificate_date="2023-12-20", number="R2"), format="json")
    assert again.status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"date": "2021-01-01", "reason": "早于生效日"}, "date"),
        ({"date": "2030-01-01", "reason": "到期之后"}, "date"),
        ({"date": "2023-01-01", "reason": "   "}, "reason"),
        ({"date": "2023-01-01"}, "reason"),
        ({"date": "not a date", "reason": "x"}, "date"),
    ],
)
def test_bad_revocations_are_400(park, as_user, body, field):
    client = as_user(park.staff)
    cert = client.post(URL, award(park, certificate_date="2021-11-12"), format="json").json()
    response = client.post(f"{URL}{cert['id']}/revoke/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert Certification.objects.get().revoked_on is None


def test_revoking_twice_is_409(park, as_user):
    client = as_user(park.staff)
    cert = client.post(URL, award(park, certificate_date="2021-11-12"), format="json").json()
    assert (
        client.post(f"{URL}{cert['id']}/revoke/", {"date": "2023-01-01", "reason": "x"}, format="json").status_code
        == 200
    )
    assert (
        client.post(f"{URL}{cert['id']}/revoke/", {"date": "2023-02-01", "reason": "y"}, format="json").status_code
        == 409
    )


# ------------------------------------------------------------------ filters


def _ids(client, **params):
    return {c["id"] for c in client.get(URL, params).json()["results"]}


@pytest.mark.dated
def test_expires_within_days_lists_what_needs_renewal(park, as_user):
    def hnte(firm, start, **kw):
        return CertificationFactory(firm=firm, certificate_date=start, **kw)

    soon = hnte(park.firm_a, today() - dt.timedelta(days=3 * 365 - 40))
    later = hnte(park.firm_b, today() - dt.timedelta(days=3 * 365 - 200))
    successor_start = today() - dt.timedelta(days=5)
    renewed = hnte(
        park.firm_a,
        today() - dt.timedelta(days=3 * 365 - 20),
        programme=programme("LITTLE_GIANT"),
        superseded_on=successor_start,
    )
    CertificationFactory(
        firm=park.firm_a, programme=renewed.programme, certificate_date=successor_start, renews=renewed
    )
    client = as_user(park.admin)
    assert _ids(client, expires_within_days=90) == {soon.pk}
    assert _ids(client, expires_within_days=365) == {soon.pk, later.pk}
    assert client.get(URL, {"expires_within_days": "-1"}).status_code == 400
    assert client.get(URL, {"expires_within_days": "100000000"}).status_code == 400


@pytest.mark.dated
def test_expired_without_successor(park, as_user):
    lapsed = CertificationFactory(firm=park.firm_a, certificate_date=dt.date(2018, 11, 28))
    recent = today() - dt.timedelta(days=100)
    renewed = CertificationFactory(firm=park.firm_b, certificate_date=dt.date(2018, 11, 28), superseded_on=recent)
    CertificationFactory(firm=park.firm_b, certificate_date=recent, renews=renewed)
    # Followed by a later award that was not entered as its renewal: not "without successor" either.
    followed = CertificationFactory(firm=park.firm_a, programme=programme("SRDI"), certificate_date=dt.date(2018, 1, 1))
    CertificationFactory(firm=park.firm_a, programme=programme("SRDI"), certificate_date=recent)
    revoked = CertificationFactory(
        firm=park.firm_b,
        programme=programme("ISME"),
        certificate_date=dt.date(2019, 1, 1),
        revoked_on=dt.date(2020, 1, 1),
    )
    client = as_user(park.admin)
    assert _ids(client, expired_without_successor="true") == {lapsed.pk}
    everything = _ids(client)
    assert _ids(client, expired_without_successor="false") == everything - {lapsed.pk}
    assert {followed.pk, revoked.pk} <= everything
    listed = {c["id"]: c for c in client.get(URL).json()["results"]}
    assert listed[lapsed.pk]["has_successor"] is False and listed[renewed.pk]["has_successor"] is True


@pytest.mark.dated
def test_filters_by_programme_level_zone_state_year_and_firm(park, as_user):
    a = CertificationFactory(firm=park.firm_a, certificate_date=today() - dt.timedelta(days=30))
    b = CertificationFactory(firm=park.firm_b, programme=programme("SRDI"), certificate_date=dt.date(2019, 8, 20))
    c = CertificationFactory(
        firm=park.firm_b,
        programme=programme("ABOVE_SIZE"),
        certificate_date=dt.date(2022, 9, 30),
        entry_route="monthly",
    )
    client = as_user(park.admin)
    assert _ids(client, programme="hnte") == {a.pk}
    assert _ids(client, programme="SRDI,LITTLE_GIANT") == {b.pk}
    assert _ids(client, level="statistical") == {c.pk}
    assert _ids(client, zone=park.zone_b.pk) == {b.pk, c.pk}
    assert _ids(client, zone_code="zone-a") == {a.pk}
    assert _ids(client, state="expired") == {b.pk}
    assert _ids(client, state=["expired", "valid"]) == {a.pk, b.pk, c.pk}
    assert _ids(client, state="valid", programme="HNTE") == {a.pk}
    assert _ids(client, certificate_year=2022) == {c.pk}
    assert _ids(client, certificate_year=2022, entry_route="monthly") == {c.pk}
    assert _ids(client, firm=park.firm_a.pk) == {a.pk}
    assert client.get(URL, {"state": "bogus"}).status_code == 400


# ------------------------------------------------------------------ scope and roles


def test_enterprise_sees_only_its_own_firm(park, as_user):
    mine = CertificationFactory(firm=park.firm_a)
    theirs = CertificationFactory(firm=park.firm_b)
    client = as_user(park.ent_a)
    assert _ids(client) == {mine.pk}
    assert client.get(f"{URL}{theirs.pk}/").status_code == 404
    assert client.get(f"{URL}{mine.pk}/").status_code == 200


def test_enterprise_and_viewer_cannot_write(park, as_user):
    mine = CertificationFactory(firm=park.firm_a)
    for user in (park.ent_a, park.viewer):
        client = as_user(user)
        assert client.post(URL, award(park), format="json").status_code == 403
        assert (
            client.post(f"{URL}{mine.pk}/revoke/", {"date": "2023-01-01", "reason": "x"}, format="json").status_code
            == 403
        )
        assert (
            client.post(f"{URL}{mine.pk}/renew/", {"certificate_date": "2024-10-29"}, format="json").status_code == 403
        )
        assert client.patch(f"{URL}{mine.pk}/", {"batch": "x"}, format="json").status_code == 403
    assert as_user(park.ent_b).post(URL, award(park), format="json").status_code == 403
    assert Certification.objects.count() == 1


def test_zone_limited_staff_work_only_within_their_zones(park, as_user):
    theirs = CertificationFactory(firm=park.firm_b)
    client = as_user(park.staff_a)
    refused = client.post(URL, award(park, firm=park.firm_b.pk), format="json")
    assert refused.status_code == 400
    assert "firm" in refused.json()["errors"]
    assert client.post(URL, award(park), format="json").status_code == 201
    assert client.get(f"{URL}{theirs.pk}/").status_code == 404
    assert (
        client.post(f"{URL}{theirs.pk}/revoke/", {"date": "2023-01-01", "reason": "x"}, format="json").status_code
        == 404
    )
    assert client.delete(f"{URL}{theirs.pk}/").status_code == 404
    assert {c["firm"] for c in client.get(URL).json()["results"]} == {park.firm_a.pk}


def test_renews_must_point_inside_scope_and_at_the_same_firm(park, as_user):
    theirs = CertificationFactory(firm=park.firm_b, certificate_date=dt.date(2019, 12, 2))
    response = as_user(park.staff_a).post(
        URL, award(park, certificate_date="2022-11-28", renews=theirs.pk), format="json"
    )
    assert response.status_code == 400 and "renews" in response.json()["errors"]
    response = as_user(park.staff).post(
        URL, award(park, certificate_date="2022-11-28", renews=theirs.pk), format="json"
    )
    assert response.status_code == 400 and "renews" in response.json()["errors"]


def test_firm_and_programme_cannot_be_changed(park, as_user):
    cert = CertificationFactory(firm=park.firm_a)
    response = as_user(park.staff).patch(f"{URL}{cert.pk}/", {"firm": park.firm_b.pk}, format="json")
    assert response.status_code == 400 and "firm" in response.json()["errors"]
    ok = as_user(park.staff).patch(f"{URL}{cert.pk}/", {"batch": "2021年第2批", "reason": "补录批次"}, format="json")
    assert ok.status_code == 200 and ok.json()["batch"] == "2021年第2批"


def test_certification_changes_show_in_the_firm_history(park, as_user):
    client = as_user(park.staff)
    cert = client.post(URL, award(park, reason="录入认定结果"), format="json").json()
    history = client.get(f"/api/v1/firms/{park.firm_a.pk}/history/").json()["results"]
    assert any(h["table_name"] == "programmes_certification" and h["object_id"] == str(cert["id"]) for h in history)


def test_an_overlap_the_checks_miss_is_still_409_from_the_database(park, as_user, monkeypatch):
    # Two requests racing past the check in Python: the exclusion constraint answers, as a 409.
    from apps.programmes import services

    client = as_user(park.staff)
    assert client.post(URL, award(park), format="json").status_code == 201
    monkeypatch.setattr(services, "_find_overlap", lambda cert, **kw: None)
    response = client.post(URL, award(park, certificate_date="2021-06-01", number="GR202151000999"), format="json")
    assert response.status_code == 409
    assert "重叠" in response.json()["message"]
    assert Certification.objects.count() == 1


def test_a_revoked_certificate_cannot_be_moved_past_its_revocation(park, as_user):
    client = as_user(park.staff)
    cert = client.post(URL, award(park, certificate_date="2021-11-12"), format="json").json()
    client.post(f"{URL}{cert['id']}/revoke/", {"date": "2022-03-01", "reason": "x"}, format="json")
    response = client.patch(f"{URL}{cert['id']}/", {"certificate_date": "2022-06-01"}, format="json")
    assert response.status_code == 400 and "valid_from" in response.json()["errors"]
