-- Scale-out on Citus (docs/scale-out.md). Every node scores with its own copy of the catalog,
-- read locally as on a single server; the coordinator's copy is the only one anybody changes.
-- Each statement that changes a catalog table on the coordinator appends what it changed to
-- fraud.cluster_changes, a Citus reference table: Citus writes that row on every node inside
-- the coordinator's transaction (two-phase commit), and a trigger on each worker's copy applies
-- the change to the worker's catalog in that same transaction. So a worker's catalog changes
-- exactly when the coordinator's commits, and never for a transaction that rolls back.
-- On a server without Citus none of this runs: the table stays empty and the triggers that fill
-- it exist only after fraud_citus_setup().

-- The catalog tables every node needs in order to score, parents first. Not here: stored
-- events and what derives from them (events, event_keys, event_predictions), event_key_specs
-- (each node derives it from the aggregate variables and models, with its own event_keys), jobs
-- and their results (they run on the coordinator), and Voice ID sessions (recorded where
-- evaluated).
CREATE FUNCTION fraud._cluster_tables() RETURNS TABLE (ord int, table_name name)
LANGUAGE sql IMMUTABLE AS $$
    SELECT t.n::int, t.name::name FROM unnest(ARRAY[
        'variable_types', 'entity_types', 'labels', 'outcomes', 'variables', 'event_types',
        'event_type_variables', 'event_type_entity_types', 'event_type_labels', 'lists', 'list_elements',
        'detectors', 'rules', 'rule_versions', 'rule_version_outcomes', 'rule_version_lists',
        'detector_versions', 'detector_version_rules', 'tags', 'aggregate_variables',
        'aggregate_variable_event_types', 'models', 'model_versions', 'external_models',
        'voice_domains', 'voice_watchlists', 'voice_fraudsters', 'voice_fraudster_watchlists',
        'voice_fraudster_changes', 'voice_speakers']) WITH ORDINALITY t(name, n)
$$;

-- What a catalog-changing statement on the coordinator did, as rows of this table: the rows it
-- removed (DELETE, old_rows) and added (INSERT, new_rows), to_jsonb of each, in chunks; an UPDATE
-- is both. TRUNCATE and SYNC empty the table (SYNC's rows follow as INSERTs).
-- Rows live only as long as the statement that writes them (fraud._cluster_ship deletes them
-- again); the workers act on the INSERT.
CREATE TABLE fraud.cluster_changes (
    change_id  bigserial PRIMARY KEY,
    table_name name NOT NULL,
    operation  text NOT NULL CONSTRAINT cluster_change_operation CHECK (operation IN ('INSERT', 'DELETE', 'TRUNCATE', 'SYNC')),
    old_rows   jsonb,
    new_rows   jsonb
);
COMMENT ON TABLE fraud.cluster_changes IS 'Catalog changes on their way from the Citus coordinator to the workers (docs/scale-out.md): a reference table after fraud_citus_setup(), written and emptied within each catalog-changing statement; a trigger on each worker applies the rows to its catalog in the same two-phase-committed transaction. Always empty between statements; not dumped.';

-- Coordinator side: what a statement did to a catalog table, sent to every node. Runs as the
-- extension's owner (the connections Citus opens to the workers are the owner's), skips the
-- extension's own scripts (ALTER EXTENSION UPDATE runs on every node, each migrates its copy)
-- and does nothing once Citus is gone from the database (DROP EXTENSION citus).
CREATE FUNCTION fraud._cluster_ship() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET extra_float_digits = 1 AS $$
DECLARE chunk record;
BEGIN
    IF fraud._creating_extension() OR to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM fraud._cluster_send(TG_TABLE_NAME, 'TRUNCATE', NULL, NULL);
        RETURN NULL;
    END IF;
    -- an UPDATE goes as the old rows' removal, then the new rows: the same on the worker
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        FOR chunk IN SELECT jsonb_agg(x.r) AS rows FROM (SELECT to_jsonb(o) AS r, (row_number() OVER () - 1) / 5000 AS g
                                                        FROM old_rows o) x GROUP BY x.g ORDER BY x.g LOOP
            PERFORM fraud._cluster_send(TG_TABLE_NAME, 'DELETE', chunk.rows, NULL);
        END LOOP;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        FOR chunk IN SELECT jsonb_agg(x.r) AS rows FROM (SELECT to_jsonb(n) AS r, (row_number() OVER () - 1) / 5000 AS g
                                                        FROM new_rows n) x GROUP BY x.g ORDER BY x.g LOOP
            PERFORM fraud._cluster_send(TG_TABLE_NAME, 'INSERT', NULL, chunk.rows);
        END LOOP;
    END IF;
    RETURN NULL;
