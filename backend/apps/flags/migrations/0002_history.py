from django.db import migrations

from apps.core.sql import audit_trigger_sql, drop_audit_trigger_sql

# table: the column tying a row to a firm ("" for records of no firm)
TABLES = {
    "flags_flag": "firm_id",
    "flags_deadlinecompletion": "firm_id",
    "flags_figurerequirement": "",
    "flags_jobrun": "",
    "flags_notification": "firm_id",
    "flags_outboxmessage": "firm_id",
    "flags_webhookchannel": "",
    "flags_notificationpreference": "",
    "flags_calendarfeed": "",
}


class Migration(migrations.Migration):
    dependencies = [("flags", "0001_initial"), ("core", "0002_database_functions")]

    operations = [
        migrations.RunSQL(audit_trigger_sql(table, column), drop_audit_trigger_sql(table))
        for table, column in TABLES.items()
    ]
