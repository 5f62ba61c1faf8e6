"""PostgreSQL stopped and restarted under API load: 503s with the error shape while it is down, and the
running app (the same gunicorn processes, never restarted) answers normally again once it is back.

The server stopped is a private one started for this test, never the shared PostgreSQL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.faults.apps import Gunicorn, app_env, manage, python_in_app
from tests.faults.servers import PrivatePostgres, wait_until

pytestmark = pytest.mark.slow

SETUP = """
from apps.accounts.models import ApiToken, hash_token
from tests.factories import FirmFactory, UserFactory, ZoneFactory
zone = ZoneFactory(code="outage", name="停机区")
firms = [FirmFactory(zone=zone) for _ in range(5)]
staff = UserFactory(username="outage_staff", role="staff")
key = ApiToken.new_key()
ApiToken.objects.create(user=staff, name="load", prefix=key[:12], key_hash=hash_token(key))
print(key, firms[0].pk)
"""


@pytest.fixture
def app(tmp_path: Any) -> Iterator[tuple[PrivatePostgres, Gunicorn, str, int]]:
    server = PrivatePostgres()
    web = None
    try:
        server.start()
        env = app_env(server.create_database("seedbed_outage"), SEEDBED_VAR_DIR=str(tmp_path), DB_CONN_MAX_AGE="60")
        manage(env, "migrate", "--noinput", "-v", "0")
        token, firm_id = python_in_app(env, SETUP).split()[-2:]
        web = Gunicorn(env, workers=2)
        yield server, web, token, int(firm_id)
    finally:
        if web is not None:
            web.stop()
        server.close()


class Load:
    """Four clients calling the list, a detail and a filter without pause, recording every answer."""

    def __init__(self, web: Gunicorn, token: str, firm_id: int) -> None:
        self.paths = ["/api/v1/firms/", f"/api/v1/firms/{firm_id}/", "/api/v1/firms/?zone_code=outage&ordering=name"]
        self.web, self.token = web, token
        self.answers: list[tuple[float, int, Any, str]] = []
        self.running = True
        self.threads = [threading.Thread(target=self.client, args=(n,), daemon=True) for n in range(4)]
        for thread in self.threads:
            thread.start()

    def client(self, n: int) -> None:
        i = 0
        while self.running:
            language = "en" if (i + n) % 2 else "zh-hans"
            status, body = self.web.get(self.paths[(i + n) % 3], token=self.token, language=language)
            self.answers.append((time.monotonic(), status, body, language))
            i += 1
            time.sleep(0.02)

    def since(self, moment: float) -> list[tuple[float, int, Any, str]]:
        return [a for a in list(self.answers) if a[0] >= moment]

    def stop(self) -> None:
        self.running = False
        for thread in self.threads:
            thread.join(timeout=60)


def test_requests_during_a_database_outage_get_503_and_the_app_recovers_by_itself(app):
    server, web, token, firm_id = app
    pids = web.pids()
    load = Load(web, token, firm_id)
    try:
        start = time.monotonic()
        wait_until(lambda: sum(a[1] == 200 for a in load.since(start)) >= 20, "answers before the outage")

        server.stop()
        down = time.monotonic()
        # Answers to requests made once the server is surely gone (a second after it stopped).
        wait_until(lambda: len(load.since(down + 1.0)) >= 30, "answers during the outage", timeout=90)
        during = load.since(down + 1.0)

        server.start()
        up = time.monotonic()
        wait_until(
            lambda: sum(a[1] == 200 for a in load.since(up)) >= 40, "the app to answer normally again", timeout=90
        )
        recovered_at = min(a[0] for a in load.since(up) if a[1] == 200)
        # Keep the load on until there are answers well after the recovery (a quiet machine gets the
        # first 40 good answers within a second of the restart).
        wait_until(lambda: len(load.since(recovered_at + 2.0)) >= 20, "answers after the recovery", timeout=60)
    finally:
        load.stop()

    statuses = [a[1] for a in load.answers]
    assert 500 not in statuses and 0 not in statuses, sorted(set(statuses))
    assert set(statuses) <= {200, 503}
    assert during and {a[1] for a in during} == {503}, sorted({a[1] for a in during})
    for _, _, body, language in during:
        assert set(body) == {"code", "message", "errors"} and body["code"] == "database_unavailable"
        expected = "The database is temporarily unavailable" if language == "en" else "数据库暂时不可用"
        assert expected in body["message"]
    # Recovered without a restart: after the first good answer, every answer is good, from the same processes.
    after = [a for a in load.answers if a[0] > recovered_at + 2.0]
    assert after and {a[1] for a in after} == {200}
    assert recovered_at - up < 30
    assert web.pids() == pids
    assert web.process.poll() is None
    status, body = web.get("/healthz")
    assert status == 200 and body["database"]["ok"] is True
