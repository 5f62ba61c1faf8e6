"""docs/operations.md documents every environment variable Seedbed reads, and .env.example lists every
one a deployment may set. A variable added to the code without documentation fails here."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Read by the code but never set in a deployment's .env: development, tests, or set by the image itself.
NOT_IN_ENV_EXAMPLE = {
    "DEBUG",
    "DJANGO_SETTINGS_MODULE",
    "SEEDBED_VAR_DIR",
    "PORT",
    "HOST",
    "PYTHONUNBUFFERED",
    "TEST_DATABASE_NAME",
    "SEEDBED_SCAN_BATCH_SLEEP",
    "SEEDBED_IMPORT_CHUNK_SLEEP",
}
READS = re.compile(
    r"""(?:env_str|env_bool|env_list|os\.environ\.get|os\.getenv|environ\.setdefault|env\.get|env\.setdefault)\(\s*["']([A-Z][A-Z0-9_]+)["']"""
    r"""|os\.environ\[\s*["']([A-Z][A-Z0-9_]+)["']\s*\]"""
)
COMPOSE = re.compile(r"\$\{([A-Z][A-Z0-9_]+)")


def variables_read() -> set[str]:
    names: set[str] = set()
    sources = [p for p in (ROOT / "backend").rglob("*.py") if "migrations" not in p.parts]
    for path in [*sources, ROOT / "seedbed"]:
        for match in READS.finditer(path.read_text(encoding="utf-8")):
            names.add(match.group(1) or match.group(2))
    for path in (ROOT / "docker-compose.yml", ROOT / "deploy" / "release.sh"):
        names |= set(COMPOSE.findall(path.read_text(encoding="utf-8")))
    names.add("WEB_CONCURRENCY")  # read by gunicorn itself in the web container
    return names


def test_the_scan_finds_the_variables_we_know_of():
    found = variables_read()
    assert {"DATABASE_URL", "SECRET_KEY", "REDIS_URL", "SEEDBED_DEMO", "POSTGRES_PASSWORD", "PORT"} <= found


def test_every_variable_is_in_the_operations_guide():
    guide = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    missing = sorted(name for name in variables_read() if f"`{name}`" not in guide)
    assert not missing, f"not documented in docs/operations.md (configuration reference): {missing}"


def test_every_deployment_variable_is_in_env_example():
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, flags=re.MULTILINE))
    missing = sorted(variables_read() - NOT_IN_ENV_EXAMPLE - listed)
    assert not missing, f"not in .env.example: {missing}"
