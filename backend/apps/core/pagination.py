from django.conf import settings
from django.core.paginator import Paginator
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination

from apps.core.datacache import cached_on_data


class DataCachedCountPaginator(Paginator):
    """A Paginator whose total count is cached under the data version (apps.core.datacache): paging
    through a list of 200,000 firms counts them once per change, not once per page."""

    @cached_property
    def count(self) -> int:
        query = getattr(self.object_list, "query", None)
        if query is None:
            return super().count
        try:
            sql, params = query.sql_with_params()
        except Exception:  # noqa: BLE001 - an empty result set and the like: count it the usual way
            return super().count
        return cached_on_data(("count", sql, repr(params)), lambda: Paginator.count.func(self))  # type: ignore[attr-defined]


class StandardPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = settings.SEEDBED_MAX_PAGE_SIZE
    django_paginator_class = DataCachedCountPaginator
