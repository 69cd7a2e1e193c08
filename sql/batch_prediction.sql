-- Batch prediction jobs (CreateBatchPredictionJob, GetBatchPredictionJobs,
-- CancelBatchPredictionJob, DeleteBatchPredictionJob): score a table, a query or a server-side
-- CSV file with a detector into an output table that keeps the input columns and adds
-- model_scores, rule_results, outcomes and status per row. The job machinery is in
-- sql/jobs.sql.
--
-- A plain table is read in place, batch by batch in physical order (ctid ranges), so a job over
-- a big table copies nothing; rows added to the table after the job started are not scored and
-- rows updated while it runs may be scored in their old or new version. A query, a view or a
-- CSV file is first copied into a staging table (a consistent snapshot).

CREATE FUNCTION fraud._create_batch_prediction_job(
    p_job_id text, p_input_path text, p_output_path text, p_event_type_name text, p_detector_name text,
    p_detector_version text, p_tags jsonb, p_caller bigint)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    t fraud.event_types; d fraud.detectors; inp record; out_table text; added text; version int;
    v_role oid; v_path text;
BEGIN
    -- the caller, from the token its public wrapper minted (used up here)
    SELECT c.role, c.search_path INTO v_role, v_path FROM fraud._redeem_caller(p_caller) c;
    PERFORM fraud._check_identifier('job_id', p_job_id);
    t := fraud._event_type(p_event_type_name);
    PERFORM fraud._check_identifier('detector_name', p_detector_name);
    SELECT * INTO d FROM fraud.detectors x WHERE x.detector_id = p_detector_name;
    IF NOT FOUND THEN
        PERFORM fraud._not_found('detector', p_detector_name);
    END IF;
    IF d.event_type_name <> t.name THEN
        PERFORM fraud._invalid('event_type_name', p_event_type_name,
            format('(detector %s scores events of type %s)', quote_literal(d.detector_id), quote_literal(d.event_type_name)));
    END IF;
    IF p_detector_version IS NOT NULL THEN
        version := fraud._version_number('detector_version', p_detector_version);
    END IF;
    -- the detector (version) must compile now: the same errors as fraud_predict
    PERFORM fraud._score(d.detector_id, '{}'::jsonb, p_detector_version, false);
    inp := fraud._job_input(p_input_path, 'input_path', v_role, v_path);
    SELECT string_agg(quote_ident(c), ', ') INTO added FROM unnest(inp.columns) c
        WHERE c IN ('model_scores', 'rule_results', 'outcomes', 'status');
    IF added IS NOT NULL THEN
        PERFORM fraud._invalid('input_path', p_input_path, format('(input column %s clashes with the columns the output adds)', added));
    END IF;
    out_table := fraud._job_output_table(p_output_path, v_role, v_path,
        (SELECT string_agg(quote_ident(c) || ' ' || ty, ', ' ORDER BY i)
         FROM unnest(inp.columns, inp.types) WITH ORDINALITY u(c, ty, i))
        || ', model_scores jsonb, rule_results jsonb, outcomes text[], status text NOT NULL');
    PERFORM fraud._job_create('BATCH_PREDICTION', p_job_id, t.name, d.detector_id, version, inp.kind, inp.source,
                              out_table, p_tags, v_role, v_path);
END $$;

-- The creating role is captured here, in the caller's own context (src/security.rs).
CREATE FUNCTION fraud_create_batch_prediction_job(
    job_id text, input_path text, output_path text, event_type_name text, detector_name text,
    detector_version text DEFAULT NULL, tags jsonb DEFAULT NULL)
RETURNS void LANGUAGE sql AS $$
    SELECT fraud._create_batch_prediction_job(job_id, input_path, output_path, event_type_name, detector_name,
                                              detector_version, tags, fraud._caller_token())
$$;
COMMENT ON FUNCTION fraud_create_batch_prediction_job(text, text, text, text, text, text, jsonb) IS 'CreateBatchPredictionJob: creates table output_path (input columns plus model_scores, rule_results, outcomes, status) and starts a background job scoring every input row with the detector. Errors: 22023; 42P07 output table exists; 42704 unknown event type, detector or version; 23505 id used.';

