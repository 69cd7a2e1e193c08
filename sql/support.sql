-- Helpers shared by every fraud_* function: validation with the SQLSTATEs of
-- docs/sql-reference.md (Errors), error raising, ARNs and tags. Internal; they live in schema
-- `fraud` and start with an underscore.
--
-- How every file under sql/ is written (CONTRIBUTING.md has the how-to):
-- * Schemas. Tables, sequences and internal helpers live in schema `fraud`; helpers start with
--   an underscore. The public API (`fraud_*`) lives in the extension's schema, the one CREATE
--   EXTENSION chose (public unless `SCHEMA` is given). SQL reaches the API only as
--   `@extschema@.fraud_x(...)`, which PostgreSQL substitutes when the install or upgrade script
--   runs; nothing looks the schema up at run time. Internal objects are always written
--   `fraud.x`, since API functions run with the caller's search_path.
-- * Names. Public functions take the AFD reference's parameter names (docs/sql-reference.md).
--   In a PL/pgSQL body, a name that is both a parameter and a column is written qualified: the
--   column with its table alias (`d.detector_id`), the parameter with its function's name
--   (`fraud_put_detector.detector_id`).
-- * Getters. PL/pgSQL refuses a parameter named like a column of its RETURNS TABLE, and AFD
--   names them alike (detector_id in, detector_id out). Such a public function is a one-line
--   LANGUAGE sql wrapper over `fraud._<name>` taking the same arguments in the same order; the
--   helper's parameters are the public names prefixed with `p_`.
-- * Changes. Every change to an object defined here ships, in the same commit, in the upgrade
--   script sql/fraud_detector--<previous release>--<version>.sql (tests/upgrade.sh proves that
--   upgrading equals a fresh install).

-- Every error a caller can cause is raised with fraud._raise(sqlstate, message, detail, hint)
-- (src/errors.rs), never with RAISE EXCEPTION: the user sees the message, DETAIL and HINT, not
-- CONTEXT lines naming the internal functions the error passed through. A PL/pgSQL EXCEPTION
-- block catches it as any other error (same SQLSTATE and message).

-- ValidationException -> 22023. Every message names the field and the value (cut at 100
-- characters, so a 100,000-element argument does not flood the log).
CREATE FUNCTION fraud._invalid(field text, value text, why text) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF length(value) > 100 THEN
        value := left(value, 100) || '...';
    END IF;
    PERFORM fraud._raise('22023', format('invalid %s: %s %s', field, coalesce(quote_literal(value), 'NULL'), why));
END $$;

-- ResourceNotFoundException -> 42704
CREATE FUNCTION fraud._not_found(kind text, id text) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    PERFORM fraud._raise('42704', format('%s %s does not exist', kind, quote_literal(id)));
END $$;

-- ConflictException (in use, wrong state) -> 55006
CREATE FUNCTION fraud._conflict(message text) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    PERFORM fraud._raise('55006', message);
END $$;

-- ConflictException (duplicate) -> 23505
CREATE FUNCTION fraud._duplicate(kind text, id text) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    PERFORM fraud._raise('23505', format('%s %s already exists', kind, quote_literal(id)));
END $$;

CREATE FUNCTION fraud._required(field text, value anyelement) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF value IS NULL THEN
        PERFORM fraud._raise('22023', format('invalid %s: NULL (%s is required)', field, field));
    END IF;
END $$;

-- Names in a message: "rule version d/r/1", or "rule versions d/r/1, d/r/2, d/r/3, d/r/4,
-- d/r/5 and 26 more" (the first five in the order given, and how many more), so that a
-- message stays one line however many objects there are. `kind` is singular; an s makes it
-- plural.
CREATE FUNCTION fraud._some_names(kind text, names text[]) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN cardinality(names) = 1 THEN kind || ' ' || names[1]
                ELSE kind || 's ' || array_to_string(names[1:5], ', ')
                     || CASE WHEN cardinality(names) > 5 THEN format(' and %s more', cardinality(names) - 5) ELSE '' END
           END
$$;

-- The reference's `identifier` (^[0-9a-z_-]+$, 1-64) and friends, by pattern.
CREATE FUNCTION fraud._check_pattern(field text, value text, pattern text, min_len int, max_len int)
RETURNS void LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    PERFORM fraud._required(field, value);
    IF length(value) < min_len OR length(value) > max_len THEN
        PERFORM fraud._invalid(field, value, format('(length must be %s to %s characters)', min_len, max_len));
    END IF;
    IF value !~ pattern THEN
        PERFORM fraud._invalid(field, value, format('(must match %s)', pattern));
    END IF;
