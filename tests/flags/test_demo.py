"""The demo park shows flags on its first load: a renewal due on each rung and expired titles."""

from __future__ import annotations

import pytest

from apps.flags.demo import seed_flags
from apps.flags.models import Flag, JobRun, Notification
from apps.programmes.demo import seed_certifications
from apps.registry.demo import seed_registry
from tests.flags.factories import TODAY

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("standard_only")]


def test_the_demo_shows_every_rung_and_loading_it_again_changes_nothing():
    seed_registry()
    seed_certifications()
    first = seed_flags(TODAY)
    assert first["state"] == "succeeded" and first["certifications"] == 4
    renewal_rungs = set(Flag.objects.filter(kind="renewal_due", state="open").values_list("ladder_point", flat=True))
    assert {180, 90, 30} <= renewal_rungs
    expired = set(Flag.objects.filter(kind="expired", state="open").values_list("ladder_point", flat=True))
    assert expired == {0, 30}
    weima = Flag.objects.filter(firm__name="威马农机股份有限公司", kind="renewal_due", ladder_point=180)
    assert weima.exists(), "the demo enterprise login sees its own 180-day reminder"
    assert Flag.objects.filter(kind="report_due", ladder_point=0).exists()
    assert Notification.objects.filter(user__username="staff").exists()
    flags = set(Flag.objects.values_list("id", "state", "ladder_point"))
    again = seed_flags(TODAY)
    assert again["certifications"] == again["completions"] == 0
    assert again["counts"]["opened"] == again["counts"]["updated"] == 0
    assert set(Flag.objects.values_list("id", "state", "ladder_point")) == flags
    assert JobRun.objects.filter(trigger="demo", state="succeeded").count() == 2