-- Fixes the detector version for the whole job (the ACTIVE one when none was named) and
-- stages the input unless it is a plain table.
CREATE FUNCTION fraud._batch_prediction_init(j fraud.jobs) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE v_staging text; total bigint; last bigint; version int := j.detector_version_id;
BEGIN
    IF version IS NULL THEN
        SELECT v.detector_version_id INTO version FROM fraud.detector_versions v
            WHERE v.detector_id = j.detector_id AND v.status = 'ACTIVE';
        IF NOT FOUND THEN
            PERFORM fraud._raise('42704', format('detector %s has no ACTIVE version', quote_literal(j.detector_id)));
        END IF;
    END IF;
    IF j.input_kind = 'TABLE' THEN
        -- counted as the job's owner, who must still be allowed to read it
        total := fraud._query_as(j.owner, j.search_path, 'SELECT count(*) FROM ' || j.input_path::regclass)::bigint;
        last := pg_relation_size(j.input_path::regclass) / current_setting('block_size')::bigint;
    ELSE
        v_staging := fraud._job_staging_name(j.job_type, j.job_id);
        total := fraud._job_stage(j, v_staging);
        last := total;
    END IF;
    UPDATE fraud.jobs x SET status = 'IN_PROGRESS', staging = v_staging, total_records_count = total,
                            end_position = last, next_position = 0, detector_version_id = version,
                            last_heartbeat_time = clock_timestamp()
        WHERE x.job_type = j.job_type AND x.job_id = j.job_id;
END $$;

-- One batch: about batch_size rows (a ctid range of a table, or a _row range of the staging
-- table) scored into the output in one INSERT. When that INSERT fails because a row has a value
-- that cannot be read as its variable's type, the batch is redone with every row checked first
-- (fraud._event_error), and such rows are written with status 'ERROR: <why>'.
CREATE FUNCTION fraud._batch_prediction_step(j fraud.jobs) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    src text := CASE WHEN j.staging IS NULL THEN j.input_path::regclass::text
                     ELSE fraud._job_staging_name(j.job_type, j.job_id) END;
    out_table text := j.output_path::regclass::text;
    cols text; scols text; hi bigint; lo_key text; hi_key text; range_filter text; event_expr text;
    args text; typed text;
    n bigint;
BEGIN
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum), string_agg('s.' || quote_ident(a.attname), ', ' ORDER BY a.attnum),
           string_agg(format('x.%I::%s AS %I', a.attname, format_type(a.atttypid, a.atttypmod), a.attname), ', ' ORDER BY a.attnum)
        INTO cols, scols, typed
        FROM pg_attribute a WHERE a.attrelid = j.output_path::regclass AND a.attnum > 0 AND NOT a.attisdropped
          AND a.attname NOT IN ('model_scores', 'rule_results', 'outcomes', 'status');
    IF j.staging IS NOT NULL THEN
        -- the staged text back to the input's types (the output table's), as the job's owner
        src := format('(SELECT x._row, %s FROM %s x)', typed, src);
    END IF;
    IF j.staging IS NULL THEN
        -- blocks per batch from the table's rows per block
        hi := least(j.end_position, j.next_position
                    + greatest(1, ceil(j.batch_size::numeric * j.end_position / greatest(j.total_records_count, 1)))::bigint);
        lo_key := format('(%s,0)', j.next_position);
        hi_key := format('(%s,0)', hi);
        range_filter := 's.ctid >= %3$L::tid AND s.ctid < %4$L::tid';
        event_expr := 'to_jsonb(s)';
    ELSE
        hi := least(j.end_position, j.next_position + j.batch_size);
        lo_key := j.next_position::text;
        hi_key := hi::text;
        range_filter := 's._row > %3$L::bigint AND s._row <= %4$L::bigint';
        event_expr := 'to_jsonb(s) - ''_row''';
    END IF;
    -- the literals of the statement: detector, version, range
    range_filter := format(range_filter, NULL, NULL, lo_key, hi_key);
    args := format('%L, e.e, %L', j.detector_id, j.detector_version_id::text);
    -- run as the job's owner: it reads the owner's input and writes the owner's output table
    BEGIN
        -- OFFSET 0 keeps each LATERAL from being flattened, so every row is scored once;
        -- fraud._score_historical gives the prediction and the outcomes of that one scoring, each
        -- row at its own time (its aggregate variables see only events stored before it)
        n := fraud._run_as(j.owner, j.search_path, format($q$
            INSERT INTO %s (%s, model_scores, rule_results, outcomes, status)
            SELECT %s, (p.r).prediction->'modelScores', (p.r).prediction->'ruleResults', (p.r).outcomes, 'SUCCESS'
            FROM %s s
            CROSS JOIN LATERAL (SELECT %s AS e OFFSET 0) e
            CROSS JOIN LATERAL (SELECT fraud._score_historical(%s) AS r OFFSET 0) p
            WHERE %s$q$, out_table, cols, scols, src, event_expr, args, range_filter));
    EXCEPTION WHEN invalid_text_representation THEN
        n := fraud._run_as(j.owner, j.search_path, format($q$
            INSERT INTO %s (%s, model_scores, rule_results, outcomes, status)
            SELECT %s, (p.r).prediction->'modelScores', (p.r).prediction->'ruleResults', (p.r).outcomes,
                   coalesce('ERROR: ' || x.err, 'SUCCESS')
            FROM %s s
            CROSS JOIN LATERAL (SELECT %s AS e OFFSET 0) e
            CROSS JOIN LATERAL (SELECT fraud._event_error(%s) AS err OFFSET 0) x
            CROSS JOIN LATERAL (SELECT CASE WHEN x.err IS NULL THEN fraud._score_historical(%s) END AS r OFFSET 0) p
            WHERE %s$q$, out_table, cols, scols, src, event_expr, args, args, range_filter));
    END;
    PERFORM fraud._job_progress(j, hi, n, 0);
    IF hi >= j.end_position THEN
        PERFORM fraud._job_finish(j, 'COMPLETE');
    END IF;
