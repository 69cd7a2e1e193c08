-- Lists: named sets of strings that rules test with `in @list` (CreateList, UpdateList,
-- GetListElements, GetListsMetadata, DeleteList). Elements live in fraud.list_elements.

CREATE FUNCTION fraud._check_list_elements(elements text[]) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE bad text;
BEGIN
    IF elements IS NULL THEN RETURN; END IF;
    IF cardinality(elements) > 100000 THEN
        PERFORM fraud._invalid('elements', format('%s elements', cardinality(elements)), '(at most 100000)');
    END IF;
    SELECT e INTO bad FROM unnest(elements) e
        WHERE e IS NULL OR length(e) > 320 OR e !~ '^\S+( +\S+)*$' LIMIT 1;
    IF FOUND THEN
        PERFORM fraud._invalid('elements', bad,
            '(each element must be 1 to 320 characters, match ^\S+( +\S+)*$ and not be NULL)');
    END IF;
END $$;

CREATE FUNCTION fraud._check_list_size(list_name text) RETURNS void
LANGUAGE plpgsql STABLE AS $$
DECLARE n bigint;
BEGIN
    SELECT count(*) INTO n FROM fraud.list_elements WHERE fraud.list_elements.list_name = _check_list_size.list_name;
    IF n > 100000 THEN
        PERFORM fraud._raise('54000', format('list %s would hold %s elements (at most 100000)', quote_literal(list_name), n));
    END IF;
END $$;