END $$;

-- One change to every node: written to the reference table (Citus writes every node's copy, and
-- each worker's trigger applies it) and deleted again. Rows go in chunks of 5,000, far below
-- jsonb's size limit even for voiceprints.
CREATE FUNCTION fraud._cluster_send(p_table name, p_operation text, p_old jsonb, p_new jsonb) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE id bigint;
BEGIN
    INSERT INTO fraud.cluster_changes (table_name, operation, old_rows, new_rows)
    VALUES (p_table, p_operation, p_old, p_new) RETURNING change_id INTO id;
    DELETE FROM fraud.cluster_changes WHERE change_id = id;
END $$;

-- Worker side: applies changes to this node's catalog, in the coordinator's statement order,
-- under session_replication_role = replica: what the coordinator checked (foreign keys,
-- validations) arrives checked. The ENABLE ALWAYS triggers still fire: those that invalidate
-- compiled detectors do what they must; the Voice ID stamp triggers step aside while
-- fraud_detector.cluster_apply is on under replica (the coordinator's stamps and chain arrive as
-- rows: a stamp must mean the same fraudsters on every node), and so do the event key syncs (a
-- worker never scores with stored events: src/cache.rs refuses it).
-- On the coordinator (Citus group 0) the change is already there.
--
-- The coordinator commits first and the workers' prepared transactions after it, so the next
-- change can reach a worker while the previous one is still prepared there (in doubt until
-- COMMIT PREPARED, or Citus's recovery after a lost connection). Applies take a transaction
-- advisory lock, which a prepared transaction keeps: each worker applies changes one committed
-- transaction after the other, in the coordinator's order (it serialises writes of a
-- reference table), and never reads around one in doubt.
CREATE FUNCTION fraud._cluster_apply() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE c record; rel regclass; pk_match text; role text := current_setting('session_replication_role');
BEGIN
    IF (SELECT groupid FROM pg_dist_local_group) = 0 THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock('fraud.cluster_changes'::regclass::oid::int, 0);
    PERFORM set_config('session_replication_role', 'replica', true);
    PERFORM set_config('fraud_detector.cluster_apply', 'on', true);
    FOR c IN SELECT * FROM changes ORDER BY change_id LOOP
        IF NOT EXISTS (SELECT 1 FROM fraud._cluster_tables() t WHERE t.table_name = c.table_name) THEN
            PERFORM fraud._raise('XX000', format('fraud.cluster_changes names %L, which is not a catalog table', c.table_name));
        END IF;
        rel := format('fraud.%I', c.table_name)::regclass;
        IF c.operation IN ('TRUNCATE', 'SYNC') THEN
            -- DELETE, not TRUNCATE: foreign keys are not checked under replica, TRUNCATE would
            -- still refuse a referenced table
            EXECUTE format('DELETE FROM %s', rel);
        ELSIF c.operation = 'DELETE' THEN
            SELECT string_agg(format('t.%1$I = o.%1$I', a.attname), ' AND ' ORDER BY k.n) INTO pk_match
            FROM pg_index i, unnest(i.indkey) WITH ORDINALITY k(attnum, n), pg_attribute a
            WHERE i.indrelid = rel AND i.indisprimary AND a.attrelid = rel AND a.attnum = k.attnum;
            EXECUTE format('DELETE FROM %1$s t USING jsonb_populate_recordset(NULL::%1$s, $1) o WHERE %2$s', rel, pk_match)
                USING c.old_rows;
        END IF;
        IF c.new_rows IS NOT NULL THEN
            EXECUTE format('INSERT INTO %1$s SELECT * FROM jsonb_populate_recordset(NULL::%1$s, $1)', rel) USING c.new_rows;
        END IF;
        -- a worker's own Voice ID sessions go with their domain (no cascade under replica)
        IF c.table_name = 'voice_domains' AND c.operation <> 'INSERT' THEN
            DELETE FROM fraud.voice_sessions s WHERE NOT EXISTS (SELECT 1 FROM fraud.voice_domains d WHERE d.domain_id = s.domain_id);
        END IF;
    END LOOP;
    PERFORM set_config('fraud_detector.cluster_apply', 'off', true);
    PERFORM set_config('session_replication_role', role, true);
    RETURN NULL;
END $$;

-- Is this a Citus worker applying the coordinator's change (above)? The triggers that derive
-- catalog rows step aside then (the rows arrive): a setting only a superuser can combine with
-- session_replication_role = replica.
CREATE FUNCTION fraud._cluster_applying() RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT current_setting('fraud_detector.cluster_apply', true) = 'on' AND current_setting('session_replication_role') = 'replica'
$$;

CREATE TRIGGER apply_on_worker AFTER INSERT ON fraud.cluster_changes
    REFERENCING NEW TABLE AS changes FOR EACH STATEMENT EXECUTE FUNCTION fraud._cluster_apply();

-- Worker side: the catalog is changed on the coordinator only. A statement on a worker's catalog
-- outside the extension's scripts and the apply above would make that worker differ.
CREATE FUNCTION fraud._cluster_refuse_write() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT fraud._creating_extension() THEN
        PERFORM fraud._raise('25006', format('fraud.%I is changed on the Citus coordinator only (docs/scale-out.md)', TG_TABLE_NAME));
    END IF;
    RETURN NULL;
END $$;

-- fraud_citus_setup() and fraud_citus_distribute_events() may run here: Citus is loaded, this is its coordinator, the caller is a
-- superuser, every node has this fraud_detector version.
CREATE FUNCTION fraud._citus_check() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE bad text; version text := (SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'fraud_detector');
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
        PERFORM fraud._raise('55000', 'Citus is not installed in this database (CREATE EXTENSION citus)');
    END IF;
    -- session_user: the function runs as its owner (sql/privileges.sql), the caller must be one
    IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = session_user) THEN
        PERFORM fraud._raise('42501', 'the Citus functions of fraud_detector are for a superuser');
    END IF;
    IF (SELECT groupid FROM pg_dist_local_group) <> 0 THEN
        PERFORM fraud._raise('55000', 'the Citus functions of fraud_detector run on the Citus coordinator');
    END IF;
    SELECT string_agg(format('%s:%s has %s', n.nodename, n.nodeport, coalesce(r.result, 'no answer')), '; ') INTO bad
    FROM run_command_on_all_nodes($q$SELECT coalesce((SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'fraud_detector'), 'no fraud_detector')$q$) r
    JOIN pg_dist_node n ON n.nodeid = r.nodeid
    WHERE NOT r.success OR r.result IS DISTINCT FROM version;
    IF bad IS NOT NULL THEN
        PERFORM fraud._raise('55000', format('every node needs fraud_detector %s: %s', version, bad));
    END IF;
