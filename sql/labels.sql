-- Labels: what an event turned out to be, e.g. fraud / legit (PutLabel, GetLabels, DeleteLabel).

CREATE FUNCTION fraud_put_label(name text, description text DEFAULT NULL, tags jsonb DEFAULT NULL)
RETURNS void LANGUAGE sql AS $$
    SELECT fraud._put_named('labels', 'label', 'label', name, description, tags)
$$;
COMMENT ON FUNCTION fraud_put_label(text, text, jsonb) IS 'PutLabel: creates the label (what an event turned out to be, e.g. fraud / legit) or updates its description; tags are merged. Returns nothing. Errors: 22023 invalid name, description or tags.';

CREATE FUNCTION fraud_get_labels(name text DEFAULT NULL)
RETURNS TABLE (name text, description text, last_updated_time timestamptz, created_time timestamptz, arn text)
LANGUAGE sql STABLE AS $$
    SELECT * FROM fraud._get_named('labels', 'label', 'label', name)
$$;
COMMENT ON FUNCTION fraud_get_labels(text) IS 'GetLabels: all labels, or only the named one, as rows (name, description, last_updated_time, created_time, arn). Errors: 22023 invalid name; 42704 the named label does not exist.';

CREATE FUNCTION fraud_delete_label(name text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE used_by text[];
BEGIN
    PERFORM fraud._check_identifier('name', name);
    SELECT array_agg(event_type_name ORDER BY event_type_name) INTO used_by
        FROM fraud.event_type_labels WHERE label_name = name;
    IF used_by IS NOT NULL THEN
        PERFORM fraud._conflict(format('label %s is used by %s', quote_literal(name), fraud._some_names('event type', used_by)));
    END IF;
    IF EXISTS (SELECT 1 FROM fraud.events e WHERE e.event_label = name) THEN
        PERFORM fraud._conflict(format('label %s is the label of stored events', quote_literal(name)));
    END IF;
    PERFORM fraud._delete_named('labels', 'label', 'label', name);
END $$;
COMMENT ON FUNCTION fraud_delete_label(text) IS 'DeleteLabel: deletes the label and its tags; a missing one is a NOTICE. Errors: 22023 invalid name; 55006 an event type lists it or stored events carry it.';
