"""Production settings fail fast without their required variables and pass Django's deploy checks.

Each case runs `manage.py` in a subprocess: settings are read once per process, and this is what an
operator sees when a container starts.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BACKEND = ROOT / "backend"


def manage(*args: str, **env: str | None) -> subprocess.CompletedProcess[str]:
    """Runs manage.py with production settings; an env value of None removes that variable."""
    # The test process sets DJANGO_ALLOW_ASYNC_UNSAFE (conftest); a deployment must not.
    inherited = {k: v for k, v in os.environ.items() if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "SEEDBED_TODAY"}}
    environment = {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "config.settings_production",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/seedbed"),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "seedbed.example.cn",
    }
    for name, value in env.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BACKEND,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "secret_key",
    [None, "", "short-but-not-empty", "dev-only-insecure-key-do-not-use-in-production" + "x" * 10],
    ids=["unset", "empty", "too-short", "development-default"],
)
def test_refuses_to_start_without_a_real_secret_key(secret_key: str | None) -> None:
    result = manage("check", SECRET_KEY=secret_key)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY must be set in production" in result.stderr


@pytest.mark.parametrize("allowed_hosts", [None, "", " , "], ids=["unset", "empty", "only-separators"])
def test_refuses_to_start_without_allowed_hosts(allowed_hosts: str | None) -> None:
    result = manage("check", ALLOWED_HOSTS=allowed_hosts)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "ALLOWED_HOSTS must be set in production" in result.stderr


def test_refuses_a_wildcard_host() -> None:
    result = manage("check", ALLOWED_HOSTS="seedbed.example.cn,*")
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must name the real host names" in result.stderr


def test_deploy_check_passes_with_both_set() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_compose_runs_one_beat_after_the_release_step() -> None:
    """docker-compose.yml: the invariants docs/operations.md relies on."""
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert services["beat"]["deploy"]["replicas"] == 1
    assert "django_celery_beat.schedulers:DatabaseScheduler" in services["beat"]["command"]
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert services[name]["environment"]["DJANGO_SETTINGS_MODULE"] == "config.settings_production"
    assert "--no-control-socket" in services["web"]["command"]
    assert "ports" not in services["web"], "only nginx may reach gunicorn: it trusts forwarded headers"
