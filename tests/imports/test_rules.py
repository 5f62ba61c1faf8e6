"""The rules of importing: who may, whose firms, name matching, natural keys, renewals and overlaps, the
figures' versions, and a commit that finds the data changed since its dry run."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from apps.core import clock
from apps.core.models import Change
from apps.figures.models import AnnualFigures, MonthlyFigures
from apps.imports.models import ImportJob
from apps.programmes.models import Certification
from apps.registry.models import Firm
from tests.factories import FirmFactory, uscc_for
from tests.figures.factories import AnnualFiguresFactory
from tests.imports.factories import CERT_HEADER, csv_bytes, upload
from tests.programmes.factories import CertificationFactory, programme

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def certs(client: Any, rows: list[list[Any]], **form: Any) -> dict[str, Any]:
    form.setdefault("programme", "HNTE")
    answer = upload(client, csv_bytes([CERT_HEADER, *rows]), "名单.csv", "certifications", **form)
    assert answer.status_code == 201, answer.content
    return answer.json()


def commit(client: Any, job: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/imports/{job['id']}/commit/", {}, format="json")


def errors_by_row(job: dict[str, Any]) -> dict[int, str]:
    found: dict[int, str] = {}
    for error in job["row_errors"]:
        found[error["row"]] = (found.get(error["row"], "") + " " + error["message"]).strip()
    return found


def test_enterprise_users_and_viewers_cannot_import(park: Any, as_user: Any) -> None:
    for user in (park.ent_a, park.viewer):
        answer = upload(as_user(user), csv_bytes([CERT_HEADER]), "a.csv", "certifications", programme="HNTE")
        assert answer.status_code == 403
        assert as_user(user).get("/api/v1/imports/").status_code == 403
    assert ImportJob.objects.count() == 0


def test_zone_limited_staff_import_only_their_zones(park: Any, as_user: Any) -> None:
    rows = [
        [1, park.firm_a.name, park.firm_a.uscc, "GR1", "2022-12-19", "b"],
        [2, park.firm_b.name, park.firm_b.uscc, "GR2", "2022-12-19", "b"],
        [3, park.firm_b.name, "", "GR3", "2022-12-19", "b"],
    ]
    job = certs(as_user(park.staff_a), rows)
    assert (job["to_create"], job["error_rows"]) == (1, 2)
    assert set(errors_by_row(job)) == {3, 4}
    # Another zone's firm reads as unregistered: the dry run tells nothing of other zones (finding 11).
    assert "尚未登记" in errors_by_row(job)[3]
    assert "没有名称为" in errors_by_row(job)[4]
    # A new firm cannot be put into another zone either, nor an existing one moved there.
    firms = [
        ["统一社会信用代码", "企业名称", "园区片区"],
        [uscc_for(777), "重庆新企业有限公司", park.zone_b.name],
        [park.firm_a.uscc, park.firm_a.name, park.zone_b.code],
    ]
    job = upload(as_user(park.staff_a), csv_bytes(firms), "f.csv", "firms").json()
    assert job["error_rows"] == 2
    assert all("不在您负责的范围内" in message for message in errors_by_row(job).values())


def test_staff_see_only_their_own_jobs(park: Any, as_user: Any) -> None:
    job = certs(as_user(park.staff), [[1, park.firm_a.name, park.firm_a.uscc, "GR1", "2022-12-19", "b"]])
    assert as_user(park.staff_a).get(f"/api/v1/imports/{job['id']}/").status_code == 404
    assert commit(as_user(park.staff_a), job).status_code == 404
    assert as_user(park.staff_a).get("/api/v1/imports/").json()["count"] == 0
    assert as_user(park.admin).get(f"/api/v1/imports/{job['id']}/").status_code == 200


def test_name_matching_only_when_unambiguous(park: Any, as_user: Any) -> None:
    twin_1 = FirmFactory(zone=park.zone_a, name="重庆同名科技有限公司")
    FirmFactory(zone=park.zone_b, name="重庆同名科技有限公司")
    rows = [
        [1, "重庆甲方科技有限公司", "", "GR1", "2022-12-19", "b"],  # park.firm_a, by name
        [2, " 重庆同名科技有限公司 ", "", "GR2", "2022-12-19", "b"],  # two firms have it
        [3, "重庆不存在有限公司", "", "GR3", "2022-12-19", "b"],
        [4, "", "", "GR4", "2022-12-19", "b"],
        [5, "重庆同名科技有限公司", twin_1.uscc, "GR5", "2022-12-19", "b"],  # the code decides
    ]
    job = certs(as_user(park.staff), rows)
    found = errors_by_row(job)
    assert set(found) == {3, 4, 5}
    assert "有 2 家" in found[3] and "统一社会信用代码" in found[3]
    assert "没有名称为“重庆不存在有限公司”" in found[4]
    assert "请填写统一社会信用代码或企业名称" in found[5]
    assert job["to_create"] == 2


def test_natural_key_number_and_duplicates(park: Any, as_user: Any) -> None:
    CertificationFactory(firm=park.firm_b, number="GR-TAKEN")
    rows = [
        [1, park.firm_a.name, park.firm_a.uscc, "GR-TAKEN", "2022-12-19", "b"],
        [2, park.firm_a.name, park.firm_a.uscc, "GR-NEW", "2022-12-19", "b"],
        [3, park.firm_a.name, park.firm_a.uscc, "GR-NEW", "2022-12-20", "b"],
    ]
    job = certs(as_user(park.staff, "en"), rows)
    found = errors_by_row(job)
    assert set(found) == {2, 4}
    assert "registered to another firm" in found[2]
    assert "Repeats row 3" in found[4]


def test_updates_by_number_and_blank_batch_keeps(park: Any, as_user: Any) -> None:
    cert = CertificationFactory(firm=park.firm_a, number="GR1", certificate_date=dt.date(2022, 12, 19), batch="旧批次")
    client = as_user(park.staff)
    job = certs(client, [[1, park.firm_a.name, park.firm_a.uscc, "GR1", "2022-12-19", ""]])
    assert job["unchanged"] == 1
    job = certs(client, [[1, park.firm_a.name, park.firm_a.uscc, "GR1", "2022-12-20", "新批次"]])
    assert job["to_update"] == 1
    assert commit(client, job).json()["updated"] == 1
    cert.refresh_from_db()
    assert (cert.certificate_date, cert.valid_until, cert.batch) == (
        dt.date(2022, 12, 20),
        dt.date(2025, 12, 19),
        "新批次",
    )
    change = Change.objects.filter(table_name="programmes_certification", object_id=str(cert.pk)).latest("id")
    assert (change.source, change.actor_label, change.action) == ("import", park.staff.username, "update")
    assert "名单.csv" in change.reason


def test_a_re_recognition_renews_the_current_certificate(park: Any, as_user: Any) -> None:
    """HNTE 2019-11-21 runs to 2022-11-20; the 2022 list's certificate of 2022-11-02 renews it."""
    old = CertificationFactory(firm=park.firm_a, number="GR2019", certificate_date=dt.date(2019, 11, 21))
    client = as_user(park.staff)
    job = certs(client, [[1, park.firm_a.name, park.firm_a.uscc, "GR2022", "2022-11-02", "2022 第二批"]])
    assert (job["to_create"], job["error_rows"]) == (1, 0)
    assert commit(client, job).status_code == 200
    new = Certification.objects.get(number="GR2022")
    old.refresh_from_db()
    assert (new.renews_id, old.superseded_on) == (old.pk, dt.date(2022, 11, 2))
    # The same list again is unchanged, and a certificate starting inside the new one's validity is an error.
    assert certs(client, [[1, park.firm_a.name, park.firm_a.uscc, "GR2022", "2022-11-02", ""]])["unchanged"] == 1
    job = certs(client, [[1, park.firm_a.name, park.firm_a.uscc, "GR-X", "2023-05-01", ""]])
    assert "重叠" in errors_by_row(job)[2] and "GR2022" in errors_by_row(job)[2]


