from __future__ import annotations

import json
from typing import Any

from django.http import FileResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core import audit
from apps.core.api.base import ScopedQuerysetMixin, StableOrderingFilter
from apps.core.i18n import t
from apps.core.permissions import ADMIN, STAFF
from apps.figures import uploads
from apps.imports import selectors, services
from apps.imports.api.serializers import ImportCommitSerializer, ImportJobSerializer, ImportUploadSerializer
from apps.imports.export import XLSX_TYPE, ExportNegotiation
from apps.imports.filters import ImportJobFilter
from apps.imports.models import ImportJob, ImportStatus

IMPORTERS = frozenset({ADMIN, STAFF})


class WorkbookRenderer(renderers.BaseRenderer):
    """Lets the download answer a client that asks for a workbook; errors on that route still render as JSON."""

    media_type = XLSX_TYPE
    format = "xlsx"
    charset = None

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if isinstance(data, bytes):
            return data
        return json.dumps(data, ensure_ascii=False).encode()


class ImportJobViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Import firms, certifications (recognition lists), annual or monthly figures from XLSX or CSV.

    1. `POST /imports/` (multipart: `file`, `kind`, for certifications `programme` and `level`) keeps the file
       and runs a dry run: the answer counts the rows to create, to update, unchanged and in error. A small
       file is checked at once (201); a large one in the background (202), with `progress` on the job.
    2. When rows fail, `error_workbook_url` gives the sheet back with an error column; fix and upload again.
    3. `POST /imports/{id}/commit/` writes every row in one transaction, or nothing. Committing a job with
       errors is refused (409); committing twice changes nothing the second time.

    Staff see the jobs they uploaded, administrators all; enterprise users and viewers cannot import.
    See docs/imports.md for the columns.
    """

    serializer_class = ImportJobSerializer
    filterset_class = ImportJobFilter
    filter_backends = [DjangoFilterBackend, StableOrderingFilter]
    parser_classes = [MultiPartParser, FormParser]  # the upload; commit takes JSON
    read_roles = IMPORTERS
    write_roles = IMPORTERS
    ordering = ["-id"]
    ordering_fields = ["id", "created_at", "status"]

    def scope(self, user: Any) -> Any:
        return selectors.import_jobs_visible_to(user)

    def _answer(self, job: ImportJob, code: int) -> Response:
        return Response(self.get_serializer(job).data, status=code)

    @extend_schema(
        request={"multipart/form-data": ImportUploadSerializer},
        responses={201: ImportJobSerializer, 202: ImportJobSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Refuse an oversized body before reading it, from the declared length.
        if int(request.META.get("CONTENT_LENGTH") or 0) > uploads.max_upload_bytes() + 64 * 1024:
            raise uploads.too_large()
        data = ImportUploadSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = data.validated_data
        job = services.import_job_create(
            user=request.user,
            upload=values["file"],
            kind=values["kind"],
            programme=values.get("programme"),
            level=values.get("level", ""),
            reason=audit.current().reason,
        )
        return self._answer(job, status.HTTP_202_ACCEPTED if job.status == ImportStatus.QUEUED else 201)

    @extend_schema(
        request=ImportCommitSerializer,
        responses={200: ImportJobSerializer, 202: ImportJobSerializer, 409: OpenApiResponse(OpenApiTypes.OBJECT)},
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser])
    def commit(self, request: Request, pk: str | None = None) -> Response:
        """Write the checked rows, all or nothing. 200 when done, 202 when it runs in the background."""
        job = self.get_object()
        data = ImportCommitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = services.import_commit_start(job=job, user=request.user, reason=audit.current().reason)
        if job.status == ImportStatus.INVALID:
            # Rows failed at commit (the data changed since the dry run). Answered, not raised: the job's
            # new errors must be saved while everything the commit tried is rolled back.
            body = {
                "code": "conflict",
                "message": str(
                    t(
                        f"数据在检查之后发生了变化，有 {job.error_rows} 行出错，未导入任何数据。",
                        f"The data changed after the dry run: {job.error_rows} rows fail now; nothing was imported.",
                    )
                ),
                "errors": {},
                "job": self.get_serializer(job).data,
            }
            return Response(body, status=status.HTTP_409_CONFLICT)
        if job.status == ImportStatus.FAILED:
            body = {"code": "conflict", "message": self.get_serializer(job).data["message"], "errors": {}}
            return Response(body, status=status.HTTP_409_CONFLICT)
        code = status.HTTP_200_OK if job.status == ImportStatus.COMMITTED else status.HTTP_202_ACCEPTED
        return self._answer(job, code)

    @extend_schema(responses={(200, XLSX_TYPE): OpenApiResponse(OpenApiTypes.BINARY)})
    @action(
        detail=True,
        methods=["get"],
        url_path="error-workbook",
        renderer_classes=[renderers.JSONRenderer, WorkbookRenderer],
        # An error on this route is JSON, whatever `?format=` or Accept asked for.
        content_negotiation_class=ExportNegotiation,
    )
    def error_workbook(self, request: Request, pk: str | None = None) -> FileResponse:
        """The uploaded sheet (always XLSX) with the column 错误原因 / Error filled for every bad row."""
        job = self.get_object()
        if not job.error_workbook or not job.error_rows:
            raise NotFound(t("这次导入没有错误行。", "This import has no rows in error."))
        try:
            handle = job.error_workbook.open("rb")
        except FileNotFoundError as exc:
            raise NotFound(t("文件已不在存储中。", "The file is missing from storage.")) from exc
        stem = job.original_name.rsplit(".", 1)[0]
        suffix = "-errors" if job.language.startswith("en") else "-错误"
        return FileResponse(handle, as_attachment=True, filename=f"{stem}{suffix}.xlsx", content_type=XLSX_TYPE)
