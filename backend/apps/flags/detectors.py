"""The contract between the nightly scan and what it looks for.

A *detector* looks at the data (set-based SQL, never a query per firm) and yields a `Finding`
for every condition that holds now. The scan (apps.flags.services) turns findings into flags:
it opens a flag for a new finding, refreshes the evidence of an open one, and resolves open flags
of that detector's kinds whose condition no longer holds. Detectors are registered by kind:

    from apps.flags.detectors import Finding, ScanContext, register_detector

    @register_detector("renewal_due")
    def renewals_due(ctx: ScanContext) -> Iterable[Finding]:
        ...

Apps register their detectors in `AppConfig.ready()` (by importing their detectors module).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

FLAG_KINDS = (
    "renewal_due",
    "expired",
    "report_due",
    "threshold_reached",
    "eligible",
    "upgrade_candidate",
    "near_miss",
    "data_missing",
)
SEVERITIES = ("info", "warning", "critical")


@dataclass(frozen=True)
class ScanContext:
    today: dt.date
    # None means every firm; a list narrows the scan (e.g. re-evaluating one firm after a change).
    firm_ids: list[int] | None = None

    @property
    def last_fiscal_year(self) -> int:
        return self.today.year - 1


@dataclass(frozen=True)
class Finding:
    firm_id: int
    kind: str
    programme_code: str
    # What the flag is about: "cert:<id>", "fy:<year>", "month:<yyyy-mm>", "deadline:<id>:<year>", or "".
    subject: str
    due_date: dt.date | None
    severity: str
    evidence: dict[str, Any] = field(default_factory=dict)
    # Notification ladder point, e.g. 180 / 90 / 30 days before a renewal; None when not laddered.
    ladder_point: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in FLAG_KINDS:
            raise ValueError(f"unknown flag kind {self.kind!r}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")

    @property
    def key(self) -> tuple[int, str, str, str]:
        return (self.firm_id, self.kind, self.programme_code, self.subject)


Detector = Callable[[ScanContext], Iterable[Finding]]
_DETECTORS: dict[str, list[Detector]] = {}


def register_detector(kind: str) -> Callable[[Detector], Detector]:
    if kind not in FLAG_KINDS:
        raise ValueError(f"unknown flag kind {kind!r}")

    def decorate(fn: Detector) -> Detector:
        if fn not in _DETECTORS.setdefault(kind, []):
            _DETECTORS[kind].append(fn)
        return fn

    return decorate


def detectors() -> dict[str, list[Detector]]:
    """Registered detectors by kind (a copy)."""
    return {kind: list(fns) for kind, fns in _DETECTORS.items()}
