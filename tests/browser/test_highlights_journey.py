"""Highlights for 2022 in the browser, on the demo park: the bridge of each line, a click through to
the firms behind a number, the charts, publishing with confirmation and the difference with today."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_park(transactional_db: Any) -> Any:
    from apps.figures.demo import seed_figures
    from apps.listing.demo import seed_listing
    from apps.programmes.demo import seed_certifications
    from apps.registry.demo import seed_registry
    from apps.registry.demo_accounts import DEMO_PASSWORD

    seed_registry()
    seed_certifications()
    seed_figures()
    seed_listing()
    return DEMO_PASSWORD


def expected_new_hnte_firms() -> set[str]:
    """The 22 firms the API counts as new 高企 in 2022 (what the page must list)."""
    from apps.highlights import compute, selectors

    firms = selectors.live_firms(2022, compute.park_scope(), {"line": "HNTE", "bucket": "new"})
    return {firm["name"] for firm in firms}


def test_highlights_2022_click_through_to_the_new_firms_publish_and_compare(
    demo_park: str, live_server: Any, page: Any, sign_in: Any
) -> None:
    sign_in(page, "staff", demo_park)
    page.locator("[data-menu='/highlights']").click()
    expect(page).to_have_url(re.compile(r"/highlights\?"))

    # Pick the year through the select, as a person would.
    page.locator("[data-test=hl-year]").click()
    page.locator(".el-select-dropdown__item:visible", has_text="2022 年").click()
    expect(page).to_have_url(re.compile(r"year=2022"))
    expect(page.locator("[data-test=hl-scope]")).to_contain_text("全园区 · 统计截至 2022-12-31")

    # The 高企 line: opening 98, new 22, closing 120, growth 22.45 %.
    expect(page.locator("[data-test=n-HNTE-opening]")).to_have_text("98")
    expect(page.locator("[data-test=n-HNTE-new]")).to_have_text("+22")
    expect(page.locator("[data-test=n-HNTE-closing]")).to_have_text("120")
    expect(page.locator("[data-test=growth-HNTE]")).to_have_text("22.45%")
    expect(page.locator("[data-test=n-ZJTX-closing]")).to_have_text("53")

    # Click the 22 through to the firms behind it.
    page.locator("[data-test=n-HNTE-new]").click()
    expect(page).to_have_url(re.compile(r"/highlights/2022/firms\?line=HNTE&bucket=new$"))
    expect(page.locator("[data-test=drill-title]")).to_contain_text("2022 年 · 高新技术企业 · 新增")
    expect(page.locator("[data-test=drill-count]")).to_have_text("共 22 家")
    table = page.locator("[data-test=drill-table]")
    rows = table.locator(".el-table__body-wrapper .el-table__row")
    expect(rows).to_have_count(22)
    shown = {name.strip() for name in table.locator(".el-table__body-wrapper a").all_inner_texts()}
    assert shown == expected_new_hnte_firms()
    assert len(shown) == 22

    # Each firm opens its page.
    first = sorted(shown)[0]
    table.get_by_role("link", name=first, exact=True).click()
    expect(page).to_have_url(re.compile(r"/firms/\d+$"))
    expect(page.locator("[data-test=firm-name]")).to_have_text(first)

    # Back to the report, with the year kept; the charts draw.
    page.go_back()
    page.locator("[data-test=drill-back]").click()
    expect(page).to_have_url(re.compile(r"/highlights\?year=2022"))
    page.get_by_role("tab", name="图表").click()
    expect(page.locator("[data-test=hl-trend-chart] canvas")).to_be_visible()
    expect(page.locator("[data-test=hl-funnel-chart] canvas")).to_be_visible()

    # The Excel export downloads.
    with page.expect_download() as download:
        page.locator("[data-test=hl-xlsx]").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    assert Path(download.value.path()).read_bytes()[:2] == b"PK"

    # Publishing asks first; then the report is listed, and today's data is identical to it.
    page.locator("[data-test=hl-publish]").click()
    page.locator("[data-test=publish-title]").fill("2022年度亮点数据（测试）")
    page.locator("[data-test=publish-submit]").click()
    confirm = page.locator(".el-message-box")
    expect(confirm).to_contain_text("发布后不可修改")
    confirm.get_by_role("button", name="确认发布").click()
    published = page.locator("[data-test=published-table]")
    expect(published).to_contain_text("2022年度亮点数据（测试）")
    expect(published).to_contain_text("v1")
    published.locator("[data-test=published-diff]").first.click()
    expect(page.locator("[data-test=diff-identical]")).to_contain_text("没有任何变化")

    from apps.highlights.models import PublishedReport

    report = PublishedReport.objects.get()
    assert (report.year, report.version, report.title) == (2022, 1, "2022年度亮点数据（测试）")
    hnte = next(line for line in report.data["lines"] if line["code"] == "HNTE")
    assert (hnte["opening"], hnte["new"], hnte["closing"]) == (98, 22, 120)
