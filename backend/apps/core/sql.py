"""SQL for the history triggers, used by migrations.

`audit_trigger_sql(table, firm_column)` attaches the history to a table; `firm_column` names the
column that ties a row to a firm (`id` for the firm table itself, `firm_id` for its children, empty
for records that belong to no firm), so a firm's history is one indexed query.

The history is written by statement-level triggers with transition tables (decision 0003): one
`INSERT … SELECT` into `core_change` per statement, one row per inserted, updated or deleted row —
the same rows the per-row trigger of decision 0001 wrote. A trigger with transition tables serves
one event, so a table has three: `<table>_audit` (INSERT, the name the per-row trigger had, so
`DISABLE TRIGGER <table>_audit` still switches the history off for a bulk fill), `<table>_audit_update`
and `<table>_audit_delete`. The row's key is its primary key, whatever its column(s) are named
(looked up in the catalogue on each statement); an UPDATE's before and after are paired by it.
"""

# The per-row trigger function of decision 0001. Kept so that migrations can be reversed past 0003.
ROW_FUNCTION = r"""
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
"""

# The statement-level trigger function (decision 0003). `new_rows` / `old_rows` are the transition
# tables. `key` is the primary key as text (the values joined by ',' for a composite key).
STATEMENT_FUNCTION = r"""
CREATE OR REPLACE FUNCTION seedbed_history_key(r jsonb, pk text[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT array_to_string(ARRAY(SELECT r ->> c FROM unnest(pk) AS c), ',')
$$;

-- A row with its secret columns (a webhook's keyed address, a signing secret) masked: "••••" and the
-- last four characters, enough to tell two keys apart, never enough to use one.
CREATE OR REPLACE FUNCTION seedbed_history_mask(r jsonb, secrets text[]) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN r IS NULL OR COALESCE(cardinality(secrets), 0) = 0 THEN r
                ELSE r || COALESCE((SELECT jsonb_object_agg(c, to_jsonb('••••' || right(r ->> c, 4)))
                                      FROM unnest(secrets) AS c
                                     WHERE COALESCE(r ->> c, '') <> ''), '{}'::jsonb) END
$$;

CREATE OR REPLACE FUNCTION seedbed_history() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ctx jsonb;
    firm_col text := COALESCE(TG_ARGV[0], '');
    -- The table's secret columns (second trigger argument, comma-separated): masked in the history.
    secrets text[] := string_to_array(NULLIF(COALESCE(TG_ARGV[1], ''), ''), ',');
    pk text[];
    pk1 text;
    single boolean;
    -- Never copied into the history: password, key_hash, search_grams (written out in the queries, not as
    -- a variable, which a column of the same name would make ambiguous). Alone, not a change:
    noise text[] := ARRAY['last_login', 'last_used_at', 'updated_at'];
    actor_id bigint;
    actor text;
    src text;
    why text;
    request text;
BEGIN
    BEGIN
        ctx := NULLIF(current_setting('seedbed.ctx', true), '')::jsonb;
    EXCEPTION WHEN others THEN
        ctx := NULL;
    END;
    actor_id := (ctx ->> 'actor_id')::bigint;
    actor := COALESCE(ctx ->> 'actor', '');
    src := COALESCE(ctx ->> 'source', 'sql');
    why := COALESCE(ctx ->> 'reason', '');
    request := COALESCE(ctx ->> 'request_id', '');
    SELECT array_agg(a.attname::text ORDER BY k.n) INTO pk
      FROM pg_index i
      CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indrelid = TG_RELID AND i.indisprimary;
    pk := COALESCE(pk, ARRAY['id']);  -- a table without a primary key: its `id`, if any
    single := cardinality(pk) = 1;
    pk1 := pk[1];
    IF TG_OP = 'INSERT' THEN
        INSERT INTO core_change
            (changed_at, table_name, object_id, firm_id, action, before, after,
             actor_id, actor_label, source, reason, request_id)
        SELECT now(), TG_TABLE_NAME,
               COALESCE(CASE WHEN single THEN s.r ->> pk1 ELSE seedbed_history_key(s.r, pk) END, ''),
               (s.r ->> firm_col)::bigint, 'insert', NULL, seedbed_history_mask(s.r, secrets),
               actor_id, actor, src, why, request
          FROM (SELECT to_jsonb(n.*) - '{password,key_hash,search_grams}'::text[] AS r FROM new_rows n) s;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO core_change
            (changed_at, table_name, object_id, firm_id, action, before, after,
             actor_id, actor_label, source, reason, request_id)
        SELECT now(), TG_TABLE_NAME,
               COALESCE(CASE WHEN single THEN s.r ->> pk1 ELSE seedbed_history_key(s.r, pk) END, ''),
               (s.r ->> firm_col)::bigint, 'delete', seedbed_history_mask(s.r, secrets), NULL,
               actor_id, actor, src, why, request
          FROM (SELECT to_jsonb(o.*) - '{password,key_hash,search_grams}'::text[] AS r FROM old_rows o) s;
    ELSE
        -- Before and after paired by primary key, in the order the rows were updated. Rows whose
        -- only changes are bookkeeping columns are no change a person would call one.
        INSERT INTO core_change
            (changed_at, table_name, object_id, firm_id, action, before, after,
             actor_id, actor_label, source, reason, request_id)
        SELECT now(), TG_TABLE_NAME, COALESCE(n.k, o.k, ''),
               COALESCE(n.r ->> firm_col, o.r ->> firm_col)::bigint, 'update',
               seedbed_history_mask(o.r, secrets), seedbed_history_mask(n.r, secrets),
               actor_id, actor, src, why, request
          FROM (SELECT row_number() OVER () AS i, x.r,
                       CASE WHEN single THEN x.r ->> pk1 ELSE seedbed_history_key(x.r, pk) END AS k
                  FROM (SELECT to_jsonb(t.*) - '{password,key_hash,search_grams}'::text[] AS r FROM new_rows t) x) n
          FULL JOIN (SELECT x.r,
                            CASE WHEN single THEN x.r ->> pk1 ELSE seedbed_history_key(x.r, pk) END AS k
                       FROM (SELECT to_jsonb(t.*) - '{password,key_hash,search_grams}'::text[] AS r
                               FROM old_rows t) x) o ON o.k = n.k
         WHERE (o.r - noise) IS DISTINCT FROM (n.r - noise)
         ORDER BY n.i;
    END IF;
    RETURN NULL;
END;
$$;
"""

