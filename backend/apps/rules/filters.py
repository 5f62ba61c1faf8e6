from __future__ import annotations

import datetime as dt

import django_filters
from django.db.models import QuerySet

from apps.rules.models import RuleSet
from apps.rules.selectors import in_force_on


def _codes(value: str) -> list[str]:
    return [code.strip().upper() for code in value.split(",") if code.strip()]


class RuleSetFilter(django_filters.FilterSet):
    programme = django_filters.CharFilter(method="filter_programme", label="Programme code(s), comma-separated")
    code = django_filters.CharFilter(method="filter_code", label="Rule-set code(s), comma-separated")
    effective_on = django_filters.DateFilter(method="filter_effective_on", label="Rule sets in force on this day")
    builtin = django_filters.BooleanFilter()

    class Meta:
        model = RuleSet
        fields = ["builtin"]

    def filter_programme(self, queryset: QuerySet[RuleSet], name: str, value: str) -> QuerySet[RuleSet]:
        return queryset.filter(programme__code__in=_codes(value))

    def filter_code(self, queryset: QuerySet[RuleSet], name: str, value: str) -> QuerySet[RuleSet]:
        return queryset.filter(code__in=_codes(value))

    def filter_effective_on(self, queryset: QuerySet[RuleSet], name: str, value: dt.date) -> QuerySet[RuleSet]:
        return queryset.filter(in_force_on(value))
