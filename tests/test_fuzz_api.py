"""API fuzzing: schemathesis drives every operation of the committed schema (docs/openapi.yaml).

For an administrator and for firm A's enterprise user, each operation gets a bounded number of
generated requests (valid and invalid ones; path ids drawn from real objects of both firms as well as
random ones). Every response must:
- not be a server error (5xx);
- conform to the schema: a documented status code, a documented content type, a body that matches,
  and the documented response headers (ETag);
- for the enterprise user, carry nothing of firm B (its id under a firm key, its USCC or its name).

The park is seeded once per module inside a transaction that is rolled back at the end; the WSGI
app runs in-process on the same connection. SEEDBED_FUZZ_EXAMPLES sets the examples per operation.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.contrib.auth.models import AnonymousUser
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import override_settings
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = int(os.environ.get("SEEDBED_FUZZ_EXAMPLES", "5"))

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]


class Seeded:
    def __init__(self, **kwargs: Any) -> None:
        self.__dict__.update(kwargs)


@pytest.fixture(scope="module")
def seeded(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[Seeded]:
    """The personas park plus one object of every resource for firm A and firm B, rolled back at the end."""
    from apps.accounts.services import api_token_create
    from tests.conftest import park_objects
    from tests.test_access import sample_modules

    media = tmp_path_factory.mktemp("fuzz-media")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=str(media), PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            park = park_objects()
            for module in sample_modules():
                for firm in (park.firm_a, park.firm_b):
                    module.make_samples(firm)
            _, admin_key = api_token_create(user=park.admin, name="fuzz")
            _, ent_key = api_token_create(user=park.ent_a, name="fuzz")
            # Django's test client does the same: the request signals must not close the connection
            # that holds the test transaction.
            request_started.disconnect(close_old_connections)
            request_finished.disconnect(close_old_connections)
            try:
                yield Seeded(park=park, keys={"admin": admin_key, "enterprise": ent_key})
            finally:
                request_started.connect(close_old_connections)
                request_finished.connect(close_old_connections)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _load_schema() -> Any:
    from django.core.wsgi import get_wsgi_application

    schema = schemathesis.openapi.from_path(os.environ.get("SEEDBED_FUZZ_SCHEMA") or ROOT / "docs" / "openapi.yaml")
    schema.app = get_wsgi_application()
    return schema


def _model_for(path: str) -> Any:
    """The model behind an operation's path, to draw real ids for its path parameters."""
    probe = re.sub(r"\{[^}]+\}", "1", path)
    try:
        match = resolve(probe)
    except Resolver404:
        return None
    cls = getattr(match.func, "cls", None)
    scope = getattr(cls, "scope", None)
    if cls is None or scope is None:
        return None
    try:
        return scope(cls(), AnonymousUser()).model
    except Exception:  # a view whose scope needs more than a user: random ids only
        return None


def _real_values(operation: Any) -> dict[str, list[Any]]:
    """Path parameter values that name real objects, so that detail operations do more than 404."""
    names = [p.name for p in operation.path_parameters]
    if names == ["id"]:
        model = _model_for(operation.path)
        if model is not None:
            return {"id": list(model.objects.order_by("pk").values_list("pk", flat=True)[:8])}
    if names == ["code"]:
        return {"code": ["C3670", "C"]}
    if names == ["year"]:
        return {"year": [2022, 2023]}
    return {}


def _with_real_path(pair: tuple[Any, Any]) -> Any:
    case, chosen = pair
    if chosen is not None:
        name, value = chosen
        case.path_parameters = {**(case.path_parameters or {}), name: value}
    return case


def _strategy(operation: Any) -> Any:
    """Valid and invalid requests; in half of the valid ones the path names a real object (of either firm)."""
    real = [(name, value) for name, values in _real_values(operation).items() for value in values]
    positive = operation.as_strategy(generation_mode=schemathesis.GenerationMode.POSITIVE)
    negative = operation.as_strategy(generation_mode=schemathesis.GenerationMode.NEGATIVE)
    if real:
        positive = st.tuples(positive, st.one_of(st.none(), st.sampled_from(real))).map(_with_real_path)
    return st.one_of(positive, negative)


def _foreign_markers(seeded: Seeded) -> tuple[int, list[str]]:
    park = seeded.park
    return park.firm_b.pk, [park.firm_b.uscc, park.firm_b.name, park.contact_b.phone]


def _walk(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key, inner
            yield from _walk(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _walk(inner)


def _scope_leaks(response: Any, firm_b_id: int, secrets: list[str]) -> list[str]:
    text = response.content.decode("utf-8", "replace") if isinstance(response.content, bytes) else ""
    leaks = [secret for secret in secrets if secret in text]
    try:
        body = response.json()
    except Exception:  # not JSON: the text check above is all there is
        return leaks
    for key, value in _walk(body):
        points_at_b = value == firm_b_id or (isinstance(value, dict) and value.get("id") == firm_b_id)
        if key in {"firm", "firm_id"} and points_at_b:
            leaks.append(f"{key}={firm_b_id}")
        if (
            key == "firms"
            and isinstance(value, list)
            and any(v == firm_b_id or (isinstance(v, dict) and v.get("id") == firm_b_id) for v in value)
        ):
            leaks.append(f"firms∋{firm_b_id}")
    return leaks


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,  # the documented ETag is sent
]


def _fuzz_operation(operation: Any, role: str, headers: dict[str, str], markers: tuple[int, list[str]]) -> list[str]:
    strategy = _strategy(operation)
    found: list[str] = []

    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        # Its own savepoint, as in production where every request is independent: a non-atomic
        # view (login) marking the test transaction for rollback must not fail the next request.
        with transaction.atomic():
            response = case.call(headers=headers)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (Exception, BaseExceptionGroup) as exc:
            found.append(f"{operation.label} [{role}] {case.method} {case.formatted_path}: {exc}".strip()[:1500])
        if role == "enterprise":
            leaks = _scope_leaks(response, *markers)
            if leaks:
                found.append(f"{operation.label} [{role}] leaked firm B: {leaks}")

    # Each operation starts from the seeded park: a revoked token or a deactivated user in one
    # operation must not turn every later one into a 401.
    with transaction.atomic():
        run()
        transaction.set_rollback(True)
    return found[:3]


def _fuzz(seeded: Seeded, role: str) -> list[str]:
    schema = _load_schema()
    headers = {"Authorization": f"Bearer {seeded.keys[role]}"}
    markers = _foreign_markers(seeded)
    failures: list[str] = []
    timings: list[tuple[float, str]] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 150, "the schema should list every operation"
    only = os.environ.get("SEEDBED_FUZZ_ONLY")  # a regex on "METHOD /path", to rerun a few while fixing
    if only:
        operations = [op for op in operations if re.search(only, op.label)]
    for operation in operations:
        started = time.monotonic()
        failures += _fuzz_operation(operation, role, headers, markers)
        timings.append((time.monotonic() - started, operation.label))
    timings.sort(reverse=True)
    print(f"fuzzing as {role}: slowest operations", [f"{label} {seconds:.1f}s" for seconds, label in timings[:8]])
    return failures


@pytest.mark.parametrize("role", ["admin", "enterprise"])
def test_every_operation_holds_under_fuzzing(seeded: Seeded, role: str) -> None:
    failures = _fuzz(seeded, role)
    assert not failures, f"{len(failures)} failing operations:\n\n" + "\n\n".join(failures)
