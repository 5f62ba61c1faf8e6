from django.db import migrations

from apps.core.sql import audit_trigger_sql, drop_audit_trigger_sql

TABLES = {
    "registry_zone": "",
    "registry_firm": "id",
    "registry_contact": "firm_id",
    "registry_journalentry": "firm_id",
}


def load_industries(apps, schema_editor):
    from apps.registry.industries import load_industries

    load_industries(apps.get_model("registry", "Industry"))


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [
        migrations.RunPython(load_industries, migrations.RunPython.noop),
        *[
            migrations.RunSQL(audit_trigger_sql(table, column), drop_audit_trigger_sql(table))
            for table, column in TABLES.items()
        ],
    ]
