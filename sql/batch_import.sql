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
COMMENT ON FUNCTION fraud_create_batch_import_job(text, text, text, jsonb) IS 'CreateBatchImportJob: starts a background job importing events from a table, a query or a server-side CSV file in AFD''s column layout (a file needs the privileges of pg_read_server_files); failed rows, broken CSV records included, are in fraud_get_batch_import_job_errors. Errors: 22023 bad id, input or columns; 42704 unknown event type; 23505 id used before; 42501.';

-- A CSV file is read by the steps themselves (src/import.rs), from the byte offset and line the
-- job row remembers; counting its records first makes total_records_count exact. A table or
-- query is staged as text (fraud._job_stage) and read back by row number.
CREATE FUNCTION fraud._batch_import_init(j fraud.jobs) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE v_staging text; n bigint; v_offset bigint; v_line bigint;
BEGIN
    IF j.input_kind = 'FILE' THEN
        SELECT s.records, s.data_offset, s.data_line INTO n, v_offset, v_line FROM fraud._csv_scan(j.owner, j.input_path) s;
    ELSE
        v_staging := fraud._job_staging_name(j.job_type, j.job_id);
        n := fraud._job_stage(j, v_staging);
    END IF;
    UPDATE fraud.jobs x SET status = 'IN_PROGRESS', staging = v_staging, total_records_count = n, end_position = n,
                            next_position = 0, input_offset = v_offset, input_line = v_line,
                            last_heartbeat_time = clock_timestamp()
        WHERE x.job_type = j.job_type AND x.job_id = j.job_id;
END $$;

-- One batch: the batch_size data rows after next_position, checked and stored by
-- fraud._import_batch (src/import.rs; the checks are fraud_engine's import module). A CSV
-- record that cannot be read as a row (bad quoting, wrong number of fields) fails alone, its
-- reason naming its line.
CREATE FUNCTION fraud._batch_import_step(j fraud.jobs) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    cols text[]; roles text[]; names text[]; types text[]; entity_types text[]; labels text[];
    b record;
BEGIN
    IF j.input_kind = 'FILE' THEN
        cols := fraud._csv_header(j.owner, j.input_path);   -- 42501 if the owner lost the right
    ELSE
        cols := ARRAY(SELECT a.attname::text FROM pg_attribute a
                      WHERE a.attrelid = fraud._job_staging_name(j.job_type, j.job_id)::regclass AND a.attnum > 0
                        AND NOT a.attisdropped AND a.attname <> '_row' ORDER BY a.attnum);
    END IF;
    SELECT array_agg(c.role ORDER BY c.i), array_agg(c.name ORDER BY c.i), array_agg(c.data_type ORDER BY c.i)
        INTO roles, names, types
        FROM fraud._import_columns(j.event_type_name, cols) WITH ORDINALITY c(name, role, data_type, i);
    SELECT coalesce(array_agg(entity_type_name), '{}') INTO entity_types
        FROM fraud.event_type_entity_types WHERE event_type_name = j.event_type_name;
    SELECT coalesce(array_agg(label_name), '{}') INTO labels FROM fraud.event_type_labels WHERE event_type_name = j.event_type_name;
    SELECT * INTO b FROM fraud._import_batch(j.job_id, j.event_type_name, roles, names, types, entity_types, labels, j.owner,
        -- a staged input is read from its staging table (also a CSV file that 0.1.0 staged
        -- before an upgrade: such a job has no input_offset)
        CASE WHEN j.staging IS NULL THEN j.input_path END,
        CASE WHEN j.staging IS NOT NULL THEN fraud._job_staging_name(j.job_type, j.job_id) END,
        j.next_position, j.batch_size, j.input_offset, j.input_line);
    PERFORM fraud._job_progress(j, b.next_row, b.processed, b.failed);
    IF j.staging IS NULL THEN
        UPDATE fraud.jobs x SET input_offset = b.next_offset, input_line = b.next_line
            WHERE x.job_type = j.job_type AND x.job_id = j.job_id;
    END IF;
    IF b.at_end OR b.next_row >= j.end_position THEN
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
COMMENT ON FUNCTION fraud_get_batch_import_job_errors(text) IS 'The failed records of a batch import job (AFD writes them to outputPath): row_number (data rows from 1; in a CSV file the records after the header, a broken record counting as one), event_id and the reason (for a CSV record that cannot be read, e.g. line 12: expected 9 fields, found 8). Errors: 22023 invalid id; 42704 unknown job id.';

CREATE FUNCTION fraud_cancel_batch_import_job(job_id text) RETURNS void
LANGUAGE sql AS $$ SELECT fraud._job_cancel('BATCH_IMPORT', job_id, fraud._caller_token()) $$;
COMMENT ON FUNCTION fraud_cancel_batch_import_job(text) IS 'CancelBatchImportJob: a job no worker has claimed ends CANCELED at once; a running one becomes CANCEL_IN_PROGRESS and stops before its next batch (committed batches stay). Errors: 42704 unknown job id; 55006 the job has already ended.';

CREATE FUNCTION fraud_delete_batch_import_job(job_id text) RETURNS void
LANGUAGE sql AS $$ SELECT fraud._job_delete('BATCH_IMPORT', job_id, fraud._caller_token()) $$;
COMMENT ON FUNCTION fraud_delete_batch_import_job(text) IS 'DeleteBatchImportJob: removes a finished job and its failed records, not the imported events; the id stays taken. Errors: 42704 unknown job id; 55006 the job is still running (cancel it first).';
