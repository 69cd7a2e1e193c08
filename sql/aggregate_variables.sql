-- Aggregate (velocity) variables (docs/velocity-and-backtesting.md): beyond AFD, a variable computed when an
-- event is scored from the stored events that share a key with it. Defined here
-- (fraud_create_aggregate_variable, fraud_get_aggregate_variables,
-- fraud_delete_aggregate_variable); computed by src/aggregate.rs; meaning owned by
-- engine/src/aggregate.rs. The keys of stored events they read are kept in fraud.event_keys by
-- the triggers at the end of this file.

CREATE FUNCTION fraud_create_aggregate_variable(
    name text, event_types text[], function text, time_window interval,
    entity_type text DEFAULT NULL, group_by_variable text DEFAULT NULL, variable text DEFAULT NULL,
    filter text DEFAULT NULL, description text DEFAULT NULL, tags jsonb DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE t text; input_type text; typed text[]; missing text;
BEGIN
    PERFORM fraud._check_pattern('name', name, '^[0-9a-z_]+$', 1, 64);
    PERFORM fraud._check_flat('event_types', event_types);
    PERFORM fraud._check_names('event_types', event_types, 1);
    PERFORM fraud._check_exist('event type', 'event_types', event_types);
    PERFORM fraud._required('function', function);
    PERFORM fraud._required('time_window', time_window);
    IF time_window <= interval '0' OR time_window > interval '400 days'
       OR date_part('year', time_window) <> 0 OR date_part('month', time_window) <> 0 THEN
        PERFORM fraud._invalid('time_window', time_window::text, '(must be longer than 0 and at most 400 days, in days or smaller units)');
    END IF;
    IF (entity_type IS NULL) = (group_by_variable IS NULL) THEN
        PERFORM fraud._invalid('entity_type', coalesce(entity_type, 'NULL'), '(give exactly one of entity_type and group_by_variable)');
    END IF;
    IF entity_type IS NOT NULL THEN
        PERFORM fraud._check_exist('entity type', 'entity_types', ARRAY[entity_type]);
        SELECT x INTO missing FROM unnest(event_types) x
            WHERE NOT EXISTS (SELECT 1 FROM fraud.event_type_entity_types m
                              WHERE m.event_type_name = x AND m.entity_type_name = fraud_create_aggregate_variable.entity_type)
            LIMIT 1;
        IF missing IS NOT NULL THEN
            PERFORM fraud._invalid('entity_type', entity_type, format('(not an entity type of event type %s)', quote_literal(missing)));
        END IF;
    END IF;
    IF group_by_variable IS NOT NULL THEN
        PERFORM fraud._check_exist('variable', 'variables', ARRAY[group_by_variable]);
        IF (SELECT v.data_type FROM fraud.variables v WHERE v.name = group_by_variable) <> 'STRING' THEN
            PERFORM fraud._invalid('group_by_variable', group_by_variable, '(must be a STRING variable)');
        END IF;
    END IF;
    FOREACH t IN ARRAY ARRAY[group_by_variable, variable] LOOP
        IF t IS NULL THEN CONTINUE; END IF;
        SELECT x INTO missing FROM unnest(event_types) x
            WHERE NOT EXISTS (SELECT 1 FROM fraud.event_type_variables m WHERE m.event_type_name = x AND m.variable_name = t)
            LIMIT 1;
        IF missing IS NOT NULL THEN
            PERFORM fraud._invalid(CASE t WHEN variable THEN 'variable' ELSE 'group_by_variable' END, t,
                                   format('(not a variable of event type %s)', quote_literal(missing)));
        END IF;
    END LOOP;
    IF variable IS NOT NULL THEN
        SELECT v.data_type INTO input_type FROM fraud.variables v WHERE v.name = variable;
    END IF;
    -- the data type and the value over no events are the engine's (Function::result_type)
    typed := fraud._aggregate_type(function, input_type);
    PERFORM fraud._check_description('description', description);
    IF filter IS NOT NULL AND length(filter) NOT BETWEEN 1 AND 4096 THEN
        PERFORM fraud._invalid('filter', filter, '(must be 1 to 4096 characters)');
    END IF;
    IF EXISTS (SELECT 1 FROM fraud.variables v WHERE v.name = fraud_create_aggregate_variable.name) THEN
        PERFORM fraud._duplicate('variable', name);
    END IF;
    INSERT INTO fraud.variables (name, data_type, data_source, default_value, description)
        VALUES (name, typed[1], 'AGGREGATE', typed[2], description);
    INSERT INTO fraud.aggregate_variables (name, entity_type, group_by_variable, function, variable, time_window, filter)
        VALUES (name, entity_type, group_by_variable, function, variable, time_window, filter);
    INSERT INTO fraud.aggregate_variable_event_types (aggregate_name, event_type_name)
        SELECT name, x FROM unnest(event_types) x;
    -- the filter compiled as prediction will compile it (42601 / 22023)
    PERFORM fraud._check_aggregate_variable(name);
    PERFORM fraud._set_tags('variable', name, tags);
END $$;
COMMENT ON FUNCTION fraud_create_aggregate_variable(text, text[], text, interval, text, text, text, text, text, jsonb) IS 'Creates an aggregate (velocity) variable: function (COUNT, COUNT_DISTINCT, SUM, AVG, MIN, MAX) of variable over the stored events of event_types that share the scored event''s entity of entity_type, or its value of group_by_variable, in (T - time_window, T], optionally only those for which filter (rule language over the past event''s variables and $label) is true. Rules use it as $name. Errors: 22023 invalid argument or filter (42601 filter syntax); 42704 unknown event type, entity type or variable; 23505 the name is taken.';

CREATE FUNCTION fraud._get_aggregate_variables(p_name text)
RETURNS TABLE (name text, data_type text, event_types text[], function text, variable text, entity_type text,
               group_by_variable text, time_window interval, filter text, description text,
               last_updated_time timestamptz, created_time timestamptz, arn text)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY
        SELECT a.name, v.data_type,
               ARRAY(SELECT t.event_type_name FROM fraud.aggregate_variable_event_types t
                     WHERE t.aggregate_name = a.name ORDER BY t.event_type_name),
               a.function, a.variable, a.entity_type, a.group_by_variable, a.time_window, a.filter,
               v.description, v.last_updated_time, v.created_time, fraud._arn('variable', a.name)
        FROM fraud.aggregate_variables a JOIN fraud.variables v ON v.name = a.name
        WHERE p_name IS NULL OR a.name = p_name
        ORDER BY a.name;
    IF p_name IS NOT NULL AND NOT FOUND THEN
        PERFORM fraud._not_found('aggregate variable', p_name);
    END IF;
END $$;

CREATE FUNCTION fraud_get_aggregate_variables(name text DEFAULT NULL)
RETURNS TABLE (name text, data_type text, event_types text[], function text, variable text, entity_type text,
               group_by_variable text, time_window interval, filter text, description text,
               last_updated_time timestamptz, created_time timestamptz, arn text)
LANGUAGE sql STABLE AS $$ SELECT * FROM fraud._get_aggregate_variables(name) $$;
COMMENT ON FUNCTION fraud_get_aggregate_variables(text) IS 'All aggregate variables, or only the named one, with their definition (event_types, function, variable, entity_type or group_by_variable, time_window, filter). Errors: 42704 the named one does not exist.';

-- Refused while a rule version names it: a version using it would no longer compile.
CREATE FUNCTION fraud_delete_aggregate_variable(name text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE used_by text;
BEGIN
    PERFORM fraud._required('name', name);
    SELECT r.detector_id || '/' || r.rule_id || '/' || r.rule_version INTO used_by
        FROM fraud.rule_versions r
        WHERE fraud_delete_aggregate_variable.name = ANY (fraud._expression_variables(r.expression))
        ORDER BY 1 LIMIT 1;
    IF used_by IS NOT NULL THEN
        PERFORM fraud._conflict(format('aggregate variable %s is used by rule version %s', quote_literal(name), used_by));
    END IF;
    -- the definition and its event types go with the variable (ON DELETE CASCADE)
    DELETE FROM fraud.variables v WHERE v.name = fraud_delete_aggregate_variable.name AND v.data_source = 'AGGREGATE';
    IF NOT FOUND THEN
        RAISE NOTICE 'aggregate variable % does not exist, skipping', quote_literal(name);
    END IF;
    PERFORM fraud._drop_tags('variable', name);
END $$;
COMMENT ON FUNCTION fraud_delete_aggregate_variable(text) IS 'Deletes an aggregate variable and its tags; a missing one is a NOTICE. Errors: 55006 a rule version uses it.';

-- Keys of stored events ------------------------------------------------------------------------
-- The keys of one stored event (its columns) for the specs fraud.event_keys holds keys for
-- (fraud.event_key_specs): an entity type's ids, a variable's value; with the event's label and,
-- where the spec asks, its variables. UNION: an event that names the same entity twice has the
-- key once. A plain SQL function: the planner inlines it into the statements below, whose plans
-- PL/pgSQL keeps.
CREATE FUNCTION fraud._event_keys_of(p_event_type_name text, p_event_id text, p_event_timestamp timestamptz,
                                     p_entities jsonb, p_event_variables jsonb, p_event_label text,
                                     p_label_timestamp timestamptz)
RETURNS TABLE (key_name text, key_value text, event_timestamp timestamptz, event_type_name text, event_id text,
               event_label text, label_timestamp timestamptz, event_variables jsonb)
LANGUAGE sql STABLE AS $$
    SELECT s.key_name, e.value->>'entityId', p_event_timestamp, p_event_type_name, p_event_id, p_event_label,
           p_label_timestamp, CASE WHEN s.with_variables THEN p_event_variables END
    FROM fraud.event_key_specs s CROSS JOIN LATERAL jsonb_array_elements(p_entities) e
    WHERE s.event_type_name = p_event_type_name AND s.entity_type IS NOT NULL
      AND e.value->>'entityType' = s.entity_type AND e.value->>'entityId' IS NOT NULL
    UNION
    SELECT s.key_name, p_event_variables->>s.group_by_variable, p_event_timestamp, p_event_type_name, p_event_id,
           p_event_label, p_label_timestamp, CASE WHEN s.with_variables THEN p_event_variables END
    FROM fraud.event_key_specs s
    WHERE s.event_type_name = p_event_type_name AND s.group_by_variable IS NOT NULL
      AND p_event_variables->>s.group_by_variable IS NOT NULL
$$;

-- The key specs the aggregate variables and history-reading models need, per event type: the
-- key (entity type or variable) and whether its keys carry the events' variables. A
-- TRANSACTION_FRAUD_INSIGHTS or ACCOUNT_TAKEOVER_INSIGHTS model with a trained version reads
-- the history of an event's entity with its variables (docs/models.md).
CREATE FUNCTION fraud._needed_key_specs()
RETURNS TABLE (event_type_name text, key_name text, entity_type text, group_by_variable text, with_variables boolean)
LANGUAGE sql STABLE AS $$
    SELECT s.event_type_name, s.key_name, s.entity_type, s.group_by_variable, bool_or(s.with_variables)
    FROM (SELECT t.event_type_name, coalesce(a.entity_type, '$' || a.group_by_variable) AS key_name, a.entity_type,
                 a.group_by_variable, fraud._aggregate_reads_variables(a.variable, a.filter) AS with_variables
          FROM fraud.aggregate_variables a JOIN fraud.aggregate_variable_event_types t ON t.aggregate_name = a.name
          UNION ALL
          SELECT m.event_type_name, e.entity_type_name, e.entity_type_name, NULL, true
          FROM fraud.models m JOIN fraud.event_type_entity_types e ON e.event_type_name = m.event_type_name
          WHERE m.model_type <> 'ONLINE_FRAUD_INSIGHTS'
            AND EXISTS (SELECT 1 FROM fraud.model_versions v
                        WHERE (v.model_id, v.model_type) = (m.model_id, m.model_type) AND v.model_data IS NOT NULL)) s
    GROUP BY 1, 2, 3, 4
$$;

-- Makes fraud.event_keys hold exactly the keys the aggregate variables need: a spec no
-- aggregate needs any more loses its keys, a new one gets them from the stored events, and a
-- spec whose keys must now carry (or no longer carry) the events' variables is made again.
-- fraud.events is locked against writes first, and each statement then reads with a snapshot
-- taken after the lock: an event written concurrently has its keys from its own trigger or from
-- here, never from neither or both. Hence READ COMMITTED only (a REPEATABLE READ transaction
-- keeps its first snapshot).
CREATE FUNCTION fraud._sync_event_keys_now() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE added text[];
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        PERFORM fraud._raise('0A000', 'aggregate variables are created and deleted in READ COMMITTED transactions',
                             'Their keys are read from the stored events with a snapshot taken after locking them.', NULL);
    END IF;
    -- stored events distributed on Citus: no node holds all the events of a key, so nothing may
    -- need them (docs/scale-out.md); fraud.events is not locked (a Citus table)
    IF fraud._events_distributed() THEN
        IF EXISTS (SELECT 1 FROM fraud._needed_key_specs()) THEN
            PERFORM fraud._raise('0A000', 'aggregate variables and history-reading models need the stored events on the coordinator, and fraud.events is distributed',
                                 'See docs/scale-out.md, "Stored events".', NULL);
        END IF;
        DELETE FROM fraud.event_key_specs;
        DELETE FROM fraud.event_keys;
        RETURN;
    END IF;
    LOCK TABLE fraud.events IN SHARE MODE;
    WITH gone AS (
        DELETE FROM fraud.event_key_specs s
        WHERE NOT EXISTS (SELECT 1 FROM fraud._needed_key_specs() x
                          WHERE (x.event_type_name, x.key_name, x.with_variables) = (s.event_type_name, s.key_name, s.with_variables))
        RETURNING s.event_type_name, s.key_name)
    DELETE FROM fraud.event_keys k USING gone g WHERE k.key_name = g.key_name AND k.event_type_name = g.event_type_name;
    WITH new_specs AS (
        INSERT INTO fraud.event_key_specs
        SELECT x.* FROM fraud._needed_key_specs() x
        WHERE NOT EXISTS (SELECT 1 FROM fraud.event_key_specs s WHERE (x.event_type_name, x.key_name) = (s.event_type_name, s.key_name))
        RETURNING event_type_name || '/' || key_name AS spec)
    SELECT array_agg(spec) INTO added FROM new_specs;
    -- event type names have no '/'
    INSERT INTO fraud.event_keys
    SELECT k.* FROM fraud.events n
    CROSS JOIN LATERAL fraud._event_keys_of(n.event_type_name, n.event_id, n.event_timestamp, n.entities,
                                            n.event_variables, n.event_label, n.label_timestamp) k
    WHERE n.event_type_name = ANY (SELECT split_part(a, '/', 1) FROM unnest(added) a)
      AND k.event_type_name || '/' || k.key_name = ANY (added);
END $$;

CREATE FUNCTION fraud._sync_event_keys() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- a Citus worker applying the coordinator's change: it never scores with stored events
    -- (docs/scale-out.md), its event keys stay empty
    IF fraud._cluster_applying() THEN
        RETURN NULL;
    END IF;
    PERFORM fraud._sync_event_keys_now();
    RETURN NULL;
END $$;

-- Statement trigger on fraud.model_versions: a history-reading model's first trained version
-- (or its last one gone) changes the specs fraud.event_keys must hold; only then is it synced
-- (which locks fraud.events), so creating, activating or cancelling versions costs nothing.
CREATE FUNCTION fraud._sync_model_event_keys() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF fraud._cluster_applying() THEN
        RETURN NULL; -- a Citus worker applying the coordinator's change (fraud._sync_event_keys)
    END IF;
    IF EXISTS (SELECT * FROM fraud._needed_key_specs()
               EXCEPT SELECT s.event_type_name, s.key_name, s.entity_type, s.group_by_variable, s.with_variables
                      FROM fraud.event_key_specs s)
       OR EXISTS (SELECT s.event_type_name, s.key_name, s.entity_type, s.group_by_variable, s.with_variables
                  FROM fraud.event_key_specs s
                  EXCEPT SELECT * FROM fraud._needed_key_specs()) THEN
        PERFORM fraud._sync_event_keys_now();
    END IF;
    RETURN NULL;
END $$;

-- The keys built again from every stored event: after a restore that loaded fraud.events with
-- its triggers disabled (pg_restore --disable-triggers) or on a logical-replication subscriber,
-- whose apply worker fires no statement triggers (docs/velocity-and-backtesting.md).
CREATE FUNCTION fraud_rebuild_event_keys() RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE fraud.events IN SHARE MODE;
    DELETE FROM fraud.event_keys;
    DELETE FROM fraud.event_key_specs;
    PERFORM fraud._sync_event_keys_now();
    RETURN (SELECT count(*) FROM fraud.event_keys);
END $$;
COMMENT ON FUNCTION fraud_rebuild_event_keys() IS 'Builds fraud.event_keys (the keys of stored events that aggregate variables read) again from fraud.events and the aggregate definitions, and returns how many it holds: after a restore with triggers disabled, or on a logical-replication subscriber. Locks fraud.events against writes while it runs. Errors: 0A000 not in a READ COMMITTED transaction.';

-- The statement triggers of fraud.events: the keys of the rows a statement removed go, those of
-- the rows it wrote come (an update, as GetEventPrediction replacing an event or a label set,
-- does both), through its transition tables. One index probe and nothing else when no aggregate
-- variable exists. PL/pgSQL compiles a trigger function once per trigger, so each trigger keeps
-- the plans of its own statements.
CREATE FUNCTION fraud._event_keys_changed() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM fraud.event_key_specs) THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        DELETE FROM fraud.event_keys k
        USING old_events o
        CROSS JOIN LATERAL fraud._event_keys_of(o.event_type_name, o.event_id, o.event_timestamp, o.entities,
                                                o.event_variables, o.event_label, o.label_timestamp) x
        WHERE (k.key_name, k.key_value, k.event_timestamp, k.event_type_name, k.event_id)
            = (x.key_name, x.key_value, x.event_timestamp, x.event_type_name, x.event_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO fraud.event_keys
        SELECT k.* FROM new_events n
        CROSS JOIN LATERAL fraud._event_keys_of(n.event_type_name, n.event_id, n.event_timestamp, n.entities,
                                                n.event_variables, n.event_label, n.label_timestamp) k;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION fraud._event_keys_truncate() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    TRUNCATE fraud.event_keys;
    RETURN NULL;
END $$;

-- ENABLE ALWAYS, like the cache's triggers: a change applied under session_replication_role =
-- replica must keep the keys in step too.
CREATE TRIGGER event_keys_insert AFTER INSERT ON fraud.events
    REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION fraud._event_keys_changed();
CREATE TRIGGER event_keys_delete AFTER DELETE ON fraud.events
    REFERENCING OLD TABLE AS old_events FOR EACH STATEMENT EXECUTE FUNCTION fraud._event_keys_changed();
CREATE TRIGGER event_keys_update AFTER UPDATE ON fraud.events
    REFERENCING OLD TABLE AS old_events NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION fraud._event_keys_changed();
CREATE TRIGGER event_keys_truncate AFTER TRUNCATE ON fraud.events
    FOR EACH STATEMENT EXECUTE FUNCTION fraud._event_keys_truncate();
CREATE TRIGGER sync_event_keys AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON fraud.aggregate_variable_event_types
    FOR EACH STATEMENT EXECUTE FUNCTION fraud._sync_event_keys();
CREATE TRIGGER sync_event_keys AFTER UPDATE OF entity_type, group_by_variable, variable, filter ON fraud.aggregate_variables
    FOR EACH STATEMENT EXECUTE FUNCTION fraud._sync_event_keys();
ALTER TABLE fraud.events ENABLE ALWAYS TRIGGER event_keys_insert;
ALTER TABLE fraud.events ENABLE ALWAYS TRIGGER event_keys_delete;
ALTER TABLE fraud.events ENABLE ALWAYS TRIGGER event_keys_update;
ALTER TABLE fraud.events ENABLE ALWAYS TRIGGER event_keys_truncate;
ALTER TABLE fraud.aggregate_variable_event_types ENABLE ALWAYS TRIGGER sync_event_keys;
ALTER TABLE fraud.aggregate_variables ENABLE ALWAYS TRIGGER sync_event_keys;
CREATE TRIGGER sync_event_keys AFTER INSERT OR DELETE OR UPDATE OF model_data OR TRUNCATE ON fraud.model_versions
    FOR EACH STATEMENT EXECUTE FUNCTION fraud._sync_model_event_keys();
ALTER TABLE fraud.model_versions ENABLE ALWAYS TRIGGER sync_event_keys;
