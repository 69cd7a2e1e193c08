-- Models (docs/models.md): AFD's CreateModel, GetModels, UpdateModel, DeleteModel,
-- CreateModelVersion, UpdateModelVersion, GetModelVersion, DescribeModelVersions,
-- UpdateModelVersionStatus and DeleteModelVersion. A model version trains as a MODEL_TRAINING
-- job (sql/jobs.sql) whose steps call fraud._train_model_step (src/model.rs); what a model
-- learns is the engine's (engine/src/model).

CREATE FUNCTION fraud._model_types() RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY['ONLINE_FRAUD_INSIGHTS', 'TRANSACTION_FRAUD_INSIGHTS', 'ACCOUNT_TAKEOVER_INSIGHTS']
$$;

-- The model (locked FOR UPDATE when asked), after checking the key's syntax; 42704 if missing.
CREATE FUNCTION fraud._model(p_model_id text, p_model_type text, p_lock boolean DEFAULT false) RETURNS fraud.models
LANGUAGE plpgsql AS $$
DECLARE m fraud.models;
BEGIN
    PERFORM fraud._check_pattern('model_id', p_model_id, '^[0-9a-z_]+$', 1, 64);
    PERFORM fraud._check_enum('model_type', p_model_type, fraud._model_types());
    IF p_lock THEN
        SELECT * INTO m FROM fraud.models x WHERE x.model_id = p_model_id AND x.model_type = p_model_type FOR UPDATE;
    ELSE
        SELECT * INTO m FROM fraud.models x WHERE x.model_id = p_model_id AND x.model_type = p_model_type;
    END IF;
    IF NOT FOUND THEN
        PERFORM fraud._not_found('model', p_model_id || '/' || p_model_type);
    END IF;
    RETURN m;
END $$;

-- The model version, locked FOR UPDATE; 42704 if missing.
CREATE FUNCTION fraud._model_version(p_model_id text, p_model_type text, p_version text) RETURNS fraud.model_versions
LANGUAGE plpgsql AS $$
DECLARE v fraud.model_versions;
BEGIN
    PERFORM fraud._model(p_model_id, p_model_type);
    PERFORM fraud._check_pattern('model_version_number', p_version, '^[1-9][0-9]{0,3}\.[0-9]{1,2}$', 3, 7);
    SELECT * INTO v FROM fraud.model_versions x
        WHERE x.model_id = p_model_id AND x.model_type = p_model_type AND x.model_version_number = p_version FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM fraud._not_found('model version', format('%s/%s/%s', p_model_id, p_model_type, p_version));
    END IF;
    RETURN v;
END $$;

