from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from apps.core.api.filters import IdFilter
from apps.programmes import selectors
from apps.programmes.models import (
    Certification,
    CertificationState,
    DeadlineKind,
    EntryRoute,
    Ladder,
    Level,
    Programme,
    ProgrammeDeadline,
)
from apps.registry.models import Zone


class IntegerFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


def _codes(value: str) -> list[str]:
    return [code.strip().upper() for code in value.split(",") if code.strip()]


class ProgrammeFilter(django_filters.FilterSet):
    code = django_filters.CharFilter(method="filter_code", label="Programme code(s), comma-separated")
    ladder = django_filters.ChoiceFilter(choices=Ladder.choices)
    level = django_filters.ChoiceFilter(choices=Level.choices, method="filter_level", label="Offers this level")
    active = django_filters.BooleanFilter()
    builtin = django_filters.BooleanFilter()

    class Meta:
        model = Programme
        fields = ["ladder", "active", "builtin", "validity_kind"]

    def filter_code(self, queryset: QuerySet[Programme], name: str, value: str) -> QuerySet[Programme]:
        return queryset.filter(code__in=_codes(value))

    def filter_level(self, queryset: QuerySet[Programme], name: str, value: str) -> QuerySet[Programme]:
        return queryset.filter(levels__contains=[value])


class ProgrammeDeadlineFilter(django_filters.FilterSet):
    programme = django_filters.CharFilter(method="filter_programme", label="Programme code(s), comma-separated")
    kind = django_filters.ChoiceFilter(choices=DeadlineKind.choices)
    year = IntegerFilter(method="filter_year", min_value=1949, max_value=2099, label="Entries that apply in this year")

    class Meta:
        model = ProgrammeDeadline
        fields = ["kind"]

    def filter_programme(
        self, queryset: QuerySet[ProgrammeDeadline], name: str, value: str
    ) -> QuerySet[ProgrammeDeadline]:
        return queryset.filter(programme__code__in=_codes(value))

    def filter_year(self, queryset: QuerySet[ProgrammeDeadline], name: str, value: int) -> QuerySet[ProgrammeDeadline]:
        return queryset.filter(Q(first_year__isnull=True) | Q(first_year__lte=value)).filter(
            Q(last_year__isnull=True) | Q(last_year__gte=value)
        )


class CertificationFilter(django_filters.FilterSet):
    programme = django_filters.CharFilter(
        method="filter_programme", label="Programme code(s), comma-separated, e.g. SRDI,LITTLE_GIANT"
    )
    level = django_filters.ChoiceFilter(choices=Level.choices)
    firm = IdFilter(field_name="firm_id")
    zone = django_filters.ModelMultipleChoiceFilter(field_name="firm__zone", queryset=Zone.objects.all())
    zone_code = django_filters.CharFilter(field_name="firm__zone__code")
    state = django_filters.MultipleChoiceFilter(
        choices=CertificationState.choices, label="State today (repeat for several)"
    )
    entry_route = django_filters.ChoiceFilter(choices=EntryRoute.choices)
    certificate_year = IntegerFilter(field_name="certificate_date__year", min_value=1949, max_value=2099)
    certificate_date = django_filters.DateFromToRangeFilter()
    valid_on = django_filters.DateFilter(
        method="filter_valid_on", label="Counts on this day (revocations and renewals applied)"
    )
    expires_within_days = IntegerFilter(
        method="filter_expires_within",
        min_value=0,
        max_value=3650,
        label="Valid now, ends within N days, not revoked, and no successor yet",
    )
    expired_without_successor = django_filters.BooleanFilter(
        method="filter_expired_without_successor",
        label="Ran out (not revoked) and neither renewed nor followed by a later certification of the programme",
    )
    renews = IdFilter(field_name="renews_id")

    class Meta:
        model = Certification
        fields = ["firm", "level", "entry_route", "renews"]

    def filter_programme(self, queryset: QuerySet[Certification], name: str, value: str) -> QuerySet[Certification]:
        return queryset.filter(programme__code__in=_codes(value))

    def filter_valid_on(self, queryset: QuerySet[Certification], name: str, value: dt.date) -> QuerySet[Certification]:
        return selectors.certifications_valid_on(value, queryset)

    def filter_expires_within(
        self, queryset: QuerySet[Certification], name: str, value: int | None
    ) -> QuerySet[Certification]:
        if value is None:
            return queryset
        return selectors.certifications_expiring_within(value, queryset)

    def filter_expired_without_successor(
        self, queryset: QuerySet[Certification], name: str, value: bool | None
    ) -> QuerySet[Certification]:
        if value is None:
            return queryset
        matching = selectors.certifications_expired_without_successor(queryset)
        return matching if value else queryset.exclude(pk__in=matching.values("pk"))
