"""What a newcomer's `./seedbed run` must do, checked from outside (standard library only, so that
.ci/fresh-run can use it before any venv exists):

- serve /healthz, a session login (the README's CSRF dance) and a non-empty firm list within two minutes;
- keep answering (/healthz and the firm list within 1 s) while 10 idle connections are held open;
- sign with its own random SECRET_KEY (kept in var/secret_key, mode 600), so that an iCal feed address
  cannot be computed from the published default key;
- stop everything on Ctrl-C (SIGINT to its process group): no gunicorn, celery or postgres left, and
  no traceback in its output.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import socket
import stat
import subprocess
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

PUBLISHED_KEY = "dev-only-insecure-key-do-not-use-in-production"  # config/settings.py's default
CALENDAR_SALT = "seedbed.flags.calendar"  # apps/flags/calendar.py
IDLE_CONNECTIONS = 10


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def published_key_signature(user_id: int, version: int) -> str:
    """Django's salted_hmac(SALT, value, secret=<published key>, algorithm="sha256"), as anyone could compute it."""
    key = hashlib.sha256((CALENDAR_SALT + PUBLISHED_KEY).encode()).digest()
    return hmac.new(key, f"{user_id}:{version}".encode(), hashlib.sha256).hexdigest()[:40]


def _json(opener: urllib.request.OpenerDirector, url: str, **kwargs: object) -> tuple[int, dict]:
    with opener.open(urllib.request.Request(url, **kwargs), timeout=10) as response:  # type: ignore[arg-type]
        return response.status, json.loads(response.read())


def processes_of(var: Path) -> list[str]:
    """Live processes of a run with this var dir: its environment names it (gunicorn, celery), or its
    command line does (postgres -D <var>/pgdata). Read from /proc."""
    marker = f"SEEDBED_VAR_DIR={var}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            environ = (proc / "environ").read_bytes().split(b"\0")
            state = next((line for line in (proc / "status").read_text().splitlines() if line.startswith("State:")), "")
        except OSError:
            continue
        if (marker in environ or str(var) in cmdline) and "Z (zombie)" not in state:
            found.append(f"{proc.name}: {cmdline[:200]}")
    return found


def exercise_run(root: Path, python: str, var: Path, log_path: Path, limit: float | None = None) -> dict[str, float]:
    """Runs `python root/seedbed run` with no DATABASE_URL and checks it; returns the timings (seconds).

    The limit is two minutes; SEEDBED_RUN_LIMIT_SECONDS changes it (a machine busy with other work)."""
    limit = limit or float(os.environ.get("SEEDBED_RUN_LIMIT_SECONDS", "120"))
    port = free_port()
    drop = {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY", "VIRTUAL_ENV", "PYTHONPATH"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update({"SEEDBED_VAR_DIR": str(var), "PORT": str(port)})
    figures: dict[str, float] = {}
    with log_path.open("w") as log:
        started = time.monotonic()
        proc = subprocess.Popen(
            [python, str(root / "seedbed"), "run"],
            cwd=root,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def tail() -> str:
        return "\n--- run output (end) ---\n" + log_path.read_text(errors="replace")[-4000:]

    base = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    idle: list[socket.socket] = []
    try:
        health = None
        while time.monotonic() < started + limit:
            try:
                status, health = _json(opener, f"{base}/healthz")
                break
            except OSError:
                assert proc.poll() is None, "the run command stopped" + tail()
                time.sleep(0.5)
        assert health is not None, f"no /healthz within {limit:.0f} s (load {os.getloadavg()})" + tail()
        figures["healthz"] = time.monotonic() - started
        assert status == 200 and health["database"]["ok"] and health["broker"]["kind"] == "filesystem", health
        _, csrf = _json(opener, f"{base}/api/v1/auth/csrf/")
        login = json.dumps({"username": "staff", "password": "Seedbed-2026"}).encode()
        headers = {"Content-Type": "application/json", "X-CSRFToken": csrf["csrf_token"]}
        _json(opener, f"{base}/api/v1/auth/login/", data=login, method="POST", headers=headers)
        status, firms = _json(opener, f"{base}/api/v1/firms/")
        assert status == 200 and firms["count"] > 0, firms
        figures["firm_list"] = time.monotonic() - started
        assert figures["firm_list"] < limit, f"firm list after {figures['firm_list']:.0f} s" + tail()
        # The banner follows the first /healthz answer the run command itself waits for: wait for it too.
        banner_by = time.monotonic() + 30
        while "Press Ctrl-C" not in (banner := log_path.read_text(errors="replace")) and time.monotonic() < banner_by:
            time.sleep(0.2)
        for name in ("admin", "staff", "viewer", "enterprise"):
            assert f" {name} " in banner, f"demo login {name} missing from the banner" + tail()

        # A browser's idle connections: some never send a request (pre-connects), some are kept alive after one.
        for i in range(IDLE_CONNECTIONS):
            conn = socket.create_connection(("127.0.0.1", port), timeout=5)
            if i % 2:
                conn.sendall(f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
                conn.recv(65536)
            idle.append(conn)
        time.sleep(0.3)
        probes = (("healthz_idle", f"{base}/healthz"), ("firm_list_idle", f"{base}/api/v1/firms/?page_size=50"))
        for name, url in probes:
            t0 = time.monotonic()
            status, _ = _json(opener, url)
            figures[name] = time.monotonic() - t0
            assert status == 200 and figures[name] < 1.0, f"{url} took {figures[name]:.2f} s with idle connections"

        # The feed address is signed with this run's own key, not the published one.
        key_file = var / "secret_key"
        assert key_file.exists(), "no var/secret_key"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600, oct(key_file.stat().st_mode)
        _, feed = _json(opener, f"{base}/api/v1/calendar/")
        token = feed["url"].rsplit("/", 1)[1].removesuffix(".ics")
        user_id, version, signature = token.split("-")
        assert signature != published_key_signature(int(user_id), int(version)), "feed signed with the published key"
        with opener.open(f"{base}/api/v1/calendar/{token}.ics", timeout=10) as response:
            assert response.status == 200 and b"BEGIN:VCALENDAR" in response.read()
    finally:
        for conn in idle:
            conn.close()
        t0 = time.monotonic()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in a terminal signals the whole foreground group
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
        figures["stop"] = time.monotonic() - t0
    time.sleep(1)
    leftovers = processes_of(var)
    assert not leftovers, "Ctrl-C left processes running:\n" + "\n".join(leftovers)
    output = log_path.read_text(errors="replace")
    for noise in ("Traceback", "--- Logging error ---"):
        assert noise not in output, f"{noise!r} in the run's output" + tail()
    return figures
