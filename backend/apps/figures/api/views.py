from __future__ import annotations

import json
from typing import Any

from django.http import FileResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core import audit
from apps.core.api.base import (
    PreconditionDestroyMixin,
    PreconditionUpdateMixin,
    ScopedQuerysetMixin,
    StableOrderingFilter,
    fields_version,
)
from apps.core.i18n import t
from apps.core.permissions import ADMIN, ENTERPRISE, STAFF
from apps.figures import selectors, services, uploads
from apps.figures.api.serializers import (
    AnnualFiguresSerializer,
    EvidenceFileSerializer,
    EvidenceUploadSerializer,
    FigureRejectSerializer,
    FigureVerifySerializer,
    MonthlyFiguresSerializer,
)
from apps.figures.filters import AnnualFiguresFilter, EvidenceFileFilter, MonthlyFiguresFilter
from apps.figures.models import EvidenceFile, FigureVersion
from apps.imports.export import ExportMixin, ExportNegotiation

REVIEWERS = frozenset({ADMIN, STAFF})


class _FiguresViewSet(
    PreconditionUpdateMixin,
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Enterprise users propose figures for their own firms and edit them while still proposed; staff and
    administrators enter verified figures directly, and verify or reject proposals. Nothing is deleted
    (so there is no DELETE route at all): a correction is a new version, and `versions/` lists them all."""

    write_roles = frozenset({ADMIN, STAFF, ENTERPRISE})
    action_write_roles = {"verify": REVIEWERS, "reject": REVIEWERS}
    # Edits, verify and reject honour If-Match (the ETag a read returned): a proposal changed meanwhile
    # is 409 `stale`, so nobody verifies or overwrites values they have not seen.
    precondition_actions = frozenset({"verify", "reject"})
    filter_backends = [DjangoFilterBackend, StableOrderingFilter]

    def _lock_for_precondition(self, instance: Any) -> None:
        # The services lock the firm before its figures; the same order here, or two writers deadlock.
        services.lock_firm_figures(instance)

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.figures_submit(
            model=serializer.figure_model,
            firm=serializer.validated_data["firm"],
            period=serializer.period(),
            values=serializer.values(),
            user=self.request.user,
            note=serializer.validated_data.get("note", ""),
        )

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.figures_update_proposal(
            figure=serializer.instance, values=serializer.values(), note=serializer.validated_data.get("note")
        )

    def _review_response(self, figure: FigureVersion) -> Response:
        return self._with_etag(Response(self.get_serializer(figure).data))

    @extend_schema(request=FigureVerifySerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk: str | None = None) -> Response:
        """Staff accept a proposal: rules and reports now use it; the previous verified version is superseded.
        With `If-Match`, a proposal edited since it was read is 409 `stale` and stays as it is."""
        self._check_precondition()
        figure = self.get_object()
        data = FigureVerifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        audit.set_reason(data.validated_data["reason"].strip())
        return self._review_response(
            services.figures_verify(figure=figure, user=request.user, note=data.validated_data["note"])
        )

    @extend_schema(request=FigureRejectSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        """Staff send a proposal back with a reason. It stays on record; the firm may submit again.
        With `If-Match`, a proposal edited since it was read is 409 `stale` and stays as it is."""
        self._check_precondition()
        figure = self.get_object()
        data = FigureRejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reason = data.validated_data["reason"].strip()
        audit.set_reason(reason)
        return self._review_response(services.figures_reject(figure=figure, user=request.user, reason=reason))

    @action(detail=True, methods=["get"], pagination_class=None)
    def versions(self, request: Request, pk: str | None = None) -> Response:
        """Every version of this firm's figures for the same period, newest first (a short, unpaginated list)."""
        figure = self.get_object()
        return Response(self.get_serializer(selectors.figure_versions(figure, user=request.user), many=True).data)


@extend_schema_view(versions=extend_schema(responses=AnnualFiguresSerializer(many=True)))
class AnnualFiguresViewSet(ExportMixin, _FiguresViewSet):
    """A firm's figures per fiscal year, every version kept. Enterprise users propose for their own firms and
    edit while still proposed; staff enter verified values directly, or verify / reject proposals.
    `?verified=true` lists only the current verified figures, which rules and reports use."""

    serializer_class = AnnualFiguresSerializer
    filterset_class = AnnualFiguresFilter
    ordering = ["firm_id", "-fiscal_year", "-version"]
    ordering_fields = [
        "id",
        "fiscal_year",
        "firm",
        "version",
        "created_at",
        "reviewed_at",
        "operating_revenue",
        "output_value",
    ]

    def scope(self, user: Any) -> Any:
        return selectors.annual_figures_visible_to(user)


@extend_schema_view(versions=extend_schema(responses=MonthlyFiguresSerializer(many=True)))
class MonthlyFiguresViewSet(ExportMixin, _FiguresViewSet):
    """A firm's year-to-date figures per month (the basis of 月度升规), with the same proposal and review flow
    as the annual figures."""

    serializer_class = MonthlyFiguresSerializer
    filterset_class = MonthlyFiguresFilter
    ordering = ["firm_id", "-year", "-month", "-version"]
    ordering_fields = ["id", "year", "month", "firm", "version", "created_at", "reviewed_at"]

    def scope(self, user: Any) -> Any:
        return selectors.monthly_figures_visible_to(user)


class DownloadRenderer(renderers.BaseRenderer):
    """Lets a download answer whatever the client accepts; errors on that route still render as JSON."""

    media_type = "*/*"
    format = "download"
    charset = None

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if isinstance(data, bytes):
            return data
        return json.dumps(data, ensure_ascii=False).encode()


class EvidenceFileViewSet(
    PreconditionDestroyMixin,
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Evidence files (certificates, audit reports, statements) of a firm, for a fiscal year or a certification.

    Upload with multipart/form-data. The type is detected from the content; a file whose content does not
    match its name is refused. Files are not edited (no PUT/PATCH): upload a new one. Staff delete any
    file in scope; an enterprise user deletes its own uploads only while they back no certification and
    the year's figures are not yet verified.
    """

    serializer_class = EvidenceFileSerializer
    filterset_class = EvidenceFileFilter
    filter_backends = [DjangoFilterBackend, StableOrderingFilter]
    parser_classes = [MultiPartParser, FormParser]
    write_roles = frozenset({ADMIN, STAFF, ENTERPRISE})
    ordering = ["-id"]
    ordering_fields = ["id", "uploaded_at", "fiscal_year", "size", "original_name"]

    def scope(self, user: Any) -> Any:
        return selectors.evidence_visible_to(user)

    def _version(self, instance: Any) -> str:
        # The file's own columns: a renamed firm or uploader does not make a held ETag stale.
        return fields_version(instance)

    @extend_schema(request={"multipart/form-data": EvidenceUploadSerializer}, responses={201: EvidenceFileSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Refuse an oversized body before reading it, from the declared length.
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
        if declared > uploads.max_upload_bytes() + 64 * 1024:
            raise uploads.too_large()
        data = EvidenceUploadSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        evidence = services.evidence_upload(
            firm=data.validated_data["firm"],
            upload=data.validated_data["file"],
            user=request.user,
            fiscal_year=data.validated_data["fiscal_year"],
            certification_id=data.validated_data["certification_id"],
            kind=data.validated_data["kind"],
            title=data.validated_data["title"],
        )
        return Response(self.get_serializer(evidence).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: EvidenceFile) -> None:
        services.evidence_delete(evidence=instance, user=self.request.user)

    @extend_schema(
        responses={
            (200, file_type.content_type): OpenApiResponse(OpenApiTypes.BINARY, description=file_type.label)
            for file_type in dict.fromkeys(uploads.EXTENSIONS.values())
        }
    )
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[renderers.JSONRenderer, DownloadRenderer],
        # An error on this route is JSON, whatever `?format=` or Accept asked for.
        content_negotiation_class=ExportNegotiation,
    )
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        """The stored file, as an attachment under its original name. Outside the caller's scope: 404."""
        evidence = self.get_object()
        try:
            handle = evidence.file.open("rb")
        except FileNotFoundError as exc:
            raise NotFound(
                t(
                    "文件内容已不在存储中，请联系管理员。",
                    "The file's content is missing from storage; contact an administrator.",
                )
            ) from exc
        response = FileResponse(
            handle, as_attachment=True, filename=evidence.original_name, content_type=evidence.content_type
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response
