"""The history by statement-level triggers with transition tables (docs/decisions/0003).

Every table that has the per-row history trigger (whatever app made it) gets the three statement
triggers instead, with the same firm column. Tables created later get them from `audit_trigger_sql`.
History rows also record the transaction that wrote them (`xact`, not a model field: only the
database writes and reads it), for `seedbed_changed_since`.
"""

from django.db import migrations

from apps.core.sql import CHANGE_XACT, DROP_CHANGE_XACT, STATEMENT_FUNCTION, TO_ROW_TRIGGERS, TO_STATEMENT_TRIGGERS


class Migration(migrations.Migration):
    dependencies = [("core", "0002_database_functions")]

    operations = [
        migrations.RunSQL(STATEMENT_FUNCTION + TO_STATEMENT_TRIGGERS, TO_ROW_TRIGGERS),
        migrations.RunSQL(CHANGE_XACT, DROP_CHANGE_XACT),
    ]
