"""Reads of figures and evidence files.

Two kinds of reads live here:
- `*_visible_to(user)`: what a caller may see through the API, every state included, narrowed
  through `firms_visible_to(user)` (an enterprise user sees only its firms, zone-limited staff
  only their zones, an unknown role nothing).
- `verified_annual_figures(...)` / `verified_monthly_figures(...)`: the only figures rules, flags
  and reports may use — the current verified version per firm and period. A proposal is invisible
  to them until staff verify it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Model, QuerySet

from apps.core.db import user_columns_shown
from apps.figures.models import AnnualFigures, EvidenceFile, FigureState, FigureVersion, MonthlyFigures
from apps.registry.models import Firm
from apps.registry.selectors import firms_visible_to

_RELATED = ("firm", "firm__zone", "submitted_by", "reviewed_by")


# Of the users named next to a record, their name only (never the password hash or the rest of the row).
def _users_named_only() -> list[str]:
    return [*user_columns_shown("submitted_by"), *user_columns_shown("reviewed_by")]


def annual_figures_visible_to(user: Any) -> QuerySet[AnnualFigures]:
    return (
        AnnualFigures.objects.filter(firm__in=firms_visible_to(user))
        .select_related(*_RELATED)
        .defer(*_users_named_only())
    )


def monthly_figures_visible_to(user: Any) -> QuerySet[MonthlyFigures]:
    return (
        MonthlyFigures.objects.filter(firm__in=firms_visible_to(user))
        .select_related(*_RELATED)
        .defer(*_users_named_only())
    )


def evidence_visible_to(user: Any) -> QuerySet[EvidenceFile]:
    return (
        EvidenceFile.objects.filter(firm__in=firms_visible_to(user))
        .select_related("firm", "uploaded_by")
        .defer(*user_columns_shown("uploaded_by"))
    )


FirmsArg = QuerySet[Firm] | Iterable[Firm | int] | None


def _narrow_to_firms(queryset: QuerySet[Any], firms: FirmsArg, user: Any) -> QuerySet[Any]:
    if user is not None:
        queryset = queryset.filter(firm__in=firms_visible_to(user))
    if firms is None:
        return queryset
    if isinstance(firms, QuerySet):
        return queryset.filter(firm__in=firms)
    ids = [f.pk if isinstance(f, Model) else int(f) for f in firms]
    return queryset.filter(firm_id__in=ids)


def verified_annual_figures(
    *,
    firms: FirmsArg = None,
    fiscal_year: int | None = None,
    fiscal_years: Iterable[int] | None = None,
    user: Any = None,
) -> QuerySet[AnnualFigures]:
    """Current verified annual figures (at most one row per firm and fiscal year).

    `firms` narrows to a queryset, firms or ids; `user` additionally narrows to that user's scope
    (leave it out for jobs and reports that see the whole park).
    """
    rows = AnnualFigures.objects.filter(state=FigureState.VERIFIED)
    if fiscal_year is not None:
        rows = rows.filter(fiscal_year=fiscal_year)
    if fiscal_years is not None:
        rows = rows.filter(fiscal_year__in=list(fiscal_years))
    return _narrow_to_firms(rows, firms, user).order_by("firm_id", "fiscal_year")


def verified_monthly_figures(
    *,
    firms: FirmsArg = None,
    year: int | None = None,
    month: int | None = None,
    user: Any = None,
) -> QuerySet[MonthlyFigures]:
    """Current verified year-to-date figures (at most one row per firm and month)."""
    rows = MonthlyFigures.objects.filter(state=FigureState.VERIFIED)
    if year is not None:
        rows = rows.filter(year=year)
    if month is not None:
        rows = rows.filter(month=month)
    return _narrow_to_firms(rows, firms, user).order_by("firm_id", "year", "month")


def verified_annual_by_firm(*, fiscal_year: int, firms: FirmsArg = None) -> dict[int, AnnualFigures]:
    """{firm id: verified figures of that year}, for computing rules over many firms in one query."""
    return {row.firm_id: row for row in verified_annual_figures(firms=firms, fiscal_year=fiscal_year)}


def figure_versions(figure: FigureVersion, *, user: Any) -> QuerySet[Any]:
    """Every version of the same firm and period as `figure`, newest first, within the caller's scope."""
    model = type(figure)
    visible = annual_figures_visible_to(user) if model is AnnualFigures else monthly_figures_visible_to(user)
    return visible.filter(firm_id=figure.firm_id, **figure.period()).order_by("-version")


def verified_figures_exist(*, firm_id: int, fiscal_year: int) -> bool:
    return AnnualFigures.objects.filter(firm_id=firm_id, fiscal_year=fiscal_year, state=FigureState.VERIFIED).exists()
