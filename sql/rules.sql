-- Rules and rule versions: a DETECTORPL expression and the outcomes it yields (CreateRule,
-- UpdateRuleVersion, UpdateRuleMetadata, GetRules, DeleteRule).

-- The reference's Rule structure {"detectorId", "ruleId", "ruleVersion"}, checked.
CREATE FUNCTION fraud._rule_ref(field text, rule jsonb,
                                OUT detector_id text, OUT rule_id text, OUT rule_version int)
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    PERFORM fraud._required(field, rule);
    IF jsonb_typeof(rule) <> 'object' OR jsonb_typeof(rule->'detectorId') IS DISTINCT FROM 'string'
       OR jsonb_typeof(rule->'ruleId') IS DISTINCT FROM 'string'
       OR jsonb_typeof(rule->'ruleVersion') IS DISTINCT FROM 'string' THEN
        PERFORM fraud._invalid(field, rule::text, '(must be {"detectorId": string, "ruleId": string, "ruleVersion": string})');
    END IF;
    detector_id := rule->>'detectorId';
    rule_id := rule->>'ruleId';
    PERFORM fraud._check_identifier(field || '.detectorId', detector_id);
    PERFORM fraud._check_identifier(field || '.ruleId', rule_id);
    rule_version := fraud._version_number(field || '.ruleVersion', rule->>'ruleVersion');
END $$;

CREATE FUNCTION fraud._rule_json(detector_id text, rule_id text, rule_version int) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('detectorId', detector_id, 'ruleId', rule_id, 'ruleVersion', rule_version::text)
$$;

CREATE FUNCTION fraud._require_rule_version(detector_id text, rule_id text, rule_version int) RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM fraud.rule_versions r WHERE r.detector_id = _require_rule_version.detector_id
                   AND r.rule_id = _require_rule_version.rule_id AND r.rule_version = _require_rule_version.rule_version) THEN
        PERFORM fraud._not_found('rule version', format('%s/%s/%s', detector_id, rule_id, rule_version));
    END IF;
END $$;

