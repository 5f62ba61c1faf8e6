"""Issue 13, findings 3, 5 and 15: delivery that one message cannot stop, webhooks that cannot reach
inside the park's network, and robots' keys kept out of the history and the API.

DNS is a stub (`destinations.resolver`): no test here asks a real resolver anything.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core import mail
from django.db import connection

from apps.core.models import Change
from apps.core.sql import redact_history_sql
from apps.flags import destinations, notify
from apps.flags.models import OutboxMessage, WebhookChannel
from tests.factories import FirmFactory, UserFactory
from tests.flags.conftest import cert_ending, run_scan
from tests.flags.factories import WebhookChannelFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("standard_only")]

# Line breaks and controls a firm name can carry in from a spreadsheet cell (NUL cannot be stored in
# PostgreSQL text at all; the API test refuses it).
LINE_BREAKS = ["\n", "\r", "\r\n", "\t", "\x0b", "\x0c", "\x1c", "\x1e", "\x7f", "\x85", "\u2028", "\u2029"]


class Robot:
    """A group robot on 127.0.0.1. `answer(handler)` may answer instead of the default 200 errcode 0."""

    def __init__(self, answer: Any = None) -> None:
        self.requests: list[dict[str, Any]] = []
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                robot.requests.append({"path": self.path, "host": self.headers["Host"], "body": body})
                if answer is not None and answer(self):
                    return
                payload = b'{"errcode":0,"errmsg":"ok"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def robot() -> Iterator[Robot]:
    r = Robot()
    yield r
    r.close()


@pytest.fixture
def dns(monkeypatch: Any) -> dict[str, list[str]]:
    """A stub resolver: names map to the addresses given; any other name does not resolve."""
    table: dict[str, list[str]] = {}

    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError(f"stub: {host} does not resolve")
        return table[host]

    monkeypatch.setattr(destinations, "resolver", resolve)
    return table


def drain() -> None:
    for _ in range(20):
        notify.deliver_due()
        if not OutboxMessage.objects.filter(state="pending").exists():
            return


# ------------------------------------------------------------------------ finding 3: poisoned messages


def test_a_poisoned_email_never_blocks_the_others_and_line_breaks_never_reach_a_subject(park, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # First in the queue: a recipient address with a header injection in it (the mail library refuses it).
    poisoned_firm = FirmFactory(zone=park.zone_a, name="重庆毒药科技有限公司")
    poisoned_user = UserFactory(username="poison", role="enterprise", email="x@example.com\nBcc: all@example.com")
    poisoned_user.firms.set([poisoned_firm])
    cert_ending(poisoned_firm, "SRDI", 20)
    run_scan(kinds=["renewal_due"])
    # Then one firm per kind of line break in its name, each with an enterprise user to tell.
    for n, brk in enumerate(LINE_BREAKS):
        firm = FirmFactory(zone=park.zone_a, name=f"重庆{brk}换行{n}有限公司")
        user = UserFactory(username=f"ent{n}", role="enterprise", email=f"ent{n}@example.com")
        user.firms.set([firm])
        cert_ending(firm, "SRDI", 20)
    run_scan(kinds=["renewal_due"])
    first = OutboxMessage.objects.filter(channel="email").order_by("next_attempt_at", "id").first()
    assert first is not None and first.user_id == poisoned_user.pk

    drain()

    bad = OutboxMessage.objects.get(channel="email", user=poisoned_user)
    assert bad.state == "failed" and bad.attempts == 1
    assert bad.last_error.startswith("BadHeaderError") and "\n" not in bad.last_error
    good = OutboxMessage.objects.filter(channel="email").exclude(user=poisoned_user)
    assert good.count() == len(LINE_BREAKS)
    assert set(good.values_list("state", flat=True)) == {"sent"}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(f"ent{n}@example.com" for n in range(len(LINE_BREAKS)))
    for message in mail.outbox:
        assert not any(brk in message.subject for brk in LINE_BREAKS), repr(message.subject)
        assert "换行" in message.subject


def test_a_message_failing_in_any_way_is_marked_failed_and_the_webhooks_after_it_are_delivered(
    park, robot, dns, settings, monkeypatch
):
    settings.SEEDBED_WEBHOOK_ALLOW_HOSTS = "127.0.0.1"
    # Three robots: one whose payload cannot be built (any exception class), one pointed at an internal
    # address nobody allowed, one that works. The broken ones come first in the queue.
    WebhookChannelFactory(name="broken", kind="dingtalk", url=f"{robot.url}/robot/send?access_token=DT")
    WebhookChannelFactory(name="internal", kind="wecom", url="http://10.0.0.7/cgi-bin/webhook/send?key=INTERNAL")
    WebhookChannelFactory(name="good", kind="wecom", url=f"{robot.url}/cgi-bin/webhook/send?key=OK")

    def broken(message: Any) -> Any:
        raise KeyError("a template bug")

    monkeypatch.setattr(notify, "dingtalk_payload", broken)
    park.firm_a.name = "重庆\n甲方\u2028科技有限公司"
    park.firm_a.save()
    cert_ending(park.firm_a, "SRDI", 20)
    cert_ending(park.firm_a, "HNTE", 100)
    run_scan(kinds=["renewal_due"])

    drain()

    states = sorted(
        (m.webhook.name, m.state, m.last_error.split(":")[0])
        for m in OutboxMessage.objects.filter(webhook__isnull=False).select_related("webhook")
    )
    assert states == [
        ("broken", "failed", "KeyError"),
        ("broken", "failed", "KeyError"),
        ("good", "sent", ""),
        ("good", "sent", ""),
        ("internal", "failed", "refused"),
        ("internal", "failed", "refused"),
    ]
    delivered = [r for r in robot.requests if r["path"].startswith("/cgi-bin")]
    assert len(delivered) == 2 and len(robot.requests) == 2  # the broken robot was never called
    for request in delivered:
        title = request["body"]["markdown"]["content"].split("\n", 1)[0]
        assert "重庆 甲方 科技有限公司" in title and "\u2028" not in title


# ------------------------------------------------------------------------ finding 5: SSRF

INTERNAL_URLS = [
    "http://127.0.0.1/send",
    "http://127.0.0.1:8000/admin/",
    "http://localhost/send",
    "http://LOCALHOST./send",
    "http://[::1]/send",
    "http://[::]/send",
    "http://0.0.0.0/send",
    "http://0/send",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.1.2.3/send",
    "http://172.16.0.1/send",
    "http://172.31.255.254/send",
    "http://192.168.1.1/send",
    "http://100.64.0.1/send",
    "http://100.127.255.254/send",
    "http://[fc00::1]/send",
    "http://[fd12:3456::1]/send",
    "http://[fe80::1]/send",
    "http://[::ffff:127.0.0.1]/send",
    "http://[::ffff:7f00:1]/send",
    "http://[::ffff:10.0.0.1]/send",
    "http://[64:ff9b::a9fe:a9fe]/send",
    "http://[2002:7f00:1::]/send",
    "http://2130706433/send",
    "http://0x7f000001/send",
    "http://017700000001/send",
    "http://127.1/send",
    "http://0x7f.1/send",
    "http://0177.0.0.1/send",
    "http://10.1/send",
    "https://intranet.example/send",
    "https://metadata.example/send",
    "https://mixed.example/send",
    "https://mapped.example/send",
]


@pytest.fixture
def internal_dns(dns: dict[str, list[str]]) -> dict[str, list[str]]:
    dns.update(
        {
            "localhost": ["127.0.0.1", "::1"],
            "localhost.": ["127.0.0.1"],
            "intranet.example": ["10.20.30.40"],
            "metadata.example": ["169.254.169.254"],
            "mixed.example": ["93.184.216.34", "192.168.0.10"],  # one public answer does not make it safe
            "mapped.example": ["::ffff:172.16.5.4"],
            "robot.example": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
            "relay.park.internal": ["10.9.8.7"],
        }
    )
    return dns


@pytest.mark.parametrize("url", INTERNAL_URLS)
def test_a_webhook_cannot_be_pointed_at_an_internal_address_in_any_spelling(park, as_user, internal_dns, url):
    before = (WebhookChannel.objects.count(), Change.objects.count())
    answer = as_user(park.admin, "en").post(
        "/api/v1/webhook-channels/", {"name": "群", "kind": "wecom", "url": url}, format="json"
    )
    assert answer.status_code == 400, answer.content
    message = answer.json()["errors"]["url"][0]
    # Odd integer and short forms fail URL validation first ("Enter a valid URL."); either way, refused.
    assert "internal network" in message or message == "Enter a valid URL.", message
    assert (WebhookChannel.objects.count(), Change.objects.count()) == before
    # At send time (a row stored by any other path) every spelling is refused too, before any connection.
    with pytest.raises(destinations.UnsafeDestination):
        destinations.check(url)


def test_public_robots_and_explicitly_allowed_relays_are_accepted(park, as_user, internal_dns, settings):
    client = as_user(park.admin)
    refused = client.post(
        "/api/v1/webhook-channels/", {"name": "群", "kind": "wecom", "url": "http://[::1]/"}, format="json"
    )
    assert "内部网络" in refused.json()["errors"]["url"][0], "the refusal speaks Chinese too"
    ok = client.post(
        "/api/v1/webhook-channels/",
        {"name": "群", "kind": "wecom", "url": "https://robot.example/cgi-bin/webhook/send?key=K"},
        format="json",
    )
    assert ok.status_code == 201, ok.content
    relay = {"name": "内网中转", "kind": "wecom", "url": "http://relay.park.internal/send"}
    assert client.post("/api/v1/webhook-channels/", relay, format="json").status_code == 400
    settings.SEEDBED_WEBHOOK_ALLOW_HOSTS = "relay.park.internal, 192.168.50.0/24"
    assert client.post("/api/v1/webhook-channels/", relay, format="json").status_code == 201
    network = {"name": "网段", "kind": "wecom", "url": "http://192.168.50.9:8080/send"}
    assert client.post("/api/v1/webhook-channels/", network, format="json").status_code == 201
    # The allowance is exactly what it says: a neighbour of the allowed network is still refused.
    other = {"name": "网段外", "kind": "wecom", "url": "http://192.168.51.9/send"}
    assert client.post("/api/v1/webhook-channels/", other, format="json").status_code == 400
    userinfo = {"name": "带密码", "kind": "wecom", "url": "https://user:pw@robot.example/send"}
    assert client.post("/api/v1/webhook-channels/", userinfo, format="json").status_code == 400


def test_a_name_that_resolves_inside_at_send_time_is_refused_then(park, robot, dns):
    # Saved while it resolved to a public address (or did not resolve): DNS can change before sending.
    dns["robot.example"] = ["93.184.216.34"]
    WebhookChannelFactory(kind="wecom", url=f"http://robot.example:{robot.port}/send?key=K")
    dns["robot.example"] = ["127.0.0.1"]
    cert_ending(park.firm_a, "SRDI", 20)
    run_scan(kinds=["renewal_due"])
    drain()
    message = OutboxMessage.objects.get(channel="wecom")
    assert message.state == "failed" and message.last_error.startswith("refused")
    assert robot.requests == []


def test_the_connection_goes_to_the_address_that_was_checked(park, robot, dns, settings):
    # "robot.test" exists only in the stub: had anything resolved it a second time (the system
    # resolver, inside an HTTP library), the request could not have been made. It reaches the checked
    # address, with the name as Host.
    dns["robot.test"] = ["127.0.0.1"]
    settings.SEEDBED_WEBHOOK_ALLOW_HOSTS = "robot.test"
    WebhookChannelFactory(kind="wecom", url=f"http://robot.test:{robot.port}/cgi-bin/webhook/send?key=K")
    cert_ending(park.firm_a, "SRDI", 20)
    run_scan(kinds=["renewal_due"])
    drain()
    assert OutboxMessage.objects.get(channel="wecom").state == "sent"
    assert [(r["path"], r["host"]) for r in robot.requests] == [
        ("/cgi-bin/webhook/send?key=K", f"robot.test:{robot.port}")
    ]


def test_redirects_are_not_followed(park, dns, settings):
    target = Robot()

    def redirect(handler: Any) -> bool:
        handler.send_response(302)
        handler.send_header("Location", f"{target.url}/internal-admin")
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return True

    redirecting = Robot(answer=redirect)
    try:
        settings.SEEDBED_WEBHOOK_ALLOW_HOSTS = "127.0.0.1"
        WebhookChannelFactory(kind="wecom", url=f"{redirecting.url}/send?key=K")
        cert_ending(park.firm_a, "SRDI", 20)
        run_scan(kinds=["renewal_due"])
        drain()
        message = OutboxMessage.objects.get(channel="wecom")
        assert message.state == "failed" and "redirects are not followed" in message.last_error
        assert len(redirecting.requests) == 1 and target.requests == []
    finally:
        redirecting.close()
        target.close()


def test_a_remote_reply_and_the_robot_key_never_reach_last_error_the_history_or_staff(park, as_user, dns, settings):
    def refuse(handler: Any) -> bool:
        page = b"<html>INTERNAL-ADMIN-PAGE secret=hunter2</html>"
        handler.send_response(403)
        handler.send_header("Content-Length", str(len(page)))
        handler.end_headers()
        handler.wfile.write(page)
        return True

    def errcode(handler: Any) -> bool:
        page = b'{"errcode": 93000, "errmsg": "INTERNAL-ERRMSG token=abc"}'
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(page)))
        handler.end_headers()
        handler.wfile.write(page)
        return True

    refusing, erring = Robot(answer=refuse), Robot(answer=errcode)
    try:
        settings.SEEDBED_WEBHOOK_ALLOW_HOSTS = "127.0.0.1"
        settings.SEEDBED_NOTIFY_MAX_ATTEMPTS = 1
        WebhookChannelFactory(kind="wecom", url=f"{refusing.url}/send?key=ROBOTKEY1")
        WebhookChannelFactory(kind="wecom", url=f"{erring.url}/send?key=ROBOTKEY2")
        WebhookChannelFactory(kind="wecom", url="http://127.0.0.1:9/send?key=ROBOTKEY3")  # nothing listens
        cert_ending(park.firm_a, "SRDI", 20)
        run_scan(kinds=["renewal_due"])
        drain()
        errors = sorted(OutboxMessage.objects.filter(channel="wecom").values_list("last_error", flat=True))
        assert errors == ["HTTP 403", "errcode 93000", "network: MaxRetryError"] or (
            errors[:2] == ["HTTP 403", "errcode 93000"] and errors[2].startswith("network: ")
        ), errors
        leaked = ("INTERNAL", "hunter2", "token=abc", "ROBOTKEY")
        for change in Change.objects.filter(table_name="flags_outboxmessage"):
            text = json.dumps([change.before, change.after], ensure_ascii=False)
            assert not any(word in text for word in leaked), text
        for user in (park.staff_a, park.staff, park.admin):
            answer = as_user(user).get(f"/api/v1/firms/{park.firm_a.pk}/history/", {"messages": "true"})
            assert answer.status_code == 200
            assert not any(word in answer.content.decode() for word in leaked)
    finally:
        refusing.close()
        erring.close()


# ------------------------------------------------------------------------ finding 15: secrets


def test_robot_keys_and_signing_secrets_are_masked_in_the_history_and_the_api(park, as_user, dns):
    dns["oapi.dingtalk.com"] = ["203.119.128.1"]
    client = as_user(park.admin)
    created = client.post(
        "/api/v1/webhook-channels/",
        {
            "name": "钉钉群",
            "kind": "dingtalk",
            "url": "https://oapi.dingtalk.com/robot/send?access_token=TOKENAAAA1111",
            "secret": "SECbbbbbbbb2222",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    channel_id = created.json()["id"]
    rotated = client.patch(
        f"/api/v1/webhook-channels/{channel_id}/",
        {"url": "https://oapi.dingtalk.com/robot/send?access_token=TOKENCCCC3333", "secret": "SECdddddddd4444"},
        format="json",
    )
    assert rotated.status_code == 200, rotated.content
    client.delete(f"/api/v1/webhook-channels/{channel_id}/")
    for answer in (created, rotated, client.get("/api/v1/webhook-channels/")):
        assert not any(s in answer.content.decode() for s in ("TOKEN", "SECbbbb", "SECdddd"))
    changes = list(Change.objects.filter(table_name="flags_webhookchannel", object_id=str(channel_id)).order_by("id"))
    assert [c.action for c in changes] == ["insert", "update", "delete"]
    text = json.dumps([[c.before, c.after] for c in changes], ensure_ascii=False)
    assert "TOKEN" not in text and "SECbbbb" not in text and "SECdddd" not in text
    insert, update, _ = changes
    assert (insert.after["url"], insert.after["secret"]) == ("••••1111", "••••2222")
    assert (update.before["url"], update.after["url"]) == ("••••1111", "••••3333")  # the rotation shows
    assert insert.after["name"] == "钉钉群"  # everything else as before


def test_history_rows_written_before_the_masking_are_redacted_and_the_history_stays_append_only(park):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO core_change (changed_at, table_name, object_id, action, before, after, actor_label,"
            " source, reason, request_id) VALUES (now(), 'flags_webhookchannel', '999', 'insert', NULL,"
            " %s::jsonb, '', 'sql', '', '') RETURNING id",
            [
                json.dumps(
                    {"id": 999, "name": "旧", "url": "https://x.example/send?key=OLDKEY9876", "secret": "SECold5432"}
                )
            ],
        )
        (old_id,) = cursor.fetchone()
        cursor.execute(redact_history_sql("flags_webhookchannel", ("url", "secret")))
        cursor.execute("SELECT after FROM core_change WHERE id = %s", [old_id])
        (after,) = cursor.fetchone()
    after = json.loads(after) if isinstance(after, str) else after
    assert (after["url"], after["secret"], after["name"]) == ("••••9876", "••••5432", "旧")
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_change SET reason = 'x' WHERE id = %s", [old_id])


def test_mail_errors_name_no_server_reply(park, settings, monkeypatch):
    import smtplib

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    park.ent_a.email = "ent_a@example.com"
    park.ent_a.save()

    def refuse(*args: Any, **kwargs: Any) -> int:
        raise smtplib.SMTPDataError(554, b"5.7.1 INTERNAL-RELAY-SAYS go away")

    monkeypatch.setattr(notify, "send_mail", refuse)
    cert_ending(park.firm_a, "SRDI", 20)
    run_scan(kinds=["renewal_due"])
    notify.deliver_due()
    message = OutboxMessage.objects.get(channel="email", user=park.ent_a)
    assert message.last_error == "mail: SMTPDataError 554" and message.state == "pending"
    assert mail.outbox == []


def test_remote_replies_kept_by_earlier_versions_are_forgotten_in_the_outbox_and_its_history(park):
    import importlib

    migration = importlib.import_module("apps.flags.migrations.0006_history_masks_webhook_secrets")
    channel = WebhookChannelFactory()
    old = OutboxMessage.objects.create(
        channel="wecom",
        webhook=channel,
        firm=park.firm_a,
        topic="renewal_due",
        dedupe_key="old-reply",
        state="failed",
        next_attempt_at=park.firm_a.created_at,
        created_at=park.firm_a.created_at,
        last_error="HTTP 403: <html>INTERNAL-ADMIN-PAGE</html>",
    )
    OutboxMessage.objects.filter(pk=old.pk).update(last_error="network: HTTPSConnectionPool(url=/send?key=KEY123)")
    with connection.cursor() as cursor:
        cursor.execute(migration.FORGET_REMOTE_REPLIES)
    old.refresh_from_db()
    assert old.last_error == "network (reply not kept)"
    text = json.dumps(
        [[c.before, c.after] for c in Change.objects.filter(table_name="flags_outboxmessage", object_id=str(old.pk))],
        ensure_ascii=False,
    )
    assert "INTERNAL-ADMIN-PAGE" not in text and "KEY123" not in text and "HTTP 403 (reply not kept)" in text
