"""The demo park shows each of the rules' flags on the first scan, whichever day it is loaded."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.core import clock
from apps.core.models import Change
from apps.figures.demo import seed_figures
from apps.figures.models import AnnualFigures
from apps.flags.detectors import ScanContext, detectors
from apps.programmes.demo import seed_certifications
from apps.programmes.models import Certification
from apps.programmes.selectors import certifications_valid_on
from apps.registry.demo import seed_registry
from apps.registry.models import Firm
from apps.rules.demo import seed_rules_demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_park():
    seed_registry()
    seed_figures()
    seed_certifications()


def findings(today: dt.date) -> dict[str, list]:
    ctx = ScanContext(today=today)
    kinds = ("threshold_reached", "eligible", "upgrade_candidate", "near_miss")
    return {kind: [f for d in detectors()[kind] for f in d(ctx)] for kind in kinds}


def held_on(firm_id: int, day: dt.date) -> set[str]:
    certs = certifications_valid_on(day, Certification.objects.filter(firm_id=firm_id))
    return set(certs.values_list("programme__code", flat=True))


@pytest.mark.dated
@pytest.mark.parametrize("today", [None, dt.date(2026, 3, 15)])
def test_each_rules_scene_shows_and_loading_again_changes_nothing(demo_park, today):
    day = today or clock.today()
    result = seed_rules_demo(day)
    assert result["created"] > 0
    assert all(result["scenes"].values()), result
    found = findings(day)
    names = {f.pk: f.name for f in Firm.objects.all()}

    crossing = [f for f in found["threshold_reached"] if names[f.firm_id] == result["scenes"]["threshold_reached"]]
    assert len(crossing) == 1
    assert "ABOVE_SIZE" not in held_on(crossing[0].firm_id, day)
    assert crossing[0].evidence["threshold"] == "20000000"

    eligible = [f for f in found["eligible"] if names[f.firm_id] == result["scenes"]["eligible"]]
    assert "HNTE" in {f.programme_code for f in eligible}

    upgrade = [f for f in found["upgrade_candidate"] if names[f.firm_id] == result["scenes"]["upgrade_candidate"]]
    assert [(f.programme_code, f.evidence["holds"]) for f in upgrade] == [("LITTLE_GIANT", "SRDI")]

    near = [
        f
        for f in found["near_miss"]
        if names[f.firm_id] == result["scenes"]["near_miss"] and f.programme_code == "HNTE"
    ]
    assert len(near) == 1
    gap = near[0].evidence["gaps"][0]
    assert gap["field"] == "rd_expense" and float(gap["amount"]) > 0
    assert gap["text_zh"].startswith("需增加研发投入 ¥")

    figures, changes = AnnualFigures.objects.count(), Change.objects.count()
    again = seed_rules_demo(day)
    assert again == {**result, "created": 0}
    assert (AnnualFigures.objects.count(), Change.objects.count()) == (figures, changes)
