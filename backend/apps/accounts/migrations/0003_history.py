from django.db import migrations

from apps.core.sql import audit_trigger_sql, drop_audit_trigger_sql

TABLES = {
    "accounts_user": "",
    "accounts_user_zones": "",
    "accounts_user_firms": "firm_id",
    "accounts_apitoken": "",
    "accounts_user_groups": "",
    "accounts_user_user_permissions": "",
}


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_initial"), ("core", "0002_database_functions")]

    operations = [
        migrations.RunSQL(audit_trigger_sql(table, column), drop_audit_trigger_sql(table))
        for table, column in TABLES.items()
    ]
