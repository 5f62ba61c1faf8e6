"""A firm's history shows what changed, not every message the scan sent about it.

Each flag notifies several people on several channels, and each delivery attempt is a change of its
outbox row: shown by default, they would bury the few real changes. Staff can ask for them; an
enterprise user never sees them (they name park staff and robots).
"""

from __future__ import annotations

import pytest

from apps.flags.models import Notification, OutboxMessage
from tests.flags.conftest import cert_ending, run_scan

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("standard_only")]


def tables(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["table_name"] for row in response.json()["results"]}


def test_the_history_leaves_the_scans_messages_out_unless_staff_ask(park, as_user):
    park.staff_a.email = "staff_a@example.com"
    park.staff_a.save()
    park.firm_a.assigned_staff = park.staff_a
    park.firm_a.save()
    cert_ending(park.firm_a, "HNTE", 25)
    run_scan()
    assert Notification.objects.filter(firm=park.firm_a).exists()
    assert OutboxMessage.objects.filter(firm=park.firm_a).exists()
    path = f"/api/v1/firms/{park.firm_a.pk}/history/"

    shown = tables(as_user(park.staff_a).get(path, {"page_size": 200}))
    assert "flags_flag" in shown and "programmes_certification" in shown
    assert not shown & {"flags_notification", "flags_outboxmessage"}

    asked = tables(as_user(park.staff_a).get(path, {"page_size": 200, "messages": "true"}))
    assert {"flags_notification", "flags_outboxmessage"} <= asked

    own = tables(as_user(park.ent_a).get(path, {"page_size": 200, "messages": "true"}))
    assert "flags_flag" in own
    assert not own & {"flags_notification", "flags_outboxmessage"}