AUDIT_FUNCTION = (
    ROW_FUNCTION
    + STATEMENT_FUNCTION
    + r"""
CREATE OR REPLACE FUNCTION seedbed_history_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the change history is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER core_change_append_only BEFORE UPDATE OR DELETE ON core_change
    FOR EACH ROW EXECUTE FUNCTION seedbed_history_is_append_only();
"""
)

DROP_AUDIT_FUNCTION = """
DROP TRIGGER IF EXISTS core_change_append_only ON core_change;
DROP FUNCTION IF EXISTS seedbed_history_is_append_only();
DROP FUNCTION IF EXISTS seedbed_history() CASCADE;
DROP FUNCTION IF EXISTS seedbed_history_key(jsonb, text[]);
DROP FUNCTION IF EXISTS seedbed_history_mask(jsonb, text[]);
DROP FUNCTION IF EXISTS seedbed_audit() CASCADE;
"""


def trigger_names(table: str) -> tuple[str, str, str]:
    """(insert, update, delete) trigger names of a table."""
    return f"{table}_audit", f"{table}_audit_update", f"{table}_audit_delete"


def audit_trigger_sql(table: str, firm_column: str = "", secret_columns: tuple[str, ...] = ()) -> str:
    """Attach the history to `table`. Carries the trigger function itself (CREATE OR REPLACE), so a
    migration using it works whatever order it runs in relative to core's migrations.

    `secret_columns` are masked in the history ("••••" and their last four characters)."""
    insert, update, delete = trigger_names(table)
    args = f"'{firm_column}'" + (f", '{','.join(secret_columns)}'" if secret_columns else "")
    return (
        STATEMENT_FUNCTION + f"\nCREATE TRIGGER {insert} AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows"
        f" FOR EACH STATEMENT EXECUTE FUNCTION seedbed_history({args});\n"
        f"CREATE TRIGGER {update} AFTER UPDATE ON {table} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
        f" FOR EACH STATEMENT EXECUTE FUNCTION seedbed_history({args});\n"
        f"CREATE TRIGGER {delete} AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows"
        f" FOR EACH STATEMENT EXECUTE FUNCTION seedbed_history({args});\n"
    )


