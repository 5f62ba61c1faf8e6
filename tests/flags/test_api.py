"""The flags, notifications, jobs, webhook-channel and deadline-completion endpoints: scope, actions, bad input."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.core import clock
from apps.flags import jobs
from apps.flags.models import DeadlineCompletion, Flag, JobRun, WebhookChannel
from tests.flags.factories import (
    FlagFactory,
    JobRunFactory,
    NotificationFactory,
    WebhookChannelFactory,
    hnte_report_deadline,
)

pytestmark = pytest.mark.django_db


def later() -> str:
    return (clock.today() + dt.timedelta(days=14)).isoformat()


@pytest.fixture
def flags(park):
    return {
        "a": FlagFactory(firm=park.firm_a, kind="renewal_due", programme_code="HNTE", due_date=dt.date(2026, 12, 19)),
        "a2": FlagFactory(
            firm=park.firm_a,
            kind="data_missing",
            programme_code="SRDI",
            subject="fy:2025",
            due_date=None,
            severity="warning",
            ladder_point=None,
        ),
        "b": FlagFactory(firm=park.firm_b, kind="expired", programme_code="SRDI", due_date=dt.date(2026, 10, 1)),
    }


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_flag_scope_follows_the_firm(park, flags, as_user):
    everything = {f.pk for f in flags.values()}
    assert ids(as_user(park.admin).get("/api/v1/flags/")) == everything
    assert ids(as_user(park.viewer).get("/api/v1/flags/")) == everything
    assert ids(as_user(park.staff).get("/api/v1/flags/")) == everything
    assert ids(as_user(park.staff_a).get("/api/v1/flags/")) == {flags["a"].pk, flags["a2"].pk}
    assert ids(as_user(park.ent_a).get("/api/v1/flags/")) == {flags["a"].pk, flags["a2"].pk}
    assert as_user(park.ent_a).get(f"/api/v1/flags/{flags['b'].pk}/").status_code == 404
    assert as_user(park.staff_a).get(f"/api/v1/flags/{flags['b'].pk}/").status_code == 404


def test_flag_filters(park, flags, as_user):
    client = as_user(park.staff)
    assert ids(client.get("/api/v1/flags/", {"kind": "renewal_due"})) == {flags["a"].pk}
    assert ids(client.get("/api/v1/flags/", {"programme": "srdi"})) == {flags["a2"].pk, flags["b"].pk}
    assert ids(client.get("/api/v1/flags/", {"zone": park.zone_b.pk})) == {flags["b"].pk}
    assert ids(client.get("/api/v1/flags/", {"firm": park.firm_a.pk})) == {flags["a"].pk, flags["a2"].pk}
    assert ids(client.get("/api/v1/flags/", {"due_before": "2026-11-30"})) == {flags["b"].pk}
    assert ids(client.get("/api/v1/flags/", {"state": "open", "open": "true"})) == {f.pk for f in flags.values()}
    assert ids(client.get("/api/v1/flags/", {"q": "乙方"})) == {flags["b"].pk}
    assert ids(client.get("/api/v1/flags/", {"q": park.firm_a.uscc.lower()})) == {flags["a"].pk, flags["a2"].pk}
    assert ids(client.get("/api/v1/flags/", {"q": "  "})) == {f.pk for f in flags.values()}
    assert client.get("/api/v1/flags/", {"due_before": "not-a-date"}).status_code == 400
    assert client.get("/api/v1/flags/", {"kind": "nonsense"}).status_code == 400


@pytest.mark.dated
def test_flag_text_is_in_the_readers_language(park, flags, as_user):
    zh = as_user(park.staff).get(f"/api/v1/flags/{flags['a'].pk}/").json()
    en = as_user(park.staff, "en").get(f"/api/v1/flags/{flags['a'].pk}/").json()
    assert zh["title"].startswith("【续期提醒】") and park.firm_a.name in zh["title"]
    assert en["title"].startswith("[Renewal due]")
    assert zh["days_left"] == (dt.date(2026, 12, 19) - clock.today()).days


@pytest.mark.dated
def test_staff_work_the_flag_through_its_states(park, flags, as_user):
    client, url = as_user(park.staff), f"/api/v1/flags/{flags['a'].pk}"
    body = client.post(f"{url}/acknowledge/", {"note": "已联系企业"}, format="json").json()
    assert (body["state"], body["note"], body["state_changed_by"]) == ("acknowledged", "已联系企业", park.staff.pk)
    assert client.post(f"{url}/acknowledge/", {}, format="json").status_code == 409
    assert client.post(f"{url}/snooze/", {"until": later()}, format="json").json()["snoozed_until"] == later()
    assert client.post(f"{url}/reopen/", {}, format="json").json()["state"] == "open"
    assert client.post(f"{url}/resolve/", {"note": "已提交续期申请"}, format="json").json()["resolution"] == "manual"
    assert client.post(f"{url}/reopen/", {}, format="json").json()["state"] == "open"
    dismissed = client.post(f"{url}/dismiss/", {"reason": "企业已迁出"}, format="json").json()
    assert (dismissed["state"], dismissed["dismiss_reason"]) == ("dismissed", "企业已迁出")


@pytest.mark.dated
def test_bad_action_input_is_a_4xx_and_changes_nothing(park, flags, as_user):
    client, url = as_user(park.staff, "en"), f"/api/v1/flags/{flags['a'].pk}"
    for path, data in [
        ("dismiss", {}),
        ("dismiss", {"reason": "   "}),
        ("snooze", {}),
        ("snooze", {"until": "soon"}),
        ("snooze", {"until": clock.today().isoformat()}),
        ("snooze", {"until": (clock.today() + dt.timedelta(days=400)).isoformat()}),
    ]:
        response = client.post(f"{url}/{path}/", data, format="json")
        assert response.status_code == 400, (path, data, response.content)
        assert response.json()["code"] == "invalid"
    assert Flag.objects.get(pk=flags["a"].pk).state == "open"


def test_reopening_when_the_subject_has_another_open_flag_is_a_conflict(park, flags, as_user):
    flag = flags["a"]
    Flag.objects.filter(pk=flag.pk).update(state="resolved")
    FlagFactory(firm=flag.firm, kind=flag.kind, programme_code=flag.programme_code, subject=flag.subject)
    response = as_user(park.staff).post(f"/api/v1/flags/{flag.pk}/reopen/", {}, format="json")
    assert response.status_code == 409
    assert Flag.objects.get(pk=flag.pk).state == "resolved"


@pytest.mark.dated
def test_enterprise_users_may_only_acknowledge_their_own(park, flags, as_user):
    client = as_user(park.ent_a)
    assert client.post(f"/api/v1/flags/{flags['a'].pk}/acknowledge/", {}, format="json").status_code == 200
    assert client.post(f"/api/v1/flags/{flags['b'].pk}/acknowledge/", {}, format="json").status_code == 404
    for action, data in [("dismiss", {"reason": "x"}), ("resolve", {}), ("snooze", {"until": later()})]:
        assert client.post(f"/api/v1/flags/{flags['a2'].pk}/{action}/", data, format="json").status_code == 403
    assert (
        as_user(park.viewer).post(f"/api/v1/flags/{flags['a2'].pk}/acknowledge/", {}, format="json").status_code == 403
    )


def test_bulk_action_for_the_inbox(park, flags, as_user):
    client = as_user(park.staff_a)
    Flag.objects.filter(pk=flags["a2"].pk).update(state="acknowledged")
    body = client.post(
        "/api/v1/flags/bulk/", {"ids": [flags["a"].pk, flags["a2"].pk], "action": "acknowledge"}, format="json"
    ).json()
    assert body == {"done": [flags["a"].pk], "skipped": [{"id": flags["a2"].pk, "state": "acknowledged"}]}
    # One id outside the caller's scope (zone B): 400, nothing changes.
    response = client.post(
        "/api/v1/flags/bulk/",
        {"ids": [flags["a"].pk, flags["b"].pk], "action": "dismiss", "reason": "批量忽略"},
        format="json",
    )
    assert response.status_code == 400 and "ids" in response.json()["errors"]
    assert Flag.objects.get(pk=flags["a"].pk).state == "acknowledged"
    done = client.post(
        "/api/v1/flags/bulk/", {"ids": [flags["a"].pk, flags["a2"].pk], "action": "dismiss", "reason": "批量忽略"},
        format="json",
    ).json()  # fmt: skip
    assert sorted(done["done"]) == sorted([flags["a"].pk, flags["a2"].pk])
    assert set(Flag.objects.filter(firm=park.firm_a).values_list("state", "dismiss_reason")) == {
        ("dismissed", "批量忽略")
    }
    for data in (
        {},
        {"ids": "1", "action": "dismiss"},
        {"ids": [1], "action": "explode"},
        {"ids": [], "action": "resolve"},
    ):
        assert client.post("/api/v1/flags/bulk/", data, format="json").status_code == 400
    assert as_user(park.ent_a).post("/api/v1/flags/bulk/", {"ids": [flags["a"].pk], "action": "resolve"},
                                    format="json").status_code == 403  # fmt: skip


def test_notifications_are_mine_only(park, flags, as_user):
    mine = NotificationFactory(user=park.ent_a, flag=flags["a"])
    NotificationFactory(user=park.staff, flag=flags["a"])
    client = as_user(park.ent_a)
    listed = client.get("/api/v1/notifications/").json()
    assert [row["id"] for row in listed["results"]] == [mine.pk]
    assert listed["results"][0]["read"] is False and "【续期提醒】" in listed["results"][0]["title"]
    assert as_user(park.admin).get(f"/api/v1/notifications/{mine.pk}/").status_code == 404
    assert client.post(f"/api/v1/notifications/{mine.pk}/read/").json()["read"] is True
    assert client.get("/api/v1/notifications/", {"unread": "true"}).json()["count"] == 0
    assert client.post(f"/api/v1/notifications/{mine.pk}/unread/").json()["read"] is False
    assert client.post("/api/v1/notifications/read-all/").json() == {"marked": 1}
    assert as_user(park.staff).get("/api/v1/notifications/", {"unread": "true"}).json()["count"] == 1


def test_email_preferences(park, as_user):
    assert as_user(park.ent_a).get("/api/v1/notifications/preferences/").json() == {"email_delivery": "immediate"}
    client = as_user(park.staff)
    assert client.get("/api/v1/notifications/preferences/").json() == {"email_delivery": "digest"}
    assert client.put("/api/v1/notifications/preferences/", {"email_delivery": "immediate"}, format="json").json() == {
        "email_delivery": "immediate"
    }
    assert (
        client.put("/api/v1/notifications/preferences/", {"email_delivery": "hourly"}, format="json").status_code == 400
    )
    assert as_user(park.viewer).put("/api/v1/notifications/preferences/", {"email_delivery": "off"},
                                    format="json").status_code == 403  # fmt: skip


def test_jobs_read_by_staff_started_by_administrators(park, as_user, monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr(jobs, "queue_name", lambda: "test-queue")
    from apps.flags.tasks import run_job_task

    monkeypatch.setattr(run_job_task, "apply_async", lambda **kwargs: sent.append(kwargs))
    previous = JobRunFactory(counts={"opened": 3})
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(park.admin).post("/api/v1/jobs/", {"job": "scan", "today": "2026-11-27"}, format="json")
    assert response.status_code == 202, response.content
    run = JobRun.objects.get(pk=response.json()["id"])
    assert (run.state, run.trigger, run.requested_by, run.params) == (
        "queued",
        "api",
        park.admin,
        {"today": "2026-11-27", "dry_run": True},  # a scan as of a chosen day writes nothing (issue 13)
    )
    assert sent == [{"args": ("scan",), "kwargs": {"run_id": run.pk, "trigger": "api"}, "queue": "test-queue"}]
    assert as_user(park.admin).get(f"/api/v1/jobs/{run.pk}/").json()["state"] == "queued"
    assert ids(as_user(park.staff).get("/api/v1/jobs/")) == {run.pk, previous.pk}
    assert as_user(park.staff).post("/api/v1/jobs/", {"job": "scan"}, format="json").status_code == 403
    assert as_user(park.ent_a).get("/api/v1/jobs/").status_code == 403
    assert as_user(park.viewer).get(f"/api/v1/jobs/{run.pk}/").status_code == 403
    for bad in ({}, {"job": "rescan"}, {"job": "format_disk"}, {"job": "scan", "today": "yesterday"}):
        assert as_user(park.admin).post("/api/v1/jobs/", bad, format="json").status_code == 400


def test_webhook_channels_are_for_administrators(park, as_user):
    client = as_user(park.admin)
    created = client.post(
        "/api/v1/webhook-channels/",
        {
            "name": "综保区企业服务群",
            "kind": "dingtalk",
            "url": "https://oapi.dingtalk.com/robot/send?access_token=SECRET123",
            "secret": "SECabc",
            "zone": park.zone_a.pk,
            "programme": "hnte",
            "kinds": ["renewal_due", "expired"],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert "SECRET123" not in created.content.decode() and "SECabc" not in created.content.decode()
    assert body["url_hint"] == "https://oapi.dingtalk.com/robot/send?…" and body["has_secret"] is True
    assert WebhookChannel.objects.get(pk=body["id"]).programme.code == "HNTE"
    for bad in (
        {"name": "x", "kind": "email", "url": "https://example.com/"},
        {"name": "x", "kind": "wecom", "url": "ftp://example.com/"},
        {"name": "x", "kind": "wecom", "url": "https://example.com/", "kinds": ["party"]},
    ):
        assert client.post("/api/v1/webhook-channels/", bad, format="json").status_code == 400
    WebhookChannelFactory()
    assert as_user(park.staff).get("/api/v1/webhook-channels/").status_code == 403


def test_marking_a_deadline_done(park, as_user):
    deadline = hnte_report_deadline()
    data = {"firm": park.firm_a.pk, "deadline": deadline.pk, "year": 2026, "done_on": "2026-05-20", "reason": "已报送"}
    created = as_user(park.ent_a).post("/api/v1/deadline-completions/", data, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["marked_by"] == park.ent_a.pk
    assert as_user(park.staff).post("/api/v1/deadline-completions/", data, format="json").status_code == 409
    assert (
        as_user(park.ent_a)
        .post("/api/v1/deadline-completions/", {**data, "firm": park.firm_b.pk}, format="json")
        .status_code
        == 400
    )
    assert (
        as_user(park.staff)
        .post("/api/v1/deadline-completions/", {**data, "done_on": "2099-01-01"}, format="json")
        .status_code
        == 400
    )
    assert as_user(park.viewer).post("/api/v1/deadline-completions/", data, format="json").status_code == 403
    pk = created.json()["id"]
    assert as_user(park.ent_b).delete(f"/api/v1/deadline-completions/{pk}/").status_code == 404
    assert as_user(park.staff).delete(f"/api/v1/deadline-completions/{pk}/").status_code == 204
    assert not DeadlineCompletion.objects.exists()


def test_figure_requirements_are_data_administrators_edit(park, as_user):
    listed = as_user(park.ent_a).get("/api/v1/figure-requirements/", {"page_size": 50}).json()
    hnte = next(row for row in listed["results"] if row["programme"] == "HNTE")
    assert "rd_expense" in hnte["fields"]
    url = f"/api/v1/figure-requirements/{hnte['id']}/"
    assert as_user(park.staff).patch(url, {"fields": ["rd_expense"]}, format="json").status_code == 403
    assert as_user(park.admin).patch(url, {"fields": ["rd_expense"]}, format="json").json()["fields"] == ["rd_expense"]
    assert as_user(park.admin).patch(url, {"fields": ["password"]}, format="json").status_code == 400
