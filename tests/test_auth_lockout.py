"""One lockout for every way to log in (issue 13, findings 4, 9 and 10): the API's session login, the
Django admin's login and the self-service password change share django-axes' count, per username and
client together, and parallel guesses cannot get more tries through than the limit."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
from django.contrib.auth.backends import ModelBackend
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)  # the login views commit their count themselves

PASSWORD = "Correct-Horse-9"  # tests.factories.UserFactory


def api_login(username: str, password: str, ip: str = "127.0.0.1", **extra: Any) -> Any:
    return APIClient(REMOTE_ADDR=ip, **extra).post(
        "/api/v1/auth/login/", {"username": username, "password": password}, format="json"
    )


def admin_login(username: str, password: str, ip: str = "127.0.0.1") -> Any:
    return Client(REMOTE_ADDR=ip).post("/admin/login/?next=/admin/", {"username": username, "password": password})


@pytest.fixture
def root(park: Any) -> Any:
    """An administrator who may use the Django admin."""
    return UserFactory(username="root", role="admin", is_staff=True, is_superuser=True)


def test_the_admin_login_is_locked_after_the_limit_even_for_the_right_password(root, settings) -> None:
    """Finding 4: twelve wrong passwords at /admin/login/ were all tried, and the right one then worked."""
    settings.SEEDBED_LOGIN_FAILURE_LIMIT = 5
    statuses = [admin_login("root", f"guess-{n}").status_code for n in range(12)]
    assert statuses[:4] == [200] * 4  # the form again, with its error
    assert statuses[4:] == [429] * 8
    locked = admin_login("root", PASSWORD)
    assert locked.status_code == 429
    assert re.match(r"登录失败次数过多，请 \d+ 分钟后再试。", locked.content.decode())
    assert int(locked["Retry-After"]) > 60


def test_api_and_admin_failures_share_one_count(root, settings) -> None:
    settings.SEEDBED_LOGIN_FAILURE_LIMIT = 4
    assert [api_login("root", "wrong").status_code for _ in range(2)] == [401, 401]
    assert [admin_login("root", "wrong").status_code for _ in range(2)] == [200, 429]
    assert api_login("root", PASSWORD).status_code == 429
    assert admin_login("root", PASSWORD).status_code == 429


def test_the_password_change_checks_the_current_password_under_the_same_lockout(park, settings) -> None:
    settings.SEEDBED_LOGIN_FAILURE_LIMIT = 3
    client = client_for(park.staff)
    body = {"current_password": "wrong", "new_password": "Brand-New-Pass-42"}
    assert client.post("/api/v1/auth/password/", body, format="json").status_code == 400
    assert api_login("staff1", "wrong").status_code == 401
    assert client.post("/api/v1/auth/password/", body, format="json").status_code == 429
    right = client.post("/api/v1/auth/password/", {**body, "current_password": PASSWORD}, format="json")
    assert right.status_code == 429
    assert api_login("staff1", PASSWORD).status_code == 429


def test_a_locked_out_stranger_does_not_lock_the_administrator_out(root, settings) -> None:
    """Finding 9: the count is per username and client together."""
    settings.SEEDBED_LOGIN_FAILURE_LIMIT = 3
    attacker = "198.51.100.7"
    assert [api_login("root", "guess", ip=attacker).status_code for _ in range(5)] == [401, 401, 429, 429, 429]
    assert [admin_login("root", "guess", ip=attacker).status_code for _ in range(2)] == [429, 429]
    assert api_login("root", PASSWORD, ip="10.0.0.2").status_code == 200
    assert admin_login("root", PASSWORD, ip="10.0.0.2").status_code == 302
    # ...while the attacker's address stays locked, even with the right password.
    assert api_login("root", PASSWORD, ip=attacker).status_code == 429


def test_a_forged_x_real_ip_does_not_buy_new_tries(root, settings) -> None:
    settings.SEEDBED_LOGIN_FAILURE_LIMIT = 2
    settings.SEEDBED_TRUST_X_REAL_IP = False
    statuses = [api_login("root", "guess", HTTP_X_REAL_IP=f"203.0.113.{n}").status_code for n in range(4)]
    assert statuses == [401, 429, 429, 429]


def test_behind_the_trusted_proxy_the_lockout_follows_x_real_ip(root, settings) -> None:
    settings.SEEDBED_LOGIN_FAILURE_LIMIT = 2
    settings.SEEDBED_TRUST_X_REAL_IP = True
    # Every request comes from the proxy's address; the client is the one the proxy reports.
    assert [api_login("root", "guess", HTTP_X_REAL_IP="203.0.113.1").status_code for _ in range(2)] == [401, 429]
    assert api_login("root", PASSWORD, HTTP_X_REAL_IP="203.0.113.2").status_code == 200


def test_parallel_guesses_cannot_slip_past_the_limit(root, settings) -> None:
    """Finding 9: 24 concurrent guesses got 7 tries through a limit of 5. Each thread has its own
    database connection; the password is tested at most 5 times."""
    settings.SEEDBED_LOGIN_FAILURE_LIMIT = 5
    tested = []
    counter = threading.Lock()
    original = ModelBackend.authenticate

    def counting(self: Any, request: Any, username: Any = None, password: Any = None, **kwargs: Any) -> Any:
        with counter:
            tested.append(username)
        return original(self, request, username=username, password=password, **kwargs)

    ModelBackend.authenticate = counting  # type: ignore[method-assign]
    start = threading.Barrier(24)
    statuses: list[int] = []

    def guess(n: int) -> None:
        try:
            start.wait()
            response = api_login("root", f"guess-{n}") if n % 2 else admin_login("root", f"guess-{n}")
            with counter:
                statuses.append(response.status_code)
        finally:
            connection.close()

    try:
        threads = [threading.Thread(target=guess, args=(n,)) for n in range(24)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        ModelBackend.authenticate = original  # type: ignore[method-assign]
    assert len(statuses) == 24
    assert len(tested) == 5, tested
    assert statuses.count(429) == 24 - 4  # the fifth failure locks; all the others wait and are refused
    assert api_login("root", PASSWORD).status_code == 429
    assert api_login("root", PASSWORD, ip="10.0.0.9").status_code == 200


def test_a_successful_login_clears_the_count(park, settings) -> None:
    settings.SEEDBED_LOGIN_FAILURE_LIMIT = 3
    assert [api_login("staff1", "wrong").status_code for _ in range(2)] == [401, 401]
    assert api_login("staff1", PASSWORD).status_code == 200
    assert [api_login("staff1", "wrong").status_code for _ in range(2)] == [401, 401]


# ----------------------------------------------------------------------------------------- login CSRF
def test_login_refuses_a_form_post_without_the_csrf_token(park) -> None:
    """Finding 10: a hostile page could post a form that signs the victim into the attacker's account."""
    client = APIClient(enforce_csrf_checks=True)
    for fmt in ("multipart", "json"):
        refused = client.post("/api/v1/auth/login/", {"username": "staff1", "password": PASSWORD}, format=fmt)
        assert refused.status_code == 403, fmt
        assert refused.json()["code"] == "csrf_failed"
        assert refused.json()["message"] == "CSRF 校验失败，请刷新页面后重试。"
    form = client.post(
        "/api/v1/auth/login/",
        "username=staff1&password=Correct-Horse-9",
        content_type="application/x-www-form-urlencoded",
    )
    assert form.status_code == 403
    assert client.get("/api/v1/me/").status_code == 401


def test_login_refuses_another_origin_even_with_a_token(park) -> None:
    client = APIClient(enforce_csrf_checks=True)
    csrf = client.get("/api/v1/auth/csrf/").json()["csrf_token"]
    body = {"username": "staff1", "password": PASSWORD}
    evil = client.post(
        "/api/v1/auth/login/", body, format="json", HTTP_X_CSRFTOKEN=csrf, HTTP_ORIGIN="https://evil.example"
    )
    assert evil.status_code == 403 and evil.json()["code"] == "csrf_failed"
    ok = client.post("/api/v1/auth/login/", body, format="json", HTTP_X_CSRFTOKEN=csrf, HTTP_ORIGIN="http://testserver")
    assert ok.status_code == 200
    assert client.get("/api/v1/me/").json()["username"] == "staff1"
