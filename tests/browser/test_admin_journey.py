"""Administration in the browser: an administrator edits a rule threshold; other roles cannot reach it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from apps.core.models import Change
from apps.rules.models import Criterion, RuleSet

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _gazelle_cagr() -> Criterion:
    return Criterion.objects.get(rule_set__code="GAZELLE-CQ-2023", code="revenue_cagr")


def test_admin_edits_an_unconfirmed_threshold_and_it_is_saved(
    park: Any, live_server: Any, page: Any, sign_in: Any
) -> None:
    before = _gazelle_cagr()
    assert before.unconfirmed and before.params["min"] == 0.15
    revision = before.rule_set.revision

    sign_in(page, "admin1")
    page.locator("[data-menu='/system']").click()
    expect(page).to_have_url(re.compile(r"/system/users$"))
    expect(page.locator("[data-test=users-table]")).to_contain_text("staff1")

    page.get_by_role("tab", name="认定规则与门槛").click()
    page.locator("[data-test=rules-unconfirmed]").click()
    table = page.locator("[data-test=rules-table]")
    expect(table).to_contain_text("GAZELLE-CQ-2023")
    expect(table).not_to_contain_text("ABOVE_SIZE-2011")  # no unconfirmed value there
    page.locator("[data-test=rule-edit-GAZELLE-CQ-2023]").click()
    expect(page).to_have_url(re.compile(rf"/system/rules/{before.rule_set_id}$"))

    criterion = page.locator("[data-test=criterion-revenue_cagr]")
    expect(criterion).to_have_class(re.compile("is-unconfirmed"))
    expect(page.locator("[data-test=unconfirmed-revenue_cagr] input")).to_be_checked()
    minimum = page.locator("[data-test=param-revenue_cagr-min] input")
    years = page.locator("[data-test=param-revenue_cagr-years] input")
    expect(minimum).to_have_value("0.15")

    # The server refuses a window of one year: its message shows next to that parameter, nothing is saved.
    years.fill("1")
    years.press("Tab")
    page.locator("[data-test=rule-save]").click()
    expect(page.locator("[data-test=param-error-revenue_cagr-years]")).to_contain_text("2 到 10")
    assert _gazelle_cagr().params["years"] == 3

    # A client-side check: an emptied number is refused before anything is sent.
    minimum.fill("")
    minimum.press("Tab")
    page.locator("[data-test=rule-save]").click()
    expect(page.locator("[data-test=param-error-revenue_cagr-min]")).to_contain_text("请输入数字")

    years.fill("3")
    years.press("Tab")
    minimum.fill("0.2")
    minimum.press("Tab")
    page.locator("[data-test=unconfirmed-revenue_cagr]").click()  # checked against the policy text
    page.locator("[data-test=rule-reason]").fill("渝经信发〔2023〕12号核实：营收复合增长率 20%")
    page.locator("[data-test=rule-save]").click()
    expect(page.locator(".el-message--success")).to_contain_text("第 2 版")

    after = _gazelle_cagr()
    assert after.params == {"min": 0.2, "field": "operating_revenue", "years": 3}
    assert after.unconfirmed is False
    assert after.rule_set.revision == revision + 1
    assert Change.objects.filter(reason__contains="渝经信发〔2023〕12号").exists()

    page.reload()
    expect(page.locator("[data-test=rule-set-code]")).to_contain_text("GAZELLE-CQ-2023", timeout=15_000)
    expect(page.locator("[data-test=param-revenue_cagr-min] input")).to_have_value("0.2")
    expect(page.locator("[data-test=unconfirmed-revenue_cagr] input")).not_to_be_checked()
    expect(page.locator("[data-test=criterion-revenue_cagr]")).not_to_have_class(re.compile("is-unconfirmed"))


def test_staff_cannot_reach_the_administration_pages(park: Any, live_server: Any, page: Any, sign_in: Any) -> None:
    sign_in(page, "staff1")
    expect(page.locator("[data-menu='/firms']")).to_be_visible()
    expect(page.locator("[data-menu='/system']")).to_have_count(0)
    hnte = RuleSet.objects.get(code="HNTE-2016")
    for path in ("/system/users", "/system/rules", f"/system/rules/{hnte.id}", "/system/jobs"):
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("[data-test=not-found]")).to_be_visible()
        expect(page.locator("[data-test=rules-table]")).to_have_count(0)
        expect(page.locator("[data-test=rule-save]")).to_have_count(0)


def test_admin_creates_an_enterprise_user_then_deactivates_it(
    park: Any, live_server: Any, page: Any, sign_in: Any
) -> None:
    from apps.accounts.models import User

    sign_in(page, "admin1", path="/login?redirect=/system/users")
    expect(page.locator("[data-test=users-table]")).to_contain_text("staff1")

    page.locator("[data-test=user-create]").click()
    dialog = page.locator("[data-test=user-dialog]")
    page.locator("[data-test=user-save]").click()  # empty: the form's own check, nothing sent
    expect(dialog.locator(".el-form-item__error").first).to_contain_text("请填写用户名")

    page.locator("[data-test=user-username]").fill("staff1")  # taken: the server says so by the field
    page.locator("[data-test=user-password]").fill("Kiwi-Lantern-2046")
    page.locator("[data-test=user-save]").click()  # a staff member needs zones, or "all zones" ticked
    expect(dialog).to_contain_text("请至少选择一个片区")
    page.locator("[data-test=user-all-zones]").click()
    page.locator("[data-test=user-save]").click()
    expect(dialog.locator(".el-form-item__error").first).to_contain_text("已存在")

    page.locator("[data-test=user-username]").fill("ent_new")
    page.locator("[data-test=user-display-name]").fill("甲方 财务")
    page.locator("[data-test=user-role]").click()
    page.locator(".el-select-dropdown__item:visible", has_text="企业用户").click()
    page.locator("[data-test=user-save]").click()  # an enterprise user needs a firm
    expect(dialog).to_contain_text("企业用户必须关联至少一家企业")
    page.locator("[data-test=user-firms] input").press_sequentially("甲方", delay=50)
    page.locator(".el-select-dropdown__item:visible", has_text="重庆甲方科技有限公司").click()
    page.locator("[data-test=user-save]").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("[data-test=users-table]")).to_contain_text("ent_new")
    created = User.objects.get(username="ent_new")
    assert created.role == "enterprise"
    assert list(created.firms.all()) == [park.firm_a]
    assert created.check_password("Kiwi-Lantern-2046")

    # Deactivating asks first; cancelling changes nothing.
    page.locator("[data-test=user-deactivate-ent_new]").click()
    page.locator(".el-message-box").get_by_role("button", name="取消").click()
    created.refresh_from_db()
    assert created.is_active
    page.locator("[data-test=user-deactivate-ent_new]").click()
    page.locator(".el-message-box").get_by_role("button", name="停用").click()
    expect(page.locator("[data-test=users-table]")).not_to_contain_text("ent_new")  # the list shows active users
    created.refresh_from_db()
    assert not created.is_active
