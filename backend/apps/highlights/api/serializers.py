from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.core.api.base import ReasonSerializerMixin
from apps.core.i18n import t
from apps.figures.models import ANNUAL_MONEY_FIELDS
from apps.highlights.compute import COUNT_BUCKETS
from apps.highlights.models import CODE_PATTERN, PublishedReport, ReportLine, TagGroup
from apps.listing.models import Bucket
from apps.programmes.api.serializers import ProgrammeCodeField
from apps.programmes.models import Ladder

YEAR_MIN = 1990


def _code(value: str, model: Any, instance: Any) -> str:
    import re

    code = value.strip().upper()
    if not re.match(CODE_PATTERN, code):
        raise serializers.ValidationError(
            t(
                "代码只能由大写字母、数字和下划线组成，并以字母开头。",
                "Use capital letters, digits and _, starting with a letter.",
            )
        )
    clash = model.objects.filter(code=code)
    if instance is not None:
        clash = clash.exclude(pk=instance.pk)
    if clash.exists():
        raise serializers.ValidationError(t(f"代码 {code} 已存在。", f"Code {code} already exists."))
    return code


# ---------------------------------------------------------------- configuration


class ReportLineSerializer(ReasonSerializerMixin, serializers.ModelSerializer):
    programmes = ProgrammeCodeField(
        many=True, help_text="Programme codes; a firm holding several counts once, e.g. [SRDI, LITTLE_GIANT]."
    )
    position = serializers.IntegerField(min_value=0, max_value=32767, required=False)

    class Meta:
        model = ReportLine
        fields = [
            "id",
            "code",
            "name_zh",
            "name_en",
            "programmes",
            "growth_basis",
            "headline",
            "position",
            "active",
            "created_at",
            "updated_at",
            "reason",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs: dict[str, dict[str, Any]] = {"code": {"validators": []}}

    def validate_code(self, value: str) -> str:
        return _code(value, ReportLine, self.instance)

    def to_representation(self, instance: ReportLine) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        data["programmes"] = sorted(data["programmes"])
        return data

    def validate_programmes(self, value: list[Any]) -> list[Any]:
        if not value:
            raise serializers.ValidationError(t("至少选择一个项目。", "Choose at least one programme."))
        return list({p.pk: p for p in value}.values())


class TagGroupSerializer(ReasonSerializerMixin, serializers.ModelSerializer):
    programme = ProgrammeCodeField(help_text="Members hold it on 31 Dec, e.g. ABOVE_SIZE.", required=False)
    figure = serializers.ChoiceField(
        choices=list(ANNUAL_MONEY_FIELDS),
        required=False,
        help_text="The verified annual figure summed over members, in yuan, e.g. output_value.",
    )
    industry_section = serializers.RegexField(
        r"^[A-Ta-t]?$",
        required=False,
        allow_blank=True,
        error_messages={
            "invalid": t(
                "请填写 GB/T 4754 门类字母 A–T，或留空。", "Give a GB/T 4754 section letter A–T, or leave it empty."
            )
        },
    )
    position = serializers.IntegerField(min_value=0, max_value=32767, required=False)

    class Meta:
        model = TagGroup
        fields = [
            "id",
            "code",
            "name_zh",
            "name_en",
            "tag",
            "programme",
            "industry_section",
            "figure",
            "figure_label",
            "position",
            "active",
            "created_at",
            "updated_at",
            "reason",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs: dict[str, dict[str, Any]] = {"code": {"validators": []}}

    def validate_code(self, value: str) -> str:
        return _code(value, TagGroup, self.instance)

    def validate_industry_section(self, value: str) -> str:
        return value.upper()

    def validate_tag(self, value: str) -> str:
        tag = value.strip()
        if not tag:
            raise serializers.ValidationError(t("请填写标签。", "Give the tag."))
        return tag

    def create(self, validated_data: dict[str, Any]) -> TagGroup:
        if "programme" not in validated_data:
            from apps.programmes.models import Programme

            validated_data["programme"] = Programme.objects.get(code="ABOVE_SIZE")
        group: TagGroup = super().create(validated_data)
        return group


# ---------------------------------------------------------------- query parameters


class ZoneQuerySerializer(serializers.Serializer):
    zone = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Zone id; leave out for the whole park (or, for zone-limited staff, their zones).",
    )


class TrendQuerySerializer(ZoneQuerySerializer):
    from_ = serializers.IntegerField(required=False, min_value=YEAR_MIN, max_value=2099, help_text="First year.")
    to = serializers.IntegerField(required=False, min_value=YEAR_MIN, max_value=2099, help_text="Last year.")

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class FirmsQuerySerializer(ZoneQuerySerializer):
    """Which number: a line and a bucket, a tag group, 月度升规, or a listing bucket."""

    line = serializers.CharField(required=False, help_text="Report line code (or in the path: lines/{code}/firms/).")
    bucket = serializers.ChoiceField(choices=list(COUNT_BUCKETS), required=False, help_text="With a line.")
    tag_group = serializers.CharField(required=False, help_text="Tag group code, e.g. DIGITAL.")
    monthly_upgrades = serializers.BooleanField(required=False, default=False, help_text="The 月度升规 firms.")
    listing_bucket = serializers.ChoiceField(choices=Bucket.choices, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if attrs.get("line"):
            attrs["line"] = attrs["line"].strip().upper()
        chosen = [k for k in ("line", "tag_group", "monthly_upgrades", "listing_bucket") if attrs.get(k)]
        if len(chosen) != 1:
            raise serializers.ValidationError(
                {
                    "line": [
                        t(
                            "请指定一个数字：line 与 bucket、tag_group、monthly_upgrades 或 listing_bucket 之一。",
                            "Name one number: line with bucket, tag_group, monthly_upgrades or listing_bucket.",
                        )
                    ]
                }
            )
        if attrs.get("line") and not attrs.get("bucket"):
            raise serializers.ValidationError(
                {
                    "bucket": [
                        t(f"请指定 bucket：{', '.join(COUNT_BUCKETS)}。", f"Give a bucket: {', '.join(COUNT_BUCKETS)}.")
                    ]
                }
            )
        if attrs.get("tag_group"):
            attrs["tag_group"] = attrs["tag_group"].strip().upper()
        return attrs


class PublishSerializer(ReasonSerializerMixin, serializers.Serializer):
    year = serializers.IntegerField(min_value=YEAR_MIN, max_value=2099)
    zone = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="Zone id; leave out for the whole park (zone-limited staff: their zones).",
    )
    title = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


# ---------------------------------------------------------------- report output


class LineReportSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    programmes = serializers.ListField(child=serializers.CharField())
    growth_basis = serializers.CharField()
    headline = serializers.BooleanField()
    opening = serializers.IntegerField()
    new = serializers.IntegerField()
    moved_in = serializers.IntegerField()
    renewed = serializers.IntegerField()
    lapsed = serializers.IntegerField()
    revoked = serializers.IntegerField()
    left_park = serializers.IntegerField()
    closing = serializers.IntegerField()
    growth_pct = serializers.FloatField(allow_null=True, help_text="Two decimals; null when opening is 0.")
    first = serializers.BooleanField(help_text="0 → more than 0 for the first time ever in this scope (从'0'到'1').")
    identity_ok = serializers.BooleanField()
    links = serializers.DictField(child=serializers.CharField(), help_text="bucket → URL of the firms behind it.")


class TagGroupReportSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    tag = serializers.CharField()
    programme = serializers.CharField()
    industry_section = serializers.CharField()
    figure = serializers.CharField()
    figure_label = serializers.CharField()
    count = serializers.IntegerField()
    total = serializers.DecimalField(max_digits=20, decimal_places=2, help_text="Σ figure of the year, yuan.")
    comparable_firms = serializers.IntegerField(help_text="Members with verified figures in both years.")
    comparable_total = serializers.DecimalField(max_digits=20, decimal_places=2)
    comparable_prior_total = serializers.DecimalField(max_digits=20, decimal_places=2)
    growth_pct = serializers.FloatField(allow_null=True, help_text="Σ(Y) / Σ(Y−1) − 1 over comparable members.")
    lacking_prior = serializers.IntegerField()
    lacking_current = serializers.IntegerField()
    firms_url = serializers.CharField()


class ListingFirmSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    stage = serializers.CharField()
    stage_name = serializers.CharField()
    date = serializers.DateField()
    board = serializers.CharField(allow_blank=True)


class ListingBucketSerializer(serializers.Serializer):
    bucket = serializers.CharField()
    name = serializers.CharField()
    count = serializers.IntegerField()
    firms = ListingFirmSerializer(many=True)
    firms_url = serializers.CharField()


class ListingSerializer(serializers.Serializer):
    buckets = ListingBucketSerializer(many=True)


class FirstFirmSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    level = serializers.CharField(allow_blank=True, required=False)


class FirstSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="line (a report line) or listing_stage (a listing milestone).")
    code = serializers.CharField()
    name = serializers.CharField()
    scope = serializers.CharField(help_text="park, scope (the report's zones) or zone (one zone of several).")
    zone_id = serializers.IntegerField(allow_null=True)
    where = serializers.CharField()
    date = serializers.DateField()
    firms = FirstFirmSerializer(many=True)


class MonthlyUpgradesSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    firms_url = serializers.CharField()


class ScopeSerializer(serializers.Serializer):
    zone_ids = serializers.ListField(child=serializers.IntegerField(), allow_null=True)
    label = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.label


class ReportSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    scope = ScopeSerializer()
    opening_date = serializers.DateField()
    as_of = serializers.DateField(help_text="The closing day: 31 Dec of the year, or today while it runs.")
    computed_at = serializers.DateTimeField()
    complete_year = serializers.BooleanField()
    identity_ok = serializers.BooleanField()
    lines = LineReportSerializer(many=True)
    tag_groups = TagGroupReportSerializer(many=True)
    monthly_upgrades = MonthlyUpgradesSerializer()
    listing = ListingSerializer()
    firsts = FirstSerializer(many=True)


class PublishedReportSerializer(serializers.ModelSerializer):
    published_by = serializers.CharField(source="published_by.username", read_only=True, allow_null=True)

    class Meta:
        model = PublishedReport
        fields = [
            "id",
            "year",
            "zone_ids",
            "scope_key",
            "scope_label",
            "version",
            "title",
            "note",
            "as_of",
            "computed_at",
            "published_by",
            "published_at",
        ]
        read_only_fields = fields


class PublishedReportDetailSerializer(PublishedReportSerializer):
    report = serializers.SerializerMethodField()

    class Meta(PublishedReportSerializer.Meta):
        fields = [*PublishedReportSerializer.Meta.fields, "report"]
        read_only_fields = fields

    def get_report(self, obj: PublishedReport) -> dict[str, Any]:
        report: dict[str, Any] = self.context["report"]
        return report


