"""Scenes for the highlights tests: firms with park dates, certifications written straight to the table."""

from __future__ import annotations

import datetime as dt
from typing import Any

from apps.programmes.models import Certification
from tests.factories import FirmFactory
from tests.programmes.factories import CertificationFactory, programme

D = dt.date
LONG_AGO = D(2015, 1, 1)


def firm(zone: Any, *, entered: dt.date | None = LONG_AGO, left: dt.date | None = None, **kwargs: Any) -> Any:
    return FirmFactory(zone=zone, entered_park_on=entered, left_park_on=left, **kwargs)


def cert(
    firm: Any,
    code: str,
    start: dt.date,
    *,
    until: dt.date | str | None = "rule",
    dated: dt.date | None = None,
    revoked: dt.date | None = None,
    superseded: dt.date | None = None,
    route: str = "",
) -> Certification:
    """A certification valid from `start` to `until` (None: open-ended; by default the programme's rule),
    optionally revoked or superseded. Written straight to the table: the scene, not the rules."""
    values: dict[str, Any] = {
        "firm": firm,
        "programme": programme(code),
        "certificate_date": dated or start,
        "valid_from": start,
        "revoked_on": revoked,
        "superseded_on": superseded,
        "entry_route": route,
    }
    if until != "rule":
        values["valid_until"] = until
    return CertificationFactory(**values)
