from __future__ import annotations

import unicodedata

import django_filters
from django.db.models import Q, QuerySet

from apps.core import clock
from apps.core.api.filters import IdFilter, RepeatedCharFilter
from apps.core.search import grams_are_exact, normalise_query, query_grams
from apps.registry.models import Contact, Firm, Industry, JournalEntry, Zone


def _industry_prefix(value: str) -> str:
    """Accepts C, C35, 35, C3511 or 3511 and returns the stored prefix (section letter first)."""
    code = unicodedata.normalize("NFKC", value).strip().upper()
    if code and code[0].isdigit():
        section = (
            Industry.objects.filter(code__endswith=code, level=len(code)).values_list("section", flat=True).first()
        )
        return f"{section}{code}" if section else f"?{code}"
    return code


class FirmFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Name substring or USCC 名称或信用代码")
    uscc = django_filters.CharFilter(method="filter_uscc", label="Exact USCC 统一社会信用代码")
    # A firm has one zone, so the filter cannot repeat rows: no DISTINCT (which sorts every matching row, all columns).
    zone = django_filters.ModelMultipleChoiceFilter(queryset=Zone.objects.all(), distinct=False)
    zone_code = django_filters.CharFilter(field_name="zone__code")
    industry = django_filters.CharFilter(
        method="filter_industry", label="Industry code at any level: C, C35, C351, C3511"
    )
    industry_section = django_filters.CharFilter(method="filter_industry", label="Section letter, e.g. C")
    industry_division = django_filters.CharFilter(method="filter_industry", label="Division, e.g. 35 or C35")
    industry_class = django_filters.CharFilter(method="filter_industry", label="Class, e.g. 3511 or C3511")
    tag = RepeatedCharFilter(method="filter_tag", label="Carries this tag (repeat for all of several)")
    in_park = django_filters.BooleanFilter(method="filter_in_park", label="In the park today")
    registration_date = django_filters.DateFromToRangeFilter()
    assigned_staff = IdFilter(field_name="assigned_staff_id")
    legal_form = django_filters.CharFilter()

    class Meta:
        model = Firm
        fields = ["zone", "legal_form", "assigned_staff"]

    def filter_q(self, queryset: QuerySet[Firm], name: str, value: str) -> QuerySet[Firm]:
        text = normalise_query(value)
        if not text:
            return queryset
        # The grams narrow through the GIN index; the substring test removes false candidates.
        candidates = queryset.filter(search_grams__contains=query_grams(text))
        if grams_are_exact(text):
            # No false candidates to remove; without the redundant test the planner's row estimate stays
            # right, so a common word walks the id order and stops at the page instead of sorting thousands.
            return candidates
        return candidates.filter(Q(name__icontains=text) | Q(uscc__icontains=text))

    def filter_uscc(self, queryset: QuerySet[Firm], name: str, value: str) -> QuerySet[Firm]:
        from apps.registry.uscc import normalise

        return queryset.filter(uscc=normalise(value))

    def filter_industry(self, queryset: QuerySet[Firm], name: str, value: str) -> QuerySet[Firm]:
        return queryset.filter(industry__code__startswith=_industry_prefix(value))

    def filter_tag(self, queryset: QuerySet[Firm], name: str, value: str) -> QuerySet[Firm]:
        tags = self.request.query_params.getlist("tag") if self.request is not None else [value]
        return queryset.filter(tags__contains=[t.strip() for t in tags if t.strip()])

    def filter_in_park(self, queryset: QuerySet[Firm], name: str, value: bool | None) -> QuerySet[Firm]:
        if value is None:
            return queryset
        today = clock.today()
        inside = Q(left_park_on__isnull=True) | Q(left_park_on__gt=today)
        return queryset.filter(inside) if value else queryset.exclude(inside)


class IndustryFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Code prefix or name substring")
    level = IdFilter()
    section = django_filters.CharFilter()
    parent = django_filters.CharFilter(field_name="parent_id")

    class Meta:
        model = Industry
        fields = ["level", "section", "parent"]

    def filter_q(self, queryset: QuerySet[Industry], name: str, value: str) -> QuerySet[Industry]:
        text = unicodedata.normalize("NFKC", value).strip()
        if not text:
            return queryset
        return queryset.filter(Q(code__istartswith=text) | Q(code__endswith=text.upper()) | Q(name__icontains=text))


class ContactFilter(django_filters.FilterSet):
    firm = IdFilter(field_name="firm_id")

    class Meta:
        model = Contact
        fields = ["firm", "is_primary"]


class JournalFilter(django_filters.FilterSet):
    date = django_filters.DateFromToRangeFilter()
    firm = IdFilter(field_name="firm_id")
    author = IdFilter(field_name="author_id")

    class Meta:
        model = JournalEntry
        fields = ["firm", "kind", "author"]
