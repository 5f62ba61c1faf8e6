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
from django.utils import timezone

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
    """Three statement-level triggers a table (decision 0003): insert, update and delete."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT event_object_table FROM information_schema.triggers"
            " WHERE action_statement LIKE 'EXECUTE FUNCTION seedbed_history(%%' AND action_orientation = 'STATEMENT'"
            " GROUP BY event_object_table"
            " HAVING array_agg(event_manipulation::text ORDER BY event_manipulation)"
            " = ARRAY['DELETE', 'INSERT', 'UPDATE']"
        )
        audited = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgfoid = 'seedbed_audit()'::regprocedure")
        assert cursor.fetchone()[0] == 0, "a per-row history trigger is left (decision 0003 replaced them)"
    ours = ("registry", "accounts", "programmes", "figures", "listing", "flags", "highlights", "imports")
    exempt = {
        "accounts_loginfailure",
        "accounts_passwordresetrequest",
        "registry_industry",
        "flags_eligibilitymemo",  # derived: the scan rebuilds it (its docstring)
    }  # counters, reference data, derived data
    missing = []
    for model in apps.get_models(include_auto_created=True):
        table = model._meta.db_table
        if model._meta.app_label in ours and not model._meta.proxy and table not in exempt and table not in audited:
            missing.append(table)
    assert not missing, f"tables without the history trigger: {missing}"


# ---- statement-level triggers (decision 0003): the same rows the per-row trigger wrote ------------


def _changes(table: str) -> list[Change]:
    return list(Change.objects.filter(table_name=table).order_by("id"))


def test_one_statement_updating_many_rows_pairs_each_before_with_its_after(park):
    """A set-based UPDATE writes one entry per changed row, before and after of the same row, with its firm."""
    firms = [park.firm_a, park.firm_b]
    names = {f.pk: f.name for f in firms}
    first = Change.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with audit.change_context(source="job", reason="批量更名"), connection.cursor() as cursor:
        cursor.execute("UPDATE registry_firm SET name = name || '（新）' WHERE id = ANY(%s)", [[f.pk for f in firms]])
    entries = list(Change.objects.filter(id__gt=first, table_name="registry_firm").order_by("id"))
    assert len(entries) == 2
    for entry in entries:
        firm_id = int(entry.object_id)
        assert entry.firm_id == firm_id
        assert entry.before["id"] == entry.after["id"] == firm_id
        assert entry.before["name"] == names[firm_id]
        assert entry.after["name"] == names[firm_id] + "（新）"
        assert entry.changed_fields == ["name"]
        assert (entry.action, entry.source, entry.reason) == ("update", "job", "批量更名")


def test_an_update_of_bookkeeping_columns_only_is_not_recorded(park):
    before = Change.objects.count()
    Firm.objects.filter(pk__in=[park.firm_a.pk, park.firm_b.pk]).update(updated_at=timezone.now())
    assert Change.objects.count() == before
    Firm.objects.filter(pk=park.firm_a.pk).update(notes="走访", updated_at=timezone.now())
    assert Change.objects.count() == before + 1


def test_a_statement_that_changes_nothing_writes_nothing(park):
    before = Change.objects.count()
    Firm.objects.filter(pk=-1).update(notes="无")
    Firm.objects.filter(pk=-1).delete()
    assert Change.objects.count() == before


@pytest.mark.parametrize(
    ("definition", "key"),
    [
        # Columns named like the trigger function's own variables must not confuse it.
        ("code text PRIMARY KEY, firm_id bigint, label text, strip text, noise text, single boolean", "Q1"),
        ("code text, n integer, firm_id bigint, label text, actor text, PRIMARY KEY (n, code)", "7,Q1"),
    ],
)
def test_tables_whose_primary_key_is_not_id(park, definition, key):
    """The row's key is its primary key, whatever it is called; an UPDATE pairs rows by it."""
    from apps.core.sql import audit_trigger_sql, drop_audit_trigger_sql

    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE history_probe ({definition})")
        cursor.execute(audit_trigger_sql("history_probe", "firm_id"))
        with audit.change_context(source="command", reason="试验"):
            if "n integer" in definition:
                cursor.execute(
                    "INSERT INTO history_probe (code, n, firm_id, label) VALUES ('Q1', 7, %s, 'a'), ('Q2', 8, %s, 'b')",
                    [park.firm_a.pk, park.firm_b.pk],
                )
            else:
                cursor.execute(
                    "INSERT INTO history_probe (code, firm_id, label) VALUES ('Q1', %s, 'a'), ('Q2', %s, 'b')",
                    [park.firm_a.pk, park.firm_b.pk],
                )
            cursor.execute("UPDATE history_probe SET label = label || '!'")
            cursor.execute("DELETE FROM history_probe WHERE code = 'Q1'")
        entries = [e for e in _changes("history_probe") if e.firm_id == park.firm_a.pk]
        cursor.execute(drop_audit_trigger_sql("history_probe"))
        cursor.execute("DROP TABLE history_probe")
    assert [e.action for e in entries] == ["insert", "update", "delete"]
    assert {e.object_id for e in entries} == {key}
    insert, update, delete = entries
    assert insert.after["label"] == "a" and insert.before is None
    assert (update.before["label"], update.after["label"]) == ("a", "a!")
    assert delete.before["label"] == "a!" and delete.after is None
    assert all(e.source == "command" and e.reason == "试验" for e in entries)


def test_the_migration_replaces_a_per_row_trigger_keeping_its_firm_column(park):
    """core 0003 turns whatever per-row history trigger it finds into the three statement triggers."""
    from apps.core.sql import TO_STATEMENT_TRIGGERS

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE history_probe (id bigserial PRIMARY KEY, firm_id bigint, label text)")
        cursor.execute(
            "CREATE TRIGGER history_probe_audit AFTER INSERT OR UPDATE OR DELETE ON history_probe"
            " FOR EACH ROW EXECUTE FUNCTION seedbed_audit('firm_id')"
        )
        cursor.execute(TO_STATEMENT_TRIGGERS)
        cursor.execute(
            "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'history_probe'::regclass"
            " ORDER BY tgname"
        )
        triggers = cursor.fetchall()
        cursor.execute("INSERT INTO history_probe (firm_id, label) VALUES (%s, 'x')", [park.firm_b.pk])
        entry = _changes("history_probe")[-1]
        cursor.execute("DROP TABLE history_probe")
    assert [name for name, _ in triggers] == [
        "history_probe_audit",
        "history_probe_audit_delete",
        "history_probe_audit_update",
    ]
    assert all("FOR EACH STATEMENT" in d and "seedbed_history('firm_id')" in d for _, d in triggers)
    assert entry.firm_id == park.firm_b.pk and entry.action == "insert"


def test_bulk_create_records_every_row_in_order(park):
    from apps.registry.models import Contact

    with audit.change_context(source="import", reason="批量"):
        made = Contact.objects.bulk_create([Contact(firm=park.firm_a, name=f"联系人{i}") for i in range(5)])
    entries = [e for e in _changes("registry_contact") if e.reason == "批量"]
    assert [int(e.object_id) for e in entries] == [c.pk for c in made]
    assert all(e.firm_id == park.firm_a.pk and e.action == "insert" for e in entries)
