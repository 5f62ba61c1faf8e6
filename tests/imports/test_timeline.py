"""GET /api/v1/firms/{id}/timeline/: a firm's life by date, newest first, one query per source."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.programmes.models import Certification
from tests.factories import JournalFactory
from tests.figures.factories import AnnualFiguresFactory, MonthlyFiguresFactory
from tests.listing.factories import ListingEventFactory
from tests.programmes.factories import CertificationFactory, programme

pytestmark = pytest.mark.django_db


def at(day: str) -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(day + "T10:00:00"))


@pytest.fixture
def story(park: Any) -> Any:
    firm = park.firm_a
    old = CertificationFactory(firm=firm, number="GR2019", certificate_date=dt.date(2019, 11, 21))
    Certification.objects.filter(pk=old.pk).update(superseded_on=dt.date(2022, 11, 2))
    new = CertificationFactory(firm=firm, number="GR2022", certificate_date=dt.date(2022, 11, 2), renews=old)
    Certification.objects.filter(pk=new.pk).update(revoked_on=dt.date(2024, 3, 1), revocation_reason="年报未报")
    ListingEventFactory(firm=firm, stage="pool", date=dt.date(2021, 3, 1))
    AnnualFiguresFactory(firm=firm, fiscal_year=2022, reviewed_at=at("2023-05-20"), state="superseded")
    AnnualFiguresFactory(firm=firm, fiscal_year=2022, reviewed_at=at("2023-06-01"))
    AnnualFiguresFactory(firm=firm, fiscal_year=2023, state="proposed", reviewed_at=None)  # not verified: not shown
    MonthlyFiguresFactory(firm=firm, year=2022, month=6, reviewed_at=at("2022-07-15"), source="import", version=1)
    park.journal_a.date = dt.date(2024, 5, 1)
    park.journal_a.save()
    CertificationFactory(firm=park.firm_b, number="B-ONLY")
    return park


def test_the_timeline_newest_first(story: Any, as_user: Any) -> None:
    answer = as_user(story.staff).get(f"/api/v1/firms/{story.firm_a.pk}/timeline/")
    assert answer.status_code == 200
    items = answer.json()["results"]
    assert [(i["date"], i["kind"]) for i in items] == [
        ("2024-05-01", "journal_entry"),
        ("2024-03-01", "certification_revoked"),
        ("2023-06-01", "annual_figures_verified"),
        ("2023-05-20", "annual_figures_verified"),
        ("2022-11-02", "certification_renewed"),
        ("2022-07-15", "monthly_figures_verified"),
        ("2021-03-01", "listing_event"),
        ("2019-11-21", "certification_awarded"),
    ]
    revoked = items[1]
    assert revoked["title"] == "高新技术企业被撤销（GR2022）：年报未报"
    assert revoked["object_type"] == "certification" and revoked["url"].startswith("/api/v1/certifications/")
    assert revoked["programme"] == "HNTE"
    assert items[5]["title"] == "2022 年 6 月数据导入（第 1 版）"
    assert "B-ONLY" not in answer.content.decode()


def test_titles_follow_the_language_and_both_are_given(story: Any, as_user: Any) -> None:
    items = as_user(story.staff, "en").get(f"/api/v1/firms/{story.firm_a.pk}/timeline/").json()["results"]
    renewed = next(i for i in items if i["kind"] == "certification_renewed")
    assert renewed["title"].startswith("High-tech enterprise renewed") or "renewed" in renewed["title"]
    assert renewed["title_zh"].startswith("高新技术企业续期")
    assert items[-2]["title"] == "Listing: Reserve pool"


def test_enterprise_users_do_not_see_journal_entries(story: Any, as_user: Any) -> None:
    items = as_user(story.ent_a).get(f"/api/v1/firms/{story.firm_a.pk}/timeline/").json()["results"]
    assert "journal_entry" not in {i["kind"] for i in items}
    assert len(items) == 7


def test_outside_scope_is_404(story: Any, as_user: Any) -> None:
    assert as_user(story.ent_b).get(f"/api/v1/firms/{story.firm_a.pk}/timeline/").status_code == 404
    assert as_user(story.staff_a).get(f"/api/v1/firms/{story.firm_b.pk}/timeline/").status_code == 404
    assert as_user(None).get(f"/api/v1/firms/{story.firm_a.pk}/timeline/").status_code == 401


def test_one_query_per_source_and_pagination(story: Any, as_user: Any) -> None:
    client = as_user(story.staff)
    url = f"/api/v1/firms/{story.firm_a.pk}/timeline/"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(15):
        JournalFactory(firm=story.firm_a, date=dt.date(2020, 1, 1) + dt.timedelta(days=n))
        ListingEventFactory(firm=story.firm_a, stage="pool", date=dt.date(2015, 1, 1) + dt.timedelta(days=n))
        CertificationFactory(firm=story.firm_a, programme=programme("TSME"), certificate_date=dt.date(2000 + n, 3, 1))
    with CaptureQueriesContext(connection) as many:
        page = client.get(url, {"page_size": 10, "page": 2}).json()
    assert len(many.captured_queries) == len(few.captured_queries)
    assert page["count"] == 8 + 45 and len(page["results"]) == 10
