-- Detector versions: an ordered set of rule versions (and model slots) under one detector, with
-- the DRAFT -> ACTIVE <-> INACTIVE life cycle (CreateDetectorVersion, GetDetectorVersion,
-- UpdateDetectorVersion, UpdateDetectorVersionMetadata, UpdateDetectorVersionStatus,
-- DeleteDetectorVersion), and shadow versions, which AFD does not have
-- (docs/velocity-and-backtesting.md).

-- The `rules` argument: [{"detectorId", "ruleId", "ruleVersion"}], each an existing rule version
-- of this detector, each rule at most once. Returns them with their evaluation position.
CREATE FUNCTION fraud._rules_arg(detector_id text, rules jsonb)
RETURNS TABLE (pos int, rule_id text, rule_version int)
LANGUAGE plpgsql STABLE AS $$
DECLARE r jsonb; i int := 0; ref record; seen text[] := '{}';
BEGIN
    PERFORM fraud._required('rules', rules);
    IF jsonb_typeof(rules) <> 'array' THEN
        PERFORM fraud._invalid('rules', rules::text, '(must be an array of {"detectorId", "ruleId", "ruleVersion"})');
    END IF;
    FOR r IN SELECT jsonb_array_elements(rules) LOOP
        i := i + 1;
        ref := fraud._rule_ref(format('rules[%s]', i), r);
        IF ref.detector_id <> _rules_arg.detector_id THEN
            PERFORM fraud._invalid(format('rules[%s].detectorId', i), ref.detector_id,
                                   format('(rules must belong to detector %s)', quote_literal(detector_id)));
        END IF;
        IF ref.rule_id = ANY (seen) THEN
            PERFORM fraud._invalid(format('rules[%s].ruleId', i), ref.rule_id, '(a rule may appear once in a detector version)');
        END IF;
        seen := seen || ref.rule_id;
        PERFORM fraud._require_rule_version(ref.detector_id, ref.rule_id, ref.rule_version);
        pos := i; rule_id := ref.rule_id; rule_version := ref.rule_version;
        RETURN NEXT;
    END LOOP;
END $$;

