"""The app clock: the one place the business date and moment come from.

Business dates — "today" for flags, deadlines, renewal windows, reports, fiscal years, the scan,
exports' file names — are read here and nowhere else: `today()` is the date in Asia/Shanghai
(settings.TIME_ZONE), `now()` the moment. SQL that needs them receives them as parameters
instead of calling PostgreSQL's now()/current_date, so the web process, the Celery worker and
the database all agree on the date.

A chosen date (tests, demos on a laptop): set `SEEDBED_TODAY=YYYY-MM-DD[THH:MM[:SS]]` (read as
Asia/Shanghai time; 12:00 when no time is given). The clock then stands still at that moment in
every process that inherits the variable — the pytest option `--today` sets it for the test
session and for the workers its tests start. config.settings_production refuses to start with
it set, and every other settings module logs a warning when it is.

Not on this clock, on purpose (the real clock, `django.utils.timezone.now()` or SQL now()):
audit timestamps (created_at/updated_at, the history trigger's own time), and operational timers
— login throttles, token and session expiry, import leases, outbox retry times, heartbeats,
backup file names — which measure real elapsed time, not a business date.
"""

from __future__ import annotations

import datetime as dt
import os

from django.utils import timezone

ENV = "SEEDBED_TODAY"


def chosen(raw: str | None = None) -> dt.datetime | None:
    """The moment SEEDBED_TODAY names (aware, Asia/Shanghai), or None when it is unset."""
    raw = os.environ.get(ENV, "") if raw is None else raw
    raw = raw.strip()
    if not raw:
        return None
    try:
        moment = dt.datetime.fromisoformat(raw if "T" in raw or " " in raw else f"{raw}T12:00")
    except ValueError:
        raise ValueError(f"{ENV} must be YYYY-MM-DD or YYYY-MM-DDTHH:MM (Asia/Shanghai), got {raw!r}") from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


def now() -> dt.datetime:
    """The business moment (aware). The real time unless SEEDBED_TODAY chooses one."""
    return chosen() or timezone.now()


def today() -> dt.date:
    """The business date: today in Asia/Shanghai, by the app clock."""
    return timezone.localdate(now())


def year() -> int:
    return today().year
