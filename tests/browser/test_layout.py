"""Layout at the screen sizes the park's offices use (1440 × 900 and 1280 × 800), in English, where the
labels are longest: the firm header's labels stay on one line and its values are not squeezed, the gap
table's result tags are not cut off, and the administration tables neither wrap their headers nor hide
columns behind the fixed actions column (issue 6)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = [(1440, 900), (1280, 800)]

# Elements under `root` whose text runs past their box, or (`lines`) onto a second line.
OVERFLOWS = """([root, selector, lines = true]) => {
  const out = [];
  for (const el of document.querySelectorAll(`${root} ${selector}`)) {
    if (!el.offsetParent) continue;
    const lineHeight = parseFloat(getComputedStyle(el).lineHeight) || 23;
    if (el.scrollWidth > el.clientWidth + 1 || (lines && el.getBoundingClientRect().height > lineHeight * 1.5)) {
      out.push(el.innerText.trim());
    }
  }
  return out;
}"""

# Table bodies that scroll sideways: a column hidden behind the fixed actions column.
SIDEWAYS = """(root) => [...document.querySelectorAll(`${root} .el-table__body-wrapper .el-scrollbar__wrap`)]
  .filter((el) => el.offsetParent && el.scrollWidth > el.clientWidth + 2)
  .map((el) => el.closest('[data-test]')?.getAttribute('data-test') || '?')"""


def _english_page(browser: Any, width: int, height: int) -> Any:
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en")
    context.add_init_script("window.localStorage.setItem('seedbed.locale', 'en')")
    return context.new_page()


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_firm_header_and_gap_table_fit_in_english(
    park: Any, live_server: Any, browser: Any, sign_in: Any, width: int, height: int
) -> None:
    page = _english_page(browser, width, height)
    sign_in(page, "staff1")
    page.goto(f"{live_server.url}/firms/{park.firm_a.id}")
    expect(page.locator("[data-test=firm-facts]")).to_contain_text("Credit code (USCC)")

    # "Credit code (USCC)" on one line, the zone's name beside it rather than broken under it.
    assert page.evaluate(OVERFLOWS, ["[data-test=firm-header]", ".sb-fact-label"]) == []
    assert page.evaluate(OVERFLOWS, ["[data-test=firm-facts]", ".sb-fact:not(.sb-fact--wraps) .sb-fact-value"]) == []

    # The gap: SRDI has no verified figures, so its criteria read "Not enough data", whole.
    page.locator("#tab-gap").click()
    srdi = page.locator("[data-test=gap-SRDI]")
    srdi.locator(".el-collapse-item__header").click()
    expect(srdi.locator(".el-table")).to_contain_text("Not enough data")
    assert page.evaluate(OVERFLOWS, ["[data-test=gap-SRDI]", "td .el-tag", False]) == []
    assert page.evaluate(OVERFLOWS, ["[data-test=gap-SRDI]", "td .cell:not(.el-tooltip)", False]) == []
    page.context.close()


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_administration_tables_fit_in_english(
    park: Any, live_server: Any, browser: Any, sign_in: Any, width: int, height: int
) -> None:
    page = _english_page(browser, width, height)
    sign_in(page, "admin1")
    for path in ("users", "programmes", "rules", "reports", "channels", "jobs"):
        page.goto(f"{live_server.url}/system/{path}")
        expect(page.locator(".sb-admin .el-table").first).to_be_visible()
        page.wait_for_load_state("networkidle")
        assert page.evaluate(OVERFLOWS, [".sb-admin", "th.el-table__cell > .cell"]) == [], path
        assert page.evaluate(SIDEWAYS, ".sb-admin") == [], path
    page.context.close()
