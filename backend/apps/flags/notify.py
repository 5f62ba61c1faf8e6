"""Notification texts, the outbox's delivery (email, WeCom and DingTalk robots), digests and alerts.

Messages are written to the outbox (`OutboxMessage`) in the same transaction as the change behind
them (see apps.flags.scan.queue_flag_messages); `deliver_due()` drains it. Each message is locked
(`FOR UPDATE SKIP LOCKED`) while it is sent and marked sent in the same transaction, so two
delivery tasks never send one message twice, and a crash before the commit leaves it pending. A
crash after the receiver accepted it but before the commit can send it again (at least once: no
channel here offers an idempotency key). Failures retry with exponential backoff and jitter.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import logging
import random
import smtplib
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

import urllib3
from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone

from apps.core import clock
from apps.core.permissions import ADMIN
from apps.core.text import single_line
from apps.figures.models import AnnualFigures
from apps.flags import conf, destinations
from apps.flags.models import (
    Channel,
    FlagKind,
    JobName,
    JobRun,
    Notification,
    OutboxMessage,
    OutboxState,
    WebhookChannel,
)
from apps.programmes.models import Programme

logger = logging.getLogger(__name__)


class DeliveryError(Exception):
    """A failed attempt worth retrying (network, 5xx, 429, a robot's non-zero errcode)."""


class PermanentDeliveryError(DeliveryError):
    """A failure a retry cannot fix (no address, 4xx): the message is given up at once."""


# ---------------------------------------------------------------------------------------- texts


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    link: str


def _programme_name(code: str, evidence: dict[str, Any], lang: str) -> str:
    if lang == "en":
        name = evidence.get("programme_name_en") or evidence.get("programme_name")
    else:
        name = evidence.get("programme_name")
    if not name and code:
        programme = Programme.objects.filter(code=code).only("name_zh", "name_en").first()
        if programme is not None:
            name = programme.name_en if lang == "en" and programme.name_en else programme.name_zh
    return str(name or code or "")


def _field_label(name: str, lang: str) -> str:
    if lang == "en":
        return name
    try:
        return str(getattr(AnnualFigures._meta.get_field(name), "verbose_name", name))
    except Exception:  # noqa: BLE001 - an unknown field name shows as it is
        return name


def _kind_label(kind: str, lang: str) -> str:
    labels = dict(FlagKind.choices)
    label = str(labels.get(kind, kind))
    zh, _, en = label.partition(" / ")
    return (en or zh) if lang == "en" else zh


def flag_link(flag_id: int) -> str:
    return f"{str(conf.get('SEEDBED_PUBLIC_URL')).rstrip('/')}/flags/{flag_id}"


def flag_message(
    *,
    flag_id: int,
    kind: str,
    programme_code: str,
    due_date: dt.date | None,
    evidence: dict[str, Any],
    firm_name: str,
    ladder_point: int | None,
    as_of: dt.date,
    lang: str = "zh",
) -> Message:
    """The title and body of a flag's message at a ladder point, in Chinese or English."""
    en = lang == "en"
    programme = _programme_name(programme_code, evidence, lang)
    due = due_date.isoformat() if due_date else ""
    days = (due_date - as_of).days if due_date else None
    link = flag_link(flag_id)
    number = evidence.get("number") or ("(no number)" if en else "（无编号）")
    if kind == FlagKind.RENEWAL_DUE:
        if en:
            return Message(
                f"[Renewal due] {firm_name}: {programme} expires on {due}",
                f"Certificate {number} is valid until {due}: {days} days left ({ladder_point}-day reminder). "
                "No renewal is recorded yet.",
                link,
            )
        return Message(
            f"【续期提醒】{firm_name}：{programme}将于 {due} 到期",
            f"证书 {number} 有效期至 {due}，距到期还有 {days} 天（提前 {ladder_point} 天提醒），尚未登记续期。",
            link,
        )
    if kind == FlagKind.EXPIRED:
        late = -(days or 0)
        escalated = bool(ladder_point and ladder_point > 0)
        if en:
            title = f"[{'Expired, still open' if escalated else 'Expired'}] {firm_name}: {programme} expired on {due}"
            body = f"Certificate {number} was valid until {due} and no renewal is recorded"
            body += f"; still open {late} days later." if escalated else "."
            return Message(title, body, link)
        title = f"【{'过期未处理' if escalated else '已过期'}】{firm_name}：{programme}已于 {due} 到期"
        body = f"证书 {number} 有效期至 {due}，未登记续期证书"
        body += f"，已过期 {late} 天仍未处理，请关注。" if escalated else "。"
        return Message(title, body, link)
    if kind == FlagKind.REPORT_DUE:
        name = (evidence.get("name_en") or evidence.get("name")) if en else evidence.get("name")
        year = evidence.get("year", "")
        overdue = days is not None and days < 0
        if en:
            title = f"[{'Report overdue' if overdue else 'Report due'}] {firm_name}: {name} due {due}"
            body = f"Holders of {programme} must complete “{name}” ({year}) by {due}; it is not marked done."
            return Message(title, body, link)
        title = f"【{'报告逾期' if overdue else '报告截止'}】{firm_name}：{name}截止 {due}"
        body = f"{programme}持有企业须于 {due} 前完成“{name}”（{year} 年），尚未标记完成。"
        return Message(title, body, link)
    if kind == FlagKind.DATA_MISSING:
        year = evidence.get("fiscal_year", "")
        missing = [_field_label(str(name), lang) for name in evidence.get("missing") or []]
        if en:
            title = f"[Data missing] {firm_name}: FY{year} figures missing or unverified"
            if not evidence.get("verified"):
                body = f"{programme} needs verified FY{year} figures; none are verified"
                body += " (a submission waits for review)." if evidence.get("proposed") else "."
            else:
                body = f"{programme} needs these FY{year} figures: {', '.join(missing)}."
            return Message(title, body, link)
        title = f"【数据缺失】{firm_name}：{year} 年度数据缺失或未核实"
        if not evidence.get("verified"):
            body = f"{programme}需要已核实的 {year} 年度数据，目前没有"
            body += "（企业已填报，待核实）。" if evidence.get("proposed") else "。"
        else:
            body = f"{programme}需要的 {year} 年度数据缺少：{'、'.join(missing)}。"
        return Message(title, body, link)
    # The rules' kinds (threshold_reached, eligible, upgrade_candidate, near_miss): their evidence speaks.
    summary = evidence.get("summary_en" if en else "summary") or evidence.get("summary") or evidence.get("message")
    if not summary:
        scalars = [
            f"{k}: {v}" for k, v in evidence.items() if isinstance(v, (str, int, float)) and k != "programme_name"
        ]
        summary = "; ".join(scalars[:8])
    label = _kind_label(kind, lang)
    title = f"[{label}] {firm_name}: {programme}" if en else f"【{label}】{firm_name}：{programme}"
    return Message(title, str(summary), link)


def job_failed_message(data: dict[str, Any], lang: str = "zh") -> Message:
    job = str(data.get("job", ""))
    label = dict(JobName.choices).get(job, job)
    zh, _, en_label = str(label).partition(" / ")
    error = str(data.get("error", ""))[:500]
    link = f"{str(conf.get('SEEDBED_PUBLIC_URL')).rstrip('/')}/api/v1/jobs/{data.get('run')}/"
    if lang == "en":
        return Message(f"[Job failed] {en_label or job} #{data.get('run')}", error, link)
    return Message(f"【任务失败】{zh} #{data.get('run')}", error, link)


def _flag_rows(flag_ids: list[int]) -> dict[int, dict[str, Any]]:
    from apps.flags.models import Flag

    rows = Flag.objects.filter(pk__in=flag_ids).select_related("firm")
    return {
        flag.pk: {
            "flag_id": flag.pk,
            "kind": flag.kind,
            "programme_code": flag.programme_code,
            "due_date": flag.due_date,
            "evidence": flag.evidence or {},
            "firm_name": flag.firm.name,
        }
        for flag in rows
    }


def outbox_message(msg: OutboxMessage, lang: str = "zh") -> Message:
    """The text of an outbox message (flag, digest or job alert), rendered when it is sent."""
    as_of = timezone.localdate(msg.created_at)
    if msg.topic == "job_failed":
        return job_failed_message(msg.data, lang)
    if msg.topic == "digest":
        parts = list(OutboxMessage.objects.filter(digest=msg).order_by("id"))
        rows = _flag_rows([p.flag_id for p in parts if p.flag_id])
        lines = []
        for part in parts:
            row = rows.get(part.flag_id or 0)
            if row is None:
                continue
            m = flag_message(
                **row, ladder_point=part.ladder_point, as_of=timezone.localdate(part.created_at), lang=lang
            )
            lines.append(f"- {m.title}\n  {m.body}\n  {m.link}")
        day = msg.data.get("date", as_of.isoformat())
        if lang == "en":
            return Message(f"[Daily digest] {len(lines)} flags, {day}", "\n".join(lines), "")
        return Message(f"【每日汇总】{day} 共 {len(lines)} 条提醒", "\n".join(lines), "")
    row = _flag_rows([msg.flag_id]).get(msg.flag_id or 0) if msg.flag_id else None
    if row is None:
        raise PermanentDeliveryError("the flag of this message no longer exists")
    return flag_message(**row, ladder_point=msg.ladder_point, as_of=as_of, lang=lang)


def notification_message(note: Notification, lang: str = "zh") -> Message:
    """In-app notification text, in the reader's language."""
    if note.topic == "job_failed":
        return job_failed_message(note.data, lang)
    flag = note.flag
    if flag is None:
        return Message(str(note.data.get("title", note.topic)), str(note.data.get("body", "")), "")
    return flag_message(
        flag_id=flag.pk,
        kind=flag.kind,
        programme_code=flag.programme_code,
        due_date=flag.due_date,
        evidence=flag.evidence or {},
        firm_name=flag.firm.name,
        ladder_point=note.ladder_point,
        as_of=timezone.localdate(note.created_at),
        lang=lang,
    )


# ---------------------------------------------------------------------------------------- webhooks


def wecom_payload(message: Message) -> dict[str, Any]:
    """企业微信群机器人 markdown message."""
    content = f"### {message.title}\n> {message.body}"
    if message.link:
        content += f"\n[查看详情]({message.link})"
    return {"msgtype": "markdown", "markdown": {"content": content}}


def dingtalk_payload(message: Message) -> dict[str, Any]:
    """钉钉群机器人 markdown message."""
    text = f"### {message.title}\n\n{message.body}"
    if message.link:
        text += f"\n\n[查看详情]({message.link})"
    return {"msgtype": "markdown", "markdown": {"title": message.title, "text": text}}


def dingtalk_signed_url(url: str, secret: str, now_ms: int | None = None) -> str:
    """DingTalk 加签: sign = urlencode(base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")))."""
    if not secret:
        return url
    timestamp = str(now_ms if now_ms is not None else round(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    return f"{url}{'&' if '?' in url else '?'}timestamp={timestamp}&sign={sign}"


def _post(url: str, payload: dict[str, Any]) -> None:
    """POST to a robot. Errors name what went wrong in our own words: the remote server's reply text
    (which could be anything an internal server answers) and our URL (which holds the robot's key)
    never reach `last_error`, the history or the API; the reply goes to the server log only."""
    try:
        response = destinations.post_json(url, payload, timeout=float(conf.get("SEEDBED_WEBHOOK_TIMEOUT_SECONDS")))
    except destinations.UnsafeDestination as exc:
        raise PermanentDeliveryError(
            "refused: the address is not a public internet address (see SEEDBED_WEBHOOK_ALLOW_HOSTS)"
        ) from exc
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise DeliveryError(f"network: {type(exc).__name__}") from exc
    if 300 <= response.status < 400:
        raise PermanentDeliveryError(f"HTTP {response.status}: redirects are not followed")
    if response.status == 429 or response.status >= 500:
        raise DeliveryError(f"HTTP {response.status}")
    if response.status >= 400:
        logger.warning("webhook refused with HTTP %s: %r", response.status, response.body[:200])
        raise PermanentDeliveryError(f"HTTP {response.status}")
    try:
        body = response.json()
    except ValueError:
        body = {}
    errcode = body.get("errcode", 0) if isinstance(body, dict) else 0
    if errcode not in (0, "0", None):
        logger.warning("webhook answered errcode %r: %r", errcode, str(body.get("errmsg", ""))[:200])
        code = errcode if isinstance(errcode, int) else "?"
        raise DeliveryError(f"errcode {code}")


def send_webhook(channel: WebhookChannel, message: Message) -> None:
    if channel.kind == Channel.WECOM:
        _post(channel.url, wecom_payload(message))
    elif channel.kind == Channel.DINGTALK:
        _post(dingtalk_signed_url(channel.url, channel.secret), dingtalk_payload(message))
    else:
        raise PermanentDeliveryError(f"unknown channel kind {channel.kind}")


# ---------------------------------------------------------------------------------------- delivery


def _send(msg: OutboxMessage) -> None:
    if msg.channel == Channel.EMAIL:
        user = msg.user
        if user is None or not user.email:
            raise PermanentDeliveryError("the recipient has no email address")
        zh, en = outbox_message(msg, "zh"), outbox_message(msg, "en")
        body = f"{zh.body}\n{zh.link}\n\n——\n{en.title}\n{en.body}".rstrip()
        try:
            # A subject is one line: a firm name pasted with a line break would make it a header injection.
            send_mail(single_line(zh.title), body, settings.DEFAULT_FROM_EMAIL, [user.email], fail_silently=False)
        except (smtplib.SMTPException, OSError) as exc:
            logger.warning("mail to user %s failed: %s", user.pk, exc)
            code = getattr(exc, "smtp_code", None)
            raise DeliveryError(f"mail: {type(exc).__name__}{f' {code}' if isinstance(code, int) else ''}") from exc
        return
    channel = msg.webhook
    if channel is None or not channel.active:
        raise PermanentDeliveryError("the webhook channel is gone or switched off")
    message = outbox_message(msg, "zh")
    send_webhook(channel, Message(single_line(message.title), message.body, message.link))


def retry_delay(attempts: int) -> float:
    """Exponential backoff with jitter: base × 2^(attempts−1), capped, times a random factor in [0.5, 1]."""
    base = float(conf.get("SEEDBED_NOTIFY_RETRY_BASE_SECONDS"))
    cap = float(conf.get("SEEDBED_NOTIFY_RETRY_MAX_SECONDS"))
    delay = min(cap, base * (2 ** max(0, attempts - 1)))
    return delay * random.uniform(0.5, 1.0)


def _reason(exc: BaseException) -> str:
    """What is stored in `last_error`: one line, storable (no NUL), at most 2,000 characters."""
    text = str(exc) if isinstance(exc, DeliveryError) else f"{type(exc).__name__}: {exc}"
    return single_line(text)[:2000] or type(exc).__name__


def deliver_due(*, limit: int = 500) -> dict[str, Any]:
    """Sends pending messages whose time has come, one transaction each. Returns counts.

    A message that cannot be sent never blocks the others: whatever it raises (a retryable
    DeliveryError, or anything else: a header a mail library refuses, a text that cannot be
    rendered, an address refused as internal …), the attempt runs in a savepoint, and the message
    is marked failed (or due again later) with its reason, in its own transaction."""
    sent = failed = retrying = 0
    max_attempts = int(conf.get("SEEDBED_NOTIFY_MAX_ATTEMPTS"))
    for _ in range(limit):
        with transaction.atomic():
            msg = (
                OutboxMessage.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("user", "webhook")
                .filter(state=OutboxState.PENDING, next_attempt_at__lte=timezone.now())
                .order_by("next_attempt_at", "id")
                .first()
            )
            if msg is None:
                break
            msg.attempts += 1
            try:
                with transaction.atomic():  # a failed query while rendering must not end the transaction
                    _send(msg)
            except PermanentDeliveryError as exc:
                msg.state, msg.last_error = OutboxState.FAILED, _reason(exc)
                failed += 1
            except DeliveryError as exc:
                msg.last_error = _reason(exc)
                if msg.attempts >= max_attempts:
                    msg.state = OutboxState.FAILED
                    failed += 1
                else:
                    msg.next_attempt_at = timezone.now() + dt.timedelta(seconds=retry_delay(msg.attempts))
                    retrying += 1
                logger.warning("outbox %s attempt %s failed: %s", msg.pk, msg.attempts, msg.last_error)
            except Exception as exc:  # any other failure: this message is given up, the rest go on
                logger.exception("outbox %s cannot be sent", msg.pk)
                msg.state, msg.last_error = OutboxState.FAILED, _reason(exc)
                failed += 1
            else:
                msg.state, msg.sent_at, msg.last_error = OutboxState.SENT, timezone.now(), ""
                sent += 1
            msg.save(update_fields=["state", "attempts", "next_attempt_at", "last_error", "sent_at"])
    return {"sent": sent, "failed": failed, "retrying": retrying}


# ---------------------------------------------------------------------------------------- digests


def build_digests(*, day: dt.date) -> dict[str, int]:
    """One digest email per user with held messages; the held messages are marked as part of it.

    Keyed by (day, user): a second run on the same day makes no second digest (messages held
    after the first run wait for the next day's).
    """
    outbox = OutboxMessage._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH users AS (
                SELECT DISTINCT user_id FROM {outbox}
                WHERE state = 'held' AND channel = 'email' AND user_id IS NOT NULL
            ), made AS (
                INSERT INTO {outbox}
                    (channel, user_id, webhook_id, firm_id, flag_id, ladder_point, topic, data, dedupe_key, state,
                     digest_id, attempts, next_attempt_at, last_error, created_at, sent_at)
                SELECT 'email', u.user_id, NULL, NULL, NULL, NULL, 'digest', jsonb_build_object('date', %s::text),
                       'digest:' || %s::text || ':email:user:' || u.user_id, 'pending',
                       NULL, 0, %s, '', %s, NULL
                FROM users u
                ON CONFLICT (dedupe_key) DO NOTHING
                RETURNING id, user_id
            ), parts AS (
                UPDATE {outbox} o SET state = 'digested', digest_id = made.id
                FROM made
                WHERE o.state = 'held' AND o.channel = 'email' AND o.user_id = made.user_id
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM made), (SELECT count(*) FROM parts)
            """,  # noqa: S608
            [day.isoformat(), day.isoformat(), timezone.now(), clock.now()],
        )
        digests, parts = cursor.fetchone()
    return {"digests": int(digests), "messages": int(parts)}


# ---------------------------------------------------------------------------------------- alerts


def alert_admins_of_failure(run: JobRun) -> int:
    """A failed run tells every active administrator: in the app, and by email at once."""
    from apps.accounts.models import User

    error = "; ".join(str(e.get("error", e)) for e in run.errors[:3]) if run.errors else ""
    data = {"job": run.job, "run": run.pk, "error": error[:1000]}
    now = clock.now()
    admins = list(
        User.objects.filter(is_active=True).filter(role=ADMIN) | User.objects.filter(is_active=True, is_superuser=True)
    )
    made = 0
    with transaction.atomic():
        for admin in admins:
            _, created = Notification.objects.get_or_create(
                dedupe_key=f"job:{run.pk}:inapp:user:{admin.pk}",
                defaults={"user": admin, "topic": "job_failed", "data": data, "created_at": now},
            )
            made += int(created)
            if admin.email:
                OutboxMessage.objects.get_or_create(
                    dedupe_key=f"job:{run.pk}:email:user:{admin.pk}",
                    defaults={
                        "channel": Channel.EMAIL,
                        "user": admin,
                        "topic": "job_failed",
                        "data": data,
                        "state": OutboxState.PENDING,
                        "next_attempt_at": now,
                        "created_at": now,
                    },
                )
    return made
