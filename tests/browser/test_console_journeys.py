"""Journeys through the flag inbox, the imports page and the enterprise portal's figures, end to end
against the real API and database (issue 6: acknowledge a flag; an import with an error row, then the
fix and commit; an enterprise user submits figures and cannot reach another firm)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from apps.core import clock
from tests.factories import uscc_for
from tests.flags.factories import FlagFactory
from tests.programmes.factories import CertificationFactory, programme

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _choose(page: Any, select: str, option: str) -> None:
    page.locator(select).click()
    page.locator(".el-select-dropdown__item:visible", has_text=option).first.click()


@pytest.mark.dated
def test_staff_finds_a_firm_sees_titles_and_gap_and_works_flags_in_the_inbox(
    park: Any, live_server: Any, page: Any, sign_in: Any
) -> None:
    CertificationFactory(
        firm=park.firm_a, programme=programme("HNTE"), number="GR202450000001", certificate_date=dt.date(2024, 11, 12)
    )
    due = clock.today() + dt.timedelta(days=40)
    flag_a = FlagFactory(firm=park.firm_a, kind="renewal_due", programme_code="HNTE", due_date=due)
    flag_b = FlagFactory(firm=park.firm_b, kind="expired", programme_code="SRDI", due_date=clock.today())

    sign_in(page, "staff1")
    page.locator("[data-menu='/firms']").click()
    page.locator("[data-test=firm-search]").press_sequentially("甲方", delay=50)
    table = page.locator("[data-test=firm-table]")
    expect(table).not_to_contain_text("重庆乙方机械有限公司")
    table.get_by_role("link", name="重庆甲方科技有限公司").click()
    expect(page).to_have_url(re.compile(rf"/firms/{park.firm_a.id}$"))

    # Titles: in the header and on the titles tab.
    expect(page.locator("[data-test=firm-header]")).to_contain_text("高新技术企业")
    page.locator("#tab-titles").click()
    expect(page.locator("[data-test=titles-table]")).to_contain_text("GR202450000001")

    # The gap: every programme with its verdict; HNTE is held, SRDI is not and shows its criteria.
    page.locator("#tab-gap").click()
    gap = page.locator("[data-test=gap-tab]")
    expect(gap.locator("[data-test=gap-HNTE]")).to_contain_text("已获得")
    srdi = gap.locator("[data-test=gap-SRDI]")
    expect(srdi).to_contain_text("未获得")
    srdi.locator(".el-collapse-item__header").click()
    expect(srdi.locator(".el-table")).to_contain_text("数据不足")  # no verified figures yet

    # The firm's own flags tab shows the open flag.
    page.locator("#tab-flags").click()
    expect(page.locator("[data-test=firm-flags-table]")).to_contain_text("续期到期")

    # The inbox: the firm search narrows to the firm; acknowledge its flag from the row.
    page.locator("[data-menu='/flags']").click()
    inbox = page.locator("[data-test=flag-table]")
    expect(inbox.locator(".el-table__row")).to_have_count(2)
    page.locator("[data-test=flag-search]").press_sequentially("甲方", delay=50)
    expect(inbox.locator(".el-table__row")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"q=%E7%94%B2%E6%96%B9"))
    row = inbox.locator(".el-table__row").first
    expect(row).to_contain_text("重庆甲方科技有限公司")
    expect(row.locator("[data-test=flag-state]")).to_have_text("待处理")
    row.locator("[data-test=flag-acknowledge]").click()
    expect(row.locator("[data-test=flag-state]")).to_have_text("已确认")
    flag_a.refresh_from_db()
    assert (flag_a.state, flag_a.state_changed_by_id) == ("acknowledged", park.staff.pk)

    # Bulk dismiss needs a reason and a second confirmation; cancelling the confirmation changes nothing.
    page.locator("[data-test=flag-search]").fill("")
    expect(inbox.locator(".el-table__row")).to_have_count(2)
    other = inbox.locator(".el-table__row", has_text="重庆乙方机械有限公司")
    other.locator(".el-checkbox").click()
    page.locator("[data-test=bulk-dismiss]").click()
    dialog = page.locator("[data-test=flag-action-dialog]")
    dialog.locator("[data-test=flag-action-submit]").click()
    expect(dialog.locator(".el-form-item__error")).to_contain_text("忽略原因")
    dialog.locator("[data-test=flag-reason]").fill("企业已整体迁出，不再跟踪")
    dialog.locator("[data-test=flag-action-submit]").click()
    page.locator(".el-message-box").get_by_role("button", name="取消").click()
    flag_b.refresh_from_db()
    assert flag_b.state == "open"
    dialog.locator("[data-test=flag-action-submit]").click()
    page.locator(".el-message-box").get_by_role("button", name="忽略").click()
    expect(inbox.locator(".el-table__row")).to_have_count(1)  # closed flags leave the default view
    flag_b.refresh_from_db()
    assert (flag_b.state, flag_b.dismiss_reason) == ("dismissed", "企业已整体迁出，不再跟踪")

    # Closed flags are one filter away.
    _choose(page, "[data-test=filter-state]", "已忽略")
    expect(inbox.locator(".el-table__row")).to_have_count(1)
    expect(inbox).to_contain_text("重庆乙方机械有限公司")


def _firms_csv(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    lines = ["统一社会信用代码,企业名称,园区片区"] + [",".join(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return path


def test_an_import_with_an_error_row_then_the_fixed_file_is_checked_and_committed(
    park: Any, live_server: Any, page: Any, sign_in: Any, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    from apps.imports.models import ImportJob
    from apps.registry.models import Firm

    good, fixed = uscc_for(700001), uscc_for(700002)
    bad = fixed[:-1] + ("0" if fixed[-1] != "0" else "1")  # a wrong check character
    first = _firms_csv(
        tmp_path / "新入园企业.csv",
        [(good, "重庆导入一号科技有限公司", "甲区"), (bad, "重庆导入二号科技有限公司", "甲区")],
    )

    sign_in(page, "staff1")
    page.locator("[data-menu='/imports']").click()
    expect(page).to_have_url(re.compile(r"/imports$"))
    # The form checks before sending.
    page.locator("[data-test=import-check]").click()
    expect(page.locator("[data-test=import-form] .el-form-item__error").first).to_be_visible()

    _choose(page, "[data-test=import-kind]", "企业名录")
    page.locator("[data-test=import-file] input[type=file]").set_input_files(str(first))
    page.locator("[data-test=import-check]").click()

    result = page.locator("[data-test=import-result]")
    expect(result.locator("[data-test=import-status]")).to_have_text("有错误")
    expect(result.locator("[data-test=count-errors]")).to_contain_text("1")
    expect(result.locator("[data-test=count-create]")).to_contain_text("1")
    errors = result.locator("[data-test=import-errors]")
    expect(errors).to_contain_text("3")  # the spreadsheet's row number of the bad row (header is row 1)
    expect(errors).to_contain_text("统一社会信用代码")
    expect(result.locator("[data-test=import-commit]")).to_be_disabled()
    assert not Firm.objects.filter(name__startswith="重庆导入").exists()

    with page.expect_download() as download:
        result.locator("[data-test=import-error-workbook]").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    sheet = load_workbook(saved).active
    cells = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert "错误原因" in cells[0]
    error_column = cells[0].index("错误原因")
    assert cells[1][error_column] in (None, "")
    assert "校验" in str(cells[2][error_column])

    # Fix the row, upload again: the dry run is clean; commit after confirming.
    second = _firms_csv(
        tmp_path / "新入园企业-改.csv",
        [(good, "重庆导入一号科技有限公司", "甲区"), (fixed, "重庆导入二号科技有限公司", "甲区")],
    )
    page.get_by_role("button", name="重新上传").click()
    page.locator("[data-test=import-file] input[type=file]").set_input_files(str(second))
    page.locator("[data-test=import-check]").click()
    expect(result.locator("[data-test=import-status]")).to_have_text("可导入")
    expect(result.locator("[data-test=count-create]")).to_contain_text("2")
    expect(result.locator("[data-test=count-errors]")).to_contain_text("0")

    result.locator("[data-test=import-commit]").click()
    confirm = page.locator(".el-message-box")
    expect(confirm).to_contain_text("2")
    confirm.get_by_role("button", name="确认导入").click()
    expect(result.locator("[data-test=import-status]")).to_have_text("已导入")
    expect(result.locator("[data-test=count-create]")).to_contain_text("2")
    assert set(Firm.objects.filter(name__startswith="重庆导入").values_list("uscc", flat=True)) == {good, fixed}

    history = page.locator("[data-test=import-history]")
    expect(history.locator(".el-table__row")).to_have_count(2)
    expect(history.locator(".el-table__row").first).to_contain_text("已导入")
    expect(history.locator(".el-table__row").nth(1)).to_contain_text("有错误")
    assert list(ImportJob.objects.order_by("id").values_list("status", flat=True)) == ["invalid", "committed"]


@pytest.mark.dated
def test_enterprise_user_submits_and_edits_figures_as_a_proposal_and_cannot_reach_another_firm(
    park: Any, live_server: Any, page: Any, sign_in: Any
) -> None:
    from apps.figures.models import AnnualFigures

    year = clock.today().year - 1
    sign_in(page, "ent_a")
    expect(page).to_have_url(re.compile(r"/my-firm$"))
    page.locator("#tab-figures").click()
    page.locator("[data-test=figures-submit-annual]").click()
    dialog = page.locator("[data-test=figure-dialog]")
    expect(dialog).to_contain_text("核实")
    # A value that is not a number is caught before sending.
    dialog.locator("[data-test=figure-operating_revenue]").fill("一千万")
    dialog.locator("[data-test=figure-save]").click()
    expect(dialog.locator(".el-form-item__error").first).to_contain_text("数字")
    assert not AnnualFigures.objects.filter(firm=park.firm_a).exists()

    dialog.locator("[data-test=figure-operating_revenue]").fill("1234.5")
    dialog.locator("[data-test=figure-rd_expense]").fill("88.25")
    dialog.locator("[data-test=figure-staff_total]").fill("120")
    # The server's check (R&D staff above total staff) comes back next to its field.
    dialog.locator("[data-test=figure-rd_staff]").fill("150")
    dialog.locator("[data-test=figure-save]").click()
    rd_staff = dialog.locator(".el-form-item", has=page.locator("[data-test=figure-rd_staff]"))
    expect(rd_staff.locator(".el-form-item__error")).to_be_visible()
    assert not AnnualFigures.objects.filter(firm=park.firm_a).exists()

    dialog.locator("[data-test=figure-rd_staff]").fill("30")
    dialog.locator("[data-test=figure-save]").click()
    expect(dialog).to_be_hidden()
    table = page.locator("[data-test=figures-table]")
    row = table.locator(".el-table__row", has_text=str(year))
    expect(row.locator("[data-test=figure-state]")).to_have_text("待核实")
    expect(row).to_contain_text("1,234.50")
    figures = AnnualFigures.objects.get(firm=park.firm_a, fiscal_year=year)
    assert (figures.state, figures.operating_revenue, figures.rd_staff) == ("proposed", Decimal("12345000.00"), 30)

    # Still a proposal: the firm may edit it, and it stays awaiting verification.
    row.locator("[data-test=figure-edit]").click()
    expect(dialog.locator("[data-test=figure-operating_revenue]")).to_have_value("1234.5")
    dialog.locator("[data-test=figure-operating_revenue]").fill("1300")
    dialog.locator("[data-test=figure-save]").click()
    expect(row).to_contain_text("1,300.00")
    expect(row.locator("[data-test=figure-state]")).to_have_text("待核实")
    figures.refresh_from_db()
    assert (figures.state, figures.operating_revenue) == ("proposed", Decimal("13000000.00"))

    # My flags and my deadlines are there; another firm is not, whatever the address.
    page.locator("#tab-flags").click()
    expect(page.locator("[data-test=firm-flags-table]")).to_be_visible()
    page.locator("#tab-deadlines").click()
    expect(page.locator("[data-test=calendar-url]")).to_have_value(re.compile(r"/api/v1/calendar/.+\.ics$"))
    page.goto(f"{live_server.url}/firms/{park.firm_b.id}")
    expect(page.locator("[data-test=not-found]")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("重庆乙方机械有限公司")
    page.goto(f"{live_server.url}/flags")
    expect(page.locator("[data-test=not-found]")).to_be_visible()
    page.goto(f"{live_server.url}/imports")
    expect(page.locator("[data-test=not-found]")).to_be_visible()
