from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core import audit
from apps.core.api.base import ScopedModelViewSet, ScopedReadOnlyViewSet
from apps.core.i18n import t
from apps.imports.export import ExportMixin
from apps.listing import selectors, services
from apps.listing.api.serializers import (
    ListingEventSerializer,
    ListingStatusQuerySerializer,
    ListingStatusSerializer,
)
from apps.listing.filters import ListingEventFilter, ListingStatusFirmFilter
from apps.listing.models import ListingEvent
from apps.listing.stages import ListingStatus
from apps.registry.models import Firm


class ListingDeleteQuerySerializer(serializers.Serializer):
    override = serializers.BooleanField(
        required=False, default=False, help_text="Delete although later stages rest on this one; needs a reason."
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


@extend_schema_view(destroy=extend_schema(parameters=[ListingDeleteQuerySerializer]))
class ListingEventViewSet(ExportMixin, ScopedModelViewSet):
    """Dated stage events of the listing pipeline (入库 → … → 上市), recorded by park staff.

    Enterprise users read their own firm's events. An event that breaks the stage order is refused
    unless `override` is true and a `reason` is given; the event then carries `out_of_order_override`.
    """

    serializer_class = ListingEventSerializer
    filterset_class = ListingEventFilter
    ordering = ["-date", "-id"]
    ordering_fields = ["id", "date", "created_at", "updated_at"]

    def scope(self, user: Any) -> Any:
        return selectors.listing_events_visible_to(user)

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        override = data.pop("override", False)
        serializer.instance = services.listing_event_create(recorded_by=self.request.user, override=override, **data)

    def perform_update(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        override = data.pop("override", False)
        data.pop("firm", None)  # the serializer refused a different firm; the same one is no change
        serializer.instance = services.listing_event_update(event=serializer.instance, override=override, **data)

    def perform_destroy(self, instance: ListingEvent) -> None:
        query = ListingDeleteQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        reason = query.validated_data["reason"].strip()
        audit.set_reason(reason)
        if query.validated_data["override"] and not audit.current().reason:
            raise serializers.ValidationError(
                {"reason": [t("强制删除时必须填写原因。", "A reason is required to delete with override.")]}
            )
        services.listing_event_delete(event=instance, override=query.validated_data["override"])


@dataclass(frozen=True)
class StatusRow:
    firm: Firm
    status: ListingStatus


_STATUS_PARAMETERS = [
    OpenApiParameter("on", OpenApiTypes.DATE, description="Status on this day (default: today), e.g. 2022-12-31."),
    OpenApiParameter("stage", OpenApiTypes.STR, many=True, description="Current stage (repeat for several)."),
    OpenApiParameter("bucket", OpenApiTypes.STR, many=True, description="tutoring, in_review, approved or listed."),
    OpenApiParameter("board", OpenApiTypes.STR, description="main, chinext, star or bse."),
]


@extend_schema_view(
    list=extend_schema(parameters=_STATUS_PARAMETERS),
    retrieve=extend_schema(parameters=_STATUS_PARAMETERS[:1]),
)
class ListingStatusViewSet(ScopedReadOnlyViewSet):
    """Where each firm stands in the listing pipeline: one row per firm with events, keyed by firm id.

    The stage is the furthest stage of the firm's latest run; a withdrawn or terminated run has no
    bucket, a failed committee is not 过审待发, and 新增上市 holds a listing only in its own year.
    """

    serializer_class = ListingStatusSerializer
    filterset_class = ListingStatusFirmFilter
    ordering_fields = ["id", "name"]

    def scope(self, user: Any) -> Any:
        return selectors.firms_in_pipeline_visible_to(user)

    def _query(self) -> dict[str, Any]:
        query = ListingStatusQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return dict(query.validated_data)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        query = self._query()
        firms = self.filter_queryset(self.get_queryset())
        statuses = selectors.listing_statuses(firms, on=query.get("on"))
        stages, buckets, board = query.get("stage"), query.get("bucket"), query.get("board")
        rows = [
            StatusRow(firm, status)
            for firm in firms
            if (status := statuses.get(firm.pk)) is not None
            and (not stages or status.stage in stages)
            and (not buckets or status.bucket in buckets)
            and (not board or status.board == board)
        ]
        # The paginator pages any sequence; the status is derived in Python, so the rows are a list.
        page: list[StatusRow] | None = self.paginate_queryset(rows)  # type: ignore[arg-type]
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        query = self._query()
        firm = self.get_object()
        status = selectors.listing_status(firm, on=query.get("on"))
        if status is None:
            raise NotFound(
                t("该企业在此日期之前没有上市进程事件。", "The firm has no listing events on or before that day.")
            )
        return Response(self.get_serializer(StatusRow(firm, status)).data)
