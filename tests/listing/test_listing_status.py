"""Where a firm stands: the derived stage and report bucket, the scope of every route, the selectors."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.listing import selectors
from apps.listing.models import ListingEvent
from tests.factories import FirmFactory
from tests.listing.factories import UP_TO_COMMITTEE, ListingEventFactory, timeline

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/listing-events/"
STATUS = "/api/v1/listing-status/"

PASSED = ("committee", "2022-09-08", {"outcome": "passed"})


@pytest.mark.parametrize(
    ("steps", "stage", "bucket"),
    [
        ((("pool", "2019-03-01"),), "pool", None),
        ((("pool", "2019-03-01"), ("joint_stock", "2019-06-18")), "joint_stock", None),
        ((("pool", "2019-03-01"), ("tutoring_filed", "2020-05-01")), "tutoring_filed", "tutoring"),
        (UP_TO_COMMITTEE[:3], "tutoring_accepted", "tutoring"),
        (UP_TO_COMMITTEE[:4], "application_accepted", "in_review"),
        (UP_TO_COMMITTEE, "inquiry", "in_review"),
        ((*UP_TO_COMMITTEE, ("committee", "2022-09-08")), "committee", "in_review"),
        ((*UP_TO_COMMITTEE, PASSED), "committee", "approved"),
        ((*UP_TO_COMMITTEE, ("committee", "2022-09-08", {"outcome": "failed"})), "committee", None),
        ((*UP_TO_COMMITTEE, PASSED, ("registration_submitted", "2022-10-01")), "registration_submitted", "approved"),
        (
            (
                *UP_TO_COMMITTEE,
                PASSED,
                ("registration_submitted", "2022-10-01"),
                ("registration_effective", "2022-11-15"),
            ),
            "registration_effective",
            "approved",
        ),
        (
            (
                *UP_TO_COMMITTEE,
                PASSED,
                ("registration_submitted", "2022-10-01"),
                ("registration_effective", "2022-11-15"),
                ("issuance", "2022-12-20"),
            ),
            "issuance",
            "approved",
        ),
        (
            (
                *UP_TO_COMMITTEE,
                PASSED,
                ("registration_submitted", "2022-10-01"),
                ("registration_effective", "2022-11-15"),
                ("listed", "2022-12-28"),
            ),
            "listed",
            "listed",
        ),
        ((*UP_TO_COMMITTEE, ("withdrawn", "2021-12-01")), "withdrawn", None),
        ((*UP_TO_COMMITTEE, ("terminated", "2021-12-01")), "terminated", None),
        (
            (*UP_TO_COMMITTEE, ("withdrawn", "2021-12-01"), ("tutoring_filed", "2022-06-01")),
            "tutoring_filed",
            "tutoring",
        ),
        # A pool upgrade while in review does not move the firm back.
        ((*UP_TO_COMMITTEE, ("pool", "2022-01-05", {"pool_level": "municipal_priority"})), "inquiry", "in_review"),
    ],
)
def test_stage_and_bucket_at_year_end(park, as_user, steps, stage, bucket):
    timeline(park.firm_a, *steps)
    body = as_user(park.staff).get(f"{STATUS}{park.firm_a.pk}/", {"on": "2022-12-31"}).json()
    assert (body["stage"], body["bucket"]) == (stage, bucket)
    status = selectors.listing_status(park.firm_a, on=dt.date(2022, 12, 31))
    assert status is not None and (status.stage, status.bucket) == (stage, bucket)


def test_failed_committee_is_not_approved_and_withdrawn_ends_the_run(park, as_user):
    timeline(park.firm_a, *UP_TO_COMMITTEE, ("committee", "2022-09-08", {"outcome": "failed"}))
    timeline(park.firm_b, *UP_TO_COMMITTEE, PASSED, ("withdrawn", "2022-11-01"))
    client = as_user(park.admin)
    assert client.get(STATUS, {"on": "2022-12-31", "bucket": "approved"}).json()["results"] == []
    rows = {r["firm"]: r for r in client.get(STATUS, {"on": "2022-12-31"}).json()["results"]}
    assert rows[park.firm_a.pk]["outcome"] == "failed" and rows[park.firm_a.pk]["bucket"] is None
    assert rows[park.firm_b.pk]["stage"] == "withdrawn" and rows[park.firm_b.pk]["ended"] is True
    assert rows[park.firm_b.pk]["bucket"] is None
    # Before the withdrawal the same firm was 过审待发.
    earlier = client.get(f"{STATUS}{park.firm_b.pk}/", {"on": "2022-10-01"}).json()
    assert earlier["bucket"] == "approved" and earlier["bucket_label"] == "过审待发"


def test_newly_listed_only_in_the_year_of_listing(park, as_user):
    timeline(
        park.firm_a,
        *UP_TO_COMMITTEE,
        PASSED,
        ("registration_submitted", "2022-10-01"),
        ("registration_effective", "2023-06-01"),
        ("listed", "2023-08-18", {"board": "chinext"}),
    )
    client = as_user(park.staff)
    in_2023 = client.get(f"{STATUS}{park.firm_a.pk}/", {"on": "2023-12-31"}).json()
    assert (in_2023["stage"], in_2023["bucket"], in_2023["board"]) == ("listed", "listed", "chinext")
    in_2024 = client.get(f"{STATUS}{park.firm_a.pk}/", {"on": "2024-12-31"}).json()
    assert (in_2024["stage"], in_2024["bucket"]) == ("listed", None)
    events = selectors.listing_events_in_year(2023)
    assert [e.stage for e in events["listed"]] == ["listed"]
    assert [e.stage for e in events["approved"]] == ["registration_effective"]


def test_status_list_is_one_row_per_firm_with_events(park, as_user):
    timeline(park.firm_a, *UP_TO_COMMITTEE)
    timeline(park.firm_b, ("pool", "2021-03-01"))
    FirmFactory(zone=park.zone_a)  # no events: not listed
    body = as_user(park.admin).get(STATUS).json()
    assert [(r["firm"], r["stage"]) for r in body["results"]] == [(park.firm_a.pk, "inquiry"), (park.firm_b.pk, "pool")]
    assert body["results"][0]["since"] == "2021-07-01"
    assert body["results"][0]["run_started"] == "2019-03-01"
    assert body["results"][0]["stage_label"] == "审核问询"
    by_zone = as_user(park.admin).get(STATUS, {"zone": park.zone_b.pk}).json()
    assert [r["firm"] for r in by_zone["results"]] == [park.firm_b.pk]
    by_stage = as_user(park.admin).get(STATUS, {"stage": "pool"}).json()
    assert [r["firm"] for r in by_stage["results"]] == [park.firm_b.pk]
    before_any = as_user(park.admin).get(STATUS, {"on": "2018-01-01"}).json()
    assert before_any["results"] == []
    assert as_user(park.admin).get(f"{STATUS}{park.firm_a.pk}/", {"on": "2018-01-01"}).status_code == 404


@pytest.mark.parametrize("params", [{"on": "2022-02-30"}, {"bucket": "nope"}, {"stage": "ipo"}, {"board": "nyse"}])
def test_bad_status_parameters_are_400(park, as_user, params):
    response = as_user(park.admin).get(STATUS, params)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_status_query_count_does_not_grow_with_firms(park, as_user):
    client = as_user(park.admin)
    counts = []
    for n in (2, 20):
        for _ in range(n):
            timeline(FirmFactory(zone=park.zone_a), ("pool", "2020-01-01"), ("tutoring_filed", "2021-01-01"))
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(STATUS).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_listing_statuses_is_one_query_for_many_firms(park, django_assert_num_queries):
    firms = [FirmFactory(zone=park.zone_a) for _ in range(5)]
    for firm in firms:
        timeline(firm, ("pool", "2020-01-01"))
    with django_assert_num_queries(1):
        statuses = selectors.listing_statuses(firms)
    assert set(statuses) == {f.pk for f in firms}


# ---------------------------------------------------------------- scope


def test_enterprise_reads_its_own_events_only(park, as_user):
    (own,) = timeline(park.firm_a, ("pool", "2020-01-01"))
    (other,) = timeline(park.firm_b, ("pool", "2020-01-01"))
    client = as_user(park.ent_a)
    listed = client.get(EVENTS).json()
    assert [e["id"] for e in listed["results"]] == [own.pk]
    assert client.get(f"{EVENTS}{own.pk}/").status_code == 200
    assert client.get(f"{EVENTS}{other.pk}/").status_code == 404
    assert client.get(EVENTS, {"firm": park.firm_b.pk}).json()["results"] == []
    assert [r["firm"] for r in client.get(STATUS).json()["results"]] == [park.firm_a.pk]
    assert client.get(f"{STATUS}{park.firm_a.pk}/").status_code == 200
    assert client.get(f"{STATUS}{park.firm_b.pk}/").status_code == 404


def test_enterprise_and_viewer_cannot_write(park, as_user):
    (own,) = timeline(park.firm_a, ("pool", "2020-01-01"))
    body = {"firm": park.firm_a.pk, "stage": "tutoring_filed", "date": "2022-03-18"}
    for user in (park.ent_a, park.viewer):
        client = as_user(user)
        assert client.post(EVENTS, body, format="json").status_code == 403
        assert client.patch(f"{EVENTS}{own.pk}/", {"note": "x"}, format="json").status_code == 403
        assert client.delete(f"{EVENTS}{own.pk}/").status_code == 403
    assert ListingEvent.objects.count() == 1
    assert as_user(park.viewer).get(f"{EVENTS}{own.pk}/").status_code == 200


def test_zone_limited_staff(park, as_user):
    (own,) = timeline(park.firm_a, ("pool", "2020-01-01"))
    (other,) = timeline(park.firm_b, ("pool", "2020-01-01"))
    client = as_user(park.staff_a)
    assert [e["id"] for e in client.get(EVENTS).json()["results"]] == [own.pk]
    assert client.get(f"{EVENTS}{other.pk}/").status_code == 404
    assert client.patch(f"{EVENTS}{other.pk}/", {"note": "x"}, format="json").status_code == 404
    assert client.delete(f"{EVENTS}{other.pk}/").status_code == 404
    refused = client.post(
        EVENTS, {"firm": park.firm_b.pk, "stage": "tutoring_filed", "date": "2022-03-18"}, format="json"
    )
    assert refused.status_code == 400
    assert "firm" in refused.json()["errors"]
    assert ListingEvent.objects.count() == 2
    assert (
        client.post(
            EVENTS, {"firm": park.firm_a.pk, "stage": "tutoring_filed", "date": "2022-03-18"}, format="json"
        ).status_code
        == 201
    )
    assert [r["firm"] for r in client.get(STATUS).json()["results"]] == [park.firm_a.pk]


def test_anonymous_gets_nothing(park, as_user):
    ListingEventFactory(firm=park.firm_a)
    assert as_user(None).get(EVENTS).status_code in (401, 403)
    assert as_user(None).get(STATUS).status_code in (401, 403)


def test_selectors_take_a_scope_and_a_zone(park):
    timeline(park.firm_a, *UP_TO_COMMITTEE[:2])
    timeline(park.firm_b, *UP_TO_COMMITTEE[:2])
    everyone = selectors.listing_events_in_year(2020)
    assert {e.firm_id for e in everyone["tutoring"]} == {park.firm_a.pk, park.firm_b.pk}
    zone_b = selectors.listing_events_in_year(2020, park.zone_b)
    assert {e.firm_id for e in zone_b["tutoring"]} == {park.firm_b.pk}
    from apps.registry.selectors import firms_visible_to

    scoped = selectors.listing_buckets_on(dt.date(2020, 12, 31), firms=firms_visible_to(park.ent_a))
    assert [s.firm_id for s in scoped["tutoring"]] == [park.firm_a.pk]
    assert set(scoped) == {"tutoring", "in_review", "approved", "listed"}


def test_event_list_query_count_does_not_grow_with_events(park, as_user):
    client = as_user(park.admin)
    counts = []
    for n in (2, 20):
        for _ in range(n):
            timeline(FirmFactory(zone=park.zone_a), ("pool", "2020-01-01"), ("tutoring_filed", "2021-01-01"))
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(EVENTS, {"page_size": 100}).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
