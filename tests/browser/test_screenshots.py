"""PNGs of the main pages in Chinese and English, driven through the real app with the demo park.

    .venv/bin/python -m pytest tests/browser -m screenshots     # writes docs/screenshots/*.png

Opt-in (skipped in a plain test run): it loads the whole demo park and rewrites the committed images.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from apps.registry.demo_accounts import DEMO_PASSWORD

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.screenshots, pytest.mark.django_db(transaction=True)]


# A message key shown instead of its text ("firm.fields.name") means a missing translation. The
# top-level keys come from the message files themselves (base files and every feature module).
LOCALES = Path(__file__).resolve().parents[2] / "frontend" / "src" / "i18n" / "locales"
TOP_KEYS = sorted(
    {key for file in LOCALES.glob("*.ts") for key in re.findall(r"^  ([a-zA-Z]+): \{", file.read_text(), re.M)}
)
RAW_KEY = re.compile(rf"\b(?:{'|'.join(TOP_KEYS)})\.[a-zA-Z_]+(?:\.[a-zA-Z_]+)*\b")


def _shoot(page: Any, name: str, lang: str) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(800)  # Element Plus fades tags and dialogs in
    text = page.locator("body").inner_text()
    assert not RAW_KEY.search(text), f"{name}.{lang}: untranslated key {RAW_KEY.search(text)}"
    page.screenshot(path=str(OUT / f"{name}.{lang}.png"), full_page=False)


def _context(browser: Any, locale: str) -> Any:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale=locale)
    context.add_init_script(f"window.localStorage.setItem('seedbed.locale', '{locale}')")
    return context


def _sign_in(page: Any, url: str, username: str) -> None:
    page.locator("[data-test=login-username]").fill(username)
    page.locator("[data-test=login-password]").fill(DEMO_PASSWORD)
    page.locator("[data-test=login-submit]").click()
    page.wait_for_url(lambda address: "/login" not in address)


def test_screenshots_of_the_main_pages(live_server: Any, browser: Any) -> None:
    call_command("seed_demo", verbosity=0)
    from apps.registry.models import Firm

    weima = Firm.objects.get(name="威马农机股份有限公司")
    OUT.mkdir(parents=True, exist_ok=True)

    for locale, lang in (("zh-CN", "zh"), ("en", "en")):
        context = _context(browser, locale)
        page = context.new_page()
        page.goto(f"{live_server.url}/login")
        _shoot(page, "login", lang)

        _sign_in(page, live_server.url, "staff")
        expect(page.locator("[data-test=section-chart] canvas")).to_be_visible(timeout=30_000)
        _shoot(page, "dashboard", lang)

        page.goto(f"{live_server.url}/firms")
        expect(page.locator("[data-test=firm-table] .el-table__row").first).to_be_visible()
        _shoot(page, "firms", lang)

        page.locator("[data-test=firm-search]").fill("电缆")
        page.locator("[data-test=filter-zone]").click()
        page.locator(".el-select-dropdown__item:visible").nth(1).click()
        page.wait_for_timeout(600)
        _shoot(page, "firms-filtered", lang)

        page.goto(f"{live_server.url}/firms/{weima.id}")
        expect(page.locator("[data-test=firm-name]")).to_have_text("威马农机股份有限公司")
        _shoot(page, "firm-basic", lang)

        if lang == "zh":  # one real edit with a reason, so the history shows a before/after
            page.locator("[data-test=basic-edit]").click()
            page.locator("[data-test=field-address]").fill("重庆市江津区珞璜镇工业园路 71 号 A 栋")
            page.locator("[data-test=field-reason]").fill("企业来函更正地址")
            page.locator("[data-test=basic-save]").click()
            expect(page.locator("[data-test=basic-address]")).to_contain_text("A 栋")
            # let the "saved" message fade, or it sits beside the error in firm-edit-error.zh.png
            expect(page.locator(".el-message")).to_have_count(0, timeout=10_000)
        page.locator("[data-test=basic-edit]").click()
        page.locator("[data-test=field-uscc]").fill("91110000100000589B")
        page.locator("[data-test=basic-save]").click()
        expect(page.locator(".el-form-item__error").first).to_be_visible()
        _shoot(page, "firm-edit-error", lang)
        page.reload()
        expect(page.locator("#tab-basic")).to_be_visible()

        # Tabs by name (el-tabs gives each one the id tab-<name>), not position: pages add tabs.
        # (the gap and flags tabs, the inbox, imports and the portal's tabs: test_screenshots_console.py)
        for tab in ("contacts", "titles", "deadlines", "figures", "listing", "journal"):
            if not page.locator(f"#tab-{tab}").count():
                continue
            name = f"firm-{tab}"
            page.locator(f"#tab-{tab}").click()
            page.wait_for_timeout(400)
            _shoot(page, name, lang)
        page.locator("#tab-history").click()
        history = page.locator("[data-test=history-table]")
        history.locator(".el-table__expand-icon").first.click()
        _shoot(page, "firm-history", lang)

        page.locator("[data-test=firm-leave]").click()
        expect(page.locator("[data-test=leave-dialog]")).to_be_visible()
        _shoot(page, "firm-leave", lang)
        page.keyboard.press("Escape")

        page.goto(f"{live_server.url}/no/such/page")
        _shoot(page, "not-found", lang)

        page.goto(f"{live_server.url}/highlights")
        expect(page.locator(".sb-content").first).to_be_visible()
        _shoot(page, "highlights", lang)
        context.close()

        _shoot_administration(browser, live_server.url, locale, lang)

        context = _context(browser, locale)
        page = context.new_page()
        page.goto(f"{live_server.url}/login")
        _sign_in(page, live_server.url, "enterprise")
        expect(page.locator("[data-test=firm-name]")).to_have_text("威马农机股份有限公司")
        _shoot(page, "portal", lang)
        expect(page.locator("#tab-basic")).to_be_visible()
        page.locator("#tab-titles").click()
        _shoot(page, "portal-titles", lang)
        context.close()


def _shoot_administration(browser: Any, url: str, locale: str, lang: str) -> None:
    from apps.rules.models import RuleSet

    context = _context(browser, locale)
    page = context.new_page()
    page.goto(f"{url}/login")
    _sign_in(page, url, "admin")

    page.goto(f"{url}/system/users")
    expect(page.locator("[data-test=users-table] .el-table__row").first).to_be_visible()
    _shoot(page, "admin-users", lang)
    page.locator("[data-test=user-create]").click()
    page.locator("[data-test=user-save]").click()  # empty: the form's own checks speak first
    expect(page.locator("[data-test=user-dialog] .el-form-item__error").first).to_be_visible()
    _shoot(page, "admin-user-dialog", lang)
    page.keyboard.press("Escape")

    page.goto(f"{url}/system/programmes")
    programmes = page.locator("[data-test=programmes-table]")
    expect(programmes.locator(".el-table__row").first).to_be_visible()
    programmes.locator(".el-table__row", has_text="HNTE").locator(".el-table__expand-icon").click()
    _shoot(page, "admin-programmes", lang)

    page.goto(f"{url}/system/rules")
    expect(page.locator("[data-test=rules-table] .el-table__row").first).to_be_visible()
    _shoot(page, "admin-rules", lang)

    gazelle = RuleSet.objects.get(code="GAZELLE-CQ-2023")
    page.goto(f"{url}/system/rules/{gazelle.id}")
    expect(page.locator("[data-test=criterion-revenue_cagr]")).to_be_visible()
    _shoot(page, "admin-rule-set", lang)

    for path, name in (("reports", "admin-reports"), ("channels", "admin-channels"), ("jobs", "admin-jobs")):
        page.goto(f"{url}/system/{path}")
        expect(page.locator(".sb-admin .sb-card").first).to_be_visible()
        _shoot(page, name, lang)
    page.locator("[data-test=job-run-now]").click()
    expect(page.locator("[data-test=run-dialog]")).to_be_visible()
    _shoot(page, "admin-run-job", lang)
    context.close()
