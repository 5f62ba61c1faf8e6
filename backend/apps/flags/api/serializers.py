from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from django.utils import translation
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core import clock
from apps.core.api.base import ReasonSerializerMixin, ScopedRelatedField
from apps.core.i18n import t
from apps.core.scope import scope_of
from apps.figures.models import ANNUAL_VALUE_FIELDS
from apps.flags import destinations, notify
from apps.flags.models import (
    Channel,
    DeadlineCompletion,
    EmailDelivery,
    FigureRequirement,
    Flag,
    FlagKind,
    JobName,
    JobRun,
    Notification,
    WebhookChannel,
)
from apps.flags.services import ACTIONS
from apps.programmes.api.serializers import ProgrammeCodeField
from apps.programmes.models import ProgrammeDeadline
from apps.registry.selectors import firms_visible_to


def _lang() -> str:
    return "en" if (translation.get_language() or "").lower().startswith("en") else "zh"


class FlagSerializer(serializers.ModelSerializer):
    firm_name = serializers.CharField(source="firm.name", read_only=True)
    zone = serializers.IntegerField(source="firm.zone_id", read_only=True)
    zone_name = serializers.CharField(source="firm.zone.name", read_only=True)
    programme = serializers.CharField(source="programme_code", read_only=True)
    days_left = serializers.SerializerMethodField(help_text="Days from today to the due date (negative: past).")
    title = serializers.SerializerMethodField(help_text="One line, in the request's language.")
    message = serializers.SerializerMethodField(help_text="What was found, in the request's language.")

    class Meta:
        model = Flag
        fields = [
            "id",
            "firm",
            "firm_name",
            "zone",
            "zone_name",
            "kind",
            "programme",
            "subject",
            "due_date",
            "days_left",
            "severity",
            "ladder_point",
            "state",
            "snoozed_until",
            "dismiss_reason",
            "resolution",
            "resolved_at",
            "note",
            "state_changed_by",
            "state_changed_at",
            "first_seen",
            "last_seen",
            "scan_run",
            "evidence",
            "title",
            "message",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_days_left(self, flag: Flag) -> int | None:
        return (flag.due_date - clock.today()).days if flag.due_date else None

    def _message(self, flag: Flag) -> notify.Message:
        cache = self.context.setdefault("_messages", {})
        if flag.pk not in cache:
            cache[flag.pk] = notify.flag_message(
                flag_id=flag.pk,
                kind=flag.kind,
                programme_code=flag.programme_code,
                due_date=flag.due_date,
                evidence=flag.evidence or {},
                firm_name=flag.firm.name,
                ladder_point=flag.ladder_point,
                as_of=clock.today(),
                lang=_lang(),
            )
        message: notify.Message = cache[flag.pk]
        return message

    def get_title(self, flag: Flag) -> str:
        return self._message(flag).title

    def get_message(self, flag: Flag) -> str:
        return self._message(flag).body


class FlagNoteSerializer(ReasonSerializerMixin, serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class FlagSnoozeSerializer(ReasonSerializerMixin, serializers.Serializer):
    until = serializers.DateField(help_text="Hidden until this day; the first scan on or after it reopens the flag.")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class FlagDismissSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000, help_text="Why; required, and recorded in the history.")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    def validate_reason(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError(t("忽略提醒须填写原因。", "Give the reason for dismissing."))
        return value.strip()


class FlagBulkSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1, max_length=500)
    action = serializers.ChoiceField(choices=sorted(ACTIONS))
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    until = serializers.DateField(required=False, allow_null=True, default=None, help_text="For snooze.")


class FlagBulkResultSerializer(serializers.Serializer):
    done = serializers.ListField(child=serializers.IntegerField())
    skipped = serializers.ListField(
        child=serializers.DictField(), help_text="{id, state}: not in a state that allows it."
    )


class NotificationSerializer(serializers.ModelSerializer):
    title = serializers.SerializerMethodField()
    body = serializers.SerializerMethodField()
    link = serializers.SerializerMethodField()
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "topic",
            "flag",
            "firm",
            "ladder_point",
            "title",
            "body",
            "link",
            "read",
            "read_at",
            "created_at",
        ]
        read_only_fields = fields

    def _message(self, note: Notification) -> notify.Message:
        cache = self.context.setdefault("_messages", {})
        if note.pk not in cache:
            cache[note.pk] = notify.notification_message(note, _lang())
        message: notify.Message = cache[note.pk]
        return message

    def get_title(self, note: Notification) -> str:
        return self._message(note).title

    def get_body(self, note: Notification) -> str:
        return self._message(note).body

    def get_link(self, note: Notification) -> str:
        return self._message(note).link

    def get_read(self, note: Notification) -> bool:
        return note.read_at is not None


class NotificationPreferenceSerializer(ReasonSerializerMixin, serializers.Serializer):
    email_delivery = serializers.ChoiceField(
        choices=EmailDelivery.choices,
        help_text="digest: one email a day (staff default); immediate: each message at once (enterprise default); off.",
    )


