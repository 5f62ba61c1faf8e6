from __future__ import annotations

import datetime as dt
from typing import Any

import factory

from apps.listing.models import ListingEvent
from tests.factories import FirmFactory


class ListingEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ListingEvent

    firm = factory.SubFactory(FirmFactory)
    stage = "pool"
    date = dt.date(2020, 1, 1)
    pool_level = factory.LazyAttribute(lambda o: "district" if o.stage == "pool" else "")
    outcome = factory.LazyAttribute(lambda o: "pending" if o.stage == "committee" else "")
    board = factory.LazyAttribute(lambda o: "chinext" if o.stage == "listed" else "")


def timeline(firm: Any, *steps: tuple[Any, ...]) -> list[ListingEvent]:
    """Rows straight into the table, bypassing the order checks: ("stage", "2022-09-08", {extra})."""
    made = []
    for step in steps:
        stage, day = step[0], dt.date.fromisoformat(step[1])
        extra = step[2] if len(step) > 2 else {}
        made.append(ListingEventFactory(firm=firm, stage=stage, date=day, **extra))
    return made


# A complete run up to (and including) the committee, dated in order.
UP_TO_COMMITTEE = (
    ("pool", "2019-03-01"),
    ("tutoring_filed", "2020-05-01"),
    ("tutoring_accepted", "2021-01-10"),
    ("application_accepted", "2021-06-01", {"board": "chinext"}),
    ("inquiry", "2021-07-01"),
)