class FirmEntrySerializer(serializers.Serializer):
    """One firm behind a number. Which fields appear depends on the number (line, tag group, 月度升规, listing)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    uscc = serializers.CharField(required=False)
    zone = serializers.CharField(required=False)
    opening = serializers.BooleanField(required=False)
    closing = serializers.BooleanField(required=False)
    change = serializers.CharField(required=False, allow_blank=True)
    certificate = serializers.DictField(required=False, allow_null=True)
    revoked = serializers.DictField(required=False)
    left_park_on = serializers.DateField(required=False, allow_null=True)
    exit_kind = serializers.CharField(required=False, allow_blank=True)
    value = serializers.DecimalField(max_digits=20, decimal_places=2, required=False, allow_null=True)
    prior_value = serializers.DecimalField(max_digits=20, decimal_places=2, required=False, allow_null=True)
    date = serializers.DateField(required=False)
    number = serializers.CharField(required=False, allow_blank=True)
    stage = serializers.CharField(required=False)
    stage_name = serializers.CharField(required=False)
    board = serializers.CharField(required=False, allow_blank=True)


class DiffSerializer(serializers.Serializer):
    published_id = serializers.IntegerField()
    version = serializers.IntegerField()
    published_computed_at = serializers.DateTimeField()
    live_computed_at = serializers.DateTimeField()
    identical = serializers.BooleanField()
    lines = serializers.ListField(child=serializers.DictField())
    tag_groups = serializers.ListField(child=serializers.DictField())
    monthly_upgrades = serializers.DictField()
    listing = serializers.DictField()


class TrendYearSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    opening = serializers.IntegerField(help_text="Firms holding the line on 1 Jan.")
    new = serializers.IntegerField(help_text="Firms that gained it during the year.")
    closing = serializers.IntegerField(help_text="Firms holding it on 31 Dec (or today, this year).")
    as_of = serializers.DateField(help_text="The day `closing` is counted on.")


class TrendLineSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    years = TrendYearSerializer(many=True)


class FunnelRungSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Programme code.")
    name = serializers.CharField()
    rung = serializers.IntegerField()
    holding = serializers.IntegerField(help_text="Firms holding this rung today.")
    on_top = serializers.IntegerField(help_text="Firms for which it is the highest rung held.")


class FunnelLadderSerializer(serializers.Serializer):
    ladder = serializers.ChoiceField(choices=Ladder.choices)
    name = serializers.CharField()
    rungs = FunnelRungSerializer(many=True)


class TrendSerializer(serializers.Serializer):
    scope = ScopeSerializer()
    lines = TrendLineSerializer(many=True)
    funnel = FunnelLadderSerializer(many=True)


class FunnelSerializer(serializers.Serializer):
    scope = ScopeSerializer()
    in_park = serializers.IntegerField(help_text="Firms of the scope in the park today.")
    ladders = FunnelLadderSerializer(many=True)
