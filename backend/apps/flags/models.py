"""Flags (what the scheduled jobs find), the runs of those jobs, and the notifications they send.

Invariants PostgreSQL keeps whatever the write path:
- at most one *non-final* flag (open, acknowledged or snoozed) per (firm, kind, programme, subject):
  a partial unique index, which is also the conflict target of the scan's upsert;
- a notification or outbox message at most once per key (flag, ladder point, channel, recipient):
  a unique `dedupe_key`, so a re-run, a resumed run or two runs at once never send twice;
- a firm's deadline is marked done at most once per year.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from apps.flags.detectors import FLAG_KINDS, SEVERITIES
from apps.programmes.models import Programme, ProgrammeDeadline
from apps.registry.models import Firm, Zone


class FlagKind(models.TextChoices):
    RENEWAL_DUE = "renewal_due", "续期到期提醒 / Renewal due"
    EXPIRED = "expired", "已过期 / Expired"
    REPORT_DUE = "report_due", "报告截止提醒 / Report due"
    THRESHOLD_REACHED = "threshold_reached", "达到门槛 / Threshold reached"
    ELIGIBLE = "eligible", "符合申报条件 / Eligible"
    UPGRADE_CANDIDATE = "upgrade_candidate", "可晋级 / Upgrade candidate"
    NEAR_MISS = "near_miss", "接近条件 / Near miss"
    DATA_MISSING = "data_missing", "数据缺失 / Data missing"


assert tuple(FlagKind.values) == FLAG_KINDS, "FlagKind must list detectors.FLAG_KINDS in order"


class Severity(models.TextChoices):
    INFO = "info", "提示 / Info"
    WARNING = "warning", "警告 / Warning"
    CRITICAL = "critical", "紧急 / Critical"


assert tuple(Severity.values) == SEVERITIES


class FlagState(models.TextChoices):
    OPEN = "open", "待处理 / Open"
    ACKNOWLEDGED = "acknowledged", "已确认 / Acknowledged"
    SNOOZED = "snoozed", "已暂缓 / Snoozed"
    RESOLVED = "resolved", "已解决 / Resolved"
    DISMISSED = "dismissed", "已忽略 / Dismissed"


# A flag in one of these states is "the" flag of its subject; the partial unique index covers them.
NON_FINAL_STATES = (FlagState.OPEN.value, FlagState.ACKNOWLEDGED.value, FlagState.SNOOZED.value)


class Resolution(models.TextChoices):
    AUTO = "auto", "条件已消除（自动） / Condition cleared (automatic)"
    MANUAL = "manual", "人工处理 / Resolved by a person"
    YEAR_END = "year_end", "年度结转 / Closed at the year end"


class Flag(models.Model):
    """Something a scan found about a firm. See docs in apps.flags.services for the lifecycle."""

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="flags")
    kind = models.CharField(max_length=30, choices=FlagKind.choices)
    # The programme's code (flags outlive edits of the catalogue; "" when a flag is about no programme).
    programme_code = models.CharField(max_length=30, blank=True)
    # "cert:<id>", "fy:<year>", "month:<yyyy-mm>", "deadline:<id>:<year>", or "".
    subject = models.CharField(max_length=100, blank=True)
    due_date = models.DateField(null=True, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.INFO)
    # Stable inputs only (nothing that changes every day, such as days left): an unchanged condition
    # writes nothing, so a re-run is cheap and the history holds only real changes.
    evidence = models.JSONField(default=dict, blank=True)
    # The notification ladder point reached (180 / 90 / 30 days before, days after expiry …).
    ladder_point = models.IntegerField(null=True, blank=True)
    state = models.CharField(max_length=20, choices=FlagState.choices, default=FlagState.OPEN)
    snoozed_until = models.DateField(null=True, blank=True)
    dismiss_reason = models.TextField(blank=True)
    resolution = models.CharField(max_length=20, choices=Resolution.choices, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    state_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state_changed_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True, help_text="The last remark made with an action on the flag.")
    first_seen = models.DateTimeField()
    # When a scan last wrote the flag (opened, reopened, or changed its due date, severity, ladder
    # point or evidence). While a flag stays open every completed scan confirmed it: a scan that no
    # longer finds the condition resolves it.
    last_seen = models.DateTimeField()
    scan_run = models.ForeignKey(
        "flags.JobRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The run that last wrote the flag.",
    )  # fmt: skip

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "kind", "programme_code", "subject"],
                condition=Q(state__in=NON_FINAL_STATES),
                name="flag_one_open_per_subject",
                violation_error_message="该企业同一事项已有未关闭的提醒。",
            ),
            models.CheckConstraint(condition=Q(kind__in=FLAG_KINDS), name="flag_kind_known"),
            models.CheckConstraint(condition=Q(severity__in=SEVERITIES), name="flag_severity_known"),
            models.CheckConstraint(condition=Q(state__in=FlagState.values), name="flag_state_known"),
            models.CheckConstraint(
                condition=~Q(state=FlagState.SNOOZED) | Q(snoozed_until__isnull=False), name="flag_snoozed_has_date"
            ),
            models.CheckConstraint(
                condition=~Q(state=FlagState.DISMISSED) | ~Q(dismiss_reason=""), name="flag_dismissed_has_reason"
            ),
        ]
        indexes = [
            # Every state: the scan checks "dismissed for this subject" and reopens resolved flags.
            models.Index(fields=["firm", "kind", "programme_code", "subject"], name="flag_key_idx"),
            # The inbox: non-final flags by due date.
            models.Index(fields=["due_date", "id"], condition=Q(state__in=NON_FINAL_STATES), name="flag_inbox_idx"),
            models.Index(fields=["state", "kind"], name="flag_state_kind_idx"),
            # The scan wakes snoozed flags whose day has come.
            models.Index(fields=["snoozed_until"], condition=Q(state="snoozed"), name="flag_snoozed_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.programme_code} {self.subject} ({self.firm_id}, {self.state})"

    @property
    def is_final(self) -> bool:
        return self.state not in NON_FINAL_STATES


# The kinds the eligibility pass produces together (apps.rules.detectors), the ones EligibilityMemo stands for.
ELIGIBILITY_KINDS = ("eligible", "upgrade_candidate", "near_miss")


class EligibilityMemo(models.Model):
    """What the nightly eligibility pass last saw of a firm, so that an unchanged firm is not evaluated again.

    `digest` covers every input of the evaluation (the firm's registry data, titles held, verified
    figures of the years read, the fiscal year) and everything it was evaluated against (programmes,
    rule sets with their criteria and parameters, application windows, the evaluation code itself).
    When the digest of a firm is unchanged, its eligible / upgrade_candidate / near_miss findings are
    those of its non-final flags, and the scan re-states them instead of evaluating (apps.rules.detectors).
    `dated`: the outcome depended on the day (a registration-age criterion not yet met), so the memo
    holds for `as_of` only. Written in the scan batch's transaction, with the flags it stands for.
    Derived data, rebuilt by any scan: no history, and emptying the table only costs one full evaluation.
    """

    firm = models.OneToOneField(Firm, primary_key=True, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=32)
    as_of = models.DateField()
    dated = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.firm_id} {self.digest} ({self.as_of})"


class DeadlineCompletion(models.Model):
    """A firm's annual report / data update of one year is done: its report_due flag resolves."""

    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="deadline_completions")
    deadline = models.ForeignKey(ProgrammeDeadline, on_delete=models.CASCADE, related_name="completions")
    year = models.PositiveSmallIntegerField()
    done_on = models.DateField()
    note = models.TextField(blank=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "id"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "deadline", "year"], name="deadlinecompletion_once_a_year"),
            models.CheckConstraint(condition=Q(year__gte=1949, year__lte=2099), name="deadlinecompletion_year_range"),
        ]

    def __str__(self) -> str:
        return f"{self.firm_id} {self.deadline_id} {self.year} done {self.done_on}"


