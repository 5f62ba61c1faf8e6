from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.accounts.models import Role, User
from apps.core.api.base import ReasonSerializerMixin, ScopedRelatedField
from apps.core.i18n import t
from apps.core.models import Change
from apps.programmes.api.serializers import FirmLadderSerializer, FirmTitleSerializer
from apps.programmes.selectors import firm_standing
from apps.registry import selectors, uscc
from apps.registry.models import Contact, ExitKind, Firm, Industry, JournalEntry, Zone


class ZoneSerializer(ReasonSerializerMixin, serializers.ModelSerializer):
    class Meta:
        model = Zone
        fields = ["id", "code", "name", "description", "reason"]


class IndustrySerializer(serializers.ModelSerializer):
    class Meta:
        model = Industry
        fields = ["code", "level", "section", "name", "note", "parent"]


class UsccField(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault(
            "help_text", "统一社会信用代码 (GB 32100-2015), 18 characters; full-width input is normalised."
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        try:
            return uscc.validate(value)
        except uscc.UsccError as exc:
            raise serializers.ValidationError(str(exc)) from exc


def _staff_users() -> Any:
    return User.objects.filter(role__in=[Role.ADMIN, Role.STAFF], is_active=True)


class FirmSerializer(ReasonSerializerMixin, serializers.ModelSerializer):
    uscc = UsccField()
    zone = ScopedRelatedField(scope=selectors.zones_writable_by)
    zone_name = serializers.CharField(source="zone.name", read_only=True)
    industry = serializers.CharField(
        source="industry_id",
        required=False,
        allow_null=True,
        max_length=10,
        help_text="GB/T 4754-2017 class: section letter + 4 digits, e.g. C3511.",
    )
    industry_name = serializers.CharField(source="industry.name", read_only=True, allow_null=True)
    assigned_staff = serializers.PrimaryKeyRelatedField(queryset=_staff_users(), required=False, allow_null=True)
    assigned_staff_name = serializers.SerializerMethodField()
    in_park = serializers.BooleanField(read_only=True)
    tags = serializers.ListField(child=serializers.CharField(max_length=60), required=False, max_length=50)

    class Meta:
        model = Firm
        fields = [
            "id",
            "uscc",
            "name",
            "registration_date",
            "legal_form",
            "joint_stock_date",
            "industry",
            "industry_name",
            "zone",
            "zone_name",
            "entered_park_on",
            "left_park_on",
            "exit_kind",
            "exit_note",
            "in_park",
            "tags",
            "address",
            "legal_representative",
            "assigned_staff",
            "assigned_staff_name",
            "notes",
            "created_at",
            "updated_at",
            "reason",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def get_assigned_staff_name(self, firm: Firm) -> str | None:
        return str(firm.assigned_staff) if firm.assigned_staff_id else None

    def validate_uscc(self, value: str) -> str:
        clash = Firm.objects.filter(uscc=value)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            # One answer whether the firm is in the caller's zones or another's: it names no firm or zone.
            raise serializers.ValidationError(
                t(
                    f"统一社会信用代码 {value} 已登记，不能重复。如在企业列表中找不到它，请联系管理员。",
                    f"USCC {value} is already registered. "
                    "If you cannot find it in the firm list, ask an administrator.",
                )
            )
        return value

    def validate_industry(self, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        code = str(value).strip().upper()
        if not Industry.objects.filter(code=code, level=4).exists():
            raise serializers.ValidationError(
                t(
                    f"行业代码 {code} 不在 GB/T 4754-2017 小类中（格式：门类字母 + 4 位数字，如 C3511）。",
                    f"Industry code {code} is not a GB/T 4754-2017 class (letter + 4 digits, e.g. C3511).",
                )
            )
        return code

    def validate_tags(self, value: list[str]) -> list[str]:
        seen: list[str] = []
        for tag in (v.strip() for v in value):
            if tag and tag not in seen:
                seen.append(tag)
        return seen

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)

        def value(name: str) -> Any:
            return attrs[name] if name in attrs else getattr(self.instance, name, None)

        errors: dict[str, Any] = {}
        entered, left = value("entered_park_on"), value("left_park_on")
        if entered and left and left < entered:
            errors["left_park_on"] = [t("离园日期不能早于入园日期。", "The exit date cannot be before the entry date.")]
        registered, converted = value("registration_date"), value("joint_stock_date")
        if registered and converted and converted < registered:
            errors["joint_stock_date"] = [
                t("股改日期不能早于成立日期。", "The joint-stock conversion date cannot be before registration.")
            ]
        if left and not value("exit_kind"):
            attrs["exit_kind"] = ExitKind.MOVED_OUT
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class ContactSerializer(ReasonSerializerMixin, serializers.ModelSerializer):
    firm = ScopedRelatedField(scope=selectors.firms_visible_to)

    class Meta:
        model = Contact
        fields = ["id", "firm", "name", "title", "phone", "email", "is_primary", "reason"]


class FirmDetailSerializer(FirmSerializer):
    warnings = serializers.SerializerMethodField()
    contacts = serializers.SerializerMethodField()
    titles = serializers.SerializerMethodField(help_text="Certifications valid today.")
    ladders = serializers.SerializerMethodField(help_text="Each ladder's rungs and the highest one held today.")

    class Meta(FirmSerializer.Meta):
        fields = [*FirmSerializer.Meta.fields, "warnings", "contacts", "titles", "ladders"]

    def _standing(self, firm: Firm) -> dict[str, Any]:
        # titles and ladders come from the same two queries, made once per firm.
        cache: dict[int, dict[str, Any]] = self.__dict__.setdefault("_standing_cache", {})
        if firm.pk not in cache:
            cache[firm.pk] = firm_standing(firm=firm)
        return cache[firm.pk]

    @extend_schema_field(FirmTitleSerializer(many=True))
    def get_titles(self, firm: Firm) -> list[dict[str, Any]]:
        return list(FirmTitleSerializer(self._standing(firm)["titles"], many=True).data)

    @extend_schema_field(FirmLadderSerializer(many=True))
    def get_ladders(self, firm: Firm) -> list[dict[str, Any]]:
        return list(FirmLadderSerializer(self._standing(firm)["ladders"], many=True).data)

    def get_warnings(self, firm: Firm) -> list[str]:
        warning = uscc.organisation_code_warning(firm.uscc)
        return [warning] if warning else []

    @extend_schema_field(ContactSerializer(many=True))
    def get_contacts(self, firm: Firm) -> list[dict[str, Any]]:
        return list(ContactSerializer(firm.contacts.all(), many=True).data)


class FirmLeaveSerializer(serializers.Serializer):
    date = serializers.DateField()
    kind = serializers.ChoiceField(choices=ExitKind.choices, default=ExitKind.MOVED_OUT)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class JournalEntrySerializer(ReasonSerializerMixin, serializers.ModelSerializer):
    firm = ScopedRelatedField(scope=selectors.firms_visible_to)
    firm_name = serializers.CharField(source="firm.name", read_only=True)
    author_name = serializers.SerializerMethodField()

    class Meta:
        model = JournalEntry
        fields = [
            "id",
            "firm",
            "firm_name",
            "date",
            "kind",
            "title",
            "body",
            "author",
            "author_name",
            "created_at",
            "reason",
        ]
        read_only_fields = ["author", "created_at"]

    def get_author_name(self, entry: JournalEntry) -> str | None:
        return str(entry.author) if entry.author_id else None


class ChangeSerializer(serializers.ModelSerializer):
    changed_fields = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Change
        fields = [
            "id",
            "changed_at",
            "table_name",
            "object_id",
            "action",
            "actor_id",
            "actor_label",
            "source",
            "reason",
            "request_id",
            "changed_fields",
            "before",
            "after",
        ]
