"""Reads of programmes and certifications, narrowed to what the caller may see.

Certification scope follows the firm: `firms_visible_to(user)` is the root (enterprise users see
their linked firms only, zone-limited staff their zones). The catalogue is visible to every role.

"Valid on day d" is `period @> d`: the days a certification counts, already cut short by a
revocation (counts up to the day before `revoked_on`) or a successor (see models).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import BooleanField, Case, CharField, Exists, OuterRef, Q, QuerySet, Value, When

from apps.core import clock
from apps.core.permissions import role_of
from apps.programmes.models import Certification, CertificationState, Ladder, Programme, ProgrammeDeadline
from apps.registry.models import Firm
from apps.registry.selectors import firms_visible_to


def programmes_visible_to(user: Any) -> QuerySet[Programme]:
    if role_of(user) is None:
        return Programme.objects.none()
    return Programme.objects.prefetch_related("deadlines")


def deadlines_visible_to(user: Any) -> QuerySet[ProgrammeDeadline]:
    if role_of(user) is None:
        return ProgrammeDeadline.objects.none()
    return ProgrammeDeadline.objects.select_related("programme")


def certifications_visible_to(user: Any) -> QuerySet[Certification]:
    return Certification.objects.filter(firm__in=firms_visible_to(user))


def _later_certification() -> Exists:
    """Another certification of the same firm and programme starting later: a successor, linked or not."""
    return Exists(
        Certification.objects.filter(
            firm_id=OuterRef("firm_id"), programme_id=OuterRef("programme_id"), valid_from__gt=OuterRef("valid_from")
        )
    )


def with_state(certifications: QuerySet[Certification], today: dt.date | None = None) -> QuerySet[Certification]:
    """Annotates `state` (as of today) and `has_successor`; both are derived, never stored."""
    today = today or clock.today()
    return certifications.annotate(
        state=Case(
            When(revoked_on__lte=today, then=Value(CertificationState.REVOKED.value)),
            When(superseded_on__lte=today, then=Value(CertificationState.SUPERSEDED.value)),
            When(valid_from__gt=today, then=Value(CertificationState.PENDING.value)),
            When(valid_until__lt=today, then=Value(CertificationState.EXPIRED.value)),
            default=Value(CertificationState.VALID.value),
            output_field=CharField(),
        ),
        has_successor=Case(
            When(Q(superseded_on__isnull=False) | _later_certification(), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
    )


def certifications_for_listing(user: Any, today: dt.date | None = None) -> QuerySet[Certification]:
    return with_state(
        certifications_visible_to(user).select_related("firm", "firm__zone", "programme", "renewed_by"), today
    )


def certifications_valid_on(
    day: dt.date, certifications: QuerySet[Certification] | None = None
) -> QuerySet[Certification]:
    """Certifications that count on `day` (SPEC §5 valid(f, d), with renewals not double-counted)."""
    base = Certification.objects.all() if certifications is None else certifications
    return base.filter(period__contains=day)


def certifications_expiring_within(
    days: int, certifications: QuerySet[Certification] | None = None, today: dt.date | None = None
) -> QuerySet[Certification]:
    """Valid now, printed end within `days` days, not revoked, and no successor yet: renewal is due."""
    today = today or clock.today()
    base = Certification.objects.all() if certifications is None else certifications
    return (
        base.filter(valid_until__gte=today, valid_until__lte=today + dt.timedelta(days=days), valid_from__lte=today)
        .filter(revoked_on__isnull=True, superseded_on__isnull=True)
        .exclude(_later_certification())
    )


def certifications_expired_without_successor(
    certifications: QuerySet[Certification] | None = None, today: dt.date | None = None
) -> QuerySet[Certification]:
    """Ran out (not revoked) and neither renewed nor followed by a later certification of the programme."""
    today = today or clock.today()
    base = Certification.objects.all() if certifications is None else certifications
    return base.filter(valid_until__lt=today, revoked_on__isnull=True, superseded_on__isnull=True).exclude(
        _later_certification()
    )


def deadlines_in_year(year: int, programmes: QuerySet[Programme] | None = None) -> list[dict[str, Any]]:
    """Every deadline entry that applies in `year`, with its dates in that year, soonest first."""
    entries = ProgrammeDeadline.objects.select_related("programme")
    if programmes is not None:
        entries = entries.filter(programme__in=programmes)
    found = []
    for entry in entries:
        dates = entry.dates_in(year)
        if dates is not None:
            found.append({"deadline": entry, "opens_on": dates[0], "due_on": dates[1]})
    return sorted(found, key=lambda item: (item["due_on"], item["deadline"].pk))


def firm_standing(*, firm: Firm, today: dt.date | None = None) -> dict[str, list[dict[str, Any]]]:
    """Titles held today and the firm's position on every ladder. Two queries whatever the firm holds."""
    today = today or clock.today()
    held = list(
        certifications_valid_on(today, Certification.objects.filter(firm=firm))
        .select_related("programme")
        .order_by("programme__ladder", "programme__rung", "programme__code", "level", "id")
    )
    held_ids = {cert.programme_id for cert in held}
    programmes = [p for p in Programme.objects.order_by("rung", "code") if p.active or p.pk in held_ids]
    titles = [
        {
            "id": cert.pk,
            "programme": cert.programme.code,
            "programme_name": cert.programme.name_zh,
            "programme_name_en": cert.programme.name_en,
            "level": cert.level,
            "number": cert.number,
            "certificate_date": cert.certificate_date,
            "valid_from": cert.valid_from,
            "valid_until": cert.valid_until,
            "ends_on": cert.ends_on,
            "days_left": (ends - today).days if (ends := cert.ends_on) is not None else None,
        }
        for cert in held
    ]
    ladders = []
    for ladder in Ladder:
        rungs = [p for p in programmes if p.ladder == ladder.value]
        on_ladder = [p for p in rungs if p.pk in held_ids]
        top = max(on_ladder, key=lambda p: (p.rung, p.code)) if on_ladder else None
        ladders.append(
            {
                "ladder": ladder.value,
                "name": str(ladder.label),
                "rungs": [
                    {"code": p.code, "name": p.name_zh, "name_en": p.name_en, "rung": p.rung, "held": p.pk in held_ids}
                    for p in rungs
                ],
                "position": {"code": top.code, "name": top.name_zh, "rung": top.rung} if top else None,
            }
        )
    return {"titles": titles, "ladders": ladders}
