"""Every change is in the history, with who, when, where from and why — whatever the write path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError

from apps.core import audit
from apps.core.models import Change
from apps.registry import services
from apps.registry.models import Firm

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]


def latest(firm: Firm) -> Change:
    return Change.objects.filter(table_name="registry_firm", object_id=str(firm.pk)).order_by("-id").first()


def test_patch_with_reason_header_shows_before_and_after(park, as_user):
    client = as_user(park.staff)
    response = client.patch(
        f"/api/v1/firms/{park.firm_a.pk}/",
        {"name": "重庆甲方智能科技有限公司"},
        format="json",
        HTTP_X_CHANGE_REASON="工商变更登记".encode().decode("latin-1"),
    )
    assert response.status_code == 200
    history = client.get(f"/api/v1/firms/{park.firm_a.pk}/history/").json()
    entry = history["results"][0]
    assert entry["action"] == "update"
    assert entry["reason"] == "工商变更登记"
    assert entry["actor_label"] == park.staff.username
    assert entry["source"] == "api"
    assert entry["changed_fields"] == ["name"]
    assert entry["before"]["name"] == "重庆甲方科技有限公司"
    assert entry["after"]["name"] == "重庆甲方智能科技有限公司"


def test_reason_field_in_the_body(park, as_user):
    as_user(park.staff).patch(
        f"/api/v1/firms/{park.firm_a.pk}/", {"address": "珞璜镇 1 号", "reason": "走访核实"}, format="json"
    )
    assert latest(park.firm_a).reason == "走访核实"


def test_token_authenticated_change_names_the_token_owner(park):
    from rest_framework.test import APIClient

    from apps.accounts.services import api_token_create

    _, key = api_token_create(user=park.staff, name="etl")
    client = APIClient()
    response = client.patch(
        f"/api/v1/firms/{park.firm_a.pk}/",
        {"address": "综保大道 8 号"},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 200
    assert latest(park.firm_a).actor_label == park.staff.username


def test_bulk_update_records_one_entry_per_firm(park):
    with audit.change_context(source="job", reason="年度标签整理"):
        count = services.firm_bulk_update(firm_ids=[park.firm_a.pk, park.firm_b.pk], values={"tags": ["重点跟踪"]})
    assert count == 2
    for firm in (park.firm_a, park.firm_b):
        entry = latest(firm)
        assert entry.source == "job"
        assert entry.reason == "年度标签整理"
        assert entry.after["tags"] == ["重点跟踪"]


def test_management_command_changes_are_recorded(park):
    call_command(
        "create_user", "new_ent", "--role", "enterprise", "--firm", park.firm_b.uscc, "--password", "Xy-12345678"
    )
    link = Change.objects.filter(table_name="accounts_user_firms", firm_id=park.firm_b.pk).first()
    assert link is not None and link.source == "command"


@pytest.mark.django_db(transaction=True)
def test_a_firm_updated_by_a_management_command_in_another_process(park):
    """A real `manage.py` process (not an in-process call) writes with source "command"."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    env = {"DATABASE_URL": _url(db), "PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings"}
    code = f"from apps.registry.models import Firm; Firm.objects.filter(pk={park.firm_a.pk}).update(notes='命令行更新')"
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT / "backend",
        env=env,
        check=True,
        capture_output=True,
    )
    entry = latest(park.firm_a)
    assert entry.after["notes"] == "命令行更新"
    assert entry.source == "shell"


def _url(db: dict) -> str:
    host = db["HOST"]
    if host.startswith("/"):
        return f"postgresql://{db['USER']}@/{db['NAME']}?host={host}"
    return f"postgresql://{db['USER']}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def test_raw_sql_is_recorded_too(park):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE registry_firm SET notes = 'raw' WHERE id = %s", [park.firm_b.pk])
    assert latest(park.firm_b).after["notes"] == "raw"


def test_history_cannot_be_edited_or_deleted(park):
    entry = latest(park.firm_a)
    with pytest.raises(DatabaseError), transaction.atomic():
        Change.objects.filter(pk=entry.pk).update(reason="tampered")
    with pytest.raises(DatabaseError), transaction.atomic():
        Change.objects.filter(pk=entry.pk).delete()


def test_history_api_is_read_only_and_scoped(park, as_user):
    url = f"/api/v1/firms/{park.firm_a.pk}/history/"
    assert as_user(park.admin).post(url, {}, format="json").status_code == 405
    assert as_user(park.ent_b).get(url).status_code == 404
    mine = as_user(park.ent_a).get(url).json()
    assert all(entry["table_name"] != "registry_journalentry" for entry in mine["results"])
    staff_view = as_user(park.staff).get(url).json()
    assert any(entry["table_name"] == "registry_journalentry" for entry in staff_view["results"])


def test_passwords_never_reach_the_history(park):
    park.ent_a.set_password("Another-Secret-1")
    park.ent_a.save()
    for entry in Change.objects.filter(table_name="accounts_user"):
        assert "password" not in (entry.before or {}) and "password" not in (entry.after or {})


def test_every_table_of_ours_has_the_history_trigger():
    with connection.cursor() as cursor:
        cursor.execute("SELECT event_object_table FROM information_schema.triggers WHERE trigger_name LIKE '%%_audit'")
        audited = {row[0] for row in cursor.fetchall()}
    ours = ("registry", "accounts", "programmes", "figures", "listing", "flags", "highlights", "imports")
    exempt = {"accounts_loginfailure", "registry_industry"}  # counters and reference data, not records
    missing = []
    for model in apps.get_models(include_auto_created=True):
        table = model._meta.db_table
        if model._meta.app_label in ours and not model._meta.proxy and table not in exempt and table not in audited:
            missing.append(table)
    assert not missing, f"tables without the history trigger: {missing}"
