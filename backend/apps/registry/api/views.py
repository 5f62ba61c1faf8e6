from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core import audit
from apps.core.api.base import ScopedModelViewSet, ScopedReadOnlyViewSet
from apps.core.permissions import ADMIN, ENTERPRISE, STAFF, VIEWER
from apps.imports.export import ExportMixin
from apps.registry import selectors, services
from apps.registry.api.serializers import (
    ChangeSerializer,
    ContactSerializer,
    FirmDetailSerializer,
    FirmLeaveSerializer,
    FirmSerializer,
    IndustrySerializer,
    JournalEntrySerializer,
    ZoneSerializer,
)
from apps.registry.filters import ContactFilter, FirmFilter, IndustryFilter, JournalFilter
from apps.registry.models import Firm, JournalEntry
from apps.registry.timeline import TimelineItem, TimelineItemSerializer, firm_timeline


class ZoneViewSet(ScopedModelViewSet):
    serializer_class = ZoneSerializer
    write_roles = frozenset({ADMIN})
    ordering_fields = ["id", "code", "name"]

    def scope(self, user: Any) -> Any:
        return selectors.zones_visible_to(user)


class IndustryViewSet(ScopedReadOnlyViewSet):
    """GB/T 4754-2017 industry classification. `q` searches code prefixes and names."""

    serializer_class = IndustrySerializer
    filterset_class = IndustryFilter
    lookup_field = "code"
    ordering = ["code"]
    ordering_fields = ["code"]

    def scope(self, user: Any) -> Any:
        return selectors.industries_visible_to(user)


class FirmViewSet(ExportMixin, ScopedModelViewSet):
    """The firm registry. Leaving the park sets a date; only administrators erase, and only unreferenced firms."""

    filterset_class = FirmFilter
    ordering_fields = ["id", "name", "uscc", "registration_date", "entered_park_on", "created_at", "updated_at"]
    action_write_roles = {"destroy": frozenset({ADMIN})}

    def scope(self, user: Any) -> Any:
        return selectors.firms_for_listing(user)

    def get_serializer_class(self) -> Any:
        if self.action in ("retrieve", "create", "update", "partial_update", "leave"):
            return FirmDetailSerializer
        return FirmSerializer

    def perform_destroy(self, instance: Firm) -> None:
        services.firm_delete(firm=instance)

    @extend_schema(request=FirmLeaveSerializer, responses={200: FirmDetailSerializer})
    @action(detail=True, methods=["post"])
    def leave(self, request: Request, pk: str | None = None) -> Response:
        """Record that the firm left the park (moved out or deregistered). Nothing is erased."""
        firm = self.get_object()
        data = FirmLeaveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        audit.set_reason(data.validated_data["reason"])
        probe = FirmSerializer(
            firm,
            data={"left_park_on": data.validated_data["date"]},
            partial=True,
            context=self.get_serializer_context(),
        )
        probe.is_valid(raise_exception=True)
        services.firm_leave_park(
            firm=firm,
            date=data.validated_data["date"],
            kind=data.validated_data["kind"],
            note=data.validated_data["note"],
        )
        return Response(FirmDetailSerializer(firm, context=self.get_serializer_context()).data)

    @extend_schema(
        responses={200: ChangeSerializer(many=True)},
        parameters=[
            OpenApiParameter(
                "messages",
                OpenApiTypes.BOOL,
                description="Include the notifications and outbox messages sent about the firm's flags"
                " (park staff only; default: left out, they would bury the changes).",
            )
        ],
    )
    @action(detail=True, methods=["get"])
    def history(self, request: Request, pk: str | None = None) -> Response:
        """Every change to the firm and its contacts, links, notes, titles, figures and flags: who, when,
        from where, why, before and after."""
        firm = self.get_object()
        messages = request.query_params.get("messages", "").lower() in ("1", "true", "yes")
        page = self.paginate_queryset(selectors.firm_history(firm=firm, user=request.user, messages=messages))
        return self.get_paginated_response(ChangeSerializer(page, many=True).data)

    @extend_schema(responses={200: TimelineItemSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def timeline(self, request: Request, pk: str | None = None) -> Response:
        """What happened to the firm, newest first: certifications awarded, renewed and revoked, listing
        events, figures verified, and (for park staff) journal entries. One query per source."""
        firm = self.get_object()
        # The paginator pages any sequence; the items come from several tables, so they are a list.
        page: list[TimelineItem] | None = self.paginate_queryset(firm_timeline(firm=firm, user=request.user))  # type: ignore[arg-type]
        return self.get_paginated_response(TimelineItemSerializer(page, many=True).data)


class ContactViewSet(ScopedModelViewSet):
    """A firm's contact people. Enterprise users maintain their own firm's contacts."""

    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    write_roles = frozenset({ADMIN, STAFF, ENTERPRISE})

    def scope(self, user: Any) -> Any:
        return selectors.contacts_visible_to(user)


class JournalViewSet(ScopedModelViewSet):
    """Visit and service notes (走访记录), internal to park staff."""

    serializer_class = JournalEntrySerializer
    filterset_class = JournalFilter
    read_roles = frozenset({ADMIN, STAFF, VIEWER})
    ordering = ["-date", "-id"]
    ordering_fields = ["id", "date", "created_at"]

    def scope(self, user: Any) -> Any:
        return selectors.journal_visible_to(user)

    def perform_create(self, serializer: Any) -> None:
        serializer.save(author=self.request.user)

    def perform_destroy(self, instance: JournalEntry) -> None:
        instance.delete()