def test_overlaps_that_are_not_renewals_are_errors(park: Any, as_user: Any) -> None:
    revoked = CertificationFactory(firm=park.firm_a, number="GR-R", certificate_date=dt.date(2020, 1, 1))
    Certification.objects.filter(pk=revoked.pk).update(revoked_on=dt.date(2022, 6, 1))
    CertificationFactory(firm=park.firm_b, number="GR-LATER", certificate_date=dt.date(2023, 1, 1))
    rows = [
        [1, park.firm_a.name, park.firm_a.uscc, "GR-A", "2021-03-01", ""],  # overlaps a revoked one's counted days
        [2, park.firm_b.name, park.firm_b.uscc, "GR-B", "2021-03-01", ""],  # starts before a later one, overlapping
        [3, park.firm_a.name, park.firm_a.uscc, "GR-C", "2024-01-01", ""],
        [4, park.firm_a.name, park.firm_a.uscc, "GR-D", "2025-01-01", ""],  # overlaps row 4 of the file
    ]
    job = certs(as_user(park.staff), rows)
    found = errors_by_row(job)
    assert set(found) == {2, 3, 5}
    assert "第 4 行" in found[5]
    assert commit(as_user(park.staff), job).status_code == 409
    assert not Certification.objects.filter(number__in=["GR-C"]).exists()


