-- Shadow detector versions and fraud_rule_stats (branch `shadow`, issue 13): the statements
-- sql/fraud_detector--0.1.0--0.2.0.sql needs for them, written apart because that script is
-- the lead engineer's. Append them after the script's own statements and before its last line
-- (`SELECT fraud._secure_api();`, which secures the new and replaced functions): they assume
-- the script has already created the 0.2.0 forms of the functions they replace
-- (fraud._describe_detector(p_detector_id text) among them). Each ALTER TABLE adds its column at
-- the end of the table, after any column the script adds to the same table, as sql/catalog.sql
-- has it. Checked on main at cb80a5f (before 639c331): appended there (just before that last
-- line), the upgrade suite passes (upgraded objects equal a fresh install, 635 objects; rows and
-- predictions kept).

-- Catalog: the shadow flag of a version, and of a recorded prediction.
ALTER TABLE fraud.detector_versions ADD COLUMN shadow boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT detector_version_shadow_not_active CHECK (NOT (shadow AND status = 'ACTIVE'));
COMMENT ON COLUMN fraud.detector_versions.shadow IS 'A shadow version (DRAFT or INACTIVE, never ACTIVE: CHECK detector_version_shadow_not_active): fraud_get_event_prediction scores it too whenever it scores the ACTIVE version, and records its result in fraud.event_predictions with shadow = true, never returning it. Set by fraud_update_detector_version_shadow; activating the version clears it.';
ALTER TABLE fraud.event_predictions ADD COLUMN shadow boolean NOT NULL DEFAULT false;
COMMENT ON TABLE fraud.event_predictions IS 'Prediction history: one row per fraud_get_event_prediction call (fraud_predict records nothing), read by fraud_list_event_predictions and fraud_get_event_prediction_metadata, and the outbox of prediction notifications, read by prediction_id (docs/sql-reference.md, "Prediction notifications"); and, with shadow = true, one row per shadow version such a call scored, read by fraud_rule_stats only. Kept until deleted (no 30-day limit).';
COMMENT ON COLUMN fraud.event_predictions.shadow IS 'true: the result of a shadow version (fraud.detector_versions.shadow), scored with the same event and prediction_timestamp as the prediction the caller got and never returned, notified, listed by fraud_list_event_predictions or shown by fraud_get_event_prediction_metadata; read by fraud_rule_stats. Outbox readers skip these rows (docs/sql-reference.md, "Prediction notifications").';

