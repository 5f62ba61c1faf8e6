from __future__ import annotations

import django_filters
from django import forms
from django.db.models import QuerySet

from apps.highlights.models import PublishedReport


class IntegerFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class PublishedReportFilter(django_filters.FilterSet):
    year = IntegerFilter()
    zone = IntegerFilter(method="filter_zone", label="Reports covering this zone (id); whole-park reports included")
    whole_park = django_filters.BooleanFilter(method="filter_whole_park", label="Only whole-park reports (or none)")

    class Meta:
        model = PublishedReport
        fields = ["year", "scope_key"]

    def filter_zone(self, queryset: QuerySet[PublishedReport], name: str, value: int) -> QuerySet[PublishedReport]:
        return queryset.filter(zone_ids__contains=[value]) | queryset.filter(zone_ids=[])

    def filter_whole_park(
        self, queryset: QuerySet[PublishedReport], name: str, value: bool
    ) -> QuerySet[PublishedReport]:
        return queryset.filter(zone_ids=[]) if value else queryset.exclude(zone_ids=[])
