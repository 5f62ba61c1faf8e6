"""The SPA view (backend/apps/web) without a browser: which paths it takes, and the page it shows unbuilt."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from apps.web import views


@pytest.fixture
def built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    index = tmp_path / "index.html"
    index.write_text('<!doctype html><div id="app"></div>', encoding="utf-8")
    monkeypatch.setattr(views, "index_html_candidates", lambda: [index])
    return index


@pytest.mark.django_db
def test_page_paths_get_index_html_and_never_a_cached_copy(built: Path) -> None:
    client = Client()
    paths = ("/", "/firms", "/firms/12", "/my-firm", "/login?redirect=/firms", "/no/such/page", "/apis", "/healthz2")
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert b'<div id="app">' in response.content
        assert "no-cache" in response["Cache-Control"]
    assert client.post("/firms").status_code == 405


@pytest.mark.django_db
def test_the_api_admin_health_check_and_static_files_are_not_swallowed(built: Path) -> None:
    client = Client()
    assert client.get("/api/v1/no-such-thing/").json()["code"] == "not_found"
    assert client.get("/api").json()["code"] == "not_found"
    assert client.get("/healthz").json()["database"]["ok"]
    assert client.get("/admin/").status_code == 302
    assert client.get("/static/app/missing.js").status_code == 404
    assert b'<div id="app">' not in client.get("/static/app/missing.js").content


@pytest.mark.django_db
def test_without_a_build_the_page_says_so_in_both_languages(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(views, "index_html_candidates", lambda: [tmp_path / "missing.html"])
    response: Any = Client().get("/firms")
    assert response.status_code == 503
    text = response.content.decode()
    assert "网页端尚未构建" in text
    assert "has not been built" in text
    assert "npm run build" in text