def redact_history_sql(table: str, secret_columns: tuple[str, ...]) -> str:
    """Masks `secret_columns` in the history rows `table` already wrote (before and after), as the trigger
    now does for new ones. The history refuses UPDATE; this one-off, run by a migration as the tables'
    owner, lifts that for its own statement only, in its own transaction."""
    cols = "ARRAY[" + ", ".join(f"'{c}'" for c in secret_columns) + "]"
    return f"""
ALTER TABLE core_change DISABLE TRIGGER core_change_append_only;
UPDATE core_change
   SET before = seedbed_history_mask(before, {cols}), after = seedbed_history_mask(after, {cols})
 WHERE table_name = '{table}'
   AND (before IS DISTINCT FROM seedbed_history_mask(before, {cols})
        OR after IS DISTINCT FROM seedbed_history_mask(after, {cols}));
ALTER TABLE core_change ENABLE TRIGGER core_change_append_only;
"""  # noqa: S608 - table and column names written by a migration


def drop_audit_trigger_sql(table: str) -> str:
    return "\n".join(f"DROP TRIGGER IF EXISTS {name} ON {table};" for name in trigger_names(table))


# Migration core 0003: every table that has the per-row trigger gets the three statement triggers
# (same firm column), and back.
TO_STATEMENT_TRIGGERS = r"""
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN
        SELECT c.relname AS tbl, tg.tgname AS name,
               CASE WHEN tg.tgnargs > 0
                    THEN convert_from(substring(tg.tgargs FROM 1 FOR position('\x00'::bytea IN tg.tgargs) - 1), 'UTF8')
                    ELSE '' END AS firm
          FROM pg_trigger tg
          JOIN pg_class c ON c.oid = tg.tgrelid
         WHERE NOT tg.tgisinternal AND tg.tgfoid = 'seedbed_audit()'::regprocedure
    LOOP
        EXECUTE format('DROP TRIGGER %I ON %I', t.name, t.tbl);
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION seedbed_history(%L)',
                       t.tbl || '_audit', t.tbl, t.firm);
        EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION seedbed_history(%L)',
                       t.tbl || '_audit_update', t.tbl, t.firm);
        EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION seedbed_history(%L)',
                       t.tbl || '_audit_delete', t.tbl, t.firm);
    END LOOP;
END;
$$;
"""

TO_ROW_TRIGGERS = r"""
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN
        SELECT c.relname AS tbl,
               CASE WHEN tg.tgnargs > 0
                    THEN convert_from(substring(tg.tgargs FROM 1 FOR position('\x00'::bytea IN tg.tgargs) - 1), 'UTF8')
                    ELSE '' END AS firm
          FROM pg_trigger tg
          JOIN pg_class c ON c.oid = tg.tgrelid
         WHERE NOT tg.tgisinternal AND tg.tgfoid = 'seedbed_history()'::regprocedure
           AND tg.tgname = c.relname || '_audit'
    LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', t.tbl || '_audit', t.tbl);
        EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', t.tbl || '_audit_update', t.tbl);
        EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', t.tbl || '_audit_delete', t.tbl);
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I'
                       ' FOR EACH ROW EXECUTE FUNCTION seedbed_audit(%L)', t.tbl || '_audit', t.tbl, t.firm);
    END LOOP;
END;
$$;
"""