END $$;

CREATE FUNCTION fraud._check_identifier(field text, value text) RETURNS void
LANGUAGE sql IMMUTABLE AS $$ SELECT fraud._check_pattern(field, value, '^[0-9a-z_-]+$', 1, 64) $$;

-- A text[] argument is a list: one dimension (SQL accepts '{{a,b},{c,d}}' for text[] too).
CREATE FUNCTION fraud._check_flat(field text, value anyarray) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF array_ndims(value) > 1 THEN
        PERFORM fraud._invalid(field, value::text, '(must be a one-dimensional array)');
    END IF;
END $$;

CREATE FUNCTION fraud._check_description(field text, value text) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF value IS NOT NULL AND (length(value) < 1 OR length(value) > 128) THEN
        PERFORM fraud._invalid(field, value, '(length must be 1 to 128 characters)');
    END IF;
END $$;

CREATE FUNCTION fraud._check_enum(field text, value text, allowed text[]) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    PERFORM fraud._required(field, value);
    IF NOT value = ANY (allowed) THEN
        PERFORM fraud._invalid(field, value, '(must be one of ' || array_to_string(allowed, ', ') || ')');
    END IF;
END $$;

CREATE FUNCTION fraud._check_variable_type(field text, value text) RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF value IS NOT NULL AND NOT EXISTS (SELECT 1 FROM fraud.variable_types WHERE name = value) THEN
        PERFORM fraud._invalid(field, value,
            '(must be one of ' || (SELECT string_agg(name, ', ' ORDER BY name) FROM fraud.variable_types) || ')');
    END IF;
END $$;

-- A version id as the reference writes it (wholeNumberVersionString: ^([1-9][0-9]*)$, 1-5 chars).
-- The one owner of that rule in SQL; src/catalog.rs repeats it for fraud_predict, and the
-- regression session `constants` keeps the two in step.
CREATE FUNCTION fraud._version_number(field text, value text) RETURNS int
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    PERFORM fraud._check_pattern(field, value, '^([1-9][0-9]*)$', 1, 5);
    RETURN value::int;
END $$;

-- A text[] argument: required-ness, size bounds, no NULL or duplicate members.
CREATE FUNCTION fraud._check_names(field text, value text[], min_count int) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE dup text;
BEGIN
    IF min_count > 0 THEN
        PERFORM fraud._required(field, value);
        IF cardinality(value) < min_count THEN
            PERFORM fraud._invalid(field, value::text, format('(at least %s required)', min_count));
        END IF;
    END IF;
    IF array_position(value, NULL) IS NOT NULL THEN
        PERFORM fraud._invalid(field, value::text, '(elements must not be NULL)');
    END IF;
    SELECT v INTO dup FROM unnest(value) v GROUP BY v HAVING count(*) > 1 LIMIT 1;
    IF dup IS NOT NULL THEN
        PERFORM fraud._invalid(field, value::text, format('(%s appears more than once)', quote_literal(dup)));
    END IF;
END $$;

