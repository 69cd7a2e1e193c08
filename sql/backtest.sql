-- Backtesting (docs/velocity-and-backtesting.md, beyond AFD): what a detector version would have decided on
-- the labelled stored events of its event type, each event scored as it would have been at its
-- own time (fraud._replay: aggregate variables see only the events stored before it), per
-- event and summed up per rule, per outcome and, against a baseline version, per change of
-- outcomes.

-- The detector and its event type, after checking the arguments every backtest takes.
CREATE FUNCTION fraud._backtest_detector(detector_id text, detector_version_id text, p_from timestamptz,
                                         p_to timestamptz, baseline_version_id text)
RETURNS fraud.detectors LANGUAGE plpgsql STABLE AS $$
DECLARE d fraud.detectors; v text;
BEGIN
    PERFORM fraud._check_identifier('detector_id', detector_id);
    SELECT * INTO d FROM fraud.detectors x WHERE x.detector_id = _backtest_detector.detector_id;
    IF NOT FOUND THEN
        PERFORM fraud._not_found('detector', detector_id);
    END IF;
    PERFORM fraud._required('detector_version_id', detector_version_id);
    FOREACH v IN ARRAY ARRAY['detector_version_id', 'baseline_version_id'] LOOP
        CONTINUE WHEN v = 'baseline_version_id' AND baseline_version_id IS NULL;
        IF NOT EXISTS (SELECT 1 FROM fraud.detector_versions x
                       WHERE x.detector_id = d.detector_id
                         AND x.detector_version_id = fraud._version_number(v, CASE v WHEN 'detector_version_id'
                             THEN _backtest_detector.detector_version_id ELSE baseline_version_id END)) THEN
            PERFORM fraud._not_found('detector version', d.detector_id || '/' ||
                CASE v WHEN 'detector_version_id' THEN _backtest_detector.detector_version_id ELSE baseline_version_id END);
        END IF;
    END LOOP;
    PERFORM fraud._required('from', p_from);
    PERFORM fraud._required('to', p_to);
    IF p_from >= p_to THEN
        PERFORM fraud._invalid('to', p_to::text, format('(must be after from, %s)', p_from));
    END IF;
    RETURN d;
END $$;

-- A replay scores an event: far more than the planner's default cost of a function call, which
-- would keep a backtest of a million events in one process.
ALTER FUNCTION fraud._replay(text, text, jsonb, jsonb, timestamptz) COST 1000;

CREATE FUNCTION fraud._backtest_events(p_detector_id text, p_detector_version_id text, p_from timestamptz,
                                       p_to timestamptz, p_baseline_version_id text)
RETURNS TABLE (event_type_name text, event_id text, event_timestamp timestamptz, event_label text, evaluated int,
               matched_rules text[], outcomes text[], baseline_outcomes text[], changed boolean)
LANGUAGE plpgsql STABLE AS $$
DECLARE d fraud.detectors;
BEGIN
    d := fraud._backtest_detector(p_detector_id, p_detector_version_id, p_from, p_to, p_baseline_version_id);
    -- each version scores each event once: the scorings are columns of a subquery that OFFSET 0
    -- keeps whole (expanding (x).evaluated, (x).outcomes ... would call fraud._replay per field);
    -- no LATERAL, so the scan and the scorings can run in parallel workers
    RETURN QUERY
        SELECT s.event_type_name, s.event_id, s.event_timestamp, s.event_label, (s.x).evaluated,
               (s.x).matched_rules, (s.x).outcomes, (s.y).outcomes,
               p_baseline_version_id IS NOT NULL
                   AND NOT ((s.x).outcomes @> (s.y).outcomes AND (s.y).outcomes @> (s.x).outcomes)
        FROM (SELECT e.event_type_name, e.event_id, e.event_timestamp, e.event_label,
                     fraud._replay(d.detector_id, p_detector_version_id, e.event_variables, e.entities,
                                   e.event_timestamp) AS x,
                     CASE WHEN p_baseline_version_id IS NOT NULL THEN
                         fraud._replay(d.detector_id, p_baseline_version_id, e.event_variables, e.entities,
                                       e.event_timestamp) END AS y
              FROM fraud.events e
              WHERE e.event_type_name = d.event_type_name AND e.event_timestamp >= p_from AND e.event_timestamp < p_to
              OFFSET 0) s;
