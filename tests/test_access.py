"""The permission walk: every registered API route, tried by the callers who must be refused.

- an anonymous caller gets 401 everywhere but the login endpoints;
- firm A's enterprise user gets 404 for firm B's objects, and never sees them in a list;
- a viewer cannot write anything;
- staff and viewers limited to zone A get 404 for zone B's objects (zone B itself included), and no
  list or report of theirs names firm B, its contact or zone B (security finding 1).
New resources are covered automatically; one whose model has no sample below fails the walk.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from apps.accounts.models import ApiToken
from apps.registry.models import Industry
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

PUBLIC = {"auth-login", "auth-logout", "auth-csrf", "auth-password-reset", "auth-password-reset-confirm"}
WRITE_METHODS = ("post", "put", "patch", "delete")


@dataclass
class Route:
    name: str
    view: Any
    detail: bool

    @property
    def methods(self) -> list[str]:
        actions = getattr(self.view, "actions", None)
        if actions:
            # DRF adds "head" to a view's actions after its first GET; HEAD has no body to check.
            return [m for m in actions if m not in {"head", "options"}]
        cls = self.view.cls
        return [m for m in ("get", "post", "put", "patch", "delete") if hasattr(cls, m)]

    @property
    def model(self) -> Any:
        scope = getattr(self.view.cls, "scope", None)
        if scope is None:
            return None
        # Every scoped viewset answers an anonymous caller with an empty queryset of its model.
        return scope(self.view.cls(), AnonymousUser()).model


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def api_routes() -> list[Route]:
    routes = []
    for pattern, entry in _walk(get_resolver().url_patterns):
        if not pattern.startswith("api/v1/") or entry.name is None or "format" in pattern:
            continue
        routes.append(Route(entry.name, entry.callback, detail="(?P<" in pattern or "<pk>" in pattern))
    assert len(routes) > 10
    return routes


def sample_modules() -> list[Any]:
    modules = []
    for path in sorted(Path(__file__).parent.glob("*/samples.py")):
        modules.append(importlib.import_module(f"tests.{path.parent.name}.samples"))
    return modules


def reference_models() -> set[Any]:
    """Catalogues every role reads: not firm data, so not part of the firm-B walk."""
    models: set[Any] = {Industry}
    for module in sample_modules():
        models.update(getattr(module, "REFERENCE_MODELS", ()))
    return models


def sample_of_firm_b(model: Any, park: Any) -> Any:
    """An object of `model` that belongs to firm B / zone B."""
    from apps.accounts.models import User
    from apps.registry.models import Firm, Zone

    if model is Firm:
        return park.firm_b
    if model is Zone:
        return park.zone_b
    if model is User:
        return park.ent_b
    if model in reference_models():
        return model.objects.order_by("pk").first()  # reference data: the same for everyone
    if model is ApiToken:
        return ApiToken.objects.filter(user=park.ent_b).first()
    if model is not None and any(f.name == "firm" for f in model._meta.get_fields()):
        return model.objects.filter(firm=park.firm_b).first()
    return None


def url_for(route: Route, obj: Any) -> str:
    if not route.detail:
        return reverse(route.name)
    cls = route.view.cls
    field = getattr(cls, "lookup_field", "pk")
    return reverse(route.name, kwargs={getattr(cls, "lookup_url_kwarg", None) or field: getattr(obj, field)})


@pytest.fixture
def walk_park(park: Any, settings: Any, tmp_path: Any) -> Any:
    """The park, plus one object of every resource for firm A and firm B, so every route is tried.

    Each app's tests provide `tests/<app>/samples.py` with `make_samples(firm)` (one object of each
    of its firm-owned models) and, if it has catalogues every role reads, `REFERENCE_MODELS`.
    """
    from apps.accounts.services import api_token_create

    settings.MEDIA_ROOT = str(tmp_path)
    api_token_create(user=park.ent_b, name="b's integration")
    for module in sample_modules():
        for firm in (park.firm_a, park.firm_b):
            module.make_samples(firm)
    return park


def test_anonymous_is_refused_everywhere(walk_park: Any) -> None:
    client = client_for(None)
    for route in api_routes():
        if route.name in PUBLIC:
            continue
        url = (
            url_for(route, sample_of_firm_b(route.model, walk_park) or walk_park.firm_b)
            if route.detail
            else url_for(route, None)
        )
        for method in route.methods:
            response = getattr(client, method)(url, {}, format="json")
            assert response.status_code == 401, (method, url, response.status_code)
            assert response.json()["code"] == "not_authenticated"


def test_enterprise_user_of_firm_a_never_reaches_firm_b(walk_park: Any) -> None:
    client = client_for(walk_park.ent_a)
    secrets_of_b = [walk_park.firm_b.uscc, walk_park.firm_b.name, walk_park.contact_b.phone]
    missing = []
    for route in api_routes():
        if route.name in PUBLIC:
            continue
        if route.detail:
            if route.model in reference_models():
                continue  # public reference data
            obj = sample_of_firm_b(route.model, walk_park)
            if obj is None:
                missing.append(route.name)
                continue
            url = url_for(route, obj)
            for method in route.methods:
                response = getattr(client, method)(url, {}, format="json")
                # A resource the role may not read at all is 403 as a whole; otherwise firm B is invisible.
                readable = "enterprise" in getattr(route.view.cls, "read_roles", {"enterprise"})
                expected = ({404} if readable else {403}) if method == "get" else {403, 404}
                assert response.status_code in expected, (method, url, response.status_code)
        elif "get" in route.methods:
            response = client.get(url_for(route, None), {"page_size": 500})
            assert response.status_code in (200, 403), (route.name, response.status_code)
            text = response.content.decode()
            for secret in secrets_of_b:
                assert secret not in text, (route.name, secret)
    assert not missing, f"add a firm-B sample for these routes' models: {missing}"


def test_enterprise_user_cannot_point_writes_at_firm_b(walk_park: Any) -> None:
    client = client_for(walk_park.ent_a)
    response = client.post("/api/v1/contacts/", {"firm": walk_park.firm_b.pk, "name": "冒充"}, format="json")
    assert response.status_code == 400
    assert "firm" in response.json()["errors"]
    own = client.post(
        "/api/v1/contacts/", {"firm": walk_park.firm_a.pk, "name": "新联系人", "phone": "023-1"}, format="json"
    )
    assert own.status_code == 201
    assert client.patch(f"/api/v1/firms/{walk_park.firm_a.pk}/", {"name": "改名"}, format="json").status_code == 403
    assert client.get("/api/v1/firms/", {"zone": walk_park.zone_b.pk}).json()["count"] == 0


def test_viewer_cannot_write_anything(walk_park: Any) -> None:
    client = client_for(walk_park.viewer)
    for route in api_routes():
        if route.name in PUBLIC or route.name.startswith("token") or route.name in {"calendar", "auth-password-change"}:
            continue  # everyone manages their own API tokens, password and calendar feed
        obj = sample_of_firm_b(route.model, walk_park) if route.detail else None
        if route.detail and obj is None:
            continue
        url = url_for(route, obj)
        for method in route.methods:
            if method in WRITE_METHODS:
                response = getattr(client, method)(url, {}, format="json")
                assert response.status_code == 403, (method, url, response.status_code)
                assert response.json()["code"] == "permission_denied"


def zone_b_secrets(park: Any) -> list[str]:
    return [park.firm_b.uscc, park.firm_b.name, park.contact_b.phone, park.zone_b.name, park.zone_b.code]


@pytest.mark.parametrize("who", ["staff_a", "viewer_a"])
def test_zone_limited_users_do_not_reach_other_zones(walk_park: Any, who: str) -> None:
    client = client_for(getattr(walk_park, who))
    secrets_of_b = zone_b_secrets(walk_park)
    for route in api_routes():
        if route.name in PUBLIC or "get" not in route.methods:
            continue
        if not route.detail:
            response = client.get(url_for(route, None), {"page_size": 500})
            assert response.status_code in (200, 403), (who, route.name, response.status_code)
            text = response.content.decode()
            for secret in secrets_of_b:
                assert secret not in text, (who, route.name, secret)
            continue
        if route.model in reference_models() or route.model.__name__ in {"User", "ApiToken"}:
            continue
        obj = sample_of_firm_b(route.model, walk_park)
        if obj is None:
            continue
        response = client.get(url_for(route, obj))
        assert response.status_code in (403, 404), (who, route.name, response.status_code)
    listed = client.get("/api/v1/firms/").json()
    assert [f["id"] for f in listed["results"]] == [walk_park.firm_a.pk]
    assert client.get("/api/v1/firms/", {"zone": walk_park.zone_b.pk}).json()["count"] == 0


def test_zone_limited_staff_cannot_move_a_firm_to_another_zone(walk_park: Any) -> None:
    client = client_for(walk_park.staff_a)
    moved = client.patch(f"/api/v1/firms/{walk_park.firm_a.pk}/", {"zone": walk_park.zone_b.pk}, format="json")
    assert moved.status_code == 400
    assert "zone" in moved.json()["errors"]


@pytest.mark.parametrize("who", ["admin", "staff", "viewer"])
def test_users_of_every_zone_see_everything(walk_park: Any, who: str) -> None:
    listed = client_for(getattr(walk_park, who)).get("/api/v1/firms/").json()
    assert {f["id"] for f in listed["results"]} == {walk_park.firm_a.pk, walk_park.firm_b.pk}