def test_programme_and_level_from_the_form_or_the_file(park: Any, as_user: Any) -> None:
    client = as_user(park.staff, "en")
    rows = [[1, park.firm_a.name, park.firm_a.uscc, "S1", "2022-03-01", ""]]
    job = upload(client, csv_bytes([CERT_HEADER, *rows]), "a.csv", "certifications", programme="LISTING_RESERVE")
    assert "several levels" in job.json()["row_errors"][0]["message"]
    header = [*CERT_HEADER, "项目", "级别"]
    rows = [
        [1, park.firm_a.name, park.firm_a.uscc, "S1", "2022-03-01", "", "专精特新中小企业", "市级"],
        [2, park.firm_b.name, park.firm_b.uscc, "L1", "2022-03-01", "", "LITTLE_GIANT", "national"],
        [3, park.firm_b.name, park.firm_b.uscc, "Z1", "2022-03-01", "", "NOPE", ""],
        [4, park.firm_b.name, park.firm_b.uscc, "Z2", "2022-03-01", "", "HNTE", "区级"],
    ]
    job = upload(client, csv_bytes([header, *rows]), "a.csv", "certifications").json()
    found = errors_by_row(job)
    assert set(found) == {4, 5}
    assert "Unknown programme" in found[4] and "no level 'district'" in found[5]


