from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core import clock
from apps.core.api.base import ReasonSerializerMixin, ScopedRelatedField
from apps.core.i18n import t
from apps.programmes import selectors, services
from apps.programmes.models import (
    Certification,
    CertificationState,
    EntryRoute,
    Level,
    Programme,
    ProgrammeDeadline,
    ValidityKind,
)
from apps.registry.selectors import firms_visible_to

YEAR_MIN, YEAR_MAX = 1949, 2099


def _requested_year(context: dict[str, Any]) -> int:
    request = context.get("request")
    raw = request.query_params.get("year") if request is not None else None
    if raw and raw.isdigit() and YEAR_MIN <= int(raw) <= YEAR_MAX:
        return int(raw)
    return clock.today().year


class ProgrammeCodeField(serializers.SlugRelatedField):
    """A programme by its code, case-insensitively: "hnte" finds HNTE."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("slug_field", "code")
        kwargs.setdefault("queryset", Programme.objects.all())
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            if "\x00" in data:  # PostgreSQL text cannot hold NUL: a lookup with one would be a 500
                self.fail("does_not_exist", slug_name=self.slug_field, value=data.replace("\x00", ""))
            data = data.strip().upper()
        return super().to_internal_value(data)


class ProgrammeDeadlineSerializer(ReasonSerializerMixin, serializers.ModelSerializer):
    programme = ProgrammeCodeField(help_text="Programme code, e.g. HNTE.")
    opens_on = serializers.SerializerMethodField(help_text="Opening day in the requested ?year= (default this year).")
    due_on = serializers.SerializerMethodField(
        help_text="Due day in the requested ?year= (default this year); null if the entry does not apply then."
    )

    class Meta:
        model = ProgrammeDeadline
        fields = [
            "id",
            "programme",
            "kind",
            "name",
            "name_en",
            "month",
            "day",
            "opens_month",
            "opens_day",
            "first_year",
            "last_year",
            "notes",
            "opens_on",
            "due_on",
            "reason",
        ]
        extra_kwargs = {
            "month": {"min_value": 1, "max_value": 12},
            "day": {"min_value": 1, "max_value": 31},
            "opens_month": {"min_value": 1, "max_value": 12},
            "opens_day": {"min_value": 1, "max_value": 31},
            "first_year": {"min_value": YEAR_MIN, "max_value": YEAR_MAX},
            "last_year": {"min_value": YEAR_MIN, "max_value": YEAR_MAX},
        }

    def _dates(self, entry: ProgrammeDeadline) -> tuple[dt.date | None, dt.date] | None:
        return entry.dates_in(_requested_year(self.context))

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_opens_on(self, entry: ProgrammeDeadline) -> dt.date | None:
        dates = self._dates(entry)
        return dates[0] if dates else None

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_due_on(self, entry: ProgrammeDeadline) -> dt.date | None:
        dates = self._dates(entry)
        return dates[1] if dates else None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)

        def value(name: str) -> Any:
            return attrs[name] if name in attrs else getattr(self.instance, name, None)

        errors: dict[str, list[Any]] = {}
        month, day = value("month"), value("day")
        if month and day and day > calendar.monthrange(2024, month)[1]:
            errors["day"] = [t(f"{month} 月没有 {day} 日。", f"Month {month} has no day {day}.")]
        opens_month, opens_day = value("opens_month"), value("opens_day")
        if (opens_month is None) != (opens_day is None):
            errors["opens_day"] = [
                t("开始月份和日期须同时填写或同时留空。", "Give both opens_month and opens_day, or neither.")
            ]
        elif opens_month and opens_day:
            if opens_day > calendar.monthrange(2024, opens_month)[1]:
                errors["opens_day"] = [
                    t(f"{opens_month} 月没有 {opens_day} 日。", f"Month {opens_month} has no day {opens_day}.")
                ]
            elif month and day and (opens_month, opens_day) > (month, day):
                errors["opens_day"] = [t("开始日期不能晚于截止日期。", "The window cannot open after it closes.")]
        first, last = value("first_year"), value("last_year")
        if first and last and last < first:
            errors["last_year"] = [t("结束年份不能早于开始年份。", "last_year cannot be before first_year.")]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class ProgrammeSerializer(ReasonSerializerMixin, serializers.ModelSerializer):
    levels = serializers.ListField(
        child=serializers.ChoiceField(choices=Level.choices), min_length=1, max_length=len(Level.choices)
    )
    renewal_lead_days = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=3650),
        required=False,
        max_length=12,
        help_text="Days before expiry for renewal reminders, e.g. [180, 90, 30].",
    )
    validity_years = serializers.IntegerField(min_value=1, max_value=50, required=False, allow_null=True)
    rung = serializers.IntegerField(min_value=1, max_value=99)
    deadlines = ProgrammeDeadlineSerializer(many=True, read_only=True)

    class Meta:
        model = Programme
        fields = [
            "id",
            "code",
            "name_zh",
            "name_en",
            "description",
            "levels",
            "validity_kind",
            "validity_years",
            "renewal_lead_days",
            "ladder",
            "rung",
            "builtin",
            "active",
            "deadlines",
            "created_at",
            "updated_at",
            "reason",
        ]
        read_only_fields = ["builtin", "created_at", "updated_at"]
        extra_kwargs: dict[str, dict[str, Any]] = {"code": {"validators": []}}

    def validate_code(self, value: str) -> str:
        code = value.strip().upper()
        if not code or not code[0].isalpha() or not all(c.isascii() and (c.isalnum() or c == "_") for c in code):
            raise serializers.ValidationError(
                t(
                    "代码只能由大写字母、数字和下划线组成，并以字母开头。",
                    "Use capital letters, digits and _, starting with a letter.",
                )
            )
        if self.instance is not None and self.instance.builtin and code != self.instance.code:
            raise serializers.ValidationError(
                t("系统内置项目的代码不能修改。", "The code of a programme shipped with Seedbed cannot change.")
            )
        clash = Programme.objects.filter(code=code)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError(t(f"项目代码 {code} 已存在。", f"Programme code {code} already exists."))
        return code

    def validate_levels(self, value: list[str]) -> list[str]:
        levels = list(dict.fromkeys(value))
        if self.instance is not None:
            in_use = set(
                Certification.objects.filter(programme=self.instance)
                .exclude(level__in=levels)
                .values_list("level", flat=True)
            )
            if in_use:
                listing = ", ".join(sorted(in_use))
                raise serializers.ValidationError(
                    t(
                        f"仍有证书使用级别 {listing}，不能移除。",
                        f"Certifications still use level(s) {listing}; they cannot be removed.",
                    )
                )
        return levels

    def validate_renewal_lead_days(self, value: list[int]) -> list[int]:
        return sorted(set(value), reverse=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        kind = attrs.get("validity_kind", getattr(self.instance, "validity_kind", None))
        years = attrs["validity_years"] if "validity_years" in attrs else getattr(self.instance, "validity_years", None)
        if kind == ValidityKind.YEARS and not years:
            raise serializers.ValidationError(
                {"validity_years": [t("按年计的有效期须填写年数。", "A validity in years needs the number of years.")]}
            )
        if kind != ValidityKind.YEARS:
            attrs["validity_years"] = None
        return attrs


class CertificationSerializer(ReasonSerializerMixin, serializers.ModelSerializer):
    firm = ScopedRelatedField(scope=firms_visible_to)
    firm_name = serializers.CharField(source="firm.name", read_only=True)
    zone = serializers.IntegerField(source="firm.zone_id", read_only=True)
    zone_name = serializers.CharField(source="firm.zone.name", read_only=True)
    programme = ProgrammeCodeField(help_text="Programme code, e.g. HNTE.")
    programme_name = serializers.CharField(source="programme.name_zh", read_only=True)
    level = serializers.ChoiceField(
        choices=Level.choices, required=False, help_text="Optional when the programme has a single level."
    )
    entry_route = serializers.ChoiceField(choices=EntryRoute.choices, required=False, allow_blank=True)
    valid_from = serializers.DateField(required=False, allow_null=True, help_text="Defaults to the certificate date.")
    valid_until = serializers.DateField(
        required=False, allow_null=True, help_text="Derived from the programme's rule unless given; null = open-ended."
    )
    renews = ScopedRelatedField(
        scope=selectors.certifications_visible_to,
        required=False,
        allow_null=True,
        help_text="On creation: the certification this one renews (it becomes superseded). Prefer POST …/renew/.",
    )
    renewed_by = serializers.SerializerMethodField()
    ends_on = serializers.DateField(
        read_only=True,
        allow_null=True,
        help_text="Last day it counts: valid_until cut short by revocation or renewal; null when open-ended.",
    )
    state = serializers.SerializerMethodField(
        help_text="Derived as of today: pending / valid / expired / revoked / superseded."
    )
    has_successor = serializers.SerializerMethodField()

    class Meta:
        model = Certification
        fields = [
            "id",
            "firm",
            "firm_name",
            "zone",
            "zone_name",
            "programme",
            "programme_name",
            "level",
            "number",
            "batch",
            "entry_route",
            "certificate_date",
            "valid_from",
            "valid_until",
            "ends_on",
            "state",
            "revoked_on",
            "revocation_reason",
            "renews",
            "renewed_by",
            "superseded_on",
            "has_successor",
            "notes",
            "created_at",
            "updated_at",
            "reason",
        ]
        read_only_fields = ["revoked_on", "revocation_reason", "superseded_on", "created_at", "updated_at"]
        validators: list[Any] = []

    @extend_schema_field(serializers.ChoiceField(choices=CertificationState.choices))
    def get_state(self, cert: Certification) -> str:
        return getattr(cert, "state", None) or cert.state_on(clock.today())

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_renewed_by(self, cert: Certification) -> int | None:
        successor = getattr(cert, "renewed_by", None)
        return successor.pk if successor is not None else None

    @extend_schema_field(serializers.BooleanField())
    def get_has_successor(self, cert: Certification) -> bool:
        annotated = getattr(cert, "has_successor", None)
        return bool(annotated) if annotated is not None else cert.superseded_on is not None

    def create(self, validated_data: dict[str, Any]) -> Certification:
        request = self.context.get("request")
        return services.certification_create(
            firm=validated_data["firm"],
            programme=validated_data["programme"],
            certificate_date=validated_data["certificate_date"],
            level=validated_data.get("level", ""),
            number=validated_data.get("number", ""),
            batch=validated_data.get("batch", ""),
            entry_route=validated_data.get("entry_route", ""),
            valid_from=validated_data.get("valid_from"),
            valid_until=validated_data.get("valid_until"),
            notes=validated_data.get("notes", ""),
            renews=validated_data.get("renews"),
            created_by=getattr(request, "user", None),
        )

    def update(self, instance: Certification, validated_data: dict[str, Any]) -> Certification:
        return services.certification_update(certification=instance, data=dict(validated_data))


class CertificationRevokeSerializer(serializers.Serializer):
    date = serializers.DateField(help_text="First day the certification no longer counts.")
    reason = serializers.CharField(max_length=1000, help_text="Why it was revoked; also recorded in the history.")

    def validate_reason(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError(t("请填写撤销原因。", "Give the reason for the revocation."))
        return value.strip()


class CertificationRenewSerializer(ReasonSerializerMixin, serializers.Serializer):
    certificate_date = serializers.DateField()
    number = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    batch = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    level = serializers.ChoiceField(
        choices=Level.choices, required=False, help_text="Defaults to the renewed one's level."
    )
    entry_route = serializers.ChoiceField(choices=EntryRoute.choices, required=False, allow_blank=True, default="")
    valid_from = serializers.DateField(required=False, allow_null=True)
    valid_until = serializers.DateField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class FirmTitleSerializer(serializers.Serializer):
    """A title the firm holds today (shown on the firm's detail)."""

    id = serializers.IntegerField()
    programme = serializers.CharField()
    programme_name = serializers.CharField()
    programme_name_en = serializers.CharField()
    level = serializers.CharField()
    number = serializers.CharField()
    certificate_date = serializers.DateField()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(allow_null=True)
    ends_on = serializers.DateField(allow_null=True)
    days_left = serializers.IntegerField(allow_null=True, help_text="Days until ends_on; null when open-ended.")


class LadderRungSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    rung = serializers.IntegerField()
    held = serializers.BooleanField()


class LadderPositionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    rung = serializers.IntegerField()


class FirmLadderSerializer(serializers.Serializer):
    """One ladder, its rungs bottom to top, and the highest rung the firm holds today (null: none)."""

    ladder = serializers.CharField()
    name = serializers.CharField()
    rungs = LadderRungSerializer(many=True)
    position = LadderPositionSerializer(allow_null=True)
