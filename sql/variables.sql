-- Variables: the typed fields of an event (CreateVariable, BatchCreateVariable, GetVariables,
-- BatchGetVariable, UpdateVariable, DeleteVariable).

-- A default value must read as the variable's data type, or every prediction would fail later.
CREATE FUNCTION fraud._check_default_value(data_type text, default_value text) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    PERFORM fraud._required('default_value', default_value);
    BEGIN
        CASE data_type
        WHEN 'INTEGER'  THEN PERFORM default_value::bigint;
        WHEN 'FLOAT'    THEN PERFORM default_value::double precision;
        WHEN 'BOOLEAN'  THEN
            IF lower(default_value) NOT IN ('true', 'false') THEN RAISE EXCEPTION 'not a boolean'; END IF;
        WHEN 'DATETIME' THEN PERFORM default_value::timestamptz;
        ELSE NULL; -- STRING: any text
        END CASE;
    EXCEPTION WHEN OTHERS THEN
        PERFORM fraud._invalid('default_value', default_value, format('(not a valid %s)', data_type));
    END;
END $$;

CREATE FUNCTION fraud_create_variable(
    name text, data_type text, data_source text, default_value text,
    description text DEFAULT NULL, variable_type text DEFAULT NULL, tags jsonb DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fraud._check_pattern('name', name, '^[0-9a-z_]+$', 1, 64);
    PERFORM fraud._check_enum('data_type', data_type, ARRAY['STRING', 'INTEGER', 'FLOAT', 'BOOLEAN', 'DATETIME']);
    PERFORM fraud._check_enum('data_source', data_source, ARRAY['EVENT', 'MODEL_SCORE', 'EXTERNAL_MODEL_SCORE']);
    IF data_source = 'MODEL_SCORE' THEN
        PERFORM fraud._invalid('data_source', data_source,
            '(a model''s score is $<model_id>_insightscore, created with the model)');
    END IF;
    PERFORM fraud._check_default_value(data_type, default_value);
    PERFORM fraud._check_variable_type('variable_type', variable_type);
    IF EXISTS (SELECT 1 FROM fraud.variables v WHERE v.name = fraud_create_variable.name) THEN
        PERFORM fraud._duplicate('variable', name);
    END IF;
    INSERT INTO fraud.variables(name, data_type, data_source, default_value, description, variable_type)
        VALUES (name, data_type, data_source, default_value, description, variable_type);
    PERFORM fraud._set_tags('variable', name, tags);
END $$;
COMMENT ON FUNCTION fraud_create_variable(text, text, text, text, text, text, jsonb) IS 'CreateVariable: creates an EVENT variable (or an EXTERNAL_MODEL_SCORE variable, an output of external models) with a data type (STRING, INTEGER, FLOAT, BOOLEAN, DATETIME) and a default value that must read as that type. Errors: 22023 invalid name (^[0-9a-z_]+$), data type, data source, default or variable type; 23505 the variable exists.';

-- AFD semantics: each entry is created or reported in the result; one bad entry does not stop
-- the others. Each entry is atomic on its own. Returns only the failed entries.
CREATE FUNCTION fraud_batch_create_variable(variable_entries jsonb, tags jsonb DEFAULT NULL)
RETURNS TABLE (name text, code int, message text)
LANGUAGE plpgsql AS $$
DECLARE e jsonb; state text; msg text;
BEGIN
    PERFORM fraud._required('variable_entries', variable_entries);
    IF jsonb_typeof(variable_entries) <> 'array' OR jsonb_array_length(variable_entries) NOT BETWEEN 1 AND 25 THEN
        PERFORM fraud._invalid('variable_entries', variable_entries::text, '(must be an array of 1 to 25 entries)');
    END IF;
    PERFORM fraud._tag_pairs(tags); -- shape errors fail the whole call, before anything is written
    FOR e IN SELECT jsonb_array_elements(variable_entries) LOOP
        name := CASE WHEN jsonb_typeof(e) = 'object' THEN e->>'name' END;
        BEGIN
            IF jsonb_typeof(e) <> 'object' THEN
                PERFORM fraud._invalid('variable entry', e::text, '(must be an object)');
            END IF;
            PERFORM @extschema@.fraud_create_variable(e->>'name', e->>'dataType', e->>'dataSource', e->>'defaultValue',
                                          e->>'description', e->>'variableType', tags);
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
            code := CASE state WHEN '23505' THEN 409 WHEN '42704' THEN 404 WHEN '22023' THEN 400 ELSE 500 END;
            message := msg;
            RETURN NEXT;
        END;
    END LOOP;
END $$;
COMMENT ON FUNCTION fraud_batch_create_variable(jsonb, jsonb) IS 'BatchCreateVariable: creates each of 1 to 25 entries {"name", "dataType", "dataSource", "defaultValue", ...} on its own; returns one row (name, code 400/404/409, message) per failed entry, no rows when all were created. Errors: 22023 not an array of 1 to 25, bad tags.';

CREATE FUNCTION fraud._variable_rows(names text[])
RETURNS TABLE (name text, data_type text, data_source text, default_value text, description text,
               variable_type text, last_updated_time timestamptz, created_time timestamptz, arn text)
LANGUAGE sql STABLE AS $$
    SELECT v.name, v.data_type, v.data_source, v.default_value, v.description, v.variable_type,
           v.last_updated_time, v.created_time, fraud._arn('variable', v.name)
    FROM fraud.variables v
    WHERE names IS NULL OR v.name = ANY (names)
    ORDER BY v.name
$$;

CREATE FUNCTION fraud._get_variables(p_name text)
RETURNS TABLE (name text, data_type text, data_source text, default_value text, description text,
               variable_type text, last_updated_time timestamptz, created_time timestamptz, arn text)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY SELECT * FROM fraud._variable_rows(CASE WHEN p_name IS NOT NULL THEN ARRAY[p_name] END);
    IF p_name IS NOT NULL AND NOT FOUND THEN
        PERFORM fraud._not_found('variable', p_name);
    END IF;
END $$;

CREATE FUNCTION fraud_get_variables(name text DEFAULT NULL)
RETURNS TABLE (name text, data_type text, data_source text, default_value text, description text,
               variable_type text, last_updated_time timestamptz, created_time timestamptz, arn text)
LANGUAGE sql STABLE AS $$ SELECT * FROM fraud._get_variables(name) $$;
COMMENT ON FUNCTION fraud_get_variables(text) IS 'GetVariables: all variables, or only the named one, as rows (name, data_type, data_source, default_value, description, variable_type, times, arn). Errors: 42704 the named variable does not exist.';

-- Found variables as rows; each name not found as a row with only name, error_code 404 and
-- error_message (AFD's `errors` list), so one call answers for every name asked.
CREATE FUNCTION fraud._batch_get_variable(p_names text[])
RETURNS TABLE (name text, data_type text, data_source text, default_value text, description text,
               variable_type text, last_updated_time timestamptz, created_time timestamptz, arn text,
               error_code int, error_message text)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM fraud._check_flat('names', p_names);
    PERFORM fraud._check_names('names', p_names, 1);
    IF cardinality(p_names) > 100 THEN
        PERFORM fraud._invalid('names', p_names::text, '(at most 100 names)');
    END IF;
    RETURN QUERY
        SELECT r.*, NULL::int, NULL::text FROM fraud._variable_rows(p_names) r
        UNION ALL
        SELECT w, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 404, format('variable %s does not exist', quote_literal(w))
        FROM unnest(p_names) w WHERE NOT EXISTS (SELECT 1 FROM fraud.variables v WHERE v.name = w);
END $$;

CREATE FUNCTION fraud_batch_get_variable(names text[])
RETURNS TABLE (name text, data_type text, data_source text, default_value text, description text,
               variable_type text, last_updated_time timestamptz, created_time timestamptz, arn text,
               error_code int, error_message text)
LANGUAGE sql STABLE AS $$ SELECT * FROM fraud._batch_get_variable(names) $$;
COMMENT ON FUNCTION fraud_batch_get_variable(text[]) IS 'BatchGetVariable: one row per variable found among 1 to 100 distinct names, plus one row with only name, error_code 404 and error_message per name not found. Errors: 22023 empty, over 100, NULL or repeated names.';

-- NULL arguments leave the attribute as it is.
CREATE FUNCTION fraud_update_variable(name text, default_value text DEFAULT NULL,
                                      description text DEFAULT NULL, variable_type text DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE v fraud.variables;
BEGIN
    PERFORM fraud._required('name', name);
    SELECT * INTO v FROM fraud.variables x WHERE x.name = fraud_update_variable.name FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM fraud._not_found('variable', name);
    END IF;
    IF default_value IS NOT NULL THEN
        IF v.data_source = 'AGGREGATE' THEN
            PERFORM fraud._invalid('default_value', default_value, '(an aggregate variable''s default is its value over no events)');
        END IF;
        PERFORM fraud._check_default_value(v.data_type, default_value);
    END IF;
    PERFORM fraud._check_variable_type('variable_type', variable_type);
    UPDATE fraud.variables x SET
        default_value = coalesce(fraud_update_variable.default_value, x.default_value),
        description = coalesce(fraud_update_variable.description, x.description),
        variable_type = coalesce(fraud_update_variable.variable_type, x.variable_type),
        last_updated_time = now()
    WHERE x.name = fraud_update_variable.name;
END $$;
COMMENT ON FUNCTION fraud_update_variable(text, text, text, text) IS 'UpdateVariable: sets the default value, description and/or variable type; NULL arguments leave the attribute unchanged. Errors: 42704 no such variable; 22023 a default that does not read as the data type or belongs to an aggregate variable, an unknown variable type.';

CREATE FUNCTION fraud_delete_variable(name text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE used_by text[]; src text;
BEGIN
    PERFORM fraud._required('name', name);
    SELECT array_agg(event_type_name ORDER BY event_type_name) INTO used_by
        FROM fraud.event_type_variables WHERE variable_name = name;
    IF used_by IS NOT NULL THEN
        PERFORM fraud._conflict(format('variable %s is used by %s', quote_literal(name), fraud._some_names('event type', used_by)));
    END IF;
    SELECT data_source INTO src FROM fraud.variables v WHERE v.name = fraud_delete_variable.name;
    IF src = 'AGGREGATE' THEN
        PERFORM fraud._conflict(format('variable %s is an aggregate variable; delete it with fraud_delete_aggregate_variable', quote_literal(name)));
    ELSIF src = 'EXTERNAL_MODEL_SCORE' THEN
        SELECT array_agg(x.model_endpoint ORDER BY x.model_endpoint) INTO used_by FROM fraud.external_models x
            WHERE EXISTS (SELECT 1 FROM jsonb_each_text(x.output_configuration->'jsonKeyToVariableMap') k
                          WHERE k.value = fraud_delete_variable.name);
        IF used_by IS NOT NULL THEN
            PERFORM fraud._conflict(format('variable %s is an output of %s', quote_literal(name), fraud._some_names('external model', used_by)));
        END IF;
    ELSIF src IS NOT NULL AND src <> 'EVENT' THEN
        PERFORM fraud._conflict(format('variable %s is a %s variable; it is deleted with its model', quote_literal(name), src));
    END IF;
    DELETE FROM fraud.variables v WHERE v.name = fraud_delete_variable.name;
    IF NOT FOUND THEN
        RAISE NOTICE 'variable % does not exist, skipping', quote_literal(name);
    END IF;
    PERFORM fraud._drop_tags('variable', name);
END $$;
COMMENT ON FUNCTION fraud_delete_variable(text) IS 'DeleteVariable: deletes the variable and its tags; a missing one is a NOTICE. Errors: 55006 an event type uses it, an external model outputs it, or it is an aggregate variable.';
