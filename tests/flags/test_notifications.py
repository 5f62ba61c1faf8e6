"""Notifications: group robots on a real HTTP receiver, retries with backoff, email at once or in a digest."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail

from apps.flags import notify
from apps.flags.jobs import run_job
from apps.flags.models import Flag, JobRun, Notification, NotificationPreference, OutboxMessage
from tests.flags.conftest import cert_ending, run_scan
from tests.flags.factories import TODAY, WebhookChannelFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("standard_only", "local_receivers_allowed")]


@pytest.fixture
def local_receivers_allowed(settings: Any) -> None:
    """The test receivers listen on 127.0.0.1, which only an explicit setting lets a webhook reach."""
    settings.SEEDBED_WEBHOOK_ALLOW_HOSTS = "127.0.0.1"


class Receiver:
    """A group robot's endpoint on 127.0.0.1: records every POST; answers `fail_first` times with HTTP 500."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.attempts: list[dict[str, Any]] = []
        self.accepted: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                record = {"path": self.path, "body": body}
                receiver.attempts.append(record)
                if len(receiver.attempts) <= receiver.fail_first:
                    self.send_response(500)
                    self.end_headers()
                    return
                receiver.accepted.append(record)
                payload = b'{"errcode":0,"errmsg":"ok"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def drain(rounds: int = 30) -> None:
    for _ in range(rounds):
        notify.deliver_due()
        if not OutboxMessage.objects.filter(state="pending").exists():
            return
        time.sleep(0.1)


def test_each_robot_gets_exactly_one_correctly_shaped_message_per_ladder_point(park, receiver):
    WebhookChannelFactory(kind="wecom", url=f"{receiver.url}/cgi-bin/webhook/send?key=WECOM-KEY", zone=park.zone_a)
    WebhookChannelFactory(
        kind="dingtalk", url=f"{receiver.url}/robot/send?access_token=DT", secret="SECtest", kinds=["renewal_due"]
    )
    WebhookChannelFactory(kind="wecom", url=f"{receiver.url}/other-zone", zone=park.zone_b)  # not firm A's zone
    cert = cert_ending(park.firm_a, "HNTE", 150)
    for day in (0, 1, 60, 61, 125, 126, 130):  # rungs 180 → 90 → 30, each scanned more than once
        run_scan(TODAY + dt.timedelta(days=day), kinds=["renewal_due"])
        drain()
    flag = Flag.objects.get(kind="renewal_due", subject=f"cert:{cert.pk}")
    wecom = [r for r in receiver.accepted if r["path"].startswith("/cgi-bin/webhook/send")]
    dingtalk = [r for r in receiver.accepted if r["path"].startswith("/robot/send")]
    assert not [r for r in receiver.accepted if r["path"].startswith("/other-zone")]
    assert len(wecom) == len(dingtalk) == 3
    assert len(receiver.attempts) == 6
    for record, point in zip(wecom, (180, 90, 30), strict=True):
        body = record["body"]
        assert set(body) == {"msgtype", "markdown"} and body["msgtype"] == "markdown"
        assert set(body["markdown"]) == {"content"}
        content = body["markdown"]["content"]
        assert content.startswith("### 【续期提醒】重庆甲方科技有限公司：高新技术企业将于")
        assert f"提前 {point} 天提醒" in content and f"/flags/{flag.pk}" in content
    for record, point in zip(dingtalk, (180, 90, 30), strict=True):
        body = record["body"]
        assert body["msgtype"] == "markdown" and set(body["markdown"]) == {"title", "text"}
        assert (
            body["markdown"]["title"].startswith("【续期提醒】") and f"提前 {point} 天提醒" in body["markdown"]["text"]
        )
        query = parse_qs(urlsplit(record["path"]).query)
        timestamp, sign = query["timestamp"][0], query["sign"][0]
        expected = base64.b64encode(
            hmac.new(b"SECtest", f"{timestamp}\nSECtest".encode(), hashlib.sha256).digest()
        ).decode()
        assert query["access_token"] == ["DT"] and sign == expected
    assert set(OutboxMessage.objects.filter(webhook__isnull=False).values_list("state", flat=True)) == {"sent"}


