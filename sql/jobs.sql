-- The job machinery shared by batch import, batch prediction and DeleteEventsByEventType.
--
-- A job is a row of fraud.jobs. Creating one launches a dynamic background worker (src/jobs.rs)
-- when the creating transaction commits. The worker calls fraud._job_work() in a loop, one
-- transaction per call: a call claims a waiting job or advances the job the worker holds by
-- one step (initialise, one batch, finish a cancel), and commits the step's rows together with
-- the job's counters and heartbeat. A crash therefore loses at most the uncommitted batch,
-- never leaves part of one, and the counters always describe what the output holds.
-- A worker that disappears (kill -9, server restart) leaves its job IN_PROGRESS; the next
-- look at the jobs (every Get*/Create* call) ends such a job FAILED with the reason.
--
-- Who runs what (docs/security.md): the worker connects as the extension's owner and does the
-- bookkeeping (fraud.* rows, staging tables); everything that touches the user's objects (reading
-- the input, creating and filling a prediction's output) runs through fraud._run_as as the role
-- that created the job (fraud.jobs.owner), with that role's search_path, in a
-- security-restricted operation. No statement is built from a job row's text: staging tables are
-- named from the job's key (fraud._job_staging_name), tables are cast to regclass, and the one
-- free text, a query input, is the owner's own query run with the owner's rights.

CREATE FUNCTION fraud._job_active(status text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT status IN ('IN_PROGRESS_INITIALIZING', 'IN_PROGRESS', 'CANCEL_IN_PROGRESS', 'SUBMITTED')
$$;

-- The name of a job's staging table (input copied for a query or a CSV file), schema-qualified:
-- a hash of the job's key, so that it is unique for every job id however long (identifiers are
-- cut at 63 bytes) and contains nothing but hex digits.
CREATE FUNCTION fraud._job_staging_name(job_type text, job_id text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT 'fraud._job_' || md5(job_type || '/' || job_id)
$$;

-- The advisory-lock class of job workers (pg_locks.classid). A worker holds one of the slots
-- (class, -1) or (class, -2) while it works, which caps the workers of a database at two. Any
-- role can take an advisory lock, so a slot held by anything but a job worker does not count
-- (fraud._job_workers_busy).
CREATE FUNCTION fraud._job_lock_class() RETURNS int
LANGUAGE sql IMMUTABLE AS $$ SELECT 1718968933 $$;

-- How many slots job workers of this database hold. Runs as the extension's owner (the
-- workers' role), who sees the workers' rows of pg_stat_activity whatever the caller.
CREATE FUNCTION fraud._job_workers_busy() RETURNS bigint
LANGUAGE sql VOLATILE AS $$
    SELECT pg_catalog.pg_stat_clear_snapshot();  -- see fraud._job_worker_alive
    SELECT count(*) FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
    WHERE l.locktype = 'advisory' AND l.granted AND l.classid = fraud._job_lock_class()::oid AND l.objsubid = 2
      AND l.objid IN (4294967295::oid, 4294967294::oid)   -- the slots -1 and -2
      AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = current_database())
      AND a.backend_type = 'fraud_detector job worker'
$$;

-- Is the job worker with this pid, started then, alive? Judged as the extension's owner, the
-- role job workers connect as, so their rows of pg_stat_activity are always visible to it.
CREATE FUNCTION fraud._job_worker_alive(pid int, started timestamptz) RETURNS boolean
LANGUAGE sql VOLATILE AS $$
    -- pg_stat_activity is read once per transaction and then kept: without dropping that copy,
    -- a session polling job status in one transaction took a worker started since for a dead
    -- one, failed its job and waited for the live worker's lock on the staging table (deadlock)
    SELECT pg_catalog.pg_stat_clear_snapshot();
    SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a
                   WHERE a.pid = _job_worker_alive.pid AND a.backend_start = started
                     AND a.backend_type = 'fraud_detector job worker')
$$;