END $$;

CREATE FUNCTION fraud_citus_setup() RETURNS jsonb
LANGUAGE plpgsql SET extra_float_digits = 1 AS $fn$
DECLARE t record; rel regclass; chunk record; ev text; total bigint := 0; failed text;
BEGIN
    PERFORM fraud._citus_check();
    IF NOT EXISTS (SELECT 1 FROM pg_dist_partition p WHERE p.logicalrelid = 'fraud.cluster_changes'::regclass) THEN
        -- the apply trigger goes with the table to every node's placement
        PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
        PERFORM create_reference_table('fraud.cluster_changes');
        PERFORM set_config('citus.enable_unsafe_triggers', 'off', true);
    ELSE
        -- Citus copies reference tables to a node added later only when something needs them
        PERFORM replicate_reference_tables('block_writes');
    END IF;
    -- run_command_on_workers commits on its own; creating the guards twice is harmless. A
    -- speaker's last_accessed_at is what EvaluateSession on a worker writes (that node's own
    -- record of it, replaced by the coordinator's whenever the speaker changes there).
    SELECT string_agg(format('%s:%s: %s', r.nodename, r.nodeport, r.result), '; ') INTO failed
    FROM run_command_on_workers($q$DO $d$ DECLARE t record; updates text; BEGIN
        FOR t IN SELECT * FROM fraud._cluster_tables() LOOP
            IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = format('fraud.%I', t.table_name)::regclass
                           AND tgname = 'changed_on_coordinator_only') THEN
                updates := 'UPDATE';
                IF t.table_name = 'voice_speakers' THEN
                    SELECT 'UPDATE OF ' || string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO updates
                    FROM pg_catalog.pg_attribute a
                    WHERE a.attrelid = 'fraud.voice_speakers'::regclass AND a.attnum > 0 AND NOT a.attisdropped
                      AND a.attname <> 'last_accessed_at';
                END IF;
                EXECUTE format('CREATE TRIGGER changed_on_coordinator_only BEFORE INSERT OR %s OR DELETE OR TRUNCATE
                                ON fraud.%I FOR EACH STATEMENT EXECUTE FUNCTION fraud._cluster_refuse_write()', updates, t.table_name);
            END IF;
        END LOOP; END $d$$q$) r
    WHERE NOT r.success;
    IF failed IS NOT NULL THEN
        PERFORM fraud._raise('55000', format('a worker could not be prepared: %s', failed));
    END IF;
    -- a node added since the last call has an empty catalog: every call ships all of it
    FOR t IN SELECT * FROM fraud._cluster_tables() ORDER BY ord LOOP
        rel := format('fraud.%I', t.table_name)::regclass;
        FOREACH ev IN ARRAY ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE'] LOOP
            -- named to fire after the table's other statement triggers: what they refuse is
            -- refused here first, what they derive is shipped before the statement itself.
            -- ENABLE ALWAYS: a change made on the coordinator under session_replication_role =
            -- replica (a restore, a logical replication subscriber) reaches the workers too.
            IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = rel AND tgname = 'zz_ship_' || lower(ev)) THEN
                EXECUTE format('CREATE TRIGGER %I AFTER %s ON %s %s FOR EACH STATEMENT EXECUTE FUNCTION fraud._cluster_ship()',
                               'zz_ship_' || lower(ev), ev, rel,
                               CASE ev WHEN 'INSERT' THEN 'REFERENCING NEW TABLE AS new_rows'
                                       WHEN 'UPDATE' THEN 'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows'
                                       WHEN 'DELETE' THEN 'REFERENCING OLD TABLE AS old_rows' ELSE '' END);
                EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I', rel, 'zz_ship_' || lower(ev));
            END IF;
        END LOOP;
        -- the table emptied, then its rows in chunks
        PERFORM fraud._cluster_send(t.table_name, 'SYNC', NULL, NULL);
        FOR chunk IN EXECUTE format('SELECT jsonb_agg(x.r) AS rows, count(*) AS n FROM (SELECT to_jsonb(r) AS r, (row_number() OVER () - 1) / 5000 AS g
                                                                        FROM %s r) x GROUP BY x.g ORDER BY x.g', rel) LOOP
            PERFORM fraud._cluster_send(t.table_name, 'INSERT', NULL, chunk.rows);
            total := total + chunk.n;
        END LOOP;
    END LOOP;
    RETURN jsonb_build_object('workers', (SELECT count(*) FROM pg_dist_node WHERE groupid <> 0 AND noderole = 'primary'),
                              'tables', (SELECT count(*) FROM fraud._cluster_tables()), 'rows', total);
