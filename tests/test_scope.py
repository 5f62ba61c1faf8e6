"""One scope per caller (apps.core.scope), and what it hides: security findings 1, 11, 12 and 16.

Every test tries each kind of caller: administrators, staff and viewers of every zone, staff and
viewers of zone A only, and enterprise users. The permission walk over every route (zone-limited
staff and viewers alike) is in tests/test_access.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.models import User
from apps.core.scope import scope_of
from apps.registry.models import Firm
from apps.registry.selectors import firms_visible_to, zones_visible_to
from tests.conftest import client_for
from tests.factories import FirmFactory, JournalFactory, UserFactory, uscc_for
from tests.flags.factories import FlagFactory, JobRunFactory, NotificationFactory
from tests.imports.factories import CERT_HEADER, csv_bytes, upload

pytestmark = pytest.mark.django_db

PERSONAS = ["admin", "staff", "staff_a", "viewer", "viewer_a", "ent_a"]


def sees_zone_b(park: Any, who: str) -> bool:
    return who in ("admin", "staff", "viewer")


# ---------------------------------------------------------------- finding 1: one scope, viewers included


@pytest.mark.parametrize("who", PERSONAS)
def test_every_persona_gets_one_scope_that_every_selector_applies(park: Any, who: str) -> None:
    user = getattr(park, who)
    scope = scope_of(user)
    assert scope is scope_of(user)  # resolved once, then the same value
    expected = {park.firm_a.pk, park.firm_b.pk} if sees_zone_b(park, who) else {park.firm_a.pk}
    assert set(firms_visible_to(scope).values_list("id", flat=True)) == expected
    assert set(firms_visible_to(user).values_list("id", flat=True)) == expected
    assert scope.all_zones == sees_zone_b(park, who)
    zones = set(zones_visible_to(scope).values_list("id", flat=True))
    assert zones == ({park.zone_a.pk, park.zone_b.pk} if sees_zone_b(park, who) else {park.zone_a.pk})


@pytest.mark.parametrize("who", PERSONAS)
def test_me_reports_the_scope_the_lists_apply(park: Any, who: str) -> None:
    client = client_for(getattr(park, who))
    scope = client.get("/api/v1/me/").json()["scope"]
    listed = {f["id"] for f in client.get("/api/v1/firms/").json()["results"]}
    assert scope["all_zones"] is sees_zone_b(park, who)
    assert (park.firm_b.pk in listed) is sees_zone_b(park, who)
    if who in ("staff_a", "viewer_a"):
        assert [z["id"] for z in scope["zones"]] == [park.zone_a.pk]
    if who == "ent_a":
        assert [f["id"] for f in scope["firms"]] == [park.firm_a.pk]


def test_zone_limited_viewer_reads_no_flag_figure_journal_or_highlight_of_zone_b(park: Any) -> None:
    from tests.figures.factories import AnnualFiguresFactory

    for firm in (park.firm_a, park.firm_b):
        FlagFactory(firm=firm)
        AnnualFiguresFactory(firm=firm, state="verified", source="staff")
    JournalFactory(firm=park.firm_b, title="乙区走访")
    client = client_for(park.viewer_a)
    for url in ("/api/v1/flags/", "/api/v1/annual-figures/", "/api/v1/journal/"):
        firms = {row["firm"] for row in client.get(url, {"page_size": 100}).json()["results"]}
        assert firms == {park.firm_a.pk}, url
    assert client.get("/api/v1/highlights/2024/", {"zone": park.zone_b.pk}).status_code == 404
    own = client.get("/api/v1/highlights/2024/").json()
    assert park.zone_b.name not in str(own)
    board = client.get("/api/v1/dashboard/").json()
    assert board["scope"]["all_zones"] is False
    assert [z["id"] for z in board["firms"]["by_zone"]] == [park.zone_a.pk]
    # The same viewer of every zone sees zone B.
    assert client_for(park.viewer).get("/api/v1/highlights/2024/", {"zone": park.zone_b.pk}).status_code == 200


@pytest.mark.parametrize("role", ["staff", "viewer"])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_staff_member_or_viewer_with_no_zones_is_refused_not_given_every_zone(
    park: Any, role: str, language: str
) -> None:
    client = client_for(park.admin, language)
    body = {"username": f"new_{role}", "role": role, "password": "Correct-Horse-9x"}
    refused = client.post("/api/v1/users/", body, format="json")
    assert refused.status_code == 400
    message = refused.json()["errors"]["zones"][0]
    assert ("全部片区" in message) if language == "zh-hans" else ("All zones" in message)
    assert not User.objects.filter(username=f"new_{role}").exists()
    both = client.post("/api/v1/users/", {**body, "all_zones": True, "zones": [park.zone_a.pk]}, format="json")
    assert both.status_code == 400
    assert not User.objects.filter(username=f"new_{role}").exists()

    limited = client.post("/api/v1/users/", {**body, "zones": [park.zone_a.pk]}, format="json")
    assert limited.status_code == 201, limited.content
    assert (limited.json()["all_zones"], limited.json()["zones"]) == (False, [park.zone_a.pk])
    user = User.objects.get(username=f"new_{role}")
    assert set(firms_visible_to(user).values_list("id", flat=True)) == {park.firm_a.pk}

    url = f"/api/v1/users/{user.pk}/"
    assert client.patch(url, {"zones": []}, format="json").status_code == 400
    every = client.patch(url, {"all_zones": True}, format="json")
    assert every.status_code == 200
    assert (every.json()["all_zones"], every.json()["zones"]) == (True, [])
    user = User.objects.get(pk=user.pk)
    assert set(firms_visible_to(user).values_list("id", flat=True)) == {park.firm_a.pk, park.firm_b.pk}
    back = client.patch(url, {"zones": [park.zone_b.pk]}, format="json")
    assert (back.json()["all_zones"], back.json()["zones"]) == (False, [park.zone_b.pk])


def test_admins_see_every_zone_and_enterprise_users_take_no_zones(park: Any) -> None:
    client = client_for(park.admin)
    admin = client.post(
        "/api/v1/users/", {"username": "boss", "role": "admin", "password": "Correct-Horse-9x"}, format="json"
    )
    assert admin.status_code == 201 and admin.json()["all_zones"] is True
    firm_user = {"username": "ent_x", "role": "enterprise", "password": "Correct-Horse-9x", "firms": [park.firm_a.pk]}
    refused = client.post("/api/v1/users/", {**firm_user, "zones": [park.zone_b.pk]}, format="json")
    assert refused.status_code == 400 and "zones" in refused.json()["errors"]
    made = client.post("/api/v1/users/", {**firm_user, "all_zones": True}, format="json")
    assert made.status_code == 201 and made.json()["all_zones"] is False
    assert list(firms_visible_to(User.objects.get(username="ent_x")).values_list("id", flat=True)) == [park.firm_a.pk]


def test_upgrade_keeps_every_zone_for_users_without_zones_and_limits_viewers_with_zones(park: Any) -> None:
    import importlib

    from django.apps import apps

    migration = importlib.import_module("apps.accounts.migrations.0005_all_zones")
    User.objects.update(all_zones=False)  # as the column is added
    migration.existing_users_keep_their_scope(apps, None)
    all_zones = dict(User.objects.values_list("username", "all_zones"))
    assert all_zones[park.admin.username] and all_zones[park.staff.username] and all_zones[park.viewer.username]
    assert not all_zones["staff_a"] and not all_zones["viewer_a"] and not all_zones["ent_a"]


# ---------------------------------------------------------------- finding 11: nothing of other zones leaks


def _without(text: str, *codes: str) -> str:
    for code in codes:
        text = text.replace(code, "<code>")
    return text


@pytest.mark.parametrize("who", ["admin", "staff", "staff_a"])
def test_a_duplicate_uscc_is_refused_with_the_same_words_in_any_zone(park: Any, who: str) -> None:
    client = client_for(getattr(park, who))
    answers = []
    for firm in (park.firm_a, park.firm_b):
        body = {"uscc": firm.uscc, "name": "重庆重复代码有限公司", "zone": park.zone_a.pk}
        answer = client.post("/api/v1/firms/", body, format="json")
        assert answer.status_code == 400
        text = answer.content.decode()
        assert park.firm_b.name not in text and park.zone_b.name not in text
        answers.append(_without(text, firm.uscc))
    assert answers[0] == answers[1]
    assert Firm.objects.count() == 2


def _errors(job: dict[str, Any]) -> dict[int, str]:
    found: dict[int, str] = {}
    for error in job["row_errors"]:
        found[error["row"]] = (found.get(error["row"], "") + " " + error["message"]).strip()
    return found


def test_an_import_dry_run_does_not_tell_another_zones_firm_from_an_unregistered_one(
    park: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    unregistered = uscc_for(424242)
    FirmFactory(zone=park.zone_a, name="重庆同名科技有限公司")
    FirmFactory(zone=park.zone_b, name="重庆同名科技有限公司")
    rows = [
        [1, park.firm_b.name, park.firm_b.uscc, "GR1", "2022-12-19", "b"],  # another zone's firm, by code
        [2, "重庆无此企业有限公司", unregistered, "GR2", "2022-12-19", "b"],  # no such firm
        [3, park.firm_b.name, "", "GR3", "2022-12-19", "b"],  # another zone's firm, by name
        [4, "重庆无此企业有限公司", "", "GR4", "2022-12-19", "b"],  # no such name
        [5, "重庆同名科技有限公司", "", "GR5", "2022-12-19", "b"],  # one in zone A, one in zone B
    ]
    answer = upload(
        client_for(park.staff_a), csv_bytes([CERT_HEADER, *rows]), "c.csv", "certifications", programme="HNTE"
    )
    job = answer.json()
    errors = _errors(job)
    assert _without(errors[2], park.firm_b.uscc) == _without(errors[3], unregistered)
    assert errors[4].replace(park.firm_b.name, "<name>") == errors[5].replace("重庆无此企业有限公司", "<name>")
    assert 6 not in errors  # the name is unambiguous within zone A: no "2 firms" counted across zones
    assert "片区" not in " ".join(errors.values()) and "zone" not in " ".join(errors.values()).lower()
    # Staff of every zone still find firm B.
    everyone = upload(
        client_for(park.staff), csv_bytes([CERT_HEADER, *rows[:1]]), "c.csv", "certifications", programme="HNTE"
    )
    assert everyone.json()["error_rows"] == 0


def test_a_firm_import_refuses_another_zones_code_and_zone_without_naming_them(
    park: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    rows = [
        ["统一社会信用代码", "企业名称", "园区片区"],
        [park.firm_b.uscc, "重庆改名企图有限公司", park.zone_a.name],  # registered in zone B
        [park.firm_a.uscc, "重庆改名企图有限公司", park.zone_a.name],  # registered in zone A: in the user's list
        [uscc_for(515151), "重庆新企业有限公司", park.zone_b.name],  # a zone the user may not write to
        [uscc_for(525252), "重庆新企业二有限公司", "无此片区"],  # no such zone
    ]
    job = upload(client_for(park.staff_a), csv_bytes(rows), "f.csv", "firms").json()
    errors = _errors(job)
    assert set(errors) == {2, 4, 5}
    assert park.firm_b.name not in str(job)
    assert "已登记" in errors[2]
    assert errors[4].replace(park.zone_b.name, "<zone>") == errors[5].replace("无此片区", "<zone>")
    assert Firm.objects.filter(name__startswith="重庆改名企图").count() == 0


@pytest.mark.parametrize("who", ["admin", "staff", "staff_a"])
def test_jobs_show_park_wide_counts_only_to_users_of_every_zone(park: Any, who: str) -> None:
    run = JobRunFactory(
        counts={"firms": 802, "flags_opened": 17},
        errors=[{"firm": park.firm_b.pk, "error": park.firm_b.name}],
        params={"firm_ids": [park.firm_a.pk, park.firm_b.pk]},
        progress={"firm_id": park.firm_b.pk},
    )
    client = client_for(getattr(park, who))
    listed = client.get("/api/v1/jobs/").json()["results"][0]
    detail = client.get(f"/api/v1/jobs/{run.pk}/").json()
    for body in (listed, detail):
        assert body["state"] == "succeeded"
        if who == "staff_a":
            assert (body["counts"], body["errors"], body["params"], body["progress"]) == ({}, [], {}, {})
            assert park.firm_b.name not in str(body)
        else:
            assert body["counts"]["firms"] == 802 and body["errors"]


# ---------------------------------------------------------------- finding 12: notifications follow the scope


@pytest.mark.parametrize("who", ["staff", "staff_a", "viewer", "viewer_a", "ent_a"])
def test_a_notification_of_a_firm_that_left_the_scope_is_no_longer_shown(park: Any, who: str) -> None:
    user = getattr(park, who)
    note = NotificationFactory(user=user, flag=FlagFactory(firm=park.firm_a))
    job_note = NotificationFactory(user=user, flag=None, firm=None, topic="job_failed")
    client = client_for(user)
    assert {n["id"] for n in client.get("/api/v1/notifications/").json()["results"]} == {note.pk, job_note.pk}
    # Firm A leaves the user's scope: it moves to zone B, and enterprise user A is linked to firm B instead.
    Firm.objects.filter(pk=park.firm_a.pk).update(zone=park.zone_b)
    park.ent_a.firms.set([park.firm_b])
    client = client_for(User.objects.get(pk=user.pk))
    still = who in ("staff", "viewer")
    assert {n["id"] for n in client.get("/api/v1/notifications/").json()["results"]} == (
        {note.pk, job_note.pk} if still else {job_note.pk}
    )
    assert client.get(f"/api/v1/notifications/{note.pk}/").status_code == (200 if still else 404)
    if who.startswith("viewer"):
        return  # viewers mark nothing (read-only role)
    assert client.post("/api/v1/notifications/read-all/", {}, format="json").status_code == 200
    note.refresh_from_db()
    assert (note.read_at is not None) is still


# ---------------------------------------------------------------- finding 16: no password column in lists


@pytest.mark.parametrize(
    "url", ["/api/v1/firms/", "/api/v1/journal/", "/api/v1/jobs/", "/api/v1/evidence-files/", "/api/v1/imports/"]
)
def test_lists_read_the_names_of_users_never_their_password(park: Any, url: str, settings: Any, tmp_path: Any) -> None:
    from tests.figures.samples import make_samples

    settings.MEDIA_ROOT = str(tmp_path)
    Firm.objects.filter(pk=park.firm_a.pk).update(assigned_staff=park.staff)
    JournalFactory(firm=park.firm_a, author=park.staff)
    JobRunFactory(requested_by=park.admin)
    make_samples(park.firm_a)
    from apps.figures.models import EvidenceFile

    EvidenceFile.objects.update(uploaded_by=park.staff)
    upload(client_for(park.admin), csv_bytes([CERT_HEADER]), "c.csv", "certifications", programme="HNTE")
    client = client_for(park.admin)
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(url)
    assert answer.status_code == 200
    assert answer.json()["count"] >= 1
    reads = [q["sql"] for q in queries.captured_queries if "password" in q["sql"] and "accounts_user" in q["sql"]]
    # One read is the caller's own session user; no list query joins a user's password.
    assert all('WHERE "accounts_user"."id" =' in sql and "JOIN" not in sql for sql in reads), reads
    if url == "/api/v1/firms/":
        names = {f["id"]: f["assigned_staff_name"] for f in answer.json()["results"]}
        assert names[park.firm_a.pk] == str(park.staff)


def test_the_firm_list_query_selects_only_the_assigned_staff_members_name(park: Any) -> None:
    from apps.registry.selectors import firms_for_listing

    sql = str(firms_for_listing(park.admin).query)
    assert '"accounts_user"."password"' not in sql and '"password"' not in sql
    assert '"display_name"' in sql
    user = UserFactory(username="named", display_name="王专员")
    Firm.objects.filter(pk=park.firm_b.pk).update(assigned_staff=user)
    with CaptureQueriesContext(connection) as queries:
        names = {f.pk: str(f.assigned_staff) for f in firms_for_listing(park.admin) if f.assigned_staff_id}
    assert names == {park.firm_b.pk: "王专员"}
    assert len(queries.captured_queries) == 1


@pytest.mark.dated
@pytest.mark.parametrize("who", ["staff", "staff_a", "viewer", "viewer_a"])
def test_a_calendar_feed_holds_the_deadlines_of_its_owners_scope(park: Any, who: str) -> None:
    from tests.flags.conftest import cert_ending
    from tests.flags.test_calendar import feed_of, parse, today

    mine = cert_ending(park.firm_a, "HNTE", 40, today=today())
    theirs = cert_ending(park.firm_b, "HNTE", 50, today=today())
    _, body = feed_of(client_for(getattr(park, who)))
    uids = {e["props"]["UID"][1] for e in parse(body)}
    assert f"cert-{mine.pk}-ends@seedbed" in uids
    assert (f"cert-{theirs.pk}-ends@seedbed" in uids) is sees_zone_b(park, who)
    assert (park.firm_b.name in body.decode()) is sees_zone_b(park, who)


@pytest.mark.parametrize("who", ["staff", "staff_a"])
def test_the_scan_tells_an_assigned_staff_member_only_of_firms_in_their_scope(park: Any, who: str) -> None:
    from apps.flags.models import Notification, OutboxMessage
    from tests.flags.conftest import cert_ending, run_scan

    staff = getattr(park, who)
    Firm.objects.filter(pk=park.firm_b.pk).update(assigned_staff=staff)
    staff.email = f"{who}@example.com"
    staff.save()
    cert_ending(park.firm_b, "HNTE", 20)
    run_scan(kinds=["renewal_due"])
    told = Notification.objects.filter(user=staff, firm=park.firm_b).exists()
    mailed = OutboxMessage.objects.filter(user=staff).exists()
    assert told is mailed is (who == "staff")
