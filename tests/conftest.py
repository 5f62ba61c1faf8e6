"""Personas: two zones, a firm in each, and a user for every role and scope (staff and viewers of every
zone, and of zone A only).

Tests run on real PostgreSQL only: DATABASE_URL, or the embedded server `./seedbed test` starts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.factories import ContactFactory, FirmFactory, JournalFactory, UserFactory, ZoneFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytest_plugins = ("tests.dated",)  # --today and the dated marker


@dataclass
class Park:
    zone_a: Any
    zone_b: Any
    firm_a: Any
    firm_b: Any
    contact_a: Any
    contact_b: Any
    journal_a: Any
    journal_b: Any
    admin: Any
    staff: Any
    staff_a: Any
    viewer: Any
    viewer_a: Any
    ent_a: Any
    ent_b: Any


@pytest.fixture
def park(db: Any) -> Park:
    return park_objects()


def park_objects() -> Park:
    """The personas, created in the current database transaction (for module-scoped fixtures too)."""
    zone_a, zone_b = ZoneFactory(code="zone-a", name="甲区"), ZoneFactory(code="zone-b", name="乙区")
    firm_a = FirmFactory(zone=zone_a, name="重庆甲方科技有限公司")
    firm_b = FirmFactory(zone=zone_b, name="重庆乙方机械有限公司", industry_id="C3422")
    staff_a = UserFactory(username="staff_a", role="staff", all_zones=False)
    staff_a.zones.set([zone_a])
    viewer_a = UserFactory(username="viewer_a", role="viewer", all_zones=False)
    viewer_a.zones.set([zone_a])
    ent_a = UserFactory(username="ent_a", role="enterprise")
    ent_a.firms.set([firm_a])
    ent_b = UserFactory(username="ent_b", role="enterprise")
    ent_b.firms.set([firm_b])
    return Park(
        zone_a=zone_a,
        zone_b=zone_b,
        firm_a=firm_a,
        firm_b=firm_b,
        contact_a=ContactFactory(firm=firm_a),
        contact_b=ContactFactory(firm=firm_b),
        journal_a=JournalFactory(firm=firm_a),
        journal_b=JournalFactory(firm=firm_b),
        admin=UserFactory(username="admin1", role="admin"),
        staff=UserFactory(username="staff1", role="staff"),
        staff_a=staff_a,
        viewer=UserFactory(username="viewer1", role="viewer"),
        viewer_a=viewer_a,
        ent_a=ent_a,
        ent_b=ent_b,
    )


def client_for(user: Any | None, language: str = "zh-hans") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def as_user() -> Any:
    return client_for


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # PBKDF2 at production strength costs ~0.3 s a user; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: Any, nextitem: Any) -> Any:
    """A transactional test ends with a flush that also wipes the reference data loaded by data
    migrations (industry codes, the programme catalogue): load it again once the flush is done."""
    yield
    marker = item.get_closest_marker("django_db")
    if marker and marker.kwargs.get("transaction") and nextitem is not None:
        from pytest_django.plugin import blocking_manager_key

        from apps.core.reference import load_reference_data

        with item.config.stash[blocking_manager_key].unblock():
            load_reference_data()


@pytest.fixture(autouse=True)
def _chinese_by_default() -> Any:
    """A request in English leaves English active in the thread; each test starts in Chinese."""
    from django.utils import translation

    with translation.override("zh-hans"):
        yield


@pytest.fixture(autouse=True)
def _fresh_change_context() -> Any:
    """A reason set outside a request in one test must not reach the next test's history."""
    from apps.core import audit

    audit.clear()
    yield
    audit.clear()


@pytest.fixture(autouse=True)
def _empty_cache() -> Any:
    """Cached totals and highlights (apps.core.datacache), throttling counters: each test starts without."""
    from django.core.cache import cache

    cache.clear()
    yield
