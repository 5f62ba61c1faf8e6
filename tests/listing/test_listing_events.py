"""Listing events as staff record them: the stage order, overrides with a reason, and bad input."""

from __future__ import annotations

import pytest

from apps.core.models import Change
from apps.listing.models import ListingEvent
from tests.listing.factories import UP_TO_COMMITTEE, ListingEventFactory, timeline

pytestmark = pytest.mark.django_db

URL = "/api/v1/listing-events/"


def event(firm, stage, date, **extra):
    body = {"firm": firm.pk, "stage": stage, "date": date}
    if stage == "pool":
        body.setdefault("pool_level", "municipal")
    body.update(extra)
    return body


def test_staff_records_a_run_in_order(park, as_user):
    client = as_user(park.staff)
    steps = [
        event(park.firm_a, "pool", "2019-03-28", pool_level="district"),
        event(park.firm_a, "joint_stock", "2019-06-18"),
        event(park.firm_a, "tutoring_filed", "2020-05-12", sponsor="长江证券承销保荐有限公司"),
        event(park.firm_a, "tutoring_accepted", "2021-06-08"),
        event(park.firm_a, "application_accepted", "2021-06-28", board="chinext"),
        event(
            park.firm_a,
            "committee",
            "2022-09-08",
            board="chinext",
            outcome="passed",
            announcement_url="https://www.szse.cn/disclosure/notice/index.html",
        ),
    ]
    for body in steps:
        response = client.post(URL, body, format="json")
        assert response.status_code == 201, response.content
    body = response.json()
    assert body["recorded_by"] == park.staff.pk
    assert body["stage_label"] == "上市委审议"
    assert body["bucket"] == "approved"
    assert body["bucket_label"] == "过审待发"
    assert body["out_of_order_override"] is False


def test_listing_before_registration_is_refused_naming_both_stages(park, as_user):
    timeline(
        park.firm_a,
        *UP_TO_COMMITTEE,
        ("committee", "2022-09-08", {"outcome": "passed"}),
        ("registration_submitted", "2022-10-01"),
    )
    before = ListingEvent.objects.count()
    response = as_user(park.staff).post(URL, event(park.firm_a, "listed", "2023-08-18", board="chinext"), format="json")
    assert response.status_code == 400
    message = response.json()["message"]
    assert "上市" in message and "注册生效" in message
    assert "override" in " ".join(response.json()["errors"]["non_field_errors"])
    assert ListingEvent.objects.count() == before


def test_order_message_in_english(park, as_user):
    timeline(park.firm_a, ("tutoring_filed", "2022-05-01"))
    response = as_user(park.staff, "en").post(URL, event(park.firm_a, "tutoring_accepted", "2022-03-01"), format="json")
    assert response.status_code == 400
    message = response.json()["errors"]["non_field_errors"][0]
    assert "Tutoring accepted" in message and "Tutoring filed" in message
    assert "2022-03-01" in message and "2022-05-01" in message
    assert "before" in message


def test_date_earlier_than_the_previous_stage_is_refused(park, as_user):
    timeline(park.firm_a, ("tutoring_filed", "2020-05-01"), ("tutoring_accepted", "2021-01-10"))
    response = as_user(park.staff).post(
        URL, event(park.firm_a, "application_accepted", "2020-12-01", board="star"), format="json"
    )
    assert response.status_code == 400
    message = response.json()["message"]
    assert "申报受理" in message and "辅导验收" in message


def test_override_needs_a_reason(park, as_user):
    response = as_user(park.staff).post(
        URL, event(park.firm_a, "listed", "2023-08-18", board="chinext", override=True), format="json"
    )
    assert response.status_code == 400
    assert "reason" in response.json()["errors"]
    assert not ListingEvent.objects.exists()


