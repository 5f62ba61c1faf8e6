"""Results that change only when the data does, cached in the process under the data version.

`data_version()` is the newest id of the change history (`core_change`): every write to a table of
ours adds rows there (the history triggers, whatever the write path), so while it stays the same the
data does too. A result is cached under its key *and* that version, so the first read after any
write computes afresh — for at most `SEEDBED_DATA_CACHE_SECONDS` (a write that commits after a
later-numbered one, which the version cannot tell apart, is seen within that time). 0 turns it off.

Used where one request would otherwise repeat work over the whole park that rarely changes: the
firm list's total count (COUNT over 200,000 firms for every page) and the live annual highlights.
A key must hold everything the result depends on besides the data: the query itself (with the
caller's scope and today's date in it), or the year and scope of a report.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from apps.core import clock

T = TypeVar("T")


def data_version() -> int:
    """The newest change-history id (an index lookup)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM core_change")
        return int(cursor.fetchone()[0])


def cached_on_data(parts: tuple[Any, ...], compute: Callable[[], T]) -> T:
    seconds = int(getattr(settings, "SEEDBED_DATA_CACHE_SECONDS", 30))
    if seconds <= 0:
        return compute()
    raw = repr((parts, data_version(), clock.today().isoformat()))
    key = "seedbed:data:" + hashlib.sha256(raw.encode()).hexdigest()
    found = cache.get(key)
    if found is not None:
        return found
    value = compute()
    cache.set(key, value, seconds)
    return value
