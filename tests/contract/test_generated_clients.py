"""The schema is one a real client can use: clients generated from the committed docs/openapi.yaml run
an integrator's journey against a live server, with no hand patches.

- Python: openapi-python-client (pinned in requirements-dev.in) generates a package into a temporary
  folder; the journey below imports it and calls it.
- TypeScript: openapi-typescript and openapi-fetch (pinned in frontend/package.json) — types generated
  from the schema, journey.ts type-checked by tsc (strict) and run by Node.

A generator warning, a type error or a response the generated code cannot parse fails the test.
The journey: 1 get a token; 2 search firms over three pages; 3 create a zone, a firm and an HNTE
certificate; 4 PATCH with If-Match; 5 read history and eligibility; 6 fetch the 2022 highlights;
7 run a scan and poll it (Celery runs eagerly here, in the server's thread).
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.factories import FirmFactory, UserFactory, ZoneFactory, uscc_for

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "docs" / "openapi.yaml"
FRONTEND = ROOT / "frontend"
PASSWORD = "Correct-Horse-9"  # tests.factories.UserFactory's

LIVE = pytest.mark.django_db(transaction=True)  # live_server: the journeys' writes are committed


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 240) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{output}"
    return output


def _no_warnings(output: str, tool: str) -> None:
    lowered = output.lower()
    assert "warning" not in lowered and "error" not in lowered and "⚠" not in output, f"{tool} complained:\n{output}"


@pytest.fixture(scope="session")
def python_client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The generated Python package `seedbed_client`, imported from a temporary folder."""
    out = tmp_path_factory.mktemp("python-client")
    bin_dir = str(Path(sys.executable).parent)  # the generator formats its output with ruff from here
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    output = _run(
        [
            f"{bin_dir}/openapi-python-client",
            "generate",
            "--path",
            str(SCHEMA),
            "--meta",
            "none",
            "--output-path",
            str(out / "seedbed_client"),
        ],
        cwd=out,
        env=env,
    )
    _no_warnings(output, "openapi-python-client")
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module("seedbed_client")
    finally:
        sys.path.remove(str(out))