-- The `model_versions` argument: [{"modelId", "modelType", "modelVersionNumber"[, "arn"]}]
-- checked against the reference; each must name an ACTIVE model version of a model of the
-- detector's event type, one version per model. Returned in the stored form (with the arn).
CREATE FUNCTION fraud._model_versions_arg(model_versions jsonb, p_event_type text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE m jsonb; i int := 0; v record; out jsonb := '[]';
BEGIN
    IF model_versions IS NULL THEN RETURN '[]'; END IF;
    IF jsonb_typeof(model_versions) <> 'array' THEN
        PERFORM fraud._invalid('model_versions', model_versions::text, '(must be an array of {"modelId", "modelType", "modelVersionNumber"})');
    END IF;
    FOR m IN SELECT jsonb_array_elements(model_versions) LOOP
        i := i + 1;
        IF jsonb_typeof(m) <> 'object' THEN
            PERFORM fraud._invalid(format('model_versions[%s]', i), m::text, '(must be an object)');
        END IF;
        PERFORM fraud._check_pattern(format('model_versions[%s].modelId', i), m->>'modelId', '^[0-9a-z_]+$', 1, 64);
        PERFORM fraud._check_enum(format('model_versions[%s].modelType', i), m->>'modelType', fraud._model_types());
        PERFORM fraud._check_pattern(format('model_versions[%s].modelVersionNumber', i), m->>'modelVersionNumber',
                                     '^[1-9][0-9]{0,3}\.[0-9]{1,2}$', 3, 7);
        SELECT x.status, mo.event_type_name INTO v FROM fraud.model_versions x JOIN fraud.models mo USING (model_id, model_type)
            WHERE x.model_id = m->>'modelId' AND x.model_type = m->>'modelType' AND x.model_version_number = m->>'modelVersionNumber';
        IF NOT FOUND THEN
            PERFORM fraud._not_found('model version', format('%s/%s/%s', m->>'modelId', m->>'modelType', m->>'modelVersionNumber'));
        END IF;
        IF v.event_type_name <> p_event_type THEN
            PERFORM fraud._invalid(format('model_versions[%s]', i), m::text,
                                   format('(model %s is for event type %s, the detector for %s)', m->>'modelId',
                                          quote_literal(v.event_type_name), quote_literal(p_event_type)));
        END IF;
        IF v.status <> 'ACTIVE' THEN
            PERFORM fraud._conflict(format('model version %s/%s/%s is %s; a detector version uses ACTIVE model versions only',
                                           m->>'modelId', m->>'modelType', m->>'modelVersionNumber', v.status));
        END IF;
        IF EXISTS (SELECT 1 FROM jsonb_array_elements(out) o WHERE o->>'modelId' = m->>'modelId') THEN
            PERFORM fraud._invalid(format('model_versions[%s]', i), m::text,
                                   '(one version per model id: rules name its score $<modelId>_insightscore)');
        END IF;
        out := out || jsonb_build_array(jsonb_build_object(
            'modelId', m->>'modelId', 'modelType', m->>'modelType', 'modelVersionNumber', m->>'modelVersionNumber',
            'arn', fraud._arn('model-version', format('%s/%s/%s', m->>'modelId', m->>'modelType', m->>'modelVersionNumber'))));
    END LOOP;
    RETURN out;
END $$;

-- External model endpoints: each must be an ASSOCIATED external model (fraud.external_models)
-- whose input configuration is for the detector's event type.
CREATE FUNCTION fraud._external_model_endpoints_arg(endpoints text[], p_event_type text) RETURNS text[]
LANGUAGE plpgsql STABLE AS $$
DECLARE e text; x fraud.external_models;
BEGIN
    PERFORM fraud._check_flat('external_model_endpoints', endpoints);
    FOREACH e IN ARRAY coalesce(endpoints, '{}') LOOP
        SELECT * INTO x FROM fraud.external_models m WHERE m.model_endpoint = e;
        IF NOT FOUND THEN
            PERFORM fraud._not_found('external model', coalesce(e, 'NULL'));
        END IF;
        IF x.model_endpoint_status <> 'ASSOCIATED' THEN
            PERFORM fraud._conflict(format('external model %s is DISSOCIATED', quote_literal(e)));
        END IF;
        IF x.input_configuration->>'eventTypeName' IS DISTINCT FROM p_event_type THEN
            PERFORM fraud._invalid('external_model_endpoints', e,
                                   format('(its input configuration is for event type %s, the detector for %s)',
                                          coalesce(quote_literal(x.input_configuration->>'eventTypeName'), 'none'), quote_literal(p_event_type)));
        END IF;
    END LOOP;
    IF (SELECT count(DISTINCT u) FROM unnest(endpoints) u) <> cardinality(endpoints) THEN
        PERFORM fraud._invalid('external_model_endpoints', endpoints::text, '(an endpoint is named twice)');
    END IF;
    RETURN coalesce(endpoints, '{}');
END $$;

CREATE FUNCTION fraud._lock_detector_version(detector_id text, detector_version_id text)
RETURNS fraud.detector_versions LANGUAGE plpgsql AS $$
DECLARE v fraud.detector_versions; n int;
BEGIN
    PERFORM fraud._check_identifier('detector_id', detector_id);
    n := fraud._version_number('detector_version_id', detector_version_id);
    SELECT * INTO v FROM fraud.detector_versions x
        WHERE x.detector_id = _lock_detector_version.detector_id AND x.detector_version_id = n FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM fraud._not_found('detector version', format('%s/%s', detector_id, detector_version_id));
    END IF;
    RETURN v;
END $$;

CREATE FUNCTION fraud._write_version_rules(detector_id text, detector_version_id int, rules jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM fraud.detector_version_rules x
        WHERE x.detector_id = _write_version_rules.detector_id AND x.detector_version_id = _write_version_rules.detector_version_id;
    INSERT INTO fraud.detector_version_rules(detector_id, detector_version_id, position, rule_id, rule_version)
        SELECT _write_version_rules.detector_id, _write_version_rules.detector_version_id, r.pos, r.rule_id, r.rule_version
        FROM fraud._rules_arg(detector_id, rules) r;
END $$;

CREATE FUNCTION fraud._create_detector_version(
    p_detector_id text, p_rules jsonb, p_description text, p_external_model_endpoints text[],
    p_model_versions jsonb, p_rule_execution_mode text, p_tags jsonb)
RETURNS TABLE (detector_id text, detector_version_id text, status text)
LANGUAGE plpgsql AS $$
DECLARE d fraud.detectors; n int; endpoints text[]; models jsonb;
BEGIN
    d := fraud._lock_detector(p_detector_id);
    PERFORM fraud._check_description('description', p_description);
    PERFORM fraud._check_enum('rule_execution_mode', p_rule_execution_mode, ARRAY['ALL_MATCHED', 'FIRST_MATCHED']);
    endpoints := fraud._external_model_endpoints_arg(p_external_model_endpoints, d.event_type_name);
    models := fraud._model_versions_arg(p_model_versions, d.event_type_name);
    PERFORM fraud._required('rules', p_rules);
    n := d.last_version_id + 1;
    IF n > 99999 THEN
        PERFORM fraud._raise('54000', format('detector %s has reached the maximum of 99999 versions', quote_literal(p_detector_id)));
    END IF;
    UPDATE fraud.detectors x SET last_version_id = n WHERE x.detector_id = d.detector_id;
    INSERT INTO fraud.detector_versions AS x (detector_id, detector_version_id, description, status,
                                              rule_execution_mode, external_model_endpoints, model_versions)
        VALUES (d.detector_id, n, p_description, 'DRAFT', p_rule_execution_mode, endpoints, models);
    PERFORM fraud._write_version_rules(d.detector_id, n, p_rules);
    PERFORM fraud._check_detector_version(d.detector_id, n::text);
    PERFORM fraud._set_tags('detector-version', format('%s/%s', d.detector_id, n), p_tags);
    RETURN QUERY SELECT d.detector_id, n::text, 'DRAFT'::text;
END $$;

-- A new DRAFT version with the next version id (never a reused one).
CREATE FUNCTION fraud_create_detector_version(
    detector_id text, rules jsonb, description text DEFAULT NULL, external_model_endpoints text[] DEFAULT NULL,
    model_versions jsonb DEFAULT NULL, rule_execution_mode text DEFAULT 'FIRST_MATCHED', tags jsonb DEFAULT NULL)
RETURNS TABLE (detector_id text, detector_version_id text, status text)
LANGUAGE sql AS $$
    SELECT * FROM fraud._create_detector_version(detector_id, rules, description, external_model_endpoints,
                                                 model_versions, rule_execution_mode, tags)
$$;
COMMENT ON FUNCTION fraud_create_detector_version(text, jsonb, text, text[], jsonb, text, jsonb) IS 'CreateDetectorVersion: a new DRAFT version (id one past the highest ever issued) with rules (rule references, in evaluation order) and rule_execution_mode FIRST_MATCHED or ALL_MATCHED, compiled now; returns (detector_id, detector_version_id, status). Errors: 42704; 22023; 54000.';

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

CREATE FUNCTION fraud_get_detector_version(detector_id text, detector_version_id text)
RETURNS TABLE (detector_id text, detector_version_id text, description text, external_model_endpoints text[],
               model_versions jsonb, rules jsonb, status text, last_updated_time timestamptz,
               created_time timestamptz, rule_execution_mode text, arn text, shadow boolean)
LANGUAGE sql STABLE AS $$ SELECT * FROM fraud._get_detector_version(detector_id, detector_version_id) $$;
COMMENT ON FUNCTION fraud_get_detector_version(text, text) IS 'GetDetectorVersion: the version as one row (rules jsonb in evaluation order, model_versions, external_model_endpoints, status, rule_execution_mode, times, arn, and shadow: whether it is a shadow version). Errors: 42704 no such version; 22023 bad version id.';

-- Only a DRAFT version can be edited. NULL description, model_versions or rule_execution_mode
-- keep what the version has; rules and external_model_endpoints are replaced.
-- The reference requires external_model_endpoints, which only external models fill; it
-- defaults to none here, and since every parameter after one with a default needs a default
-- too, so does rules: it is required all the same (NULL or omitted is 22023).
CREATE FUNCTION fraud_update_detector_version(
    detector_id text, detector_version_id text, external_model_endpoints text[] DEFAULT '{}', rules jsonb DEFAULT NULL,
    description text DEFAULT NULL, model_versions jsonb DEFAULT NULL, rule_execution_mode text DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE v fraud.detector_versions; endpoints text[]; models jsonb;
BEGIN
    v := fraud._lock_detector_version(detector_id, detector_version_id);
    IF v.status <> 'DRAFT' THEN
        PERFORM fraud._conflict(format('detector version %s/%s is %s; only a DRAFT version can be updated',
                                       detector_id, detector_version_id, v.status));
    END IF;
    PERFORM fraud._required('external_model_endpoints', external_model_endpoints);
    PERFORM fraud._required('rules', rules);
    PERFORM fraud._check_description('description', description);
    IF rule_execution_mode IS NOT NULL THEN
        PERFORM fraud._check_enum('rule_execution_mode', rule_execution_mode, ARRAY['ALL_MATCHED', 'FIRST_MATCHED']);
    END IF;
    endpoints := fraud._external_model_endpoints_arg(external_model_endpoints,
        (SELECT d.event_type_name FROM fraud.detectors d WHERE d.detector_id = v.detector_id));
    IF model_versions IS NOT NULL THEN
        models := fraud._model_versions_arg(model_versions,
            (SELECT d.event_type_name FROM fraud.detectors d WHERE d.detector_id = v.detector_id));
    END IF;
    PERFORM fraud._write_version_rules(v.detector_id, v.detector_version_id, rules);
    UPDATE fraud.detector_versions x SET
        external_model_endpoints = endpoints,
        description = coalesce(fraud_update_detector_version.description, x.description),
        model_versions = coalesce(models, x.model_versions),
        rule_execution_mode = coalesce(fraud_update_detector_version.rule_execution_mode, x.rule_execution_mode),
        last_updated_time = now()
    WHERE x.detector_id = v.detector_id AND x.detector_version_id = v.detector_version_id;
    PERFORM fraud._check_detector_version(v.detector_id, v.detector_version_id::text);
END $$;
COMMENT ON FUNCTION fraud_update_detector_version(text, text, text[], jsonb, text, jsonb, text) IS 'UpdateDetectorVersion: replaces the rules (required) and external model endpoints (default none) of a DRAFT version; NULL description, model_versions or rule_execution_mode keep the current ones; the rules are compiled again. Errors: 55006 not DRAFT; 42704; 22023 (including rules NULL or omitted).';

-- The description of any version, whatever its status.
CREATE FUNCTION fraud_update_detector_version_metadata(detector_id text, detector_version_id text, description text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE v fraud.detector_versions;
BEGIN
    v := fraud._lock_detector_version(detector_id, detector_version_id);
    PERFORM fraud._required('description', description);
    PERFORM fraud._check_description('description', description);
    UPDATE fraud.detector_versions x SET description = fraud_update_detector_version_metadata.description, last_updated_time = now()
        WHERE x.detector_id = v.detector_id AND x.detector_version_id = v.detector_version_id;
END $$;
COMMENT ON FUNCTION fraud_update_detector_version_metadata(text, text, text) IS 'UpdateDetectorVersionMetadata: sets the description of a detector version of any status. Errors: 42704 no such version; 22023 bad version id or description.';

-- DRAFT -> ACTIVE, ACTIVE -> INACTIVE, INACTIVE -> ACTIVE. Activating a version makes the
-- detector's previously ACTIVE version INACTIVE, in the same statement.
CREATE FUNCTION fraud_update_detector_version_status(detector_id text, detector_version_id text, status text)
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
        -- what goes live scores with ACTIVE model versions and ASSOCIATED external models only
        PERFORM fraud._model_versions_arg(v.model_versions,
            (SELECT d.event_type_name FROM fraud.detectors d WHERE d.detector_id = v.detector_id));
        PERFORM fraud._external_model_endpoints_arg(v.external_model_endpoints,
            (SELECT d.event_type_name FROM fraud.detectors d WHERE d.detector_id = v.detector_id));
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
COMMENT ON FUNCTION fraud_update_detector_version_status(text, text, text) IS 'UpdateDetectorVersionStatus: DRAFT to ACTIVE, ACTIVE to INACTIVE, INACTIVE to ACTIVE; activating compiles the version, clears its shadow flag and makes the previously ACTIVE one INACTIVE. Errors: 55006 other transitions; 22023 unknown status, no rules and no models, rules that no longer compile; 42704.';

-- Marks a DRAFT or INACTIVE version as a shadow (or unmarks it): fraud_get_event_prediction
-- then scores it next to the ACTIVE version and records its result (shadow = true) without
-- returning it. A shadow is compiled now, as activation compiles, so that a version that could
-- not go live is refused here rather than failing quietly at every prediction.
CREATE FUNCTION fraud_update_detector_version_shadow(detector_id text, detector_version_id text, shadow boolean)
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
COMMENT ON FUNCTION fraud_update_detector_version_shadow(text, text, boolean) IS 'Marks (shadow true) or unmarks a DRAFT or INACTIVE detector version as a shadow: fraud_get_event_prediction scores every shadow of the detector next to its ACTIVE version and records each result in fraud.event_predictions (shadow = true) without returning, notifying or listing it; fraud_rule_stats compares them. Marking compiles the version as activation does; activating it clears the flag. Errors: 55006 the version is ACTIVE; 42704 no such detector or version; 22023 bad arguments, shadow NULL, no rules and no models, rules that no longer compile.';

CREATE FUNCTION fraud_delete_detector_version(detector_id text, detector_version_id text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE v fraud.detector_versions;
BEGIN
    v := fraud._lock_detector_version(detector_id, detector_version_id);
    IF v.status = 'ACTIVE' THEN
        PERFORM fraud._conflict(format('detector version %s/%s is ACTIVE; make it INACTIVE before deleting it',
                                       detector_id, detector_version_id));
    END IF;
    DELETE FROM fraud.detector_versions x WHERE x.detector_id = v.detector_id AND x.detector_version_id = v.detector_version_id;
    PERFORM fraud._drop_tags('detector-version', format('%s/%s', v.detector_id, v.detector_version_id));
END $$;
COMMENT ON FUNCTION fraud_delete_detector_version(text, text) IS 'DeleteDetectorVersion: deletes a DRAFT or INACTIVE version and its tags (its id is never reused). Errors: 55006 the version is ACTIVE; 42704 no such version.';
