"""Benchmarks cannot rot (issue 12): every bench_* command lives in apps.benchmarks, has a --smoke mode,
and CI runs every smoke through .ci/bench-smoke, which fails when one of them does. The smokes
themselves (the real check: they run every measurement path) are CI's, not this suite's: ~2 minutes."""

from __future__ import annotations

import ast
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.management import get_commands, load_command_class
from django.core.management.base import CommandError
from psycopg import sql

from apps.benchmarks import benchdb

ROOT = Path(__file__).resolve().parents[1]
APPS = ROOT / "backend" / "apps"
SMOKE = ROOT / ".ci" / "bench-smoke"


def bench_commands() -> dict[str, str]:
    return {name: app for name, app in get_commands().items() if name.startswith("bench_")}


def test_every_benchmark_lives_in_the_benchmarks_app_and_has_a_smoke_mode() -> None:
    commands = bench_commands()
    assert set(commands) >= {
        "bench_firms", "bench_highlights", "bench_imports", "bench_scan", "bench_load", "bench_first_load",
    }  # fmt: skip
    for name, app in commands.items():
        assert app == "apps.benchmarks", f"{name} lives in {app}"
        parser = load_command_class(app, name).create_parser("manage.py", name)
        options = {s for action in parser._actions for s in action.option_strings}
        assert "--smoke" in options, f"{name} has no --smoke"
    # .ci/bench-smoke finds them by file name, so a new benchmark is smoked without editing the script.
    files = {p.stem for p in (APPS / "benchmarks" / "management" / "commands").glob("bench_*.py")}
    assert files == set(commands)


def test_ci_runs_every_smoke() -> None:
    assert os.access(SMOKE, os.X_OK)
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert ".ci/bench-smoke" in [line.strip() for line in lines]


def _run_smoke(tmp_path: Path, exit_code: int) -> subprocess.CompletedProcess[str]:
    """The CI script with a stand-in interpreter: a benchmark that crashes (exit 1) or passes (exit 0)."""
    stub = tmp_path / "python"
    stub.write_text(f"#!/bin/sh\necho \"$@\"\n[ {exit_code} = 0 ] || echo 'StopIteration' >&2\nexit {exit_code}\n")
    stub.chmod(0o755)
    env = {
        **os.environ,
        "PY": str(stub),
        "BENCH_SMOKE_COMMANDS": "bench_firms bench_scan",
        "DATABASE_URL": "postgresql://unused/x",
    }
    return subprocess.run([str(SMOKE)], env=env, capture_output=True, text=True, timeout=60, check=False)


def test_a_benchmark_that_crashes_fails_ci(tmp_path: Path) -> None:
    result = _run_smoke(tmp_path, 1)
    assert result.returncode != 0
    assert "bench_firms" in result.stdout and "FAILED" in result.stdout
    assert "StopIteration" in result.stdout  # its output is shown


def test_benchmarks_that_run_pass_ci(tmp_path: Path) -> None:
    result = _run_smoke(tmp_path, 0)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "manage.py bench_firms --smoke" in result.stdout or "bench_firms" in result.stdout


def test_no_production_app_imports_the_benchmarks() -> None:
    offenders = []
    for path in APPS.rglob("*.py"):
        if path.is_relative_to(APPS / "benchmarks"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.startswith("apps.benchmarks")]
    assert offenders == []


@pytest.fixture
def scratch_name() -> Any:
    name = f"seedbed_benchdb_test_{uuid.uuid4().hex[:8]}"
    yield name
    with benchdb.maintenance() as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _create(name: str, *, table: bool, comment: str = "") -> None:
    with benchdb.maintenance() as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        if comment:
            admin.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(comment)))
    if table:
        with benchdb.connect(name) as conn:
            conn.execute("CREATE TABLE precious (id int)")


def _tables(name: str) -> list[str]:
    with benchdb.connect(name) as conn:
        return [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]


def test_a_database_that_is_not_ours_is_refused_and_left_alone(scratch_name: str) -> None:
    _create(scratch_name, table=True)
    database = benchdb.BenchDatabase("bench_firms", "bench", open(os.devnull, "w"), name=scratch_name)  # noqa: SIM115
    with pytest.raises(CommandError, match="not created by a Seedbed benchmark"):
        database.prepare("seedbed bench_firms: n=10 seed=1")
    assert _tables(scratch_name) == ["precious"]


def test_our_database_is_reused_for_the_same_fill_and_remade_for_another(scratch_name: str) -> None:
    _create(scratch_name, table=True, comment="seedbed bench_firms: n=10 seed=1")
    database = benchdb.BenchDatabase("bench_firms", "bench", open(os.devnull, "w"), name=scratch_name)  # noqa: SIM115
    assert database.prepare("seedbed bench_firms: n=10 seed=1") is True
    assert _tables(scratch_name) == ["precious"]
    assert database.prepare("seedbed bench_firms: n=20 seed=1") is False  # another fill: dropped, created, marked
    assert _tables(scratch_name) == []
    with benchdb.maintenance() as admin:
        row = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [scratch_name]
        ).fetchone()
    assert row == ("seedbed bench_firms",)
    database.drop()
    with benchdb.maintenance() as admin:
        assert admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [scratch_name]).fetchone() is None


def test_the_benchmark_database_is_never_the_configured_one() -> None:
    from django.conf import settings

    with pytest.raises(CommandError):
        benchdb.BenchDatabase("bench_firms", "bench", None, name=str(settings.DATABASES["default"]["NAME"]))
    smoke = benchdb.BenchDatabase("bench_firms", "bench", None, smoke=True)
    full = benchdb.BenchDatabase("bench_firms", "bench", None)
    assert smoke.name != full.name  # a smoke never drops a full fill
