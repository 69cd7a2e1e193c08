-- Event types: the shape of a business activity to score (PutEventType, GetEventTypes,
-- DeleteEventType). Members live in fraud.event_type_{variables,entity_types,labels}.

-- Put replaces the whole definition (NULL optional arguments clear or reset); tags are merged.
-- event_orchestration {"eventBridgeEnabled": true}: fraud_get_event_prediction publishes each
-- prediction of this type with NOTIFY (sql/events.sql; docs/sql-reference.md, "Prediction
-- notifications"), from the next statement on, as a committed Put is read by every statement.
CREATE FUNCTION fraud_put_event_type(
    name text, event_variables text[], entity_types text[], description text DEFAULT NULL,
    labels text[] DEFAULT NULL, event_ingestion text DEFAULT 'ENABLED', tags jsonb DEFAULT NULL,
    event_orchestration jsonb DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE not_event text; r record; msg text;
BEGIN
    PERFORM fraud._check_flat('event_variables', event_variables);
    PERFORM fraud._check_flat('entity_types', entity_types);
    PERFORM fraud._check_flat('labels', labels);
    PERFORM fraud._check_identifier('name', name);
    PERFORM fraud._check_description('description', description);
    PERFORM fraud._check_names('event_variables', event_variables, 1);
    PERFORM fraud._check_names('entity_types', entity_types, 1);
    PERFORM fraud._check_names('labels', labels, 0);
    PERFORM fraud._check_enum('event_ingestion', event_ingestion, ARRAY['ENABLED', 'DISABLED']);
    IF event_orchestration IS NOT NULL AND (jsonb_typeof(event_orchestration) <> 'object'
        OR jsonb_typeof(event_orchestration->'eventBridgeEnabled') IS DISTINCT FROM 'boolean') THEN
        PERFORM fraud._invalid('event_orchestration', event_orchestration::text, '(must be {"eventBridgeEnabled": boolean})');
    END IF;
    PERFORM fraud._check_exist('variable', 'variables', event_variables);
    PERFORM fraud._check_exist('entity type', 'entity_types', entity_types);
    PERFORM fraud._check_exist('label', 'labels', coalesce(labels, '{}'));
    SELECT v.name INTO not_event FROM fraud.variables v
        WHERE v.name = ANY (event_variables) AND v.data_source <> 'EVENT' LIMIT 1;
    IF not_event IS NOT NULL THEN
        PERFORM fraud._invalid('event_variables', not_event, '(only variables with data_source EVENT belong to an event type)');
    END IF;

    INSERT INTO fraud.event_types AS t (name, description, event_ingestion, event_orchestration)
        VALUES (name, description, event_ingestion, event_orchestration)
        ON CONFLICT ON CONSTRAINT event_types_pkey DO UPDATE SET
            description = EXCLUDED.description, event_ingestion = EXCLUDED.event_ingestion,
            event_orchestration = EXCLUDED.event_orchestration, last_updated_time = now();
    DELETE FROM fraud.event_type_variables WHERE event_type_name = fraud_put_event_type.name;
    DELETE FROM fraud.event_type_entity_types WHERE event_type_name = fraud_put_event_type.name;
    DELETE FROM fraud.event_type_labels WHERE event_type_name = fraud_put_event_type.name;
    INSERT INTO fraud.event_type_variables SELECT fraud_put_event_type.name, n, i FROM unnest(event_variables) WITH ORDINALITY u(n, i);
    INSERT INTO fraud.event_type_entity_types SELECT fraud_put_event_type.name, n, i FROM unnest(entity_types) WITH ORDINALITY u(n, i);
    INSERT INTO fraud.event_type_labels SELECT fraud_put_event_type.name, n, i FROM unnest(labels) WITH ORDINALITY u(n, i);
    -- the rules of detectors of this event type must still type check (e.g. a removed variable)
    FOR r IN SELECT rv.detector_id, rv.rule_id, rv.rule_version, rv.expression
             FROM fraud.rule_versions rv JOIN fraud.detectors d USING (detector_id)
             WHERE d.event_type_name = fraud_put_event_type.name
             ORDER BY 1, 2, 3 LOOP
        BEGIN
            PERFORM fraud._check_rule_expression(r.detector_id, r.expression);
        EXCEPTION WHEN invalid_parameter_value OR syntax_error THEN
            GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
            PERFORM fraud._conflict(format('event type %s is used by rule version %s/%s/%s, which would no longer be valid: %s',
                                           quote_literal(name), r.detector_id, r.rule_id, r.rule_version, msg));
        END;
    END LOOP;
    -- so must the aggregate variables that read its events (docs/velocity-and-backtesting.md):
    -- their key, the variable they aggregate and their filter
    FOR r IN SELECT a.name, a.entity_type, a.group_by_variable, a.variable
             FROM fraud.aggregate_variables a JOIN fraud.aggregate_variable_event_types t ON t.aggregate_name = a.name
             WHERE t.event_type_name = fraud_put_event_type.name ORDER BY a.name LOOP
        BEGIN
            IF r.entity_type IS NOT NULL AND NOT r.entity_type = ANY (entity_types) THEN
                PERFORM fraud._invalid('entity_types', entity_types::text, format('(without %s)', quote_literal(r.entity_type)));
            END IF;
            IF (r.group_by_variable IS NOT NULL AND NOT r.group_by_variable = ANY (event_variables))
               OR (r.variable IS NOT NULL AND NOT r.variable = ANY (event_variables)) THEN
                PERFORM fraud._invalid('event_variables', event_variables::text,
                                       format('(without %s)', quote_literal(coalesce(r.variable, r.group_by_variable))));
            END IF;
            PERFORM fraud._check_aggregate_variable(r.name);
        EXCEPTION WHEN invalid_parameter_value OR syntax_error THEN
            GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
            PERFORM fraud._conflict(format('event type %s is read by aggregate variable %s, which would no longer be valid: %s',
                                           quote_literal(name), r.name, msg));
        END;
    END LOOP;
    PERFORM fraud._set_tags('event-type', name, tags);
END $$;
COMMENT ON FUNCTION fraud_put_event_type(text, text[], text[], text, text[], text, jsonb, jsonb) IS 'PutEventType: creates or replaces the event type (variables, entity types, labels in the order given; ingestion ENABLED/DISABLED; event_orchestration {"eventBridgeEnabled": true} makes fraud_get_event_prediction NOTIFY fraud_detector_predictions); omitted optional attributes are cleared, tags merged. Errors: 22023; 42704 unknown member; 55006 a rule of a detector of this type, or an aggregate variable reading its events, would become invalid.';

CREATE FUNCTION fraud._get_event_types(p_name text)
RETURNS TABLE (name text, description text, event_variables text[], labels text[], entity_types text[],
               event_ingestion text, last_updated_time timestamptz, created_time timestamptz, arn text,
               event_orchestration jsonb)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_name IS NOT NULL THEN
        PERFORM fraud._check_identifier('name', p_name);
    END IF;
    RETURN QUERY
    SELECT t.name, t.description,
           ARRAY(SELECT variable_name FROM fraud.event_type_variables m WHERE m.event_type_name = t.name ORDER BY position),
           ARRAY(SELECT label_name FROM fraud.event_type_labels m WHERE m.event_type_name = t.name ORDER BY position),
           ARRAY(SELECT entity_type_name FROM fraud.event_type_entity_types m WHERE m.event_type_name = t.name ORDER BY position),
           t.event_ingestion, t.last_updated_time, t.created_time, fraud._arn('event-type', t.name), t.event_orchestration
    FROM fraud.event_types t
    WHERE p_name IS NULL OR t.name = p_name
    ORDER BY t.name;
    IF p_name IS NOT NULL AND NOT FOUND THEN
        PERFORM fraud._not_found('event type', p_name);
    END IF;
END $$;

CREATE FUNCTION fraud_get_event_types(name text DEFAULT NULL)
RETURNS TABLE (name text, description text, event_variables text[], labels text[], entity_types text[],
               event_ingestion text, last_updated_time timestamptz, created_time timestamptz, arn text,
               event_orchestration jsonb)
LANGUAGE sql STABLE AS $$ SELECT * FROM fraud._get_event_types(name) $$;
COMMENT ON FUNCTION fraud_get_event_types(text) IS 'GetEventTypes: all event types, or only the named one, as rows with their event_variables, labels and entity_types (text[], in order), event_ingestion, event_orchestration, times and arn. Errors: 42704 the named event type does not exist.';

CREATE FUNCTION fraud_delete_event_type(name text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE used_by text[];
BEGIN
    PERFORM fraud._check_identifier('name', name);
    SELECT array_agg(detector_id ORDER BY detector_id) INTO used_by
        FROM fraud.detectors WHERE event_type_name = name;
    IF used_by IS NOT NULL THEN
        PERFORM fraud._conflict(format('event type %s is used by %s', quote_literal(name), fraud._some_names('detector', used_by)));
    END IF;
    SELECT array_agg(aggregate_name ORDER BY aggregate_name) INTO used_by
        FROM fraud.aggregate_variable_event_types WHERE event_type_name = name;
    IF used_by IS NOT NULL THEN
        PERFORM fraud._conflict(format('event type %s is read by %s', quote_literal(name), fraud._some_names('aggregate variable', used_by)));
    END IF;
    PERFORM fraud._delete_named('event_types', 'event type', 'event-type', name);
END $$;
COMMENT ON FUNCTION fraud_delete_event_type(text) IS 'DeleteEventType: deletes the event type with its stored events and tags, freeing its variables, entity types and labels; a missing one is a NOTICE. Errors: 22023 invalid name; 55006 a detector uses it, or an aggregate variable reads its events.';
