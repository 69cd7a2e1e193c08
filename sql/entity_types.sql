-- Entity types: who performs an event (PutEntityType, GetEntityTypes, DeleteEntityType).

CREATE FUNCTION fraud_put_entity_type(name text, description text DEFAULT NULL, tags jsonb DEFAULT NULL)
RETURNS void LANGUAGE sql AS $$
    SELECT fraud._put_named('entity_types', 'entity type', 'entity-type', name, description, tags)
$$;
COMMENT ON FUNCTION fraud_put_entity_type(text, text, jsonb) IS 'PutEntityType: creates the entity type (who performs an event, e.g. customer) or updates its description; tags are merged. Returns nothing. Errors: 22023 invalid name, description or tags.';

CREATE FUNCTION fraud_get_entity_types(name text DEFAULT NULL)
RETURNS TABLE (name text, description text, last_updated_time timestamptz, created_time timestamptz, arn text)
LANGUAGE sql STABLE AS $$
    SELECT * FROM fraud._get_named('entity_types', 'entity type', 'entity-type', name)
$$;
COMMENT ON FUNCTION fraud_get_entity_types(text) IS 'GetEntityTypes: all entity types, or only the named one, as rows (name, description, last_updated_time, created_time, arn). Errors: 22023 invalid name; 42704 the named entity type does not exist.';

CREATE FUNCTION fraud_delete_entity_type(name text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE used_by text[];
BEGIN
    PERFORM fraud._check_identifier('name', name);
    SELECT array_agg(event_type_name ORDER BY event_type_name) INTO used_by
        FROM fraud.event_type_entity_types WHERE entity_type_name = name;
    IF used_by IS NOT NULL THEN
        PERFORM fraud._conflict(format('entity type %s is used by %s', quote_literal(name), fraud._some_names('event type', used_by)));
    END IF;
    PERFORM fraud._delete_named('entity_types', 'entity type', 'entity-type', name);
END $$;
COMMENT ON FUNCTION fraud_delete_entity_type(text) IS 'DeleteEntityType: deletes the entity type and its tags; a missing one is a NOTICE. Errors: 22023 invalid name; 55006 an event type uses it.';
