"""Each user's iCal feed of the deadlines in their scope, written by hand after RFC 5545.

The address is `/api/v1/calendar/<token>.ics`, readable without a login. No secret is stored: the
token is `<user id>-<version>-<HMAC(SECRET_KEY, user id, version)>`; rotating the feed bumps the
version, which revokes every earlier address; switching it off refuses them all. (Changing
SECRET_KEY revokes every feed.)

Events: renewal due dates of the certifications the user may see (the day the certificate ends),
report / data-update / re-review deadlines of programmes held by firms in scope (one event per
deadline and year, naming the firms), and every programme's application windows (public).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from apps.core import clock
from apps.flags import conf
from apps.flags.models import CalendarFeed
from apps.flags.services import calendar_feed_of
from apps.programmes.models import DeadlineKind, Programme
from apps.programmes.selectors import certifications_valid_on, certifications_visible_to, deadlines_in_year

SALT = "seedbed.flags.calendar"
MAX_EVENTS = 5000
MAX_FIRMS_NAMED = 30
REPORT_KINDS = (DeadlineKind.ANNUAL_REPORT, DeadlineKind.DATA_UPDATE, DeadlineKind.REVIEW)


# ---------------------------------------------------------------------------------------- tokens


def _signature(user_id: int, version: int) -> str:
    return salted_hmac(SALT, f"{user_id}:{version}", algorithm="sha256").hexdigest()[:40]


def feed_token(feed: CalendarFeed) -> str:
    return f"{feed.user_id}-{feed.version}-{_signature(feed.user_id, feed.version)}"


def feed_url(feed: CalendarFeed) -> str:
    return f"{str(conf.get('SEEDBED_PUBLIC_URL')).rstrip('/')}/api/v1/calendar/{feed_token(feed)}.ics"


def user_for_token(token: str) -> Any | None:
    """The active user a token belongs to, if it is the current token of an enabled feed."""
    parts = token.split("-")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    user_id, version = int(parts[0]), int(parts[1])
    if not constant_time_compare(parts[2], _signature(user_id, version)):
        return None
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return None
    feed = calendar_feed_of(user)
    if not feed.enabled or feed.version != version:
        return None
    return user


# ---------------------------------------------------------------------------------------- RFC 5545


def escape_text(value: str) -> str:
    """TEXT values: backslash, semicolon, comma and newlines escaped (RFC 5545 §3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Content lines longer than 75 octets are folded: CRLF and one space, never inside a UTF-8 character."""
    out: list[str] = []
    current: list[str] = []
    size, limit = 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append("".join(current))
            current, size, limit = [], 0, 74  # continuation lines start with a space
        current.append(char)
        size += width
    out.append("".join(current))
    return "\r\n ".join(out)


def _date(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def event_lines(
    *, uid: str, start: dt.date, end: dt.date, summary: str, description: str, url: str, stamp: dt.datetime,
    categories: str,
) -> list[str]:  # fmt: skip
    """An all-day VEVENT from `start` to `end` inclusive (DTEND is exclusive, so the day after)."""
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{stamp.strftime('%Y%m%dT%H%M%SZ')}",
        f"DTSTART;VALUE=DATE:{_date(start)}",
        f"DTEND;VALUE=DATE:{_date(end + dt.timedelta(days=1))}",
        f"SUMMARY:{escape_text(summary)}",
        f"DESCRIPTION:{escape_text(description)}",
        f"CATEGORIES:{escape_text(categories)}",
        "TRANSP:TRANSPARENT",
    ]
    if url:
        lines.append(f"URL:{url}")
    lines.append("END:VEVENT")
    return lines


def render(name: str, events: Iterable[list[str]]) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Seedbed//Seedbed deadlines//ZH",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
        "X-WR-TIMEZONE:Asia/Shanghai",
    ]
    for event in events:
        lines.extend(event)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


# ---------------------------------------------------------------------------------------- content


def _renewal_events(user: Any, today: dt.date, stamp: dt.datetime) -> Iterator[list[str]]:
    certs = (
        certifications_visible_to(user)
        .filter(programme__active=True, revoked_on__isnull=True, superseded_on__isnull=True)
        .filter(valid_until__gte=today - dt.timedelta(days=30), valid_until__lte=today + dt.timedelta(days=400))
        .exclude(renewed_by__isnull=False)
        .select_related("firm", "programme")
        .order_by("valid_until", "id")
    )
    for cert in certs[:MAX_EVENTS]:
        assert cert.valid_until is not None
        yield event_lines(
            uid=f"cert-{cert.pk}-ends@seedbed",
            start=cert.valid_until,
            end=cert.valid_until,
            summary=f"{cert.firm.name}：{cert.programme.name_zh}证书到期",
            description=(
                f"证书 {cert.number or '—'}（{cert.programme.code}）有效期至 {cert.valid_until}，"
                "请及时办理续期 / 重新认定。\n"
                f"{cert.firm.name}: {cert.programme.name_en or cert.programme.code} ends on {cert.valid_until}."
            ),
            url="",
            stamp=stamp,
            categories="续期,Renewal",
        )


def _deadline_events(user: Any, today: dt.date, stamp: dt.datetime) -> Iterator[list[str]]:
    held_by: dict[int, list[str]] = defaultdict(list)
    held = (
        certifications_valid_on(today, certifications_visible_to(user))
        .values_list("programme_id", "firm__name")
        .order_by("programme_id", "firm__name")
        .distinct()
    )
    for programme_id, firm_name in held:
        held_by[programme_id].append(firm_name)
    for year in (today.year, today.year + 1):
        for item in deadlines_in_year(year, Programme.objects.filter(active=True)):
            entry, opens_on, due_on = item["deadline"], item["opens_on"], item["due_on"]
            programme = entry.programme
            if entry.kind == DeadlineKind.APPLICATION_WINDOW:
                yield event_lines(
                    uid=f"window-{entry.pk}-{year}@seedbed",
                    start=opens_on or due_on,
                    end=due_on,
                    summary=f"{entry.name}（申报窗口）",
                    description=f"{programme.name_zh} 申报窗口 {opens_on or due_on} 至 {due_on}。\n"
                    f"{entry.name_en or programme.code}: application window until {due_on}.\n{entry.notes}".rstrip(),
                    url="",
                    stamp=stamp,
                    categories="申报窗口,Application window",
                )
            elif entry.kind in REPORT_KINDS and held_by.get(programme.pk):
                firms = held_by[programme.pk]
                named = "、".join(firms[:MAX_FIRMS_NAMED]) + (
                    f" 等 {len(firms)} 家" if len(firms) > MAX_FIRMS_NAMED else ""
                )
                summary = f"{entry.name}截止" + (f"：{firms[0]}" if len(firms) == 1 else f"（{len(firms)} 家企业）")
                yield event_lines(
                    uid=f"deadline-{entry.pk}-{year}@seedbed",
                    start=due_on,
                    end=due_on,
                    summary=summary,
                    description=f"{programme.name_zh}：{entry.name}，{due_on} 截止。\n涉及企业：{named}\n"
                    f"{entry.name_en or entry.name} due {due_on}.",
                    url="",
                    stamp=stamp,
                    categories="报告,Report",
                )


def feed_for(user: Any, *, today: dt.date | None = None) -> str:
    today = today or clock.today()
    stamp = timezone.now().astimezone(dt.UTC)
    events = [*_renewal_events(user, today, stamp), *_deadline_events(user, today, stamp)]
    return render(f"Seedbed 截止日期 · {getattr(user, 'username', '')}", events[:MAX_EVENTS])
