"""The import kinds, by ImportKind value."""

from __future__ import annotations

from apps.imports.kinds.base import Kind
from apps.imports.kinds.certifications import CertificationsKind
from apps.imports.kinds.figures import AnnualFiguresKind, MonthlyFiguresKind
from apps.imports.kinds.firms import FirmsKind

KINDS: dict[str, type[Kind]] = {
    "firms": FirmsKind,
    "certifications": CertificationsKind,
    "annual_figures": AnnualFiguresKind,
    "monthly_figures": MonthlyFiguresKind,
}
