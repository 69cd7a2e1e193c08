-- Stored events and prediction history (SendEvent, GetEvent, DeleteEvent, UpdateEventLabel,
-- DeleteEventsByEventType, GetDeleteEventsByEventTypeStatus, GetEventPrediction,
-- ListEventPredictions, GetEventPredictionMetadata), and rule statistics from the history
-- (fraud_rule_stats, not AFD: docs/velocity-and-backtesting.md). Tables: fraud.events,
-- fraud.event_predictions; deleting by event type is a job (sql/jobs.sql).

-- The timestamp formats, as error messages list them: engine/src/events.rs owns the formats,
-- docs/sql-reference.md ("Stored events") documents them.
CREATE FUNCTION fraud._timestamp_formats() RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT 'ISO 8601 such as 2024-05-01T12:00:00Z or 2024-05-01 14:00:00+02, UTC when it has no offset; '
           'or yyyy/mm/dd hh:mm:ss, mm/dd/yyyy hh:mm[:ss] or dd/mm/yyyy hh:mm[:ss], AM/PM allowed after the seconds'
$$;

-- An event / label timestamp in any format AFD accepts, or 22023.
CREATE FUNCTION fraud._timestamp(field text, value text) RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE ms bigint;
BEGIN
    PERFORM fraud._required(field, value);
    ms := fraud._event_timestamp_ms(value);
    IF ms IS NULL THEN
        PERFORM fraud._invalid(field, value, '(must be ' || fraud._timestamp_formats() || ')');
    END IF;
    RETURN to_timestamp(ms / 1000.0);
END $$;

-- GetEventPredictionMetadata's prediction_timestamp: epoch milliseconds (AFD's API) or any
-- format of fraud._timestamp, such as the timestamptz text ListEventPredictions returns.
CREATE FUNCTION fraud._prediction_timestamp(field text, value text) RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE ms bigint;
BEGIN
    PERFORM fraud._required(field, value);
    IF btrim(value) ~ '^[0-9]{1,15}$' THEN
        RETURN timestamptz 'epoch' + btrim(value)::bigint * interval '1 millisecond';
    END IF;
    ms := fraud._event_timestamp_ms(value);
    IF ms IS NULL THEN
        PERFORM fraud._invalid(field, value, '(must be epoch milliseconds or ' || fraud._timestamp_formats() || ')');
    END IF;
    RETURN to_timestamp(ms / 1000.0);
END $$;

CREATE FUNCTION fraud._event_type(name text) RETURNS fraud.event_types
LANGUAGE plpgsql STABLE AS $$
DECLARE t fraud.event_types;
BEGIN
    PERFORM fraud._check_identifier('event_type_name', name);
    SELECT * INTO t FROM fraud.event_types e WHERE e.name = _event_type.name;
    IF NOT FOUND THEN
        PERFORM fraud._not_found('event type', name);
    END IF;
    RETURN t;
END $$;

