from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core import audit
from apps.core.api.base import (
    PreconditionDestroyMixin,
    ScopedModelViewSet,
    ScopedQuerysetMixin,
    ScopedReadOnlyViewSet,
    fields_version,
)
from apps.core.permissions import ADMIN, ALL_ROLES, ENTERPRISE, STAFF, PublicEndpoint
from apps.flags import calendar, jobs, selectors, services
from apps.flags.api.serializers import (
    CalendarSerializer,
    CalendarUpdateSerializer,
    DeadlineCompletionSerializer,
    FigureRequirementSerializer,
    FlagBulkResultSerializer,
    FlagBulkSerializer,
    FlagDismissSerializer,
    FlagNoteSerializer,
    FlagSerializer,
    FlagSnoozeSerializer,
    JobRunCreateSerializer,
    JobRunSerializer,
    NotificationPreferenceSerializer,
    NotificationSerializer,
    WebhookChannelSerializer,
)
from apps.flags.filters import DeadlineCompletionFilter, FlagFilter, JobRunFilter, NotificationFilter
from apps.flags.models import DeadlineCompletion, FigureRequirement

STAFF_WRITE = frozenset({ADMIN, STAFF})
PEOPLE = frozenset({ADMIN, STAFF, ENTERPRISE})  # everyone but viewers, who never write


class FlagViewSet(ScopedReadOnlyViewSet):
    """The flag inbox: what the scheduled scans found (SPEC §4).

    Filters: kind, state, open, severity, programme (codes), zone, zone_code, firm, due_before,
    due_after. Actions: acknowledge, resolve, snooze (until a date), dismiss (reason required),
    reopen, and `POST /flags/bulk/` for many at once. Staff and administrators act on flags in their
    scope; an enterprise user sees its own firm's flags and may only acknowledge them.
    """

    serializer_class = FlagSerializer
    filterset_class = FlagFilter
    ordering = ["due_date", "id"]
    ordering_fields = ["id", "due_date", "severity", "first_seen", "last_seen", "state_changed_at"]
    write_roles = STAFF_WRITE
    action_write_roles = {"acknowledge": PEOPLE}

    def scope(self, user: Any) -> Any:
        return selectors.flags_visible_to(user)

    def _act(self, request: Request, action_name: str, serializer_class: Any) -> Response:
        flag = self.get_object()
        data = serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        done = services.flag_act(
            flag=flag,
            action=action_name,
            user=request.user,
            note=values.get("note", ""),
            until=values.get("until"),
            reason=values.get("reason", "") if action_name == "dismiss" else "",
        )
        return Response(self.get_serializer(done).data)

    @extend_schema(request=FlagNoteSerializer, responses={200: FlagSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        """Someone has seen it and is on it (open → acknowledged)."""
        return self._act(request, "acknowledge", FlagNoteSerializer)

    @extend_schema(request=FlagNoteSerializer, responses={200: FlagSerializer})
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str | None = None) -> Response:
        """Dealt with. If the next scan still finds the condition, the flag is reopened (dismiss to stop it)."""
        return self._act(request, "resolve", FlagNoteSerializer)

    @extend_schema(request=FlagSnoozeSerializer, responses={200: FlagSerializer})
    @action(detail=True, methods=["post"])
    def snooze(self, request: Request, pk: str | None = None) -> Response:
        """Hidden until a date (at most a year); the first scan on or after it reopens it if it still holds."""
        return self._act(request, "snooze", FlagSnoozeSerializer)

    @extend_schema(request=FlagDismissSerializer, responses={200: FlagSerializer})
    @action(detail=True, methods=["post"])
    def dismiss(self, request: Request, pk: str | None = None) -> Response:
        """Not relevant (reason required): the subject stays dismissed, no new flag is opened for it."""
        return self._act(request, "dismiss", FlagDismissSerializer)

    @extend_schema(request=FlagNoteSerializer, responses={200: FlagSerializer})
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str | None = None) -> Response:
        """Back to open (from resolved, dismissed or snoozed); 409 if the subject already has an open flag."""
        return self._act(request, "reopen", FlagNoteSerializer)

    @extend_schema(request=FlagBulkSerializer, responses={200: FlagBulkResultSerializer})
    @action(detail=False, methods=["post"])
    def bulk(self, request: Request) -> Response:
        """One action on many flags (the inbox). Ids outside your scope: 400, nothing changes; flags whose
        state does not allow the action are left as they are and listed under `skipped`."""
        data = FlagBulkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        result = services.flags_bulk_act(
            flags=self.get_queryset(),
            ids=values["ids"],
            action=values["action"],
            user=request.user,
            reason=values["reason"],
            note=values["note"],
            until=values["until"],
        )
        return Response({"done": result.done, "skipped": result.skipped})


