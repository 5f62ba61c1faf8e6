"""Logging in, the caller's scope, API tokens, and throttled guessing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.models import ApiToken, hash_token
from apps.accounts.services import api_token_create

pytestmark = pytest.mark.django_db


def test_session_login_me_and_logout(park):
    client = APIClient(enforce_csrf_checks=True)
    csrf = client.get("/api/v1/auth/csrf/").json()["csrf_token"]
    response = client.post(
        "/api/v1/auth/login/",
        {"username": "ent_a", "password": "Correct-Horse-9"},
        format="json",
        HTTP_X_CSRFTOKEN=csrf,
    )
    assert response.status_code == 200
    me = client.get("/api/v1/me/").json()
    assert me["role"] == "enterprise"
    assert [f["uscc"] for f in me["scope"]["firms"]] == [park.firm_a.uscc]
    assert me["scope"]["all_zones"] is False
    # Writes in a session need the CSRF token.
    csrf = client.cookies["csrftoken"].value
    refused = client.post("/api/v1/contacts/", {"firm": park.firm_a.pk, "name": "李四"}, format="json")
    assert refused.status_code == 403
    ok = client.post(
        "/api/v1/contacts/", {"firm": park.firm_a.pk, "name": "李四"}, format="json", HTTP_X_CSRFTOKEN=csrf
    )
    assert ok.status_code == 201
    client.post("/api/v1/auth/logout/", HTTP_X_CSRFTOKEN=csrf)
    assert client.get("/api/v1/me/").status_code == 401


def test_wrong_password_is_401_with_a_clear_message(park):
    response = APIClient().post("/api/v1/auth/login/", {"username": "ent_a", "password": "nope"}, format="json")
    assert response.status_code == 401
    assert response.json()["message"] == "用户名或密码错误。"


@pytest.mark.django_db(transaction=True)
def test_repeated_failures_are_throttled_then_even_the_right_password_waits(park, settings):
    settings.SEEDBED_LOGIN_FAILURE_LIMIT = 3
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    # The third failure is counted and locks the pair at once: its answer already says when to try again.
    statuses = [
        client.post("/api/v1/auth/login/", {"username": "ent_a", "password": "guess"}, format="json").status_code
        for _ in range(3)
    ]
    assert statuses == [401, 401, 429]
    locked = client.post("/api/v1/auth/login/", {"username": "ent_a", "password": "Correct-Horse-9"}, format="json")
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.json()["message"]
    assert int(locked["Retry-After"]) > 0
    # Another user is not affected.
    assert (
        client.post(
            "/api/v1/auth/login/", {"username": "ent_b", "password": "Correct-Horse-9"}, format="json"
        ).status_code
        == 200
    )


def test_token_is_shown_once_and_stored_hashed(park, as_user):
    client = as_user(park.staff)
    created = client.post("/api/v1/tokens/", {"name": "统计局接口"}, format="json")
    assert created.status_code == 201
    key = created.json()["key"]
    token = ApiToken.objects.get(pk=created.json()["id"])
    assert token.key_hash == hash_token(key) and key not in token.key_hash
    listed = client.get("/api/v1/tokens/").json()["results"]
    assert "key" not in listed[0]
    bearer = APIClient(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert bearer.get("/api/v1/me/").json()["username"] == park.staff.username


def test_revoked_token_stops_working_at_once(park, as_user):
    token, key = api_token_create(user=park.staff, name="x")
    bearer = APIClient(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert bearer.get("/api/v1/firms/").status_code == 200
    assert as_user(park.staff).delete(f"/api/v1/tokens/{token.pk}/").status_code == 204
    response = bearer.get("/api/v1/firms/")
    assert response.status_code == 401
    assert ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=False).exists()


def test_expired_token_is_refused(park):
    _, key = api_token_create(user=park.staff, name="old", expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = APIClient(HTTP_AUTHORIZATION=f"Bearer {key}").get("/api/v1/firms/")
    assert response.status_code == 401


def test_someone_elses_token_cannot_be_revoked(park, as_user):
    token, _ = api_token_create(user=park.staff, name="mine")
    assert as_user(park.staff_a).delete(f"/api/v1/tokens/{token.pk}/").status_code == 404


def test_admin_creates_an_enterprise_user_linked_to_a_firm(park, as_user):
    client = as_user(park.admin)
    body = {
        "username": "firm_b_contact",
        "role": "enterprise",
        "firms": [park.firm_b.pk],
        "password": "Long-Enough-Pass-7",
    }
    created = client.post("/api/v1/users/", body, format="json")
    assert created.status_code == 201, created.content
    unlinked = client.post("/api/v1/users/", {**body, "username": "x", "firms": []}, format="json")
    assert unlinked.status_code == 400 and "firms" in unlinked.json()["errors"]
    weak = client.post("/api/v1/users/", {**body, "username": "y", "password": "123"}, format="json")
    assert weak.status_code == 400 and "password" in weak.json()["errors"]
    assert as_user(park.staff).get("/api/v1/users/").status_code == 403


def test_create_user_command(park, capsys):
    from django.core.management import CommandError, call_command

    call_command("create_user", "zb_officer", "--role", "staff", "--zone", "zone-a")
    assert "created staff zb_officer with password" in capsys.readouterr().out
    with pytest.raises(CommandError, match="needs --firm"):
        call_command("create_user", "lonely", "--role", "enterprise")
    with pytest.raises(CommandError, match="校验位"):
        call_command("create_user", "bad", "--role", "enterprise", "--firm", "91500000MA5U1234XX")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("trusted", "recorded"), [(False, "127.0.0.1"), (True, "203.0.113.9")])
def test_failed_login_records_the_real_client_address_only_behind_a_trusted_proxy(park, settings, trusted, recorded):
    from axes.models import AccessAttempt

    settings.SEEDBED_TRUST_X_REAL_IP = trusted
    APIClient(REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.9").post(
        "/api/v1/auth/login/", {"username": "ent_a", "password": "nope"}, format="json"
    )
    assert AccessAttempt.objects.get(username="ent_a").ip_address == recorded
