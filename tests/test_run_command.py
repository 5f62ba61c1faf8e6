"""The README's run command, as a user runs it: embedded PostgreSQL, file-system broker, demo park.

It must serve /healthz and a non-empty firm list within two minutes, and Ctrl-C must stop
everything, leaving no postgres behind.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(opener: urllib.request.OpenerDirector, url: str, **kwargs: object) -> tuple[int, dict]:
    with opener.open(urllib.request.Request(url, **kwargs), timeout=10) as response:  # type: ignore[arg-type]
        return response.status, json.loads(response.read())


def test_run_command_serves_the_demo_park_and_stops_cleanly(tmp_path: Path) -> None:
    var = ROOT / "var" / f"run-test-{os.getpid()}"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update({"SEEDBED_VAR_DIR": str(var), "PORT": str(port)})
    log = (tmp_path / "run.log").open("w")
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "seedbed"), "run"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    try:
        deadline = started + 120
        health = None
        while time.monotonic() < deadline:
            try:
                status, health = _get(opener, f"{base}/healthz")
                break
            except OSError:
                assert proc.poll() is None, (tmp_path / "run.log").read_text()[-3000:]
                time.sleep(1)
        assert health is not None, "no /healthz within two minutes:\n" + (tmp_path / "run.log").read_text()[-3000:]
        assert status == 200 and health["database"]["ok"] and health["broker"]["kind"] == "filesystem"
        _, csrf = _get(opener, f"{base}/api/v1/auth/csrf/")
        login = json.dumps({"username": "staff", "password": "Seedbed-2026"}).encode()
        _get(
            opener,
            f"{base}/api/v1/auth/login/",
            data=login,
            method="POST",
            headers={"Content-Type": "application/json", "X-CSRFToken": csrf["csrf_token"]},
        )
        status, firms = _get(opener, f"{base}/api/v1/firms/")
        assert status == 200 and firms["count"] > 0
        elapsed = time.monotonic() - started
        assert elapsed < 120
        banner = (tmp_path / "run.log").read_text()
        for login_name in ("admin", "staff", "viewer", "enterprise"):
            assert f" {login_name} " in banner
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
        time.sleep(1)
        leftovers = [
            p.pid
            for p in psutil.process_iter(["name", "cmdline"])
            if p.info["name"] == "postgres" and str(var) in " ".join(p.info["cmdline"] or [])
        ]
        if leftovers:
            from config.embedded import stop_postgres

            stop_postgres(var / "pgdata")
        subprocess.run(["rm", "-rf", str(var)], check=False)
    assert not leftovers, "Ctrl-C left postgres running"