@pytest.fixture(scope="session")
def typescript_journey(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """journey.ts with types generated from the schema, type-checked and compiled to journey.js."""
    if shutil.which("node") is None or not (FRONTEND / "node_modules" / ".bin" / "tsc").exists():
        pytest.fail("Node 20 and frontend/node_modules (npm ci in frontend/) are needed for the contract test")
    out = tmp_path_factory.mktemp("ts-client")
    (out / "node_modules").symlink_to(FRONTEND / "node_modules")  # openapi-fetch, typescript, @types/node
    (out / "package.json").write_text('{"type": "module"}\n')
    shutil.copy(Path(__file__).with_name("journey.ts"), out / "journey.ts")
    bin_dir = FRONTEND / "node_modules" / ".bin"
    output = _run([str(bin_dir / "openapi-typescript"), str(SCHEMA), "-o", str(out / "schema.d.ts")], cwd=out)
    _no_warnings(output.replace("openapi-typescript", ""), "openapi-typescript")
    _run(
        [
            str(bin_dir / "tsc"),
            "--strict",
            "--noUncheckedIndexedAccess",
            "--target",
            "es2022",
            "--module",
            "nodenext",
            "--moduleResolution",
            "nodenext",
            "--types",
            "node",
            "--skipLibCheck",
            "journey.ts",
        ],
        cwd=out,
    )
    return out / "journey.js"


@pytest.fixture
def scene(live_server: Any) -> Iterator[dict[str, Any]]:
    """An administrator and seven firms named 合同测试 (three pages of three); jobs run eagerly."""
    from config.celery import app

    admin = UserFactory(username="integrator", role="admin")
    zone = ZoneFactory(code="contract-zone", name="契约片区")
    firms = [FirmFactory(zone=zone, name=f"合同测试企业{n}") for n in range(7)]
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield {"url": live_server.url, "admin": admin, "firms": firms}
    finally:
        app.conf.task_always_eager = eager


def _new_uscc(seed: int) -> str:
    return uscc_for(900_000 + seed)


def python_journey(api: Any, base_url: str, username: str, password: str) -> dict[str, Any]:
    """The journey through the generated Python client; returns what it saw."""
    from seedbed_client.api.auth import auth_csrf, auth_login  # type: ignore[import-not-found]
    from seedbed_client.api.certifications import certifications_create, certifications_list
    from seedbed_client.api.firms import (
        firms_create,
        firms_eligibility_retrieve,
        firms_export,
        firms_history,
        firms_list,
        firms_partial_update,
        firms_retrieve,
    )
    from seedbed_client.api.highlights import highlights_funnel, highlights_retrieve, highlights_trend
    from seedbed_client.api.jobs import jobs_create, jobs_retrieve
    from seedbed_client.api.tokens import tokens_create
    from seedbed_client.api.zones import zones_create
    from seedbed_client.models import (
        ApiTokenRequest,
        CertificationRequest,
        FirmDetailRequest,
        FirmsExportFormat,
        FirmsListOrdering,
        JobRunCreateJobEnum,
        JobRunCreateRequest,
        LoginRequest,
        PatchedFirmDetailRequest,
        ZoneRequest,
    )

    seen: dict[str, Any] = {}
    # 1. A token: log in with a session (CSRF token sent), fetch the rotated CSRF token, create a token.
    session = api.Client(base_url=base_url, raise_on_unexpected_status=True)
    session.get_httpx_client().headers["X-CSRFToken"] = auth_csrf.sync(client=session).csrf_token
    me = auth_login.sync(client=session, body=LoginRequest(username=username, password=password))
    seen["role"] = me.role
    csrf = auth_csrf.sync(client=session).csrf_token  # login rotated it
    session.get_httpx_client().headers["X-CSRFToken"] = csrf
    key = tokens_create.sync(client=session, body=ApiTokenRequest(name="contract")).key
    # --- docs/api.md: Python example
    client = api.AuthenticatedClient(base_url=base_url, token=key, raise_on_unexpected_status=True)
    names = []
    for number in (1, 2, 3):  # 2. search firms over three pages
        page = firms_list.sync(client=client, q="合同测试", page=number, page_size=3, ordering=FirmsListOrdering.NAME)
        names += [firm.name for firm in page.results]
    first = firms_retrieve.sync_detailed(page.results[0].id, client=client)
    change = PatchedFirmDetailRequest(notes="visited", reason="site visit")
    saved = firms_partial_update.sync(first.parsed.id, client=client, body=change, if_match=first.headers["ETag"])
    # --- end of example
    seen["example_notes"] = saved.notes
    seen["names"] = names

    # 3. A zone, a firm and an HNTE certificate.
    zone = zones_create.sync(client=client, body=ZoneRequest(code="py-zone", name="Python zone"))
    firm = firms_create.sync(
        client=client,
        body=FirmDetailRequest(uscc=_new_uscc(1), name="契约测试（Python）有限公司", zone=zone.id, tags=["contract"]),
    )
    cert = certifications_create.sync(
        client=client,
        body=CertificationRequest(firm=firm.id, programme="HNTE", certificate_date=dt.date(2022, 11, 2)),
    )
    seen["certificate_ends_on"] = cert.ends_on
    seen["certifications"] = len(certifications_list.sync(client=client, firm=firm.id).results)

    # 4. PATCH with If-Match: the ETag read, then the same ETag again (stale now: 409).
    read = firms_retrieve.sync_detailed(firm.id, client=client)
    etag = read.headers["ETag"]
    patched = firms_partial_update.sync(firm.id, client=client, body=PatchedFirmDetailRequest(tags=[]), if_match=etag)
    seen["tags_after_patch"] = patched.tags
    seen["industry_name_after_patch"] = patched.industry_name
    stale = firms_partial_update.sync_detailed(
        firm.id, client=client, body=PatchedFirmDetailRequest(notes="again"), if_match=etag
    )
    seen["stale"] = (stale.status_code, stale.parsed.code)

    # 5. History and eligibility.
    history = firms_history.sync(firm.id, client=client)
    seen["history"] = history.count
    eligibility = firms_eligibility_retrieve.sync(firm.id, client=client, programme="HNTE", on=dt.date(2022, 12, 31))
    seen["eligibility"] = [programme.programme for programme in eligibility.programmes]

    # 6. The 2022 highlights, the funnel and the trend.
    report = highlights_retrieve.sync(2022, client=client)
    seen["highlights_year"] = report.year
    seen["funnel"] = highlights_funnel.sync(client=client).in_park
    seen["trend"] = [year.year for year in highlights_trend.sync(client=client, from_=2020, to=2022).lines[0].years]
    export = firms_export.sync(client=client, format_=FirmsExportFormat.XLSX, q="合同测试")
    seen["export"] = export.payload.read()[:2]

    # 7. A scan, polled until it ends.
    run = jobs_create.sync(client=client, body=JobRunCreateRequest(job=JobRunCreateJobEnum.SCAN))
    for _ in range(100):
        run = jobs_retrieve.sync(run.id, client=client)
        if run.state not in ("queued", "running"):
            break
        time.sleep(0.2)
    seen["scan"] = (run.state, run.counts)
    return seen


@LIVE
def test_python_client_runs_the_journey(python_client: Any, scene: dict[str, Any]) -> None:
    seen = python_journey(python_client, scene["url"], scene["admin"].username, PASSWORD)
    assert seen["role"] == "admin" and seen["example_notes"] == "visited"
    assert len(seen["names"]) == 7 and len(set(seen["names"])) == 7, seen["names"]  # three pages, no repeats
    assert seen["certificate_ends_on"] is not None and seen["certifications"] == 1
    assert seen["tags_after_patch"] == []  # JSON: an empty list clears the tags
    assert seen["industry_name_after_patch"] is None  # present (null) in the PATCH answer too
    assert seen["stale"] == (409, "stale")
    assert seen["history"] >= 2
    assert seen["eligibility"] == ["HNTE"]
    assert seen["highlights_year"] == 2022 and seen["funnel"] >= 8 and seen["trend"] == [2020, 2021, 2022]
    assert seen["export"] == b"PK"  # an XLSX file, as bytes
    assert seen["scan"][0] == "succeeded", seen["scan"]


@LIVE
def test_typescript_client_runs_the_journey(typescript_journey: Path, scene: dict[str, Any]) -> None:
    env = {**os.environ, "SEEDBED_URL": scene["url"], "SEEDBED_USER": scene["admin"].username}
    env["SEEDBED_PASSWORD"] = PASSWORD
    env["SEEDBED_USCC"] = _new_uscc(2)
    output = _run(["node", str(typescript_journey)], cwd=typescript_journey.parent, env=env, timeout=120)
    seen = json.loads(output.strip().splitlines()[-1])
    assert seen["role"] == "admin"
    assert len(seen["names"]) == 7 and len(set(seen["names"])) == 7, seen["names"]
    assert seen["certificateEndsOn"] is not None
    assert seen["tagsAfterPatch"] == [] and seen["industryNameAfterPatch"] is None
    assert seen["stale"] == [409, "stale"]
    assert seen["history"] >= 2 and seen["eligibility"] == ["HNTE"]
    assert seen["highlightsYear"] == 2022 and seen["trend"] == [2020, 2021, 2022]
    assert seen["export"] == [80, 75]  # "PK": an XLSX file
    assert seen["scan"] == "succeeded"


def _example(path: Path, language: str) -> list[str]:
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().endswith(f"docs/api.md: {language} example"))
    end = next(i for i in range(start, len(lines)) if lines[i].strip().endswith("end of example"))
    return [line.strip() for line in lines[start + 1 : end]]


def test_the_examples_in_docs_api_md_are_the_tested_ones() -> None:
    docs = {line.strip() for line in (ROOT / "docs" / "api.md").read_text().splitlines()}
    for path, language in ((Path(__file__), "Python"), (Path(__file__).with_name("journey.ts"), "TypeScript")):
        example = _example(path, language)
        assert 5 <= len(example) <= 12
        missing = [line for line in example if line not in docs]
        assert not missing, f"docs/api.md lacks the {language} example's lines {missing}"