END $$;

CREATE FUNCTION fraud._get_batch_prediction_jobs(p_job_id text, p_caller bigint)
RETURNS TABLE (job_id text, status text, failure_reason text, start_time timestamptz, completion_time timestamptz,
               last_heartbeat_time timestamptz, input_path text, output_path text, event_type_name text,
               detector_name text, detector_version text, arn text, processed_records_count bigint,
               total_records_count bigint)
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
           x.output_path, x.event_type_name, x.detector_id, x.detector_version_id::text,
           fraud._arn('batch-prediction', x.job_id), x.processed_records_count, x.total_records_count
    FROM fraud.jobs x
    WHERE x.job_type = 'BATCH_PREDICTION' AND NOT x.deleted AND (p_job_id IS NULL OR x.job_id = p_job_id)
    ORDER BY x.start_time DESC, x.job_id;
    IF p_job_id IS NOT NULL AND NOT FOUND THEN
        PERFORM fraud._not_found('batch prediction job', p_job_id);
    END IF;
END $$;

CREATE FUNCTION fraud_get_batch_prediction_jobs(job_id text DEFAULT NULL)
RETURNS TABLE (job_id text, status text, failure_reason text, start_time timestamptz, completion_time timestamptz,
               last_heartbeat_time timestamptz, input_path text, output_path text, event_type_name text,
               detector_name text, detector_version text, arn text, processed_records_count bigint,
               total_records_count bigint)
LANGUAGE sql AS $$ SELECT * FROM fraud._get_batch_prediction_jobs(job_id, fraud._caller_token()) $$;
COMMENT ON FUNCTION fraud_get_batch_prediction_jobs(text) IS 'GetBatchPredictionJobs: all batch prediction jobs, newest first, or the named one, with status, failure_reason, times, input, output table, detector version, counters and arn. Errors: 22023 invalid id; 42704 unknown job id.';

CREATE FUNCTION fraud_cancel_batch_prediction_job(job_id text) RETURNS void
LANGUAGE sql AS $$ SELECT fraud._job_cancel('BATCH_PREDICTION', job_id, fraud._caller_token()) $$;
COMMENT ON FUNCTION fraud_cancel_batch_prediction_job(text) IS 'CancelBatchPredictionJob: a job no worker has claimed ends CANCELED at once; a running one becomes CANCEL_IN_PROGRESS and stops before its next batch (scored batches stay). Errors: 42704 unknown job id; 55006 the job has already ended.';

CREATE FUNCTION fraud_delete_batch_prediction_job(job_id text) RETURNS void
LANGUAGE sql AS $$ SELECT fraud._job_delete('BATCH_PREDICTION', job_id, fraud._caller_token()) $$;
COMMENT ON FUNCTION fraud_delete_batch_prediction_job(text) IS 'DeleteBatchPredictionJob: removes a finished job''s record; its output table (the caller''s) stays and the id stays taken. Errors: 42704 unknown job id; 55006 the job is still running (cancel it first).';
