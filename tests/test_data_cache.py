"""List totals and live highlights are cached until the data changes (apps.core.datacache).

What a user would notice if the cache were wrong: a total or a highlight number that does not move
after a firm is added, edited or removed, or a number of someone else's scope.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import FirmFactory

pytestmark = pytest.mark.django_db


def count_queries(client, path: str, **params) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, params)
    assert response.status_code == 200, response.content
    counts = [q for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("SELECT COUNT(")]
    return response.json()["count"], len(counts)


def test_the_firm_total_is_counted_once_per_change_and_follows_every_change(park, as_user):
    FirmFactory.create_batch(5, zone=park.zone_a)
    client = as_user(park.admin)
    total, counted = count_queries(client, "/api/v1/firms/", page=1, page_size=2)
    assert (total, counted) == (7, 1)
    assert count_queries(client, "/api/v1/firms/", page=2, page_size=2) == (7, 0)  # the next page: cached

    created = client.post(
        "/api/v1/firms/",
        {"name": "重庆新增测试科技有限公司", "uscc": "91500000MA5U00000W", "zone": park.zone_a.pk},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert count_queries(client, "/api/v1/firms/", page=1, page_size=2) == (8, 1)
    assert count_queries(client, "/api/v1/firms/", page=3, page_size=2) == (8, 0)

    # Moved to zone B: zone A's staff see one firm fewer at once.
    staff = as_user(park.staff_a)
    before = staff.get("/api/v1/firms/").json()["count"]
    firm = created.json()["id"]
    moved = client.patch(f"/api/v1/firms/{firm}/", {"zone": park.zone_b.pk, "reason": "测试"}, format="json")
    assert moved.status_code == 200, moved.json()
    assert staff.get("/api/v1/firms/").json()["count"] == before - 1


def test_a_cached_total_is_never_another_scopes(park, as_user):
    FirmFactory.create_batch(3, zone=park.zone_a)
    FirmFactory.create_batch(6, zone=park.zone_b)
    assert as_user(park.admin).get("/api/v1/firms/").json()["count"] == 11
    assert as_user(park.staff_a).get("/api/v1/firms/").json()["count"] == 4  # zone A only
    assert as_user(park.ent_a).get("/api/v1/firms/").json()["count"] == 1  # its own firm


def test_the_live_highlights_follow_a_change_at_once(park, as_user):
    client = as_user(park.admin)
    first = client.get("/api/v1/highlights/2025/")
    assert first.status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        again = client.get("/api/v1/highlights/2025/")
    assert again.json() == first.json()
    assert len(ctx.captured_queries) < 10  # the numbers came from the cache

    firm = FirmFactory(zone=park.zone_a)
    firm.name = "重庆改名测试有限公司"
    firm.save()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/api/v1/highlights/2025/").status_code == 200
    assert len(ctx.captured_queries) >= 10  # computed afresh after the change
