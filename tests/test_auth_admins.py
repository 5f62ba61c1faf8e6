"""At least one active administrator remains (issue 13, finding 13): nobody demotes or deactivates
themselves, through the API or the Django admin, and two administrators demoting each other at once
cannot leave none."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client

from apps.accounts.models import User
from apps.accounts.services import AdminChangeRefused, guard_admin_change
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("method", "body"),
    [("delete", None), ("patch", {"is_active": False}), ("patch", {"role": "staff"}), ("patch", {"role": "viewer"})],
)
def test_an_administrator_cannot_demote_or_deactivate_themselves(park, method, body) -> None:
    UserFactory(username="admin2", role="admin")  # another administrator would remain: still refused
    client = client_for(park.admin)
    url = f"/api/v1/users/{park.admin.pk}/"
    response = client.delete(url) if method == "delete" else client.patch(url, body, format="json")
    assert response.status_code == 400
    assert "不能停用自己或取消自己的管理员权限" in response.json()["message"]
    english = client_for(park.admin, "en")
    again = english.delete(url) if method == "delete" else english.patch(url, body, format="json")
    assert "You cannot deactivate yourself" in again.json()["message"]
    park.admin.refresh_from_db()
    assert park.admin.is_active and park.admin.role == "admin"


def test_an_administrator_may_still_edit_their_own_other_fields(park) -> None:
    response = client_for(park.admin).patch(
        f"/api/v1/users/{park.admin.pk}/", {"display_name": "管理员", "role": "admin", "is_active": True}, format="json"
    )
    assert response.status_code == 200


def test_another_administrator_can_be_demoted_while_one_remains(park) -> None:
    other = UserFactory(username="admin2", role="admin")
    client = client_for(park.admin)
    assert client.patch(f"/api/v1/users/{other.pk}/", {"role": "staff"}, format="json").status_code == 200
    assert client.delete(f"/api/v1/users/{park.staff.pk}/").status_code == 204


def test_the_last_active_administrator_stays(park) -> None:
    """A change made outside a request (a script, the shell) is refused too when it would leave none."""
    User.objects.filter(role="admin").exclude(pk=park.admin.pk).delete()
    with pytest.raises(AdminChangeRefused, match="至少要保留一位启用的管理员"):
        guard_admin_change(actor=None, target=park.admin, is_active=False)
    UserFactory(username="admin2", role="viewer", is_superuser=True)  # a superuser counts as an administrator
    guard_admin_change(actor=None, target=park.admin, is_active=False)


def test_the_django_admin_refuses_it_too(park) -> None:
    root = UserFactory(username="root", role="admin", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(root)
    url = f"/admin/accounts/user/{root.pk}/change/"
    form = {
        "username": "root",
        "role": "viewer",
        "is_active": "on",
        "is_staff": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }  # is_superuser left out: unticked
    response = client.post(url, form)
    assert response.status_code == 200  # the form again, with the error
    assert "不能停用自己或取消自己的管理员权限" in response.content.decode()
    root.refresh_from_db()
    assert root.is_superuser and root.role == "admin"


@pytest.mark.django_db(transaction=True)
def test_two_administrators_demoting_each_other_at_once_leave_one(park) -> None:
    User.objects.filter(role="admin").exclude(pk=park.admin.pk).delete()
    other = UserFactory(username="admin2", role="admin")
    pairs = [(park.admin, other), (other, park.admin)]
    start = threading.Barrier(2)
    results: list[str] = []

    def demote(actor: Any, target: Any) -> None:
        try:
            with transaction.atomic():
                start.wait()
                try:
                    guard_admin_change(actor=actor, target=target, role="staff")
                except AdminChangeRefused:
                    results.append("refused")
                    return
                User.objects.filter(pk=target.pk).update(role="staff")
                results.append("done")
        finally:
            connection.close()

    threads = [threading.Thread(target=demote, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["done", "refused"]
    assert User.objects.filter(role="admin", is_active=True).count() == 1
