"""The demo park's listing pipeline tells the 2022 highlights' story."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.listing import selectors
from apps.listing.demo import WEIMA, demo_firm_names, seed_listing
from apps.listing.models import ListingEvent
from apps.registry.demo import seed_registry
from apps.registry.models import Firm

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    seed_registry()
    return seed_listing()


def test_weima_passed_the_chinext_committee_in_september_2022(demo, as_user):
    weima = Firm.objects.get(name=WEIMA)
    status = selectors.listing_status(weima, on=dt.date(2022, 12, 31))
    assert status is not None
    assert (status.stage, status.outcome, status.bucket, status.board) == ("committee", "passed", "approved", "chinext")
    committee = ListingEvent.objects.get(firm=weima, stage="committee")
    assert (committee.date.year, committee.date.month) == (2022, 9)
    assert committee.board == "chinext"
    assert "创业板上市委" in committee.note
    assert not ListingEvent.objects.filter(firm=weima, date__gt=committee.date).exists()
    # The demo enterprise user (linked to 威马农机) sees it through the API.
    from apps.accounts.models import User

    body = (
        as_user(User.objects.get(username="enterprise"))
        .get(f"/api/v1/listing-status/{weima.pk}/", {"on": "2022-12-31"})
        .json()
    )
    assert (body["bucket"], body["bucket_label"], body["board_label"]) == ("approved", "过审待发", "创业板")


def test_demo_buckets_of_2022_are_filled_and_the_order_holds(demo):
    events = selectors.listing_events_in_year(2022)
    assert [e.firm.name for e in events["approved"]] == [WEIMA]
    assert events["tutoring"] and events["in_review"]
    year_end = selectors.listing_buckets_on(dt.date(2022, 12, 31))
    assert {len(year_end[b]) > 0 for b in ("tutoring", "in_review", "approved")} == {True}
    assert not ListingEvent.objects.filter(out_of_order_override=True).exists()
    statuses = selectors.listing_statuses(Firm.objects.all())
    assert any(s.ended is False and s.run_started.year == 2023 for s in statuses.values())  # withdrew, came back
    assert ListingEvent.objects.filter(stage="withdrawn").count() == 1


def test_demo_is_idempotent_and_picks_the_same_firms(demo):
    assert demo["created"] > 0
    count = ListingEvent.objects.count()
    again = seed_listing()
    assert again["created"] == 0
    assert ListingEvent.objects.count() == count
    assert demo_firm_names() == demo_firm_names()
    assert set(demo_firm_names()) <= set(Firm.objects.values_list("name", flat=True))