-- Entities as the reference's [{"entityType", "entityId"}], each entity type one of the event
-- type's; returned in that shape (extra keys dropped after they are refused).
CREATE FUNCTION fraud._checked_entities(event_type_name text, entities jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE e jsonb; out jsonb := '[]';
BEGIN
    PERFORM fraud._required('entities', entities);
    IF jsonb_typeof(entities) <> 'array' THEN
        PERFORM fraud._invalid('entities', entities::text, '(must be an array of {"entityType", "entityId"})');
    END IF;
    FOR e IN SELECT jsonb_array_elements(entities) LOOP
        IF jsonb_typeof(e) <> 'object' OR jsonb_typeof(e->'entityType') IS DISTINCT FROM 'string'
           OR jsonb_typeof(e->'entityId') IS DISTINCT FROM 'string'
           OR EXISTS (SELECT 1 FROM jsonb_object_keys(e) k WHERE k NOT IN ('entityType', 'entityId')) THEN
            PERFORM fraud._invalid('entities', e::text, '(each entity must be {"entityType": string, "entityId": string})');
        END IF;
        PERFORM fraud._check_pattern('entityId', e->>'entityId', '^[0-9A-Za-z_.@+-]+$', 1, 256);
        IF NOT EXISTS (SELECT 1 FROM fraud.event_type_entity_types t
                       WHERE t.event_type_name = _checked_entities.event_type_name
                         AND t.entity_type_name = e->>'entityType') THEN
            PERFORM fraud._invalid('entityType', e->>'entityType',
                                   format('(not an entity type of event type %s)', quote_literal(event_type_name)));
        END IF;
    END LOOP;
    -- built in one pass (appending in the loop would copy the array once per entity)
    SELECT coalesce(jsonb_agg(jsonb_build_object('entityType', x.e->>'entityType', 'entityId', x.e->>'entityId') ORDER BY x.i), '[]')
        INTO out FROM jsonb_array_elements(entities) WITH ORDINALITY x(e, i);
    RETURN out;
END $$;

-- Event variables as AFD's EventVariableMap: keys are the event type's variables, values are
-- strings (JSON numbers and booleans are taken as their text) that read as the variable's
-- data type. Returned with every value as a JSON string.
CREATE FUNCTION fraud._checked_variables(event_type_name text, event_variables jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE k text; v jsonb; t text; why text; out jsonb := '{}';
BEGIN
    PERFORM fraud._required('event_variables', event_variables);
    IF jsonb_typeof(event_variables) <> 'object' OR event_variables = '{}' THEN
        PERFORM fraud._invalid('event_variables', event_variables::text, '(must be a non-empty object {"variable": "value"})');
    END IF;
    FOR k, v IN SELECT e.key, e.value FROM jsonb_each(event_variables) e LOOP
        SELECT x.data_type INTO t FROM fraud.event_type_variables m JOIN fraud.variables x ON x.name = m.variable_name
            WHERE m.event_type_name = _checked_variables.event_type_name AND m.variable_name = k;
        IF NOT FOUND THEN
            PERFORM fraud._invalid('event_variables', k, format('(not a variable of event type %s)', quote_literal(event_type_name)));
        END IF;
        IF jsonb_typeof(v) NOT IN ('string', 'number', 'boolean') THEN
            PERFORM fraud._invalid('event_variables', v::text, format('(value of %s must be a string)', quote_literal(k)));
        END IF;
        IF length(v #>> '{}') NOT BETWEEN 1 AND 8192 THEN
            PERFORM fraud._invalid('event_variables', v #>> '{}', format('(value of %s must be 1 to 8192 characters)', quote_literal(k)));
        END IF;
        why := fraud._variable_value_error(k, t, v #>> '{}');
        IF why IS NOT NULL THEN
            PERFORM fraud._raise('22023', 'invalid event_variables: ' || why);
        END IF;
        out := out || jsonb_build_object(k, v #>> '{}');
    END LOOP;
    RETURN out;
END $$;

CREATE FUNCTION fraud._check_event_label(event_type_name text, label text) RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM fraud._check_identifier('assigned_label', label);
    IF NOT EXISTS (SELECT 1 FROM fraud.event_type_labels l
                   WHERE l.event_type_name = _check_event_label.event_type_name AND l.label_name = label) THEN
        PERFORM fraud._invalid('assigned_label', label, format('(not a label of event type %s)', quote_literal(event_type_name)));
    END IF;
END $$;

CREATE FUNCTION fraud_send_event(
    event_id text, event_type_name text, event_timestamp text, event_variables jsonb, entities jsonb,
    assigned_label text DEFAULT NULL, label_timestamp text DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE t fraud.event_types; ts timestamptz; lts timestamptz; vars jsonb; ents jsonb;
BEGIN
    PERFORM fraud._check_identifier('event_id', event_id);
    t := fraud._event_type(event_type_name);
    ts := fraud._timestamp('event_timestamp', event_timestamp);
    vars := fraud._checked_variables(t.name, event_variables);
    ents := fraud._checked_entities(t.name, entities);
    IF assigned_label IS NOT NULL OR label_timestamp IS NOT NULL THEN
        PERFORM fraud._check_event_label(t.name, assigned_label);
        lts := fraud._timestamp('label_timestamp', label_timestamp);
    END IF;
    IF t.event_ingestion <> 'ENABLED' THEN
        PERFORM fraud._conflict(format('event ingestion is DISABLED for event type %s', quote_literal(t.name)));
    END IF;
    INSERT INTO fraud.events (event_type_name, event_id, event_timestamp, entities, event_variables, event_label, label_timestamp)
        VALUES (t.name, event_id, ts, ents, vars, assigned_label, lts)
        ON CONFLICT ON CONSTRAINT events_pkey DO NOTHING;
    IF NOT FOUND THEN
        PERFORM fraud._duplicate('event', t.name || '/' || event_id);
    END IF;
END $$;
COMMENT ON FUNCTION fraud_send_event(text, text, text, jsonb, jsonb, text, text) IS 'SendEvent: stores an event (timestamps ISO 8601 or AFD''s CSV layouts, variables {"name": "value"}, entities [{"entityType", "entityId"}], optional label with its timestamp). Errors: 22023 invalid value; 42704 unknown event type; 23505 event id exists; 55006 ingestion DISABLED.';

CREATE FUNCTION fraud._get_event(p_event_id text, p_event_type_name text)
RETURNS TABLE (event_id text, event_type_name text, event_timestamp timestamptz, event_variables jsonb,
               current_label text, label_timestamp timestamptz, entities jsonb)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM fraud._check_identifier('event_id', p_event_id);
    PERFORM fraud._event_type(p_event_type_name);
    RETURN QUERY SELECT e.event_id, e.event_type_name, e.event_timestamp, e.event_variables, e.event_label,
                        e.label_timestamp, e.entities
                 FROM fraud.events e WHERE e.event_type_name = p_event_type_name AND e.event_id = p_event_id;
    IF NOT FOUND THEN
        PERFORM fraud._not_found('event', p_event_type_name || '/' || p_event_id);
    END IF;
END $$;

CREATE FUNCTION fraud_get_event(event_id text, event_type_name text)
RETURNS TABLE (event_id text, event_type_name text, event_timestamp timestamptz, event_variables jsonb,
               current_label text, label_timestamp timestamptz, entities jsonb)
LANGUAGE sql STABLE AS $$ SELECT * FROM fraud._get_event(event_id, event_type_name) $$;
COMMENT ON FUNCTION fraud_get_event(text, text) IS 'GetEvent: the stored event as one row (event_timestamp, event_variables, current_label, label_timestamp, entities). Errors: 22023 invalid id; 42704 unknown event type or event.';

-- A missing event is a NOTICE, like every Delete*. delete_audit_history also removes the
-- event's prediction history.
CREATE FUNCTION fraud_delete_event(event_id text, event_type_name text, delete_audit_history boolean DEFAULT false)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fraud._check_identifier('event_id', event_id);
    PERFORM fraud._event_type(event_type_name);
    PERFORM fraud._required('delete_audit_history', delete_audit_history);
    DELETE FROM fraud.events e WHERE e.event_type_name = fraud_delete_event.event_type_name
                                 AND e.event_id = fraud_delete_event.event_id;
    IF NOT FOUND THEN
        RAISE NOTICE 'event %/% does not exist, skipping', event_type_name, event_id;
    END IF;
    IF delete_audit_history THEN
        DELETE FROM fraud.event_predictions p WHERE p.event_type_name = fraud_delete_event.event_type_name
                                                AND p.event_id = fraud_delete_event.event_id;
    END IF;
END $$;
COMMENT ON FUNCTION fraud_delete_event(text, text, boolean) IS 'DeleteEvent: deletes the stored event (a missing one is a NOTICE); with delete_audit_history => true also its prediction history in fraud.event_predictions. Errors: 22023 invalid id; 42704 unknown event type.';

CREATE FUNCTION fraud_update_event_label(event_id text, event_type_name text, assigned_label text, label_timestamp text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE lts timestamptz;
BEGIN
    PERFORM fraud._check_identifier('event_id', event_id);
    PERFORM fraud._event_type(event_type_name);
    PERFORM fraud._check_event_label(event_type_name, assigned_label);
    lts := fraud._timestamp('label_timestamp', label_timestamp);
    UPDATE fraud.events e SET event_label = assigned_label, label_timestamp = lts
        WHERE e.event_type_name = fraud_update_event_label.event_type_name AND e.event_id = fraud_update_event_label.event_id;
    IF NOT FOUND THEN
        PERFORM fraud._not_found('event', event_type_name || '/' || event_id);
    END IF;
END $$;
COMMENT ON FUNCTION fraud_update_event_label(text, text, text, text) IS 'UpdateEventLabel: sets the label of a stored event and its label timestamp. Errors: 22023 a label that is not one of the event type''s, a bad timestamp; 42704 unknown event type or event.';

-- The NOTIFY payload of a recorded prediction (docs/sql-reference.md, "Prediction
-- notifications"): compact JSON that names the row of fraud.event_predictions (predictionId)
-- and says what was decided. PostgreSQL refuses a payload of 8000 bytes or more (8 kB blocks), so when the
-- whole does not fit, the largest of entities, outcomes and modelScores is left out, then the
-- next largest, until it fits, and "truncated" lists what was left out. The other fields are
-- identifiers of at most 64 characters, numbers and timestamps (under 500 bytes together), so
-- they always stay. The outbox reading of docs/sql-reference.md builds the same fields from the
-- row's columns.
CREATE FUNCTION fraud._prediction_notification(p fraud.event_predictions) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    payload jsonb := jsonb_build_object(
        'predictionId', p.prediction_id, 'eventTypeName', p.event_type_name, 'eventId', p.event_id,
        'eventTimestamp', to_char(p.event_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'entities', p.entities, 'detectorId', p.detector_id, 'detectorVersionId', p.detector_version_id::text,
        'outcomes', p.metadata->'outcomes', 'modelScores', p.result->'modelScores',
        'predictionTimestamp', to_char(p.prediction_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'));
    left_out text[] := '{}';
    biggest text;
    -- PostgreSQL's NOTIFY_PAYLOAD_MAX_LENGTH: BLCKSZ - NAMEDATALEN - 128, 8000 with 8 kB blocks
    max_bytes constant int := current_setting('block_size')::int - 64 - 128;
BEGIN
    WHILE octet_length(payload::text) >= max_bytes LOOP
        SELECT k INTO biggest FROM unnest(ARRAY['entities', 'outcomes', 'modelScores']) k
            WHERE payload ? k ORDER BY octet_length((payload->k)::text) DESC, k LIMIT 1;
        EXIT WHEN biggest IS NULL;
        left_out := left_out || biggest;
        payload := payload - biggest || jsonb_build_object('truncated', left_out);
    END LOOP;
    RETURN payload::text;
END $$;

-- GetEventPrediction: scores like fraud_predict, records the prediction, and stores the event
-- when the event type's ingestion is ENABLED (a repeated event id replaces the stored event's
-- data and keeps its label). With the event type's event orchestration enabled it also
-- publishes the prediction with NOTIFY, AFD's "Event Prediction Result Returned" event
-- (docs/sql-reference.md, "Prediction notifications"). External models are not implemented, so
-- there is no external_model_endpoint_data_blobs argument. When it scores the ACTIVE version it
-- also scores the detector's shadow versions (docs/velocity-and-backtesting.md) and records
-- their results, which nobody but fraud_rule_stats sees.
CREATE FUNCTION fraud_get_event_prediction(
    detector_id text, event_id text, event_type_name text, entities jsonb, event_timestamp text,
    event_variables jsonb, detector_version_id text DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    d fraud.detectors; t fraud.event_types; ts timestamptz; vars jsonb; ents jsonb;
    ev jsonb; result jsonb; meta jsonb; scored fraud.scored; recorded fraud.event_predictions;
    shadow_version int; shadow_scored fraud.scored;
BEGIN
    SELECT * INTO d FROM fraud.detectors x WHERE x.detector_id = fraud_get_event_prediction.detector_id;
    IF NOT FOUND THEN
        PERFORM fraud._check_identifier('detector_id', detector_id);
        PERFORM fraud._not_found('detector', detector_id);
    END IF;
    PERFORM fraud._check_identifier('event_id', event_id);
    t := fraud._event_type(event_type_name);
    IF d.event_type_name <> t.name THEN
        PERFORM fraud._invalid('event_type_name', event_type_name,
                               format('(detector %s scores events of type %s)', quote_literal(d.detector_id), quote_literal(d.event_type_name)));
    END IF;
    ts := fraud._timestamp('event_timestamp', event_timestamp);
    vars := fraud._checked_variables(t.name, event_variables);
    ents := fraud._checked_entities(t.name, entities);
    ev := jsonb_build_object('eventId', event_id, 'eventTypeName', t.name, 'eventTimestamp', event_timestamp,
                             'entities', ents, 'eventVariables', vars);
    -- one scoring gives the prediction and its explanation (GetEventPredictionMetadata)
    scored := fraud._score(d.detector_id, ev, detector_version_id, true);
    result := scored.prediction;
    meta := scored.metadata;
    -- the transaction takes its id before the prediction takes its prediction_id: the outbox
    -- reading of docs/sql-reference.md ("Prediction notifications") waits for the transactions
    -- a snapshot shows running, and a prediction_id must not belong to one that had no id yet
    PERFORM pg_current_xact_id();
    INSERT INTO fraud.event_predictions (detector_id, detector_version_id, event_type_name, event_id, event_timestamp,
                                         prediction_timestamp, entities, result, metadata)
        VALUES (d.detector_id, (meta->>'detectorVersionId')::int, t.name, event_id, ts,
                date_trunc('milliseconds', clock_timestamp()), ents, result, meta)
        RETURNING * INTO recorded;
    -- delivered when (and if) the transaction commits, in commit order; the prediction_id in
    -- the payload keeps two predictions of one transaction from being merged into one
    IF t.event_orchestration @> '{"eventBridgeEnabled": true}' THEN
        PERFORM pg_notify('fraud_detector_predictions', fraud._prediction_notification(recorded));
    END IF;
    -- Shadow versions, only next to the ACTIVE version (a caller naming a version asked for that
    -- one): the same event, recorded with shadow = true and the caller's prediction_timestamp,
    -- never returned nor notified. One catalog read when the detector has none. A shadow that
    -- cannot score (a catalog written around the API, a version deleted meanwhile) records
    -- nothing and never fails the caller's prediction: its subtransaction is rolled back and
    -- the server log says why (LOG: not sent to the client at the default client_min_messages).
    IF detector_version_id IS NULL THEN
        FOR shadow_version IN SELECT x.detector_version_id FROM fraud.detector_versions x
                              WHERE x.detector_id = d.detector_id AND x.shadow ORDER BY x.detector_version_id LOOP
            BEGIN
                shadow_scored := fraud._score(d.detector_id, ev, shadow_version::text, true);
                INSERT INTO fraud.event_predictions (detector_id, detector_version_id, event_type_name, event_id,
                                                     event_timestamp, prediction_timestamp, entities, result, metadata, shadow)
                    VALUES (d.detector_id, shadow_version, t.name, event_id, ts, recorded.prediction_timestamp, ents,
                            shadow_scored.prediction, shadow_scored.metadata, true);
            EXCEPTION WHEN OTHERS THEN
                RAISE LOG 'fraud_get_event_prediction: shadow detector version %/% not scored: % (SQLSTATE %)',
                          d.detector_id, shadow_version, SQLERRM, SQLSTATE;
            END;
        END LOOP;
    END IF;
    -- stored last: no scoring of this call (the shadows' included) may count the event itself in
    -- its aggregate variables (docs/velocity-and-backtesting.md). EXCLUDED.ingested_time is the
    -- column's default, now(): Citus takes no function in DO UPDATE SET (docs/scale-out.md).
    IF t.event_ingestion = 'ENABLED' THEN
        INSERT INTO fraud.events (event_type_name, event_id, event_timestamp, entities, event_variables)
            VALUES (t.name, event_id, ts, ents, vars)
            ON CONFLICT ON CONSTRAINT events_pkey DO UPDATE SET
                event_timestamp = EXCLUDED.event_timestamp, entities = EXCLUDED.entities,
                event_variables = EXCLUDED.event_variables, ingested_time = EXCLUDED.ingested_time;
    END IF;
    RETURN result;
END $$;
COMMENT ON FUNCTION fraud_get_event_prediction(text, text, text, jsonb, text, jsonb, text) IS 'GetEventPrediction: validates the event as fraud_send_event, scores it like fraud_predict (same jsonb), records it in fraud.event_predictions, with ingestion ENABLED stores the event, and with event orchestration enabled sends NOTIFY fraud_detector_predictions (JSON payload with the predictionId; delivered on commit); scoring the ACTIVE version (detector_version_id NULL), it also scores the detector''s shadow versions and records their results (shadow = true), never returned. VOLATILE. Errors: 42704 unknown detector, version or no ACTIVE version; 22023 bad event or event type.';

-- A FilterCondition {"value": "..."} (NULL: no filter).
CREATE FUNCTION fraud._filter_value(field text, f jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF f IS NULL THEN RETURN NULL; END IF;
    IF jsonb_typeof(f) <> 'object' OR jsonb_typeof(f->'value') IS DISTINCT FROM 'string'
       OR EXISTS (SELECT 1 FROM jsonb_object_keys(f) k WHERE k <> 'value') THEN
        PERFORM fraud._invalid(field, f::text, '(must be a filter condition {"value": string})');
    END IF;
    PERFORM fraud._check_pattern(field, f->>'value', '^[0-9A-Za-z_-]+$', 1, 256);
    RETURN f->>'value';
END $$;

CREATE FUNCTION fraud._list_event_predictions(p_event_id jsonb, p_event_type jsonb, p_detector_id jsonb,
                                              p_detector_version_id jsonb, p_prediction_time_range jsonb)
RETURNS TABLE (event_id text, event_type_name text, event_timestamp timestamptz, prediction_timestamp timestamptz,
               detector_id text, detector_version_id text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    f_event text := fraud._filter_value('event_id', p_event_id);
    f_type text := fraud._filter_value('event_type', p_event_type);
    f_detector text := fraud._filter_value('detector_id', p_detector_id);
    f_version text := fraud._filter_value('detector_version_id', p_detector_version_id);
    t_start timestamptz; t_end timestamptz;
BEGIN
    IF p_prediction_time_range IS NOT NULL THEN
        IF jsonb_typeof(p_prediction_time_range) <> 'object'
           OR jsonb_typeof(p_prediction_time_range->'startTime') IS DISTINCT FROM 'string'
           OR jsonb_typeof(p_prediction_time_range->'endTime') IS DISTINCT FROM 'string' THEN
            PERFORM fraud._invalid('prediction_time_range', p_prediction_time_range::text,
                                   '(must be {"startTime": timestamp, "endTime": timestamp})');
        END IF;
        t_start := fraud._timestamp('prediction_time_range.startTime', p_prediction_time_range->>'startTime');
        t_end := fraud._timestamp('prediction_time_range.endTime', p_prediction_time_range->>'endTime');
        IF t_end < t_start THEN
            PERFORM fraud._invalid('prediction_time_range', p_prediction_time_range::text, '(endTime is before startTime)');
        END IF;
    END IF;
    RETURN QUERY
    SELECT p.event_id, p.event_type_name, p.event_timestamp, p.prediction_timestamp, p.detector_id,
           p.detector_version_id::text
    FROM fraud.event_predictions p
    WHERE (f_event IS NULL OR p.event_id = f_event)
      AND (f_type IS NULL OR p.event_type_name = f_type)
      AND (f_detector IS NULL OR p.detector_id = f_detector)
      AND (f_version IS NULL OR p.detector_version_id::text = f_version)
      AND (t_start IS NULL OR p.prediction_timestamp BETWEEN t_start AND t_end)
      AND NOT p.shadow
    ORDER BY p.prediction_timestamp DESC, p.prediction_id DESC;
END $$;

-- Newest first; filters are the reference's FilterCondition {"value": "..."}.
CREATE FUNCTION fraud_list_event_predictions(event_id jsonb DEFAULT NULL, event_type jsonb DEFAULT NULL,
                                             detector_id jsonb DEFAULT NULL, detector_version_id jsonb DEFAULT NULL,
                                             prediction_time_range jsonb DEFAULT NULL)
RETURNS TABLE (event_id text, event_type_name text, event_timestamp timestamptz, prediction_timestamp timestamptz,
               detector_id text, detector_version_id text)
LANGUAGE sql STABLE AS $$
    SELECT * FROM fraud._list_event_predictions(event_id, event_type, detector_id, detector_version_id, prediction_time_range)
$$;
COMMENT ON FUNCTION fraud_list_event_predictions(jsonb, jsonb, jsonb, jsonb, jsonb) IS 'ListEventPredictions: recorded predictions (those returned to callers, not shadow versions'' results), newest first, filtered by FilterConditions {"value": "..."} and prediction_time_range {"startTime", "endTime"} (inclusive); no 30-day limit. Errors: 22023 malformed filter or range, end before start.';

-- GetEventPredictionMetadata: the recorded explanation (fraud_explain's shape) of one prediction,
-- found by its prediction_timestamp as epoch milliseconds or as text.
CREATE FUNCTION fraud_get_event_prediction_metadata(event_id text, event_type_name text, detector_id text,
                                                    detector_version_id text, prediction_timestamp text)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE p fraud.event_predictions; at timestamptz;
BEGIN
    PERFORM fraud._check_identifier('event_id', event_id);
    PERFORM fraud._check_identifier('event_type_name', event_type_name);
    PERFORM fraud._check_identifier('detector_id', detector_id);
    PERFORM fraud._version_number('detector_version_id', detector_version_id);
    at := fraud._prediction_timestamp('prediction_timestamp', prediction_timestamp);
    SELECT * INTO p FROM fraud.event_predictions x
        WHERE x.event_type_name = fraud_get_event_prediction_metadata.event_type_name
          AND x.event_id = fraud_get_event_prediction_metadata.event_id
          AND x.detector_id = fraud_get_event_prediction_metadata.detector_id
          AND x.detector_version_id = fraud_get_event_prediction_metadata.detector_version_id::int
          AND x.prediction_timestamp = at
          AND NOT x.shadow
        ORDER BY x.prediction_id DESC LIMIT 1;
    IF NOT FOUND THEN
        PERFORM fraud._not_found('prediction', format('%s/%s by %s/%s at %s', event_type_name, event_id,
                                                      detector_id, detector_version_id, prediction_timestamp));
    END IF;
    RETURN p.metadata || jsonb_build_object(
        'eventId', p.event_id, 'eventTypeName', p.event_type_name,
        'entityId', p.entities->0->>'entityId', 'entityType', p.entities->0->>'entityType',
        'eventTimestamp', to_char(p.event_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'predictionTimestamp', to_char(p.prediction_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'));
END $$;
COMMENT ON FUNCTION fraud_get_event_prediction_metadata(text, text, text, text, text) IS 'GetEventPredictionMetadata: the recorded explanation of one prediction (one returned to its caller, never a shadow version''s) as jsonb (fraud_explain''s shape plus eventId, entityId, entityType, eventTimestamp, predictionTimestamp); prediction_timestamp is epoch milliseconds or a timestamp such as ListEventPredictions'' prediction_timestamp::text. Errors: 42704 no such prediction; 22023 bad arguments.';

-- Rule statistics from the prediction history: per detector version (shadow results apart)
-- and rule version, how often the rule was evaluated and matched, and how the matched events
-- are labelled now (fraud.events, the label the event carries when this runs). Which labels
-- mean fraud is the caller's: labels are user-defined names.
CREATE FUNCTION fraud._rule_stats(p_detector_id text, p_from timestamptz, p_to timestamptz, p_fraud_labels text[])
RETURNS TABLE (detector_version_id text, shadow boolean, rule_id text, rule_version text, predictions bigint,
               evaluated bigint, matched bigint, labeled_matched bigint, matched_fraud bigint,
               "precision" double precision)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM fraud._check_identifier('detector_id', p_detector_id);
    IF NOT EXISTS (SELECT 1 FROM fraud.detectors d WHERE d.detector_id = p_detector_id) THEN
        PERFORM fraud._not_found('detector', p_detector_id);
    END IF;
    PERFORM fraud._required('from', p_from);
    PERFORM fraud._required('to', p_to);
    IF p_to < p_from THEN
        PERFORM fraud._invalid('to', p_to::text, format('(before from, %s)', p_from));
    END IF;
    PERFORM fraud._check_flat('fraud_labels', p_fraud_labels);
    PERFORM fraud._check_names('fraud_labels', p_fraud_labels, 1);
    PERFORM fraud._check_exist('label', 'labels', p_fraud_labels);
    RETURN QUERY
    WITH p AS (
        SELECT x.detector_version_id AS version, x.shadow AS is_shadow, x.metadata->'rules' AS rules, e.event_label AS label
        FROM fraud.event_predictions x
        LEFT JOIN fraud.events e ON e.event_type_name = x.event_type_name AND e.event_id = x.event_id
        WHERE x.detector_id = p_detector_id AND x.prediction_timestamp >= p_from AND x.prediction_timestamp < p_to
    ), n AS (
        SELECT p.version, p.is_shadow, count(*) AS predictions FROM p GROUP BY p.version, p.is_shadow
    ), r AS (
        SELECT p.version, p.is_shadow, r.rule->>'ruleId' AS rule, r.rule->>'ruleVersion' AS rule_version_text, r.pos,
               (r.rule->>'evaluated')::boolean AS was_evaluated, (r.rule->>'matched')::boolean AS was_matched, p.label
        FROM p CROSS JOIN LATERAL jsonb_array_elements(p.rules) WITH ORDINALITY r(rule, pos)
    )
    SELECT r.version::text, r.is_shadow, r.rule, r.rule_version_text, n.predictions,
           count(*) FILTER (WHERE r.was_evaluated),
           count(*) FILTER (WHERE r.was_matched),
           count(*) FILTER (WHERE r.was_matched AND r.label IS NOT NULL),
           count(*) FILTER (WHERE r.was_matched AND r.label = ANY (p_fraud_labels)),
           count(*) FILTER (WHERE r.was_matched AND r.label = ANY (p_fraud_labels))::double precision
               / nullif(count(*) FILTER (WHERE r.was_matched AND r.label IS NOT NULL), 0)
    FROM r JOIN n ON n.version = r.version AND n.is_shadow = r.is_shadow
    GROUP BY r.version, r.is_shadow, r.rule, r.rule_version_text, n.predictions
    ORDER BY r.version, r.is_shadow, min(r.pos), r.rule, r.rule_version_text;
END $$;

CREATE FUNCTION fraud_rule_stats(detector_id text, "from" timestamptz, "to" timestamptz, fraud_labels text[] DEFAULT '{fraud}')
RETURNS TABLE (detector_version_id text, shadow boolean, rule_id text, rule_version text, predictions bigint,
               evaluated bigint, matched bigint, labeled_matched bigint, matched_fraud bigint,
               "precision" double precision)
LANGUAGE sql STABLE AS $$ SELECT * FROM fraud._rule_stats(detector_id, "from", "to", fraud_labels) $$;
COMMENT ON FUNCTION fraud_rule_stats(text, timestamptz, timestamptz, text[]) IS 'Per detector version (shadow results apart) and rule version, from the predictions recorded by fraud_get_event_prediction with prediction_timestamp in [from, to): predictions (of the version), evaluated and matched (how often the rule was), labeled_matched (matched events whose stored event in fraud.events carries a label now), matched_fraud (labelled one of fraud_labels, default {fraud}) and precision = matched_fraud / labeled_matched (NULL when no matched event is labelled). STABLE. Errors: 42704 no such detector or label; 22023 bad arguments, NULLs, to before from.';