class JobRunSerializer(serializers.ModelSerializer):
    """A zone-limited caller sees when a job ran and how it ended, not its park-wide counts, progress,
    parameters or errors (which name firms of every zone)."""

    duration_seconds = serializers.FloatField(read_only=True, allow_null=True)
    params = serializers.DictField(read_only=True, help_text="What the job was started with (today, kinds …).")
    progress = serializers.DictField(read_only=True, help_text="Where a running job is, e.g. {done, total, cursor}.")
    counts = serializers.DictField(read_only=True, help_text="What the job did, e.g. {opened, closed, firms}.")
    # A field named like Serializer.errors (the metaclass takes declared fields out of the class).
    errors = serializers.ListField(  # type: ignore[assignment]
        child=serializers.DictField(), read_only=True, help_text="Errors met, e.g. [{error: …}]; empty when none."
    )

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        request = self.context.get("request")
        if not scope_of(getattr(request, "user", None)).whole_park:
            data.update(params={}, progress={}, counts={}, errors=[])
        return data

    class Meta:
        model = JobRun
        fields = [
            "id",
            "job",
            "state",
            "trigger",
            "requested_by",
            "params",
            "progress",
            "counts",
            "errors",
            "resumed_from",
            "worker",
            "created_at",
            "started_at",
            "finished_at",
            "duration_seconds",
        ]
        read_only_fields = fields


STARTABLE_JOBS = [JobName.SCAN, JobName.ABOVE_SIZE, JobName.ROLLOVER, JobName.DIGEST]


class JobRunCreateSerializer(ReasonSerializerMixin, serializers.Serializer):
    job = serializers.ChoiceField(choices=[(j.value, j.label) for j in STARTABLE_JOBS])
    today = serializers.DateField(
        required=False,
        help_text="Run as of this day (default: today). A scan with a day is a dry run: it writes no flag or"
        " message, and the run's counts (`would_write`) tell what it would find.",
    )
    kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=FlagKind.choices),
        required=False,
        min_length=1,
        max_length=len(FlagKind.choices),
        help_text="scan only: just these kinds' detectors (default: every kind).",
    )

    def validate_today(self, value: dt.date) -> dt.date:
        if not dt.date(2000, 1, 1) <= value <= dt.date(2099, 12, 31):
            raise serializers.ValidationError(t("日期超出范围。", "The date is out of range."))
        return value


class WebhookChannelSerializer(ReasonSerializerMixin, serializers.ModelSerializer):
    programme = ProgrammeCodeField(required=False, allow_null=True, help_text="Only this programme's flags (code).")
    kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=FlagKind.choices), required=False, max_length=len(FlagKind.choices)
    )
    url = serializers.URLField(write_only=True, max_length=500)
    url_hint = serializers.SerializerMethodField(help_text="The address with its key hidden.")
    secret = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=200)
    has_secret = serializers.SerializerMethodField()

    class Meta:
        model = WebhookChannel
        fields = [
            "id",
            "name",
            "kind",
            "url",
            "url_hint",
            "secret",
            "has_secret",
            "zone",
            "programme",
            "kinds",
            "active",
            "created_at",
            "updated_at",
            "reason",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def get_url_hint(self, channel: WebhookChannel) -> str:
        parts = urlsplit(channel.url)
        return f"{parts.scheme}://{parts.netloc}{parts.path}{'?…' if parts.query else ''}"

    def get_has_secret(self, channel: WebhookChannel) -> bool:
        return bool(channel.secret)

    def validate_url(self, value: str) -> str:
        try:
            destinations.check(value, resolve_names=False)
        except destinations.UnsafeDestination as exc:
            raise serializers.ValidationError(exc.message) from exc
        return value

    def validate_kind(self, value: str) -> str:
        if value not in (Channel.WECOM, Channel.DINGTALK):
            raise serializers.ValidationError(t("渠道须为企业微信或钉钉。", "The channel must be wecom or dingtalk."))
        return value


class DeadlineCompletionSerializer(ReasonSerializerMixin, serializers.ModelSerializer):
    firm = ScopedRelatedField(scope=firms_visible_to)
    deadline = serializers.PrimaryKeyRelatedField(queryset=ProgrammeDeadline.objects.select_related("programme"))
    year = serializers.IntegerField(min_value=1949, max_value=2099)
    deadline_name = serializers.CharField(source="deadline.name", read_only=True)
    programme = serializers.CharField(source="deadline.programme.code", read_only=True)

    class Meta:
        model = DeadlineCompletion
        fields = [
            "id",
            "firm",
            "deadline",
            "deadline_name",
            "programme",
            "year",
            "done_on",
            "note",
            "marked_by",
            "created_at",
            "reason",
        ]
        read_only_fields = ["marked_by", "created_at"]
        validators: list[Any] = []  # a second mark of the same year is the service's 409, with its message


class CalendarSerializer(serializers.Serializer):
    url = serializers.CharField(
        read_only=True, help_text="Subscribe to this address; anyone holding it reads the feed."
    )
    enabled = serializers.BooleanField(read_only=True)
    version = serializers.IntegerField(read_only=True)


class CalendarUpdateSerializer(ReasonSerializerMixin, serializers.Serializer):
    rotate = serializers.BooleanField(
        required=False, default=False, help_text="A new address; the old one stops working."
    )
    enabled = serializers.BooleanField(required=False, allow_null=True, default=None)


class FigureRequirementSerializer(ReasonSerializerMixin, serializers.ModelSerializer):
    programme = ProgrammeCodeField()

    class Meta:
        model = FigureRequirement
        fields = ["id", "programme", "fields", "active", "notes", "reason"]
        extra_kwargs = {"fields": {"help_text": "Annual-figure field names, e.g. rd_expense, sales_revenue."}}

    def validate_fields(self, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(ANNUAL_VALUE_FIELDS))
        if unknown:
            raise serializers.ValidationError(
                t(f"未知的年度数据字段：{', '.join(unknown)}", f"Unknown annual-figure fields: {', '.join(unknown)}")
            )
        return list(dict.fromkeys(value))
