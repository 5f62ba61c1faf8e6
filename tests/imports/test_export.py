"""Exports: every list to XLSX and CSV with the list's filters and scope, formulas neutralised, and the round
trip — an export re-imports with zero changes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from apps.core.models import Change
from apps.figures.models import AnnualFigures, MonthlyFigures
from apps.programmes.models import Certification
from apps.registry.models import Firm
from tests.factories import FirmFactory, JournalFactory
from tests.figures.factories import AnnualFiguresFactory, MonthlyFiguresFactory
from tests.imports.factories import read_csv, read_xlsx, upload
from tests.listing.factories import ListingEventFactory
from tests.programmes.factories import CertificationFactory, programme

pytestmark = pytest.mark.django_db

LISTS = ("firms", "certifications", "annual-figures", "monthly-figures", "listing-events")


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def records(park: Any) -> Any:
    for firm in (park.firm_a, park.firm_b):
        CertificationFactory(firm=firm)
        AnnualFiguresFactory(firm=firm)
        MonthlyFiguresFactory(firm=firm)
        ListingEventFactory(firm=firm, stage="pool", date=dt.date(2021, 3, 1))
    return park


def export(client: Any, name: str, file_format: str = "csv", **filters: Any) -> Any:
    return client.get(f"/api/v1/{name}/export/", {"format": file_format, **filters})


def test_every_list_exports_in_both_formats_within_scope(records: Any, as_user: Any) -> None:
    for name in LISTS:
        staff = export(as_user(records.staff), name)
        assert staff.status_code == 200, (name, staff.content)
        assert staff["Content-Type"] == "text/csv; charset=utf-8"
        assert "attachment" in staff["Content-Disposition"]
        text = staff.content.decode("utf-8")
        assert text.startswith("\ufeff")
        assert records.firm_a.uscc in text and records.firm_b.uscc in text
        book = export(as_user(records.staff), name, "xlsx")
        assert book.status_code == 200
        assert book["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
        assert len(read_xlsx(book.content)) == 3  # header and two rows
        # Same scope as the list: firm A's enterprise user and zone-A staff never see firm B.
        for user in (records.ent_a, records.staff_a):
            own = export(as_user(user), name).content.decode("utf-8")
            assert records.firm_a.uscc in own and records.firm_b.uscc not in own, (name, user.username)


def test_exports_follow_the_list_filters(records: Any, as_user: Any) -> None:
    client = as_user(records.staff)
    rows = read_csv(export(client, "firms", zone=records.zone_b.pk).content)
    assert [r[0] for r in rows[1:]] == [records.firm_b.uscc]
    rows = read_csv(export(client, "firms", q="甲方").content)
    assert [r[0] for r in rows[1:]] == [records.firm_a.uscc]
    rows = read_csv(export(client, "certifications", firm=records.firm_b.pk).content)
    assert [r[2] for r in rows[1:]] == [records.firm_b.uscc]
    rows = read_csv(export(client, "annual-figures", fiscal_year=2021).content)
    assert rows[1:] == []


def test_unknown_format_and_too_many_rows_are_400(records: Any, as_user: Any, settings: Any) -> None:
    client = as_user(records.staff, "en")
    bad = export(client, "firms", "pdf")
    assert bad.status_code == 400
    assert bad.json()["errors"]["format"] == ["The export format is csv or xlsx."]
    settings.SEEDBED_EXPORT_MAX_ROWS = 1
    too_many = export(client, "firms")
    assert too_many.status_code == 400
    assert "narrow the filters" in too_many.json()["message"]


def test_formula_injection_is_neutralised(park: Any, as_user: Any) -> None:
    Firm.objects.filter(pk=park.firm_a.pk).update(
        name='=HYPERLINK("http://evil.example","点我")',
        address="+86 023",
        legal_representative="@SUM(A1)",
        notes="-1+1",
    )
    client = as_user(park.staff)
    rows = read_csv(export(client, "firms", zone=park.zone_a.pk).content)
    name, address, person, notes = rows[1][1], rows[1][11], rows[1][12], rows[1][13]
    assert name == '\'=HYPERLINK("http://evil.example","点我")'
    assert (address, person, notes) == ("'+86 023", "'@SUM(A1)", "'-1+1")
    sheet = read_xlsx(export(client, "firms", "xlsx", zone=park.zone_a.pk).content)
    assert sheet[1][1] == '\'=HYPERLINK("http://evil.example","点我")'
    assert sheet[1][13] == "'-1+1"
    import io

    from openpyxl import load_workbook

    cells = load_workbook(io.BytesIO(export(client, "firms", "xlsx", zone=park.zone_a.pk).content)).active
    assert cells is not None
    assert all(cell.data_type != "f" for row in cells.iter_rows() for cell in row)


def changes_outside_jobs() -> int:
    return Change.objects.exclude(table_name="imports_importjob").count()


def reimport(client: Any, name: str, kind: str, file_format: str, **form: Any) -> dict[str, Any]:
    data = export(client, name, file_format).content
    answer = upload(client, data, f"export.{file_format}", kind, **form)
    assert answer.status_code == 201, answer.content
    job = answer.json()
    assert job["row_errors"] == [], job["row_errors"]
    return job


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_round_trip_firms(park: Any, as_user: Any, media: Any, file_format: str) -> None:
    FirmFactory(
        zone=park.zone_b,
        name="重庆（江津）全字段股份有限公司",
        legal_form="joint_stock",
        joint_stock_date=dt.date(2020, 5, 6),
        industry_id="C3511",
        left_park_on=dt.date(2023, 6, 30),
        exit_kind="moved_out",
        tags=["数字经济", "重点跟踪"],
        address="=1+1 珞璜大道 1 号",
        legal_representative="王伟",
        notes="多行\n备注",
    )
    client = as_user(park.admin)
    before = changes_outside_jobs()
    job = reimport(client, "firms", "firms", file_format)
    assert (job["rows_total"], job["unchanged"], job["to_create"], job["to_update"]) == (3, 3, 0, 0)
    assert client.post(f"/api/v1/imports/{job['id']}/commit/", {}, format="json").status_code == 200
    assert changes_outside_jobs() == before


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_round_trip_certifications(park: Any, as_user: Any, media: Any, file_format: str) -> None:
    old = CertificationFactory(firm=park.firm_a, certificate_date=dt.date(2019, 11, 21), batch="2019 第二批")
    Certification.objects.filter(pk=old.pk).update(superseded_on=dt.date(2022, 11, 2))
    CertificationFactory(firm=park.firm_a, certificate_date=dt.date(2022, 11, 2), renews=old, number="")
    CertificationFactory(firm=park.firm_b, programme=programme("SRDI"), level="municipal", valid_until=None)
    CertificationFactory(firm=park.firm_b, programme=programme("ABOVE_SIZE"), number="", valid_until=None)
    client = as_user(park.staff)
    before = changes_outside_jobs()
    job = reimport(client, "certifications", "certifications", file_format)
    assert (job["rows_total"], job["unchanged"]) == (4, 4)
    assert client.post(f"/api/v1/imports/{job['id']}/commit/", {}, format="json").status_code == 200
    assert changes_outside_jobs() == before


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_round_trip_figures(park: Any, as_user: Any, media: Any, file_format: str) -> None:
    AnnualFiguresFactory(firm=park.firm_a, fiscal_year=2021, net_profit=Decimal("-1234567.89"), state="superseded")
    AnnualFiguresFactory(firm=park.firm_a, fiscal_year=2021, net_profit=Decimal("-1234567.80"), ip_class1=3)
    AnnualFiguresFactory(firm=park.firm_b, fiscal_year=2022, state="proposed", source="enterprise")
    AnnualFiguresFactory(firm=park.firm_b, fiscal_year=2023, total_assets=Decimal("98765432109.99"))
    MonthlyFiguresFactory(firm=park.firm_a, year=2022, month=6)
    MonthlyFiguresFactory(firm=park.firm_b, year=2022, month=12, output_value_ytd=None)
    client = as_user(park.staff)
    before = changes_outside_jobs()
    annual = reimport(client, "annual-figures", "annual_figures", file_format)
    assert (annual["rows_total"], annual["unchanged"], annual["skipped"]) == (4, 2, 2)
    monthly = reimport(client, "monthly-figures", "monthly_figures", file_format)
    assert (monthly["rows_total"], monthly["unchanged"]) == (2, 2)
    for job in (annual, monthly):
        assert client.post(f"/api/v1/imports/{job['id']}/commit/", {}, format="json").status_code == 200
    assert changes_outside_jobs() == before
    assert AnnualFigures.objects.count() == 4 and MonthlyFigures.objects.count() == 2


def test_journal_is_not_exported_by_the_firm_export(park: Any, as_user: Any) -> None:
    JournalFactory(firm=park.firm_a, title="内部走访意见")
    text = export(as_user(park.staff), "firms").content.decode()
    assert "内部走访意见" not in text