def test_firms_create_update_and_blank_cells_keep(park: Any, as_user: Any) -> None:
    park.firm_a.address = "珞璜大道 1 号"
    park.firm_a.save()
    rows = [
        ["统一社会信用代码", "企业名称", "园区片区", "成立日期", "企业类型", "行业代码", "标签", "地址", "离园日期"],
        [uscc_for(4242), "重庆新来有限公司", "甲区", "2020/1/2", "股份", "3511", "数字经济、重点跟踪", "", ""],
        [park.firm_a.uscc, "", "", "", "", "", "", "", "2024-06-30"],
        ["", "重庆乙方机械有限公司", "", "", "", "C3422", "", "新地址", ""],  # by name, firm B
        ["91500116MA5U7X8Y9", "坏代码", "甲区", "", "", "", "", "", ""],
        [uscc_for(4243), "缺片区", "", "", "", "", "", "", ""],
        [uscc_for(4244), "重庆坏行业有限公司", "甲区", "", "合伙", "9999", "", "", ""],
    ]
    client = as_user(park.staff)
    job = upload(client, csv_bytes(rows), "firms.csv", "firms").json()
    found = errors_by_row(job)
    assert set(found) == {5, 6, 7}
    assert "18 位" in found[5] and "园区片区" in found[6] and "9999" in found[7]
    rows = rows[:4]
    job = upload(client, csv_bytes(rows), "firms.csv", "firms").json()
    assert (job["to_create"], job["to_update"], job["unchanged"]) == (1, 2, 0)
    assert commit(client, job).json()["status"] == "committed"
    new = Firm.objects.get(uscc=uscc_for(4242))
    assert (new.zone, new.legal_form, new.industry_id, new.tags) == (
        park.zone_a,
        "joint_stock",
        "C3511",
        ["数字经济", "重点跟踪"],
    )
    assert new.registration_date == dt.date(2020, 1, 2)
    park.firm_a.refresh_from_db()
    assert (park.firm_a.address, park.firm_a.left_park_on, park.firm_a.exit_kind) == (
        "珞璜大道 1 号",
        dt.date(2024, 6, 30),
        "moved_out",
    )
    park.firm_b.refresh_from_db()
    assert park.firm_b.address == "新地址"
    assert upload(client, csv_bytes(rows), "firms.csv", "firms").json()["unchanged"] == 3


@pytest.mark.dated
def test_annual_figures_become_verified_imported_versions(park: Any, as_user: Any) -> None:
    current = AnnualFiguresFactory(firm=park.firm_a, fiscal_year=2022, rd_expense=Decimal("1200000.00"), version=1)
    proposal = AnnualFiguresFactory(
        firm=park.firm_a, fiscal_year=2022, state="proposed", source="enterprise", version=2
    )
    rows = [
        ["统一社会信用代码", "企业名称", "会计年度", "营业收入（万元）", "研发费用", "职工总数", "科技人员数"],
        [park.firm_a.uscc, "", "2022", "3,000", "1200000", "", ""],  # 3,000 万元 = the stored 30,000,000
        [park.firm_b.uscc, "", "2022", "1,234.5678", "-5", "10", "12"],
        ["", "重庆乙方机械有限公司", "2023", "12", "", "10", "12"],
        [park.firm_b.uscc, "", str(clock.today().year + 1), "1", "", "", ""],
    ]
    client = as_user(park.staff, "en")
    job = upload(client, csv_bytes(rows), "年报.csv", "annual_figures").json()
    found = errors_by_row(job)
    assert set(found) == {3, 4, 5}
    assert "'研发费用' cannot be negative" in found[3]
    assert "S&T staff" in found[4] and "cannot exceed" in found[4]
    assert "future" in found[5]
    assert job["unchanged"] == 1
    rows[2] = [park.firm_b.uscc, "", "2022", "1,234.5678", "5", "10", "9"]
    rows[1][4] = "1300000"
    job = upload(client, csv_bytes(rows[:3]), "年报.csv", "annual_figures").json()
    assert (job["to_create"], job["to_update"], job["error_rows"]) == (1, 1, 0)
    assert commit(client, job).json()["status"] == "committed"
    current.refresh_from_db()
    proposal.refresh_from_db()
    assert (current.state, proposal.state) == ("superseded", "proposed")
    new = AnnualFigures.objects.get(firm=park.firm_a, fiscal_year=2022, state="verified")
    assert (new.source, new.version, new.reviewed_by, new.rd_expense) == ("import", 3, park.staff, Decimal("1300000"))
    assert new.operating_revenue == Decimal("30000000.00") and new.staff_total == 120  # blank kept the value
    created = AnnualFigures.objects.get(firm=park.firm_b)
    assert (created.operating_revenue, created.rd_expense, created.version) == (Decimal("12345678.00"), 5, 1)
    rows = [rows[0], [park.firm_b.uscc, "", "2021", "(12)", "", "", ""]]
    job = upload(client, csv_bytes(rows), "年报.csv", "annual_figures").json()
    assert "cannot be negative" in errors_by_row(job)[2]