-- Every name in `names` must exist in fraud.<tbl>; 42704 names the first that does not.
CREATE FUNCTION fraud._check_exist(kind text, tbl text, names text[]) RETURNS void
LANGUAGE plpgsql STABLE AS $$
DECLARE missing text;
BEGIN
    EXECUTE format('SELECT n FROM unnest($1) WITH ORDINALITY u(n, i)
                    WHERE NOT EXISTS (SELECT 1 FROM fraud.%I t WHERE t.name = u.n) ORDER BY i LIMIT 1', tbl)
        INTO missing USING names;
    IF missing IS NOT NULL THEN
        PERFORM fraud._not_found(kind, missing);
    END IF;
END $$;

-- ARNs: arn:fraud:<database>:<resource-type>/<resource-id> (docs/sql-reference.md, common rules).
CREATE FUNCTION fraud._arn(resource_type text, resource_id text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT 'arn:fraud:' || current_database() || ':' || resource_type || '/' || resource_id
$$;

-- Does the resource an ARN names exist? resource_id layouts: name, detector/version,
-- detector/rule/version.
CREATE FUNCTION fraud._resource_exists(resource_type text, resource_id text) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
DECLARE parts text[] := string_to_array(resource_id, '/');
BEGIN
    CASE resource_type
    WHEN 'entity-type' THEN RETURN EXISTS (SELECT 1 FROM fraud.entity_types WHERE name = resource_id);
    WHEN 'event-type'  THEN RETURN EXISTS (SELECT 1 FROM fraud.event_types WHERE name = resource_id);
    WHEN 'variable'    THEN RETURN EXISTS (SELECT 1 FROM fraud.variables WHERE name = resource_id);
    WHEN 'label'       THEN RETURN EXISTS (SELECT 1 FROM fraud.labels WHERE name = resource_id);
    WHEN 'outcome'     THEN RETURN EXISTS (SELECT 1 FROM fraud.outcomes WHERE name = resource_id);
    WHEN 'list'        THEN RETURN EXISTS (SELECT 1 FROM fraud.lists WHERE name = resource_id);
    WHEN 'detector'    THEN RETURN EXISTS (SELECT 1 FROM fraud.detectors WHERE detector_id = resource_id);
    WHEN 'detector-version' THEN
        RETURN cardinality(parts) = 2 AND parts[2] ~ '^[1-9][0-9]{0,4}$' AND EXISTS (
            SELECT 1 FROM fraud.detector_versions
            WHERE detector_id = parts[1] AND detector_version_id = parts[2]::int);
    WHEN 'rule' THEN
        RETURN cardinality(parts) = 3 AND parts[3] ~ '^[1-9][0-9]{0,4}$' AND EXISTS (
            SELECT 1 FROM fraud.rule_versions
            WHERE detector_id = parts[1] AND rule_id = parts[2] AND rule_version = parts[3]::int);
    WHEN 'model' THEN
        RETURN cardinality(parts) = 2 AND EXISTS (SELECT 1 FROM fraud.models WHERE model_id = parts[1] AND model_type = parts[2]);
    WHEN 'model-version' THEN
        RETURN cardinality(parts) = 3 AND EXISTS (
            SELECT 1 FROM fraud.model_versions WHERE model_id = parts[1] AND model_type = parts[2] AND model_version_number = parts[3]);
    WHEN 'external-model' THEN RETURN EXISTS (SELECT 1 FROM fraud.external_models WHERE model_endpoint = resource_id);
    WHEN 'voice-domain' THEN RETURN EXISTS (SELECT 1 FROM fraud.voice_domains WHERE domain_id = resource_id);
    WHEN 'batch-import' THEN
        RETURN EXISTS (SELECT 1 FROM fraud.jobs WHERE job_type = 'BATCH_IMPORT' AND job_id = resource_id AND NOT deleted);
    WHEN 'batch-prediction' THEN
        RETURN EXISTS (SELECT 1 FROM fraud.jobs WHERE job_type = 'BATCH_PREDICTION' AND job_id = resource_id AND NOT deleted);
    ELSE RETURN false;
    END CASE;
END $$;

-- Splits an ARN into (resource_type, resource_id); 22023 if malformed, 42704 if it names a
-- resource that is not in this database.
CREATE FUNCTION fraud._resolve_arn(resource_arn text, OUT resource_type text, OUT resource_id text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    prefix text := 'arn:fraud:' || current_database() || ':';
    m text[];
BEGIN
    PERFORM fraud._check_pattern('resource_arn', resource_arn, '^arn:fraud:[^:]+:[a-z-]+/\S+$', 1, 256);
    IF left(resource_arn, length(prefix)) <> prefix THEN
        PERFORM fraud._not_found('resource', resource_arn);
    END IF;
    m := regexp_match(substr(resource_arn, length(prefix) + 1), '^([a-z-]+)/(\S+)$');
    resource_type := m[1];
    resource_id := m[2];
    IF NOT fraud._resource_exists(resource_type, resource_id) THEN
        PERFORM fraud._not_found('resource', resource_arn);
    END IF;
END $$;

-- Tags arrive as the map {"key": "value"} of docs/sql-reference.md or the reference's
-- [{"key", "value"}].
CREATE FUNCTION fraud._tag_pairs(tags jsonb, OUT key text, OUT value text) RETURNS SETOF record
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE item jsonb;
BEGIN
    IF tags IS NULL THEN RETURN; END IF;
    CASE jsonb_typeof(tags)
    WHEN 'object' THEN
        FOR key, item IN SELECT e.key, e.value FROM jsonb_each(tags) e LOOP
            IF jsonb_typeof(item) <> 'string' THEN
                PERFORM fraud._invalid('tags', tags::text, format('(value of %s must be a string)', quote_literal(key)));
            END IF;
            value := item #>> '{}';
            RETURN NEXT;
        END LOOP;
    WHEN 'array' THEN
        FOR item IN SELECT jsonb_array_elements(tags) LOOP
            IF jsonb_typeof(item) <> 'object' OR jsonb_typeof(item->'key') IS DISTINCT FROM 'string'
               OR jsonb_typeof(item->'value') IS DISTINCT FROM 'string' THEN
                PERFORM fraud._invalid('tags', tags::text, '(each element must be {"key": string, "value": string})');
            END IF;
            key := item->>'key';
            value := item->>'value';
            RETURN NEXT;
        END LOOP;
    ELSE
        PERFORM fraud._invalid('tags', tags::text, '(must be an object {"key": "value"} or an array of {"key", "value"})');
    END CASE;
END $$;

-- Adds or overwrites tags on a resource, enforcing the reference's tag limits.
CREATE FUNCTION fraud._set_tags(resource_type text, resource_id text, tags jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE t record; n int; dup text;
BEGIN
    IF tags IS NULL THEN RETURN; END IF;
    FOR t IN SELECT * FROM fraud._tag_pairs(tags) LOOP
        PERFORM fraud._check_pattern('tag key', t.key, '^([[:alpha:][:space:][:digit:]_.:/=+\-@]*)$', 1, 128);
        IF length(t.value) > 256 THEN
            PERFORM fraud._invalid('tag value', t.value, '(length must be 0 to 256 characters)');
        END IF;
    END LOOP;
    SELECT p.key INTO dup FROM fraud._tag_pairs(tags) p GROUP BY p.key HAVING count(*) > 1 LIMIT 1;
    IF dup IS NOT NULL THEN
        PERFORM fraud._invalid('tags', tags::text, format('(key %s appears more than once)', quote_literal(dup)));
    END IF;
    IF (SELECT count(*) FROM fraud._tag_pairs(tags)) > 200 THEN
        PERFORM fraud._invalid('tags', tags::text, '(at most 200 tags)');
    END IF;
    INSERT INTO fraud.tags(resource_type, resource_id, key, value)
        SELECT _set_tags.resource_type, _set_tags.resource_id, p.key, p.value FROM fraud._tag_pairs(tags) p
        ON CONFLICT ON CONSTRAINT tags_pkey DO UPDATE SET value = EXCLUDED.value;
    SELECT count(*) INTO n FROM fraud.tags g
        WHERE g.resource_type = _set_tags.resource_type AND g.resource_id = _set_tags.resource_id;
    IF n > 200 THEN
        PERFORM fraud._raise('54000', format('too many tags on %s: %s (at most 200)', fraud._arn(resource_type, resource_id), n));
    END IF;
END $$;

CREATE FUNCTION fraud._drop_tags(resource_type text, resource_id text) RETURNS void
LANGUAGE sql AS $$
    DELETE FROM fraud.tags g WHERE g.resource_type = _drop_tags.resource_type AND g.resource_id = _drop_tags.resource_id
$$;

-- Entity types, labels and outcomes share one shape (name, description, times): one mechanism.
-- `tbl` and `resource_type` come from this extension's own code, never from callers.
CREATE FUNCTION fraud._put_named(tbl text, kind text, resource_type text, p_name text, p_description text,
                                 p_tags jsonb)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fraud._check_identifier('name', p_name);
    PERFORM fraud._check_description('description', p_description);
    EXECUTE format(
        'INSERT INTO fraud.%I AS t (name, description) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET description = EXCLUDED.description, last_updated_time = now()', tbl)
        USING p_name, p_description;
    PERFORM fraud._set_tags(resource_type, p_name, p_tags);
END $$;

CREATE FUNCTION fraud._get_named(tbl text, kind text, resource_type text, p_name text)
RETURNS TABLE (name text, description text, last_updated_time timestamptz, created_time timestamptz, arn text)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_name IS NOT NULL THEN
        PERFORM fraud._check_identifier('name', p_name);
    END IF;
    RETURN QUERY EXECUTE format(
        'SELECT t.name, t.description, t.last_updated_time, t.created_time, fraud._arn($2, t.name)
         FROM fraud.%I t WHERE $1 IS NULL OR t.name = $1 ORDER BY t.name', tbl)
        USING p_name, resource_type;
    IF p_name IS NOT NULL AND NOT FOUND THEN
        PERFORM fraud._not_found(kind, p_name);
    END IF;
END $$;

-- Deletes by name; the caller has already refused in-use objects. A missing object is a
-- NOTICE, as DROP ... IF EXISTS (the reference's Delete* raise no ResourceNotFoundException).
CREATE FUNCTION fraud._delete_named(tbl text, kind text, resource_type text, name text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE n int;
BEGIN
    EXECUTE format('DELETE FROM fraud.%I WHERE name = $1', tbl) USING name;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 0 THEN
        RAISE NOTICE '% % does not exist, skipping', kind, quote_literal(name);
    END IF;
    PERFORM fraud._drop_tags(resource_type, name);
END $$;