-- May `role` see a job's input, cancel or delete it: its owner, a member of the owner, or a
-- role that manages definitions (EXECUTE on fraud_put_detector).
CREATE FUNCTION fraud._job_visible(job_owner regrole, role oid) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT pg_catalog.pg_has_role(role, job_owner, 'MEMBER')
        OR pg_catalog.has_function_privilege(role, '@extschema@.fraud_put_detector(text, text, text, jsonb)', 'EXECUTE')
$$;

-- Drops a job's staging table, if it has one.
CREATE FUNCTION fraud._job_drop_staging(job_type text, job_id text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF to_regclass(fraud._job_staging_name(job_type, job_id)) IS NOT NULL THEN
        EXECUTE 'DROP TABLE ' || fraud._job_staging_name(job_type, job_id);
    END IF;
END $$;

-- Ends the active jobs whose worker is gone, and starts a worker for jobs nobody has claimed
-- (their worker could not be registered, or the server restarted before it began).
CREATE FUNCTION fraud._reap_jobs() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE j fraud.jobs;
BEGIN
    IF pg_is_in_recovery() THEN RETURN; END IF;
    FOR j IN SELECT * FROM fraud.jobs x
             WHERE fraud._job_active(x.status) AND x.worker_pid IS NOT NULL
               AND NOT fraud._job_worker_alive(x.worker_pid, x.worker_start)
             FOR UPDATE SKIP LOCKED LOOP
        UPDATE fraud.jobs x SET status = 'FAILED', completion_time = now(), worker_pid = NULL,
            failure_reason = format('the job''s worker (pid %s) stopped before the job finished (killed, crashed or server shut down); '
                                    || '%s of %s records were processed in batches that committed, the batch in flight was rolled back',
                                    j.worker_pid, j.processed_records_count, coalesce(j.total_records_count::text, 'unknown'))
            WHERE x.job_type = j.job_type AND x.job_id = j.job_id;
        IF j.job_type = 'MODEL_TRAINING' THEN
            PERFORM fraud._model_job_ended(j, 'FAILED', format('the training job''s worker (pid %s) stopped before training finished (killed, crashed or server shut down)', j.worker_pid));
        END IF;
        PERFORM fraud._job_drop_staging(j.job_type, j.job_id);
    END LOOP;
    IF EXISTS (SELECT 1 FROM fraud.jobs x WHERE x.status IN ('IN_PROGRESS_INITIALIZING', 'SUBMITTED') AND x.worker_pid IS NULL
                                          AND NOT x.deleted AND x.start_time < now() - interval '1 second')
       AND fraud._job_workers_busy() < 2 THEN
        PERFORM fraud._launch_job_worker();
    END IF;
END $$;

-- Marks a finished job and drops its staging table.
CREATE FUNCTION fraud._job_finish(j fraud.jobs, final_status text, reason text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    -- a job whose last batch committed is COMPLETE even if a Cancel arrived during that batch;
    -- Voice ID jobs say COMPLETED, or COMPLETED_WITH_ERRORS when a request failed
    UPDATE fraud.jobs x SET status = CASE
            WHEN final_status = 'COMPLETE' AND x.job_type IN ('FRAUDSTER_REGISTRATION', 'SPEAKER_ENROLLMENT') THEN
                CASE WHEN x.failed_records_count > 0 THEN 'COMPLETED_WITH_ERRORS' ELSE 'COMPLETED' END
            ELSE final_status END, failure_reason = reason, completion_time = clock_timestamp(),
                            last_heartbeat_time = clock_timestamp(), worker_pid = NULL, staging = NULL
        WHERE x.job_type = j.job_type AND x.job_id = j.job_id;
    IF j.job_type = 'MODEL_TRAINING' AND final_status <> 'COMPLETE' THEN
        PERFORM fraud._model_job_ended(j, final_status, reason);
    END IF;
    PERFORM fraud._job_drop_staging(j.job_type, j.job_id);
END $$;

-- Records a committed step: where the next batch starts and how many records it handled.
CREATE FUNCTION fraud._job_progress(j fraud.jobs, next_pos bigint, processed bigint, failed bigint) RETURNS void
LANGUAGE sql AS $$
    UPDATE fraud.jobs x SET next_position = next_pos,
                            processed_records_count = x.processed_records_count + processed,
                            failed_records_count = x.failed_records_count + failed,
                            last_heartbeat_time = clock_timestamp()
        WHERE x.job_type = j.job_type AND x.job_id = j.job_id
$$;

-- One unit of a worker's work (its own transaction). Returns false when there is nothing to do.
-- The worker runs as the extension's owner and serves the jobs of every role.
CREATE FUNCTION fraud._job_work() RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE j fraud.jobs; me timestamptz; msg text;
BEGIN
    -- our own row of pg_stat_activity is always visible; the start time tells a reused pid apart
    SELECT a.backend_start INTO me FROM pg_stat_activity a WHERE a.pid = pg_backend_pid();
    -- no row lock while the step runs: Cancel and readers never wait for a batch; the step's
    -- closing UPDATE of the counters waits for (and keeps) a concurrent Cancel's status
    SELECT * INTO j FROM fraud.jobs x
        WHERE x.worker_pid = pg_backend_pid() AND x.worker_start = me AND fraud._job_active(x.status);
    IF NOT FOUND THEN
        SELECT * INTO j FROM fraud.jobs x
            WHERE x.status IN ('IN_PROGRESS_INITIALIZING', 'SUBMITTED') AND x.worker_pid IS NULL AND NOT x.deleted
            ORDER BY x.start_time, x.job_id LIMIT 1 FOR UPDATE SKIP LOCKED;
        IF NOT FOUND THEN
            RETURN false;
        END IF;
        UPDATE fraud.jobs x SET worker_pid = pg_backend_pid(), worker_start = me, last_heartbeat_time = clock_timestamp()
            WHERE x.job_type = j.job_type AND x.job_id = j.job_id;
        RETURN true;   -- the claim commits on its own, so others see who holds the job
    END IF;
    IF j.status = 'CANCEL_IN_PROGRESS' THEN
        PERFORM fraud._job_finish(j, 'CANCELED');
        RETURN true;
    END IF;
    -- a job whose owner was dropped cannot run with anyone's rights
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.oid = j.owner) THEN
        PERFORM fraud._job_finish(j, 'FAILED', format('the role that created the job (oid %s) no longer exists', j.owner::oid));
        RETURN true;
    END IF;
    BEGIN
        CASE j.job_type
        WHEN 'BATCH_IMPORT' THEN
            IF j.status = 'IN_PROGRESS_INITIALIZING' THEN PERFORM fraud._batch_import_init(j);
            ELSE PERFORM fraud._batch_import_step(j);
            END IF;
        WHEN 'BATCH_PREDICTION' THEN
            IF j.status = 'IN_PROGRESS_INITIALIZING' THEN PERFORM fraud._batch_prediction_init(j);
            ELSE PERFORM fraud._batch_prediction_step(j);
            END IF;
        WHEN 'DELETE_EVENTS' THEN
            PERFORM fraud._delete_events_step(j);
        WHEN 'BACKTEST' THEN
            IF j.status = 'IN_PROGRESS_INITIALIZING' THEN PERFORM fraud._backtest_init(j);
            ELSE PERFORM fraud._backtest_step(j);
            END IF;
        WHEN 'MODEL_TRAINING' THEN
            PERFORM fraud._model_training_step(j);
        WHEN 'FRAUDSTER_REGISTRATION' THEN
            IF j.status = 'SUBMITTED' THEN PERFORM fraud._voice_job_init(j);
            ELSE PERFORM fraud._voice_registration_step(j);
            END IF;
        WHEN 'SPEAKER_ENROLLMENT' THEN
            IF j.status = 'SUBMITTED' THEN PERFORM fraud._voice_job_init(j);
            ELSE PERFORM fraud._voice_enrollment_step(j);
            END IF;
        END CASE;
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        -- a canceled statement (pg_cancel_backend, statement_timeout) fails the job too, rather
        -- than the worker, which would leave the job and its staging table behind
        GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
        PERFORM fraud._job_finish(j, 'FAILED', msg);
    END;
    RETURN true;
END $$;

-- The worker connects as the extension's owner: refuse a job no worker could ever run.
CREATE FUNCTION fraud._job_check_worker_role() RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT (SELECT r.rolcanlogin FROM pg_catalog.pg_roles r JOIN pg_catalog.pg_extension e ON e.extowner = r.oid
            WHERE e.extname = 'fraud_detector') THEN
        PERFORM fraud._raise('55000', 'job workers connect as the owner of extension fraud_detector, which cannot log in',
                             NULL, 'ALTER ROLE <owner> LOGIN, or ALTER EXTENSION fraud_detector OWNER TO a role that can');
    END IF;
END $$;

-- Creating a job: refuses a reused id (a job whose create failed left no row, so its id is
-- free again), records the creating role and its search_path for the worker, launches a worker
-- at commit.
CREATE FUNCTION fraud._job_create(p_job_type text, p_job_id text, p_event_type_name text, p_detector_id text,
                                  p_detector_version_id int, p_input_kind text, p_input_path text,
                                  p_output_path text, p_tags jsonb, p_owner oid, p_search_path text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fraud._job_check_worker_role();
    PERFORM fraud._reap_jobs();
    INSERT INTO fraud.jobs (job_type, job_id, event_type_name, detector_id, detector_version_id, input_kind,
                            input_path, output_path, owner, search_path)
        VALUES (p_job_type, p_job_id, p_event_type_name, p_detector_id, p_detector_version_id, p_input_kind,
                p_input_path, p_output_path, p_owner::regrole, p_search_path)
        ON CONFLICT ON CONSTRAINT jobs_pkey DO NOTHING;
    IF NOT FOUND THEN
        PERFORM fraud._duplicate(lower(replace(p_job_type, '_', ' ')) || ' job', p_job_id);
    END IF;
    PERFORM fraud._set_tags(CASE p_job_type WHEN 'BATCH_IMPORT' THEN 'batch-import' ELSE 'batch-prediction' END,
                            p_job_id, p_tags);
    PERFORM fraud._launch_job_worker();
END $$;

-- A job's output table: `output_path` (a table name, optionally schema-qualified) created with
-- `columns` (a column list) as `p_role` with `p_search_path`, in the same transaction as the job;
-- the table is the caller's. Returns its quoted, schema-qualified name. Errors: 22023 a
-- malformed name; 42P07 the table exists; 42501 the caller may not create it there.
CREATE FUNCTION fraud._job_output_table(output_path text, p_role oid, p_search_path text, columns text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE out_name text[]; out_table text; out_oid oid; msg text;
BEGIN
    PERFORM fraud._required('output_path', output_path);
    BEGIN
        out_name := parse_ident(output_path);
    EXCEPTION WHEN OTHERS THEN
        PERFORM fraud._invalid('output_path', output_path, '(must be a table name, optionally schema-qualified)');
    END;
    IF cardinality(out_name) > 2 THEN
        PERFORM fraud._invalid('output_path', output_path, '(must be a table name, optionally schema-qualified)');
    END IF;
    out_table := array_to_string(ARRAY(SELECT quote_ident(p) FROM unnest(out_name) p), '.');
    IF fraud._query_as(p_role, p_search_path, format('SELECT pg_catalog.to_regclass(%L)::oid', out_table)) IS NOT NULL THEN
        PERFORM fraud._raise('42P07', format('invalid output_path: table %s already exists (the job creates its output table)', out_table));
    END IF;
    -- created with the caller's rights where the caller's search_path puts it
    BEGIN
        PERFORM fraud._run_as(p_role, p_search_path, format('CREATE TABLE %s (%s)', out_table, columns));
    EXCEPTION WHEN insufficient_privilege THEN
        GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
        PERFORM fraud._raise('42501', msg);
    END;
    out_oid := fraud._query_as(p_role, p_search_path, format('SELECT pg_catalog.to_regclass(%L)::oid', out_table))::oid;
    SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) INTO out_table
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = out_oid;
    RETURN out_table;
END $$;

-- 42501 unless `role` may see the job's input, cancel or delete it (fraud._job_visible).
CREATE FUNCTION fraud._check_job_visible(p_job_id text, job_owner regrole, role oid) RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT fraud._job_visible(job_owner, role) THEN
        PERFORM fraud._raise('42501', format('permission denied for job %s: it belongs to role %s', quote_literal(p_job_id), job_owner));
    END IF;
END $$;

-- The job row a Cancel*/Delete* call acts on, locked; 42704 when there is none, 42501 when
-- the caller may not act on it (fraud._job_visible).
CREATE FUNCTION fraud._lock_job(p_job_type text, p_job_id text, p_caller bigint) RETURNS fraud.jobs
LANGUAGE plpgsql AS $$
DECLARE j fraud.jobs; v_role oid; v_path text;
BEGIN
    -- the caller, from the token its public wrapper minted (used up here)
    SELECT c.role, c.search_path INTO v_role, v_path FROM fraud._redeem_caller(p_caller) c;
    PERFORM fraud._check_identifier('job_id', p_job_id);
    PERFORM fraud._reap_jobs();
    SELECT * INTO j FROM fraud.jobs x WHERE x.job_type = p_job_type AND x.job_id = p_job_id AND NOT x.deleted FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM fraud._not_found(lower(replace(p_job_type, '_', ' ')) || ' job', p_job_id);
    END IF;
    PERFORM fraud._check_job_visible(p_job_id, j.owner, v_role);
    RETURN j;
END $$;

-- Cancel: a job no worker has claimed yet ends CANCELED at once; a running one is marked
-- CANCEL_IN_PROGRESS and its worker stops before the next batch. Finished jobs: 55006.
CREATE FUNCTION fraud._job_cancel(p_job_type text, p_job_id text, p_caller bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE j fraud.jobs := fraud._lock_job(p_job_type, p_job_id, p_caller);
BEGIN
    IF NOT fraud._job_active(j.status) THEN
        PERFORM fraud._conflict(format('job %s is %s and cannot be canceled', quote_literal(p_job_id), j.status));
    END IF;
    IF j.worker_pid IS NULL THEN
        PERFORM fraud._job_finish(j, 'CANCELED');
    ELSE
        UPDATE fraud.jobs x SET status = 'CANCEL_IN_PROGRESS' WHERE x.job_type = p_job_type AND x.job_id = p_job_id;
    END IF;
END $$;

-- Delete: only a finished job; its record (and import errors) go, its id stays taken. The
-- output table of a batch prediction and imported events are the user's data and stay.
CREATE FUNCTION fraud._job_delete(p_job_type text, p_job_id text, p_caller bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE j fraud.jobs := fraud._lock_job(p_job_type, p_job_id, p_caller);
BEGIN
    IF fraud._job_active(j.status) THEN
        PERFORM fraud._conflict(format('job %s is %s; cancel it before deleting it', quote_literal(p_job_id), j.status));
    END IF;
    DELETE FROM fraud.batch_import_errors e WHERE e.job_id = p_job_id;
    UPDATE fraud.jobs x SET deleted = true WHERE x.job_type = p_job_type AND x.job_id = p_job_id;
    PERFORM fraud._drop_tags(CASE p_job_type WHEN 'BATCH_IMPORT' THEN 'batch-import' ELSE 'batch-prediction' END, p_job_id);
END $$;

-- Where a job reads from, as `p_role` sees it with `p_search_path` (the job's creator, at
-- create and again in the worker). `input_path` is a table or view name, an absolute path of a
-- server-side CSV file (read for `p_role`, who needs the privileges of pg_read_server_files as
-- for COPY FROM a file: 42501 otherwise), or a query. Returns the kind, the canonical text to store (a quoted,
-- schema-qualified name for a table) and the input's columns (name, type) in order. Errors
-- name `field`, the caller's parameter (Voice ID jobs: input_data_config).
CREATE FUNCTION fraud._job_input(input_path text, field text, p_role oid, p_search_path text,
                                 OUT kind text, OUT source text, OUT columns text[], OUT types text[])
LANGUAGE plpgsql AS $$
DECLARE rel oid; msg text;
BEGIN
    PERFORM fraud._required(field, input_path);
    IF btrim(input_path) = '' THEN
        PERFORM fraud._invalid(field, input_path, '(must name a table, a server-side CSV file or a query)');
    END IF;
    IF left(btrim(input_path), 1) = '/' THEN
        kind := 'FILE';
        source := btrim(input_path);
        BEGIN
            -- read for p_role: 42501 unless it has the privileges of pg_read_server_files
            columns := fraud._csv_header(p_role, source);
        EXCEPTION WHEN undefined_file OR invalid_parameter_value OR io_error THEN
            GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
            PERFORM fraud._invalid(field, source, format('(cannot read the file: %s)', msg));
        WHEN insufficient_privilege THEN
            -- the message without the CONTEXT of this probe
            GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
            PERFORM fraud._raise('42501', msg);
        END;
        IF columns IS NULL OR cardinality(columns) = 0 OR EXISTS (SELECT 1 FROM unnest(columns) c WHERE c = '') THEN
            PERFORM fraud._invalid(field, source, '(the first line must be a CSV header naming every column)');
        END IF;
        types := array_fill('text'::text, ARRAY[cardinality(columns)]);
        RETURN;
    END IF;
    BEGIN
        rel := fraud._query_as(p_role, p_search_path, format('SELECT pg_catalog.to_regclass(%L)::oid', input_path))::oid;
    EXCEPTION WHEN OTHERS THEN
        rel := NULL;   -- not a name at all: a query
    END;
    IF rel IS NOT NULL THEN
        kind := 'TABLE';
        SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) INTO source
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = rel;
        IF (SELECT relpersistence FROM pg_class WHERE oid = rel) = 't' THEN
            PERFORM fraud._invalid(field, input_path, '(a temporary table is not visible to the job''s background worker)');
        END IF;
        IF NOT has_table_privilege(p_role, rel, 'SELECT') THEN
            PERFORM fraud._raise('42501', format('permission denied for table %s', source));
        END IF;
        IF (SELECT relkind FROM pg_class WHERE oid = rel) <> 'r' THEN
            kind := 'QUERY';   -- views, partitioned tables: staged like a query
            source := 'SELECT * FROM ' || source;
        END IF;
    ELSIF btrim(input_path) ~ '^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$' THEN
        PERFORM fraud._invalid(field, input_path, '(no table or view of this name exists)');
    ELSE
        kind := 'QUERY';
        source := btrim(input_path);
    END IF;
    -- the query must parse and plan now, as the job's role, not fail later in the worker
    BEGIN
        SELECT array_agg(d.name ORDER BY d.i), array_agg(d.type_name ORDER BY d.i) INTO columns, types
            FROM fraud._describe_as(p_role, p_search_path,
                                    CASE kind WHEN 'TABLE' THEN 'SELECT * FROM ' || source ELSE source END)
                 WITH ORDINALITY d(name, type_name, i);
    EXCEPTION WHEN insufficient_privilege THEN
        -- PostgreSQL's own message (e.g. "permission denied for schema x"), without the
        -- CONTEXT of this probe
        GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
        PERFORM fraud._raise('42501', msg);
    WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
        PERFORM fraud._invalid(field, input_path, format('(neither a table nor a valid query: %s)', msg));
    END;
    -- every column must be storable (a staging or output table holds it)
    SELECT format('(column %s has type %s, which a table cannot store)', quote_ident(c), t) INTO msg
        FROM unnest(columns, types) u(c, t) JOIN pg_type y ON y.oid = t::regtype WHERE y.typtype = 'p' LIMIT 1;
    IF msg IS NOT NULL THEN
        PERFORM fraud._invalid(field, input_path, msg);
    END IF;
END $$;

-- Creates a job's staging table (owned by the extension's owner, `_row` numbering the rows)
-- with the given columns, and lets the job's owner fill and read it.
CREATE FUNCTION fraud._job_staging_create(j fraud.jobs, column_defs text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE staging text := fraud._job_staging_name(j.job_type, j.job_id);
BEGIN
    PERFORM fraud._job_drop_staging(j.job_type, j.job_id);
    EXECUTE format('CREATE UNLOGGED TABLE %s (_row bigint GENERATED ALWAYS AS IDENTITY, %s) WITH (autovacuum_enabled = off)',
                   staging, column_defs);
    EXECUTE format('GRANT SELECT, INSERT ON %s TO %s', staging, j.owner);
    RETURN staging;
END $$;

-- Copies a query or CSV input into the job's staging table with a row number `_row` (data
-- rows from 1, in file order for a CSV), indexed for batch reads. Returns the row count. The
-- input is read as the job's owner. Every column is staged as text, converted as the job's
-- owner: the staging table belongs to the extension's owner, who must never run code of a type
-- the job's owner may have defined (a cast when an import reads a batch; a range type's
-- subtype_diff when ANALYZE or autovacuum reads the table). A batch prediction converts the
-- values back as the job's owner (fraud._batch_prediction_step).
CREATE FUNCTION fraud._job_stage(j fraud.jobs, staging text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE inp record; n bigint; cols text;
BEGIN
    inp := fraud._job_input(j.input_path, 'input_path', j.owner, j.search_path);
    cols := (SELECT string_agg(quote_ident(c), ', ' ORDER BY i) FROM unnest(inp.columns) WITH ORDINALITY u(c, i));
    staging := fraud._job_staging_create(j,
        (SELECT string_agg(quote_ident(c) || ' text', ', ' ORDER BY i) FROM unnest(inp.columns) WITH ORDINALITY u(c, i)));
    IF j.input_kind = 'FILE' THEN
        n := fraud._run_as(j.owner, j.search_path,
                           format('COPY %s (%s) FROM %L WITH (FORMAT csv, HEADER true)', staging, cols, j.input_path));
    ELSE
        n := fraud._run_as(j.owner, j.search_path,
                           format(E'INSERT INTO %s (%s) SELECT %s FROM (%s\n) q', staging, cols,
                                  (SELECT string_agg('q.' || quote_ident(c) || '::text', ', ' ORDER BY i)
                                   FROM unnest(inp.columns) WITH ORDINALITY u(c, i)),
                                  CASE j.input_kind WHEN 'TABLE' THEN 'SELECT * FROM ' || j.input_path::regclass ELSE j.input_path END));
    END IF;
    EXECUTE format('CREATE INDEX ON %s (_row)', staging);
    RETURN n;
END $$;

-- DeleteEventsByEventType: deletes batch_size events per step.
CREATE FUNCTION fraud._delete_events_step(j fraud.jobs) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE n bigint; ids text[];
BEGIN
    -- counts and ids read first, each by a query of its own: a subquery of a distributed
    -- fraud.events inside an UPDATE or DELETE is what Citus plans worst or refuses (docs/scale-out.md)
    IF j.status = 'IN_PROGRESS_INITIALIZING' THEN
        SELECT count(*) INTO n FROM fraud.events e WHERE e.event_type_name = j.event_type_name;
        UPDATE fraud.jobs x SET status = 'IN_PROGRESS', last_heartbeat_time = clock_timestamp(), total_records_count = n
            WHERE x.job_type = j.job_type AND x.job_id = j.job_id;
        RETURN;
    END IF;
    ids := ARRAY(SELECT x.event_id FROM fraud.events x WHERE x.event_type_name = j.event_type_name LIMIT j.batch_size);
    DELETE FROM fraud.events e WHERE e.event_type_name = j.event_type_name AND e.event_id = ANY (ids);
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM fraud._job_progress(j, j.next_position + n, n, 0);
    IF n < j.batch_size THEN
        PERFORM fraud._job_finish(j, 'COMPLETE');
    END IF;
END $$;

CREATE FUNCTION fraud._delete_events_by_event_type(p_event_type_name text, p_caller bigint)
RETURNS TABLE (event_type_name text, events_deletion_status text)
LANGUAGE plpgsql AS $$
DECLARE t fraud.event_types; j fraud.jobs; v_role oid; v_path text;
BEGIN
    -- the caller, from the token its public wrapper minted (used up here)
    SELECT c.role, c.search_path INTO v_role, v_path FROM fraud._redeem_caller(p_caller) c;
    t := fraud._event_type(p_event_type_name);
    PERFORM fraud._job_check_worker_role();
    PERFORM fraud._reap_jobs();
    SELECT * INTO j FROM fraud.jobs x WHERE x.job_type = 'DELETE_EVENTS' AND x.job_id = t.name FOR UPDATE;
    IF FOUND AND fraud._job_active(j.status) THEN
        PERFORM fraud._conflict(format('the events of event type %s are already being deleted', quote_literal(t.name)));
    END IF;
    DELETE FROM fraud.jobs x WHERE x.job_type = 'DELETE_EVENTS' AND x.job_id = t.name;
    INSERT INTO fraud.jobs (job_type, job_id, event_type_name, input_kind, input_path, owner, search_path)
        VALUES ('DELETE_EVENTS', t.name, t.name, 'EVENTS', 'fraud.events', v_role::regrole, v_path);
    PERFORM fraud._launch_job_worker();
    RETURN QUERY SELECT t.name, 'IN_PROGRESS_INITIALIZING'::text;
END $$;

-- Runs as a job: the events go in batches, GetDeleteEventsByEventTypeStatus shows progress.
CREATE FUNCTION fraud_delete_events_by_event_type(event_type_name text)
RETURNS TABLE (event_type_name text, events_deletion_status text)
LANGUAGE sql AS $$ SELECT * FROM fraud._delete_events_by_event_type(event_type_name, fraud._caller_token()) $$;
COMMENT ON FUNCTION fraud_delete_events_by_event_type(text) IS 'DeleteEventsByEventType: starts a background job deleting every stored event of the type, 10,000 per committed batch; returns at once (event_type_name, IN_PROGRESS_INITIALIZING). Errors: 42704 unknown event type; 55006 a deletion of this type is already running.';

CREATE FUNCTION fraud._get_delete_events_by_event_type_status(p_event_type_name text)
RETURNS TABLE (event_type_name text, events_deletion_status text)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fraud._check_identifier('event_type_name', p_event_type_name);
    PERFORM fraud._reap_jobs();
    RETURN QUERY SELECT x.job_id, x.status FROM fraud.jobs x WHERE x.job_type = 'DELETE_EVENTS' AND x.job_id = p_event_type_name;
    IF NOT FOUND THEN
        PERFORM fraud._raise('42704', format('no deletion of the events of event type %s was ever requested',
                                             quote_literal(p_event_type_name)));
    END IF;
END $$;

CREATE FUNCTION fraud_get_delete_events_by_event_type_status(event_type_name text)
RETURNS TABLE (event_type_name text, events_deletion_status text)
LANGUAGE sql AS $$ SELECT * FROM fraud._get_delete_events_by_event_type_status(event_type_name) $$;
COMMENT ON FUNCTION fraud_get_delete_events_by_event_type_status(text) IS 'GetDeleteEventsByEventTypeStatus: the status (AsyncJobStatus) of the latest deletion of the event type''s events. Errors: 22023 invalid name; 42704 no deletion was ever requested.';
