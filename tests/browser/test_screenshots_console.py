"""PNGs of the flag inbox, the imports page, the firm page's gap and flags tabs and the enterprise
portal's figures, deadlines and "what it would take", in Chinese and English, with the demo park.

    .venv/bin/python -m pytest tests/browser -m screenshots     # writes docs/screenshots/*.png

Opt-in like tests/browser/test_screenshots.py (it loads the whole demo park).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from apps.registry.demo_accounts import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.screenshots, pytest.mark.django_db(transaction=True)]

# A message key shown instead of its text means a missing translation.
RAW_KEY = re.compile(
    r"\b(?:flagInbox|flagKind|flagState|flagSeverity|firmFlags|imports|gap|figureEntry|evidence|deadlines|"
    r"figures|figureState|common|firm|level)\.[a-zA-Z_]+"
)


def _shoot(page: Any, name: str, lang: str) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(400)
    text = page.locator("body").inner_text()
    assert not RAW_KEY.search(text), f"{name}.{lang}: untranslated key {RAW_KEY.search(text)}"
    page.screenshot(path=str(OUT / f"{name}.{lang}.png"), full_page=False)


def _page(browser: Any, live_server: Any, locale: str, username: str) -> Any:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale=locale)
    context.add_init_script(f"window.localStorage.setItem('seedbed.locale', '{locale}')")
    page = context.new_page()
    page.goto(f"{live_server.url}/login")
    page.locator("[data-test=login-username]").fill(username)
    page.locator("[data-test=login-password]").fill(DEMO_PASSWORD)
    page.locator("[data-test=login-submit]").click()
    page.wait_for_url(lambda address: "/login" not in address)
    return page


def _import_file(tmp_path: Path) -> Path:
    """docs/examples/firms.csv with one USCC's check character broken: a dry run with one error row."""
    lines = (ROOT / "docs" / "examples" / "firms.csv").read_text(encoding="utf-8-sig").splitlines()
    uscc = lines[2].split(",", 1)[0]
    lines[2] = lines[2].replace(uscc, uscc[:-1] + ("0" if uscc[-1] != "0" else "1"), 1)
    path = tmp_path / "新入园企业名单.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return path


def test_screenshots_of_the_inbox_imports_and_portal(live_server: Any, browser: Any, tmp_path: Path) -> None:
    call_command("seed_demo", verbosity=0)
    from apps.registry.models import Firm

    weima = Firm.objects.get(name="威马农机股份有限公司")
    OUT.mkdir(parents=True, exist_ok=True)
    upload = _import_file(tmp_path)

    for locale, lang in (("zh-CN", "zh"), ("en", "en")):
        page = _page(browser, live_server, locale, "staff")
        page.goto(f"{live_server.url}/flags")
        expect(page.locator("[data-test=flag-table] .el-table__row").first).to_be_visible(timeout=30_000)
        _shoot(page, "flags", lang)

        rows = page.locator("[data-test=flag-table] .el-table__row")
        rows.nth(0).locator(".el-checkbox").click()
        rows.nth(1).locator(".el-checkbox").click()
        page.locator("[data-test=bulk-snooze]").click()
        expect(page.locator("[data-test=flag-action-dialog]")).to_be_visible()
        _shoot(page, "flags-snooze", lang)
        page.keyboard.press("Escape")

        page.goto(f"{live_server.url}/imports")
        page.locator("[data-test=import-kind]").click()
        page.locator(".el-select-dropdown__item:visible").first.click()
        page.locator("[data-test=import-file] input[type=file]").set_input_files(str(upload))
        page.locator("[data-test=import-check]").click()
        expect(page.locator("[data-test=import-errors] .el-table__row").first).to_be_visible(timeout=30_000)
        _shoot(page, "imports", lang)

        page.goto(f"{live_server.url}/firms/{weima.id}")
        expect(page.locator("[data-test=firm-name]")).to_have_text("威马农机股份有限公司")
        page.locator("#tab-gap").click()
        expect(page.locator("[data-test=gap-programmes]")).to_be_visible()
        _shoot(page, "firm-gap", lang)
        page.locator("#tab-flags").click()
        expect(page.locator("[data-test=firm-flags-table] .el-table__row").first).to_be_visible(timeout=30_000)
        _shoot(page, "firm-flags", lang)
        page.context.close()

        page = _page(browser, live_server, locale, "enterprise")
        expect(page.locator("[data-test=firm-name]")).to_have_text("威马农机股份有限公司")
        page.locator("#tab-figures").click()
        expect(page.locator("[data-test=figures-table] .el-table__row").first).to_be_visible(timeout=30_000)
        _shoot(page, "portal-figures", lang)
        page.locator("[data-test=figures-submit-annual]").click()
        expect(page.locator("[data-test=figure-dialog]")).to_be_visible()
        _shoot(page, "portal-figure-entry", lang)
        page.keyboard.press("Escape")
        page.locator("#tab-deadlines").click()
        expect(page.locator("[data-test=calendar-url]")).to_be_visible()
        _shoot(page, "portal-deadlines", lang)
        page.locator("#tab-gap").click()
        expect(page.locator("[data-test=gap-programmes]")).to_be_visible()
        _shoot(page, "portal-gap", lang)
        page.locator("#tab-flags").click()
        expect(page.locator("[data-test=firm-flags-table] .el-table__row").first).to_be_visible(timeout=30_000)
        _shoot(page, "portal-flags", lang)
        page.context.close()