END $$;

CREATE FUNCTION fraud_backtest_events(detector_id text, detector_version_id text, "from" timestamptz, "to" timestamptz,
                                      baseline_version_id text DEFAULT NULL)
RETURNS TABLE (event_type_name text, event_id text, event_timestamp timestamptz, event_label text, evaluated int,
               matched_rules text[], outcomes text[], baseline_outcomes text[], changed boolean)
LANGUAGE sql STABLE AS $$ SELECT * FROM fraud._backtest_events(detector_id, detector_version_id, "from", "to", baseline_version_id) $$;
COMMENT ON FUNCTION fraud_backtest_events(text, text, timestamptz, timestamptz, text) IS 'Backtest, per event: every stored event of the detector''s event type with event_timestamp in [from, to), scored by the detector version as at its own time (aggregates see only events stored before it): evaluated (how many rules, in order), matched_rules, outcomes, and with baseline_version_id the baseline''s outcomes and whether the set changed. Joins back to fraud_get_event by (event_id, event_type_name). Errors: 42704 unknown detector or version; 22023 bad arguments, from not before to.';

CREATE FUNCTION fraud._backtest(p_detector_id text, p_detector_version_id text, p_from timestamptz, p_to timestamptz,
                                p_baseline_version_id text, p_fraud_labels text[])
RETURNS TABLE (kind text, name text, events bigint, evaluated bigint, matched bigint, matched_fraud bigint,
               matched_legit bigint, "precision" double precision, recall double precision)
LANGUAGE plpgsql STABLE AS $$
DECLARE d fraud.detectors;
BEGIN
    d := fraud._backtest_detector(p_detector_id, p_detector_version_id, p_from, p_to, p_baseline_version_id);
    PERFORM fraud._check_flat('fraud_labels', p_fraud_labels);
    PERFORM fraud._check_names('fraud_labels', p_fraud_labels, 1);
    PERFORM fraud._check_exist('label', 'labels', p_fraud_labels);
    RETURN QUERY
        WITH ev AS MATERIALIZED (
            SELECT b.evaluated, b.matched_rules, b.outcomes, b.baseline_outcomes, b.changed,
                   b.event_label = ANY (p_fraud_labels) AS fraud,
                   b.event_label IS NOT NULL AND NOT b.event_label = ANY (p_fraud_labels) AS legit
            FROM fraud._backtest_events(p_detector_id, p_detector_version_id, p_from, p_to, p_baseline_version_id) b),
        totals AS (SELECT count(*) AS n, count(*) FILTER (WHERE ev.fraud) AS fraud FROM ev),
        rules AS (SELECT r.rule_id, (row_number() OVER (ORDER BY r.position) - 1)::int AS i
                  FROM fraud.detector_version_rules r
                  WHERE r.detector_id = d.detector_id AND r.detector_version_id = p_detector_version_id::int),
        counted AS (
            SELECT 'rule' AS kind, r.rule_id AS name, r.i AS ord,
                   count(*) FILTER (WHERE r.i < ev.evaluated) AS evaluated,
                   count(*) FILTER (WHERE r.rule_id = ANY (ev.matched_rules)) AS matched,
                   count(*) FILTER (WHERE r.rule_id = ANY (ev.matched_rules) AND ev.fraud) AS matched_fraud,
                   count(*) FILTER (WHERE r.rule_id = ANY (ev.matched_rules) AND ev.legit) AS matched_legit
            FROM rules r CROSS JOIN ev GROUP BY r.rule_id, r.i
            UNION ALL
            SELECT 'outcome', o, NULL, NULL, count(*), count(*) FILTER (WHERE ev.fraud), count(*) FILTER (WHERE ev.legit)
            FROM ev CROSS JOIN LATERAL unnest(ev.outcomes) o GROUP BY o
            UNION ALL
            SELECT 'any_outcome', NULL, NULL, NULL, count(*), count(*) FILTER (WHERE ev.fraud), count(*) FILTER (WHERE ev.legit)
            FROM ev WHERE cardinality(ev.outcomes) > 0
            UNION ALL
            SELECT 'change', ev.baseline_outcomes::text || ' -> ' || ev.outcomes::text,
                   NULL, NULL, count(*), count(*) FILTER (WHERE ev.fraud), count(*) FILTER (WHERE ev.legit)
            FROM ev WHERE ev.changed GROUP BY ev.baseline_outcomes, ev.outcomes)
        SELECT c.kind, c.name, t.n, c.evaluated, c.matched, c.matched_fraud, c.matched_legit,
               c.matched_fraud::double precision / nullif(c.matched_fraud + c.matched_legit, 0),
               c.matched_fraud::double precision / nullif(t.fraud, 0)
        FROM counted c CROSS JOIN totals t
        ORDER BY CASE c.kind WHEN 'rule' THEN 0 WHEN 'outcome' THEN 1 WHEN 'any_outcome' THEN 2 ELSE 3 END, c.ord, c.name;
