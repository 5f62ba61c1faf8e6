from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from apps.core.api.filters import IdFilter
from apps.core.search import normalise_query
from apps.flags.models import (
    NON_FINAL_STATES,
    DeadlineCompletion,
    Flag,
    FlagKind,
    FlagState,
    JobName,
    JobRun,
    JobState,
    Notification,
    Severity,
)
from apps.registry.models import Zone


def _codes(value: str) -> list[str]:
    return [code.strip().upper() for code in value.split(",") if code.strip()]


class FlagFilter(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=FlagKind.choices, label="Kind (repeat for several)")
    state = django_filters.MultipleChoiceFilter(choices=FlagState.choices, label="State (repeat for several)")
    open = django_filters.BooleanFilter(method="filter_open", label="Not closed: open, acknowledged or snoozed")
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices)
    programme = django_filters.CharFilter(method="filter_programme", label="Programme code(s), comma-separated")
    zone = django_filters.ModelMultipleChoiceFilter(field_name="firm__zone", queryset=Zone.objects.all())
    zone_code = django_filters.CharFilter(field_name="firm__zone__code")
    firm = IdFilter(field_name="firm_id")
    q = django_filters.CharFilter(method="filter_q", label="Firm name substring or USCC 企业名称或信用代码")
    subject = django_filters.CharFilter()
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte", label="Due on or before")
    due_after = django_filters.DateFilter(field_name="due_date", lookup_expr="gte", label="Due on or after")
    ladder_point = IdFilter()

    class Meta:
        model = Flag
        fields = ["kind", "state", "severity", "firm", "subject", "ladder_point"]

    def filter_open(self, queryset: QuerySet[Flag], name: str, value: bool | None) -> QuerySet[Flag]:
        if value is None:
            return queryset
        return queryset.filter(state__in=NON_FINAL_STATES) if value else queryset.exclude(state__in=NON_FINAL_STATES)

    def filter_programme(self, queryset: QuerySet[Flag], name: str, value: str) -> QuerySet[Flag]:
        return queryset.filter(programme_code__in=_codes(value))

    def filter_q(self, queryset: QuerySet[Flag], name: str, value: str) -> QuerySet[Flag]:
        text = normalise_query(value)
        if not text:
            return queryset
        return queryset.filter(Q(firm__name__icontains=text) | Q(firm__uscc__icontains=text))


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull", label="Only unread (true)")
    topic = django_filters.CharFilter()

    class Meta:
        model = Notification
        fields = ["topic"]


class JobRunFilter(django_filters.FilterSet):
    job = django_filters.MultipleChoiceFilter(choices=JobName.choices)
    state = django_filters.MultipleChoiceFilter(choices=JobState.choices)

    class Meta:
        model = JobRun
        fields = ["job", "state"]


class IntegerFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class DeadlineCompletionFilter(django_filters.FilterSet):
    firm = IdFilter(field_name="firm_id")
    deadline = IdFilter(field_name="deadline_id")
    year = IntegerFilter(min_value=1949, max_value=2099)
    programme = django_filters.CharFilter(method="filter_programme")

    class Meta:
        model = DeadlineCompletion
        fields = ["firm", "deadline", "year"]

    def filter_programme(
        self, queryset: QuerySet[DeadlineCompletion], name: str, value: str
    ) -> QuerySet[DeadlineCompletion]:
        return queryset.filter(deadline__programme__code__in=_codes(value))
