from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.validators import URLValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core import audit, clock
from apps.core.api.base import ReasonSerializerMixin, ScopedRelatedField
from apps.core.i18n import t
from apps.listing import stages
from apps.listing.models import Board, Bucket, CommitteeOutcome, ListingEvent, ListingStage
from apps.registry.selectors import firms_visible_to

S = ListingStage

_BUCKET_CHOICES = [(value, str(label)) for value, label in Bucket.choices]

# China's stock exchanges opened in December 1990; a committee meeting can be scheduled ahead.
EARLIEST_EVENT = dt.date(1990, 1, 1)
MAX_DAYS_AHEAD = 366


class ListingEventSerializer(ReasonSerializerMixin, serializers.ModelSerializer):
    firm = ScopedRelatedField(scope=firms_visible_to)
    firm_name = serializers.CharField(source="firm.name", read_only=True)
    zone = serializers.IntegerField(source="firm.zone_id", read_only=True)
    stage_label = serializers.SerializerMethodField()
    board_label = serializers.SerializerMethodField()
    bucket = serializers.SerializerMethodField()
    bucket_label = serializers.SerializerMethodField()
    announcement_url = serializers.URLField(
        max_length=500,
        required=False,
        allow_blank=True,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="Link to the announcement (http or https). 公告链接。",
    )
    outcome = serializers.ChoiceField(
        choices=CommitteeOutcome.choices,
        required=False,
        allow_blank=True,
        help_text="Only for the listing committee (上市委审议): pending, passed or failed; pending if left out.",
    )
    recorded_by_name = serializers.SerializerMethodField()
    override = serializers.BooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text="Save although the stage order is broken; needs a reason. 顺序异常时强制保存，须填写原因。",
    )

    class Meta:
        model = ListingEvent
        fields = [
            "id",
            "firm",
            "firm_name",
            "zone",
            "stage",
            "stage_label",
            "date",
            "pool_level",
            "board",
            "board_label",
            "sponsor",
            "outcome",
            "announcement_url",
            "note",
            "bucket",
            "bucket_label",
            "recorded_by",
            "recorded_by_name",
            "out_of_order_override",
            "created_at",
            "updated_at",
            "override",
            "reason",
        ]
        read_only_fields = ["recorded_by", "out_of_order_override", "created_at", "updated_at"]
        # The uniqueness of (firm, stage, date) is checked by the service, with a message naming the stage.
        validators: list[Any] = []

    def get_stage_label(self, event: ListingEvent) -> str:
        return str(stages.stage_label(event.stage))

    def get_board_label(self, event: ListingEvent) -> str | None:
        label = stages.board_label(event.board)
        return str(label) if label else None

    @extend_schema_field(serializers.ChoiceField(choices=_BUCKET_CHOICES, allow_null=True))
    def get_bucket(self, event: ListingEvent) -> str | None:
        return stages.event_bucket(event.stage, event.outcome)

    def get_bucket_label(self, event: ListingEvent) -> str | None:
        label = stages.bucket_label(stages.event_bucket(event.stage, event.outcome))
        return str(label) if label else None

    def get_recorded_by_name(self, event: ListingEvent) -> str | None:
        return str(event.recorded_by) if event.recorded_by_id else None

    def validate_date(self, value: dt.date) -> dt.date:
        latest = clock.today() + dt.timedelta(days=MAX_DAYS_AHEAD)
        if not EARLIEST_EVENT <= value <= latest:
            raise serializers.ValidationError(
                t(
                    f"日期须在 {EARLIEST_EVENT.isoformat()} 至 {latest.isoformat()} 之间。",
                    f"The date must be between {EARLIEST_EVENT.isoformat()} and {latest.isoformat()}.",
                )
            )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)  # moves `reason` into the change history
        reason = audit.current().reason  # from the body, or from the X-Change-Reason header

        def value(name: str) -> Any:
            return attrs[name] if name in attrs else getattr(self.instance, name, "")

        errors: dict[str, list[Any]] = {}
        if attrs.get("override") and not reason:
            errors["reason"] = [
                t("强制保存顺序异常的事件时必须填写原因。", "A reason is required to save an event out of order.")
            ]
        firm, stage = value("firm"), value("stage")
        if self.instance is not None and "firm" in attrs and attrs["firm"].pk != self.instance.firm_id:
            errors["firm"] = [
                t(
                    "事件不能改挂到另一家企业；请删除后为正确的企业重新登记。",
                    "An event cannot move to another firm; delete it and record it for the right firm.",
                )
            ]
        name = stages.stage_label(stage) if stage else ""

        if stage == S.POOL and not value("pool_level"):
            errors["pool_level"] = [t("「入库」事件须注明入库级别。", "A pool (入库) event needs its pool level.")]
        elif stage != S.POOL and value("pool_level"):
            if "pool_level" in attrs:
                errors["pool_level"] = [
                    t(
                        f"只有「入库」事件有入库级别，「{name}」没有。",
                        f"Only a pool (入库) event has a pool level, not {name}.",
                    )
                ]
            else:
                attrs["pool_level"] = ""  # the stage changed away from pool

        if stage == S.COMMITTEE:
            if not value("outcome"):
                attrs["outcome"] = CommitteeOutcome.PENDING
        elif value("outcome"):
            if "outcome" in attrs:
                errors["outcome"] = [
                    t(
                        f"只有「上市委审议」有审议结果，「{name}」没有。",
                        f"Only the listing committee (上市委审议) has an outcome, not {name}.",
                    )
                ]
            else:
                attrs["outcome"] = ""

        if stage == S.LISTED and not value("board"):
            errors["board"] = [
                t(
                    "「上市」事件须注明板块（主板、创业板、科创板或北交所）。",
                    "A listing (上市) event needs its board: main, ChiNext, STAR or BSE.",
                )
            ]

        date, registered = value("date"), getattr(firm, "registration_date", None)
        if date and registered and date < registered:
            errors["date"] = [
                t(
                    f"事件日期 {date.isoformat()} 早于企业成立日期 {registered.isoformat()}。",
                    f"The date {date.isoformat()} is before the firm was registered ({registered.isoformat()}).",
                )
            ]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class ListingStatusSerializer(serializers.Serializer):
    """One firm's place in the pipeline on `as_of`."""

    firm = serializers.IntegerField(source="firm.pk")
    firm_name = serializers.CharField(source="firm.name")
    uscc = serializers.CharField(source="firm.uscc")
    zone = serializers.IntegerField(source="firm.zone_id")
    zone_name = serializers.CharField(source="firm.zone.name")
    stage = serializers.ChoiceField(source="status.stage", choices=ListingStage.choices)
    stage_label = serializers.SerializerMethodField()
    outcome = serializers.CharField(source="status.outcome", help_text="Committee outcome when the stage is committee.")
    board = serializers.CharField(source="status.board")
    board_label = serializers.SerializerMethodField()
    bucket = serializers.ChoiceField(source="status.bucket", choices=_BUCKET_CHOICES, allow_null=True)
    bucket_label = serializers.SerializerMethodField()
    since = serializers.DateField(source="status.since", help_text="Date of the event that put the firm at this stage.")
    event = serializers.IntegerField(source="status.event_id")
    run_started = serializers.DateField(source="status.run_started")
    ended = serializers.BooleanField(source="status.ended", help_text="The latest run was withdrawn or terminated.")
    as_of = serializers.DateField(source="status.as_of")

    def get_stage_label(self, row: Any) -> str:
        return str(stages.stage_label(row.status.stage))

    def get_board_label(self, row: Any) -> str | None:
        label = stages.board_label(row.status.board)
        return str(label) if label else None

    def get_bucket_label(self, row: Any) -> str | None:
        label = stages.bucket_label(row.status.bucket)
        return str(label) if label else None


class ListingStatusQuerySerializer(serializers.Serializer):
    """Query parameters of /listing-status/, validated so that bad input is a 400."""

    on = serializers.DateField(required=False, help_text="Status on this day (default: today), e.g. 2022-12-31.")
    stage = serializers.MultipleChoiceField(choices=ListingStage.choices, required=False)
    bucket = serializers.MultipleChoiceField(choices=_BUCKET_CHOICES, required=False)
    board = serializers.ChoiceField(choices=Board.choices, required=False)