END $$;

CREATE FUNCTION fraud_backtest(detector_id text, detector_version_id text, "from" timestamptz, "to" timestamptz,
                               baseline_version_id text DEFAULT NULL, fraud_labels text[] DEFAULT '{fraud}')
RETURNS TABLE (kind text, name text, events bigint, evaluated bigint, matched bigint, matched_fraud bigint,
               matched_legit bigint, "precision" double precision, recall double precision)
LANGUAGE sql STABLE AS $$ SELECT * FROM fraud._backtest(detector_id, detector_version_id, "from", "to", baseline_version_id, fraud_labels) $$;
COMMENT ON FUNCTION fraud_backtest(text, text, timestamptz, timestamptz, text, text[]) IS 'Backtest, summed up: the detector version over the stored events of its event type in [from, to), each as at its own time. One row per rule (kind rule: evaluated, matched, matched_fraud, matched_legit, precision, recall), per outcome (kind outcome), for events with any outcome (kind any_outcome), and with baseline_version_id per change of outcomes (kind change, name ''{baseline outcomes} -> {outcomes}''). Labels in fraud_labels count as fraud, other labels as legit, unlabelled events in neither. Errors: 42704 unknown detector, version or label; 22023 bad arguments.';

-- Backtests of large ranges as jobs: the events replayed in time order, in batches of about
-- batch_size events, each batch committed into the caller's output table (the rows of
-- fraud_backtest_events), progress visible from any session (fraud_get_backtest_jobs); cancel
-- stops before the next batch. The batches run fraud_backtest_events with the creator's rights,
-- so the creator needs the reading capability as well as jobs. A job's position is the time its
-- next batch starts at, in microseconds since the Unix epoch.
CREATE FUNCTION fraud._create_backtest_job(p_job_id text, p_detector_id text, p_detector_version_id text,
    p_from timestamptz, p_to timestamptz, p_output_path text, p_baseline_version_id text, p_caller bigint)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE d fraud.detectors; v_role oid; v_path text; out_table text;
