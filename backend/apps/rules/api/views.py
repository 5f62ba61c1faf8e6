from __future__ import annotations

from typing import Any

from django.utils import translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core import clock
from apps.core.api.base import ScopedModelViewSet, ScopedQuerysetMixin
from apps.core.permissions import ADMIN, ALL_ROLES, ENTERPRISE, STAFF
from apps.registry.models import Firm
from apps.registry.selectors import firms_visible_to
from apps.rules import selectors, services
from apps.rules.api.serializers import (
    EligibilityQuerySerializer,
    EligibilitySerializer,
    MetricSerializer,
    RuleSetSerializer,
    WhatIfSerializer,
)
from apps.rules.evaluation import evaluate_firms, evaluation_json
from apps.rules.filters import RuleSetFilter
from apps.rules.metrics import METRICS
from apps.rules.models import RuleSet


class RuleSetViewSet(ScopedModelViewSet):
    """Eligibility rules per programme and policy edition, with their criteria. Administrators edit them;
    every signed-in role reads them. An edit takes effect on the next evaluation and bumps `revision`.

    Criteria are nested and matched by `code`: PUT replaces the list, PATCH adds or changes the criteria
    it lists and keeps the others. Shipped rule sets cannot be deleted: give one an `effective_to` and
    add the next edition (periods of one programme never overlap).
    """

    serializer_class = RuleSetSerializer
    filterset_class = RuleSetFilter
    write_roles = frozenset({ADMIN})
    ordering = ["programme__code", "effective_from", "id"]
    ordering_fields = ["id", "code", "effective_from"]

    def scope(self, user: Any) -> Any:
        return selectors.rule_sets_visible_to(user)

    def perform_create(self, serializer: Any) -> None:
        values = dict(serializer.validated_data)
        criteria = values.pop("criteria", [])
        created = services.rule_set_create(values=values, criteria=criteria)
        serializer.instance = self.get_queryset().get(pk=created.pk)

    def perform_update(self, serializer: Any) -> None:
        values = dict(serializer.validated_data)
        criteria = values.pop("criteria", None)
        updated = services.rule_set_update(
            rule_set=serializer.instance, values=values, criteria=criteria, replace_criteria=not serializer.partial
        )
        serializer.instance = self.get_queryset().get(pk=updated.pk)

    def perform_destroy(self, instance: RuleSet) -> None:
        services.rule_set_delete(rule_set=instance)

    @extend_schema(responses={200: MetricSerializer(many=True)})
    @action(detail=False, methods=["get"], pagination_class=None)
    def metrics(self, request: Request) -> Response:
        """The computations a criterion can name, with their parameters."""
        return Response(
            [
                {
                    "name": metric.name,
                    "description": metric.description,
                    "parameters": [{"name": k, "required": p.required} for k, p in metric.schema.items()],
                }
                for metric in sorted(METRICS.values(), key=lambda m: m.name)
            ]
        )


def _language() -> str:
    return "en" if (translation.get_language() or "").lower().startswith("en") else "zh"


class _FirmEligibilityBase(ScopedQuerysetMixin, generics.GenericAPIView):
    """Scoped exactly like the firm: a firm outside the caller's scope answers 404."""

    read_roles = ALL_ROLES
    pagination_class = None
    filter_backends: list[Any] = []

    def scope(self, user: Any) -> Any:
        return firms_visible_to(user)

    def evaluate(self, firm: Firm, query: dict[str, Any], what_if: dict[int, Any] | None = None) -> dict[str, Any]:
        year = query.get("year") or clock.today().year - 1
        evaluation = evaluate_firms(
            [firm.pk], year, programme_codes=query.get("programme"), what_if=what_if, on=query.get("on")
        )[firm.pk]
        return evaluation_json(evaluation, _language())


_QUERY = [
    OpenApiParameter("programme", str, description="Programme code(s), comma-separated; every programme by default."),
    OpenApiParameter("year", int, description="Fiscal year of the figures; the last fiscal year by default."),
    OpenApiParameter(
        "on", OpenApiTypes.DATE, description="Day whose rules apply (YYYY-MM-DD); 31 Dec of `year` by default."
    ),
]


class FirmEligibilityView(_FirmEligibilityBase):
    """GET /firms/{id}/eligibility/?programme=HNTE&year=2024 — per criterion met / not_met / unknown / manual,
    the inputs used (verified figures only, with their fiscal years), the gap in the firm's own units and
    the verdict, with the rule-set version used. Reads only."""

    serializer_class = EligibilitySerializer

    @extend_schema(parameters=_QUERY, responses={200: EligibilitySerializer})
    def get(self, request: Request, pk: str | None = None) -> Response:
        firm = self.get_object()
        query = EligibilityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(self.evaluate(firm, query.validated_data))


class FirmEligibilityWhatIfView(_FirmEligibilityBase):
    """POST /firms/{id}/eligibility/what-if/ — the same evaluation with hypothetical figures (per fiscal year,
    the annual-figures field names) merged over the verified ones. Stores nothing."""

    serializer_class = WhatIfSerializer
    write_roles = frozenset({ADMIN, STAFF, ENTERPRISE})

    @extend_schema(request=WhatIfSerializer, responses={200: EligibilitySerializer})
    def post(self, request: Request, pk: str | None = None) -> Response:
        firm = self.get_object()
        data = WhatIfSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entries = data.validated_data["figures"]
        errors = services.what_if_errors(firm=firm, entries=entries)
        if errors:
            raise ValidationError(errors)
        hypothetical = {
            entry["fiscal_year"]: {k: v for k, v in entry.items() if k != "fiscal_year" and v is not None}
            for entry in entries
        }
        return Response(self.evaluate(firm, data.validated_data, {firm.pk: hypothetical}))
