from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet

from apps.core.api.filters import IdFilter
from apps.figures.models import AnnualFigures, EvidenceFile, EvidenceKind, FigureSource, FigureState, MonthlyFigures


class _FigureFilter(django_filters.FilterSet):
    firm = IdFilter(field_name="firm_id")
    zone = IdFilter(field_name="firm__zone_id", label="Zone id 园区片区")
    state = django_filters.MultipleChoiceFilter(choices=FigureState.choices)
    source = django_filters.ChoiceFilter(choices=FigureSource.choices)
    verified = django_filters.BooleanFilter(
        method="filter_verified",
        label="true: only the current verified figures (what rules and reports use); false: everything else",
    )

    def filter_verified(self, queryset: QuerySet[Any], name: str, value: bool | None) -> QuerySet[Any]:
        if value is None:
            return queryset
        if value:
            return queryset.filter(state=FigureState.VERIFIED)
        return queryset.exclude(state=FigureState.VERIFIED)


class AnnualFiguresFilter(_FigureFilter):
    fiscal_year = IdFilter()
    fiscal_year_min = IdFilter(field_name="fiscal_year", lookup_expr="gte")
    fiscal_year_max = IdFilter(field_name="fiscal_year", lookup_expr="lte")

    class Meta:
        model = AnnualFigures
        fields = ["firm", "zone", "fiscal_year", "state", "source", "verified"]


class MonthlyFiguresFilter(_FigureFilter):
    year = IdFilter()
    month = IdFilter()

    class Meta:
        model = MonthlyFigures
        fields = ["firm", "zone", "year", "month", "state", "source", "verified"]


class EvidenceFileFilter(django_filters.FilterSet):
    firm = IdFilter(field_name="firm_id")
    zone = IdFilter(field_name="firm__zone_id")
    fiscal_year = IdFilter()
    certification_id = IdFilter()
    kind = django_filters.ChoiceFilter(choices=EvidenceKind.choices)
    sha256 = django_filters.CharFilter()

    class Meta:
        model = EvidenceFile
        fields = ["firm", "zone", "fiscal_year", "certification_id", "kind", "sha256"]