BEGIN
    -- the caller, from the token its public wrapper minted (used up here)
    SELECT c.role, c.search_path INTO v_role, v_path FROM fraud._redeem_caller(p_caller) c;
    PERFORM fraud._check_identifier('job_id', p_job_id);
    d := fraud._backtest_detector(p_detector_id, p_detector_version_id, p_from, p_to, p_baseline_version_id);
    -- the versions must compile now: the same errors as fraud_backtest
    PERFORM fraud._replay(d.detector_id, v, '{}', '[]', p_from)
        FROM unnest(ARRAY[p_detector_version_id, p_baseline_version_id]) v WHERE v IS NOT NULL;
    IF NOT pg_catalog.has_function_privilege(v_role,
            '@extschema@.fraud_backtest_events(text, text, timestamptz, timestamptz, text)', 'EXECUTE') THEN
        PERFORM fraud._raise('42501', 'permission denied for function fraud_backtest_events',
                             'A backtest job replays its batches with its creator''s rights.',
                             'Grant the creator the reading capability: fraud_grant(''reading'', ...).');
    END IF;
    out_table := fraud._job_output_table(p_output_path, v_role, v_path,
        'event_type_name text, event_id text, event_timestamp timestamptz, event_label text, evaluated int, '
        'matched_rules text[], outcomes text[], baseline_outcomes text[], changed boolean');
    PERFORM fraud._job_create('BACKTEST', p_job_id, d.event_type_name, d.detector_id, p_detector_version_id::int,
                              'EVENTS', 'fraud.events', out_table, NULL, v_role, v_path);
    UPDATE fraud.jobs x SET config = jsonb_build_object('from', p_from, 'to', p_to, 'baselineVersionId', p_baseline_version_id)
        WHERE x.job_type = 'BACKTEST' AND x.job_id = p_job_id;
END $$;

CREATE FUNCTION fraud_create_backtest_job(job_id text, detector_id text, detector_version_id text, "from" timestamptz,
                                          "to" timestamptz, output_path text, baseline_version_id text DEFAULT NULL)
RETURNS void LANGUAGE sql AS $$
    SELECT fraud._create_backtest_job(job_id, detector_id, detector_version_id, "from", "to", output_path,
                                      baseline_version_id, fraud._caller_token())
$$;
COMMENT ON FUNCTION fraud_create_backtest_job(text, text, text, timestamptz, timestamptz, text, text) IS 'fraud_backtest_events as a background job, for ranges too large for one query: creates table output_path (the columns of fraud_backtest_events) and fills it in committed batches in time order; fraud_get_backtest_jobs shows progress. The creator needs the reading and jobs capabilities. Errors: as fraud_backtest_events; 22023 bad job id or output_path; 42P07 the output table exists; 42501 no EXECUTE on fraud_backtest_events; 23505 id used.';

-- The events of the range are counted once; the job reads them in time order from `from`.
CREATE FUNCTION fraud._backtest_init(j fraud.jobs) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE total bigint;
BEGIN
    SELECT count(*) INTO total FROM fraud.events e
        WHERE e.event_type_name = j.event_type_name
          AND e.event_timestamp >= (j.config->>'from')::timestamptz AND e.event_timestamp < (j.config->>'to')::timestamptz;
    UPDATE fraud.jobs x SET status = 'IN_PROGRESS', total_records_count = total,
                            next_position = fraud._epoch_us((j.config->>'from')::timestamptz),
                            end_position = fraud._epoch_us((j.config->>'to')::timestamptz),
                            last_heartbeat_time = clock_timestamp()
        WHERE x.job_type = j.job_type AND x.job_id = j.job_id;
END $$;

CREATE FUNCTION fraud._epoch_us(t timestamptz) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT ((extract(epoch FROM t) * 1000000)::numeric)::bigint $$;

-- One batch: the events from the job's position up to the time of the (batch_size + 1)-th
-- (every event of one time goes in one batch), replayed into the output as the job's creator.
CREATE FUNCTION fraud._backtest_step(j fraud.jobs) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    lo timestamptz := 'epoch'::timestamptz + j.next_position * interval '1 microsecond';
    upto timestamptz := (j.config->>'to')::timestamptz;
    hi timestamptz;
    n bigint;
BEGIN
    SELECT e.event_timestamp INTO hi FROM fraud.events e
        WHERE e.event_type_name = j.event_type_name AND e.event_timestamp >= lo AND e.event_timestamp < upto
        ORDER BY e.event_timestamp OFFSET j.batch_size LIMIT 1;
    IF hi = lo THEN
        -- more than a batch of events at one time: all of them, and up to the next time
        SELECT min(e.event_timestamp) INTO hi FROM fraud.events e
            WHERE e.event_type_name = j.event_type_name AND e.event_timestamp > lo AND e.event_timestamp < upto;
    END IF;
    hi := coalesce(hi, upto);
    n := fraud._run_as(j.owner, j.search_path, format(
        'INSERT INTO %s SELECT * FROM @extschema@.fraud_backtest_events(%L, %L, %L, %L, %L)',
        j.output_path::regclass, j.detector_id, j.detector_version_id::text, lo, hi, j.config->>'baselineVersionId'));
    PERFORM fraud._job_progress(j, fraud._epoch_us(hi), n, 0);
    IF hi >= upto THEN
        PERFORM fraud._job_finish(j, 'COMPLETE');
    END IF;
