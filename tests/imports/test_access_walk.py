"""The import routes walked by everyone who must be refused: import jobs belong to their uploader."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import client_for
from tests.imports.factories import CERT_HEADER, cert_rows, csv_bytes, upload
from tests.test_access import api_routes, url_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(park: Any, settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = str(tmp_path)
    rows = cert_rows([park.firm_b])
    rows[0][4] = "not a date"
    answer = upload(
        client_for(park.staff), csv_bytes([CERT_HEADER, *rows]), "b.csv", "certifications", programme="HNTE"
    )
    assert answer.status_code == 201
    from apps.imports.models import ImportJob

    return ImportJob.objects.get(pk=answer.json()["id"])


def routes() -> list[Any]:
    found = [r for r in api_routes() if r.name.startswith("import-job")]
    assert {r.name for r in found} == {
        "import-job-list",
        "import-job-detail",
        "import-job-commit",
        "import-job-error-workbook",
    }
    return found


@pytest.mark.parametrize("who", ["ent_a", "ent_b", "viewer"])
def test_enterprise_users_and_viewers_are_refused_everywhere(park: Any, job: Any, who: str) -> None:
    client = client_for(getattr(park, who))
    for route in routes():
        url = url_for(route, job) if route.detail else url_for(route, None)
        for method in route.methods:
            response = getattr(client, method)(url, {}, format="json")
            assert response.status_code == 403, (who, method, url, response.status_code)


def test_other_staff_do_not_reach_a_job(park: Any, job: Any) -> None:
    client = client_for(park.staff_a)
    for route in routes():
        if route.detail:
            for method in route.methods:
                response = getattr(client, method)(url_for(route, job), {}, format="json")
                assert response.status_code == 404, (method, route.name, response.status_code)
    assert client.get("/api/v1/imports/").json()["count"] == 0
    owner = client_for(park.staff)
    assert (
        owner.get(url_for(next(r for r in routes() if r.name == "import-job-error-workbook"), job)).status_code == 200
    )
    assert client_for(park.admin).get(f"/api/v1/imports/{job.pk}/").status_code == 200
