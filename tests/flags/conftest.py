"""Helpers for the flags tests: a fixed today, certifications by days left, only this app's detectors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from apps.flags import detectors as registry
from apps.flags.scan import ScanTotals, scan
from apps.programmes.models import Certification, Programme
from tests.flags.factories import TODAY
from tests.programmes.factories import CertificationFactory

STANDARD_KINDS = ("renewal_due", "expired", "report_due", "data_missing")


@pytest.fixture
def standard_only(monkeypatch: Any) -> None:
    """Only this app's four detectors, whatever other apps registered (their rules have their own tests)."""
    mine = {kind: [fn for fn in fns if fn.__module__ == "apps.flags.standard_detectors"]
            for kind, fns in registry._DETECTORS.items()}  # fmt: skip
    monkeypatch.setattr(registry, "_DETECTORS", {kind: fns for kind, fns in mine.items() if fns})


def run_scan(today: dt.date = TODAY, **kwargs: Any) -> ScanTotals:
    return scan(today=today, **kwargs)


def cert_ending(firm: Any, code: str, days_left: int, *, today: dt.date = TODAY, **kwargs: Any) -> Certification:
    """A certification of `code` whose last valid day is `days_left` days from `today` (3-year validity)."""
    programme = Programme.objects.get(code=code)
    until = today + dt.timedelta(days=days_left)
    start = until - dt.timedelta(days=3 * 365)
    return CertificationFactory(
        firm=firm, programme=programme, certificate_date=start, valid_from=start, valid_until=until, **kwargs
    )


def flag_keys(**filters: Any) -> set[tuple[Any, ...]]:
    from apps.flags.models import Flag

    return set(
        Flag.objects.filter(**filters).values_list(
            "firm_id", "kind", "programme_code", "subject", "ladder_point", "state"
        )
    )