-- fraud_describe_detector and fraud_get_detector_version gain a result column (shadow). A
-- result type cannot change with CREATE OR REPLACE: the public functions are renamed, created
-- again, given the EXECUTE grants the old ones had to roles (what CREATE OR REPLACE would have
-- kept, docs/upgrading.md; PUBLIC's is not carried, fraud._secure_api revokes it anyway), and
-- the old ones dropped. Their internal helpers hold no grants.
ALTER FUNCTION @extschema@.fraud_describe_detector(text) RENAME TO fraud_describe_detector_before_shadow;
ALTER FUNCTION @extschema@.fraud_get_detector_version(text, text) RENAME TO fraud_get_detector_version_before_shadow;
DROP FUNCTION fraud._describe_detector(text);
DROP FUNCTION fraud._get_detector_version(text, text);
CREATE FUNCTION fraud._describe_detector(p_detector_id text)
RETURNS TABLE (detector_id text, detector_version_id text, status text, description text,
               last_updated_time timestamptz, arn text, shadow boolean)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM fraud._check_identifier('detector_id', p_detector_id);
    IF NOT EXISTS (SELECT 1 FROM fraud.detectors d WHERE d.detector_id = p_detector_id) THEN
        PERFORM fraud._not_found('detector', p_detector_id);
    END IF;
    RETURN QUERY
    SELECT v.detector_id, v.detector_version_id::text, v.status, v.description, v.last_updated_time,
           fraud._arn('detector', v.detector_id), v.shadow
    FROM fraud.detector_versions v WHERE v.detector_id = p_detector_id ORDER BY v.detector_version_id;
END $$;

CREATE FUNCTION @extschema@.fraud_describe_detector(detector_id text)
RETURNS TABLE (detector_id text, detector_version_id text, status text, description text,
               last_updated_time timestamptz, arn text, shadow boolean)
LANGUAGE sql STABLE AS $$ SELECT * FROM fraud._describe_detector(detector_id) $$;
COMMENT ON FUNCTION @extschema@.fraud_describe_detector(text) IS 'DescribeDetector: one row per version of the detector (detector_version_id, status, description, last_updated_time; arn is the detector''s; shadow: a shadow version). Errors: 22023 invalid id; 42704 no such detector.';

CREATE FUNCTION fraud._get_detector_version(p_detector_id text, p_detector_version_id text)
RETURNS TABLE (detector_id text, detector_version_id text, description text, external_model_endpoints text[],
               model_versions jsonb, rules jsonb, status text, last_updated_time timestamptz,
               created_time timestamptz, rule_execution_mode text, arn text, shadow boolean)
LANGUAGE plpgsql STABLE AS $$
DECLARE n int;
BEGIN
    PERFORM fraud._check_identifier('detector_id', p_detector_id);
    n := fraud._version_number('detector_version_id', p_detector_version_id);
    RETURN QUERY
    SELECT v.detector_id, v.detector_version_id::text, v.description, v.external_model_endpoints, v.model_versions,
           coalesce((SELECT jsonb_agg(fraud._rule_json(r.detector_id, r.rule_id, r.rule_version) ORDER BY r.position)
                     FROM fraud.detector_version_rules r
                     WHERE r.detector_id = v.detector_id AND r.detector_version_id = v.detector_version_id), '[]'),
           v.status, v.last_updated_time, v.created_time, v.rule_execution_mode,
           fraud._arn('detector-version', format('%s/%s', v.detector_id, v.detector_version_id)), v.shadow
    FROM fraud.detector_versions v
    WHERE v.detector_id = p_detector_id AND v.detector_version_id = n;
    IF NOT FOUND THEN
        PERFORM fraud._not_found('detector version', format('%s/%s', p_detector_id, p_detector_version_id));
    END IF;
END $$;

CREATE FUNCTION @extschema@.fraud_get_detector_version(detector_id text, detector_version_id text)
RETURNS TABLE (detector_id text, detector_version_id text, description text, external_model_endpoints text[],
               model_versions jsonb, rules jsonb, status text, last_updated_time timestamptz,
               created_time timestamptz, rule_execution_mode text, arn text, shadow boolean)
LANGUAGE sql STABLE AS $$ SELECT * FROM fraud._get_detector_version(detector_id, detector_version_id) $$;
COMMENT ON FUNCTION @extschema@.fraud_get_detector_version(text, text) IS 'GetDetectorVersion: the version as one row (rules jsonb in evaluation order, model_versions, external_model_endpoints, status, rule_execution_mode, times, arn, and shadow: whether it is a shadow version). Errors: 42704 no such version; 22023 bad version id.';

DO $$
DECLARE g record;
BEGIN
    FOR g IN
        SELECT o.new_signature, a.grantee
        FROM (VALUES ('@extschema@.fraud_describe_detector_before_shadow(text)'::regprocedure,
                      '@extschema@.fraud_describe_detector(text)'::regprocedure),
                     ('@extschema@.fraud_get_detector_version_before_shadow(text, text)'::regprocedure,
                      '@extschema@.fraud_get_detector_version(text, text)'::regprocedure)) o(old_signature, new_signature)
        JOIN pg_catalog.pg_proc p ON p.oid = o.old_signature
        CROSS JOIN LATERAL pg_catalog.aclexplode(p.proacl) a
        WHERE a.privilege_type = 'EXECUTE' AND a.grantee <> 0 AND a.grantee <> p.proowner
    LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %s', g.new_signature, g.grantee::regrole);
    END LOOP;
END $$;
DROP FUNCTION @extschema@.fraud_describe_detector_before_shadow(text);
DROP FUNCTION @extschema@.fraud_get_detector_version_before_shadow(text, text);

-- Activation clears the shadow flag.
CREATE OR REPLACE FUNCTION @extschema@.fraud_update_detector_version_status(detector_id text, detector_version_id text, status text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE v fraud.detector_versions;
BEGIN
    PERFORM fraud._check_enum('status', status, ARRAY['DRAFT', 'ACTIVE', 'INACTIVE']);
    -- lock the detector first: concurrent activations of two versions serialise here
    PERFORM fraud._lock_detector(detector_id);
    v := fraud._lock_detector_version(detector_id, detector_version_id);
    IF NOT ((v.status = 'DRAFT' AND status = 'ACTIVE') OR (v.status = 'ACTIVE' AND status = 'INACTIVE')
            OR (v.status = 'INACTIVE' AND status = 'ACTIVE')) THEN
        PERFORM fraud._conflict(format('detector version %s/%s is %s and cannot become %s (allowed: DRAFT to ACTIVE, ACTIVE to INACTIVE, INACTIVE to ACTIVE)',
                                       detector_id, detector_version_id, v.status, status));
    END IF;
    IF status = 'ACTIVE' AND NOT EXISTS (SELECT 1 FROM fraud.detector_version_rules r
            WHERE r.detector_id = v.detector_id AND r.detector_version_id = v.detector_version_id)
       AND jsonb_array_length(v.model_versions) = 0 THEN
        PERFORM fraud._invalid('detector_version_id', detector_version_id, '(a detector version needs at least one rule or model version to be ACTIVE)');
    END IF;
    IF status = 'ACTIVE' THEN
        -- what goes live must compile against the catalog as it is now
        PERFORM fraud._check_detector_version(v.detector_id, v.detector_version_id::text);
        UPDATE fraud.detector_versions x SET status = 'INACTIVE', last_updated_time = now()
            WHERE x.detector_id = v.detector_id AND x.status = 'ACTIVE';
    END IF;
    -- an ACTIVE version is never a shadow: going live ends the shadowing
    UPDATE fraud.detector_versions x SET status = fraud_update_detector_version_status.status,
                                         shadow = x.shadow AND fraud_update_detector_version_status.status <> 'ACTIVE',
                                         last_updated_time = now()
        WHERE x.detector_id = v.detector_id AND x.detector_version_id = v.detector_version_id;
END $$;
COMMENT ON FUNCTION @extschema@.fraud_update_detector_version_status(text, text, text) IS 'UpdateDetectorVersionStatus: DRAFT to ACTIVE, ACTIVE to INACTIVE, INACTIVE to ACTIVE; activating compiles the version, clears its shadow flag and makes the previously ACTIVE one INACTIVE. Errors: 55006 other transitions; 22023 unknown status, no rules and no models, rules that no longer compile; 42704.';

-- New: marking shadow versions (capability managing).
CREATE FUNCTION @extschema@.fraud_update_detector_version_shadow(detector_id text, detector_version_id text, shadow boolean)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE v fraud.detector_versions;
BEGIN
    -- lock the detector first, as activation does: the two serialise
    PERFORM fraud._lock_detector(detector_id);
    v := fraud._lock_detector_version(detector_id, detector_version_id);
    PERFORM fraud._required('shadow', shadow);
    IF v.status = 'ACTIVE' THEN
        PERFORM fraud._conflict(format('detector version %s/%s is ACTIVE; only a DRAFT or INACTIVE version can be a shadow',
                                       detector_id, detector_version_id));
    END IF;
    IF shadow THEN
        IF NOT EXISTS (SELECT 1 FROM fraud.detector_version_rules r
                       WHERE r.detector_id = v.detector_id AND r.detector_version_id = v.detector_version_id)
           AND jsonb_array_length(v.model_versions) = 0 THEN
            PERFORM fraud._invalid('detector_version_id', detector_version_id, '(a detector version needs at least one rule or model version to be a shadow)');
        END IF;
        PERFORM fraud._check_detector_version(v.detector_id, v.detector_version_id::text);
    END IF;
    UPDATE fraud.detector_versions x SET shadow = fraud_update_detector_version_shadow.shadow, last_updated_time = now()
        WHERE x.detector_id = v.detector_id AND x.detector_version_id = v.detector_version_id;
END $$;
COMMENT ON FUNCTION @extschema@.fraud_update_detector_version_shadow(text, text, boolean) IS 'Marks (shadow true) or unmarks a DRAFT or INACTIVE detector version as a shadow: fraud_get_event_prediction scores every shadow of the detector next to its ACTIVE version and records each result in fraud.event_predictions (shadow = true) without returning, notifying or listing it; fraud_rule_stats compares them. Marking compiles the version as activation does; activating it clears the flag. Errors: 55006 the version is ACTIVE; 42704 no such detector or version; 22023 bad arguments, shadow NULL, no rules and no models, rules that no longer compile.';

-- GetEventPrediction scores and records the shadows; ListEventPredictions and
-- GetEventPredictionMetadata leave their rows out.
CREATE OR REPLACE FUNCTION @extschema@.fraud_get_event_prediction(
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
    IF t.event_ingestion = 'ENABLED' THEN
        INSERT INTO fraud.events (event_type_name, event_id, event_timestamp, entities, event_variables)
            VALUES (t.name, event_id, ts, ents, vars)
            ON CONFLICT ON CONSTRAINT events_pkey DO UPDATE SET
                event_timestamp = EXCLUDED.event_timestamp, entities = EXCLUDED.entities,
                event_variables = EXCLUDED.event_variables, ingested_time = now();
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
    RETURN result;
END $$;
COMMENT ON FUNCTION @extschema@.fraud_get_event_prediction(text, text, text, jsonb, text, jsonb, text) IS 'GetEventPrediction: validates the event as fraud_send_event, scores it like fraud_predict (same jsonb), records it in fraud.event_predictions, with ingestion ENABLED stores the event, and with event orchestration enabled sends NOTIFY fraud_detector_predictions (JSON payload with the predictionId; delivered on commit); scoring the ACTIVE version (detector_version_id NULL), it also scores the detector''s shadow versions and records their results (shadow = true), never returned. VOLATILE. Errors: 42704 unknown detector, version or no ACTIVE version; 22023 bad event or event type.';

CREATE OR REPLACE FUNCTION fraud._list_event_predictions(p_event_id jsonb, p_event_type jsonb, p_detector_id jsonb,
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
COMMENT ON FUNCTION @extschema@.fraud_list_event_predictions(jsonb, jsonb, jsonb, jsonb, jsonb) IS 'ListEventPredictions: recorded predictions (those returned to callers, not shadow versions'' results), newest first, filtered by FilterConditions {"value": "..."} and prediction_time_range {"startTime", "endTime"} (inclusive); no 30-day limit. Errors: 22023 malformed filter or range, end before start.';

CREATE OR REPLACE FUNCTION @extschema@.fraud_get_event_prediction_metadata(event_id text, event_type_name text, detector_id text,
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
COMMENT ON FUNCTION @extschema@.fraud_get_event_prediction_metadata(text, text, text, text, text) IS 'GetEventPredictionMetadata: the recorded explanation of one prediction (one returned to its caller, never a shadow version''s) as jsonb (fraud_explain''s shape plus eventId, entityId, entityType, eventTimestamp, predictionTimestamp); prediction_timestamp is epoch milliseconds or a timestamp such as ListEventPredictions'' prediction_timestamp::text. Errors: 42704 no such prediction; 22023 bad arguments.';

-- New: rule statistics (capability reading).
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

CREATE FUNCTION @extschema@.fraud_rule_stats(detector_id text, "from" timestamptz, "to" timestamptz, fraud_labels text[] DEFAULT '{fraud}')
RETURNS TABLE (detector_version_id text, shadow boolean, rule_id text, rule_version text, predictions bigint,
               evaluated bigint, matched bigint, labeled_matched bigint, matched_fraud bigint,
               "precision" double precision)
LANGUAGE sql STABLE AS $$ SELECT * FROM fraud._rule_stats(detector_id, "from", "to", fraud_labels) $$;
COMMENT ON FUNCTION @extschema@.fraud_rule_stats(text, timestamptz, timestamptz, text[]) IS 'Per detector version (shadow results apart) and rule version, from the predictions recorded by fraud_get_event_prediction with prediction_timestamp in [from, to): predictions (of the version), evaluated and matched (how often the rule was), labeled_matched (matched events whose stored event in fraud.events carries a label now), matched_fraud (labelled one of fraud_labels, default {fraud}) and precision = matched_fraud / labeled_matched (NULL when no matched event is labelled). STABLE. Errors: 42704 no such detector or label; 22023 bad arguments, NULLs, to before from.';

-- The two new functions in their capabilities. This is the whole list as sql/privileges.sql has
-- it on this branch (based on main 639c331, so with the aggregate and backtest functions too):
-- if other notes also replace fraud._capabilities(), keep one statement with every line.
CREATE OR REPLACE FUNCTION fraud._capabilities() RETURNS TABLE (capability text, function_name text)
LANGUAGE sql IMMUTABLE AS $$
    SELECT c, f FROM (VALUES
    ('scoring', 'fraud_predict'), ('scoring', 'fraud_outcomes'), ('scoring', 'fraud_score_trigger'),
    ('scoring', 'fraud_get_event_prediction'), ('scoring', 'fraud_send_event'),

    ('reading', 'fraud_explain'), ('reading', 'fraud_get_detectors'), ('reading', 'fraud_describe_detector'),
    ('reading', 'fraud_get_detector_version'), ('reading', 'fraud_get_rules'), ('reading', 'fraud_get_variables'),
    ('reading', 'fraud_batch_get_variable'), ('reading', 'fraud_get_event_types'), ('reading', 'fraud_get_entity_types'),
    ('reading', 'fraud_get_labels'), ('reading', 'fraud_get_outcomes'), ('reading', 'fraud_get_lists_metadata'),
    ('reading', 'fraud_get_list_elements'), ('reading', 'fraud_list_tags_for_resource'), ('reading', 'fraud_get_event'),
    ('reading', 'fraud_get_event_prediction_metadata'), ('reading', 'fraud_list_event_predictions'),
    ('reading', 'fraud_get_aggregate_variables'), ('reading', 'fraud_backtest'), ('reading', 'fraud_backtest_events'),
    ('reading', 'fraud_rule_stats'),

    ('managing', 'fraud_put_detector'), ('managing', 'fraud_delete_detector'),
    ('managing', 'fraud_create_detector_version'), ('managing', 'fraud_update_detector_version'),
    ('managing', 'fraud_update_detector_version_metadata'), ('managing', 'fraud_update_detector_version_status'),
    ('managing', 'fraud_delete_detector_version'), ('managing', 'fraud_update_detector_version_shadow'),
    ('managing', 'fraud_create_rule'),
    ('managing', 'fraud_update_rule_metadata'), ('managing', 'fraud_update_rule_version'), ('managing', 'fraud_delete_rule'),
    ('managing', 'fraud_create_variable'), ('managing', 'fraud_batch_create_variable'), ('managing', 'fraud_update_variable'),
    ('managing', 'fraud_delete_variable'), ('managing', 'fraud_put_event_type'), ('managing', 'fraud_delete_event_type'),
    ('managing', 'fraud_put_entity_type'), ('managing', 'fraud_delete_entity_type'), ('managing', 'fraud_put_label'),
    ('managing', 'fraud_delete_label'), ('managing', 'fraud_put_outcome'), ('managing', 'fraud_delete_outcome'),
    ('managing', 'fraud_create_list'), ('managing', 'fraud_update_list'), ('managing', 'fraud_delete_list'),
    ('managing', 'fraud_tag_resource'), ('managing', 'fraud_untag_resource'), ('managing', 'fraud_update_event_label'),
    ('managing', 'fraud_delete_event'),
    ('managing', 'fraud_create_aggregate_variable'), ('managing', 'fraud_delete_aggregate_variable'),

    ('jobs', 'fraud_create_batch_import_job'), ('jobs', 'fraud_get_batch_import_jobs'),
    ('jobs', 'fraud_get_batch_import_job_errors'), ('jobs', 'fraud_cancel_batch_import_job'),
    ('jobs', 'fraud_delete_batch_import_job'), ('jobs', 'fraud_create_batch_prediction_job'),
    ('jobs', 'fraud_get_batch_prediction_jobs'), ('jobs', 'fraud_cancel_batch_prediction_job'),
    ('jobs', 'fraud_delete_batch_prediction_job'), ('jobs', 'fraud_delete_events_by_event_type'),
    ('jobs', 'fraud_get_delete_events_by_event_type_status'),
    ('jobs', 'fraud._caller_token'), ('jobs', 'fraud._create_batch_import_job'), ('jobs', 'fraud._get_batch_import_jobs'),
    ('jobs', 'fraud._get_batch_import_job_errors'), ('jobs', 'fraud._job_cancel'), ('jobs', 'fraud._job_delete'),
    ('jobs', 'fraud._create_batch_prediction_job'), ('jobs', 'fraud._get_batch_prediction_jobs'),
    ('jobs', 'fraud._delete_events_by_event_type'),
    -- a batch prediction's worker scores as the job's owner
    ('jobs', 'fraud._score'), ('jobs', 'fraud._score_historical'), ('jobs', 'fraud._event_error'),

    ('voice_evaluation', 'fraud_voice_evaluate_session'), ('voice_evaluation', 'fraud_check_voice_id'),

    ('voice_management', 'fraud_voice_create_domain'), ('voice_management', 'fraud_voice_describe_domain'),
    ('voice_management', 'fraud_voice_list_domains'), ('voice_management', 'fraud_voice_update_domain'),
    ('voice_management', 'fraud_voice_delete_domain'), ('voice_management', 'fraud_voice_create_watchlist'),
    ('voice_management', 'fraud_voice_describe_watchlist'), ('voice_management', 'fraud_voice_list_watchlists'),
    ('voice_management', 'fraud_voice_update_watchlist'), ('voice_management', 'fraud_voice_delete_watchlist'),
    ('voice_management', 'fraud_voice_associate_fraudster'), ('voice_management', 'fraud_voice_disassociate_fraudster'),
    ('voice_management', 'fraud_voice_describe_fraudster'), ('voice_management', 'fraud_voice_list_fraudsters'),
    ('voice_management', 'fraud_voice_delete_fraudster'), ('voice_management', 'fraud_voice_describe_speaker'),
    ('voice_management', 'fraud_voice_list_speakers'), ('voice_management', 'fraud_voice_delete_speaker'),
    ('voice_management', 'fraud_voice_opt_out_speaker'), ('voice_management', 'fraud_voice_start_fraudster_registration_job'),
    ('voice_management', 'fraud_voice_describe_fraudster_registration_job'),
    ('voice_management', 'fraud_voice_list_fraudster_registration_jobs'),
    ('voice_management', 'fraud_voice_start_speaker_enrollment_job'),
    ('voice_management', 'fraud_voice_describe_speaker_enrollment_job'),
    ('voice_management', 'fraud_voice_list_speaker_enrollment_jobs'), ('voice_management', 'fraud_voice_get_job_results'),
    ('voice_management', 'fraud._caller_token'), ('voice_management', 'fraud._voice_start_job'),
    ('voice_management', 'fraud._voice_jobs')
    ) v(c, f)
$$;

-- (then the script's last line: SELECT fraud._secure_api();)
