from django.db import migrations

from apps.core.sql import audit_trigger_sql, drop_audit_trigger_sql

TABLES = {
    "figures_annualfigures": "firm_id",
    "figures_monthlyfigures": "firm_id",
    "figures_evidencefile": "firm_id",
}


class Migration(migrations.Migration):
    dependencies = [("figures", "0001_initial"), ("core", "0002_database_functions")]

    operations = [
        migrations.RunSQL(audit_trigger_sql(table, column), drop_audit_trigger_sql(table))
        for table, column in TABLES.items()
    ]