# Which transaction wrote each history row (decision 0003): lets a later transaction ask "has any of
# these tables changed since that snapshot?" without reading the tables themselves. Rows written
# before this column existed have none (they are long settled). A BRIN index: tiny, cheap to keep up,
# and the rows of recent transactions sit at the end of the table.
CHANGE_XACT_COLUMN = r"""
ALTER TABLE core_change ADD COLUMN IF NOT EXISTS xact bigint;
ALTER TABLE core_change ALTER COLUMN xact SET DEFAULT (pg_current_xact_id()::text::bigint);
CREATE INDEX IF NOT EXISTS change_xact_brin ON core_change USING brin (xact);
"""

# The first version of the question (migration 0003); 0004 replaces it with CHANGED_SINCE.
CHANGED_SINCE_0003 = r"""
CREATE OR REPLACE FUNCTION seedbed_changed_since(since pg_snapshot, since_id bigint, tables text[])
RETURNS boolean LANGUAGE sql STABLE AS $$
    -- True when any row of `tables` has been written since a statement that saw the snapshot `since`
    -- and history rows up to `since_id` (both read by that one statement), and is visible now: written
    -- later (a higher id: other transactions and the caller's own), or written by a transaction that
    -- was still running then and has committed since. The history records every write path but TRUNCATE.
    SELECT EXISTS (SELECT 1 FROM core_change WHERE id > since_id AND table_name = ANY(tables))
        OR EXISTS (
            SELECT 1 FROM core_change
             WHERE xact >= pg_snapshot_xmin(since)::text::bigint
               AND table_name = ANY(tables)
               AND NOT pg_visible_in_snapshot(xact::text::xid8, since)
        )
$$;
"""

CHANGE_XACT = CHANGE_XACT_COLUMN + CHANGED_SINCE_0003

DROP_CHANGE_XACT = """
DROP FUNCTION IF EXISTS seedbed_changed_since(pg_snapshot, bigint, text[]);
DROP INDEX IF EXISTS change_xact_brin;
ALTER TABLE core_change DROP COLUMN IF EXISTS xact;
"""


# `since_xact`: the transaction that took the snapshot, if it had an id then. Its own rows up to
# `since_id` were visible to it, although pg_visible_in_snapshot does not count a transaction's own
# id as visible in its own snapshot (dry run and commit in one transaction, as in tests).
CHANGED_SINCE = r"""
DROP FUNCTION IF EXISTS seedbed_changed_since(pg_snapshot, bigint, text[]);
CREATE OR REPLACE FUNCTION seedbed_changed_since(since pg_snapshot, since_id bigint, since_xact bigint, tables text[])
RETURNS boolean LANGUAGE sql STABLE AS $$
    -- True when any row of `tables` has been written since a statement that saw the snapshot `since`
    -- and history rows up to `since_id` (both read by that one statement, of transaction `since_xact`),
    -- and is visible now: written later (a higher id: other transactions and the caller's own), or
    -- written by a transaction that was still running then and has committed since. The history
    -- records every write path but TRUNCATE.
    SELECT EXISTS (SELECT 1 FROM core_change WHERE id > since_id AND table_name = ANY(tables))
        OR EXISTS (
            SELECT 1 FROM core_change
             WHERE xact >= pg_snapshot_xmin(since)::text::bigint
               AND table_name = ANY(tables)
               AND xact IS DISTINCT FROM since_xact
               AND NOT pg_visible_in_snapshot(xact::text::xid8, since)
        )
$$;
"""

DROP_CHANGED_SINCE = (
    "DROP FUNCTION IF EXISTS seedbed_changed_since(pg_snapshot, bigint, bigint, text[]);\n" + CHANGED_SINCE_0003
)
