"""A listing event for a firm, for the permission walk (tests/test_access.py)."""

import datetime as dt
from typing import Any

from tests.listing.factories import ListingEventFactory


def make_samples(firm: Any) -> None:
    ListingEventFactory(firm=firm, stage="pool", date=dt.date(2021, 3, 1))
