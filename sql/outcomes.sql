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
DECLARE used_by text;
BEGIN
    PERFORM fraud._check_identifier('name', name);
    SELECT string_agg(DISTINCT format('%s/%s/%s', detector_id, rule_id, rule_version), ', ') INTO used_by
        FROM fraud.rule_version_outcomes WHERE outcome_name = name;
    IF used_by IS NOT NULL THEN
        PERFORM fraud._conflict(format('outcome %s is used by rule version %s', quote_literal(name), used_by));
    END IF;
    PERFORM fraud._delete_named('outcomes', 'outcome', 'outcome', name);
END $$;
COMMENT ON FUNCTION fraud_delete_outcome(text) IS 'DeleteOutcome: deletes the outcome and its tags; a missing one is a NOTICE. Errors: 22023 invalid name; 55006 a rule version yields it.';