class FigureRequirement(models.Model):
    """The annual figures a programme's holders must have verified for the last fiscal year (data_missing).

    Data, not code: administrators edit the list; a programme without a row raises no data_missing flag.
    """

    programme = models.OneToOneField(Programme, on_delete=models.CASCADE, related_name="figure_requirement")
    fields = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    active = models.BooleanField(default=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["programme_id"]

    def __str__(self) -> str:
        return f"{self.programme_id}: {', '.join(self.fields)}"


class JobName(models.TextChoices):
    SCAN = "scan", "夜间扫描 / Nightly scan"
    ABOVE_SIZE = "above_size", "月度升规检查 / Monthly above-size check"
    ROLLOVER = "rollover", "年度结转 / Yearly rollover"
    DIGEST = "digest", "每日汇总 / Daily digest"
    RESCAN = "rescan", "变更企业复评 / Re-evaluate changed firms"


class JobState(models.TextChoices):
    QUEUED = "queued", "排队中 / Queued"
    RUNNING = "running", "运行中 / Running"
    SUCCEEDED = "succeeded", "成功 / Succeeded"
    FAILED = "failed", "失败 / Failed"
    SKIPPED = "skipped", "已跳过（另一次运行进行中） / Skipped (another run was in progress)"
    INTERRUPTED = "interrupted", "已中断 / Interrupted"


FINAL_JOB_STATES = (JobState.SUCCEEDED, JobState.FAILED, JobState.SKIPPED, JobState.INTERRUPTED)


class JobRun(models.Model):
    """One run of a scheduled job: when, by whom, what it did, how it ended."""

    job = models.CharField(max_length=20, choices=JobName.choices)
    state = models.CharField(max_length=20, choices=JobState.choices, default=JobState.QUEUED)
    trigger = models.CharField(max_length=20, default="beat", help_text="beat, api, command, demo, sweep …")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    params = models.JSONField(default=dict, blank=True)
    # Where a run got to (committed with the work itself), so that a run after an interrupted one resumes.
    progress = models.JSONField(default=dict, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    resumed_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="resumed_by"
    )
    task_id = models.CharField(max_length=64, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(job__in=JobName.values), name="jobrun_job_known"),
            models.CheckConstraint(condition=Q(state__in=JobState.values), name="jobrun_state_known"),
        ]
        indexes = [models.Index(fields=["job", "state"], name="jobrun_job_state_idx")]

    def __str__(self) -> str:
        return f"{self.job} #{self.pk} ({self.state})"

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class Notification(models.Model):
    """An in-app notification for one user. Its text is rendered when read, in the reader's language."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    firm = models.ForeignKey(Firm, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    flag = models.ForeignKey(Flag, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    ladder_point = models.IntegerField(null=True, blank=True)
    # The flag's kind, or "job_failed" for a failed scheduled job.
    topic = models.CharField(max_length=30)
    data = models.JSONField(default=dict, blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "-id"], name="notification_user_idx")]

    def __str__(self) -> str:
        return f"{self.topic} → {self.user_id}"


class Channel(models.TextChoices):
    EMAIL = "email", "电子邮件 / Email"
    WECOM = "wecom", "企业微信群机器人 / WeCom group robot"
    DINGTALK = "dingtalk", "钉钉群机器人 / DingTalk group robot"


class WebhookChannel(models.Model):
    """A group robot that receives the flags of a zone and/or programme (empty = every one)."""

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=[c for c in Channel.choices if c[0] != Channel.EMAIL])
    url = models.URLField(max_length=500, help_text="The robot's webhook address (it contains its access key).")
    secret = models.CharField(max_length=200, blank=True, help_text="DingTalk 加签 secret (SEC…), optional.")
    zone = models.ForeignKey(Zone, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    programme = models.ForeignKey(Programme, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kinds = ArrayField(
        models.CharField(max_length=30, choices=FlagKind.choices), default=list, blank=True,
        help_text="Flag kinds sent to this robot; empty = every kind.",
    )  # fmt: skip
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["wecom", "dingtalk"]), name="webhookchannel_kind_known"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class OutboxState(models.TextChoices):
    PENDING = "pending", "待发送 / Pending"
    HELD = "held", "待汇总（每日汇总） / Held for the daily digest"
    DIGESTED = "digested", "已并入汇总 / Sent in a digest"
    SENT = "sent", "已发送 / Sent"
    FAILED = "failed", "发送失败（已放弃） / Failed (gave up)"


class OutboxMessage(models.Model):
    """An email or webhook message to send, written in the same transaction as the change behind it.

    The delivery task drains pending rows (retrying with backoff); `dedupe_key` makes every message
    unique per (flag, ladder point, channel, recipient), or per digest day and user.
    """

    channel = models.CharField(max_length=20, choices=Channel.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    webhook = models.ForeignKey(WebhookChannel, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    firm = models.ForeignKey(Firm, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    flag = models.ForeignKey(Flag, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    ladder_point = models.IntegerField(null=True, blank=True)
    # The flag's kind, "digest", or "job_failed".
    topic = models.CharField(max_length=30)
    data = models.JSONField(default=dict, blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True)
    state = models.CharField(max_length=20, choices=OutboxState.choices, default=OutboxState.PENDING)
    digest = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="parts")
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=OutboxState.values), name="outbox_state_known"),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(webhook__isnull=False), name="outbox_has_recipient"
            ),
        ]
        indexes = [
            # The delivery task's query.
            models.Index(fields=["next_attempt_at"], condition=Q(state="pending"), name="outbox_due_idx"),
            models.Index(fields=["user"], condition=Q(state="held"), name="outbox_held_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.dedupe_key} ({self.state})"


class EmailDelivery(models.TextChoices):
    DIGEST = "digest", "每日汇总 / Daily digest"
    IMMEDIATE = "immediate", "即时 / Immediately"
    OFF = "off", "不发邮件 / No email"


class NotificationPreference(models.Model):
    """How a user wants flag email. Without a row: staff, administrators and viewers get a daily digest,
    enterprise users get each message at once (see services.default_email_delivery)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_delivery = models.CharField(max_length=20, choices=EmailDelivery.choices, default=EmailDelivery.DIGEST)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.email_delivery}"


class CalendarFeed(models.Model):
    """A user's iCal feed. No secret is stored: the token is an HMAC of the user and `version`
    (see apps.flags.calendar); rotating bumps the version, which revokes every earlier address."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    version = models.PositiveIntegerField(default=1)
    enabled = models.BooleanField(default=True)
    rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.user_id} v{self.version}{'' if self.enabled else ' (off)'}"


def flag_key(flag: Flag | Any) -> tuple[int, str, str, str]:
    return (flag.firm_id, flag.kind, flag.programme_code, flag.subject)
