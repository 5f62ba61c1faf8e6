"""Webhook robots' keyed addresses and DingTalk signing secrets are masked in the change history, and
remote servers' replies are no longer kept in delivery errors.

The history triggers of `flags_webhookchannel` get its secret columns as their second argument
(`seedbed_history` masks them: "••••" and the last four characters), and the history rows already
written for that table are masked the same way. The history is append-only; this one-off masking
of secrets is the single exception, made by the schema owner in this migration (see
apps.core.sql.redact_history_sql and docs/security.md). It cannot be reversed: the keys are gone.
"""

from django.db import migrations

from apps.core.sql import audit_trigger_sql, drop_audit_trigger_sql, redact_history_sql

# Delivery errors used to keep the first 200 characters of a remote server's reply (and network errors
# the robot's keyed URL). They are cut back to our own words ("HTTP 403"), in the outbox and in its
# history (where the update below also lands, with the old text as `before`, redacted with the rest).
_REPLY = r"'^(HTTP [0-9]+|errcode [^:]*|network|mail): .*$'"
FORGET_REMOTE_REPLIES = f"""
UPDATE flags_outboxmessage SET last_error = regexp_replace(last_error, {_REPLY}, '\\1 (reply not kept)')
 WHERE last_error ~ {_REPLY};
ALTER TABLE core_change DISABLE TRIGGER core_change_append_only;
UPDATE core_change
   SET before = CASE WHEN before ->> 'last_error' ~ {_REPLY}
                     THEN jsonb_set(before, '{{last_error}}',
                                    to_jsonb(regexp_replace(before ->> 'last_error', {_REPLY}, '\\1 (reply not kept)')))
                     ELSE before END,
       after = CASE WHEN after ->> 'last_error' ~ {_REPLY}
                    THEN jsonb_set(after, '{{last_error}}',
                                   to_jsonb(regexp_replace(after ->> 'last_error', {_REPLY}, '\\1 (reply not kept)')))
                    ELSE after END
 WHERE table_name = 'flags_outboxmessage'
   AND (before ->> 'last_error' ~ {_REPLY} OR after ->> 'last_error' ~ {_REPLY});
ALTER TABLE core_change ENABLE TRIGGER core_change_append_only;
"""  # noqa: S608 - constants only

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
        migrations.RunSQL(FORGET_REMOTE_REPLIES, migrations.RunSQL.noop),
    ]
