"""What people do with the web front end, end to end against the real API and database."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_searches_opens_a_firm_edits_it_with_a_reason_and_sees_the_history(
    park: Any, live_server: Any, page: Any, sign_in: Any
) -> None:
    sign_in(page, "staff1")
    expect(page).to_have_url(re.compile(r"/dashboard$"))

    page.locator("[data-menu='/firms']").click()
    table = page.locator("[data-test=firm-table]")
    expect(table).to_contain_text("重庆乙方机械有限公司")

    # Search as you type: part of the Chinese name, no Enter.
    page.locator("[data-test=firm-search]").press_sequentially("甲方", delay=50)
    expect(table).not_to_contain_text("重庆乙方机械有限公司")
    expect(table).to_contain_text("重庆甲方科技有限公司")
    expect(page).to_have_url(re.compile(r"q=%E7%94%B2%E6%96%B9"))

    # Export exactly what is shown: these filters, these columns.
    with page.expect_download() as download:
        page.locator("[data-test=firm-export]").click()
    csv = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert csv[0].startswith("企业名称,统一社会信用代码,所属片区")
    assert len(csv) == 2
    assert csv[1].startswith(f"重庆甲方科技有限公司,{park.firm_a.uscc},甲区")

    table.get_by_role("link", name="重庆甲方科技有限公司").click()
    expect(page).to_have_url(re.compile(rf"/firms/{park.firm_a.id}$"))
    expect(page.locator("[data-test=firm-uscc]")).to_have_text(park.firm_a.uscc)

    page.locator("[data-test=basic-edit]").click()
    page.locator("[data-test=field-address]").fill("重庆市江津区珞璜镇综保大道 88 号")
    page.locator("[data-test=field-reason]").fill("企业搬迁，按营业执照更新地址")
    page.locator("[data-test=basic-save]").click()
    expect(page.locator("[data-test=basic-address]")).to_have_text("重庆市江津区珞璜镇综保大道 88 号")

    page.get_by_role("tab", name="变更历史").click()
    history = page.locator("[data-test=history-table]")
    first = history.locator(".el-table__row").first
    expect(first).to_contain_text("企业搬迁，按营业执照更新地址")
    expect(first).to_contain_text("staff1")
    expect(first).to_contain_text("接口")
    first.locator(".el-table__expand-icon").click()
    diff = history.locator("[data-test=history-diff]").first
    expect(diff).to_contain_text("地址")
    expect(diff).to_contain_text("重庆市江津区珞璜镇综保大道 88 号")

    park.firm_a.refresh_from_db()
    assert park.firm_a.address == "重庆市江津区珞璜镇综保大道 88 号"


def test_enterprise_user_sees_only_its_firm_and_not_found_for_another(
    park: Any, live_server: Any, page: Any, sign_in: Any
) -> None:
    sign_in(page, "ent_a")
    expect(page).to_have_url(re.compile(r"/my-firm$"))
    expect(page.locator("[data-test=firm-name]")).to_have_text("重庆甲方科技有限公司")
    expect(page.locator("[data-menu]")).to_have_count(1)
    expect(page.get_by_role("tab", name="走访记录")).to_have_count(0)
    expect(page.locator("[data-test=basic-edit]")).to_have_count(0)

    # Its own contacts are editable.
    page.get_by_role("tab", name="联系人").click()
    page.locator("[data-test=contact-add]").click()
    page.locator("[data-test=contact-name]").fill("赵六")
    page.locator("[data-test=contact-phone]").fill("023-12345678")
    page.locator("[data-test=contact-save]").click()
    expect(page.locator("[data-test=contacts-table]")).to_contain_text("赵六")

    # Another firm's address: the API answers 404, and so does the page.
    page.goto(f"{live_server.url}/firms/{park.firm_b.id}")
    expect(page.locator("[data-test=not-found]")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("重庆乙方机械有限公司")

    # The staff console's pages do not exist for an enterprise user either.
    page.goto(f"{live_server.url}/firms")
    expect(page.locator("[data-test=not-found]")).to_be_visible()


def test_invalid_uscc_on_create_shows_the_servers_message_next_to_the_field(
    park: Any, live_server: Any, page: Any, sign_in: Any
) -> None:
    sign_in(page, "staff1", path="/firms")
    page.locator("[data-test=firm-create]").click()
    dialog = page.locator("[data-test=create-dialog]")
    dialog.locator("[data-test=field-name]").fill("重庆校验测试有限公司")
    dialog.locator("[data-test=field-uscc]").fill("91110000100000589B")
    dialog.locator("[data-test=field-zone]").click()
    page.locator(".el-select-dropdown__item:visible", has_text="甲区").click()
    dialog.locator("[data-test=create-save]").click()

    uscc_item = dialog.locator(".el-form-item", has=page.locator("[data-test=field-uscc]"))
    expect(uscc_item.locator(".el-form-item__error")).to_contain_text("校验位")
    expect(dialog).to_be_visible()
    from apps.registry.models import Firm

    assert not Firm.objects.filter(name="重庆校验测试有限公司").exists()


def test_expired_session_goes_to_login_and_back(park: Any, live_server: Any, page: Any, sign_in: Any) -> None:
    sign_in(page, "staff1", path=f"/login?redirect=/firms/{park.firm_b.id}")
    expect(page.locator("[data-test=firm-name]")).to_have_text("重庆乙方机械有限公司")

    page.context.clear_cookies()
    page.get_by_role("tab", name="变更历史").click()  # the next API call answers 401
    expect(page.locator("[data-test=login-expired]")).to_be_visible()

    page.locator("[data-test=login-username]").fill("staff1")
    page.locator("[data-test=login-password]").fill("Correct-Horse-9")
    page.locator("[data-test=login-submit]").click()
    expect(page).to_have_url(re.compile(rf"/firms/{park.firm_b.id}$"))
    expect(page.locator("[data-test=firm-name]")).to_have_text("重庆乙方机械有限公司")


def test_the_spa_does_not_swallow_the_api_admin_or_health_check(live_server: Any, page: Any) -> None:
    assert page.request.get(f"{live_server.url}/api/v1/no-such-thing/").json()["code"] == "not_found"
    assert page.request.get(f"{live_server.url}/healthz").ok
    assert "/admin/login/" in page.request.get(f"{live_server.url}/admin/").url
    spa = page.request.get(f"{live_server.url}/firms/1")
    assert spa.ok
    assert '<div id="app">' in spa.text()
    assert "no-cache" in spa.headers["cache-control"]


def test_staff_records_that_a_firm_left_the_park_after_confirming(
    park: Any, live_server: Any, page: Any, sign_in: Any
) -> None:
    sign_in(page, "staff1", path=f"/login?redirect=/firms/{park.firm_b.id}")
    expect(page.locator("[data-test=firm-status]")).to_have_text("在园")

    page.locator("[data-test=firm-leave]").click()
    dialog = page.locator("[data-test=leave-dialog]")
    date = dialog.locator(".el-date-editor input")
    date.fill("2024-06-30")
    date.press("Enter")
    dialog.locator("[data-test=leave-submit]").click()

    # A second question before anything changes; saying no changes nothing.
    confirm = page.locator(".el-message-box")
    expect(confirm).to_contain_text("2024-06-30")
    confirm.get_by_role("button", name="取消").click()
    park.firm_b.refresh_from_db()
    assert park.firm_b.left_park_on is None

    dialog.locator("[data-test=leave-submit]").click()
    page.locator(".el-message-box").get_by_role("button", name="确定").click()
    expect(page.locator("[data-test=firm-status]")).to_have_text("已离园")
    park.firm_b.refresh_from_db()
    assert str(park.firm_b.left_park_on) == "2024-06-30"
    assert park.firm_b.exit_kind == "moved_out"


def test_switching_to_english_translates_the_console_and_the_servers_messages(
    park: Any, live_server: Any, page: Any, sign_in: Any
) -> None:
    sign_in(page, "staff1", path="/login?redirect=/firms")
    page.locator("[data-test=language]").click()
    page.locator(".el-select-dropdown__item:visible", has_text="English").click()
    expect(page.locator("[data-menu='/firms']")).to_have_text("Firm registry")
    expect(page.locator("[data-test=current-role]")).to_have_text("Staff")

    page.locator("[data-test=firm-create]").click()
    dialog = page.locator("[data-test=create-dialog]")
    dialog.locator("[data-test=field-name]").fill("Check Co.")
    dialog.locator("[data-test=create-save]").click()
    uscc_item = dialog.locator(".el-form-item", has=page.locator("[data-test=field-uscc]"))
    expect(uscc_item.locator(".el-form-item__error")).to_contain_text("This field")