END $fn$;
COMMENT ON FUNCTION fraud_citus_setup() IS 'Prepares fraud_detector for Citus (docs/scale-out.md); on the coordinator, as a superuser. Afterwards every node scores with its own copy of the catalog, changed exactly when the coordinator''s transactions commit. Ships the whole catalog to every node: call it again after adding a node and after ALTER EXTENSION UPDATE. Returns {"workers", "tables", "rows"} shipped. Errors: 55000 Citus not installed, not the coordinator, a node without the same fraud_detector version, or a worker that could not be prepared; 42501 not a superuser.';

-- Is fraud.events a Citus distributed table (fraud_citus_distribute_events())?
CREATE FUNCTION fraud._events_distributed() RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
DECLARE found boolean;
BEGIN
    IF to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
        RETURN false;
    END IF;
    EXECUTE 'SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition WHERE logicalrelid = ''fraud.events''::regclass)' INTO found;
    RETURN found;
END $$;

-- Deleting an event type deletes its stored events: the foreign key that did it cannot stay on
-- a distributed fraud.events (Citus keeps only foreign keys to reference tables).
CREATE FUNCTION fraud._event_type_deleted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT fraud._creating_extension() AND (SELECT groupid FROM pg_dist_local_group) = 0 THEN
        DELETE FROM fraud.events e WHERE e.event_type_name IN (SELECT o.name FROM old_rows o);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION fraud_citus_distribute_events(shard_count int DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fraud._citus_check();
    IF NOT EXISTS (SELECT 1 FROM pg_dist_partition p WHERE p.logicalrelid = 'fraud.cluster_changes'::regclass) THEN
        PERFORM fraud._raise('55000', 'run fraud_citus_setup() first');
    END IF;
    IF shard_count IS NOT NULL AND shard_count NOT BETWEEN 1 AND 64000 THEN
        PERFORM fraud._invalid('shard_count', shard_count::text, '(1 to 64000)');
    END IF;
    IF fraud._events_distributed() THEN
        RETURN jsonb_build_object('events', 'distributed by event_id', 'event_predictions', 'distributed by event_id, co-located',
                                  'changed', false);
    END IF;
    IF EXISTS (SELECT 1 FROM fraud._needed_key_specs()) THEN
        PERFORM fraud._raise('0A000', 'stored events cannot be distributed while aggregate variables or history-reading models need them on the coordinator',
                             'Aggregate variables and TRANSACTION_FRAUD_INSIGHTS / ACCOUNT_TAKEOVER_INSIGHTS model versions read fraud.event_keys next to fraud.events (docs/scale-out.md).', NULL);
    END IF;
    LOCK TABLE fraud.events, fraud.event_predictions, fraud.event_types, fraud.labels IN EXCLUSIVE MODE;
    -- Citus keeps foreign keys to reference tables only: deleting an event type deletes its
    -- events by trigger instead, and a label in use is refused by fraud_delete_label itself
    ALTER TABLE fraud.events DROP CONSTRAINT events_event_type_name_fkey, DROP CONSTRAINT events_event_label_fkey;
    CREATE TRIGGER delete_events AFTER DELETE ON fraud.event_types REFERENCING OLD TABLE AS old_rows
        FOR EACH STATEMENT EXECUTE FUNCTION fraud._event_type_deleted();
    -- a distributed table's unique keys include its distribution column
    ALTER TABLE fraud.event_predictions DROP CONSTRAINT event_predictions_pkey,
        ADD CONSTRAINT event_predictions_pkey PRIMARY KEY (event_id, prediction_id);
    CREATE INDEX event_predictions_prediction_id ON fraud.event_predictions (prediction_id);
    -- the event_keys triggers of fraud.events go with it to the shards (they do nothing while no
    -- aggregate variable or history model exists, which is refused from now on)
    PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
    IF shard_count IS NULL THEN
        PERFORM create_distributed_table('fraud.events', 'event_id');
    ELSE
        PERFORM create_distributed_table('fraud.events', 'event_id', shard_count => shard_count);
    END IF;
    PERFORM create_distributed_table('fraud.event_predictions', 'event_id', colocate_with => 'fraud.events');
    PERFORM set_config('citus.enable_unsafe_triggers', 'off', true);
    -- the rows now live in the shards; the coordinator's own copies would only take space
    PERFORM truncate_local_data_after_distributing_table('fraud.events');
    PERFORM truncate_local_data_after_distributing_table('fraud.event_predictions');
    RETURN jsonb_build_object('events', 'distributed by event_id', 'event_predictions', 'distributed by event_id, co-located',
                              'changed', true);
END $$;
COMMENT ON FUNCTION fraud_citus_distribute_events(int) IS 'Makes fraud.events and fraud.event_predictions Citus distributed tables, both by event_id and co-located (docs/scale-out.md, "Stored events"), moving their rows to the workers; on the coordinator, as a superuser, after fraud_citus_setup(). Idempotent. Aggregate variables and history-reading models (TRANSACTION_FRAUD_INSIGHTS, ACCOUNT_TAKEOVER_INSIGHTS) are refused from then on. shard_count: Citus''s default (citus.shard_count) when NULL. Errors: 55000 no Citus, not the coordinator, nodes without this version, setup not run; 0A000 an aggregate variable or a history-reading model version exists; 22023 shard_count out of 1..64000; 42501 not a superuser.';