def test_a_receiver_failing_twice_gets_the_message_exactly_once(park, settings):
    # Retries after 0.5–1 s (jitter): short, yet long enough that a busy machine cannot make the
    # first delivery round find the message due again before the backoff check below.
    settings.SEEDBED_NOTIFY_RETRY_BASE_SECONDS = 1.0
    settings.SEEDBED_NOTIFY_RETRY_MAX_SECONDS = 1.0
    flaky = Receiver(fail_first=2)
    try:
        WebhookChannelFactory(kind="wecom", url=f"{flaky.url}/send?key=K")
        cert_ending(park.firm_a, "SRDI", 20)
        run_scan(kinds=["renewal_due"])
        notify.deliver_due()
        message = OutboxMessage.objects.get(channel="wecom")
        assert (message.state, message.attempts, message.last_error) == ("pending", 1, "HTTP 500")
        assert message.next_attempt_at > message.created_at
        notify.deliver_due()  # not due yet: backoff
        assert OutboxMessage.objects.get(pk=message.pk).attempts == 1
        drain(rounds=60)
        message.refresh_from_db()
        assert (message.state, message.attempts) == ("sent", 3)
        assert len(flaky.attempts) == 3 and len(flaky.accepted) == 1
        run_scan(kinds=["renewal_due"])
        drain()
        assert len(flaky.accepted) == 1
    finally:
        flaky.close()


def test_a_refusing_receiver_is_given_up_and_a_flaky_one_after_the_last_attempt(park, receiver, settings):
    settings.SEEDBED_NOTIFY_MAX_ATTEMPTS = 1
    WebhookChannelFactory(kind="wecom", url="http://127.0.0.1:9/unreachable")
    cert_ending(park.firm_a, "SRDI", 20)
    run_scan(kinds=["renewal_due"])
    notify.deliver_due()
    message = OutboxMessage.objects.get(channel="wecom")
    assert message.state == "failed" and message.last_error.startswith("network")


def test_backoff_grows_exponentially_with_jitter_and_a_cap(settings):
    settings.SEEDBED_NOTIFY_RETRY_BASE_SECONDS = 30
    settings.SEEDBED_NOTIFY_RETRY_MAX_SECONDS = 3600
    for attempts, full in [(1, 30), (2, 60), (3, 120), (8, 3600), (20, 3600)]:
        delays = {notify.retry_delay(attempts) for _ in range(20)}
        assert all(full / 2 <= d <= full for d in delays)
        assert len(delays) > 1, "jitter"


def test_email_at_once_for_the_firm_and_in_a_daily_digest_for_staff(park, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    park.firm_a.assigned_staff = park.staff
    park.firm_a.save()
    for user, email in ((park.ent_a, "ent_a@example.com"), (park.staff, "staff1@example.com")):
        user.email = email
        user.save()
    cert_ending(park.firm_a, "SRDI", 20)
    cert_ending(park.firm_a, "HNTE", 100)
    run_scan(kinds=["renewal_due"])
    drain()
    assert sorted(m.to[0] for m in mail.outbox) == ["ent_a@example.com", "ent_a@example.com"]
    assert "【续期提醒】" in mail.outbox[0].subject and "[Renewal due]" in mail.outbox[0].body
    assert OutboxMessage.objects.filter(user=park.staff, state="held").count() == 2
    mail.outbox.clear()
    run = run_job("digest", params={"today": TODAY.isoformat()})
    assert run.state == "succeeded" and (run.counts["digests"], run.counts["messages"]) == (1, 2)
    drain()
    assert [m.to for m in mail.outbox] == [["staff1@example.com"]]
    assert mail.outbox[0].subject.startswith("【每日汇总】") and mail.outbox[0].body.count("【续期提醒】") == 2
    again = run_job("digest", params={"today": TODAY.isoformat()}).counts
    assert (again["digests"], again["messages"]) == (0, 0)
    drain()
    assert len(mail.outbox) == 1


def test_email_preferences_immediate_and_off(park, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    park.firm_a.assigned_staff = park.staff
    park.firm_a.save()
    park.staff.email, park.ent_a.email = "staff1@example.com", "ent_a@example.com"
    park.staff.save()
    park.ent_a.save()
    NotificationPreference.objects.create(user=park.staff, email_delivery="immediate")
    NotificationPreference.objects.create(user=park.ent_a, email_delivery="off")
    cert_ending(park.firm_a, "SRDI", 20)
    run_scan(kinds=["renewal_due"])
    drain()
    assert [m.to for m in mail.outbox] == [["staff1@example.com"]]
    assert Notification.objects.filter(user=park.ent_a).count() == 1, "in-app notifications still arrive"


def test_a_failed_job_tells_the_administrators(park, monkeypatch, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    park.admin.email = "admin@example.com"
    park.admin.save()
    from apps.flags import jobs

    def explode(run: JobRun) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setitem(jobs.RUNNERS, "scan", explode)
    run = run_job("scan", params={"today": TODAY.isoformat()})
    assert run.state == "failed" and "disk full" in run.errors[0]["error"]
    note = Notification.objects.get(user=park.admin, topic="job_failed")
    assert note.data["run"] == run.pk
    drain()
    assert mail.outbox[0].subject.startswith("【任务失败】") and mail.outbox[0].to == ["admin@example.com"]
