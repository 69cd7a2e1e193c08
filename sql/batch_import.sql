-- Batch import jobs (CreateBatchImportJob, GetBatchImportJobs, CancelBatchImportJob,
-- DeleteBatchImportJob): stored events from a table, a query or a server-side CSV file in
-- AFD's layout (EVENT_ID, EVENT_TIMESTAMP, ENTITY_ID, ENTITY_TYPE, EVENT_LABEL, LABEL_TIMESTAMP
-- and one column per variable). Every row is validated; good rows land in fraud.events, bad
-- rows are counted and their reasons kept in fraud.batch_import_errors. The job machinery is
-- in sql/jobs.sql.

-- Column roles, matched case-insensitively: the AFD layout's columns, or a variable.
CREATE FUNCTION fraud._import_columns(event_type_name text, columns text[])
RETURNS TABLE (name text, role text, data_type text)
LANGUAGE sql STABLE AS $$
    SELECT c, CASE WHEN lower(c) IN ('event_id', 'event_timestamp', 'entity_id', 'entity_type', 'event_label', 'label_timestamp')
                   THEN upper(c) WHEN v.name IS NOT NULL THEN 'VARIABLE' END,
           v.data_type
    FROM unnest(columns) WITH ORDINALITY u(c, i)
    LEFT JOIN fraud.event_type_variables m ON m.event_type_name = _import_columns.event_type_name AND m.variable_name = lower(c)
    LEFT JOIN fraud.variables v ON v.name = m.variable_name
    ORDER BY i
$$;

CREATE FUNCTION fraud._create_batch_import_job(p_job_id text, p_input_path text, p_event_type_name text, p_tags jsonb,
                                               p_caller bigint)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE t fraud.event_types; inp record; bad text[]; missing text[]; dup text;
        v_role oid; v_path text;
BEGIN
    -- the caller, from the token its public wrapper minted (used up here)
    SELECT c.role, c.search_path INTO v_role, v_path FROM fraud._redeem_caller(p_caller) c;
    PERFORM fraud._check_identifier('job_id', p_job_id);
    t := fraud._event_type(p_event_type_name);
    inp := fraud._job_input(p_input_path, 'input_path', v_role, v_path);
    SELECT array_agg(quote_ident(c.name)) INTO bad FROM fraud._import_columns(t.name, inp.columns) c WHERE c.role IS NULL;
    IF bad IS NOT NULL THEN
        PERFORM fraud._invalid('input_path', p_input_path,
            format('(%s neither an AFD column (EVENT_ID, EVENT_TIMESTAMP, ENTITY_ID, ENTITY_TYPE, EVENT_LABEL, LABEL_TIMESTAMP) nor a variable of event type %s)',
                   CASE WHEN cardinality(bad) = 1 THEN 'column ' || bad[1] || ' is'
                        ELSE 'columns ' || array_to_string(bad, ', ') || ' are' END,
                   quote_literal(t.name)));
    END IF;
    SELECT array_agg(r ORDER BY i) INTO missing
        FROM unnest(ARRAY['EVENT_ID', 'EVENT_TIMESTAMP', 'ENTITY_ID', 'ENTITY_TYPE']) WITH ORDINALITY u(r, i)
        WHERE r NOT IN (SELECT c.role FROM fraud._import_columns(t.name, inp.columns) c WHERE c.role IS NOT NULL);
    IF missing IS NOT NULL THEN
        PERFORM fraud._invalid('input_path', p_input_path,
            CASE WHEN cardinality(missing) = 1 THEN format('(required column %s is missing)', missing[1])
                 ELSE format('(required columns %s are missing)', array_to_string(missing, ', ')) END);
    END IF;
    SELECT lower(c) INTO dup FROM unnest(inp.columns) c GROUP BY lower(c) HAVING count(*) > 1 LIMIT 1;
    IF dup IS NOT NULL THEN
        PERFORM fraud._invalid('input_path', p_input_path, format('(column %s appears more than once)', dup));
    END IF;
    PERFORM fraud._job_create('BATCH_IMPORT', p_job_id, t.name, NULL, NULL, inp.kind, inp.source, NULL, p_tags, v_role, v_path);
END $$;

-- The creating role is captured here, in the caller's own context (src/security.rs).
CREATE FUNCTION fraud_create_batch_import_job(job_id text, input_path text, event_type_name text, tags jsonb DEFAULT NULL)
RETURNS void LANGUAGE sql AS $$
    SELECT fraud._create_batch_import_job(job_id, input_path, event_type_name, tags, fraud._caller_token())
