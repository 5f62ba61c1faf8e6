from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core import audit
from apps.core.api.base import ScopedModelViewSet
from apps.core.permissions import ADMIN
from apps.imports.export import ExportMixin
from apps.programmes import selectors, services
from apps.programmes.api.serializers import (
    CertificationRenewSerializer,
    CertificationRevokeSerializer,
    CertificationSerializer,
    ProgrammeDeadlineSerializer,
    ProgrammeSerializer,
)
from apps.programmes.filters import CertificationFilter, ProgrammeDeadlineFilter, ProgrammeFilter
from apps.programmes.models import Certification, Programme


class ProgrammeViewSet(ScopedModelViewSet):
    """The programme catalogue (SPEC §3.1) with each programme's yearly deadlines. Administrators edit it.

    Shipped programmes cannot be deleted or re-coded (switch them off with `active`); a local
    programme can be deleted while nobody holds it.
    """

    serializer_class = ProgrammeSerializer
    filterset_class = ProgrammeFilter
    write_roles = frozenset({ADMIN})
    ordering = ["ladder", "rung", "code"]
    ordering_fields = ["id", "code", "ladder", "rung"]

    def scope(self, user: Any) -> Any:
        return selectors.programmes_visible_to(user)

    def perform_destroy(self, instance: Programme) -> None:
        services.programme_delete(programme=instance)


class ProgrammeDeadlineViewSet(ScopedModelViewSet):
    """Yearly deadlines: application windows, annual reports, data updates. `?year=` filters and dates them."""

    serializer_class = ProgrammeDeadlineSerializer
    filterset_class = ProgrammeDeadlineFilter
    write_roles = frozenset({ADMIN})
    ordering = ["programme__code", "month", "day", "id"]
    ordering_fields = ["id", "month", "day"]

    def scope(self, user: Any) -> Any:
        return selectors.deadlines_visible_to(user)


class CertificationViewSet(ExportMixin, ScopedModelViewSet):
    """Certifications: one award of a programme to a firm.

    Validity dates are derived from the programme's rule unless given; `state` is derived as of
    today. Two certifications of one firm, programme and level never overlap (409). Renew with
    `POST …/renew/` (the old one is superseded from the new one's first day) and revoke with
    `POST …/revoke/`.
    """

    serializer_class = CertificationSerializer
    filterset_class = CertificationFilter
    ordering = ["id"]
    ordering_fields = ["id", "certificate_date", "valid_from", "valid_until", "firm"]

    def scope(self, user: Any) -> Any:
        return selectors.certifications_for_listing(user)

    def _fresh(self, cert: Certification) -> Certification:
        fresh: Certification = self.get_queryset().get(pk=cert.pk)
        return fresh

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = self._fresh(serializer.save())

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = self._fresh(serializer.save())

    def perform_destroy(self, instance: Certification) -> None:
        services.certification_delete(certification=instance)

    @extend_schema(request=CertificationRevokeSerializer, responses={200: CertificationSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        """Revoke from a date: the certification counts up to the day before, and never again."""
        cert = self.get_object()
        data = CertificationRevokeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        audit.set_reason(data.validated_data["reason"])
        services.certification_revoke(
            certification=cert, date=data.validated_data["date"], reason=data.validated_data["reason"]
        )
        return Response(self.get_serializer(self._fresh(cert)).data)

    @extend_schema(request=CertificationRenewSerializer, responses={201: CertificationSerializer})
    @action(detail=True, methods=["post"])
    def renew(self, request: Request, pk: str | None = None) -> Response:
        """Record the successor (new certificate date and number); this one is superseded from its first day."""
        cert = self.get_object()
        data = CertificationRenewSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = data.validated_data
        successor = services.certification_renew(
            certification=cert,
            certificate_date=values["certificate_date"],
            number=values["number"],
            batch=values["batch"],
            level=values.get("level", ""),
            entry_route=values["entry_route"],
            valid_from=values.get("valid_from"),
            valid_until=values.get("valid_until"),
            notes=values["notes"],
            created_by=request.user,
        )
        return Response(self.get_serializer(self._fresh(successor)).data, status=status.HTTP_201_CREATED)
