"""The app clock (apps.core.clock) is the one source of the business date, a chosen date reaches every
process and the SQL, and date-sensitive tests are marked (tests/dated.py)."""

from __future__ import annotations

import ast
import datetime as dt
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from apps.core import clock
from tests.factories import FirmFactory
from tests.flags.conftest import cert_ending

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
BACKEND = ROOT / "backend"


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SEEDBED_TODAY"}
    env.update(extra)
    return env


# ---------------------------------------------------------------------------------- the clock


@pytest.mark.dated
def test_seedbed_today_chooses_the_business_date_in_asia_shanghai(monkeypatch):
    monkeypatch.setenv("SEEDBED_TODAY", "2027-12-31T23:59")
    assert clock.today() == dt.date(2027, 12, 31)
    assert clock.now().isoformat() == "2027-12-31T23:59:00+08:00"
    monkeypatch.setenv("SEEDBED_TODAY", "2028-02-29")
    assert clock.today() == dt.date(2028, 2, 29)
    monkeypatch.setenv("SEEDBED_TODAY", "31/12/2027")
    with pytest.raises(ValueError, match="SEEDBED_TODAY must be"):
        clock.today()


@pytest.mark.dated
def test_the_business_date_is_shanghais_not_utcs(travel):
    # 16:30 UTC on 31 December is already 1 January in Chongqing.
    travel("2028-01-01T00:30")
    assert clock.today() == dt.date(2028, 1, 1)
    assert dt.datetime.fromtimestamp(time.time(), dt.UTC).date() == dt.date(2027, 12, 31)


def test_another_process_reads_the_same_chosen_date_and_says_so():
    """What a Celery worker or the web server started with the variable sees."""
    code = "from apps.core import clock; print(clock.today().isoformat())"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=BACKEND,
        env=_clean_env(SEEDBED_TODAY="2029-01-01T00:01"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "2029-01-01"
    assert "SEEDBED_TODAY is set" in result.stderr


def test_production_refuses_a_chosen_date():
    import secrets

    env = _clean_env(
        DJANGO_SETTINGS_MODULE="config.settings_production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="seedbed.example.cn",
        SEEDBED_TODAY="2027-12-31",
    )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=BACKEND, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "SEEDBED_TODAY must not be set in production" in result.stderr


@pytest.mark.django_db
def test_the_scan_writes_the_app_clocks_moment_not_postgresqls(park, travel):
    """The scan's SQL receives the moment as a parameter: flags and their messages carry the chosen
    date (so a message's "as of" date is the scan's), not the database server's real now()."""
    from apps.flags.jobs import run_job
    from apps.flags.models import Flag, Notification, OutboxMessage

    moment = travel("2030-12-31T23:59")
    firm = FirmFactory(zone=park.zone_a)
    firm.assigned_staff = park.staff
    firm.save()
    cert_ending(firm, "SRDI", 20, today=moment.date())
    run = run_job("scan")
    assert run.state == "succeeded", run.errors
    flag = Flag.objects.get(firm=firm, kind="renewal_due")
    assert flag.first_seen == flag.last_seen == moment
    assert {n.created_at for n in Notification.objects.filter(flag=flag)} == {moment}
    assert {m.created_at for m in OutboxMessage.objects.filter(flag=flag)} <= {moment}


# ---------------------------------------------------------------------------------- the checks

# Ways to read "today" that bypass the app clock (and so the run-time check in tests/dated.py).
FORBIDDEN = {("date", "today"), ("datetime", "today"), ("datetime", "now"), ("timezone", "localdate")}


def _forbidden_reads(source: str) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        owner = node.func.value
        owner_name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
        if (owner_name, node.func.attr) in FORBIDDEN:
            # timezone.localdate(stamp) of a stored timestamp is fine; with no argument it is "today".
            if node.func.attr == "localdate" and node.args:
                arg = node.args[0]
                if not (isinstance(arg, ast.Call) and getattr(arg.func, "attr", "") == "now"):
                    continue
            lines.append(node.lineno)
        # timezone.now().date(): today in UTC's reckoning
        if node.func.attr == "date" and isinstance(owner, ast.Call) and getattr(owner.func, "attr", "") == "now":
            lines.append(node.lineno)
    return lines


def test_the_static_check_sees_every_spelling():
    source = (
        "import datetime as dt\nfrom django.utils import timezone\n"
        "a = dt.date.today()\nb = dt.datetime.now()\nc = timezone.localdate()\nd = timezone.now().date()\n"
        "e = timezone.localdate(timezone.now())\nf = date.today()\n"
        "ok = timezone.localdate(stamp)\nok2 = timezone.now()\n"
    )
    assert _forbidden_reads(source) == [3, 4, 5, 6, 7, 8]


def test_tests_read_the_date_only_through_the_app_clock():
    """The run-time check can see only apps.core.clock: any other way a test reads "today" is refused."""
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in sorted(TESTS.rglob("*.py"))
        for line in _forbidden_reads(path.read_text(encoding="utf-8"))
    ]
    assert found == [], (
        "read the business date with apps.core.clock.today() (and mark the test @pytest.mark.dated), "
        f"or use a fixed date / the `travel` fixture: {found}"
    )


PROBE = """
import pytest

from apps.core import clock


def test_unmarked_reads_the_clock():
    assert clock.today().year > 2000


@pytest.mark.dated
def test_marked_reads_the_clock():
    assert clock.today().year > 2000


def test_unmarked_leaves_the_clock_alone():
    assert 1 + 1 == 2
"""


def test_an_unmarked_test_that_reads_the_clock_fails():
    probe = TESTS / f"test_probe_{uuid.uuid4().hex[:8]}.py"
    probe.write_text(PROBE, encoding="utf-8")
    try:
        result = subprocess.run(
            [sys.executable, "-m", "pytest", str(probe), "-q", "-p", "no:randomly", "-rA"],
            cwd=ROOT,
            env=_clean_env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        probe.unlink()
    out = result.stdout
    assert "ERROR" in out and "test_unmarked_reads_the_clock" in out, out
    assert "is not marked @pytest.mark.dated" in out, out
    assert "PASSED" in out and "test_marked_reads_the_clock" in out, out
    assert "3 passed, 1 error" in out, out  # a teardown error counts its test as passed too


# Real-clock timestamps (file names, benchmark fills), never a business date.
REAL_CLOCK_FILES = {
    "backend/apps/core/backup.py",
    "backend/apps/core/management/commands/backup.py",
    "backend/apps/benchmarks/management/commands/bench_imports.py",
    "backend/apps/benchmarks/management/commands/bench_firms.py",
}


def test_the_backend_reads_the_business_date_only_from_the_app_clock():
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in sorted((BACKEND / "apps").rglob("*.py"))
        if "migrations" not in path.parts
        and path.name != "clock.py"
        and str(path.relative_to(ROOT)) not in REAL_CLOCK_FILES
        for line in _forbidden_reads(path.read_text(encoding="utf-8"))
    ]
    assert found == [], f"use apps.core.clock.today()/now() for business dates: {found}"
