"""Real parts: the embedded PostgreSQL (config.embedded), and a real Celery worker taking a real task
through a real broker (Redis when REDIS_URL is set, else the file-system broker)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import psycopg
import pytest
from django.conf import settings

from apps.core.models import Heartbeat
from apps.core.tasks import heartbeat

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _url(db: dict) -> str:
    host = db["HOST"]
    if host.startswith("/"):
        return f"postgresql://{db['USER']}@/{db['NAME']}?host={host}"
    return f"postgresql://{db['USER']}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def test_embedded_postgres_runs_migrations_and_stops_cleanly():
    from config.embedded import start_postgres, stop_postgres

    pgdata = ROOT / "var" / f"test-embedded-{uuid.uuid4().hex[:6]}"
    try:
        url, _server = start_postgres(pgdata, "seedbed_embedded")
        env = {**os.environ, "DATABASE_URL": url}
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT / "backend", env=env, check=True
        )
        subprocess.run([sys.executable, "manage.py", "seed_demo"], cwd=ROOT / "backend", env=env, check=True)
        socket_dir = url.split("host=")[1].replace("%2F", "/")
        with psycopg.connect(host=socket_dir, user="postgres", dbname="seedbed_embedded") as conn:
            assert conn.execute("SELECT count(*) FROM registry_industry WHERE level = 4").fetchone()[0] == 1380
            assert conn.execute("SELECT count(*) FROM registry_firm").fetchone()[0] >= 50
            assert conn.execute("SELECT count(*) FROM core_change WHERE source = 'command'").fetchone()[0] > 0
        stop_postgres(pgdata.resolve())
        time.sleep(0.5)
        leftovers = [
            p
            for p in psutil.process_iter(["name", "cmdline"])
            if p.info["name"] == "postgres" and str(pgdata) in " ".join(p.info["cmdline"] or [])
        ]
        assert not leftovers, "postgres was left running"
    finally:
        stop_postgres(pgdata.resolve())
        shutil.rmtree(pgdata, ignore_errors=True)


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_takes_a_task_through_the_broker():
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DATABASE_URL": _url(settings.DATABASES["default"])}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "-Q",
            queue,
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT / "backend",
        env=env,
    )
    try:
        result = heartbeat.apply_async(queue=queue)
        name = result.get(timeout=60)
        assert name.startswith("worker@")
        assert Heartbeat.objects.filter(name=name).exists()
    finally:
        worker.terminate()
        worker.wait(timeout=20)