$$;
COMMENT ON FUNCTION fraud_create_batch_import_job(text, text, text, jsonb) IS 'CreateBatchImportJob: starts a background job importing events from a table, a query or a server-side CSV file in AFD''s column layout; failed rows are in fraud_get_batch_import_job_errors. Errors: 22023 bad id, input or columns; 42704 unknown event type; 23505 id used before; 42501.';

CREATE FUNCTION fraud._batch_import_init(j fraud.jobs) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE v_staging text := fraud._job_staging_name(j.job_type, j.job_id); n bigint;
BEGIN
    n := fraud._job_stage(j, v_staging);
    UPDATE fraud.jobs x SET status = 'IN_PROGRESS', staging = v_staging, total_records_count = n, end_position = n,
                            next_position = 0, last_heartbeat_time = clock_timestamp()
        WHERE x.job_type = j.job_type AND x.job_id = j.job_id;
END $$;

-- One batch: rows (next_position, next_position + batch_size] of the staged input, checked
-- set-based; the first failing check is the row's reason.
CREATE FUNCTION fraud._batch_import_step(j fraud.jobs) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    c record; expr text;
    col jsonb := '{}';                       -- role -> expression
    var_errors text[] := ARRAY['NULL::text'];
    var_values text := '''{}''::jsonb';
    entity_types text[]; labels text[];
    hi bigint := least(j.next_position + j.batch_size, j.end_position);
    good bigint; bad bigint;
BEGIN
    FOR c IN SELECT * FROM fraud._import_columns(j.event_type_name,
                 ARRAY(SELECT a.attname::text FROM pg_attribute a
                       WHERE a.attrelid = fraud._job_staging_name(j.job_type, j.job_id)::regclass AND a.attnum > 0 AND NOT a.attisdropped
                         AND a.attname <> '_row' ORDER BY a.attnum)) LOOP
        expr := format('nullif(btrim(s.%I::text), %L)', c.name, '');
        IF c.role = 'VARIABLE' THEN
            var_errors := var_errors || format('fraud._variable_value_error(%L, %L, %s)', lower(c.name), c.data_type, expr);
            var_values := var_values || format(' || jsonb_build_object(%L, %s)', lower(c.name), expr);
        ELSIF c.role IS NOT NULL THEN
            col := col || jsonb_build_object(c.role, expr);
        END IF;
    END LOOP;
    SELECT array_agg(entity_type_name) INTO entity_types FROM fraud.event_type_entity_types WHERE event_type_name = j.event_type_name;
    SELECT coalesce(array_agg(label_name), '{}') INTO labels FROM fraud.event_type_labels WHERE event_type_name = j.event_type_name;
    EXECUTE format($q$
        WITH b AS (
            SELECT s._row, %s AS event_id, %s AS ts_text, %s AS entity_id, %s AS entity_type, %s AS label,
                   %s AS lts_text, coalesce(%s) AS var_error, jsonb_strip_nulls(%s) AS vars
            FROM %s s WHERE s._row > $1 AND s._row <= $2),
        c AS (
            SELECT b.*, fraud._event_timestamp_ms(b.ts_text) AS ts_ms, fraud._event_timestamp_ms(b.lts_text) AS lts_ms
            FROM b),
        v AS (
            SELECT c.*, CASE
                WHEN c.event_id IS NULL THEN 'EVENT_ID is empty'
                WHEN c.event_id !~ '^[0-9a-z_-]{1,64}$' THEN
                    'EVENT_ID ' || quote_literal(left(c.event_id, 100)) || ' must match ^[0-9a-z_-]+$ (1 to 64 characters)'
                WHEN c.ts_text IS NULL THEN 'EVENT_TIMESTAMP is empty'
                WHEN c.ts_ms IS NULL THEN
                    'EVENT_TIMESTAMP ' || quote_literal(left(c.ts_text, 100)) || ' is not a supported timestamp'
                WHEN c.entity_type IS NULL THEN 'ENTITY_TYPE is empty'
                WHEN NOT c.entity_type = ANY ($3) THEN
                    'ENTITY_TYPE ' || quote_literal(left(c.entity_type, 100)) || ' is not an entity type of event type ' || quote_literal($5)
                WHEN c.entity_id IS NULL THEN 'ENTITY_ID is empty'
                WHEN c.entity_id !~ '^[0-9A-Za-z_.@+-]+$' OR length(c.entity_id) > 256 THEN
                    'ENTITY_ID ' || quote_literal(left(c.entity_id, 100)) || ' must match ^[0-9A-Za-z_.@+-]+$ (1 to 256 characters)'
                WHEN c.label IS NOT NULL AND NOT c.label = ANY ($4) THEN
                    'EVENT_LABEL ' || quote_literal(left(c.label, 100)) || ' is not a label of event type ' || quote_literal($5)
                WHEN c.label IS NOT NULL AND c.lts_text IS NULL THEN 'LABEL_TIMESTAMP is empty but EVENT_LABEL is set'
                WHEN c.label IS NULL AND c.lts_text IS NOT NULL THEN 'LABEL_TIMESTAMP is set but EVENT_LABEL is empty'
                WHEN c.lts_text IS NOT NULL AND c.lts_ms IS NULL THEN
                    'LABEL_TIMESTAMP ' || quote_literal(left(c.lts_text, 100)) || ' is not a supported timestamp'
                WHEN c.var_error IS NOT NULL THEN c.var_error
                END AS invalid
            FROM c),
        -- a repeated event id: only valid rows count, so a bad row never hides a good one
        r AS (
            SELECT v.*, coalesce(v.invalid, CASE
                WHEN row_number() OVER (PARTITION BY v.event_id, v.invalid IS NULL ORDER BY v._row) > 1 THEN
                    'EVENT_ID ' || quote_literal(v.event_id) || ' appears more than once in the input'
                WHEN EXISTS (SELECT 1 FROM fraud.events e WHERE e.event_type_name = $5 AND e.event_id = v.event_id) THEN
                    'EVENT_ID ' || quote_literal(v.event_id) || ' is already stored for event type ' || quote_literal($5)
                END) AS reason
            FROM v),
        ins AS (
            INSERT INTO fraud.events (event_type_name, event_id, event_timestamp, entities, event_variables, event_label, label_timestamp)
            SELECT $5, r.event_id, to_timestamp(r.ts_ms / 1000.0),
                   jsonb_build_array(jsonb_build_object('entityType', r.entity_type, 'entityId', r.entity_id)),
                   r.vars, r.label, to_timestamp(r.lts_ms / 1000.0)
            FROM r WHERE r.reason IS NULL
            RETURNING 1),
        err AS (
            INSERT INTO fraud.batch_import_errors (job_id, row_number, event_id, reason)
            SELECT $6, r._row, left(r.event_id, 100), r.reason FROM r WHERE r.reason IS NOT NULL
            RETURNING 1)
        SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM err)$q$,
        coalesce(col->>'EVENT_ID', 'NULL::text'), coalesce(col->>'EVENT_TIMESTAMP', 'NULL::text'),
        coalesce(col->>'ENTITY_ID', 'NULL::text'), coalesce(col->>'ENTITY_TYPE', 'NULL::text'),
        coalesce(col->>'EVENT_LABEL', 'NULL::text'), coalesce(col->>'LABEL_TIMESTAMP', 'NULL::text'),
        array_to_string(var_errors, ', '), var_values, fraud._job_staging_name(j.job_type, j.job_id))
    INTO good, bad
    USING j.next_position, hi, entity_types, labels, j.event_type_name, j.job_id;
    PERFORM fraud._job_progress(j, hi, good + bad, bad);
    IF hi >= j.end_position THEN
        PERFORM fraud._job_finish(j, 'COMPLETE');
    END IF;
END $$;

CREATE FUNCTION fraud._get_batch_import_jobs(p_job_id text, p_caller bigint)
RETURNS TABLE (job_id text, status text, failure_reason text, start_time timestamptz, completion_time timestamptz,
               last_heartbeat_time timestamptz, input_path text, event_type_name text, arn text,
               processed_records_count bigint, failed_records_count bigint, total_records_count bigint)
LANGUAGE plpgsql AS $$
DECLARE v_role oid; v_path text;
BEGIN
    -- the caller, from the token its public wrapper minted (used up here)
    SELECT c.role, c.search_path INTO v_role, v_path FROM fraud._redeem_caller(p_caller) c;
    IF p_job_id IS NOT NULL THEN
        PERFORM fraud._check_identifier('job_id', p_job_id);
    END IF;
    PERFORM fraud._reap_jobs();
    RETURN QUERY
    SELECT x.job_id, x.status,
           CASE WHEN fraud._job_visible(x.owner, v_role) THEN x.failure_reason END,
           x.start_time, x.completion_time, x.last_heartbeat_time,
           CASE WHEN fraud._job_visible(x.owner, v_role) THEN x.input_path END,
           x.event_type_name, fraud._arn('batch-import', x.job_id),
           x.processed_records_count, x.failed_records_count, x.total_records_count
    FROM fraud.jobs x
    WHERE x.job_type = 'BATCH_IMPORT' AND NOT x.deleted AND (p_job_id IS NULL OR x.job_id = p_job_id)
    ORDER BY x.start_time DESC, x.job_id;
    IF p_job_id IS NOT NULL AND NOT FOUND THEN
        PERFORM fraud._not_found('batch import job', p_job_id);
    END IF;
END $$;

CREATE FUNCTION fraud_get_batch_import_jobs(job_id text DEFAULT NULL)
RETURNS TABLE (job_id text, status text, failure_reason text, start_time timestamptz, completion_time timestamptz,
               last_heartbeat_time timestamptz, input_path text, event_type_name text, arn text,
               processed_records_count bigint, failed_records_count bigint, total_records_count bigint)
LANGUAGE sql AS $$ SELECT * FROM fraud._get_batch_import_jobs(job_id, fraud._caller_token()) $$;
COMMENT ON FUNCTION fraud_get_batch_import_jobs(text) IS 'GetBatchImportJobs: all batch import jobs, newest first, or the named one, with status, failure_reason, times, input, counters and arn. Errors: 22023 invalid id; 42704 unknown job id.';

-- The failed records of an import (AFD writes them to the job's output path).
CREATE FUNCTION fraud._get_batch_import_job_errors(p_job_id text, p_caller bigint)
RETURNS TABLE (row_number bigint, event_id text, reason text)
LANGUAGE plpgsql AS $$
DECLARE v_owner regrole;
        v_role oid; v_path text;
BEGIN
    -- the caller, from the token its public wrapper minted (used up here)
    SELECT c.role, c.search_path INTO v_role, v_path FROM fraud._redeem_caller(p_caller) c;
    PERFORM fraud._check_identifier('job_id', p_job_id);
    SELECT x.owner INTO v_owner FROM fraud.jobs x WHERE x.job_type = 'BATCH_IMPORT' AND x.job_id = p_job_id AND NOT x.deleted;
    IF NOT FOUND THEN
        PERFORM fraud._not_found('batch import job', p_job_id);
    END IF;
    -- failed records quote the input
    PERFORM fraud._check_job_visible(p_job_id, v_owner, v_role);
    RETURN QUERY SELECT e.row_number, e.event_id, e.reason FROM fraud.batch_import_errors e
                 WHERE e.job_id = p_job_id ORDER BY e.row_number;
END $$;

CREATE FUNCTION fraud_get_batch_import_job_errors(job_id text)
RETURNS TABLE (row_number bigint, event_id text, reason text)
LANGUAGE sql AS $$ SELECT * FROM fraud._get_batch_import_job_errors(job_id, fraud._caller_token()) $$;
COMMENT ON FUNCTION fraud_get_batch_import_job_errors(text) IS 'The failed records of a batch import job (AFD writes them to outputPath): row_number (data rows from 1), event_id and the reason. Errors: 22023 invalid id; 42704 unknown job id.';

CREATE FUNCTION fraud_cancel_batch_import_job(job_id text) RETURNS void
LANGUAGE sql AS $$ SELECT fraud._job_cancel('BATCH_IMPORT', job_id, fraud._caller_token()) $$;
COMMENT ON FUNCTION fraud_cancel_batch_import_job(text) IS 'CancelBatchImportJob: a job no worker has claimed ends CANCELED at once; a running one becomes CANCEL_IN_PROGRESS and stops before its next batch (committed batches stay). Errors: 42704 unknown job id; 55006 the job has already ended.';

CREATE FUNCTION fraud_delete_batch_import_job(job_id text) RETURNS void
LANGUAGE sql AS $$ SELECT fraud._job_delete('BATCH_IMPORT', job_id, fraud._caller_token()) $$;
COMMENT ON FUNCTION fraud_delete_batch_import_job(text) IS 'DeleteBatchImportJob: removes a finished job and its failed records, not the imported events; the id stays taken. Errors: 42704 unknown job id; 55006 the job is still running (cancel it first).';
