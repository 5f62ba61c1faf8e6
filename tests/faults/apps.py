"""Seedbed's own processes for the fault tests: manage.py commands, gunicorn, a Celery worker."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.faults.servers import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
BACKEND = ROOT / "backend"


def app_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT), **extra}
    env.pop("DJANGO_SETTINGS_MODULE", None)  # config.settings, as manage.py and config.wsgi default to
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 600) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BACKEND, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def python_in_app(env: dict[str, str], code: str) -> str:
    """Runs `code` in `manage.py shell` and returns what it printed."""
    return manage(env, "shell", "-c", code).strip()


class Gunicorn:
    def __init__(self, env: dict[str, str], *, workers: int = 2) -> None:
        self.port = free_port()
        self.log = open(Path(env.get("SEEDBED_VAR_DIR", "/tmp")) / f"gunicorn-{self.port}.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{self.port}",
                "--workers", str(workers), "--no-control-socket", "--timeout", "60",
            ],
            cwd=BACKEND, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_until(lambda: self.get("/healthz", raw=True)[0] in (200, 503), "gunicorn to answer", timeout=60)

    def get(self, path: str, *, token: str = "", language: str = "zh-hans", raw: bool = False) -> tuple[int, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            headers = {"Accept-Language": language}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
        except OSError:
            return 0, None
        finally:
            conn.close()
        if raw:
            return response.status, body
        try:
            return response.status, json.loads(body)
        except ValueError:
            return response.status, body.decode(errors="replace")

    def pids(self) -> set[int]:
        import psutil

        parent = psutil.Process(self.process.pid)
        return {parent.pid, *(child.pid for child in parent.children(recursive=True))}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()
