-- The store's change counter: every server process keeps reads (pools, identities, logins' owners,
-- IAM providers and roles) until the sum of the counters changes, which it checks once per
-- event-loop turn (store/postgres/changes.py). A statement that writes a table bumps one counter
-- in the same transaction, so the new sum is visible exactly when the write is. Counters only
-- grow: an unchanged sum means nothing was written in between.
--
-- 64 counters rather than one: each connection bumps the one of its backend (pid modulo 64), so
-- concurrent writers do not queue on one row lock until they commit.
CREATE TABLE store_changes (
    slot INTEGER PRIMARY KEY,
    changes BIGINT NOT NULL
);

INSERT INTO store_changes (slot, changes) SELECT s, 0 FROM generate_series(0, 63) AS s;

-- search_path pinned to the store's schema: a session of another search_path (an operator's
-- psql) writing these tables still bumps this schema's counters.
CREATE FUNCTION store_changed() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN UPDATE store_changes SET changes = changes + 1 WHERE slot = pg_backend_pid() % 64; RETURN NULL; END
$$;

-- Every table of the store bumps on every write, but a new identity: inserting one changes no
-- row that was read before (only rows found are kept), and GetId inserts one per call. A table
-- added by a later migration must get its own trigger:
--   CREATE TRIGGER <table>_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON <table>
--   FOR EACH STATEMENT EXECUTE FUNCTION store_changed()
DO $$ DECLARE t record; BEGIN FOR t IN SELECT c.relname FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') AND c.relname NOT IN ('schema_migrations', 'store_changes', 'identities') LOOP EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION store_changed()', t.relname || '_changed', t.relname); END LOOP; END
$$;

CREATE TRIGGER identities_changed AFTER UPDATE OR DELETE OR TRUNCATE ON identities
    FOR EACH STATEMENT EXECUTE FUNCTION store_changed();