CREATE FUNCTION fraud_create_model(model_id text, model_type text, event_type_name text, description text DEFAULT NULL,
                                   tags jsonb DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fraud._check_pattern('model_id', model_id, '^[0-9a-z_]+$', 1, 64);
    PERFORM fraud._check_enum('model_type', model_type, fraud._model_types());
    PERFORM fraud._check_description('description', description);
    PERFORM fraud._event_type(event_type_name);
    INSERT INTO fraud.models (model_id, model_type, event_type_name, description)
        VALUES (model_id, model_type, event_type_name, description)
        ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        PERFORM fraud._duplicate('model', model_id || '/' || model_type);
    END IF;
    PERFORM fraud._set_tags('model', model_id || '/' || model_type, tags);
END $$;
COMMENT ON FUNCTION fraud_create_model(text, text, text, text, jsonb) IS 'CreateModel: a model of model_type (ONLINE_FRAUD_INSIGHTS, TRANSACTION_FRAUD_INSIGHTS, ACCOUNT_TAKEOVER_INSIGHTS) for events of event_type_name; train it with fraud_create_model_version. Errors: 22023 invalid argument; 42704 unknown event type; 23505 the model exists.';

CREATE FUNCTION fraud._get_models(p_model_id text, p_model_type text)
RETURNS TABLE (model_id text, model_type text, description text, event_type_name text, created_time timestamptz,
               last_updated_time timestamptz, arn text)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_model_type IS NOT NULL THEN
        PERFORM fraud._check_enum('model_type', p_model_type, fraud._model_types());
    END IF;
    RETURN QUERY
        SELECT m.model_id, m.model_type, m.description, m.event_type_name, m.created_time, m.last_updated_time,
               fraud._arn('model', m.model_id || '/' || m.model_type)
        FROM fraud.models m
        WHERE (p_model_id IS NULL OR m.model_id = p_model_id) AND (p_model_type IS NULL OR m.model_type = p_model_type)
        ORDER BY m.model_id, m.model_type;
END $$;

CREATE FUNCTION fraud_get_models(model_id text DEFAULT NULL, model_type text DEFAULT NULL)
RETURNS TABLE (model_id text, model_type text, description text, event_type_name text, created_time timestamptz,
               last_updated_time timestamptz, arn text)
LANGUAGE sql STABLE AS $$ SELECT * FROM fraud._get_models(model_id, model_type) $$;
COMMENT ON FUNCTION fraud_get_models(text, text) IS 'GetModels: every model, or those with model_id and/or model_type (an empty result when none matches, as AFD). Errors: 22023 unknown model_type.';

CREATE FUNCTION fraud_update_model(model_id text, model_type text, description text DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fraud._model(model_id, model_type, true);
    PERFORM fraud._check_description('description', description);
    UPDATE fraud.models m SET description = fraud_update_model.description, last_updated_time = now()
        WHERE m.model_id = fraud_update_model.model_id AND m.model_type = fraud_update_model.model_type;
END $$;
COMMENT ON FUNCTION fraud_update_model(text, text, text) IS 'UpdateModel: sets the description (NULL clears it). Errors: 22023; 42704 no such model.';

-- Detector versions that name a model version: "detector/version" of each.
CREATE FUNCTION fraud._model_version_users(p_model_id text, p_model_type text, p_version text, p_statuses text[])
RETURNS text[] LANGUAGE sql STABLE AS $$
    SELECT array_agg(v.detector_id || '/' || v.detector_version_id ORDER BY v.detector_id, v.detector_version_id)
    FROM fraud.detector_versions v, jsonb_array_elements(v.model_versions) m
    WHERE m->>'modelId' = p_model_id AND m->>'modelType' = p_model_type
      AND (p_version IS NULL OR m->>'modelVersionNumber' = p_version)
      AND v.status = ANY (p_statuses)
$$;

-- AFD deletes a model with its versions, provided no detector version uses them.
CREATE FUNCTION fraud_delete_model(model_id text, model_type text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE users text[];
BEGIN
    PERFORM fraud._check_pattern('model_id', model_id, '^[0-9a-z_]+$', 1, 64);
    PERFORM fraud._check_enum('model_type', model_type, fraud._model_types());
    IF NOT EXISTS (SELECT 1 FROM fraud.models m WHERE m.model_id = fraud_delete_model.model_id
                                                  AND m.model_type = fraud_delete_model.model_type) THEN
        RAISE NOTICE 'model %/% does not exist, skipping', model_id, model_type;
        RETURN;
    END IF;
    PERFORM fraud._model(model_id, model_type, true);
    users := fraud._model_version_users(model_id, model_type, NULL, ARRAY['DRAFT', 'ACTIVE', 'INACTIVE']);
    IF users IS NOT NULL THEN
        PERFORM fraud._conflict(format('model %s/%s is used by %s', model_id, model_type, fraud._some_names('detector version', users)));
    END IF;
    IF EXISTS (SELECT 1 FROM fraud.model_versions v WHERE v.model_id = fraud_delete_model.model_id
               AND v.model_type = fraud_delete_model.model_type AND v.status = 'TRAINING_IN_PROGRESS') THEN
        PERFORM fraud._conflict(format('model %s/%s has a version in training; cancel it first (fraud_update_model_version_status ... TRAINING_CANCELLED)', model_id, model_type));
    END IF;
    DELETE FROM fraud.tags t WHERE t.resource_type = 'model-version'
        AND t.resource_id LIKE replace(replace(model_id, '_', '\_'), '%', '\%') || '/' || model_type || '/%';
    DELETE FROM fraud.model_versions v WHERE v.model_id = fraud_delete_model.model_id AND v.model_type = fraud_delete_model.model_type;
    DELETE FROM fraud.models m WHERE m.model_id = fraud_delete_model.model_id AND m.model_type = fraud_delete_model.model_type;
    PERFORM fraud._drop_tags('model', model_id || '/' || model_type);
END $$;
COMMENT ON FUNCTION fraud_delete_model(text, text) IS 'DeleteModel: deletes the model, its versions and their tags; a missing model is a NOTICE. Errors: 22023; 55006 a detector version uses one of its versions, or a version is training.';

-- The training request, checked: modelVariables (variables of the model's event type, at most
-- 100), labelSchema (labelMapper FRAUD/LEGIT -> label names of the event type,
-- unlabeledEventsTreatment), the data source and its detail. Returns the schema with defaults.
CREATE FUNCTION fraud._check_training_request(m fraud.models, p_source text, p_schema jsonb, p_external jsonb,
                                              p_ingested jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE vars text[]; bad text; mapper jsonb; treatment text; k text; s text; e text;
BEGIN
    PERFORM fraud._check_enum('training_data_source', p_source, ARRAY['EXTERNAL_EVENTS', 'INGESTED_EVENTS']);
    -- its scoring would read the entity's stored events, spread over the workers (docs/scale-out.md)
    IF m.model_type <> 'ONLINE_FRAUD_INSIGHTS' AND fraud._events_distributed() THEN
        PERFORM fraud._raise('0A000', format('a %s model reads the stored events of its entities, and fraud.events is distributed', m.model_type),
                             'See docs/scale-out.md, "Stored events".', NULL);
    END IF;
    PERFORM fraud._required('training_data_schema', p_schema);
    IF jsonb_typeof(p_schema) <> 'object' OR jsonb_typeof(p_schema->'modelVariables') IS DISTINCT FROM 'array' THEN
        PERFORM fraud._invalid('training_data_schema', p_schema::text, '(must be {"modelVariables": [...], "labelSchema": {...}})');
    END IF;
    IF EXISTS (SELECT 1 FROM jsonb_array_elements(p_schema->'modelVariables') x WHERE jsonb_typeof(x) <> 'string') THEN
        PERFORM fraud._invalid('training_data_schema.modelVariables', (p_schema->'modelVariables')::text, '(must be an array of variable names)');
    END IF;
    vars := ARRAY(SELECT DISTINCT x FROM jsonb_array_elements_text(p_schema->'modelVariables') x ORDER BY 1);
    IF cardinality(vars) = 0 OR cardinality(vars) > 100 THEN
        PERFORM fraud._invalid('training_data_schema.modelVariables', (p_schema->'modelVariables')::text, '(must name 1 to 100 variables)');
    END IF;
    SELECT x INTO bad FROM unnest(vars) x
        WHERE NOT EXISTS (SELECT 1 FROM fraud.event_type_variables t WHERE t.event_type_name = m.event_type_name AND t.variable_name = x)
        LIMIT 1;
    IF bad IS NOT NULL THEN
        PERFORM fraud._invalid('training_data_schema.modelVariables', bad,
                               format('(not a variable of event type %s)', quote_literal(m.event_type_name)));
    END IF;
    mapper := coalesce(p_schema->'labelSchema'->'labelMapper', '{}');
    IF jsonb_typeof(mapper) <> 'object' THEN
        PERFORM fraud._invalid('training_data_schema.labelSchema.labelMapper', mapper::text, '(must be {"FRAUD": [labels], "LEGIT": [labels]})');
    END IF;
    IF mapper = '{}' THEN
        -- AFD's default: the event type's labels named fraud and legit, when they exist
        mapper := jsonb_build_object('FRAUD', '["fraud"]'::jsonb, 'LEGIT', '["legit"]'::jsonb);
    END IF;
    FOR k IN SELECT jsonb_object_keys(mapper) LOOP
        IF k NOT IN ('FRAUD', 'LEGIT') THEN
            PERFORM fraud._invalid('training_data_schema.labelSchema.labelMapper', k, '(keys must be FRAUD and LEGIT)');
        END IF;
        IF jsonb_typeof(mapper->k) <> 'array' OR EXISTS (SELECT 1 FROM jsonb_array_elements(mapper->k) x WHERE jsonb_typeof(x) <> 'string') THEN
            PERFORM fraud._invalid('training_data_schema.labelSchema.labelMapper.' || k, (mapper->k)::text, '(must be an array of label names)');
        END IF;
    END LOOP;
    SELECT x INTO bad FROM jsonb_array_elements_text(coalesce(mapper->'FRAUD', '[]') || coalesce(mapper->'LEGIT', '[]')) x
        GROUP BY x HAVING count(*) > 1 LIMIT 1;
    IF bad IS NOT NULL THEN
        PERFORM fraud._invalid('training_data_schema.labelSchema.labelMapper', bad, '(a label maps to both FRAUD and LEGIT)');
    END IF;
    treatment := coalesce(p_schema->'labelSchema'->>'unlabeledEventsTreatment', 'IGNORE');
    PERFORM fraud._check_enum('training_data_schema.labelSchema.unlabeledEventsTreatment', treatment,
                              ARRAY['IGNORE', 'FRAUD', 'LEGIT', 'AUTO']);
    IF p_source = 'INGESTED_EVENTS' THEN
        IF p_external IS NOT NULL THEN
            PERFORM fraud._invalid('external_events_detail', p_external::text, '(only with training_data_source EXTERNAL_EVENTS)');
        END IF;
        s := p_ingested->'ingestedEventsTimeWindow'->>'startTime';
        e := p_ingested->'ingestedEventsTimeWindow'->>'endTime';
        IF s IS NULL OR e IS NULL THEN
            PERFORM fraud._invalid('ingested_events_detail', coalesce(p_ingested::text, 'NULL'),
                                   '(must be {"ingestedEventsTimeWindow": {"startTime": ..., "endTime": ...}})');
        END IF;
        BEGIN
            IF s::timestamptz >= e::timestamptz THEN
                PERFORM fraud._invalid('ingested_events_detail', p_ingested::text, '(startTime must be before endTime)');
            END IF;
        EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format THEN
            PERFORM fraud._invalid('ingested_events_detail', p_ingested::text, '(startTime and endTime must be timestamps)');
        END;
    ELSE
        IF p_ingested IS NOT NULL THEN
            PERFORM fraud._invalid('ingested_events_detail', p_ingested::text, '(only with training_data_source INGESTED_EVENTS)');
        END IF;
        IF p_external->>'dataLocation' IS NULL THEN
            PERFORM fraud._invalid('external_events_detail', coalesce(p_external::text, 'NULL'),
                                   '(must be {"dataLocation": a table, a query or a server-side CSV file})');
        END IF;
    END IF;
    RETURN jsonb_build_object('modelVariables', to_jsonb(vars),
                              'labelSchema', jsonb_build_object('labelMapper', mapper, 'unlabeledEventsTreatment', treatment));
END $$;

-- Inserts a version and starts its training job.
CREATE FUNCTION fraud._start_model_version(m fraud.models, p_source text, p_schema jsonb, p_external jsonb,
                                           p_ingested jsonb, p_tags jsonb, p_caller bigint)
RETURNS TABLE (model_id text, model_type text, model_version_number text, status text)
LANGUAGE plpgsql AS $$
DECLARE v_role oid; v_path text; n int; version text; inp record; kind text := 'EVENTS'; source text := '';
BEGIN
    SELECT c.role, c.search_path INTO v_role, v_path FROM fraud._redeem_caller(p_caller) c;
    p_schema := fraud._check_training_request(m, p_source, p_schema, p_external, p_ingested);
    IF p_source = 'EXTERNAL_EVENTS' THEN
        inp := fraud._job_input(p_external->>'dataLocation', 'external_events_detail.dataLocation', v_role, v_path);
        kind := inp.kind;
        source := inp.source;
    END IF;
    SELECT coalesce(max(x.major), 0) + 1 INTO n FROM fraud.model_versions x
        WHERE x.model_id = m.model_id AND x.model_type = m.model_type;
    IF n > 9999 THEN
        PERFORM fraud._raise('54000', format('model %s/%s has 9999 major versions', m.model_id, m.model_type));
    END IF;
    version := n || '.0';
    INSERT INTO fraud.model_versions (model_id, model_type, model_version_number, major, minor, training_data_source,
                                      training_data_schema, external_events_detail, ingested_events_detail)
        VALUES (m.model_id, m.model_type, version, n, 0, p_source, p_schema, p_external, p_ingested);
    PERFORM fraud._set_tags('model-version', format('%s/%s/%s', m.model_id, m.model_type, version), p_tags);
    PERFORM fraud._job_check_worker_role();
    PERFORM fraud._reap_jobs();
    INSERT INTO fraud.jobs (job_type, job_id, event_type_name, input_kind, input_path, owner, search_path, config)
        VALUES ('MODEL_TRAINING', fraud._model_job_id(m.model_id, m.model_type, version), m.event_type_name, kind, source,
                v_role::regrole, v_path,
                jsonb_build_object('modelId', m.model_id, 'modelType', m.model_type, 'modelVersionNumber', version))
        ON CONFLICT ON CONSTRAINT jobs_pkey DO UPDATE
            SET status = 'IN_PROGRESS_INITIALIZING', input_kind = excluded.input_kind, input_path = excluded.input_path,
                owner = excluded.owner, search_path = excluded.search_path, deleted = false, worker_pid = NULL,
                failure_reason = NULL, completion_time = NULL, start_time = now(), processed_records_count = 0,
                failed_records_count = 0, total_records_count = NULL;
    PERFORM fraud._launch_job_worker();
    RETURN QUERY SELECT m.model_id, m.model_type, version, 'TRAINING_IN_PROGRESS'::text;
END $$;

-- The training job of a version: a hash, so that any model id fits the job id's 64 characters.
CREATE FUNCTION fraud._model_job_id(p_model_id text, p_model_type text, p_version text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT md5(p_model_id || '/' || p_model_type || '/' || p_version) $$;

CREATE FUNCTION fraud._create_model_version(p_model_id text, p_model_type text, p_training_data_source text,
                                            p_training_data_schema jsonb, p_external_events_detail jsonb,
                                            p_ingested_events_detail jsonb, p_tags jsonb, p_caller bigint)
RETURNS TABLE (model_id text, model_type text, model_version_number text, status text)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY SELECT * FROM fraud._start_model_version(fraud._model(p_model_id, p_model_type, true), p_training_data_source,
        p_training_data_schema, p_external_events_detail, p_ingested_events_detail, p_tags, p_caller);
END $$;

CREATE FUNCTION fraud_create_model_version(model_id text, model_type text, training_data_source text,
                                           training_data_schema jsonb, external_events_detail jsonb DEFAULT NULL,
                                           ingested_events_detail jsonb DEFAULT NULL, tags jsonb DEFAULT NULL)
RETURNS TABLE (model_id text, model_type text, model_version_number text, status text)
LANGUAGE sql AS $$
    SELECT * FROM fraud._create_model_version(model_id, model_type, training_data_source, training_data_schema,
                                              external_events_detail, ingested_events_detail, tags, fraud._caller_token())
$$;
COMMENT ON FUNCTION fraud_create_model_version(text, text, text, jsonb, jsonb, jsonb, jsonb) IS 'CreateModelVersion: the next major version (1.0, 2.0, ...) of the model, trained by a background job on INGESTED_EVENTS (stored events in ingested_events_detail''s time window) or EXTERNAL_EVENTS (external_events_detail.dataLocation: a table, a query or a server-side CSV file in batch import''s layout, read with the caller''s rights); status TRAINING_IN_PROGRESS, then TRAINING_COMPLETE or ERROR (fraud_describe_model_versions). Errors: 22023 invalid argument; 42704 unknown model; 42501.';

-- The next major version trained on new data with the version's schema (docs/models.md).
CREATE FUNCTION fraud._update_model_version(p_model_id text, p_model_type text, p_major_version_number text,
                                            p_external_events_detail jsonb, p_ingested_events_detail jsonb,
                                            p_tags jsonb, p_caller bigint)
RETURNS TABLE (model_id text, model_type text, model_version_number text, status text)
LANGUAGE plpgsql AS $$
DECLARE m fraud.models := fraud._model(p_model_id, p_model_type, true); v fraud.model_versions;
BEGIN
    PERFORM fraud._check_pattern('major_version_number', p_major_version_number, '^([1-9][0-9]*)$', 1, 5);
    SELECT * INTO v FROM fraud.model_versions x
        WHERE x.model_id = m.model_id AND x.model_type = m.model_type AND x.major = p_major_version_number::int
        ORDER BY x.minor DESC LIMIT 1;
    IF NOT FOUND THEN
        PERFORM fraud._not_found('model version', format('%s/%s/%s.x', p_model_id, p_model_type, p_major_version_number));
    END IF;
    RETURN QUERY SELECT * FROM fraud._start_model_version(m,
        CASE WHEN p_external_events_detail IS NOT NULL THEN 'EXTERNAL_EVENTS'
             WHEN p_ingested_events_detail IS NOT NULL THEN 'INGESTED_EVENTS' ELSE v.training_data_source END,
        v.training_data_schema,
        CASE WHEN p_ingested_events_detail IS NULL THEN coalesce(p_external_events_detail, v.external_events_detail) END,
        CASE WHEN p_external_events_detail IS NULL THEN coalesce(p_ingested_events_detail, v.ingested_events_detail) END,
        p_tags, p_caller);
END $$;

CREATE FUNCTION fraud_update_model_version(model_id text, model_type text, major_version_number text,
                                           external_events_detail jsonb DEFAULT NULL,
                                           ingested_events_detail jsonb DEFAULT NULL, tags jsonb DEFAULT NULL)
RETURNS TABLE (model_id text, model_type text, model_version_number text, status text)
LANGUAGE sql AS $$
    SELECT * FROM fraud._update_model_version(model_id, model_type, major_version_number, external_events_detail,
                                              ingested_events_detail, tags, fraud._caller_token())
$$;
COMMENT ON FUNCTION fraud_update_model_version(text, text, text, jsonb, jsonb, jsonb) IS 'UpdateModelVersion: trains the next major version with the variables and label schema of major_version_number''s latest version, on new data (external_events_detail or ingested_events_detail; NULL keeps that version''s). Errors: 22023; 42704 unknown model or major version; 42501.';

CREATE FUNCTION fraud._model_version_row(v fraud.model_versions)
RETURNS TABLE (model_id text, model_type text, model_version_number text, status text, training_data_source text,
               training_data_schema jsonb, external_events_detail jsonb, ingested_events_detail jsonb,
               training_result jsonb, training_result_v2 jsonb, training_progress real, failure_reason text,
               last_updated_time timestamptz, created_time timestamptz, arn text)
LANGUAGE sql STABLE AS $$
    SELECT v.model_id, v.model_type, v.model_version_number, v.status, v.training_data_source, v.training_data_schema,
           v.external_events_detail, v.ingested_events_detail, v.training_result, v.training_result_v2,
           v.training_progress, v.failure_reason, v.last_updated_time, v.created_time,
           fraud._arn('model-version', format('%s/%s/%s', v.model_id, v.model_type, v.model_version_number))
$$;

CREATE FUNCTION fraud._get_model_version(p_model_id text, p_model_type text, p_version text)
RETURNS TABLE (model_id text, model_type text, model_version_number text, training_data_source text,
               training_data_schema jsonb, external_events_detail jsonb, ingested_events_detail jsonb, status text,
               arn text)
LANGUAGE plpgsql AS $$
DECLARE v fraud.model_versions;
BEGIN
    PERFORM fraud._reap_jobs();
    PERFORM fraud._model(p_model_id, p_model_type);
    PERFORM fraud._check_pattern('model_version_number', p_version, '^[1-9][0-9]{0,3}\.[0-9]{1,2}$', 3, 7);
    SELECT * INTO v FROM fraud.model_versions x
        WHERE x.model_id = p_model_id AND x.model_type = p_model_type AND x.model_version_number = p_version;
    IF NOT FOUND THEN
        PERFORM fraud._not_found('model version', format('%s/%s/%s', p_model_id, p_model_type, p_version));
    END IF;
    RETURN QUERY SELECT r.model_id, r.model_type, r.model_version_number, r.training_data_source, r.training_data_schema,
                        r.external_events_detail, r.ingested_events_detail, r.status, r.arn
                 FROM fraud._model_version_row(v) r;
END $$;

CREATE FUNCTION fraud_get_model_version(model_id text, model_type text, model_version_number text)
RETURNS TABLE (model_id text, model_type text, model_version_number text, training_data_source text,
               training_data_schema jsonb, external_events_detail jsonb, ingested_events_detail jsonb, status text,
               arn text)
LANGUAGE sql AS $$ SELECT * FROM fraud._get_model_version(model_id, model_type, model_version_number) $$;
COMMENT ON FUNCTION fraud_get_model_version(text, text, text) IS 'GetModelVersion: the version''s training request, status and ARN. Errors: 22023; 42704 no such model or version.';

CREATE FUNCTION fraud._describe_model_versions(p_model_id text, p_version text, p_model_type text)
RETURNS TABLE (model_id text, model_type text, model_version_number text, status text, training_data_source text,
               training_data_schema jsonb, external_events_detail jsonb, ingested_events_detail jsonb,
               training_result jsonb, training_result_v2 jsonb, training_progress real, failure_reason text,
               last_updated_time timestamptz, created_time timestamptz, arn text)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fraud._reap_jobs();
    IF p_model_type IS NOT NULL THEN
        PERFORM fraud._check_enum('model_type', p_model_type, fraud._model_types());
    END IF;
    RETURN QUERY
        SELECT r.* FROM fraud.model_versions v CROSS JOIN LATERAL fraud._model_version_row(v) r
        WHERE (p_model_id IS NULL OR v.model_id = p_model_id) AND (p_model_type IS NULL OR v.model_type = p_model_type)
          AND (p_version IS NULL OR v.model_version_number = p_version)
        ORDER BY v.model_id, v.model_type, v.major, v.minor;
END $$;

CREATE FUNCTION fraud_describe_model_versions(model_id text DEFAULT NULL, model_version_number text DEFAULT NULL,
                                              model_type text DEFAULT NULL)
RETURNS TABLE (model_id text, model_type text, model_version_number text, status text, training_data_source text,
               training_data_schema jsonb, external_events_detail jsonb, ingested_events_detail jsonb,
               training_result jsonb, training_result_v2 jsonb, training_progress real, failure_reason text,
               last_updated_time timestamptz, created_time timestamptz, arn text)
LANGUAGE sql AS $$ SELECT * FROM fraud._describe_model_versions(model_id, model_version_number, model_type) $$;
COMMENT ON FUNCTION fraud_describe_model_versions(text, text, text) IS 'DescribeModelVersions: the versions matching the filters with their training results in AFD''s shapes (training_result, training_result_v2: AUC with uncertainty range, metric data points, variable importance, data validation), training_progress (0 to 1) and failure_reason. Errors: 22023 unknown model_type.';

-- ACTIVE from TRAINING_COMPLETE or INACTIVE; INACTIVE from ACTIVE unless an ACTIVE detector
-- version uses it; TRAINING_CANCELLED from TRAINING_IN_PROGRESS (the job stops at its next
-- step).
CREATE FUNCTION fraud_update_model_version_status(model_id text, model_type text, model_version_number text, status text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE v fraud.model_versions := fraud._model_version(model_id, model_type, model_version_number); users text[];
        j fraud.jobs;
BEGIN
    PERFORM fraud._check_enum('status', status, ARRAY['ACTIVE', 'INACTIVE', 'TRAINING_CANCELLED']);
    IF v.status = status THEN
        RETURN;
    END IF;
    IF (status = 'ACTIVE' AND v.status NOT IN ('TRAINING_COMPLETE', 'INACTIVE'))
       OR (status = 'INACTIVE' AND v.status NOT IN ('ACTIVE', 'TRAINING_COMPLETE'))
       OR (status = 'TRAINING_CANCELLED' AND v.status <> 'TRAINING_IN_PROGRESS') THEN
        PERFORM fraud._conflict(format('model version %s/%s/%s is %s; it cannot become %s', v.model_id, v.model_type,
                                       v.model_version_number, v.status, status));
    END IF;
    IF status = 'INACTIVE' THEN
        users := fraud._model_version_users(v.model_id, v.model_type, v.model_version_number, ARRAY['ACTIVE']);
        IF users IS NOT NULL THEN
            PERFORM fraud._conflict(format('model version %s/%s/%s is used by ACTIVE %s', v.model_id, v.model_type,
                                           v.model_version_number, fraud._some_names('detector version', users)));
        END IF;
    END IF;
    IF status = 'TRAINING_CANCELLED' THEN
        -- a job no worker has taken yet ends now; a running one stops at its next step
        SELECT * INTO j FROM fraud.jobs x
            WHERE x.job_type = 'MODEL_TRAINING' AND x.job_id = fraud._model_job_id(v.model_id, v.model_type, v.model_version_number)
              AND fraud._job_active(x.status)
            FOR UPDATE;
        IF FOUND AND j.worker_pid IS NULL THEN
            PERFORM fraud._job_finish(j, 'CANCELED');
        ELSIF FOUND THEN
            UPDATE fraud.jobs x SET status = 'CANCEL_IN_PROGRESS' WHERE x.job_type = j.job_type AND x.job_id = j.job_id;
        END IF;
    END IF;
    UPDATE fraud.model_versions x SET status = fraud_update_model_version_status.status, last_updated_time = now()
        WHERE x.model_id = v.model_id AND x.model_type = v.model_type AND x.model_version_number = v.model_version_number;
END $$;
COMMENT ON FUNCTION fraud_update_model_version_status(text, text, text, text) IS 'UpdateModelVersionStatus: ACTIVE (from TRAINING_COMPLETE or INACTIVE; detector versions may then use it), INACTIVE (unless an ACTIVE detector version uses it), or TRAINING_CANCELLED (stops its training job). Errors: 22023; 42704 no such version; 55006 not allowed from its status or in use.';

CREATE FUNCTION fraud_delete_model_version(model_id text, model_type text, model_version_number text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE v fraud.model_versions; users text[];
BEGIN
    PERFORM fraud._check_pattern('model_version_number', model_version_number, '^[1-9][0-9]{0,3}\.[0-9]{1,2}$', 3, 7);
    IF NOT EXISTS (SELECT 1 FROM fraud.model_versions x WHERE x.model_id = fraud_delete_model_version.model_id
                   AND x.model_type = fraud_delete_model_version.model_type
                   AND x.model_version_number = fraud_delete_model_version.model_version_number) THEN
        RAISE NOTICE 'model version %/%/% does not exist, skipping', model_id, model_type, model_version_number;
        RETURN;
    END IF;
    v := fraud._model_version(model_id, model_type, model_version_number);
    users := fraud._model_version_users(v.model_id, v.model_type, v.model_version_number, ARRAY['DRAFT', 'ACTIVE', 'INACTIVE']);
    IF users IS NOT NULL THEN
        PERFORM fraud._conflict(format('model version %s/%s/%s is used by %s', v.model_id, v.model_type,
                                       v.model_version_number, fraud._some_names('detector version', users)));
    END IF;
    IF v.status = 'TRAINING_IN_PROGRESS' THEN
        PERFORM fraud._conflict(format('model version %s/%s/%s is training; cancel it first', v.model_id, v.model_type, v.model_version_number));
    END IF;
    DELETE FROM fraud.model_versions x WHERE x.model_id = v.model_id AND x.model_type = v.model_type
                                        AND x.model_version_number = v.model_version_number;
    PERFORM fraud._drop_tags('model-version', format('%s/%s/%s', v.model_id, v.model_type, v.model_version_number));
END $$;
COMMENT ON FUNCTION fraud_delete_model_version(text, text, text) IS 'DeleteModelVersion: deletes a version and its tags; a missing one is a NOTICE. Errors: 22023; 55006 a detector version uses it, or it is training.';

-- Training, step by step (the job machinery calls this once per transaction). The first step
-- reads the data and starts training in a thread of the worker (src/model.rs); later steps
-- wait up to about half a second and commit the progress; the last stores the model and the
-- results. Everything the version gets is written in that one transaction.
CREATE FUNCTION fraud._model_training_step(j fraud.jobs) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE v fraud.model_versions; m fraud.models; r jsonb;
BEGIN
    SELECT * INTO v FROM fraud.model_versions x
        WHERE x.model_id = j.config->>'modelId' AND x.model_type = j.config->>'modelType'
          AND x.model_version_number = j.config->>'modelVersionNumber';
    IF NOT FOUND OR v.status <> 'TRAINING_IN_PROGRESS' THEN
        PERFORM fraud._job_finish(j, 'CANCELED');
        RETURN;
    END IF;
    SELECT * INTO m FROM fraud.models x WHERE x.model_id = v.model_id AND x.model_type = v.model_type;
    IF j.status = 'IN_PROGRESS_INITIALIZING' AND j.input_kind <> 'EVENTS' THEN
        -- external events: a snapshot of the input, read with the creator's rights
        PERFORM fraud._job_stage(j, fraud._job_staging_name(j.job_type, j.job_id));
        UPDATE fraud.jobs x SET staging = fraud._job_staging_name(j.job_type, j.job_id)
            WHERE x.job_type = j.job_type AND x.job_id = j.job_id;
    END IF;
    r := fraud._train_model_step(j.job_id, j.status = 'IN_PROGRESS_INITIALIZING', m.model_type, m.event_type_name,
                                 v.training_data_schema, v.ingested_events_detail, j.input_kind,
                                 CASE WHEN j.input_kind = 'EVENTS' THEN '' ELSE fraud._job_staging_name(j.job_type, j.job_id) END);
    IF j.status = 'IN_PROGRESS_INITIALIZING' AND j.input_kind <> 'EVENTS' THEN
        PERFORM fraud._job_drop_staging(j.job_type, j.job_id);
        UPDATE fraud.jobs x SET staging = NULL WHERE x.job_type = j.job_type AND x.job_id = j.job_id;
    END IF;
    IF j.status = 'IN_PROGRESS_INITIALIZING' THEN
        UPDATE fraud.jobs x SET status = 'IN_PROGRESS', total_records_count = (r->>'events')::bigint,
                                processed_records_count = (r->>'events')::bigint, last_heartbeat_time = clock_timestamp()
            WHERE x.job_type = j.job_type AND x.job_id = j.job_id;
    ELSE
        UPDATE fraud.jobs x SET last_heartbeat_time = clock_timestamp() WHERE x.job_type = j.job_type AND x.job_id = j.job_id;
    END IF;
    CASE r->>'state'
    WHEN 'training' THEN
        UPDATE fraud.model_versions x SET training_progress = (r->>'progress')::real
            WHERE (x.model_id, x.model_type, x.model_version_number) = (v.model_id, v.model_type, v.model_version_number);
    WHEN 'complete' THEN
        -- only a version still training takes the model: a cancel that committed while this
        -- step ran wins (the row is checked again once the cancel's lock is gone)
        UPDATE fraud.model_versions x SET status = 'TRAINING_COMPLETE', training_progress = 1, model_data = r->>'model',
                                          training_result = r->'report'->'trainingResult',
                                          training_result_v2 = r->'report'->'trainingResultV2', last_updated_time = now()
            WHERE (x.model_id, x.model_type, x.model_version_number) = (v.model_id, v.model_type, v.model_version_number)
              AND x.status = 'TRAINING_IN_PROGRESS';
        IF FOUND THEN
            PERFORM fraud._job_finish(j, 'COMPLETE');
        ELSE
            PERFORM fraud._job_finish(j, 'CANCELED');
        END IF;
    WHEN 'invalid' THEN
        UPDATE fraud.model_versions x SET status = 'ERROR', failure_reason = r->>'reason',
                                          training_result = jsonb_build_object('dataValidationMetrics', r->'validation'),
                                          training_result_v2 = jsonb_build_object('dataValidationMetrics', r->'validation'),
                                          last_updated_time = now()
            WHERE (x.model_id, x.model_type, x.model_version_number) = (v.model_id, v.model_type, v.model_version_number)
              AND x.status = 'TRAINING_IN_PROGRESS';
        IF FOUND THEN
            PERFORM fraud._job_finish(j, 'FAILED', r->>'reason');
        ELSE
            PERFORM fraud._job_finish(j, 'CANCELED');
        END IF;
    END CASE;
END $$;

-- A training job that ended otherwise than COMPLETE (failed, cancelled, its worker gone): its
-- version says so. Called by fraud._job_finish and fraud._reap_jobs.
CREATE FUNCTION fraud._model_job_ended(j fraud.jobs, final_status text, reason text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fraud._train_model_forget(j.job_id);
    UPDATE fraud.model_versions x
        SET status = CASE WHEN final_status = 'CANCELED' THEN 'TRAINING_CANCELLED' ELSE 'ERROR' END,
            failure_reason = CASE WHEN final_status = 'CANCELED' THEN NULL ELSE coalesce(x.failure_reason, reason) END,
            last_updated_time = now()
        WHERE x.model_id = j.config->>'modelId' AND x.model_type = j.config->>'modelType'
          AND x.model_version_number = j.config->>'modelVersionNumber'
          AND x.status IN ('TRAINING_IN_PROGRESS', 'TRAINING_CANCELLED');
END $$;

-- The staged rows of external training events (AFD's batch import layout, columns matched
-- case-insensitively): event time as text, "entityType/entityId", label, and the model
-- variables' values as a JSON array of strings, in input order. Column names come from the
-- staging table's own catalog entry and are quoted.
CREATE FUNCTION fraud._model_external_rows(staging regclass, names text[])
RETURNS TABLE (event_timestamp text, entity text, event_label text, event_variables text)
LANGUAGE plpgsql AS $$
DECLARE cols text[]; vals text;
BEGIN
    cols := ARRAY(SELECT a.attname FROM pg_catalog.pg_attribute a
                  WHERE a.attrelid = staging AND a.attnum > 0 AND NOT a.attisdropped);
    vals := (SELECT string_agg(coalesce((SELECT quote_ident(c) FROM unnest(cols) c WHERE lower(c) = lower(n) LIMIT 1), 'NULL::text'),
                               ', ' ORDER BY i)
             FROM unnest(names) WITH ORDINALITY u(n, i));
    RETURN QUERY EXECUTE format(
        'SELECT %s, %s || ''/'' || %s, nullif(%s, ''''), array_to_json(ARRAY[%s])::text FROM %s ORDER BY _row',
        coalesce((SELECT quote_ident(c) FROM unnest(cols) c WHERE lower(c) = 'event_timestamp' LIMIT 1), 'NULL::text'),
        coalesce((SELECT quote_ident(c) FROM unnest(cols) c WHERE lower(c) = 'entity_type' LIMIT 1), 'NULL::text'),
        coalesce((SELECT quote_ident(c) FROM unnest(cols) c WHERE lower(c) = 'entity_id' LIMIT 1), 'NULL::text'),
        coalesce((SELECT quote_ident(c) FROM unnest(cols) c WHERE lower(c) = 'event_label' LIMIT 1), 'NULL::text'),
        coalesce(vals, ''), staging);
END $$;

-- External models (PutExternalModel, GetExternalModels, DeleteExternalModel): modelEndpoint
-- names a SQL function schema.fn(jsonb) RETURNS jsonb (docs/models.md). The function is
-- resolved as the caller sees it, once, and kept as an OID (regprocedure); the caller must
-- have EXECUTE on it, and scoring checks EXECUTE for the scoring role on every call.
CREATE FUNCTION fraud._put_external_model(p_model_endpoint text, p_model_source text, p_invoke_model_endpoint_role_arn text,
                                          p_input_configuration jsonb, p_output_configuration jsonb,
                                          p_model_endpoint_status text, p_tags jsonb, p_caller bigint)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE v_role oid; v_path text; fn oid; k text; target text; t text; map jsonb;
BEGIN
    SELECT c.role, c.search_path INTO v_role, v_path FROM fraud._redeem_caller(p_caller) c;
    PERFORM fraud._check_pattern('model_endpoint', p_model_endpoint, '^[0-9A-Za-z_-]+(\.[0-9A-Za-z_-]+)?$', 1, 127);
    PERFORM fraud._check_enum('model_source', p_model_source, ARRAY['SAGEMAKER']);
    PERFORM fraud._required('invoke_model_endpoint_role_arn', p_invoke_model_endpoint_role_arn);
    PERFORM fraud._check_enum('model_endpoint_status', p_model_endpoint_status, ARRAY['ASSOCIATED', 'DISSOCIATED']);
    PERFORM fraud._required('input_configuration', p_input_configuration);
    PERFORM fraud._required('output_configuration', p_output_configuration);
    IF jsonb_typeof(p_input_configuration) <> 'object' OR jsonb_typeof(p_input_configuration->'useEventVariables') IS DISTINCT FROM 'boolean' THEN
        PERFORM fraud._invalid('input_configuration', p_input_configuration::text,
                               '(must be {"eventTypeName", "useEventVariables": true|false, "jsonInputTemplate"})');
    END IF;
    IF p_input_configuration->>'eventTypeName' IS NULL THEN
        PERFORM fraud._invalid('input_configuration.eventTypeName', 'NULL', '(the event type whose variables the model reads is required)');
    END IF;
    PERFORM fraud._event_type(p_input_configuration->>'eventTypeName');
    IF coalesce(p_input_configuration->>'format', 'APPLICATION_JSON') <> 'APPLICATION_JSON' THEN
        PERFORM fraud._invalid('input_configuration.format', p_input_configuration->>'format', '(only APPLICATION_JSON: the function takes jsonb)');
    END IF;
    IF NOT (p_input_configuration->>'useEventVariables')::boolean THEN
        IF p_input_configuration->>'jsonInputTemplate' IS NULL OR length(p_input_configuration->>'jsonInputTemplate') NOT BETWEEN 1 AND 2000 THEN
            PERFORM fraud._invalid('input_configuration.jsonInputTemplate', coalesce(p_input_configuration->>'jsonInputTemplate', 'NULL'),
                                   '(1 to 2000 characters, required when useEventVariables is false)');
        END IF;
    END IF;
    IF coalesce(p_output_configuration->>'format', 'APPLICATION_JSONLINES') <> 'APPLICATION_JSONLINES' THEN
        PERFORM fraud._invalid('output_configuration.format', p_output_configuration->>'format', '(only APPLICATION_JSONLINES: the function returns jsonb)');
    END IF;
    map := p_output_configuration->'jsonKeyToVariableMap';
    IF map IS NULL OR jsonb_typeof(map) <> 'object' OR map = '{}' THEN
        PERFORM fraud._invalid('output_configuration.jsonKeyToVariableMap', coalesce(map::text, 'NULL'),
                               '(must map the function''s result keys to EXTERNAL_MODEL_SCORE variables)');
    END IF;
    FOR k, target IN SELECT key, value FROM jsonb_each_text(map) LOOP
        SELECT v.data_source INTO t FROM fraud.variables v WHERE v.name = target;
        IF NOT FOUND THEN
            PERFORM fraud._not_found('variable', target);
        END IF;
        IF t <> 'EXTERNAL_MODEL_SCORE' THEN
            PERFORM fraud._invalid('output_configuration.jsonKeyToVariableMap', target, '(must be a variable with data source EXTERNAL_MODEL_SCORE)');
        END IF;
    END LOOP;
    -- the endpoint's function, as the caller's search_path finds it: schema.fn(jsonb) or fn(jsonb)
    BEGIN
        fn := fraud._query_as(v_role, v_path, format('SELECT pg_catalog.to_regprocedure(%L)::oid', p_model_endpoint || '(jsonb)'))::oid;
    EXCEPTION WHEN OTHERS THEN
        fn := NULL;
    END;
    IF fn IS NULL THEN
        PERFORM fraud._not_found('function', p_model_endpoint || '(jsonb)');
    END IF;
    IF (SELECT p.prorettype FROM pg_catalog.pg_proc p WHERE p.oid = fn) <> 'jsonb'::regtype
       OR (SELECT p.proretset FROM pg_catalog.pg_proc p WHERE p.oid = fn) THEN
        PERFORM fraud._invalid('model_endpoint', p_model_endpoint, '(the function must return a single jsonb)');
    END IF;
    IF NOT has_function_privilege(v_role, fn, 'EXECUTE') THEN
        PERFORM fraud._raise('42501', format('permission denied for function %s', fn::regprocedure));
    END IF;
    INSERT INTO fraud.external_models AS x (model_endpoint, model_source, invoke_model_endpoint_role_arn, function,
                                           input_configuration, output_configuration, model_endpoint_status)
        VALUES (p_model_endpoint, p_model_source, p_invoke_model_endpoint_role_arn, fn, p_input_configuration,
                p_output_configuration, p_model_endpoint_status)
        ON CONFLICT (model_endpoint) DO UPDATE SET model_source = excluded.model_source,
            invoke_model_endpoint_role_arn = excluded.invoke_model_endpoint_role_arn, function = excluded.function,
            input_configuration = excluded.input_configuration, output_configuration = excluded.output_configuration,
            model_endpoint_status = excluded.model_endpoint_status, last_updated_time = now();
    IF p_model_endpoint_status = 'DISSOCIATED' THEN
        PERFORM fraud._check_external_model_unused(p_model_endpoint);
    END IF;
    PERFORM fraud._set_tags('external-model', p_model_endpoint, p_tags);
END $$;

-- 55006 while an ACTIVE detector version uses the endpoint.
CREATE FUNCTION fraud._check_external_model_unused(p_model_endpoint text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE users text[];
BEGIN
    SELECT array_agg(v.detector_id || '/' || v.detector_version_id ORDER BY v.detector_id, v.detector_version_id) INTO users
        FROM fraud.detector_versions v WHERE p_model_endpoint = ANY (v.external_model_endpoints) AND v.status = 'ACTIVE';
    IF users IS NOT NULL THEN
        PERFORM fraud._conflict(format('external model %s is used by ACTIVE %s', quote_literal(p_model_endpoint),
                                       fraud._some_names('detector version', users)));
    END IF;
END $$;

CREATE FUNCTION fraud_put_external_model(model_endpoint text, model_source text, invoke_model_endpoint_role_arn text,
                                         input_configuration jsonb, output_configuration jsonb,
                                         model_endpoint_status text, tags jsonb DEFAULT NULL)
RETURNS void LANGUAGE sql AS $$
    SELECT fraud._put_external_model(model_endpoint, model_source, invoke_model_endpoint_role_arn, input_configuration,
                                     output_configuration, model_endpoint_status, tags, fraud._caller_token())
$$;
COMMENT ON FUNCTION fraud_put_external_model(text, text, text, jsonb, jsonb, text, jsonb) IS 'PutExternalModel: creates or replaces an external model. model_endpoint names a SQL function the caller can execute, schema.fn(jsonb) RETURNS jsonb, resolved with the caller''s search_path; input_configuration {"eventTypeName", "useEventVariables", "jsonInputTemplate" with {{variable}} placeholders}; output_configuration {"jsonKeyToVariableMap": {result key: EXTERNAL_MODEL_SCORE variable}}; model_source SAGEMAKER (kept for AFD compatibility); model_endpoint_status ASSOCIATED or DISSOCIATED. Errors: 22023; 42704 unknown function, event type or variable; 42501 no EXECUTE on the function; 55006 DISSOCIATED while an ACTIVE detector version uses it.';

CREATE FUNCTION fraud._get_external_models(p_model_endpoint text)
RETURNS TABLE (model_endpoint text, model_source text, invoke_model_endpoint_role_arn text, function regprocedure,
               input_configuration jsonb, output_configuration jsonb, model_endpoint_status text,
               last_updated_time timestamptz, created_time timestamptz, arn text)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY
        SELECT x.model_endpoint, x.model_source, x.invoke_model_endpoint_role_arn, x.function, x.input_configuration,
               x.output_configuration, x.model_endpoint_status, x.last_updated_time, x.created_time,
               fraud._arn('external-model', x.model_endpoint)
        FROM fraud.external_models x
        WHERE p_model_endpoint IS NULL OR x.model_endpoint = p_model_endpoint
        ORDER BY x.model_endpoint;
    IF p_model_endpoint IS NOT NULL AND NOT FOUND THEN
        PERFORM fraud._not_found('external model', p_model_endpoint);
    END IF;
END $$;

CREATE FUNCTION fraud_get_external_models(model_endpoint text DEFAULT NULL)
RETURNS TABLE (model_endpoint text, model_source text, invoke_model_endpoint_role_arn text, function regprocedure,
               input_configuration jsonb, output_configuration jsonb, model_endpoint_status text,
               last_updated_time timestamptz, created_time timestamptz, arn text)
LANGUAGE sql STABLE AS $$ SELECT * FROM fraud._get_external_models(model_endpoint) $$;
COMMENT ON FUNCTION fraud_get_external_models(text) IS 'GetExternalModels: every external model, or the named one, with the function it calls. Errors: 42704 the named one does not exist.';

CREATE FUNCTION fraud_delete_external_model(model_endpoint text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE users text[];
BEGIN
    PERFORM fraud._check_pattern('model_endpoint', model_endpoint, '^[0-9A-Za-z_-]+(\.[0-9A-Za-z_-]+)?$', 1, 127);
    SELECT array_agg(v.detector_id || '/' || v.detector_version_id ORDER BY v.detector_id, v.detector_version_id) INTO users
        FROM fraud.detector_versions v WHERE fraud_delete_external_model.model_endpoint = ANY (v.external_model_endpoints);
    IF users IS NOT NULL THEN
        PERFORM fraud._conflict(format('external model %s is used by %s', quote_literal(model_endpoint),
                                       fraud._some_names('detector version', users)));
    END IF;
    DELETE FROM fraud.external_models x WHERE x.model_endpoint = fraud_delete_external_model.model_endpoint;
    IF NOT FOUND THEN
        RAISE NOTICE 'external model % does not exist, skipping', quote_literal(model_endpoint);
    END IF;
    PERFORM fraud._drop_tags('external-model', model_endpoint);
END $$;
COMMENT ON FUNCTION fraud_delete_external_model(text) IS 'DeleteExternalModel: deletes it and its tags; a missing one is a NOTICE. Errors: 22023; 55006 a detector version uses it.';