def test_monthly_figures(park: Any, as_user: Any) -> None:
    rows = [
        ["统一社会信用代码", "年份", "月份", "本年累计主营业务收入（元）", "本年累计工业总产值（元）"],
        [park.firm_a.uscc, "2022年", "6月", "12000000", "13000000"],
        [park.firm_a.uscc, "2022", "13", "1", "1"],
        [park.firm_a.uscc, "2022", "6", "1", "1"],
    ]
    client = as_user(park.staff)
    job = upload(client, csv_bytes(rows), "月报.csv", "monthly_figures").json()
    assert set(errors_by_row(job)) == {3, 4}
    job = upload(client, csv_bytes(rows[:2]), "月报.csv", "monthly_figures").json()
    assert commit(client, job).json()["created"] == 1
    figure = MonthlyFigures.objects.get()
    assert (figure.year, figure.month, figure.state, figure.source) == (2022, 6, "verified", "import")


def test_a_commit_that_finds_the_data_changed_writes_nothing(park: Any, as_user: Any) -> None:
    rows = [
        [1, park.firm_a.name, park.firm_a.uscc, "GR1", "2022-12-19", "b"],
        [2, park.firm_b.name, park.firm_b.uscc, "GR2", "2022-12-19", "b"],
    ]
    client = as_user(park.staff)
    job = certs(client, rows)
    assert job["status"] == "ready"
    CertificationFactory(firm=park.firm_a, number="GR1-OTHER", certificate_date=dt.date(2023, 1, 1))
    CertificationFactory(firm=park.firm_a, number="GR-X", programme=programme("SRDI"), level="municipal")
    answer = commit(client, job)
    assert answer.status_code == 409
    body = answer.json()
    assert body["code"] == "conflict"
    assert body["job"]["status"] == "invalid"
    assert [e["row"] for e in body["job"]["row_errors"]] == [2]
    assert not Certification.objects.filter(number__in=["GR1", "GR2"]).exists()
    assert commit(client, job).status_code == 409  # still refused: fix and upload again


@pytest.mark.django_db(transaction=True)
def test_a_commit_delivered_twice_at_once_runs_once(as_user: Any, settings: Any, tmp_path: Any) -> None:
    """A broker may deliver the commit task twice; the second delivery finds the first one's lock and leaves."""
    import threading

    from django.db import connection, transaction

    from apps.imports import services
    from tests.factories import FirmFactory, UserFactory

    settings.MEDIA_ROOT = str(tmp_path)
    staff = UserFactory(username="twice", role="staff")
    firm = FirmFactory()
    job = certs(as_user(staff), [[1, firm.name, firm.uscc, "GR-ONCE", "2022-12-19", "b"]])
    ImportJob.objects.filter(pk=job["id"]).update(status="committing")  # as the first delivery left it
    locked, release = threading.Event(), threading.Event()

    def first_delivery() -> None:
        with transaction.atomic():
            list(ImportJob.objects.select_for_update().filter(pk=job["id"]))
            locked.set()
            release.wait(30)
        connection.close()

    thread = threading.Thread(target=first_delivery)
    thread.start()
    try:
        assert locked.wait(30)
        second = services.import_commit_run(job=ImportJob.objects.get(pk=job["id"]))
        assert second.status == "committing" and second.created == 0
        assert not Certification.objects.filter(number="GR-ONCE").exists()
    finally:
        release.set()
        thread.join(30)
    done = services.import_commit_run(job=ImportJob.objects.get(pk=job["id"]))
    assert (done.status, done.created) == ("committed", 1)
    assert services.import_commit_run(job=done).created == 1  # and a third time changes nothing
    assert Certification.objects.filter(number="GR-ONCE").count() == 1
