"""The iCal feed: valid RFC 5545 text, only the caller's scope, and a token that can be revoked."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.core import clock
from apps.programmes.models import Programme, ProgrammeDeadline
from tests.factories import FirmFactory
from tests.flags.conftest import cert_ending

pytestmark = pytest.mark.django_db


def today() -> dt.date:
    """The app's today (Asia/Shanghai), read when a test runs, not when the module is collected:
    a run that crosses midnight there would otherwise compare with yesterday."""
    return clock.today()


def parse(body: bytes) -> list[dict[str, Any]]:
    """A strict little RFC 5545 reader: CRLF lines of at most 75 octets, unfolded, nested components."""
    assert body.endswith(b"\r\n")
    physical = body.split(b"\r\n")[:-1]
    for line in physical:
        assert len(line) <= 75, line
        assert b"\n" not in line and b"\r" not in line
        line.decode("utf-8")  # never folded inside a UTF-8 character
    logical: list[str] = []
    for line in physical:
        text = line.decode("utf-8")
        if text.startswith(" "):
            logical[-1] += text[1:]
        else:
            logical.append(text)
    stack: list[dict[str, Any]] = []
    root: dict[str, Any] = {}
    for text in logical:
        name, _, value = text.partition(":")
        assert re.fullmatch(r"[A-Z-]+(;[A-Z-]+=[^;:]+)*", name), text
        if name == "BEGIN":
            component = {"type": value, "props": {}, "children": []}
            if stack:
                stack[-1]["children"].append(component)
            else:
                root["top"] = component
            stack.append(component)
        elif name == "END":
            assert stack and stack[-1]["type"] == value, text
            stack.pop()
        else:
            stack[-1]["props"][name.split(";")[0]] = (name, value)
    assert not stack
    calendar = root["top"]
    assert calendar["type"] == "VCALENDAR"
    assert calendar["props"]["VERSION"][1] == "2.0" and "PRODID" in calendar["props"]
    events = [c for c in calendar["children"] if c["type"] == "VEVENT"]
    for event in events:
        props = event["props"]
        for required in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"):
            assert required in props, (required, props)
        assert re.fullmatch(r"\d{8}T\d{6}Z", props["DTSTAMP"][1])
        assert props["DTSTART"][0] == "DTSTART;VALUE=DATE" and re.fullmatch(r"\d{8}", props["DTSTART"][1])
        assert props["DTEND"][1] > props["DTSTART"][1]
    return events


def unescape(value: str) -> str:
    return value.replace("\\n", "\n").replace("\\,", ",").replace("\\;", ";").replace("\\\\", "\\")


def feed_of(client: Any) -> tuple[str, bytes]:
    url = client.get("/api/v1/calendar/").json()["url"]
    path = url[url.index("/api/v1/") :]
    response = APIClient().get(path)  # no login
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return path, response.content


@pytest.mark.dated
def test_feed_is_valid_icalendar_with_only_my_deadlines(park, as_user):
    park.firm_a.name = "重庆甲方, 科技; 有限公司\\测试"  # characters iCalendar must escape
    park.firm_a.save()
    mine = cert_ending(park.firm_a, "HNTE", 40, today=today())
    theirs = cert_ending(park.firm_b, "HNTE", 50, today=today())
    FirmFactory(name="一家名字很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长的公司")
    _, body = feed_of(as_user(park.ent_a))
    assert b"\r\n " in body, "long lines are folded"
    events = parse(body)
    uids = {e["props"]["UID"][1] for e in events}
    assert f"cert-{mine.pk}-ends@seedbed" in uids and f"cert-{theirs.pk}-ends@seedbed" not in uids
    renewal = next(e for e in events if e["props"]["UID"][1] == f"cert-{mine.pk}-ends@seedbed")
    assert renewal["props"]["DTSTART"][1] == mine.valid_until.strftime("%Y%m%d")
    assert unescape(renewal["props"]["SUMMARY"][1]).startswith("重庆甲方, 科技; 有限公司\\测试：高新技术企业")
    report = [e for e in events if e["props"]["UID"][1].startswith("deadline-")]
    assert report and all(park.firm_b.name not in unescape(e["props"]["DESCRIPTION"][1]) for e in report)
    assert park.firm_b.name not in body.decode()
    # Staff of every zone see both firms.
    _, everything = feed_of(as_user(park.staff))
    staff_uids = {e["props"]["UID"][1] for e in parse(everything)}
    assert {f"cert-{mine.pk}-ends@seedbed", f"cert-{theirs.pk}-ends@seedbed"} <= staff_uids


def test_application_windows_span_their_days(park, as_user):
    ProgrammeDeadline.objects.create(
        programme=Programme.objects.get(code="TSME"), kind="application_window", name="科技型中小企业评价填报",
        month=9, day=30, opens_month=6, opens_day=30,
    )  # fmt: skip
    _, body = feed_of(as_user(park.viewer))
    window = next(e for e in parse(body) if e["props"]["SUMMARY"][1].startswith("科技型中小企业评价填报"))
    year = window["props"]["UID"][1].split("-")[2].split("@")[0]
    assert window["props"]["DTSTART"][1] == f"{year}0630" and window["props"]["DTEND"][1] == f"{year}1001"


def test_rotating_or_switching_off_revokes_the_address(park, as_user):
    client = as_user(park.staff)
    old, _ = feed_of(client)
    assert APIClient().get(old.replace(".ics", "x.ics")).status_code == 404
    forged = re.sub(r"^/api/v1/calendar/(\d+)-", f"/api/v1/calendar/{park.admin.pk}-", old)
    assert APIClient().get(forged).status_code == 404
    rotated = client.post("/api/v1/calendar/", {"rotate": True}, format="json").json()
    assert rotated["version"] == 2
    assert APIClient().get(old).status_code == 404
    new, _ = feed_of(client)
    assert client.post("/api/v1/calendar/", {"enabled": False}, format="json").json()["enabled"] is False
    assert APIClient().get(new).status_code == 404
    park.staff.is_active = False
    park.staff.save()
    client.post("/api/v1/calendar/", {"enabled": True}, format="json")
    assert APIClient().get(new).status_code == 404


def test_who_may_manage_a_feed(park, as_user):
    assert as_user(park.viewer).get("/api/v1/calendar/").status_code == 200
    # Every role with a feed manages it (issue 13, finding 14): tests/flags/test_calendar.py::test_every_role_*
    assert APIClient().get("/api/v1/calendar/").status_code == 401
    assert as_user(park.ent_a).post("/api/v1/calendar/", {"rotate": "perhaps"}, format="json").status_code == 400


@pytest.mark.parametrize("role", ["admin", "staff", "viewer", "ent_a"])
def test_every_role_rotates_and_switches_off_its_own_feed(park, as_user, role):
    """Issue 13, finding 14: a viewer's feed covers the whole park, so a viewer must be able to revoke it."""
    user = getattr(park, role)
    client = as_user(user)
    old = client.get("/api/v1/calendar/").json()["url"]
    assert APIClient().get(old).status_code == 200
    rotated = client.post("/api/v1/calendar/", {"rotate": True}, format="json")
    assert rotated.status_code == 200
    new = rotated.json()["url"]
    assert new != old
    assert APIClient().get(old).status_code == 404
    assert APIClient().get(new).status_code == 200
    off = client.post("/api/v1/calendar/", {"enabled": False}, format="json")
    assert off.status_code == 200 and off.json()["enabled"] is False
    assert APIClient().get(new).status_code == 404
