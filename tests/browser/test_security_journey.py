"""The Content Security Policy holds in a real browser, the password-reset flow works end to end, and a
firm edit made on an outdated copy is refused with a clear message instead of overwriting."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import expect

from apps.registry.models import Firm

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def watch_csp(page: Any) -> list[str]:
    """Collects every CSP violation the page reports (console errors and securitypolicyviolation events)."""
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: (
            violations.append(msg.text) if msg.type == "error" and "Content Security Policy" in msg.text else None
        ),
    )
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    return violations


def test_the_console_runs_under_the_csp_charts_included(park: Any, live_server: Any, page: Any, sign_in: Any) -> None:
    violations = watch_csp(page)
    sign_in(page, "staff1")
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.locator("canvas").first).to_be_visible(timeout=30_000)  # ECharts drew its charts
    page.locator("[data-menu='/firms']").click()
    expect(page.locator("[data-test=firm-table]")).to_contain_text("重庆甲方科技有限公司")
    page.goto(f"{live_server.url}/firms/{park.firm_a.pk}")
    expect(page.locator("[data-test=firm-uscc]")).to_have_text(park.firm_a.uscc)
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui").first).to_be_visible()
    # Wait until the docs have loaded the schema (its generation must not still hold the database
    # when the test's flush starts), then leave.
    expect(page.locator(".opblock").first).to_be_visible(timeout=120_000)
    page.goto("about:blank")
    assert not violations, violations


def test_forgot_password_then_reset_then_sign_in(park: Any, live_server: Any, page: Any, sign_in: Any) -> None:
    park.staff.email = "staff1@example.cn"
    park.staff.save(update_fields=["email"])
    page.goto(f"{live_server.url}/login")
    page.locator("[data-test=login-forgot]").click()
    page.locator("[data-test=forgot-email]").fill("staff1@example.cn")
    page.locator("[data-test=forgot-send]").click()
    expect(page.locator("[data-test=forgot-sent]")).to_contain_text("如果该邮箱属于某个账户")
    link = re.search(r"https?://\S+/reset-password\?\S+", mail.outbox[0].body)
    assert link
    path = link.group(0).split("/reset-password", 1)[1]
    page.goto(f"{live_server.url}/reset-password{path}")
    page.locator("[data-test=reset-password]").fill("12345678")
    page.locator("[data-test=reset-repeat]").fill("12345678")
    page.locator("[data-test=reset-submit]").click()
    expect(page.get_by_text("密码不能全部为数字。").first).to_be_visible()
    page.locator("[data-test=reset-password]").fill("Brand-New-Pass-42")
    page.locator("[data-test=reset-repeat]").fill("Brand-New-Pass-42")
    page.locator("[data-test=reset-submit]").click()
    expect(page.locator("[data-test=reset-done]")).to_contain_text("密码已重置")
    sign_in(page, "staff1", "Brand-New-Pass-42")
    expect(page).to_have_url(re.compile(r"/dashboard$"))


def test_a_firm_edit_on_an_outdated_copy_is_refused(park: Any, live_server: Any, page: Any, sign_in: Any) -> None:
    sign_in(page, "staff1")
    page.goto(f"{live_server.url}/firms/{park.firm_a.pk}")
    page.locator("[data-test=basic-edit]").click()
    page.locator("[data-test=field-address]").fill("我的修改")
    # Meanwhile a colleague saves the same firm.
    firm = Firm.objects.get(pk=park.firm_a.pk)
    firm.address = "同事的修改"
    firm.save()
    page.locator("[data-test=basic-save]").click()
    expect(page.get_by_text("该记录已被他人修改").first).to_be_visible()
    assert Firm.objects.get(pk=park.firm_a.pk).address == "同事的修改"
