"""A firm's timeline: what happened to it, newest first, from every app that records its life.

Sources, one query each whatever the number of items:
- certifications: awarded (or awarded as a renewal) on the certificate date, revoked on the revocation date;
- listing-pipeline events;
- annual and monthly figures, at the moment staff verified them (or an import entered them verified),
  every version that was verified, the later superseded ones included;
- journal entries (走访记录) — internal to park staff: never for enterprise users.

Each item carries a title in both languages (`title` follows the request's language) and the ids and
API path of the record behind it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import get_language
from rest_framework import serializers

from apps.core.permissions import ADMIN, STAFF, VIEWER, role_of
from apps.registry.models import Firm, JournalEntry

KINDS = (
    "certification_awarded",
    "certification_renewed",
    "certification_revoked",
    "listing_event",
    "annual_figures_verified",
    "monthly_figures_verified",
    "journal_entry",
)


@dataclass(frozen=True)
class TimelineItem:
    date: dt.date
    at: dt.datetime | None  # the moment, where the source has one (verification)
    kind: str
    title_zh: str
    title_en: str
    object_type: str
    object_id: int
    url: str
    programme: str | None = None

    @property
    def title(self) -> str:
        return self.title_en if (get_language() or "").lower().startswith("en") else self.title_zh

    def sort_key(self) -> tuple[Any, ...]:
        moment = self.at or timezone.make_aware(dt.datetime.combine(self.date, dt.time.max))
        return (self.date, moment, KINDS.index(self.kind), self.object_id)


def _split(label: Any) -> tuple[str, str]:
    zh, _, en = str(label).partition(" / ")
    return zh, en or zh


def _certification_items(firm: Firm) -> list[TimelineItem]:
    from apps.programmes.models import Certification, Level

    items = []
    for cert in Certification.objects.filter(firm=firm).select_related("programme").order_by("id"):
        programme = cert.programme
        name_en = programme.name_en or programme.code
        level_zh, level_en = _split(Level(cert.level).label) if cert.level in Level.values else (cert.level,) * 2
        number = f"（{cert.number}）" if cert.number else ""
        number_en = f" ({cert.number})" if cert.number else ""
        url = f"/api/v1/certifications/{cert.pk}/"
        if cert.renews_id:
            kind, zh, en = "certification_renewed", "续期", "renewed"
        else:
            kind, zh, en = "certification_awarded", "获得认定", "awarded"
        items.append(
            TimelineItem(
                date=cert.certificate_date,
                at=None,
                kind=kind,
                title_zh=f"{programme.name_zh}{zh}（{level_zh}）{number}",
                title_en=f"{name_en} {en} ({level_en.lower()}){number_en}",
                object_type="certification",
                object_id=cert.pk,
                url=url,
                programme=programme.code,
            )
        )
        if cert.revoked_on is not None:
            reason = f"：{cert.revocation_reason}" if cert.revocation_reason else ""
            reason_en = f": {cert.revocation_reason}" if cert.revocation_reason else ""
            items.append(
                TimelineItem(
                    date=cert.revoked_on,
                    at=None,
                    kind="certification_revoked",
                    title_zh=f"{programme.name_zh}被撤销{number}{reason}",
                    title_en=f"{name_en} revoked{number_en}{reason_en}",
                    object_type="certification",
                    object_id=cert.pk,
                    url=url,
                    programme=programme.code,
                )
            )
    return items


def _listing_items(firm: Firm) -> list[TimelineItem]:
    from apps.listing.models import ListingEvent

    items = []
    for event in ListingEvent.objects.filter(firm=firm).order_by("id"):
        zh, en = _split(event.get_stage_display())
        extra_zh, extra_en = [], []
        for value, label in ((event.board, event.get_board_display()), (event.outcome, event.get_outcome_display())):
            if value:
                a, b = _split(label)
                extra_zh.append(a)
                extra_en.append(b)
        items.append(
            TimelineItem(
                date=event.date,
                at=None,
                kind="listing_event",
                title_zh=f"上市进程：{zh}" + (f"（{'，'.join(extra_zh)}）" if extra_zh else ""),
                title_en=f"Listing: {en}" + (f" ({', '.join(extra_en)})" if extra_en else ""),
                object_type="listing_event",
                object_id=event.pk,
                url=f"/api/v1/listing-events/{event.pk}/",
            )
        )
    return items


def _figures_items(firm: Firm) -> list[TimelineItem]:
    from apps.figures.models import AnnualFigures, FigureSource, FigureState, MonthlyFigures

    verified = {"reviewed_at__isnull": False, "state__in": [FigureState.VERIFIED, FigureState.SUPERSEDED]}
    items = []
    for annual in AnnualFigures.objects.filter(firm=firm, **verified).order_by("id"):
        imported = annual.source == FigureSource.IMPORT
        assert annual.reviewed_at is not None
        items.append(
            TimelineItem(
                date=timezone.localtime(annual.reviewed_at).date(),
                at=annual.reviewed_at,
                kind="annual_figures_verified",
                title_zh=f"{annual.fiscal_year} 年度数据{'导入' if imported else '核实'}（第 {annual.version} 版）",
                title_en=f"FY{annual.fiscal_year} figures {'imported' if imported else 'verified'} "
                f"(version {annual.version})",
                object_type="annual_figures",
                object_id=annual.pk,
                url=f"/api/v1/annual-figures/{annual.pk}/",
            )
        )
    for monthly in MonthlyFigures.objects.filter(firm=firm, **verified).order_by("id"):
        imported = monthly.source == FigureSource.IMPORT
        assert monthly.reviewed_at is not None
        items.append(
            TimelineItem(
                date=timezone.localtime(monthly.reviewed_at).date(),
                at=monthly.reviewed_at,
                kind="monthly_figures_verified",
                title_zh=f"{monthly.year} 年 {monthly.month} 月数据{'导入' if imported else '核实'}"
                f"（第 {monthly.version} 版）",
                title_en=f"{monthly.year}-{monthly.month:02d} figures {'imported' if imported else 'verified'} "
                f"(version {monthly.version})",
                object_type="monthly_figures",
                object_id=monthly.pk,
                url=f"/api/v1/monthly-figures/{monthly.pk}/",
            )
        )
    return items


def _journal_items(firm: Firm) -> list[TimelineItem]:
    items = []
    for entry in JournalEntry.objects.filter(firm=firm).order_by("id"):
        zh, en = _split(entry.get_kind_display())
        items.append(
            TimelineItem(
                date=entry.date,
                at=None,
                kind="journal_entry",
                title_zh=f"{zh}：{entry.title}",
                title_en=f"{en}: {entry.title}",
                object_type="journal_entry",
                object_id=entry.pk,
                url=f"/api/v1/journal/{entry.pk}/",
            )
        )
    return items


def firm_timeline(*, firm: Firm, user: Any) -> list[TimelineItem]:
    """Everything dated about the firm that `user` may see, newest first. The caller checked the firm's scope."""
    items = _certification_items(firm) + _listing_items(firm) + _figures_items(firm)
    if role_of(user) in (ADMIN, STAFF, VIEWER):  # journal entries are internal to park staff
        items += _journal_items(firm)
    return sorted(items, key=TimelineItem.sort_key, reverse=True)


# ---------------------------------------------------------------------------------------------
# The API shape of an item (GET /api/v1/firms/{id}/timeline/)


class TimelineItemSerializer(serializers.Serializer):
    date = serializers.DateField()
    at = serializers.DateTimeField(allow_null=True, help_text="The moment, for figures: when they were verified.")
    kind = serializers.ChoiceField(choices=[(k, k) for k in KINDS])
    title = serializers.CharField(help_text="In the request's language.")
    title_zh = serializers.CharField()
    title_en = serializers.CharField()
    object_type = serializers.CharField()
    object_id = serializers.IntegerField()
    url = serializers.CharField(help_text="API path of the record.")
    programme = serializers.CharField(allow_null=True)
