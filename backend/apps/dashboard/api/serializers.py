"""The dashboard's response, described for the OpenAPI schema (and so for the front end's types)."""

from __future__ import annotations

from rest_framework import serializers


class DashboardScopeSerializer(serializers.Serializer):
    all_zones = serializers.BooleanField()
    zone_ids = serializers.ListField(child=serializers.IntegerField(), allow_null=True)
    label = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.label


class DashboardZoneCountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    count = serializers.IntegerField()


class DashboardSectionCountSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="GB/T 4754 section letter")
    name = serializers.CharField()
    count = serializers.IntegerField()


class DashboardFirmsSerializer(serializers.Serializer):
    in_park = serializers.IntegerField()
    left_park = serializers.IntegerField()
    by_zone = DashboardZoneCountSerializer(many=True)
    by_section = DashboardSectionCountSerializer(many=True)
    unclassified = serializers.IntegerField(help_text="Firms in the park without an industry code")


class DashboardTitleCountSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Report line code (/highlights/{year}/firms/?line=&bucket=closing)")
    name = serializers.CharField()
    firms = serializers.IntegerField(help_text="Firms holding it today, in the park")
    headline = serializers.BooleanField()


class DashboardRenewalWindowSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    count = serializers.IntegerField(help_text="Certifications /certifications/?expires_within_days=N lists")


class DashboardFlagKindCountSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.label
    open = serializers.IntegerField()
    acknowledged = serializers.IntegerField()
    snoozed = serializers.IntegerField()


class DashboardFunnelRungSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    rung = serializers.IntegerField()
    holding = serializers.IntegerField()
    on_top = serializers.IntegerField()


class DashboardFunnelLadderSerializer(serializers.Serializer):
    ladder = serializers.CharField()
    name = serializers.CharField()
    rungs = DashboardFunnelRungSerializer(many=True)


class DashboardTrendPointSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    closing = serializers.IntegerField()
    new = serializers.IntegerField()


class DashboardTrendLineSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    headline = serializers.BooleanField()
    years = DashboardTrendPointSerializer(many=True)


class DashboardTrendSerializer(serializers.Serializer):
    # "from" is a Python keyword: declared through the fields mapping below.
    to = serializers.IntegerField()
    lines = DashboardTrendLineSerializer(many=True)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        return {"from": serializers.IntegerField(), **fields}


class DashboardSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    scope = DashboardScopeSerializer()
    firms = DashboardFirmsSerializer()
    titles = DashboardTitleCountSerializer(many=True)
    renewals = DashboardRenewalWindowSerializer(many=True)
    flags = DashboardFlagKindCountSerializer(many=True)
    funnel = DashboardFunnelLadderSerializer(many=True)
    trend = DashboardTrendSerializer()
