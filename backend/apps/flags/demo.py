"""The demo park's flags: a few extra certifications so that every reminder rung shows, then the scan.

apps.programmes.demo reproduces the park's 2022 highlights; its later certificates happen to give
renewals due within 30 days and expired titles, but none in the 90- or 180-day windows. The
certifications below are added through apps.programmes.services (all checks apply), with dates
computed from *today*, so that the demo shows each rung whichever day it is loaded:

- 威马农机股份有限公司 (the demo enterprise login's firm): an ISME certificate with ~150 days left
  → renewal_due at the 180-day rung;
- the first in-park firm without SRDI: an SRDI certificate with ~75 days left → the 90-day rung;
- the first in-park firm without LITTLE_GIANT: a 小巨人 certificate with ~20 days left → the 30-day rung;
- the first in-park firm without ISME (other than 威马): an ISME certificate that ran out 10 days
  ago → expired, not yet escalated (the programmes demo has expired titles older than 30 days, which are).

Reports: a deadline of this year that has passed is marked done for all but three holders, as a
park's firms mostly file on time; the three left show as overdue report_due flags.

Idempotent: certificates are found again by number, marks by (firm, deadline, year); the scan is
an upsert, so loading the demo again changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from apps.core import audit, clock
from apps.flags.jobs import run_job
from apps.flags.models import DeadlineCompletion, JobName
from apps.programmes import services
from apps.programmes.models import Certification, DeadlineKind, Programme
from apps.programmes.selectors import certifications_valid_on, deadlines_in_year
from apps.registry.demo import firm_specs
from apps.registry.models import Firm

WEIMA = "威马农机股份有限公司"

# (programme, days left on the certificate today, the firm by name or None for "the first without it", number)
EXTRA = [
    ("ISME", 150, WEIMA, "DEMO-ISME-180"),
    ("SRDI", 75, None, "DEMO-SRDI-90"),
    ("LITTLE_GIANT", 20, None, "DEMO-XJR-30"),
    ("ISME", -10, None, "DEMO-ISME-EXPIRED"),
]
OVERDUE_LEFT = 3


def _certificate_date(programme: Programme, days_left: int, today: dt.date) -> dt.date:
    """The certificate date whose N-year validity (to the day before the anniversary) ends `days_left` from today."""
    ends = today + dt.timedelta(days=days_left)
    return services.add_years(ends + dt.timedelta(days=1), -(programme.validity_years or 1))


def _pick_firm(programme: Programme, name: str | None, taken: set[int]) -> Firm | None:
    names = [spec["name"] for spec in firm_specs()]
    firms = Firm.objects.filter(name__in=names, left_park_on__isnull=True).exclude(pk__in=taken)
    if name is not None:
        return firms.filter(name=name).first()
    return firms.exclude(certifications__programme=programme).order_by("id").first()


@transaction.atomic
def seed_extra_certifications(today: dt.date) -> int:
    created = 0
    taken: set[int] = set()
    with audit.change_context(source="command", reason="演示数据：提醒阶梯 demo data: reminder rungs"):
        for code, days_left, name, number in EXTRA:
            programme = Programme.objects.get(code=code)
            existing = Certification.objects.filter(programme=programme, number=number).first()
            if existing is not None:
                taken.add(existing.firm_id)
                continue
            firm = _pick_firm(programme, name, taken)
            if firm is None:
                continue
            services.certification_create(
                firm=firm,
                programme=programme,
                certificate_date=_certificate_date(programme, days_left, today),
                number=number,
                batch="演示数据 / demo",
                notes="Added by apps.flags.demo so that the demo shows this reminder rung.",
            )
            taken.add(firm.pk)
            created += 1
    return created


@transaction.atomic
def seed_deadline_completions(today: dt.date) -> int:
    made = 0
    with audit.change_context(source="command", reason="演示数据：已报送 demo data: reports filed"):
        for item in deadlines_in_year(today.year, Programme.objects.filter(active=True)):
            entry, due_on = item["deadline"], item["due_on"]
            if entry.kind not in (DeadlineKind.ANNUAL_REPORT, DeadlineKind.DATA_UPDATE) or due_on >= today:
                continue
            holders = list(
                certifications_valid_on(today, Certification.objects.filter(programme_id=entry.programme_id))
                .order_by("firm_id")
                .values_list("firm_id", flat=True)
                .distinct()
            )
            done_on = due_on - dt.timedelta(days=10)
            for firm_id in holders[OVERDUE_LEFT:]:
                _, created = DeadlineCompletion.objects.get_or_create(
                    firm_id=firm_id, deadline=entry, year=today.year, defaults={"done_on": done_on, "note": "演示数据"}
                )
                made += int(created)
    return made


def seed_flags(today: dt.date | None = None) -> dict[str, Any]:
    """Extra certifications, reports marked done, then one scan (recorded as a job run)."""
    today = today or clock.today()
    certifications = seed_extra_certifications(today)
    completions = seed_deadline_completions(today)
    run = run_job(JobName.SCAN, params={"today": today.isoformat()}, trigger="demo")
    return {
        "certifications": certifications,
        "completions": completions,
        "run": run.pk if run else None,
        "state": run.state if run else None,
        "counts": run.counts if run else {},
    }
