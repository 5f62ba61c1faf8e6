"""The firm's page shows the titles it holds today and where it stands on each ladder."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core import clock
from tests.factories import FirmFactory
from tests.programmes.factories import CertificationFactory, programme

pytestmark = pytest.mark.django_db


def today() -> dt.date:
    """The app's today (Asia/Shanghai), read when a test runs, not when the module is collected:
    a run that crosses midnight there would otherwise compare with yesterday."""
    return clock.today()


def _scene(park):
    hnte = CertificationFactory(firm=park.firm_a, certificate_date=today() - dt.timedelta(days=400))
    tsme = CertificationFactory(
        firm=park.firm_a, programme=programme("TSME"), certificate_date=dt.date(today().year, 1, 1)
    )
    CertificationFactory(
        firm=park.firm_a, programme=programme("SRDI"), certificate_date=dt.date(2019, 8, 20)
    )  # expired
    revoked = CertificationFactory(
        firm=park.firm_a,
        programme=programme("ISME"),
        certificate_date=today() - dt.timedelta(days=200),
        revoked_on=today(),
    )
    return hnte, tsme, revoked


@pytest.mark.dated
def test_titles_are_the_certifications_valid_today(park, as_user):
    hnte, _, _ = _scene(park)
    body = as_user(park.ent_a).get(f"/api/v1/firms/{park.firm_a.pk}/").json()
    titles = {t["programme"]: t for t in body["titles"]}
    assert set(titles) == {"TSME", "HNTE"}
    assert titles["HNTE"]["programme_name"] == "高新技术企业"
    assert titles["HNTE"]["level"] == "national"
    assert titles["HNTE"]["valid_until"] == hnte.valid_until.isoformat()
    assert titles["HNTE"]["days_left"] == (hnte.valid_until - today()).days
    assert titles["TSME"]["valid_until"] == f"{today().year}-12-31"


@pytest.mark.dated
def test_ladders_show_every_rung_and_the_highest_one_held(park, as_user):
    _scene(park)
    ladders = {
        lad["ladder"]: lad for lad in as_user(park.staff).get(f"/api/v1/firms/{park.firm_a.pk}/").json()["ladders"]
    }
    assert list(ladders) == ["tech", "quality_sme", "scale", "capital", "growth"]
    tech = ladders["tech"]
    assert [(r["code"], r["held"]) for r in tech["rungs"]] == [("TSME", True), ("HNTE", True)]
    assert tech["position"] == {"code": "HNTE", "name": "高新技术企业", "rung": 2}
    quality = ladders["quality_sme"]
    assert [r["code"] for r in quality["rungs"]] == ["ISME", "SRDI", "LITTLE_GIANT", "CHAMPION"]
    assert quality["position"] is None  # SRDI expired, ISME revoked today
    assert ladders["scale"]["position"] is None


def test_a_firm_with_nothing_has_empty_titles(park, as_user):
    body = as_user(park.staff).get(f"/api/v1/firms/{park.firm_b.pk}/").json()
    assert body["titles"] == []
    assert all(lad["position"] is None for lad in body["ladders"])


@pytest.mark.dated
def test_detail_queries_do_not_grow_with_titles_and_the_list_is_untouched(park, as_user):
    client = as_user(park.admin)

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    detail_before, list_before = count(f"/api/v1/firms/{park.firm_a.pk}/"), count("/api/v1/firms/")
    _scene(park)
    for firm in FirmFactory.create_batch(5, zone=park.zone_a):
        CertificationFactory(firm=firm)
    assert count(f"/api/v1/firms/{park.firm_a.pk}/") == detail_before
    assert count("/api/v1/firms/") == list_before
    assert "titles" not in client.get("/api/v1/firms/").json()["results"][0]
