from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from apps.core.api.filters import IdFilter
from apps.listing.models import Board, Bucket, CommitteeOutcome, ListingEvent, ListingStage
from apps.registry.models import Firm

S = ListingStage

# The SQL form of `stages.event_bucket`: which events count in which report bucket.
BUCKET_Q: dict[str, Q] = {
    Bucket.TUTORING: Q(stage__in=[S.TUTORING_FILED, S.TUTORING_ACCEPTED]),
    Bucket.IN_REVIEW: Q(stage__in=[S.APPLICATION_ACCEPTED, S.INQUIRY])
    | Q(stage=S.COMMITTEE, outcome=CommitteeOutcome.PENDING),
    Bucket.APPROVED: Q(stage=S.COMMITTEE, outcome=CommitteeOutcome.PASSED)
    | Q(stage__in=[S.REGISTRATION_SUBMITTED, S.REGISTRATION_EFFECTIVE, S.ISSUANCE]),
    Bucket.LISTED: Q(stage=S.LISTED),
}


class YearFilter(django_filters.NumberFilter):
    """A whole year; bounded, so that year=99999 is a 400 and not a failing date computation."""

    field_class = forms.IntegerField

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("min_value", 1900)
        kwargs.setdefault("max_value", 2999)
        super().__init__(**kwargs)


class ListingEventFilter(django_filters.FilterSet):
    firm = IdFilter(field_name="firm_id")
    stage = django_filters.MultipleChoiceFilter(choices=ListingStage.choices, label="Stage (repeat for several)")
    board = django_filters.ChoiceFilter(choices=Board.choices)
    outcome = django_filters.ChoiceFilter(choices=CommitteeOutcome.choices)
    year = YearFilter(field_name="date__year", label="Events dated in this year")
    date = django_filters.DateFromToRangeFilter()
    bucket = django_filters.ChoiceFilter(
        choices=Bucket.choices, method="filter_bucket", label="Report bucket of the event"
    )
    zone = IdFilter(field_name="firm__zone_id")
    zone_code = django_filters.CharFilter(field_name="firm__zone__code")
    out_of_order_override = django_filters.BooleanFilter()

    class Meta:
        model = ListingEvent
        fields = ["firm", "stage", "board", "outcome", "zone", "out_of_order_override"]

    def filter_bucket(self, queryset: QuerySet[ListingEvent], name: str, value: str) -> QuerySet[ListingEvent]:
        return queryset.filter(BUCKET_Q[value]) if value else queryset


class ListingStatusFirmFilter(django_filters.FilterSet):
    """Narrows the firms of /listing-status/; stage, bucket and board are applied to the derived status."""

    firm = IdFilter(field_name="id")
    zone = IdFilter(field_name="zone_id")
    zone_code = django_filters.CharFilter(field_name="zone__code")

    class Meta:
        model = Firm
        fields = ["firm", "zone"]
