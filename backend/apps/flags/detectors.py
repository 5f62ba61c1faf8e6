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

A detector may also return a `ThenSql`: Python findings, then a `SqlFindings` the scan stages after
them (an incremental detector re-stating unchanged firms' findings from their flags).

Set-based detectors may return a `SqlFindings` instead of `Finding` objects: a SELECT the scan runs
inside PostgreSQL (`INSERT INTO <staging> SELECT …`), so findings never travel through Python. A
`SqlFindings` is itself an iterable of `Finding`, so a caller that iterates a detector's result
works either way. `ScanContext.firm_range` (optional) tells a detector that the firms to look at
are exactly the ids in that closed range; `firm_ids` lists the same firms for detectors that only
read that field.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
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
    # When set, the firms of this batch are exactly those with lo <= id <= hi (firm_ids lists them too).
    firm_range: tuple[int, int] | None = None
    # The scan stages every kind an incremental detector produces, so the detector may re-state an
    # unchanged firm's findings from its flags instead of evaluating it (see apps.rules.detectors).
    incremental: bool = False
    # Called by the scan after the batch's merge, in its transaction, with the kinds merged.
    after_merge: list[Callable[[set[str]], None]] = field(default_factory=list, compare=False, hash=False)
    # Counters a detector reports (e.g. firms evaluated / re-stated); the scan adds them to its totals.
    stats: dict[str, int] = field(default_factory=dict, compare=False, hash=False)

    @property
    def last_fiscal_year(self) -> int:
        return self.today.year - 1

    def firm_filter_sql(self, column: str) -> tuple[str, list[Any]]:
        """A SQL condition (and its params) narrowing `column` (a firm id) to this context's firms."""
        if self.firm_range is not None:
            return f"{column} BETWEEN %s AND %s", [self.firm_range[0], self.firm_range[1]]
        if self.firm_ids is not None:
            return f"{column} = ANY(%s::bigint[])", [list(self.firm_ids)]
        return "TRUE", []


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


# The columns, in this order, a SqlFindings query returns.
SQL_FINDING_COLUMNS = (
    "firm_id",
    "kind",
    "programme_code",
    "subject",
    "due_date",
    "severity",
    "evidence",
    "ladder_point",
)


@dataclass(frozen=True)
class SqlFindings:
    """Findings as a SELECT returning SQL_FINDING_COLUMNS (evidence as jsonb), with %s params."""

    sql: str
    params: Sequence[Any] = ()

    def __iter__(self) -> Iterator[Finding]:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(self.sql, list(self.params))
            for firm_id, kind, programme_code, subject, due_date, severity, evidence, ladder_point in cursor:
                if isinstance(evidence, str):
                    evidence = json.loads(evidence)
                yield Finding(
                    firm_id=firm_id,
                    kind=kind,
                    programme_code=programme_code or "",
                    subject=subject or "",
                    due_date=due_date,
                    severity=severity,
                    evidence=evidence or {},
                    ladder_point=ladder_point,
                )


@dataclass(frozen=True)
class ThenSql:
    """Findings from Python, then (once those are exhausted) a SqlFindings built at that moment, or None:
    a detector that decides while it runs which findings it can leave to the database."""

    first: Iterable[Finding]
    then: Callable[[], SqlFindings | None]

    def __iter__(self) -> Iterator[Finding]:
        yield from self.first
        rest = self.then()
        if rest is not None:
            yield from rest


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
