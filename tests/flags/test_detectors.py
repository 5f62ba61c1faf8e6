"""The title-lifecycle detectors, both sides of every rung, through a real scan on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from apps.figures.models import FigureState
from apps.flags.models import FigureRequirement, Flag
from apps.programmes import services as programme_services
from apps.programmes.models import Programme, ProgrammeDeadline
from tests.factories import FirmFactory
from tests.figures.factories import AnnualFiguresFactory
from tests.flags.conftest import cert_ending, run_scan
from tests.flags.factories import TODAY, DeadlineCompletionFactory
from tests.programmes.factories import CertificationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("standard_only")]


def flag_of(cert, kind="renewal_due"):
    return Flag.objects.filter(kind=kind, subject=f"cert:{cert.pk}").first()


@pytest.mark.parametrize(
    ("days_left", "point", "severity"),
    [
        (181, None, None),
        (180, 180, "info"),
        (91, 180, "info"),
        (90, 90, "warning"),
        (31, 90, "warning"),
        (30, 30, "critical"),
        (0, 30, "critical"),
    ],
)
def test_renewal_due_takes_the_smallest_rung_reached(days_left, point, severity):
    cert = cert_ending(FirmFactory(), "HNTE", days_left)
    run_scan()
    flag = flag_of(cert)
    if point is None:
        assert flag is None
        return
    assert (flag.ladder_point, flag.severity, flag.state) == (point, severity, "open")
    assert flag.due_date == cert.valid_until
    assert flag.programme_code == "HNTE"
    assert flag.evidence["number"] == cert.number
    assert "days_left" not in flag.evidence  # nothing that changes every day


def test_the_lead_window_is_the_programmes_data():
    Programme.objects.filter(code="HNTE").update(renewal_lead_days=[365, 60])
    far, near = cert_ending(FirmFactory(), "HNTE", 300), cert_ending(FirmFactory(), "HNTE", 61)
    run_scan()
    assert flag_of(far).ladder_point == 365
    assert flag_of(near).ladder_point == 365
    Programme.objects.filter(code="HNTE").update(renewal_lead_days=[])
    run_scan()
    assert flag_of(far).state == "resolved"


def test_no_renewal_flag_once_renewed_revoked_or_gone():
    renewed, revoked, followed = (cert_ending(FirmFactory(), "HNTE", 40) for _ in range(3))
    programme_services.certification_renew(certification=renewed, certificate_date=TODAY - dt.timedelta(days=5))
    programme_services.certification_revoke(certification=revoked, date=TODAY - dt.timedelta(days=1), reason="撤销")
    # A later certification of the same programme, not linked as a renewal, is a successor too.
    start = followed.valid_until + dt.timedelta(days=1)
    CertificationFactory(firm=followed.firm, programme=followed.programme, certificate_date=start, valid_from=start)
    left = cert_ending(FirmFactory(left_park_on=TODAY - dt.timedelta(days=3)), "HNTE", 40)
    run_scan()
    assert not Flag.objects.filter(kind__in=["renewal_due", "expired"]).filter(
        subject__in=[f"cert:{c.pk}" for c in (renewed, revoked, followed, left)]
    )


@pytest.mark.parametrize(
    ("days_ago", "point", "severity"),
    [(1, 0, "warning"), (29, 0, "warning"), (30, 30, "critical"), (365, 30, "critical"), (366, None, None)],
)
def test_expired_escalates_after_thirty_days(days_ago, point, severity):
    cert = cert_ending(FirmFactory(), "SRDI", -days_ago)
    run_scan()
    flag = flag_of(cert, "expired")
    if point is None:
        assert flag is None
        return
    assert (flag.ladder_point, flag.severity) == (point, severity)
    assert flag_of(cert) is None  # not also "renewal due"


def test_report_due_ladder_until_done():
    firm = FirmFactory()
    cert_ending(firm, "HNTE", 500)  # holds HNTE through 2026
    deadline = ProgrammeDeadline.objects.get(programme__code="HNTE", kind="annual_report")  # 31 May
    subject = f"deadline:{deadline.pk}:2026"
    expected = {
        dt.date(2026, 3, 31): None,  # 61 days before
        dt.date(2026, 4, 1): 60,
        dt.date(2026, 5, 1): 30,
        dt.date(2026, 5, 24): 7,
        dt.date(2026, 5, 31): 7,
        dt.date(2026, 6, 1): 0,  # overdue
    }
    for today, point in expected.items():
        run_scan(today)
        flag = Flag.objects.filter(firm=firm, kind="report_due", subject=subject).first()
        if point is None:
            assert flag is None or flag.state == "resolved", today
        else:
            assert flag.ladder_point == point, today
            assert flag.state == "open"
    assert flag.severity == "critical"
    DeadlineCompletionFactory(firm=firm, deadline=deadline, year=2026)
    run_scan(dt.date(2026, 6, 2))
    flag.refresh_from_db()
    assert (flag.state, flag.resolution) == ("resolved", "auto")


def test_report_due_for_a_yearly_registration_window_unless_registered_again():
    tsme = Programme.objects.get(code="TSME")
    ProgrammeDeadline.objects.create(
        programme=tsme, kind="application_window", name="科技型中小企业评价填报（2026 年）", month=9, day=30,
        opens_month=6, opens_day=30, first_year=2026, last_year=2026,
    )  # fmt: skip
    lapsed, again = FirmFactory(), FirmFactory()
    for firm in (lapsed, again):
        programme_services.certification_create(firm=firm, programme=tsme, certificate_date=dt.date(2025, 5, 10))
    programme_services.certification_create(firm=again, programme=tsme, certificate_date=dt.date(2026, 7, 2))
    run_scan(dt.date(2026, 8, 15))
    flagged = set(Flag.objects.filter(kind="report_due", programme_code="TSME").values_list("firm_id", flat=True))
    assert flagged == {lapsed.pk}


def test_data_missing_names_the_missing_verified_figures():
    FigureRequirement.objects.filter(programme__code="HNTE").update(fields=["rd_expense", "sales_revenue", "st_staff"])
    nothing, partial, proposed, complete = (FirmFactory() for _ in range(4))
    for firm in (nothing, partial, proposed, complete):
        cert_ending(firm, "HNTE", 500)
    AnnualFiguresFactory(firm=partial, fiscal_year=2025, sales_revenue=None)
    AnnualFiguresFactory(firm=proposed, fiscal_year=2025, state=FigureState.PROPOSED, sales_revenue=Decimal(1))
    AnnualFiguresFactory(firm=complete, fiscal_year=2025, sales_revenue=Decimal("29000000"))
    AnnualFiguresFactory(firm=nothing, fiscal_year=2024, sales_revenue=Decimal("29000000"))  # an older year
    run_scan()
    found = {f.firm_id: f for f in Flag.objects.filter(kind="data_missing", programme_code="HNTE", subject="fy:2025")}
    assert set(found) == {nothing.pk, partial.pk, proposed.pk}
    assert found[partial.pk].evidence["missing"] == ["sales_revenue"]
    assert found[partial.pk].severity == "info"
    assert found[nothing.pk].evidence["verified"] is False
    assert found[nothing.pk].evidence["missing"] == ["rd_expense", "sales_revenue", "st_staff"]
    assert found[proposed.pk].evidence["proposed"] is True


def test_a_programme_without_requirements_raises_no_data_missing():
    FigureRequirement.objects.filter(programme__code="HNTE").delete()
    cert_ending(FirmFactory(), "HNTE", 500)
    run_scan()
    assert not Flag.objects.filter(kind="data_missing")
