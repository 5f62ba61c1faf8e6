"""SQL for the history triggers, used by migrations.

`audit_trigger_sql(table, firm_column)` attaches the shared trigger to a table; `firm_column` names
the column that ties a row to a firm (`id` for the firm table itself, `firm_id` for its children,
empty for records that belong to no firm), so a firm's history is one indexed query.
"""

AUDIT_FUNCTION = r"""
CREATE OR REPLACE FUNCTION seedbed_audit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ctx jsonb;
    old_row jsonb;
    new_row jsonb;
    firm_col text := TG_ARGV[0];
    firm bigint;
    obj text;
    noise text[] := ARRAY['password', 'key_hash', 'last_login', 'last_used_at', 'updated_at'];
BEGIN
    BEGIN
        ctx := NULLIF(current_setting('seedbed.ctx', true), '')::jsonb;
    EXCEPTION WHEN others THEN
        ctx := NULL;
    END;
    IF TG_OP <> 'INSERT' THEN old_row := to_jsonb(OLD) - 'password' - 'key_hash' - 'search_grams'; END IF;
    IF TG_OP <> 'DELETE' THEN new_row := to_jsonb(NEW) - 'password' - 'key_hash' - 'search_grams'; END IF;
    IF TG_OP = 'UPDATE' AND (old_row - noise) = (new_row - noise) THEN
        RETURN NULL;  -- nothing a person would call a change
    END IF;
    obj := COALESCE(new_row ->> 'id', old_row ->> 'id');
    IF firm_col <> '' THEN
        firm := COALESCE(new_row ->> firm_col, old_row ->> firm_col)::bigint;
    END IF;
    INSERT INTO core_change
        (changed_at, table_name, object_id, firm_id, action, before, after,
         actor_id, actor_label, source, reason, request_id)
    VALUES
        (now(), TG_TABLE_NAME, obj, firm, lower(TG_OP), old_row, new_row,
         (ctx ->> 'actor_id')::bigint, COALESCE(ctx ->> 'actor', ''),
         COALESCE(ctx ->> 'source', 'sql'), COALESCE(ctx ->> 'reason', ''),
         COALESCE(ctx ->> 'request_id', ''));
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION seedbed_history_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the change history is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER core_change_append_only BEFORE UPDATE OR DELETE ON core_change
    FOR EACH ROW EXECUTE FUNCTION seedbed_history_is_append_only();
"""

DROP_AUDIT_FUNCTION = """
DROP TRIGGER IF EXISTS core_change_append_only ON core_change;
DROP FUNCTION IF EXISTS seedbed_history_is_append_only();
DROP FUNCTION IF EXISTS seedbed_audit() CASCADE;
"""


def audit_trigger_sql(table: str, firm_column: str = "") -> str:
    return (
        f"CREATE TRIGGER {table}_audit AFTER INSERT OR UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION seedbed_audit('{firm_column}');"
    )


def drop_audit_trigger_sql(table: str) -> str:
    return f"DROP TRIGGER IF EXISTS {table}_audit ON {table};"
