"""GET /api/v1/dashboard/: everything the staff console's first page shows, in one request."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.scope import scope_of
from apps.dashboard import selectors
from apps.dashboard.api.serializers import DashboardSerializer
from apps.highlights.selectors import READERS


class DashboardView(APIView):
    """Counts of firms, titles held, renewals due in 30/90/180 days, flags by kind, the ladder funnel
    and the trend of every report line, for the caller's scope (zone-limited staff: their zones).
    Enterprise users have no dashboard (403), as for the other park-wide lists."""

    read_roles = READERS

    @extend_schema(responses={200: DashboardSerializer})
    def get(self, request: Request) -> Response:
        return Response(DashboardSerializer(selectors.dashboard(scope_of(request.user))).data)
