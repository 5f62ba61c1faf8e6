"""Browser tests: Debian's Chromium drives the built front end served by pytest-django's live server.

Install the browser once with `apt-get install -y chromium fonts-wqy-microhei` (never `playwright
install`); `./seedbed test` installs it when it can. Without /usr/bin/chromium these tests fail,
never skip silently, unless browser tests were left out on purpose (`./seedbed test --no-browser`,
which sets SEEDBED_NO_BROWSER=1 and deselects them). The screenshot tests are deselected unless
asked for (`-m screenshots`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "frontend"
DIST = FRONTEND / "dist"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PASSWORD = "Correct-Horse-9"  # tests.factories.UserFactory


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "screenshots: saves PNGs of the main pages to docs/screenshots/ (opt-in)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    wants_screenshots = "screenshots" in (config.getoption("markexpr") or "")
    no_browser = os.environ.get("SEEDBED_NO_BROWSER") == "1"
    kept, left_out = [], []
    for item in items:
        unwanted = (item.get_closest_marker("browser") and no_browser) or (
            item.get_closest_marker("screenshots") and not wants_screenshots
        )
        if unwanted:
            left_out.append(item)
        else:
            kept.append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A browser test without the browser fails (before its fixtures start one): a skip would pass unseen."""
    if item.get_closest_marker("browser") and not CHROMIUM.exists():
        pytest.fail(
            "no /usr/bin/chromium: run `apt-get install -y chromium fonts-wqy-microhei`, "
            "or leave browser tests out with `./seedbed test --no-browser`",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1440, "height": 900}, "locale": "zh-CN"}


def _newest_source_mtime() -> float:
    sources = [FRONTEND / "index.html", FRONTEND / "vite.config.ts", FRONTEND / "package-lock.json"]
    sources += [p for p in (FRONTEND / "src").rglob("*") if p.is_file()]
    return max(p.stat().st_mtime for p in sources if p.exists())


@pytest.fixture(scope="session")
def frontend_dist() -> Path:
    """The built front end, built now if it is missing or older than its sources."""
    index = DIST / "index.html"
    if index.exists() and index.stat().st_mtime >= _newest_source_mtime():
        return DIST
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is needed to build the front end for the browser tests (install Node 20)")
    if not (FRONTEND / "node_modules").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=FRONTEND, check=True)
    subprocess.run([npm, "run", "--silent", "build"], cwd=FRONTEND, check=True, stdout=subprocess.DEVNULL)
    return DIST


@pytest.fixture(autouse=True)
def _serve_frontend(request: pytest.FixtureRequest, settings: Any) -> None:
    """Browser tests serve the build's assets as /static/app/ (settings add the folder only when it
    existed at start-up; changing the setting resets the static file finders)."""
    if request.node.get_closest_marker("browser") is None:
        return
    dist = request.getfixturevalue("frontend_dist")
    settings.STATICFILES_DIRS = [("app", dist)]


@pytest.fixture
def sign_in(live_server: Any) -> Iterator[Any]:
    """sign_in(page, username) logs in through the login page and waits for the first page."""

    def go(page: Any, username: str, password: str = PASSWORD, path: str = "/login") -> None:
        page.goto(f"{live_server.url}{path}")
        page.locator("[data-test=login-username]").fill(username)
        page.locator("[data-test=login-password]").fill(password)
        page.locator("[data-test=login-submit]").click()
        page.wait_for_url(lambda url: "/login" not in url)

    yield go