END $$;

CREATE FUNCTION fraud._get_backtest_jobs(p_job_id text, p_caller bigint)
RETURNS TABLE (job_id text, status text, failure_reason text, start_time timestamptz, completion_time timestamptz,
               detector_id text, detector_version_id text, baseline_version_id text, "from" timestamptz,
               "to" timestamptz, output_path text, processed_records_count bigint, total_records_count bigint)
LANGUAGE plpgsql AS $$
DECLARE v_role oid;
BEGIN
    SELECT c.role INTO v_role FROM fraud._redeem_caller(p_caller) c;
    IF p_job_id IS NOT NULL THEN
        PERFORM fraud._check_identifier('job_id', p_job_id);
    END IF;
    PERFORM fraud._reap_jobs();
    RETURN QUERY
    SELECT x.job_id, x.status, CASE WHEN fraud._job_visible(x.owner, v_role) THEN x.failure_reason END,
           x.start_time, x.completion_time, x.detector_id, x.detector_version_id::text,
           x.config->>'baselineVersionId', (x.config->>'from')::timestamptz, (x.config->>'to')::timestamptz,
           x.output_path, x.processed_records_count, x.total_records_count
    FROM fraud.jobs x
    WHERE x.job_type = 'BACKTEST' AND NOT x.deleted AND (p_job_id IS NULL OR x.job_id = p_job_id)
    ORDER BY x.start_time DESC, x.job_id;
    IF p_job_id IS NOT NULL AND NOT FOUND THEN
        PERFORM fraud._not_found('backtest job', p_job_id);
    END IF;
END $$;

CREATE FUNCTION fraud_get_backtest_jobs(job_id text DEFAULT NULL)
RETURNS TABLE (job_id text, status text, failure_reason text, start_time timestamptz, completion_time timestamptz,
               detector_id text, detector_version_id text, baseline_version_id text, "from" timestamptz,
               "to" timestamptz, output_path text, processed_records_count bigint, total_records_count bigint)
LANGUAGE sql AS $$ SELECT * FROM fraud._get_backtest_jobs(job_id, fraud._caller_token()) $$;
COMMENT ON FUNCTION fraud_get_backtest_jobs(text) IS 'Backtest jobs, newest first, or the named one: status (IN_PROGRESS_INITIALIZING, IN_PROGRESS, CANCEL_IN_PROGRESS, CANCELED, COMPLETE, FAILED), failure_reason (for the job''s owner), times, detector version and baseline, range, output table, events replayed of the range''s total. Errors: 22023 invalid id; 42704 unknown job id.';

CREATE FUNCTION fraud_cancel_backtest_job(job_id text) RETURNS void
LANGUAGE sql AS $$ SELECT fraud._job_cancel('BACKTEST', job_id, fraud._caller_token()) $$;
COMMENT ON FUNCTION fraud_cancel_backtest_job(text) IS 'Cancels a backtest job: one no worker has claimed ends CANCELED at once; a running one becomes CANCEL_IN_PROGRESS and stops before its next batch (written batches stay). Errors: 42704 unknown job id; 42501 another role''s job; 55006 the job has already ended.';

CREATE FUNCTION fraud_delete_backtest_job(job_id text) RETURNS void
LANGUAGE sql AS $$ SELECT fraud._job_delete('BACKTEST', job_id, fraud._caller_token()) $$;
COMMENT ON FUNCTION fraud_delete_backtest_job(text) IS 'Removes a finished backtest job''s record; its output table (the caller''s) stays and the id stays taken. Errors: 42704 unknown job id; 42501 another role''s job; 55006 the job is still running (cancel it first).';
