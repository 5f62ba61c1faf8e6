"""For the permission walk (tests/test_access.py): a published report of the firm's zone.

Report lines and tag groups are configuration every reading role shares. A published report is not
firm data either: it belongs to a zone (or the whole park). The shared walk can only look up
firm-B samples of models with a `firm` field, so the report is listed here beside the catalogues
and the zone-scoped walk over every highlights route is tests/highlights/test_access_walk.py.
"""

from typing import Any

from apps.highlights import compute, services
from apps.highlights.models import PublishedReport, ReportLine, TagGroup

REFERENCE_MODELS = (ReportLine, TagGroup, PublishedReport)


def make_samples(firm: Any) -> None:
    services.report_publish(year=2022, scope=compute.zones_scope([firm.zone_id]))