-- Writes one rule version with its outcomes and the lists its expression names. The 4096
-- character limit is the engine's (MAX_EXPRESSION_LENGTH, engine/src/parser.rs), checked here
-- first for AFD's message; the regression session `constants` keeps the two in step.
CREATE FUNCTION fraud._write_rule_version(detector_id text, rule_id text, rule_version int, expression text,
                                          language text, outcomes text[], description text, tags jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fraud._required('expression', expression);
    IF length(expression) NOT BETWEEN 1 AND 4096 THEN
        PERFORM fraud._invalid('expression', expression, format('(length %s; must be 1 to 4096 characters)', length(expression)));
    END IF;
    PERFORM fraud._check_enum('language', language, ARRAY['DETECTORPL']);
    PERFORM fraud._check_names('outcomes', outcomes, 1);
    PERFORM fraud._check_description('description', description);
    PERFORM fraud._check_exist('outcome', 'outcomes', outcomes);
    -- parse and type check now: 42601 with the position, or 22023; never at prediction time
    PERFORM fraud._check_rule_expression(detector_id, expression);
    INSERT INTO fraud.rule_versions(detector_id, rule_id, rule_version, description, expression, language)
        VALUES (detector_id, rule_id, rule_version, description, expression, language);
    INSERT INTO fraud.rule_version_outcomes
        SELECT detector_id, rule_id, rule_version, o, i FROM unnest(outcomes) WITH ORDINALITY u(o, i);
    -- the lists it names (all exist: the check above refuses unknown ones)
    INSERT INTO fraud.rule_version_lists
        SELECT DISTINCT detector_id, rule_id, rule_version, l
        FROM unnest(fraud._expression_lists(expression)) l;
    PERFORM fraud._set_tags('rule', format('%s/%s/%s', detector_id, rule_id, rule_version), tags);
    RETURN fraud._rule_json(detector_id, rule_id, rule_version);
END $$;

CREATE FUNCTION fraud_create_rule(rule_id text, detector_id text, expression text, outcomes text[],
                                  language text DEFAULT 'DETECTORPL', description text DEFAULT NULL,
                                  tags jsonb DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fraud._check_flat('outcomes', outcomes);
    PERFORM fraud._check_identifier('rule_id', rule_id);
    PERFORM fraud._lock_detector(detector_id);
    IF EXISTS (SELECT 1 FROM fraud.rules r WHERE r.detector_id = fraud_create_rule.detector_id
               AND r.rule_id = fraud_create_rule.rule_id) THEN
        PERFORM fraud._duplicate('rule', format('%s/%s', detector_id, rule_id));
    END IF;
    INSERT INTO fraud.rules(detector_id, rule_id, last_version) VALUES (detector_id, rule_id, 1);
    RETURN fraud._write_rule_version(detector_id, rule_id, 1, expression, language, outcomes, description, tags);
END $$;
COMMENT ON FUNCTION fraud_create_rule(text, text, text, text[], text, text, jsonb) IS 'CreateRule: creates version 1 of a rule whose DETECTORPL expression (docs/rule-language.md) is parsed and type checked now; returns {"detectorId", "ruleId", "ruleVersion"}. Errors: 42601 syntax error (with position); 22023; 54000 a regex_match pattern past 1 MiB compiled; 42704 detector or outcome missing; 23505 the rule exists.';

-- Makes version n+1 of the rule (n = the highest ever issued), from the version named in `rule`.
CREATE FUNCTION fraud_update_rule_version(rule jsonb, expression text, outcomes text[],
                                          language text DEFAULT 'DETECTORPL', description text DEFAULT NULL,
                                          tags jsonb DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE ref record; next_version int;
BEGIN
    PERFORM fraud._check_flat('outcomes', outcomes);
    ref := fraud._rule_ref('rule', rule);
    PERFORM fraud._require_rule_version(ref.detector_id, ref.rule_id, ref.rule_version);
    UPDATE fraud.rules r SET last_version = r.last_version + 1
        WHERE r.detector_id = ref.detector_id AND r.rule_id = ref.rule_id
        RETURNING r.last_version INTO next_version;
    IF next_version > 99999 THEN
        PERFORM fraud._raise('54000', format('rule %s/%s has reached the maximum of 99999 versions', ref.detector_id, ref.rule_id));
    END IF;
    RETURN fraud._write_rule_version(ref.detector_id, ref.rule_id, next_version, expression, language,
                                     outcomes, description, tags);
END $$;
COMMENT ON FUNCTION fraud_update_rule_version(jsonb, text, text[], text, text, jsonb) IS 'UpdateRuleVersion: makes version n+1 (n = highest ever issued) of the rule referenced by rule, which must exist and is left unchanged; the expression is checked as in CreateRule. Returns the new rule reference. Errors: 42601; 22023; 42704; 54000 past 99,999 versions or a regex_match pattern past 1 MiB compiled.';

CREATE FUNCTION fraud_update_rule_metadata(rule jsonb, description text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE ref record;
BEGIN
    ref := fraud._rule_ref('rule', rule);
    PERFORM fraud._required('description', description);
    PERFORM fraud._check_description('description', description);
    UPDATE fraud.rule_versions r SET description = fraud_update_rule_metadata.description, last_updated_time = now()
        WHERE r.detector_id = ref.detector_id AND r.rule_id = ref.rule_id AND r.rule_version = ref.rule_version;
    IF NOT FOUND THEN
        PERFORM fraud._not_found('rule version', format('%s/%s/%s', ref.detector_id, ref.rule_id, ref.rule_version));
    END IF;
END $$;
COMMENT ON FUNCTION fraud_update_rule_metadata(jsonb, text) IS 'UpdateRuleMetadata: sets the description of the rule version {"detectorId", "ruleId", "ruleVersion"}. Errors: 42704 no such rule version; 22023 malformed reference or description.';

-- One row per rule version (all rules of the detector, one rule, or one version).
CREATE FUNCTION fraud._get_rules(p_detector_id text, p_rule_id text, p_rule_version text)
RETURNS TABLE (rule_id text, description text, detector_id text, rule_version text, expression text,
               language text, outcomes text[], last_updated_time timestamptz, created_time timestamptz, arn text)
LANGUAGE plpgsql STABLE AS $$
DECLARE version int;
BEGIN
    PERFORM fraud._check_identifier('detector_id', p_detector_id);
    IF p_rule_id IS NOT NULL THEN
        PERFORM fraud._check_identifier('rule_id', p_rule_id);
    END IF;
    IF p_rule_version IS NOT NULL THEN
        IF p_rule_id IS NULL THEN
            PERFORM fraud._invalid('rule_version', p_rule_version, '(rule_version needs rule_id)');
        END IF;
        version := fraud._version_number('rule_version', p_rule_version);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM fraud.detectors d WHERE d.detector_id = p_detector_id) THEN
        PERFORM fraud._not_found('detector', p_detector_id);
    END IF;
    RETURN QUERY
    SELECT r.rule_id, r.description, r.detector_id, r.rule_version::text, r.expression, r.language,
           ARRAY(SELECT o.outcome_name FROM fraud.rule_version_outcomes o
                 WHERE (o.detector_id, o.rule_id, o.rule_version) = (r.detector_id, r.rule_id, r.rule_version)
                 ORDER BY o.position),
           r.last_updated_time, r.created_time,
           fraud._arn('rule', format('%s/%s/%s', r.detector_id, r.rule_id, r.rule_version))
    FROM fraud.rule_versions r
    WHERE r.detector_id = p_detector_id
      AND (p_rule_id IS NULL OR r.rule_id = p_rule_id)
      AND (version IS NULL OR r.rule_version = version)
    ORDER BY r.rule_id, r.rule_version;
    IF p_rule_id IS NOT NULL AND NOT FOUND THEN
        PERFORM fraud._not_found('rule', concat_ws('/', p_detector_id, p_rule_id, p_rule_version));
    END IF;
END $$;

CREATE FUNCTION fraud_get_rules(detector_id text, rule_id text DEFAULT NULL, rule_version text DEFAULT NULL)
RETURNS TABLE (rule_id text, description text, detector_id text, rule_version text, expression text,
               language text, outcomes text[], last_updated_time timestamptz, created_time timestamptz, arn text)
LANGUAGE sql STABLE AS $$ SELECT * FROM fraud._get_rules(detector_id, rule_id, rule_version) $$;
COMMENT ON FUNCTION fraud_get_rules(text, text, text) IS 'GetRules: one row per rule version of the detector, of one rule, or just one version (expression, language, outcomes text[], times, arn). Errors: 42704 detector, rule or version missing; 22023 rule_version without rule_id.';

-- Deletes one rule version (and the rule once no version is left). Refused while an ACTIVE or
-- INACTIVE detector version uses it; DRAFT versions that use it lose it, with a NOTICE.
CREATE FUNCTION fraud_delete_rule(rule jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE ref record; used_by text[]; drafts text[];
BEGIN
    ref := fraud._rule_ref('rule', rule);
    SELECT array_agg(format('%s (%s)', v.detector_version_id, v.status) ORDER BY v.detector_version_id) INTO used_by
        FROM fraud.detector_version_rules u JOIN fraud.detector_versions v USING (detector_id, detector_version_id)
        WHERE u.detector_id = ref.detector_id AND u.rule_id = ref.rule_id AND u.rule_version = ref.rule_version
          AND v.status <> 'DRAFT';
    IF used_by IS NOT NULL THEN
        PERFORM fraud._conflict(format('rule version %s/%s/%s is used by %s',
                                       ref.detector_id, ref.rule_id, ref.rule_version, fraud._some_names('detector version', used_by)));
    END IF;
    WITH gone AS (
        DELETE FROM fraud.detector_version_rules u
        WHERE u.detector_id = ref.detector_id AND u.rule_id = ref.rule_id AND u.rule_version = ref.rule_version
        RETURNING u.detector_version_id)
    SELECT array_agg(detector_version_id::text ORDER BY detector_version_id) INTO drafts FROM gone;
    IF drafts IS NOT NULL THEN
        RAISE NOTICE 'rule version %/%/% removed from %', ref.detector_id, ref.rule_id, ref.rule_version,
            fraud._some_names('DRAFT detector version', drafts);
    END IF;
    DELETE FROM fraud.rule_versions r
        WHERE r.detector_id = ref.detector_id AND r.rule_id = ref.rule_id AND r.rule_version = ref.rule_version;
    IF NOT FOUND THEN
        RAISE NOTICE 'rule version %/%/% does not exist, skipping', ref.detector_id, ref.rule_id, ref.rule_version;
    END IF;
    PERFORM fraud._drop_tags('rule', format('%s/%s/%s', ref.detector_id, ref.rule_id, ref.rule_version));
    DELETE FROM fraud.rules r WHERE r.detector_id = ref.detector_id AND r.rule_id = ref.rule_id
        AND NOT EXISTS (SELECT 1 FROM fraud.rule_versions x WHERE x.detector_id = r.detector_id AND x.rule_id = r.rule_id);
END $$;
COMMENT ON FUNCTION fraud_delete_rule(jsonb) IS 'DeleteRule: deletes that rule version (the rule goes with its last version); DRAFT detector versions using it lose it, with a NOTICE; a missing one is a NOTICE. Errors: 55006 an ACTIVE or INACTIVE detector version uses it; 22023 malformed reference.';
