-- Outcomes: what a matching rule tells the caller to do (PutOutcome, GetOutcomes, DeleteOutcome).

CREATE FUNCTION fraud_put_outcome(name text, description text DEFAULT NULL, tags jsonb DEFAULT NULL)
RETURNS void LANGUAGE sql AS $$
    SELECT fraud._put_named('outcomes', 'outcome', 'outcome', name, description, tags)
$$;
COMMENT ON FUNCTION fraud_put_outcome(text, text, jsonb) IS 'PutOutcome: creates the outcome (what a matching rule tells the caller to do, e.g. review / block) or updates its description; tags are merged. Returns nothing. Errors: 22023 invalid name, description or tags.';

CREATE FUNCTION fraud_get_outcomes(name text DEFAULT NULL)
RETURNS TABLE (name text, description text, last_updated_time timestamptz, created_time timestamptz, arn text)
LANGUAGE sql STABLE AS $$
    SELECT * FROM fraud._get_named('outcomes', 'outcome', 'outcome', name)
$$;
COMMENT ON FUNCTION fraud_get_outcomes(text) IS 'GetOutcomes: all outcomes, or only the named one, as rows (name, description, last_updated_time, created_time, arn). Errors: 22023 invalid name; 42704 the named outcome does not exist.';

CREATE FUNCTION fraud_delete_outcome(name text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE used_by text[];
BEGIN
    PERFORM fraud._check_identifier('name', name);
    SELECT array_agg(format('%s/%s/%s', u.detector_id, u.rule_id, u.rule_version) ORDER BY u.detector_id, u.rule_id, u.rule_version)
        INTO used_by
        FROM (SELECT DISTINCT o.detector_id, o.rule_id, o.rule_version FROM fraud.rule_version_outcomes o
              WHERE o.outcome_name = name) u;
    IF used_by IS NOT NULL THEN
        PERFORM fraud._conflict(format('outcome %s is used by %s', quote_literal(name), fraud._some_names('rule version', used_by)));
    END IF;
    PERFORM fraud._delete_named('outcomes', 'outcome', 'outcome', name);
END $$;
COMMENT ON FUNCTION fraud_delete_outcome(text) IS 'DeleteOutcome: deletes the outcome and its tags; a missing one is a NOTICE. Errors: 22023 invalid name; 55006 a rule version yields it.';
