"""The README's run command, as a user runs it: embedded PostgreSQL, file-system broker, demo park.

The full check (tests/run_checks.py) runs here against this checkout's .venv; `.ci/fresh-run` runs
the same check from a fresh clone with a venv built from requirements.txt alone, on the oldest and
the newest supported Python.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import shutil
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import ModuleType

import psycopg
import pytest
from django.test import override_settings

from tests.run_checks import exercise_run, processes_of, published_key_signature

ROOT = Path(__file__).resolve().parents[1]


def _seedbed() -> ModuleType:
    """The `seedbed` script as a module (it has no .py suffix)."""
    loader = importlib.machinery.SourceFileLoader("seedbed_script", str(ROOT / "seedbed"))
    spec = importlib.util.spec_from_loader("seedbed_script", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


@pytest.mark.slow
def test_run_command_serves_the_demo_park_under_idle_connections_and_stops_cleanly(tmp_path: Path) -> None:
    var = ROOT / "var" / f"run-test-{uuid.uuid4().hex[:6]}"
    try:
        figures = exercise_run(ROOT, sys.executable, var, tmp_path / "run.log")
        print("run command figures (s):", {k: round(v, 3) for k, v in figures.items()})
    finally:
        if processes_of(var):
            from config.embedded import stop_postgres

            stop_postgres(var / "pgdata")
        shutil.rmtree(var, ignore_errors=True)


def test_each_var_dir_gets_its_own_secret_key_kept_private_and_reused(tmp_path: Path) -> None:
    seedbed = _seedbed()
    first, second = tmp_path / "one" / "var", tmp_path / "two" / "var"
    key_one, key_two = seedbed.secret_key(first, {}), seedbed.secret_key(second, {})
    assert key_one != key_two and len(key_one) >= 50
    assert seedbed.secret_key(first, {}) == key_one, "a later run must reuse the kept key"
    for var in (first, second):
        assert stat.S_IMODE((var / "secret_key").stat().st_mode) == 0o600
    assert seedbed.secret_key(first, {"SECRET_KEY": "from-the-environment"}) == "from-the-environment"

    # The iCal feed token differs between the two, and neither can be computed from the published key.
    from apps.flags.calendar import feed_token
    from apps.flags.models import CalendarFeed

    feed = CalendarFeed(user_id=7, version=1)
    tokens = []
    for key in (key_one, key_two):
        with override_settings(SECRET_KEY=key):
            tokens.append(feed_token(feed))
    assert tokens[0] != tokens[1]
    published = f"7-1-{published_key_signature(7, 1)}"
    with override_settings(SECRET_KEY="dev-only-insecure-key-do-not-use-in-production"):
        assert feed_token(feed) == published, "the published-key computation matches Django's"
    assert published not in tokens


def _old_pg16_folder(pgdata: Path) -> None:
    """A data folder as pgserver 0.1.4 made it (PostgreSQL 16, initdb --auth=trust -U postgres, no checksums),
    holding a database with a row, left stopped."""
    from config.embedded import _as_owner, _give_to_owner, pg_bin

    old = pg_bin(16)
    pgdata.mkdir(parents=True)
    _give_to_owner(pgdata)
    run = {"check": True, "capture_output": True}
    initdb = [str(old / "initdb"), "--auth=trust", "--auth-local=trust", "--encoding=utf8", "-U", "postgres"]
    subprocess.run(_as_owner([*initdb, "-D", str(pgdata)]), **run)  # type: ignore[call-overload]
    start = [str(old / "pg_ctl"), "-D", str(pgdata), "-w", "-o", f'-h "" -k {pgdata}', "-l", str(pgdata / "log")]
    subprocess.run(_as_owner([*start, "start"]), **run)  # type: ignore[call-overload]
    try:
        with psycopg.connect(host=str(pgdata), user="postgres", dbname="postgres", autocommit=True) as conn:
            conn.execute('CREATE DATABASE "seedbed"')
        with psycopg.connect(host=str(pgdata), user="postgres", dbname="seedbed", autocommit=True) as conn:
            conn.execute("CREATE TABLE kept (name text)")
            conn.execute("INSERT INTO kept VALUES ('重庆甲方科技有限公司')")
    finally:
        subprocess.run(_as_owner([str(old / "pg_ctl"), "-D", str(pgdata), "stop", "-m", "fast", "-w"]), **run)  # type: ignore[call-overload]


@pytest.mark.slow
def test_a_postgresql_16_data_folder_is_upgraded_with_its_data(capsys: pytest.CaptureFixture[str]) -> None:
    from config.embedded import data_version, start_postgres, stop_postgres

    # Not tmp_path: as root the server runs as the `pgserver` user, which cannot enter pytest's 700 folders.
    folder = ROOT / "var" / f"upgrade-test-{uuid.uuid4().hex[:6]}"
    pgdata = folder / "pgdata"
    try:
        _old_pg16_folder(pgdata)
        assert data_version(pgdata) == 16
        started = time.monotonic()
        url, _server = start_postgres(pgdata, "seedbed")
        took = time.monotonic() - started
        said = capsys.readouterr().out
        assert "upgrading the embedded PostgreSQL data" in said and "from PostgreSQL 16 to 18" in said
        assert data_version(pgdata) == 18
        assert data_version(folder / "pgdata.pg16-backup") == 16, "the old folder is kept as a backup"
        socket_dir = url.split("host=")[1].replace("%2F", "/")
        with psycopg.connect(host=socket_dir, user="postgres", dbname="seedbed") as conn:
            assert conn.execute("SELECT name FROM kept").fetchall() == [("重庆甲方科技有限公司",)]
            assert conn.execute("SHOW server_version").fetchone()[0].startswith("18")
        stop_postgres(pgdata)
        # The next start finds PostgreSQL 18 data: no second upgrade.
        start_postgres(pgdata, "seedbed")
        assert "upgrading" not in capsys.readouterr().out
        print(f"upgrade and start: {took:.1f} s")
    finally:
        for data in (pgdata, folder / "pgdata.pg16-backup"):
            if (data / "postmaster.pid").exists():
                stop_postgres(data)
        shutil.rmtree(folder, ignore_errors=True)
    assert not processes_of(folder)


def test_browser_tests_fail_rather_than_skip_without_chromium_and_no_browser_says_so(tmp_path: Path) -> None:
    """Without /usr/bin/chromium a browser test fails with the command to run; SEEDBED_NO_BROWSER=1
    (what `./seedbed test --no-browser` sets) deselects them, and the run says so."""
    conftest = (ROOT / "tests" / "browser" / "conftest.py").read_text()
    fake = tmp_path / "tests" / "browser"
    fake.mkdir(parents=True)
    (tmp_path / "tests" / "__init__.py").write_text("")
    (fake / "__init__.py").write_text("")
    (fake / "conftest.py").write_text(conftest.replace('Path("/usr/bin/chromium")', 'Path("/nonexistent/chromium")'))
    (fake / "test_one.py").write_text(
        "import pytest\n\npytestmark = pytest.mark.browser\n\n\ndef test_page():\n    assert True\n"
    )
    args = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:django", "-q", "-rA"]
    args += ["-o", "markers=browser", str(fake)]
    env = {k: v for k, v in os.environ.items() if k != "SEEDBED_NO_BROWSER"}
    failed = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert failed.returncode == 1, failed.stdout
    assert "1 error" in failed.stdout and "apt-get install -y chromium fonts-wqy-microhei" in failed.stdout
    assert "skipped" not in failed.stdout
    no_browser = {**env, "SEEDBED_NO_BROWSER": "1"}
    left_out = subprocess.run(args, cwd=tmp_path, env=no_browser, capture_output=True, text=True)
    assert "1 deselected" in left_out.stdout, left_out.stdout


def test_seedbed_test_without_chromium_names_the_command_or_installs_it(monkeypatch: pytest.MonkeyPatch) -> None:
    seedbed = _seedbed()
    monkeypatch.setattr(seedbed, "CHROMIUM", Path("/nonexistent/chromium"))
    monkeypatch.setattr(seedbed.os, "geteuid", lambda: 1000)  # not root: cannot install
    with pytest.raises(SystemExit) as stopped:
        seedbed.ensure_browser()
    message = str(stopped.value)
    assert "apt-get install -y chromium fonts-wqy-microhei" in message and "--no-browser" in message
    assert "\n" not in message
    assert seedbed.wants_browser_tests([]) and seedbed.wants_browser_tests(["-q", "tests/browser"])
    assert seedbed.wants_browser_tests(["tests"]) and seedbed.wants_browser_tests(["."])
    assert seedbed.wants_browser_tests(["tests/browser/test_layout.py::test_x"])
    assert not seedbed.wants_browser_tests(["tests/test_auth.py", "-x"])


@pytest.mark.slow
def test_seedbed_test_with_the_embedded_server_ends_quietly(tmp_path: Path) -> None:
    """A successful `./seedbed test` (embedded PostgreSQL) ends without a traceback or a logging error."""
    var = ROOT / "var" / f"quiet-test-{uuid.uuid4().hex[:6]}"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env["SEEDBED_VAR_DIR"] = str(var)
    try:
        done = subprocess.run(
            [sys.executable, str(ROOT / "seedbed"), "test", "tests/test_uscc_properties.py", "-q", "-p", "no:randomly"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, output[-3000:]
        assert "passed" in output
        for noise in ("Traceback", "--- Logging error ---", "Warning"):
            assert noise not in output, output[-3000:]
        assert not processes_of(var), "the embedded test server was left running"
    finally:
        if processes_of(var):
            from config.embedded import stop_postgres

            stop_postgres(var / "test-pgdata")
        shutil.rmtree(var, ignore_errors=True)


@pytest.mark.slow
def test_a_test_run_that_starts_the_embedded_server_ends_without_a_logging_error(tmp_path: Path) -> None:
    """Tests that start the embedded server themselves (test_integration_processes) must not leave an
    exit hook that logs into pytest's closed capture streams."""
    var = ROOT / "var" / f"quiet-hook-{uuid.uuid4().hex[:6]}"
    (tmp_path / "test_embedded_once.py").write_text(
        "from pathlib import Path\n\n"
        "def test_start_and_stop():\n"
        "    from config.embedded import start_postgres, stop_postgres\n\n"
        f"    start_postgres(Path({str(var / 'pgdata')!r}), 'postgres')\n"
        f"    stop_postgres(Path({str(var / 'pgdata')!r}))\n"
    )
    # Django's settings give the root logger a stream handler, bound to pytest's capture (closed at exit).
    env = {**os.environ, "PYTHONPATH": str(ROOT / "backend"), "DJANGO_SETTINGS_MODULE": "config.settings"}
    args = [sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider", "-q"]
    try:
        done = subprocess.run([*args, str(tmp_path)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=99)
        output = done.stdout + done.stderr
        assert done.returncode == 0, output[-3000:]
        assert "Logging error" not in output and "Traceback" not in output, output[-3000:]
    finally:
        shutil.rmtree(var, ignore_errors=True)
