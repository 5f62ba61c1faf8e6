"""API tokens never outlive the password (issue 13, finding 7): revoked when an administrator sets the
password, on a password reset, on deactivation and on a role change; optionally on a self-service
password change (by default yes). Bounded expiry, tokens made with tokens, and administrators listing and
revoking anyone's tokens."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.models import ApiToken
from apps.accounts.services import api_token_create
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Correct-Horse-9"  # tests.factories.UserFactory
NEW = "Brand-New-Pass-42"


def bearer(key: str) -> APIClient:
    return APIClient(HTTP_AUTHORIZATION=f"Bearer {key}")


def works(key: str) -> bool:
    return bearer(key).get("/api/v1/me/").status_code == 200


@pytest.fixture
def keys(park: Any) -> list[str]:
    """Two live tokens of staff1, one of them without expiry (made before this change)."""
    _, first = api_token_create(user=park.staff, name="统计局")
    _, second = api_token_create(user=park.staff, name="ERP", expires_at=timezone.now() + dt.timedelta(days=30))
    assert works(first) and works(second)
    return [first, second]


# ---------------------------------------------------------------------------------- revocation
def test_an_administrator_setting_the_password_revokes_the_tokens(park, keys) -> None:
    response = client_for(park.admin).patch(f"/api/v1/users/{park.staff.pk}/", {"password": NEW}, format="json")
    assert response.status_code == 200
    assert not any(works(key) for key in keys)
    assert ApiToken.objects.filter(user=park.staff, revoked_at__isnull=True).count() == 0


def test_the_django_admin_setting_the_password_revokes_the_tokens(park, keys) -> None:
    root = UserFactory(username="root", role="admin", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(root)
    response = client.post(
        f"/admin/accounts/user/{park.staff.pk}/password/",
        {"password1": NEW, "password2": NEW, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content[:500]
    assert not any(works(key) for key in keys)


def test_a_password_reset_revokes_the_tokens_and_ends_the_sessions(park, keys) -> None:
    park.staff.email = "staff1@example.cn"
    park.staff.save(update_fields=["email"])
    session = client_for(park.staff)
    APIClient().post("/api/v1/auth/password-reset/", {"email": "staff1@example.cn"}, format="json")
    uid, token = re.search(r"uid=([^&\s]+)&token=([^\s]+)", mail.outbox[0].body).groups()  # type: ignore[union-attr]
    done = APIClient().post(
        "/api/v1/auth/password-reset/confirm/", {"uid": uid, "token": token, "new_password": NEW}, format="json"
    )
    assert done.status_code == 200
    assert not any(works(key) for key in keys)
    assert session.get("/api/v1/me/").status_code == 401


@pytest.mark.parametrize("how", ["delete", "patch"])
def test_deactivation_revokes_the_tokens(park, keys, how) -> None:
    admin = client_for(park.admin)
    if how == "delete":
        assert admin.delete(f"/api/v1/users/{park.staff.pk}/").status_code == 204
    else:
        assert admin.patch(f"/api/v1/users/{park.staff.pk}/", {"is_active": False}, format="json").status_code == 200
    assert admin.patch(f"/api/v1/users/{park.staff.pk}/", {"is_active": True}, format="json").status_code == 200
    assert not any(works(key) for key in keys)  # reactivating does not bring them back


def test_a_role_change_revokes_the_tokens(park, keys) -> None:
    response = client_for(park.admin).patch(f"/api/v1/users/{park.staff.pk}/", {"role": "viewer"}, format="json")
    assert response.status_code == 200
    assert not any(works(key) for key in keys)


def test_other_edits_and_logins_keep_the_tokens(park, keys) -> None:
    admin = client_for(park.admin)
    assert admin.patch(f"/api/v1/users/{park.staff.pk}/", {"display_name": "王五"}, format="json").status_code == 200
    assert (
        APIClient().post("/api/v1/auth/login/", {"username": "staff1", "password": PASSWORD}, format="json").status_code
        == 200
    )
    assert all(works(key) for key in keys)


def test_changing_your_own_password_revokes_your_tokens_by_default_and_keeps_this_session(park, keys) -> None:
    this, other = client_for(park.staff), client_for(park.staff)
    changed = this.post("/api/v1/auth/password/", {"current_password": PASSWORD, "new_password": NEW}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["detail"] == "密码已修改。"
    assert not any(works(key) for key in keys)
    assert this.get("/api/v1/me/").status_code == 200
    assert other.get("/api/v1/me/").status_code == 401
    assert (
        APIClient().post("/api/v1/auth/login/", {"username": "staff1", "password": NEW}, format="json").status_code
        == 200
    )


def test_changing_your_own_password_can_keep_your_tokens(park, keys) -> None:
    body = {"current_password": PASSWORD, "new_password": NEW, "revoke_tokens": False}
    assert client_for(park.staff).post("/api/v1/auth/password/", body, format="json").status_code == 200
    assert all(works(key) for key in keys)


@pytest.mark.django_db(transaction=True)  # the view commits the failed check itself, as in production
def test_a_password_change_needs_the_current_password_and_the_rules(park, keys) -> None:
    client = client_for(park.staff, "en")
    wrong = client.post("/api/v1/auth/password/", {"current_password": "nope", "new_password": NEW}, format="json")
    assert wrong.status_code == 400
    assert wrong.json()["errors"]["current_password"] == ["The current password is wrong."]
    weak = client.post("/api/v1/auth/password/", {"current_password": PASSWORD, "new_password": "123"}, format="json")
    assert weak.status_code == 400 and "new_password" in weak.json()["errors"]
    assert all(works(key) for key in keys)
    assert APIClient().post("/api/v1/auth/password/", {}, format="json").status_code == 401


# ---------------------------------------------------------------------------------------- expiry
def test_a_token_made_in_a_session_expires_within_the_maximum(park, settings) -> None:
    client = client_for(park.staff, "en")
    default = client.post("/api/v1/tokens/", {"name": "no expiry asked"}, format="json")
    assert default.status_code == 201
    expires = dt.datetime.fromisoformat(default.json()["expires_at"])
    assert abs(expires - (timezone.now() + dt.timedelta(days=365))) < dt.timedelta(minutes=5)
    picked = timezone.now() + dt.timedelta(days=10)
    chosen = client.post("/api/v1/tokens/", {"name": "ten days", "expires_at": picked.isoformat()}, format="json")
    assert chosen.status_code == 201
    assert abs(dt.datetime.fromisoformat(chosen.json()["expires_at"]) - picked) < dt.timedelta(seconds=1)
    too_long = timezone.now() + dt.timedelta(days=366)
    refused = client.post("/api/v1/tokens/", {"name": "forever", "expires_at": too_long.isoformat()}, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"]["expires_at"] == ["A token can be valid for at most 365 days."]
    settings.SEEDBED_TOKEN_MAX_DAYS = 30
    shorter = client.post("/api/v1/tokens/", {"name": "x", "expires_at": picked.isoformat()}, format="json")
    assert shorter.status_code == 201
    assert (
        client.post(
            "/api/v1/tokens/",
            {"name": "x", "expires_at": (timezone.now() + dt.timedelta(days=31)).isoformat()},
            format="json",
        ).status_code
        == 400
    )


@pytest.mark.parametrize("ago", [dt.timedelta(seconds=1), dt.timedelta(days=400)])
def test_an_expiry_in_the_past_is_refused(park, ago) -> None:
    past = (timezone.now() - ago).isoformat()
    response = client_for(park.staff).post("/api/v1/tokens/", {"name": "old", "expires_at": past}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["expires_at"] == ["到期时间必须在将来。"]
    assert not ApiToken.objects.filter(user=park.staff).exists()


def test_a_token_made_with_a_token_never_outlives_it(park) -> None:
    parent_expiry = timezone.now() + dt.timedelta(days=7)
    parent, parent_key = api_token_create(user=park.staff, name="parent", expires_at=parent_expiry)
    client = bearer(parent_key)
    child = client.post("/api/v1/tokens/", {"name": "child"}, format="json")
    assert child.status_code == 201
    assert dt.datetime.fromisoformat(child.json()["expires_at"]) == parent_expiry
    later = (parent_expiry + dt.timedelta(days=1)).isoformat()
    refused = client.post("/api/v1/tokens/", {"name": "longer", "expires_at": later}, format="json")
    assert refused.status_code == 400 and "expires_at" in refused.json()["errors"]
    sooner = client.post(
        "/api/v1/tokens/",
        {"name": "sooner", "expires_at": (parent_expiry - dt.timedelta(days=1)).isoformat()},
        format="json",
    )
    assert sooner.status_code == 201
    grandchild_key = bearer(child.json()["key"]).post("/api/v1/tokens/", {"name": "g"}, format="json").json()["key"]
    assert works(child.json()["key"]) and works(grandchild_key)
    # Revoking the parent revokes what was made with it, down the line.
    assert client_for(park.staff).post(f"/api/v1/tokens/{parent.pk}/revoke/").status_code == 200
    assert not works(parent_key)
    assert not works(child.json()["key"]) and not works(sooner.json()["key"]) and not works(grandchild_key)


# -------------------------------------------------------------------------- administrators' view
def test_an_administrator_lists_and_revokes_anyones_tokens(park, keys) -> None:
    admin = client_for(park.admin)
    listed = admin.get(f"/api/v1/users/{park.staff.pk}/tokens/")
    assert listed.status_code == 200
    rows = listed.json()
    assert {row["name"] for row in rows} == {"统计局", "ERP"}
    assert all("key" not in row and "key_hash" not in row for row in rows)
    erp = next(row for row in rows if row["name"] == "ERP")
    revoked = admin.post(f"/api/v1/users/{park.staff.pk}/tokens/revoke/", {"token": erp["id"]}, format="json")
    assert revoked.status_code == 200 and revoked.json()["is_active"] is False
    assert works(keys[0]) and not works(keys[1])
    # A token of another user through this user's address: not found.
    other, _ = api_token_create(user=park.viewer, name="viewer's")
    assert (
        admin.post(f"/api/v1/users/{park.staff.pk}/tokens/revoke/", {"token": other.pk}, format="json").status_code
        == 404
    )
    assert admin.post(f"/api/v1/users/{park.staff.pk}/tokens/revoke/", {"token": "x"}, format="json").status_code == 400
    assert admin.post(f"/api/v1/users/{park.staff.pk}/tokens/revoke-all/").json() == {"revoked": 1}
    assert not works(keys[0])


@pytest.mark.parametrize("who", ["staff", "viewer", "ent_a"])
def test_only_administrators_see_or_revoke_other_peoples_tokens(park, keys, who) -> None:
    client = client_for(getattr(park, who))
    assert client.get(f"/api/v1/users/{park.staff.pk}/tokens/").status_code in (403, 404)
    token_id = ApiToken.objects.filter(user=park.staff).first().pk  # type: ignore[union-attr]
    revoke = client.post(f"/api/v1/users/{park.staff.pk}/tokens/revoke/", {"token": token_id}, format="json")
    assert revoke.status_code in (403, 404)
    assert client.post(f"/api/v1/users/{park.staff.pk}/tokens/revoke-all/").status_code in (403, 404)
    assert all(works(key) for key in keys)
