"""seedbed_changed_since also takes the transaction that took the snapshot (its own rows were visible)."""

from django.db import migrations

from apps.core.sql import CHANGED_SINCE, DROP_CHANGED_SINCE


class Migration(migrations.Migration):
    dependencies = [("core", "0003_statement_level_history")]

    operations = [migrations.RunSQL(CHANGED_SINCE, DROP_CHANGED_SINCE)]
