"""Concurrent edits of figures, evidence files and deadline marks: an ETag on every read, If-Match honoured on
every write (edit, verify, reject, delete). Two people working from the same version: the second gets 409
`stale` in the one error shape, and the record keeps the first one's change. Without If-Match, as before."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from apps.figures.models import AnnualFigures, EvidenceFile, FigureState, MonthlyFigures
from apps.flags.models import DeadlineCompletion
from tests.conftest import client_for
from tests.figures.factories import PDF_BYTES
from tests.flags.factories import DeadlineCompletionFactory

pytestmark = pytest.mark.django_db

ANNUAL = "/api/v1/annual-figures/"
MONTHLY = "/api/v1/monthly-figures/"


def stale(response: Any, words: str = "已被他人修改") -> None:
    assert response.status_code == 409, response.content
    body = response.json()
    assert set(body) == {"code", "message", "errors"}
    assert body["code"] == "stale"
    assert words in body["message"]


def annual_proposal(client: Any, firm: Any) -> dict[str, Any]:
    body = {"firm": firm.pk, "fiscal_year": 2023, "operating_revenue": "52000000.00", "rd_staff": 22}
    created = client.post(ANNUAL, body, format="json")
    assert created.status_code == 201, created.content
    return dict(created.json())


def monthly_proposal(client: Any, firm: Any) -> dict[str, Any]:
    body = {"firm": firm.pk, "year": 2024, "month": 6, "main_business_revenue_ytd": "1000000.00"}
    created = client.post(MONTHLY, body, format="json")
    assert created.status_code == 201, created.content
    return dict(created.json())


# ------------------------------------------------------------------------------------ figures
@pytest.mark.parametrize(
    ("url", "make", "model", "field", "first", "second"),
    [
        (ANNUAL, annual_proposal, AnnualFigures, "operating_revenue", "53000000.00", "99000000.00"),
        (MONTHLY, monthly_proposal, MonthlyFigures, "main_business_revenue_ytd", "1100000.00", "9900000.00"),
    ],
)
def test_two_edits_of_one_proposal_from_the_same_read_the_second_is_409(
    park, as_user, url, make, model, field, first, second
) -> None:
    """Two users of the firm open the same proposal, both save: the second is refused, the first one's values stay."""
    one, two = as_user(park.ent_a), as_user(park.ent_a, "en")
    figure = make(one, park.firm_a)
    read_one = one.get(f"{url}{figure['id']}/")
    read_two = two.get(f"{url}{figure['id']}/")
    etag = read_one["ETag"]
    assert etag and read_two["ETag"] == etag and etag.strip('"') == read_one.json()["updated_at"]

    saved = one.patch(f"{url}{figure['id']}/", {field: first}, format="json", HTTP_IF_MATCH=etag)
    assert saved.status_code == 200, saved.content
    assert saved["ETag"] and saved["ETag"] != etag
    refused = two.patch(f"{url}{figure['id']}/", {field: second}, format="json", HTTP_IF_MATCH=etag)
    stale(refused, "changed this record meanwhile")
    assert str(getattr(model.objects.get(pk=figure["id"]), field)) == first
    # The same precondition as the updated_at the form read, in the body.
    in_body = two.patch(
        f"{url}{figure['id']}/", {field: second, "updated_at": read_two.json()["updated_at"]}, format="json"
    )
    stale(in_body, "changed this record meanwhile")
    # Reloaded, the second user's edit goes through.
    fresh = two.get(f"{url}{figure['id']}/")["ETag"]
    again = two.patch(f"{url}{figure['id']}/", {field: second}, format="json", HTTP_IF_MATCH=fresh)
    assert again.status_code == 200 and again.json()[field] == second


def test_staff_cannot_verify_values_they_have_not_seen(park, as_user) -> None:
    """Staff open a proposal, the firm corrects it meanwhile: verifying the old read is 409, nothing is verified."""
    firm_user, staff = as_user(park.ent_a), as_user(park.staff)
    figure = annual_proposal(firm_user, park.firm_a)
    seen = staff.get(f"{ANNUAL}{figure['id']}/")["ETag"]
    edited = firm_user.patch(
        f"{ANNUAL}{figure['id']}/", {"operating_revenue": "1.00"}, format="json", HTTP_IF_MATCH=seen
    )
    assert edited.status_code == 200

    stale(staff.post(f"{ANNUAL}{figure['id']}/verify/", {"note": "核对无误"}, format="json", HTTP_IF_MATCH=seen))
    stale(staff.post(f"{ANNUAL}{figure['id']}/reject/", {"reason": "不符"}, format="json", HTTP_IF_MATCH=seen))
    row = AnnualFigures.objects.get(pk=figure["id"])
    assert (row.state, row.reviewed_by_id, str(row.operating_revenue)) == (FigureState.PROPOSED, None, "1.00")

    # With the current version the review goes through, and answers with the new version.
    current = staff.get(f"{ANNUAL}{figure['id']}/")["ETag"]
    verified = staff.post(f"{ANNUAL}{figure['id']}/verify/", {}, format="json", HTTP_IF_MATCH=current)
    assert verified.status_code == 200 and verified.json()["state"] == "verified"
    assert verified["ETag"] == f'"{verified.json()["updated_at"]}"' != current
    # The firm's stale edit of what is now verified is refused as stale, not applied.
    stale(firm_user.patch(f"{ANNUAL}{figure['id']}/", {"rd_staff": 1}, format="json", HTTP_IF_MATCH=edited["ETag"]))


