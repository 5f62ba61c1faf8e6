"""Webhook robots' keyed addresses and DingTalk signing secrets are masked in the change history.

The history triggers of `flags_webhookchannel` get its secret columns as their second argument
(`seedbed_history` masks them: "••••" and the last four characters), and the history rows already
written for that table are masked the same way. The history is append-only; this one-off masking
of secrets is the single exception, made by the schema owner in this migration (see
apps.core.sql.redact_history_sql and docs/security.md). It cannot be reversed: the keys are gone.
"""

from django.db import migrations

from apps.core.sql import audit_trigger_sql, drop_audit_trigger_sql, redact_history_sql

TABLE = "flags_webhookchannel"
SECRETS = ("url", "secret")


class Migration(migrations.Migration):
    dependencies = [("flags", "0005_eligibility_memo"), ("core", "0004_changed_since_own_transaction")]

    operations = [
        migrations.RunSQL(
            drop_audit_trigger_sql(TABLE) + "\n" + audit_trigger_sql(TABLE, "", SECRETS),
            drop_audit_trigger_sql(TABLE) + "\n" + audit_trigger_sql(TABLE, ""),
        ),
        migrations.RunSQL(redact_history_sql(TABLE, SECRETS), migrations.RunSQL.noop),
    ]