def test_override_with_reason_is_saved_flagged_and_in_the_history(park, as_user):
    reason = "企业在外地完成前期程序，迁入园区后补录"
    response = as_user(park.staff).post(
        URL,
        event(park.firm_a, "listed", "2023-08-18", board="chinext", override=True, reason=reason),
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["out_of_order_override"] is True
    change = Change.objects.get(table_name="listing_listingevent", object_id=str(response.json()["id"]))
    assert change.action == "insert"
    assert change.reason == reason
    assert change.firm_id == park.firm_a.pk
    assert change.actor_id == park.staff.pk
    # The firm's history shows it too.
    history = as_user(park.staff).get(f"/api/v1/firms/{park.firm_a.pk}/history/").json()
    assert any(c["table_name"] == "listing_listingevent" and c["reason"] == reason for c in history["results"])


def test_editing_an_overridden_event_needs_no_second_override(park, as_user):
    listed = ListingEventFactory(firm=park.firm_a, stage="listed", date="2023-08-18", out_of_order_override=True)
    response = as_user(park.staff).patch(f"{URL}{listed.pk}/", {"note": "补充公告"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["out_of_order_override"] is True


def test_moving_an_event_out_of_order_by_editing_is_refused(park, as_user):
    filed, _accepted = timeline(park.firm_a, ("tutoring_filed", "2020-05-01"), ("tutoring_accepted", "2021-01-10"))
    response = as_user(park.staff).patch(f"{URL}{filed.pk}/", {"date": "2021-03-01"}, format="json")
    assert response.status_code == 400
    filed.refresh_from_db()
    assert str(filed.date) == "2020-05-01"


def test_failed_committee_does_not_allow_registration(park, as_user):
    timeline(park.firm_a, *UP_TO_COMMITTEE, ("committee", "2022-09-08", {"outcome": "failed"}))
    response = as_user(park.staff).post(URL, event(park.firm_a, "registration_submitted", "2022-10-01"), format="json")
    assert response.status_code == 400
    assert "上市委审议" in response.json()["message"]


def test_after_withdrawal_a_new_run_starts_with_pool_or_tutoring(park, as_user):
    timeline(park.firm_a, *UP_TO_COMMITTEE, ("withdrawn", "2021-12-01"))
    client = as_user(park.staff)
    refused = client.post(URL, event(park.firm_a, "application_accepted", "2023-03-01", board="main"), format="json")
    assert refused.status_code == 400
    assert "撤回" in refused.json()["message"] and "申报受理" in refused.json()["message"]
    assert client.post(URL, event(park.firm_a, "tutoring_filed", "2023-03-01"), format="json").status_code == 201
    assert client.post(URL, event(park.firm_a, "pool", "2023-04-01"), format="json").status_code == 201


def test_withdrawal_needs_a_run_to_end(park, as_user):
    response = as_user(park.staff).post(URL, event(park.firm_a, "withdrawn", "2023-03-01"), format="json")
    assert response.status_code == 400
    assert "撤回" in response.json()["message"]


def test_nothing_after_listing(park, as_user):
    timeline(
        park.firm_a,
        *UP_TO_COMMITTEE,
        ("committee", "2022-09-08", {"outcome": "passed"}),
        ("registration_submitted", "2022-10-01"),
        ("registration_effective", "2023-06-01"),
        ("listed", "2023-08-18", {"board": "chinext"}),
    )
    response = as_user(park.staff).post(URL, event(park.firm_a, "withdrawn", "2024-01-05"), format="json")
    assert response.status_code == 400
    assert "上市" in response.json()["message"]


def test_deleting_a_stage_later_ones_rest_on_needs_override(park, as_user):
    filed, accepted = timeline(park.firm_a, ("tutoring_filed", "2020-05-01"), ("tutoring_accepted", "2021-01-10"))
    client = as_user(park.staff)
    refused = client.delete(f"{URL}{filed.pk}/")
    assert refused.status_code == 400
    assert "辅导验收" in refused.json()["message"]
    assert ListingEvent.objects.filter(pk=filed.pk).exists()
    assert client.delete(f"{URL}{filed.pk}/?override=true").status_code == 400  # no reason
    done = client.delete(f"{URL}{filed.pk}/?override=true&reason=备案录错企业")
    assert done.status_code == 204
    accepted.refresh_from_db()
    assert accepted.out_of_order_override is True
    deleted = Change.objects.get(table_name="listing_listingevent", object_id=str(filed.pk), action="delete")
    assert deleted.reason == "备案录错企业"


def test_deleting_the_last_event_is_plain(park, as_user):
    (pool,) = timeline(park.firm_a, ("pool", "2020-05-01"))
    assert as_user(park.staff).delete(f"{URL}{pool.pk}/").status_code == 204


def test_the_same_stage_twice_on_one_day_is_refused(park, as_user):
    timeline(park.firm_a, ("pool", "2020-05-01"))
    response = as_user(park.staff).post(URL, event(park.firm_a, "pool", "2020-05-01"), format="json")
    assert response.status_code == 400
    assert "入库" in response.json()["errors"]["date"][0]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"announcement_url": "not a url"}, "announcement_url"),
        ({"announcement_url": "javascript:alert(1)"}, "announcement_url"),
        ({"announcement_url": "ftp://example.com/notice.pdf"}, "announcement_url"),
        ({"announcement_url": "https://" + "a" * 600 + ".cn"}, "announcement_url"),
        ({"stage": "ipo"}, "stage"),
        ({"date": "2022-13-01"}, "date"),
        ({"date": "2010-01-01"}, "date"),  # before the firm was registered
        ({"date": "1989-12-31"}, "date"),
        ({"date": "2999-01-01"}, "date"),
        ({"board": "nasdaq"}, "board"),
        ({"stage": "pool", "pool_level": ""}, "pool_level"),
        ({"pool_level": "district"}, "pool_level"),  # on a tutoring event
        ({"outcome": "passed"}, "outcome"),  # on a tutoring event
        ({"stage": "listed"}, "board"),
        ({"firm": 999999999}, "firm"),
        ({"firm": "abc"}, "firm"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_changes_nothing(park, as_user, extra, field):
    body = {"firm": park.firm_a.pk, "stage": "tutoring_filed", "date": "2022-03-18", **extra}
    response = as_user(park.staff).post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not ListingEvent.objects.exists()


def test_committee_without_outcome_is_pending(park, as_user):
    timeline(park.firm_a, *UP_TO_COMMITTEE)
    response = as_user(park.staff).post(URL, event(park.firm_a, "committee", "2022-09-08"), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["outcome"] == "pending"
    assert response.json()["bucket"] == "in_review"


def test_an_event_cannot_move_to_another_firm(park, as_user):
    (pool,) = timeline(park.firm_a, ("pool", "2020-05-01"))
    response = as_user(park.staff).patch(f"{URL}{pool.pk}/", {"firm": park.firm_b.pk}, format="json")
    assert response.status_code == 400
    assert "firm" in response.json()["errors"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"year": 2022}, {"committee"}),
        ({"year": 2021}, {"tutoring_accepted", "application_accepted", "inquiry"}),
        ({"bucket": "in_review"}, {"application_accepted", "inquiry"}),
        ({"bucket": "approved"}, {"committee"}),
        ({"bucket": "tutoring"}, {"tutoring_filed", "tutoring_accepted"}),
        ({"stage": ["pool", "committee"]}, {"pool", "committee"}),
        ({"board": "chinext"}, {"application_accepted"}),
        ({"zone_code": "zone-b"}, set()),
        ({"date_after": "2021-06-01", "date_before": "2021-12-31"}, {"application_accepted", "inquiry"}),
    ],
)
def test_filters(park, as_user, params, expected):
    timeline(park.firm_a, *UP_TO_COMMITTEE, ("committee", "2022-09-08", {"outcome": "passed"}))
    body = as_user(park.admin).get(URL, params).json()
    assert {e["stage"] for e in body["results"]} == expected


@pytest.mark.parametrize("params", [{"year": 99999}, {"year": "abc"}, {"bucket": "nope"}, {"stage": "ipo"}])
def test_bad_filters_are_400(park, as_user, params):
    response = as_user(park.admin).get(URL, params)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_override_reason_can_come_in_the_change_reason_header(park, as_user):
    client = as_user(park.staff)
    response = client.post(
        URL,
        event(park.firm_a, "tutoring_accepted", "2022-03-01", override=True),
        format="json",
        HTTP_X_CHANGE_REASON="辅导备案材料另存".encode().decode("latin-1"),
    )
    assert response.status_code == 201, response.content
    change = Change.objects.get(table_name="listing_listingevent", object_id=str(response.json()["id"]))
    assert change.reason == "辅导备案材料另存"
