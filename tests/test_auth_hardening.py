"""Authentication hardening: lockout, tokens that stop at once, production cookies and headers,
password reset by email (single use, expiring, no user enumeration) and password rules in Chinese."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.models import ApiToken
from apps.accounts.services import api_token_create
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "Correct-Horse-9"  # tests.factories.UserFactory


def login(client: APIClient, username: str, password: str) -> Any:
    return client.post("/api/v1/auth/login/", {"username": username, "password": password}, format="json")


# ---------------------------------------------------------------------------------- lockout
@pytest.mark.django_db(transaction=True)
def test_lockout_has_a_clear_chinese_message_and_spares_other_accounts(park, settings) -> None:
    settings.SEEDBED_LOGIN_FAILURE_LIMIT = 2
    client = APIClient()
    assert [login(client, "staff1", "wrong").status_code for _ in range(2)] == [401, 429]
    locked = login(client, "staff1", PASSWORD)
    assert locked.status_code == 429
    body = locked.json()
    assert body["code"] == "throttled"
    assert re.match(r"登录失败次数过多，请 \d+ 分钟后再试。", body["message"]), body["message"]
    assert int(locked["Retry-After"]) > 60
    assert login(APIClient(), "viewer1", PASSWORD).status_code == 200


# ----------------------------------------------------------------------------------- tokens
def test_a_token_stops_working_the_moment_it_expires(park) -> None:
    token, key = api_token_create(user=park.staff, name="统计局", expires_at=timezone.now() + dt.timedelta(hours=1))
    bearer = APIClient(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert bearer.get("/api/v1/me/").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    refused = bearer.get("/api/v1/me/")
    assert refused.status_code == 401
    assert refused.json()["message"] == "令牌无效、已过期或已撤销。"


def test_revoking_or_deactivating_stops_a_token_on_the_next_request(park, as_user) -> None:
    token, key = api_token_create(user=park.staff, name="a")
    bearer = APIClient(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert bearer.get("/api/v1/firms/").status_code == 200
    assert as_user(park.staff).post(f"/api/v1/tokens/{token.pk}/revoke/").status_code == 200
    assert bearer.get("/api/v1/firms/").status_code == 401
    _, other = api_token_create(user=park.viewer, name="b")
    viewer = APIClient(HTTP_AUTHORIZATION=f"Bearer {other}")
    assert viewer.get("/api/v1/firms/").status_code == 200
    assert as_user(park.admin).delete(f"/api/v1/users/{park.viewer.pk}/").status_code == 204
    assert viewer.get("/api/v1/firms/").status_code == 401


# ------------------------------------------------------------------ production cookies and headers
def production_values() -> dict[str, Any]:
    """The security settings of config.settings_production, read in a process of their own."""
    script = (
        "import json; from django.conf import settings as s; import django; django.setup(); print(json.dumps({k: "
        "getattr(s, k) for k in ['SESSION_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', 'SESSION_COOKIE_SAMESITE', "
        "'CSRF_COOKIE_SECURE', 'CSRF_COOKIE_SAMESITE', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', "
        "'SECURE_SSL_REDIRECT', 'SECURE_PROXY_SSL_HEADER', 'SECURE_REDIRECT_EXEMPT', 'SECURE_CONTENT_TYPE_NOSNIFF', "
        "'SECURE_REFERRER_POLICY', 'X_FRAME_OPTIONS', 'MIDDLEWARE', 'DEBUG']}))"
    )
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "config.settings_production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "seedbed.example.cn",
    }
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT / "backend", env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def production() -> dict[str, Any]:
    values = production_values()
    values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"])
    return values


def test_production_cookies_are_secure_httponly_samesite(park, production) -> None:
    assert production["SESSION_COOKIE_SECURE"] and production["SESSION_COOKIE_HTTPONLY"]
    assert production["SESSION_COOKIE_SAMESITE"] == "Lax" and production["CSRF_COOKIE_SECURE"]
    with override_settings(**production, ALLOWED_HOSTS=["seedbed.example.cn"]):
        client = APIClient(HTTP_HOST="seedbed.example.cn", HTTP_X_FORWARDED_PROTO="https")
        answer = login(client, "staff1", PASSWORD)
        assert answer.status_code == 200
        session = answer.cookies["sessionid"]
        assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
        csrf = client.get("/api/v1/auth/csrf/").cookies["csrftoken"]
        assert csrf["secure"] and csrf["samesite"] == "Lax"


def test_production_headers_hsts_behind_tls_and_a_csp(park, production) -> None:
    with override_settings(**production, ALLOWED_HOSTS=["seedbed.example.cn"]):
        tls = APIClient(HTTP_HOST="seedbed.example.cn", HTTP_X_FORWARDED_PROTO="https").get("/api/v1/auth/csrf/")
        assert tls.status_code == 200
        assert tls["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
        assert tls["X-Content-Type-Options"] == "nosniff" and tls["X-Frame-Options"] == "DENY"
        assert "script-src 'self'" in tls["Content-Security-Policy"]
        # Plain HTTP is sent to HTTPS (and gets no HSTS, which browsers ignore there anyway) …
        plain = APIClient(HTTP_HOST="seedbed.example.cn").get("/api/v1/auth/csrf/")
        assert plain.status_code == 301 and plain["Location"].startswith("https://seedbed.example.cn/")
        assert "Strict-Transport-Security" not in plain
        # … except the health check, which monitors probe over plain HTTP.
        assert APIClient(HTTP_HOST="seedbed.example.cn").get("/healthz").status_code in (200, 503)


def test_the_front_end_and_the_api_docs_are_served_under_the_csp(park, as_user) -> None:
    page = APIClient().get("/login")
    policy = page["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";")[0]
    assert b"<script>" not in page.content  # no inline script the policy would block
    docs = as_user(park.staff).get("/api/docs/")
    assert docs.status_code == 200 and "Content-Security-Policy" in docs
    html = docs.content.decode()
    inline = [
        s for s in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S) if "src=" not in s[0] and s[1].strip()
    ]
    assert not inline, "Swagger UI must load its start-up script from a URL"


def test_the_deploy_check_is_clean() -> None:
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "config.settings_production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "seedbed.example.cn",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT / "backend",
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


# ------------------------------------------------------------------------------- password reset
def reset_link(message: Any) -> tuple[str, str]:
    match = re.search(r"/reset-password\?uid=([\w-]+)&token=([\w-]+)", message.body)
    assert match, message.body
    return match.group(1), match.group(2)


def confirm(uid: str, token: str, password: str, language: str = "zh-hans") -> Any:
    return client_for(None, language).post(
        "/api/v1/auth/password-reset/confirm/",
        {"uid": uid, "token": token, "new_password": password},
        format="json",
    )


@pytest.fixture
def with_email(park: Any) -> Any:
    park.staff.email = "Staff1@Example.cn"
    park.staff.save(update_fields=["email"])
    return park


def test_reset_answers_the_same_for_known_and_unknown_addresses(with_email) -> None:
    known = APIClient().post("/api/v1/auth/password-reset/", {"email": "staff1@example.cn"}, format="json")
    unknown = APIClient().post("/api/v1/auth/password-reset/", {"email": "nobody@example.cn"}, format="json")
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert "如果该邮箱属于某个账户" in known.json()["detail"]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["Staff1@Example.cn"]
    assert "重置密码" in mail.outbox[0].subject
    bad = APIClient().post("/api/v1/auth/password-reset/", {"email": "not an address"}, format="json")
    assert bad.status_code == 400 and "email" in bad.json()["errors"]


@pytest.mark.django_db(transaction=True)  # the login view commits on its own, as in production
def test_a_reset_link_works_once_and_ends_the_old_sessions(with_email) -> None:
    park = with_email
    logged_in = client_for(park.staff)
    assert logged_in.get("/api/v1/me/").status_code == 200
    APIClient().post("/api/v1/auth/password-reset/", {"email": "staff1@example.cn"}, format="json")
    uid, token = reset_link(mail.outbox[0])
    done = confirm(uid, token, "Brand-New-Pass-42")
    assert done.status_code == 200, done.content
    assert login(APIClient(), "staff1", "Brand-New-Pass-42").status_code == 200
    assert login(APIClient(), "staff1", PASSWORD).status_code == 401
    assert logged_in.get("/api/v1/me/").status_code == 401  # the session made with the old password is over
    again = confirm(uid, token, "Another-Pass-43")
    assert again.status_code == 400
    assert again.json()["errors"]["token"] == ["重置链接无效或已过期，请重新申请。"]


def test_a_reset_link_expires(with_email, settings, monkeypatch) -> None:
    settings.PASSWORD_RESET_TIMEOUT = 3600
    APIClient().post("/api/v1/auth/password-reset/", {"email": "staff1@example.cn"}, format="json")
    uid, token = reset_link(mail.outbox[0])
    later = PasswordResetTokenGenerator()._now() + dt.timedelta(seconds=3601)
    monkeypatch.setattr(PasswordResetTokenGenerator, "_now", lambda self: later)
    expired = confirm(uid, token, "Brand-New-Pass-42", "en")
    assert expired.status_code == 400
    assert expired.json()["errors"]["token"] == ["This reset link is invalid, used or expired; ask for a new one."]
    assert login(APIClient(), "staff1", PASSWORD).status_code == 200


def test_forged_links_are_refused(with_email) -> None:
    for uid, token in (("MQ", "abc-def"), ("!!!", "x"), ("", "")):
        answer = confirm(uid, token, "Brand-New-Pass-42")
        assert answer.status_code == 400, (uid, token)
        assert answer.json()["code"] == "invalid"


def reset(email: str, language: str = "zh-hans", ip: str = "127.0.0.1") -> Any:
    return client_for(None, language).post(
        "/api/v1/auth/password-reset/", {"email": email}, format="json", REMOTE_ADDR=ip
    )


def test_too_many_reset_requests_for_one_address_are_429_known_or_not(with_email, settings) -> None:
    settings.SEEDBED_PASSWORD_RESET_LIMIT = 2
    settings.SEEDBED_PASSWORD_RESET_WINDOW_SECONDS = 1800
    for email in ("staff1@example.cn", "nobody@example.cn"):
        first, second = reset(email), reset(email.upper())  # the address is counted case-insensitively
        assert first.status_code == second.status_code == 202
        assert first.json() == second.json()
        refused = reset(email)
        assert refused.status_code == 429
        assert set(refused.json()) == {"code", "message", "errors"}
        assert "重置密码的请求过于频繁" in refused.json()["message"]
        assert 1 <= int(refused["Retry-After"]) <= 1800
        english = reset(f" {email}", "en")
        assert english.status_code == 429 and "Too many password-reset requests" in english.json()["message"]
        # Nothing tells a known address from an unknown one.
        assert english.json()["message"].endswith("min.")
    assert len(mail.outbox) == 2  # the two accepted requests for the known address, none for the refused ones
    # Other addresses are not held up by one address's limit.
    assert reset("someone.else@example.cn").status_code == 202


def test_too_many_reset_requests_from_one_client_are_429(with_email, settings) -> None:
    settings.SEEDBED_PASSWORD_RESET_IP_LIMIT = 3
    answers = [reset(f"person{n}@example.cn", ip="203.0.113.9").status_code for n in range(3)]
    assert answers == [202, 202, 202]
    refused = reset("staff1@example.cn", ip="203.0.113.9")
    assert refused.status_code == 429 and refused.json()["code"] == "throttled"
    assert not mail.outbox
    # Another client asking for the same address is answered as usual.
    assert reset("staff1@example.cn", ip="198.51.100.7").status_code == 202
    assert len(mail.outbox) == 1


def test_reset_requests_count_again_once_the_window_has_passed(with_email, settings) -> None:
    from apps.accounts.models import PasswordResetRequest

    settings.SEEDBED_PASSWORD_RESET_LIMIT = 1
    assert reset("staff1@example.cn").status_code == 202
    assert reset("staff1@example.cn").status_code == 429
    PasswordResetRequest.objects.update(at=timezone.now() - dt.timedelta(seconds=3601))
    assert reset("staff1@example.cn").status_code == 202
    assert PasswordResetRequest.objects.count() == 1  # rows older than the window are cleared
    assert len(mail.outbox) == 2


@pytest.mark.django_db(transaction=True)
def test_a_reset_lifts_the_lockout(with_email, settings) -> None:
    settings.SEEDBED_LOGIN_FAILURE_LIMIT = 2
    assert login(APIClient(), "staff1", "wrong").status_code == 401
    assert login(APIClient(), "staff1", "wrong").status_code == 429
    assert login(APIClient(), "staff1", PASSWORD).status_code == 429
    APIClient().post("/api/v1/auth/password-reset/", {"email": "staff1@example.cn"}, format="json")
    uid, token = reset_link(mail.outbox[0])
    assert confirm(uid, token, "Brand-New-Pass-42").status_code == 200
    assert login(APIClient(), "staff1", "Brand-New-Pass-42").status_code == 200


# ------------------------------------------------------------------------------ password rules
@pytest.mark.parametrize(
    ("password", "chinese", "english"),
    [
        ("Ab1-xyz", "密码长度太短，至少需要 8 个字符", "too short: use at least 8"),
        ("38475629103", "不能全部为数字", "entirely numeric"),
        ("password123", "太常见", "too common"),
    ],
)
def test_password_rules_speak_chinese_first(with_email, password, chinese, english) -> None:
    APIClient().post("/api/v1/auth/password-reset/", {"email": "staff1@example.cn"}, format="json")
    uid, token = reset_link(mail.outbox[0])
    zh = confirm(uid, token, password)
    assert zh.status_code == 400
    assert any(chinese in m for m in zh.json()["errors"]["new_password"]), zh.json()
    en = confirm(uid, token, password, "en")
    assert any(english in m for m in en.json()["errors"]["new_password"]), en.json()
    # The same rules when an administrator sets a password.
    made = client_for(with_email.admin).post(
        "/api/v1/users/", {"username": "newcomer", "role": "viewer", "password": password}, format="json"
    )
    assert made.status_code == 400 and any(chinese in m for m in made.json()["errors"]["password"])


def test_a_password_like_the_username_is_refused(with_email) -> None:
    APIClient().post("/api/v1/auth/password-reset/", {"email": "staff1@example.cn"}, format="json")
    uid, token = reset_link(mail.outbox[0])
    answer = confirm(uid, token, "staff1x9")
    assert answer.status_code == 400
    assert any("过于相似" in m for m in answer.json()["errors"]["new_password"]), answer.json()
