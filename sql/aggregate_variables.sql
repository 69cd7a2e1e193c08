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
-- The keys (key_name, key_value, event_timestamp, event_type_name, event_id, event_label,
-- label_timestamp, and event_variables where the spec asks for them) of the events in
-- relation `source` for the key specs in relation `specs` (both names are written here, never
-- taken from a table): an entity type's ids, a variable's value. UNION: an event that names the
-- same entity twice has the key once.
CREATE FUNCTION fraud._event_keys_query(source text, specs text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT format($q$
        SELECT s.key_name, e.value->>'entityId' AS key_value, n.event_timestamp, n.event_type_name, n.event_id,
               n.event_label, n.label_timestamp, CASE WHEN s.with_variables THEN n.event_variables END
        FROM %1$s n JOIN %2$s s ON s.event_type_name = n.event_type_name AND s.entity_type IS NOT NULL
        CROSS JOIN LATERAL jsonb_array_elements(n.entities) e
        WHERE e.value->>'entityType' = s.entity_type AND e.value->>'entityId' IS NOT NULL
        UNION
        SELECT s.key_name, n.event_variables->>s.group_by_variable, n.event_timestamp, n.event_type_name, n.event_id,
               n.event_label, n.label_timestamp, CASE WHEN s.with_variables THEN n.event_variables END
        FROM %1$s n JOIN %2$s s ON s.event_type_name = n.event_type_name AND s.group_by_variable IS NOT NULL
        WHERE n.event_variables->>s.group_by_variable IS NOT NULL $q$, source, specs)
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
DECLARE
    needed constant text := $q$
        SELECT t.event_type_name, coalesce(a.entity_type, '$' || a.group_by_variable) AS key_name,
               a.entity_type, a.group_by_variable, bool_or(fraud._aggregate_reads_variables(a.variable, a.filter)) AS with_variables
        FROM fraud.aggregate_variables a JOIN fraud.aggregate_variable_event_types t ON t.aggregate_name = a.name
        GROUP BY 1, 2, 3, 4 $q$;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        PERFORM fraud._raise('0A000', 'aggregate variables are created and deleted in READ COMMITTED transactions',
                             'Their keys are read from the stored events with a snapshot taken after locking them.', NULL);
    END IF;
    LOCK TABLE fraud.events IN SHARE MODE;
    EXECUTE 'WITH needed AS (' || needed || '),
             gone AS (DELETE FROM fraud.event_key_specs s
                      WHERE NOT EXISTS (SELECT 1 FROM needed x WHERE (x.event_type_name, x.key_name, x.with_variables)
                                                                     = (s.event_type_name, s.key_name, s.with_variables))
                      RETURNING s.event_type_name, s.key_name)
             DELETE FROM fraud.event_keys k USING gone g WHERE k.key_name = g.key_name AND k.event_type_name = g.event_type_name';
    EXECUTE 'WITH needed AS (' || needed || '),
             added AS (INSERT INTO fraud.event_key_specs
                       SELECT * FROM needed x
                       WHERE NOT EXISTS (SELECT 1 FROM fraud.event_key_specs s WHERE (x.event_type_name, x.key_name) = (s.event_type_name, s.key_name))
                       RETURNING *)
             INSERT INTO fraud.event_keys ' || fraud._event_keys_query('fraud.events', 'added');
END $$;

CREATE FUNCTION fraud._sync_event_keys() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM fraud._sync_event_keys_now();
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

CREATE FUNCTION fraud._event_keys_insert() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM fraud.event_key_specs) THEN
        EXECUTE 'INSERT INTO fraud.event_keys ' || fraud._event_keys_query('new_events', 'fraud.event_key_specs');
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION fraud._event_keys_delete() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM fraud.event_key_specs) THEN
        EXECUTE 'DELETE FROM fraud.event_keys k USING (' || fraud._event_keys_query('old_events', 'fraud.event_key_specs') || ') o
                 WHERE (k.key_name, k.key_value, k.event_timestamp, k.event_type_name, k.event_id)
                     = (o.key_name, o.key_value, o.event_timestamp, o.event_type_name, o.event_id)';
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION fraud._event_keys_update() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM fraud.event_key_specs) THEN
        EXECUTE 'DELETE FROM fraud.event_keys k USING (' || fraud._event_keys_query('old_events', 'fraud.event_key_specs') || ') o
                 WHERE (k.key_name, k.key_value, k.event_timestamp, k.event_type_name, k.event_id)
                     = (o.key_name, o.key_value, o.event_timestamp, o.event_type_name, o.event_id)';
        EXECUTE 'INSERT INTO fraud.event_keys ' || fraud._event_keys_query('new_events', 'fraud.event_key_specs');
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
    REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION fraud._event_keys_insert();
CREATE TRIGGER event_keys_delete AFTER DELETE ON fraud.events
    REFERENCING OLD TABLE AS old_events FOR EACH STATEMENT EXECUTE FUNCTION fraud._event_keys_delete();
CREATE TRIGGER event_keys_update AFTER UPDATE ON fraud.events
    REFERENCING OLD TABLE AS old_events NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION fraud._event_keys_update();
CREATE TRIGGER event_keys_truncate AFTER TRUNCATE ON fraud.events
    FOR EACH STATEMENT EXECUTE FUNCTION fraud._event_keys_truncate();
CREATE TRIGGER sync_event_keys AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON fraud.aggregate_variable_event_types
    FOR EACH STATEMENT EXECUTE FUNCTION fraud._sync_event_keys();
CREATE TRIGGER sync_event_keys AFTER UPDATE OF entity_type, group_by_variable ON fraud.aggregate_variables
    FOR EACH STATEMENT EXECUTE FUNCTION fraud._sync_event_keys();
ALTER TABLE fraud.events ENABLE ALWAYS TRIGGER event_keys_insert;
ALTER TABLE fraud.events ENABLE ALWAYS TRIGGER event_keys_delete;
ALTER TABLE fraud.events ENABLE ALWAYS TRIGGER event_keys_update;
ALTER TABLE fraud.events ENABLE ALWAYS TRIGGER event_keys_truncate;
ALTER TABLE fraud.aggregate_variable_event_types ENABLE ALWAYS TRIGGER sync_event_keys;
ALTER TABLE fraud.aggregate_variables ENABLE ALWAYS TRIGGER sync_event_keys;
