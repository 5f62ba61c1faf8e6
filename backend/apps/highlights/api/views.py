"""The highlights API.

- `/highlights/{year}/?zone=` — the live report; `/highlights/{year}/lines/{code}/firms/?bucket=new`
  (or `/highlights/{year}/firms/?line=HNTE&bucket=new`, `?tag_group=DIGITAL`, `?monthly_upgrades=true`,
  `?listing_bucket=approved`) — the firms behind a number; `/highlights/{year}/xlsx/`, `/docx/`.
- `/highlights/trend/?from=2018&to=2025` — closing and new per line and year, and the ladder funnel;
  `/highlights/funnel/`.
- `/highlight-reports/` — published reports: POST publishes (admin, staff), GET lists and reads them
  frozen; `…/{id}/firms/`, `…/{id}/diff/` (today's data against the frozen numbers), `…/{id}/xlsx/`, `/docx/`.
- `/highlight-lines/`, `/highlight-tag-groups/` — the configuration (administrators write).

Enterprise users have no highlights: 404 for anything addressed by year or id, 403 for the lists.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.api.base import ScopedModelViewSet, ScopedQuerysetMixin
from apps.core.i18n import t
from apps.core.permissions import ADMIN, ALL_ROLES, STAFF
from apps.highlights import compute, exports, selectors, services
from apps.highlights.api.serializers import (
    YEAR_MIN,
    DiffSerializer,
    FirmEntrySerializer,
    FirmsQuerySerializer,
    FunnelSerializer,
    PublishedReportDetailSerializer,
    PublishedReportSerializer,
    PublishSerializer,
    ReportLineSerializer,
    ReportSerializer,
    TagGroupSerializer,
    TrendQuerySerializer,
    TrendSerializer,
    ZoneQuerySerializer,
)
from apps.highlights.filters import PublishedReportFilter
from apps.highlights.models import PublishedReport

MAX_TREND_YEARS = 30


def _require_reader(request: Request, *, listing: bool) -> None:
    if not selectors.can_read_highlights(request.user):
        raise PermissionDenied() if listing else NotFound()


def _year(raw: Any) -> int:
    year = int(raw)
    latest = selectors.current_year()
    if not YEAR_MIN <= year <= latest:
        raise serializers.ValidationError(
            {
                "year": [
                    t(f"年份须在 {YEAR_MIN} 至 {latest} 之间。", f"The year must be between {YEAR_MIN} and {latest}.")
                ]
            }
        )
    return year


def _scope(request: Request, zone: int | None) -> compute.Scope:
    scope = selectors.report_scope_for(request.user, zone)
    if scope is None:
        raise NotFound(t("该片区不存在或不在您的权限范围内。", "This zone does not exist or is outside your scope."))
    return scope


def _query(serializer_class: Any, request: Request) -> dict[str, Any]:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)


def _with_links(report: dict[str, Any], firms_url: Any) -> dict[str, Any]:
    """Adds to every number the URL of the firms behind it; `firms_url(**query)` builds one."""
    report = {k: v for k, v in report.items() if k not in ("member_firms", "member_certificates")}
    report["lines"] = [
        {
            **{k: v for k, v in line.items() if k not in ("firms", "members")},
            "links": {bucket: firms_url(line=line["code"], bucket=bucket) for bucket in compute.COUNT_BUCKETS},
        }
        for line in report["lines"]
    ]
    report["tag_groups"] = [
        {**{k: v for k, v in g.items() if k != "firms"}, "firms_url": firms_url(tag_group=g["code"])}
        for g in report["tag_groups"]
    ]
    report["monthly_upgrades"] = {
        "count": report["monthly_upgrades"]["count"],
        "firms_url": firms_url(monthly_upgrades="true"),
    }
    report["listing"] = {
        "buckets": [{**b, "firms_url": firms_url(listing_bucket=b["bucket"])} for b in report["listing"]["buckets"]]
    }
    return report


def _file(content: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = exports.content_disposition(name)
    return response


_ZONE = OpenApiParameter(
    "zone", OpenApiTypes.INT, description="Zone id; none = the whole park (zone-limited staff: their zones)."
)
_XLSX = {(200, exports.XLSX_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="Excel workbook")}
_DOCX = {(200, exports.DOCX_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="Word document")}


_YEAR = OpenApiParameter(
    "year", OpenApiTypes.INT, OpenApiParameter.PATH, description="The report's year, e.g. 2022 (four digits)."
)
_ONE_NUMBER = (
    " Name exactly one number: `line` with `bucket`, or `tag_group`, or `monthly_upgrades=true`, or"
    " `listing_bucket`; anything else (none, or two of them, or a line without a bucket) is a 400."
)


class HighlightViewSet(ScopedQuerysetMixin, viewsets.GenericViewSet):
    """The live annual highlights of a year (SPEC §5), for the whole park or a zone.

    Every count has the URL of its firms (`links`); `identity_ok` checks closing = opening + new +
    moved_in − lapsed − revoked − left_park on every line. The stored objects behind these routes
    are the published reports (see /highlight-reports/); the live report itself is computed.
    """

    lookup_field = "year"
    lookup_value_regex = "[0-9]{4}"
    read_roles = ALL_ROLES  # enterprise users pass the role check and find nothing (404), see _require_reader
    serializer_class = ReportSerializer

    def scope(self, user: Any) -> Any:
        return selectors.published_reports_visible_to(user)

    def _live(
        self, request: Request, year: Any, *, with_members: bool = False
    ) -> tuple[int, dict[str, Any], dict[str, Any]]:
        _require_reader(request, listing=False)
        year_ = _year(year)
        zone = _query(ZoneQuerySerializer, request).get("zone")
        scope = _scope(request, zone)
        # The Excel export writes the lines' firm lists straight from the rows the query returns.
        columns = exports.XLSX_MEMBER_COLUMNS if with_members else None
        report = selectors.live_report(year_, scope, with_members=with_members, raw_columns=columns)
        return year_, report, {"zone": zone} if zone else {}

    @extend_schema(parameters=[_YEAR, _ZONE], responses=ReportSerializer)
    def retrieve(self, request: Request, year: str) -> Response:
        year_, report, extra = self._live(request, year)

        def firms_url(**query: Any) -> str:
            code = query.pop("line", None)
            if code is not None:
                path = reverse("highlight-firms", kwargs={"year": year_, "code": code})
            else:
                path = reverse("highlight-firms", kwargs={"year": year_})
            return f"{path}?{urlencode({**query, **extra})}"

        return Response(ReportSerializer(_with_links(report, firms_url)).data)

    @extend_schema(
        parameters=[_YEAR, FirmsQuerySerializer],
        responses=FirmEntrySerializer(many=True),
        description="The firms behind one number of the live report: "
        "`lines/{code}/firms/?bucket=new`, or `firms/?line=HNTE&bucket=new`, `?tag_group=`, `?monthly_upgrades=true`, "
        "`?listing_bucket=`." + _ONE_NUMBER,
    )
    @action(detail=True, methods=["get"], url_path=r"(?:lines/(?P<code>[A-Za-z0-9_]+)/)?firms")
    def firms(self, request: Request, year: str, code: str | None = None) -> Response:
        _require_reader(request, listing=False)
        year_ = _year(year)
        params = request.query_params.copy()
        if code:
            params["line"] = code
        query = FirmsQuerySerializer(data=params)
        query.is_valid(raise_exception=True)
        values = dict(query.validated_data)
        scope = _scope(request, values.get("zone"))
        try:
            firms = selectors.live_firms(year_, scope, values)
        except selectors.UnknownNumber as exc:
            raise NotFound(t("报告中没有该口径。", "The report has no such line or group.")) from exc
        page: list[Any] | None = self.paginate_queryset(firms)  # type: ignore[arg-type]
        return self.get_paginated_response(FirmEntrySerializer(page, many=True).data)

    @extend_schema(parameters=[_YEAR, _ZONE], responses=_XLSX)
    @action(detail=True, methods=["get"])
    def xlsx(self, request: Request, year: str) -> HttpResponse:
        """The live report as Excel: a summary sheet, then one sheet per line with its firm lists."""
        _, report, _ = self._live(request, year, with_members=True)
        return _file(exports.report_xlsx(report), exports.XLSX_TYPE, exports.filename(report, "xlsx", None))

    @extend_schema(parameters=[_YEAR, _ZONE], responses=_DOCX)
    @action(detail=True, methods=["get"])
    def docx(self, request: Request, year: str) -> HttpResponse:
        """The live report as a Word narrative in Chinese."""
        _, report, _ = self._live(request, year)
        return _file(exports.report_docx(report), exports.DOCX_TYPE, exports.filename(report, "docx", None))

    @extend_schema(
        parameters=[
            _ZONE,
            OpenApiParameter("from", OpenApiTypes.INT, description="First year (default: 7 years before `to`)."),
            OpenApiParameter("to", OpenApiTypes.INT, description="Last year (default: this year)."),
        ],
        responses=TrendSerializer,
    )
    @action(detail=False, methods=["get"])
    def trend(self, request: Request) -> Response:
        """Closing and new per line and year, for charts, with the ladder funnel of today."""
        _require_reader(request, listing=True)
        query = _query(TrendQuerySerializer, request)
        last = query.get("to") or selectors.current_year()
        first = query.get("from") or last - 7
        if last > selectors.current_year():
            raise serializers.ValidationError({"to": [t("不能晚于今年。", "Cannot be after this year.")]})
        if first > last or last - first >= MAX_TREND_YEARS:
            raise serializers.ValidationError(
                {
                    "from": [
                        t(
                            f"起始年份须不晚于结束年份，且跨度不超过 {MAX_TREND_YEARS} 年。",
                            f"`from` must not be after `to`, and cover at most {MAX_TREND_YEARS} years.",
                        )
                    ]
                }
            )
        scope = _scope(request, query.get("zone"))
        return Response(
            {
                "scope": {"zone_ids": list(scope.zone_ids) if scope.zone_ids else None, "label": scope.label},
                "lines": compute.trend(first, last, scope),
                "funnel": compute.funnel(scope),
            }
        )

    @extend_schema(
        parameters=[_ZONE],
        responses=FunnelSerializer,
    )
    @action(detail=False, methods=["get"])
    def funnel(self, request: Request) -> Response:
        """How many firms of the scope, in the park today, hold each rung, and stand on it as their top rung."""
        _require_reader(request, listing=True)
        scope = _scope(request, _query(ZoneQuerySerializer, request).get("zone"))
        return Response(
            {
                "scope": {"zone_ids": list(scope.zone_ids) if scope.zone_ids else None, "label": scope.label},
                "in_park": compute.in_park_count(scope),
                "ladders": compute.funnel(scope),
            }
        )


class PublishedReportViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Published reports: frozen numbers and firm lists, with the time they were computed.

    POST publishes the report of a year for a zone (or the whole park) as its next version; nothing
    changes a published report afterwards. `diff/` recomputes it from today's records and lists,
    firm by firm, what changed.
    """

    read_roles = ALL_ROLES  # enterprise users: 403 on the list, 404 on a report
    write_roles = frozenset({ADMIN, STAFF})
    serializer_class = PublishedReportSerializer
    ordering = ["-year", "-published_at", "-id"]
    ordering_fields = ["id", "year", "published_at"]
    filterset_class = PublishedReportFilter

    def scope(self, user: Any) -> Any:
        return selectors.published_reports_visible_to(user)

    def get_queryset(self) -> Any:
        reports = super().get_queryset()
        # The list shows no numbers: a whole park's frozen report is tens of megabytes of JSON.
        return reports.defer("data") if self.action == "list" else reports

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _require_reader(request, listing=True)
        return super().list(request, *args, **kwargs)

    def _report(self, published: PublishedReport) -> dict[str, Any]:
        def firms_url(**query: Any) -> str:
            return f"{reverse('highlight-report-firms', kwargs={'pk': published.pk})}?{urlencode(query)}"

        return ReportSerializer(_with_links(published.data, firms_url)).data

    @extend_schema(responses=PublishedReportDetailSerializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        published = self.get_object()
        return Response(PublishedReportDetailSerializer(published, context={"report": self._report(published)}).data)

    @extend_schema(request=PublishSerializer, responses={201: PublishedReportDetailSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = PublishSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        year = _year(values["year"])
        scope = selectors.report_scope_for(request.user, values.get("zone"))
        if scope is None:
            raise serializers.ValidationError(
                {
                    "zone": [
                        t("该片区不存在或不在您的权限范围内。", "This zone does not exist or is outside your scope.")
                    ]
                }
            )
        published = services.report_publish(
            year=year, scope=scope, user=request.user, title=values["title"], note=values["note"]
        )
        body = PublishedReportDetailSerializer(published, context={"report": self._report(published)}).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[FirmsQuerySerializer],
        responses=FirmEntrySerializer(many=True),
        description="The frozen firms behind one number." + _ONE_NUMBER,
    )
    @action(detail=True, methods=["get"])
    def firms(self, request: Request, pk: str | None = None) -> Response:
        published = self.get_object()
        values = _query(FirmsQuerySerializer, request)
        try:
            firms = selectors.firms_in_report(published.data, values)
        except selectors.UnknownNumber as exc:
            raise NotFound(t("报告中没有该口径。", "The report has no such line or group.")) from exc
        page: list[Any] | None = self.paginate_queryset(firms)  # type: ignore[arg-type]
        return self.get_paginated_response(FirmEntrySerializer(page, many=True).data)

    @extend_schema(responses=DiffSerializer)
    @action(detail=True, methods=["get"])
    def diff(self, request: Request, pk: str | None = None) -> Response:
        """Today's data against the frozen report: per number, the firms that entered or left its list."""
        published = self.get_object()
        return Response(DiffSerializer(services.report_diff(published=published)).data)

    @extend_schema(responses=_XLSX)
    @action(detail=True, methods=["get"])
    def xlsx(self, request: Request, pk: str | None = None) -> HttpResponse:
        published = self.get_object()
        meta = PublishedReportSerializer(published).data
        content = exports.report_xlsx(compute.unpack_members(published.data), meta)
        return _file(content, exports.XLSX_TYPE, exports.filename(published.data, "xlsx", meta))

    @extend_schema(responses=_DOCX)
    @action(detail=True, methods=["get"])
    def docx(self, request: Request, pk: str | None = None) -> HttpResponse:
        published = self.get_object()
        meta = PublishedReportSerializer(published).data
        content = exports.report_docx(published.data, meta)
        return _file(content, exports.DOCX_TYPE, exports.filename(published.data, "docx", meta))


class ReportLineViewSet(ScopedModelViewSet):
    """Report lines: one programme, or several counted as distinct firms (专精特新 = SRDI ∪ LITTLE_GIANT).

    Administrators edit them; a change applies to live reports at once and never to published ones.
    """

    serializer_class = ReportLineSerializer
    read_roles = selectors.READERS
    write_roles = frozenset({ADMIN})
    ordering = ["position", "code"]
    ordering_fields = ["id", "code", "position"]
    filterset_fields = ["active", "headline"]

    def scope(self, user: Any) -> Any:
        return selectors.report_lines_visible_to(user)


class TagGroupViewSet(ScopedModelViewSet):
    """Tag groups: firms that on 31 Dec carry a tag, hold a programme (ABOVE_SIZE) and sit in an industry
    section (C), with the sum of a verified annual figure and its comparable growth."""

    serializer_class = TagGroupSerializer
    read_roles = selectors.READERS
    write_roles = frozenset({ADMIN})
    ordering = ["position", "code"]
    ordering_fields = ["id", "code", "position"]
    filterset_fields = ["active"]

    def scope(self, user: Any) -> Any:
        return selectors.tag_groups_visible_to(user)