def test_two_reviewers_of_one_monthly_proposal(park, as_user) -> None:
    staff, admin = as_user(park.staff), as_user(park.admin)
    figure = monthly_proposal(as_user(park.ent_a), park.firm_a)
    etag = staff.get(f"{MONTHLY}{figure['id']}/")["ETag"]
    assert admin.get(f"{MONTHLY}{figure['id']}/")["ETag"] == etag
    rejected = staff.post(f"{MONTHLY}{figure['id']}/reject/", {"reason": "缺少报表"}, format="json", HTTP_IF_MATCH=etag)
    assert rejected.status_code == 200
    stale(admin.post(f"{MONTHLY}{figure['id']}/verify/", {}, format="json", HTTP_IF_MATCH=etag))
    assert MonthlyFigures.objects.get(pk=figure["id"]).state == FigureState.REJECTED


def test_a_superseded_proposal_is_a_new_version_for_its_etag(park, as_user) -> None:
    """A new proposal supersedes the open one; a review of the old one from its old read is stale."""
    staff, firm_user = as_user(park.staff), as_user(park.ent_a)
    old = annual_proposal(firm_user, park.firm_a)
    seen = staff.get(f"{ANNUAL}{old['id']}/")["ETag"]
    annual_proposal(firm_user, park.firm_a)
    stale(staff.post(f"{ANNUAL}{old['id']}/verify/", {}, format="json", HTTP_IF_MATCH=seen))


def test_without_if_match_figures_work_as_before(park, as_user) -> None:
    staff, firm_user = as_user(park.staff), as_user(park.ent_a)
    figure = annual_proposal(firm_user, park.firm_a)
    assert firm_user.patch(f"{ANNUAL}{figure['id']}/", {"rd_staff": 5}, format="json").status_code == 200
    assert staff.post(f"{ANNUAL}{figure['id']}/verify/", {}, format="json").status_code == 200
    other = annual_proposal(firm_user, park.firm_a)
    assert staff.post(f"{ANNUAL}{other['id']}/reject/", {"reason": "重复"}, format="json").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_an_edit_and_a_verify_at_the_same_moment_never_verify_unseen_values(park) -> None:
    """The firm saves and staff verify the same version at the same moment: exactly one of them wins."""
    figure = annual_proposal(client_for(park.ent_a), park.firm_a)
    url = f"{ANNUAL}{figure['id']}/"
    etag = client_for(park.staff).get(url)["ETag"]
    barrier = threading.Barrier(2)
    results: dict[str, int] = {}

    def run(name: str, user: Any, method: str, path: str, body: dict[str, Any]) -> None:
        try:
            client = client_for(user)
            barrier.wait(timeout=10)
            results[name] = getattr(client, method)(path, body, format="json", HTTP_IF_MATCH=etag).status_code
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=("edit", park.ent_a, "patch", url, {"operating_revenue": "7.00"})),
        threading.Thread(target=run, args=("verify", park.staff, "post", f"{url}verify/", {})),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results.values()) == [200, 409], results
    row = AnnualFigures.objects.get(pk=figure["id"])
    if results["edit"] == 200:
        assert (row.state, str(row.operating_revenue)) == (FigureState.PROPOSED, "7.00")
    else:
        assert (row.state, str(row.operating_revenue)) == (FigureState.VERIFIED, "52000000.00")


# ---------------------------------------------------------------------- evidence files and marks
@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_an_evidence_file_changed_meanwhile_is_not_deleted_from_an_old_read(park, as_user, media) -> None:
    staff = as_user(park.staff)
    uploaded = staff.post(
        "/api/v1/evidence-files/",
        {"firm": park.firm_a.pk, "fiscal_year": 2023, "file": SimpleUploadedFile("审计报告.pdf", PDF_BYTES)},
        format="multipart",
    ).json()
    url = f"/api/v1/evidence-files/{uploaded['id']}/"
    etag = staff.get(url)["ETag"]
    assert etag and as_user(park.admin, "en").get(url)["ETag"] == etag
    # A firm's new name does not change the file's version …
    park.firm_a.name = "改名后的企业"
    park.firm_a.save()
    assert staff.get(url)["ETag"] == etag
    # … a change of the file's own record does.
    EvidenceFile.objects.filter(pk=uploaded["id"]).update(certification_id=7)
    stale(staff.delete(url, HTTP_IF_MATCH=etag))
    assert EvidenceFile.objects.filter(pk=uploaded["id"]).exists()
    assert staff.delete(url, HTTP_IF_MATCH=staff.get(url)["ETag"]).status_code == 204
    assert not EvidenceFile.objects.filter(pk=uploaded["id"]).exists()


def test_a_deadline_mark_changed_meanwhile_is_not_removed_from_an_old_read(park, as_user) -> None:
    mark = DeadlineCompletionFactory(firm=park.firm_a, note="已报送")
    url = f"/api/v1/deadline-completions/{mark.pk}/"
    staff, firm_user = as_user(park.staff), as_user(park.ent_a, "en")
    etag = staff.get(url)["ETag"]
    assert etag and firm_user.get(url)["ETag"] == etag
    DeadlineCompletion.objects.filter(pk=mark.pk).update(note="已报送（补充材料）")
    stale(firm_user.delete(url, HTTP_IF_MATCH=etag), "changed this record meanwhile")
    assert DeadlineCompletion.objects.filter(pk=mark.pk).exists()
    assert firm_user.delete(url, HTTP_IF_MATCH=firm_user.get(url)["ETag"]).status_code == 204
    # Without If-Match, a removal works as before.
    other = DeadlineCompletionFactory(firm=park.firm_a, year=2025)
    assert staff.delete(f"/api/v1/deadline-completions/{other.pk}/").status_code == 204
