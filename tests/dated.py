"""Running the suite at a chosen date, and keeping date-sensitive tests marked.

`--today=YYYY-MM-DD[THH:MM]` (Asia/Shanghai; 12:00 when no time is given) moves the whole session
to that moment:
- time-machine travels the test process there (date.today, datetime.now, timezone.now, time.time),
  and each test starts again at that exact moment (the clock ticks within a test), so a run at
  23:59 does not drift past midnight halfway through the session;
- SEEDBED_TODAY is set in os.environ, so the app clock (apps.core.clock) — in this process and in
  every web server or Celery worker a test starts with a copy of the environment — reads the same
  date, and SQL gets it as a parameter from there.

`@pytest.mark.dated` marks a test whose outcome depends on the date; `.ci/dated` runs those at the
year's edges, a leap day and three years ahead. Two checks keep the marks honest:
- at run time, an unmarked test that reads the app clock itself (clock.today()/now() called from a
  file under tests/ — the test, a helper or a factory) fails, naming the line;
- tests/test_clock.py::test_tests_read_the_date_only_through_the_app_clock forbids the other ways
  to read "today" in tests/ (date.today(), datetime.now(), timezone.localdate(), ….now().date()),
  which the run-time check could not see.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

SHANGHAI = ZoneInfo("Asia/Shanghai")
TESTS = Path(__file__).resolve().parent
CLOCK_FILE = os.path.join("apps", "core", "clock.py")
_MOMENT = pytest.StashKey[dt.datetime]()
_TRAVELLER = pytest.StashKey[Any]()


def parse_today(raw: str) -> dt.datetime:
    raw = raw.strip()
    try:
        moment = dt.datetime.fromisoformat(raw if "T" in raw or " " in raw else f"{raw}T12:00")
    except ValueError:
        raise pytest.UsageError(
            f"--today must be YYYY-MM-DD or YYYY-MM-DDTHH:MM (Asia/Shanghai), got {raw!r}"
        ) from None
    return moment.replace(tzinfo=SHANGHAI) if moment.tzinfo is None else moment.astimezone(SHANGHAI)


def pytest_addoption(parser: Any) -> None:
    parser.addoption(
        "--today",
        default=None,
        metavar="YYYY-MM-DD[THH:MM]",
        help="run the session at this Asia/Shanghai date and time (time-machine + the app clock's SEEDBED_TODAY)",
    )


def pytest_configure(config: Any) -> None:
    config.addinivalue_line("markers", "dated: the outcome depends on the date; .ci/dated runs it at edge dates")
    raw = config.getoption("--today")
    if not raw:
        return
    import time_machine

    moment = parse_today(raw)
    config.stash[_MOMENT] = moment
    os.environ["SEEDBED_TODAY"] = moment.strftime("%Y-%m-%dT%H:%M:%S")
    traveller = time_machine.travel(moment, tick=True)
    traveller.start()
    config.add_cleanup(traveller.stop)


def pytest_report_header(config: Any) -> str | None:
    moment = config.stash.get(_MOMENT, None)
    return f"today: {moment.isoformat()} (--today; time-machine and SEEDBED_TODAY)" if moment else None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: Any) -> Any:
    moment = item.config.stash.get(_MOMENT, None)
    if moment is not None:
        import time_machine

        traveller = time_machine.travel(moment, tick=True)
        traveller.start()
        item.stash[_TRAVELLER] = traveller
    yield


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: Any) -> None:
    traveller = item.stash.get(_TRAVELLER, None)
    if traveller is not None:
        traveller.stop()


def _caller_in_tests() -> str | None:
    """file:line of the code that called the app clock, when that code lives under tests/."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.endswith(CLOCK_FILE):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return None
    path = Path(frame.f_code.co_filename).resolve()
    if path == Path(__file__).resolve() or TESTS not in path.parents:
        return None
    return f"{path.relative_to(TESTS.parent)}:{frame.f_lineno}"


@pytest.fixture(autouse=True)
def _unmarked_tests_do_not_read_the_clock(request: Any) -> Any:
    """An unmarked test that reads the app clock fails: its outcome may change with the date."""
    if request.node.get_closest_marker("dated"):
        yield
        return
    from apps.core import clock

    real_now = clock.now
    reads: list[str] = []

    def watched_now() -> dt.datetime:
        where = _caller_in_tests()
        if where is not None:
            reads.append(where)
        return real_now()

    clock.now = watched_now  # type: ignore[assignment]
    try:
        yield
    finally:
        clock.now = real_now  # type: ignore[assignment]
    if reads:
        pytest.fail(
            f"this test reads the app clock ({', '.join(sorted(set(reads)))}) but is not marked "
            "@pytest.mark.dated: mark it, so .ci/dated runs it at the year's edges"
        )


@pytest.fixture
def travel(monkeypatch: Any) -> Any:
    """`travel("2026-12-31T23:59")`: this test (time-machine, clock standing still) and the app clock
    (SEEDBED_TODAY) move to that Asia/Shanghai moment — for tests about a fixed calendar situation,
    which need no `dated` mark because they no longer depend on the real date."""
    import time_machine

    travellers: list[Any] = []

    def go(raw: str) -> dt.datetime:
        moment = parse_today(raw)
        traveller = time_machine.travel(moment, tick=False)
        traveller.start()
        travellers.append(traveller)
        monkeypatch.setenv("SEEDBED_TODAY", moment.strftime("%Y-%m-%dT%H:%M:%S"))
        return moment

    yield go
    for traveller in reversed(travellers):
        traveller.stop()
