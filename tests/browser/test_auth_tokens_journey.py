"""An administrator sees another user's API tokens on the users page and revokes them (issue 13, finding 7)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.accounts.models import ApiToken
from apps.accounts.services import api_token_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_revokes_a_users_tokens_from_the_users_page(
    park: Any, live_server: Any, page: Any, sign_in: Any
) -> None:
    erp, _ = api_token_create(user=park.staff, name="ERP 接口", expires_at=timezone.now() + dt.timedelta(days=30))
    api_token_create(user=park.staff, name="统计局报送")
    sign_in(page, "admin1", path="/login?redirect=/system/users")
    page.locator("[data-test=user-tokens-staff1]").click()
    table = page.locator("[data-test=tokens-table]")
    expect(table).to_contain_text("ERP 接口")
    expect(table).to_contain_text("统计局报送")
    page.locator(f"[data-test=token-revoke-{erp.pk}]").click()
    page.locator(".el-message-box").get_by_role("button", name="撤销").click()
    expect(table).to_contain_text("已撤销")
    erp.refresh_from_db()
    assert erp.revoked_at is not None
    assert ApiToken.objects.filter(user=park.staff, revoked_at__isnull=True).count() == 1
    page.locator("[data-test=tokens-revoke-all]").click()
    page.locator(".el-message-box").get_by_role("button", name="全部撤销").click()
    expect(page.locator("[data-test=tokens-revoke-all]")).to_be_disabled()
    assert ApiToken.objects.filter(user=park.staff, revoked_at__isnull=True).count() == 0