class NotificationViewSet(ScopedReadOnlyViewSet):
    """Your in-app notifications (only yours, whatever your role), newest first. `?unread=true` filters."""

    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    ordering = ["-id"]
    ordering_fields = ["id", "created_at"]
    write_roles = PEOPLE

    def scope(self, user: Any) -> Any:
        return selectors.notifications_of(user)

    @extend_schema(request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        note = self.get_object()
        if note.read_at is None:
            note.read_at = timezone.now()
            note.save(update_fields=["read_at"])
        return Response(self.get_serializer(note).data)

    @extend_schema(request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"])
    def unread(self, request: Request, pk: str | None = None) -> Response:
        note = self.get_object()
        if note.read_at is not None:
            note.read_at = None
            note.save(update_fields=["read_at"])
        return Response(self.get_serializer(note).data)

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        count = self.get_queryset().filter(read_at__isnull=True).update(read_at=timezone.now())
        return Response({"marked": count})

    @extend_schema(methods=["GET"], request=None, responses={200: NotificationPreferenceSerializer})
    @extend_schema(
        methods=["PUT"], request=NotificationPreferenceSerializer, responses={200: NotificationPreferenceSerializer}
    )
    @action(detail=False, methods=["get", "put"])
    def preferences(self, request: Request) -> Response:
        """How flag email reaches you: a daily digest (the default for staff), at once, or not at all."""
        if request.method == "PUT":
            data = NotificationPreferenceSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            services.preference_set(user=request.user, email_delivery=data.validated_data["email_delivery"])
        return Response({"email_delivery": services.email_delivery_of(request.user)})


class JobRunViewSet(ScopedQuerysetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Runs of the scheduled jobs (nightly scan, monthly above-size check, yearly rollover, daily digest,
    re-evaluation of changed firms): start, end, state, counts and errors. Administrators start one
    with `POST {"job": "scan"}` (202, the queued run to follow at `/jobs/{id}/`)."""

    serializer_class = JobRunSerializer
    filterset_class = JobRunFilter
    ordering = ["-id"]
    ordering_fields = ["id", "created_at", "started_at", "finished_at"]
    read_roles = STAFF_WRITE
    write_roles = frozenset({ADMIN})

    def scope(self, user: Any) -> Any:
        return selectors.job_runs_visible_to(user)

    @extend_schema(request=JobRunCreateSerializer, responses={202: JobRunSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = JobRunCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        params: dict[str, Any] = {}
        if data.validated_data.get("today"):
            params["today"] = data.validated_data["today"].isoformat()
        if data.validated_data.get("kinds") and data.validated_data["job"] == "scan":
            params["kinds"] = sorted(set(data.validated_data["kinds"]))
        if params.get("today") and data.validated_data["job"] == "scan":
            params["dry_run"] = True  # a scan as of another day only tells what it would find
        run = jobs.request_job(job=data.validated_data["job"], user=request.user, params=params, trigger="api")
        return Response(
            JobRunSerializer(run, context=self.get_serializer_context()).data, status=status.HTTP_202_ACCEPTED
        )


class WebhookChannelViewSet(ScopedModelViewSet):
    """Group robots (企业微信 / 钉钉) that receive flags, per zone and/or programme. Administrators only.
    The address and secret are write-only: responses show the address without its key."""

    serializer_class = WebhookChannelSerializer
    read_roles = frozenset({ADMIN})
    write_roles = frozenset({ADMIN})

    def scope(self, user: Any) -> Any:
        return selectors.webhook_channels_visible_to(user)


class FigureRequirementViewSet(ScopedModelViewSet):
    """Which annual figures each programme's holders must have verified (the data_missing flag). Administrators edit."""

    serializer_class = FigureRequirementSerializer
    write_roles = frozenset({ADMIN})
    ordering = ["programme__code"]

    def scope(self, user: Any) -> Any:
        from apps.core.permissions import role_of

        if role_of(user) is None:
            return FigureRequirement.objects.none()
        return FigureRequirement.objects.select_related("programme")


class DeadlineCompletionViewSet(
    PreconditionDestroyMixin,
    ScopedQuerysetMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """A firm's annual report / data update of a year marked done: its report_due flag resolves within minutes.
    Staff, administrators and the firm's enterprise users mark; a mark is removed, never edited."""

    serializer_class = DeadlineCompletionSerializer
    filterset_class = DeadlineCompletionFilter
    ordering = ["-year", "id"]
    write_roles = PEOPLE

    def scope(self, user: Any) -> Any:
        return selectors.deadline_completions_visible_to(user)

    def _version(self, instance: Any) -> str:
        # The mark's own columns (GET answers with it as ETag; DELETE honours If-Match): a renamed
        # deadline does not make a held ETag stale.
        return fields_version(instance)

    def perform_create(self, serializer: Any) -> None:
        values = serializer.validated_data
        serializer.instance = services.deadline_mark_done(
            firm=values["firm"],
            deadline=values["deadline"],
            year=values["year"],
            done_on=values["done_on"],
            note=values.get("note", ""),
            user=self.request.user,
        )

    def perform_destroy(self, instance: DeadlineCompletion) -> None:
        instance.delete()


class CalendarView(APIView):
    """Your iCal feed: `GET` gives its address (subscribe to it in a calendar app; no login needed, so
    keep it private); `POST {"rotate": true}` makes a new address and revokes the old one,
    `{"enabled": false}` switches the feed off."""

    read_roles = ALL_ROLES
    # Every role that has a feed may rotate or switch it off, viewers too: a viewer's feed covers the park.
    write_roles = ALL_ROLES

    def _body(self, request: Request) -> dict[str, Any]:
        feed = services.calendar_feed_of(request.user)
        return {"url": calendar.feed_url(feed), "enabled": feed.enabled, "version": feed.version}

    @extend_schema(responses={200: CalendarSerializer})
    def get(self, request: Request) -> Response:
        return Response(self._body(request))

    @extend_schema(request=CalendarUpdateSerializer, responses={200: CalendarSerializer})
    def post(self, request: Request) -> Response:
        data = CalendarUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.calendar_feed_update(
            user=request.user, rotate=data.validated_data["rotate"], enabled=data.validated_data["enabled"]
        )
        return Response(self._body(request))


class CalendarFeedView(APIView):
    """The iCal feed itself (text/calendar). The token in the address is the credential; a wrong,
    rotated or switched-off token is a 404. The route has no name on purpose: it is the one API path
    that takes no session or API token (see the report on tests/test_access.py)."""

    authentication_classes: list[Any] = []
    permission_classes = [PublicEndpoint]

    @extend_schema(responses={(200, "text/calendar"): OpenApiTypes.STR}, auth=[])
    def get(self, request: Request, token: str) -> HttpResponse:
        user = calendar.user_for_token(token)
        if user is None:
            raise NotFound()  # the error shape, as everywhere in the API
        with audit.change_context(source="api"):
            body = calendar.feed_for(user)
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Cache-Control"] = "private, max-age=900"
        return response