-- Elements are a set: a repeated element is stored once.
CREATE FUNCTION fraud_create_list(name text, elements text[] DEFAULT NULL, variable_type text DEFAULT NULL,
                                  description text DEFAULT NULL, tags jsonb DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fraud._check_pattern('name', name, '^[0-9a-z_]+$', 1, 64);
    PERFORM fraud._check_description('description', description);
    PERFORM fraud._check_list_elements(elements);
    PERFORM fraud._check_variable_type('variable_type', variable_type);
    IF EXISTS (SELECT 1 FROM fraud.lists l WHERE l.name = fraud_create_list.name) THEN
        PERFORM fraud._duplicate('list', name);
    END IF;
    INSERT INTO fraud.lists(name, description, variable_type) VALUES (name, description, variable_type);
    INSERT INTO fraud.list_elements(list_name, element)
        SELECT DISTINCT fraud_create_list.name, e FROM unnest(elements) e;
    PERFORM fraud._set_tags('list', name, tags);
END $$;
COMMENT ON FUNCTION fraud_create_list(text, text[], text, text, jsonb) IS 'CreateList: creates a named set of strings that rules test with in @name; repeated elements are stored once. Errors: 22023 invalid name (^[0-9a-z_]+$), element (1 to 320 characters), over 100,000 elements or unknown variable type; 23505 the list exists.';

-- update_mode REPLACE (default) swaps the whole set, APPEND adds, REMOVE takes away; NULL
-- elements leave them as they are. A list's variable_type, once set, cannot change (AFD).
CREATE FUNCTION fraud_update_list(name text, elements text[] DEFAULT NULL, description text DEFAULT NULL,
                                  update_mode text DEFAULT 'REPLACE', variable_type text DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE l fraud.lists;
BEGIN
    PERFORM fraud._check_pattern('name', name, '^[0-9a-z_]+$', 1, 64);
    PERFORM fraud._check_description('description', description);
    PERFORM fraud._check_enum('update_mode', update_mode, ARRAY['REPLACE', 'APPEND', 'REMOVE']);
    PERFORM fraud._check_list_elements(elements);
    PERFORM fraud._check_variable_type('variable_type', variable_type);
    SELECT * INTO l FROM fraud.lists x WHERE x.name = fraud_update_list.name FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM fraud._not_found('list', name);
    END IF;
    IF variable_type IS NOT NULL AND l.variable_type IS NOT NULL AND variable_type <> l.variable_type THEN
        PERFORM fraud._conflict(format('list %s already has variable_type %s; it cannot be changed to %s',
                                       quote_literal(name), l.variable_type, variable_type));
    END IF;
    IF elements IS NOT NULL THEN
        CASE update_mode
        WHEN 'REPLACE' THEN
            DELETE FROM fraud.list_elements WHERE list_name = fraud_update_list.name;
            INSERT INTO fraud.list_elements(list_name, element)
                SELECT DISTINCT fraud_update_list.name, e FROM unnest(elements) e;
        WHEN 'APPEND' THEN
            INSERT INTO fraud.list_elements(list_name, element)
                SELECT DISTINCT fraud_update_list.name, e FROM unnest(elements) e
                ON CONFLICT DO NOTHING;
            PERFORM fraud._check_list_size(name);
        WHEN 'REMOVE' THEN
            DELETE FROM fraud.list_elements WHERE list_name = fraud_update_list.name AND element = ANY (elements);
        END CASE;
    END IF;
    UPDATE fraud.lists x SET
        description = coalesce(fraud_update_list.description, x.description),
        variable_type = coalesce(fraud_update_list.variable_type, x.variable_type),
        updated_time = now()
    WHERE x.name = fraud_update_list.name;
END $$;
COMMENT ON FUNCTION fraud_update_list(text, text[], text, text, text) IS 'UpdateList: applies elements with update_mode REPLACE (default), APPEND or REMOVE (NULL elements: unchanged); sets description and a not yet set variable_type. Errors: 42704 no such list; 22023; 55006 changing a set variable type; 54000 APPEND past 100,000 elements.';

CREATE FUNCTION fraud._get_list_elements(p_name text) RETURNS SETOF text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM fraud._check_pattern('name', p_name, '^[0-9a-z_]+$', 1, 64);
    IF NOT EXISTS (SELECT 1 FROM fraud.lists WHERE name = p_name) THEN
        PERFORM fraud._not_found('list', p_name);
    END IF;
    RETURN QUERY SELECT element FROM fraud.list_elements WHERE list_name = p_name ORDER BY element;
END $$;

CREATE FUNCTION fraud_get_list_elements(name text) RETURNS SETOF text
LANGUAGE sql STABLE AS $$ SELECT * FROM fraud._get_list_elements(name) $$;
COMMENT ON FUNCTION fraud_get_list_elements(text) IS 'GetListElements: the elements of the list, sorted, one row each. Errors: 22023 invalid name; 42704 no such list.';

CREATE FUNCTION fraud._get_lists_metadata(p_name text)
RETURNS TABLE (name text, description text, variable_type text, created_time timestamptz,
               updated_time timestamptz, arn text)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_name IS NOT NULL THEN
        PERFORM fraud._check_pattern('name', p_name, '^[0-9a-z_]+$', 1, 64);
    END IF;
    RETURN QUERY
    SELECT l.name, l.description, l.variable_type, l.created_time, l.updated_time, fraud._arn('list', l.name)
    FROM fraud.lists l WHERE p_name IS NULL OR l.name = p_name ORDER BY l.name;
    IF p_name IS NOT NULL AND NOT FOUND THEN
        PERFORM fraud._not_found('list', p_name);
    END IF;
END $$;

CREATE FUNCTION fraud_get_lists_metadata(name text DEFAULT NULL)
RETURNS TABLE (name text, description text, variable_type text, created_time timestamptz,
               updated_time timestamptz, arn text)
LANGUAGE sql STABLE AS $$ SELECT * FROM fraud._get_lists_metadata(name) $$;
COMMENT ON FUNCTION fraud_get_lists_metadata(text) IS 'GetListsMetadata: all lists, or only the named one, as rows (name, description, variable_type, created_time, updated_time, arn). Errors: 22023 invalid name; 42704 the named list does not exist.';

CREATE FUNCTION fraud_delete_list(name text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE used_by text[];
BEGIN
    PERFORM fraud._check_pattern('name', name, '^[0-9a-z_]+$', 1, 64);
    SELECT array_agg(format('%s/%s/%s', u.detector_id, u.rule_id, u.rule_version) ORDER BY u.detector_id, u.rule_id, u.rule_version)
        INTO used_by
        FROM (SELECT DISTINCT l.detector_id, l.rule_id, l.rule_version FROM fraud.rule_version_lists l
              WHERE l.list_name = name) u;
    IF used_by IS NOT NULL THEN
        PERFORM fraud._conflict(format('list %s is used by %s', quote_literal(name), fraud._some_names('rule version', used_by)));
    END IF;
    DELETE FROM fraud.lists l WHERE l.name = fraud_delete_list.name;
    IF NOT FOUND THEN
        RAISE NOTICE 'list % does not exist, skipping', quote_literal(name);
    END IF;
    PERFORM fraud._drop_tags('list', name);
END $$;
COMMENT ON FUNCTION fraud_delete_list(text) IS 'DeleteList: deletes the list with its elements and tags; a missing one is a NOTICE. Errors: 22023 invalid name; 55006 a rule version names it with @name.';
