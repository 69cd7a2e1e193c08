-- Voice ID jobs: StartFraudsterRegistrationJob, DescribeFraudsterRegistrationJob,
-- ListFraudsterRegistrationJobs, StartSpeakerEnrollmentJob, DescribeSpeakerEnrollmentJob,
-- ListSpeakerEnrollmentJobs. They run on the job machinery of sql/jobs.sql (a background
-- worker, batches that commit, progress visible from any session, FAILED with a reason if the
-- worker dies) and write one output row per request to fraud.voice_job_results.
--
-- Input (`input_data_config`, Voice ID's {"S3Uri": ...}): a table or query with columns
-- request_id (text), embedding (real[]) and speech_seconds (real); or the absolute path of a
-- server-side JSON manifest {"Version": "1.0", "FraudsterRegistrationRequests" (or
-- "SpeakerEnrollmentRequests"): [{"RequestId", "Embedding": [...], "SpeechSeconds"}]}.

CREATE FUNCTION fraud._voice_job_source(job_type text, input_data_config jsonb, p_role oid, p_search_path text,
                                        OUT kind text, OUT source text)
LANGUAGE plpgsql AS $$
DECLARE uri text; inp record; manifest jsonb; msg text;
        key text := CASE job_type WHEN 'FRAUDSTER_REGISTRATION' THEN 'FraudsterRegistrationRequests'
                                    ELSE 'SpeakerEnrollmentRequests' END;
BEGIN
    PERFORM fraud._required('input_data_config', input_data_config);
    IF jsonb_typeof(input_data_config) <> 'object' OR jsonb_typeof(input_data_config->'S3Uri') IS DISTINCT FROM 'string' THEN
        PERFORM fraud._invalid('input_data_config', input_data_config::text, '(must be {"S3Uri": a table, a query or a manifest file path})');
    END IF;
    uri := btrim(input_data_config->>'S3Uri');
    IF uri = '' THEN
        PERFORM fraud._invalid('input_data_config', input_data_config::text, '(S3Uri must name a table, a query or a manifest file path)');
    END IF;
    IF left(uri, 1) = '/' THEN
        BEGIN
            manifest := fraud._query_as(p_role, p_search_path, format('SELECT pg_catalog.pg_read_file(%L)', uri))::jsonb;
        EXCEPTION WHEN undefined_file OR invalid_text_representation OR io_error OR invalid_parameter_value THEN
            GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
            PERFORM fraud._invalid('input_data_config', uri, format('(cannot read the manifest: %s)', msg));
        WHEN insufficient_privilege THEN
            GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
            PERFORM fraud._raise('42501', msg);
        END;
        IF jsonb_typeof(manifest->key) IS DISTINCT FROM 'array' THEN
            PERFORM fraud._invalid('input_data_config', uri, format('(the manifest has no %s array)', key));
        END IF;
        kind := 'FILE';
        source := uri;
        RETURN;
    END IF;
    inp := fraud._job_input(uri, 'input_data_config', p_role, p_search_path);
    IF NOT (ARRAY['request_id', 'embedding', 'speech_seconds'] <@ inp.columns) THEN
        PERFORM fraud._invalid('input_data_config', uri, '(the input needs columns request_id, embedding and speech_seconds)');
    END IF;
    kind := inp.kind;
    source := inp.source;
END $$;

-- Stages the requests as (_row, request_id, embedding, speech_seconds); in a manifest, a
-- value of the wrong JSON type becomes NULL and fails only its own request.
CREATE FUNCTION fraud._voice_job_init(j fraud.jobs) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE v_staging text; n bigint;
        key text := CASE j.job_type WHEN 'FRAUDSTER_REGISTRATION' THEN 'FraudsterRegistrationRequests'
                                    ELSE 'SpeakerEnrollmentRequests' END;
BEGIN
    -- the requests are read as the job's owner (src/security.rs), into a table of ours
    v_staging := fraud._job_staging_create(j, 'request_id text, embedding real[], speech_seconds real');
    IF j.input_kind = 'FILE' THEN
        n := fraud._run_as(j.owner, j.search_path, format($q$
            INSERT INTO %s (request_id, embedding, speech_seconds)
            SELECT r->>'RequestId' AS request_id,
                   CASE WHEN jsonb_typeof(r->'Embedding') = 'array'
                         AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(r->'Embedding') e WHERE jsonb_typeof(e) <> 'number')
                        THEN ARRAY(SELECT e::text::real FROM jsonb_array_elements(r->'Embedding') e) END AS embedding,
                   CASE WHEN jsonb_typeof(r->'SpeechSeconds') = 'number' THEN (r->>'SpeechSeconds')::real END AS speech_seconds
            FROM jsonb_array_elements(pg_catalog.pg_read_file(%L)::jsonb->%L) WITH ORDINALITY x(r, i)
            ORDER BY i$q$, v_staging, j.input_path, key));
    ELSE
        n := fraud._run_as(j.owner, j.search_path, format(
            'INSERT INTO %s (request_id, embedding, speech_seconds)
             SELECT q.request_id::text, q.embedding::real[], q.speech_seconds::real FROM (%s
             ) q',
            v_staging, CASE j.input_kind WHEN 'TABLE' THEN 'SELECT * FROM ' || j.input_path::regclass ELSE j.input_path END));
    END IF;
    EXECUTE format('CREATE INDEX ON %s (_row)', v_staging);
    UPDATE fraud.jobs x SET status = 'IN_PROGRESS', staging = v_staging, total_records_count = n, end_position = n,
                            next_position = 0, last_heartbeat_time = clock_timestamp()
        WHERE x.job_type = j.job_type AND x.job_id = j.job_id;
END $$;

CREATE FUNCTION fraud._voice_request_error(request_id text, code int, message text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object('RequestId', request_id, 'ErrorCode', code, 'ErrorMessage', message))
$$;

-- One batch of fraudster registrations. Duplicates are looked for across the whole domain
-- (every watchlist) and among the requests registered earlier in the same job; the closest
-- one's cosine is normalised for the number of voices compared with, as EvaluateSession's
-- (docs/voice-id.md, "Large watchlists"). The requests are checked first, then the duplicate
-- checks of the whole batch run in one call (fraud._voice_registration_checks: one pass over
-- the domain's matrix for the batch instead of one per request, the same results), then the
-- new fraudsters are written. The next batch finds the domain's index brought forward by these
-- rows, not reloaded (src/voice.rs).
CREATE FUNCTION fraud._voice_registration_step(j fraud.jobs) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    d fraud.voice_domains := fraud._voice_domain(j.domain_id);
    action text := j.config->>'DuplicateRegistrationAction';
    threshold int := (j.config->>'FraudsterSimilarityThreshold')::int;
    target text := j.config->'WatchlistIds'->>0;
    hi bigint := least(j.end_position, j.next_position + j.batch_size);
    r record; c record; v real[]; result jsonb;
    -- the requests that passed the checks: their voiceprints (concatenated), candidate ids,
    -- speech and place among the batch's results
    flat real[] := '{}'; cand_ids text[] := '{}'; cand_speech real[] := '{}'; cand_at int[] := '{}';
    new_k int[] := '{}';
    rows bigint[] := '{}'; request_ids text[] := '{}'; results jsonb[] := '{}'; failed bigint := 0;
BEGIN
    FOR r IN EXECUTE format('SELECT * FROM %s s WHERE s._row > $1 AND s._row <= $2 ORDER BY s._row', fraud._job_staging_name(j.job_type, j.job_id))
             USING j.next_position, hi LOOP
        result := NULL;
        BEGIN
            IF r.request_id IS NULL OR r.request_id !~ '^[a-zA-Z0-9][a-zA-Z0-9_-]*$' OR length(r.request_id) > 256 THEN
                PERFORM fraud._invalid('RequestId', r.request_id, '(must match ^[a-zA-Z0-9][a-zA-Z0-9_-]*$)');
            END IF;
            v := fraud._voice_normalize('Embedding', r.embedding, d.embedding_dimension);
            IF r.speech_seconds IS NULL OR r.speech_seconds < d.authentication_min_speech_seconds THEN
                PERFORM fraud._invalid('SpeechSeconds', r.speech_seconds::text,
                    format('(a voiceprint needs at least %s seconds of speech)', d.authentication_min_speech_seconds));
            END IF;
        EXCEPTION WHEN invalid_parameter_value THEN
            result := fraud._voice_request_error(r.request_id, 400, SQLERRM);
            failed := failed + 1;
        END;
        rows := rows || r._row; request_ids := request_ids || r.request_id; results := results || result;
        IF result IS NULL THEN
            flat := flat || v;
            cand_ids := cand_ids || ('id#' || fraud._voice_new_id());
            cand_speech := cand_speech || r.speech_seconds;
            cand_at := cand_at || cardinality(results);
        END IF;
    END LOOP;
    FOR c IN SELECT x.fraudster_id, x.score, x.registered, x.k::int AS k
             FROM fraud._voice_registration_checks(d.domain_id, flat, cand_ids, d.cos_at_50, d.cos_at_90, threshold,
                                                   action = 'SKIP') WITH ORDINALITY x(fraudster_id, score, registered, k) LOOP
        IF c.registered THEN
            new_k := new_k || c.k;
            -- an explicit JSON null score when there was no fraudster to compare with (the
            -- first registration into an empty domain; docs/voice-id.md "Jobs")
            results[cand_at[c.k]] := jsonb_build_object('RequestId', request_ids[cand_at[c.k]], 'RegistrationStatus', 'NEW_REGISTRATION',
                                                        'GeneratedFraudsterId', c.fraudster_id, 'FraudsterSimilarityScore', c.score);
        ELSE
            results[cand_at[c.k]] := jsonb_build_object('RequestId', request_ids[cand_at[c.k]], 'RegistrationStatus', 'DUPLICATE_SKIPPED',
                                                        'GeneratedFraudsterId', c.fraudster_id, 'FraudsterSimilarityScore', c.score);
        END IF;
    END LOOP;
    INSERT INTO fraud.voice_fraudsters (domain_id, fraudster_id, embedding, speech_seconds)
        SELECT d.domain_id, cand_ids[k], flat[(k - 1) * d.embedding_dimension + 1 : k * d.embedding_dimension], cand_speech[k]
        FROM unnest(new_k) k;
    INSERT INTO fraud.voice_fraudster_watchlists (domain_id, fraudster_id, watchlist_id)
        SELECT d.domain_id, cand_ids[k], target FROM unnest(new_k) k;
    INSERT INTO fraud.voice_job_results (job_type, job_id, row_number, request_id, result)
        SELECT j.job_type, j.job_id, x.rn, x.rid, x.res FROM unnest(rows, request_ids, results) x(rn, rid, res);
    PERFORM fraud._job_progress(j, hi, cardinality(rows), failed);
    IF hi >= j.end_position THEN
        PERFORM fraud._job_finish(j, 'COMPLETE');
    END IF;
END $$;

-- One batch of speaker enrolments: at least 30 s of speech; an opted-out speaker is refused;
-- an enrolled one is skipped or overwritten (ExistingEnrollmentAction); the fraud check (always
-- on, its defaults filled in by fraud._voice_enrollment_config) fails a speaker whose closest
-- fraudster in the watchlist scores at least RiskThreshold (FraudDetectionAction FAIL); with
-- IGNORE the speaker is enrolled anyway, so the search is skipped.
CREATE FUNCTION fraud._voice_enrollment_step(j fraud.jobs) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    d fraud.voice_domains := fraud._voice_domain(j.domain_id);
    existing_action text := j.config->>'ExistingEnrollmentAction';
    -- a job queued by version 0.1.0 may have no FraudDetectionConfig: it gets the defaults too
    check_config jsonb := coalesce(j.config->'FraudDetectionConfig', fraud._voice_enrollment_config(d, j.config)->'FraudDetectionConfig');
    hi bigint := least(j.end_position, j.next_position + j.batch_size);
    r record; v real[]; s fraud.voice_speakers; fid text; cos real; risk int; result jsonb; sid text;
    rows bigint[] := '{}'; request_ids text[] := '{}'; results jsonb[] := '{}'; failed bigint := 0;
BEGIN
    FOR r IN EXECUTE format('SELECT * FROM %s s WHERE s._row > $1 AND s._row <= $2 ORDER BY s._row', fraud._job_staging_name(j.job_type, j.job_id))
             USING j.next_position, hi LOOP
        BEGIN
            IF r.request_id IS NULL OR r.request_id !~ '^[a-zA-Z0-9][a-zA-Z0-9_-]*$' OR length(r.request_id) > 256 THEN
                PERFORM fraud._invalid('RequestId', r.request_id, '(a speaker id: must match ^[a-zA-Z0-9][a-zA-Z0-9_-]*$)');
            END IF;
            v := fraud._voice_normalize('Embedding', r.embedding, d.embedding_dimension);
            IF r.speech_seconds IS NULL OR r.speech_seconds < 30 THEN
                PERFORM fraud._invalid('SpeechSeconds', r.speech_seconds::text, '(enrolment needs at least 30 seconds of speech)');
            END IF;
            s := fraud._voice_speaker_lookup(d.domain_id, r.request_id);
            IF s.status = 'OPTED_OUT' THEN
                RAISE EXCEPTION 'speaker % has opted out (SPEAKER_OPTED_OUT)', quote_literal(r.request_id) USING ERRCODE = 'object_in_use';
            END IF;
            IF s.status = 'ENROLLED' AND existing_action = 'SKIP' THEN
                result := jsonb_build_object('RequestId', r.request_id, 'GeneratedSpeakerId', s.generated_speaker_id,
                                             'EnrollmentStatus', 'ENROLLMENT_SKIPPED');
            ELSE
                IF check_config->>'FraudDetectionAction' = 'FAIL' THEN
                    fid := NULL;
                    SELECT n.fraudster_id, n.normalized_cosine INTO fid, cos
                        FROM fraud._voice_nearest_normalized(d.domain_id, v, check_config->'WatchlistIds'->>0, d.cos_at_50) n;
                    risk := CASE WHEN fid IS NULL THEN 0 ELSE fraud._voice_calibrate(cos, d.cos_at_50, d.cos_at_90) END;
                    IF risk >= (check_config->>'RiskThreshold')::int THEN
                        RAISE EXCEPTION 'the speaker matches fraudster % with risk score % (FraudDetectionAction FAIL)', fid, risk
                            USING ERRCODE = 'object_in_use';
                    END IF;
                END IF;
                sid := coalesce(s.generated_speaker_id, 'id#' || fraud._voice_new_id());
                INSERT INTO fraud.voice_speakers (domain_id, generated_speaker_id, customer_speaker_id, status, embedding, speech_seconds)
                    VALUES (d.domain_id, sid, r.request_id, 'ENROLLED', v, r.speech_seconds)
                    ON CONFLICT (generated_speaker_id) DO UPDATE SET status = 'ENROLLED', embedding = EXCLUDED.embedding,
                        speech_seconds = EXCLUDED.speech_seconds, updated_at = now();
                result := jsonb_build_object('RequestId', r.request_id, 'GeneratedSpeakerId', sid,
                                             'EnrollmentStatus', CASE WHEN s.status = 'ENROLLED' THEN 'OVERWRITTEN' ELSE 'NEW_ENROLLMENT' END);
            END IF;
        EXCEPTION WHEN invalid_parameter_value THEN
            result := fraud._voice_request_error(r.request_id, 400, SQLERRM);
            failed := failed + 1;
        WHEN object_in_use THEN
            result := fraud._voice_request_error(r.request_id, 409, SQLERRM);
            failed := failed + 1;
        END;
        rows := rows || r._row; request_ids := request_ids || r.request_id; results := results || result;
    END LOOP;
    INSERT INTO fraud.voice_job_results (job_type, job_id, row_number, request_id, result)
        SELECT j.job_type, j.job_id, x.rn, x.rid, x.res FROM unnest(rows, request_ids, results) x(rn, rid, res);
    PERFORM fraud._job_progress(j, hi, cardinality(rows), failed);
    IF hi >= j.end_position THEN
        PERFORM fraud._job_finish(j, 'COMPLETE');
    END IF;
END $$;

-- The configs, checked and completed with their defaults.
CREATE FUNCTION fraud._voice_registration_config(d fraud.voice_domains, config jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE c jsonb := coalesce(config, '{}'); w text; t jsonb;
BEGIN
    IF jsonb_typeof(c) <> 'object' OR EXISTS (SELECT 1 FROM jsonb_object_keys(c) k
            WHERE k NOT IN ('DuplicateRegistrationAction', 'FraudsterSimilarityThreshold', 'WatchlistIds')) THEN
        PERFORM fraud._invalid('registration_config', c::text,
            '(must be {"DuplicateRegistrationAction", "FraudsterSimilarityThreshold", "WatchlistIds"})');
    END IF;
    PERFORM fraud._check_enum('DuplicateRegistrationAction', coalesce(c->>'DuplicateRegistrationAction', 'SKIP'), ARRAY['SKIP', 'REGISTER_AS_NEW']);
    t := coalesce(c->'FraudsterSimilarityThreshold', '80');
    IF jsonb_typeof(t) <> 'number' OR t::text !~ '^[0-9]+$' OR t::text::numeric > 100 THEN
        PERFORM fraud._invalid('FraudsterSimilarityThreshold', t::text, '(must be an integer 0 to 100)');
    END IF;
    w := fraud._voice_config_watchlist(d, c->'WatchlistIds');
    RETURN jsonb_build_object('DuplicateRegistrationAction', coalesce(c->>'DuplicateRegistrationAction', 'SKIP'),
                              'FraudsterSimilarityThreshold', t, 'WatchlistIds', jsonb_build_array(w));
END $$;

-- WatchlistIds: exactly one watchlist of the domain; the default watchlist when absent.
CREATE FUNCTION fraud._voice_config_watchlist(d fraud.voice_domains, ids jsonb) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    IF ids IS NULL THEN
        RETURN fraud._voice_default_watchlist(d.domain_id);
    END IF;
    IF jsonb_typeof(ids) <> 'array' OR jsonb_array_length(ids) <> 1 OR jsonb_typeof(ids->0) <> 'string' THEN
        PERFORM fraud._invalid('WatchlistIds', ids::text, '(must be an array of exactly one watchlist id)');
    END IF;
    RETURN (fraud._voice_watchlist(d.domain_id, ids->>0)).watchlist_id;
END $$;

CREATE FUNCTION fraud._voice_enrollment_config(d fraud.voice_domains, config jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE c jsonb := coalesce(config, '{}'); f jsonb; t jsonb;
BEGIN
    IF jsonb_typeof(c) <> 'object' OR EXISTS (SELECT 1 FROM jsonb_object_keys(c) k
            WHERE k NOT IN ('ExistingEnrollmentAction', 'FraudDetectionConfig')) THEN
        PERFORM fraud._invalid('enrollment_config', c::text, '(must be {"ExistingEnrollmentAction", "FraudDetectionConfig"})');
    END IF;
    PERFORM fraud._check_enum('ExistingEnrollmentAction', coalesce(c->>'ExistingEnrollmentAction', 'SKIP'), ARRAY['SKIP', 'OVERWRITE']);
    -- the fraud check always runs (FraudDetectionAction defaults to FAIL, docs/voice-id.md
    -- "Jobs"), so an absent FraudDetectionConfig gets every default, not no check
    f := coalesce(c->'FraudDetectionConfig', '{}');
    IF jsonb_typeof(f) <> 'object' OR EXISTS (SELECT 1 FROM jsonb_object_keys(f) k
            WHERE k NOT IN ('FraudDetectionAction', 'RiskThreshold', 'WatchlistIds')) THEN
        PERFORM fraud._invalid('FraudDetectionConfig', f::text, '(must be {"FraudDetectionAction", "RiskThreshold", "WatchlistIds"})');
    END IF;
    PERFORM fraud._check_enum('FraudDetectionAction', coalesce(f->>'FraudDetectionAction', 'FAIL'), ARRAY['IGNORE', 'FAIL']);
    t := coalesce(f->'RiskThreshold', '50');
    IF jsonb_typeof(t) <> 'number' OR t::text !~ '^[0-9]+$' OR t::text::numeric > 100 THEN
        PERFORM fraud._invalid('RiskThreshold', t::text, '(must be an integer 0 to 100)');
    END IF;
    RETURN jsonb_build_object('ExistingEnrollmentAction', coalesce(c->>'ExistingEnrollmentAction', 'SKIP'),
        'FraudDetectionConfig', jsonb_build_object(
            'FraudDetectionAction', coalesce(f->>'FraudDetectionAction', 'FAIL'), 'RiskThreshold', t,
            'WatchlistIds', jsonb_build_array(fraud._voice_config_watchlist(d, f->'WatchlistIds'))));
END $$;

CREATE FUNCTION fraud._voice_start_job(p_job_type text, p_domain_id text, p_input_data_config jsonb, p_job_name text,
                                       p_config jsonb, p_caller bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE d fraud.voice_domains := fraud._voice_domain(p_domain_id); src record; config jsonb; id text := fraud._voice_new_id();
        v_role oid; v_path text;
BEGIN
    -- the caller, from the token its public wrapper minted (used up here)
    SELECT c.role, c.search_path INTO v_role, v_path FROM fraud._redeem_caller(p_caller) c;
    IF p_job_name IS NOT NULL THEN
        PERFORM fraud._voice_check_name('job_name', p_job_name);
    END IF;
    config := CASE p_job_type WHEN 'FRAUDSTER_REGISTRATION' THEN fraud._voice_registration_config(d, p_config)
                              ELSE fraud._voice_enrollment_config(d, p_config) END;
    src := fraud._voice_job_source(p_job_type, p_input_data_config, v_role, v_path);
    PERFORM fraud._job_check_worker_role();
    PERFORM fraud._reap_jobs();
    INSERT INTO fraud.jobs (job_type, job_id, status, domain_id, job_name, config, input_kind, input_path, owner,
                            search_path, batch_size)
        VALUES (p_job_type, id, 'SUBMITTED', d.domain_id, p_job_name, config, src.kind, src.source,
                v_role::regrole, v_path, 500);
    PERFORM fraud._launch_job_worker();
    RETURN id;
END $$;

CREATE FUNCTION fraud._voice_jobs(p_job_type text, p_domain_id text, p_job_id text, p_job_status text, p_caller bigint)
RETURNS TABLE (job_id text, job_name text, domain_id text, job_status text, created_at timestamptz, ended_at timestamptz,
               input_data_config jsonb, config jsonb, job_progress jsonb, failure_details jsonb,
               processed_records_count bigint, failed_records_count bigint, total_records_count bigint)
LANGUAGE plpgsql AS $$
DECLARE v_role oid; v_path text;
BEGIN
    -- the caller, from the token its public wrapper minted (used up here)
    SELECT c.role, c.search_path INTO v_role, v_path FROM fraud._redeem_caller(p_caller) c;
    PERFORM fraud._voice_domain(p_domain_id);
    IF p_job_id IS NOT NULL THEN
        PERFORM fraud._voice_check_id('job_id', p_job_id);
    END IF;
    IF p_job_status IS NOT NULL THEN
        PERFORM fraud._check_enum('job_status', p_job_status, ARRAY['SUBMITTED', 'IN_PROGRESS', 'COMPLETED', 'COMPLETED_WITH_ERRORS', 'FAILED']);
    END IF;
    PERFORM fraud._reap_jobs();
    RETURN QUERY
    SELECT x.job_id, x.job_name, x.domain_id, x.status, x.start_time, x.completion_time,
           CASE WHEN fraud._job_visible(x.owner, v_role) THEN jsonb_build_object('S3Uri', x.input_path) END,
           x.config,
           jsonb_build_object('PercentComplete', CASE WHEN x.status IN ('COMPLETED', 'COMPLETED_WITH_ERRORS') THEN 100
                                                      WHEN coalesce(x.total_records_count, 0) = 0 THEN 0
                                                      ELSE (100 * x.processed_records_count / x.total_records_count)::int END),
           CASE WHEN x.failure_reason IS NOT NULL AND fraud._job_visible(x.owner, v_role)
                THEN jsonb_build_object('Message', x.failure_reason, 'StatusCode', 500) END,
           x.processed_records_count, x.failed_records_count, x.total_records_count
    FROM fraud.jobs x
    WHERE x.job_type = p_job_type AND x.domain_id = p_domain_id AND (p_job_id IS NULL OR x.job_id = p_job_id)
      AND (p_job_status IS NULL OR x.status = p_job_status)
    ORDER BY x.start_time DESC, x.job_id;
    IF p_job_id IS NOT NULL AND NOT FOUND THEN
        PERFORM fraud._not_found('job', p_job_id);
    END IF;
END $$;

CREATE FUNCTION fraud_voice_start_fraudster_registration_job(domain_id text, input_data_config jsonb,
                                                             job_name text DEFAULT NULL, registration_config jsonb DEFAULT NULL)
RETURNS TABLE (job_id text, job_name text, domain_id text, job_status text, created_at timestamptz, ended_at timestamptz,
               input_data_config jsonb, registration_config jsonb, job_progress jsonb, failure_details jsonb,
               processed_records_count bigint, failed_records_count bigint, total_records_count bigint)
LANGUAGE sql AS $$
    SELECT * FROM fraud._voice_jobs('FRAUDSTER_REGISTRATION', domain_id,
        fraud._voice_start_job('FRAUDSTER_REGISTRATION', domain_id, input_data_config, job_name, registration_config,
                               fraud._caller_token()), NULL, fraud._caller_token())
$$;
COMMENT ON FUNCTION fraud_voice_start_fraudster_registration_job(text, jsonb, text, jsonb) IS 'Voice ID StartFraudsterRegistrationJob: starts a background job registering fraudsters from {"S3Uri": a table, query or JSON manifest path}, duplicates found with FraudsterSimilarityThreshold (the score normalised for domains of more than 500 fraudsters); returns the job row (SUBMITTED). Errors: 22023 bad input or config; 42704 unknown domain or watchlist; 42501 no read permission.';

CREATE FUNCTION fraud_voice_describe_fraudster_registration_job(domain_id text, job_id text)
RETURNS TABLE (job_id text, job_name text, domain_id text, job_status text, created_at timestamptz, ended_at timestamptz,
               input_data_config jsonb, registration_config jsonb, job_progress jsonb, failure_details jsonb,
               processed_records_count bigint, failed_records_count bigint, total_records_count bigint)
LANGUAGE sql AS $$ SELECT * FROM fraud._voice_jobs('FRAUDSTER_REGISTRATION', domain_id, job_id, NULL, fraud._caller_token()) $$;
COMMENT ON FUNCTION fraud_voice_describe_fraudster_registration_job(text, text) IS 'Voice ID DescribeFraudsterRegistrationJob: the job row (job_status, registration_config with defaults, job_progress, failure_details, counters). Errors: 22023 malformed id; 42704 unknown domain or job.';

CREATE FUNCTION fraud_voice_list_fraudster_registration_jobs(domain_id text, job_status text DEFAULT NULL)
RETURNS TABLE (job_id text, job_name text, domain_id text, job_status text, created_at timestamptz, ended_at timestamptz,
               input_data_config jsonb, registration_config jsonb, job_progress jsonb, failure_details jsonb,
               processed_records_count bigint, failed_records_count bigint, total_records_count bigint)
LANGUAGE sql AS $$ SELECT * FROM fraud._voice_jobs('FRAUDSTER_REGISTRATION', domain_id, NULL, job_status, fraud._caller_token()) $$;
COMMENT ON FUNCTION fraud_voice_list_fraudster_registration_jobs(text, text) IS 'Voice ID ListFraudsterRegistrationJobs: the domain''s registration jobs, newest first, optionally only those with job_status. Errors: 22023 unknown status; 42704 unknown domain.';

CREATE FUNCTION fraud_voice_start_speaker_enrollment_job(domain_id text, input_data_config jsonb,
                                                         job_name text DEFAULT NULL, enrollment_config jsonb DEFAULT NULL)
RETURNS TABLE (job_id text, job_name text, domain_id text, job_status text, created_at timestamptz, ended_at timestamptz,
               input_data_config jsonb, enrollment_config jsonb, job_progress jsonb, failure_details jsonb,
               processed_records_count bigint, failed_records_count bigint, total_records_count bigint)
LANGUAGE sql AS $$
    SELECT * FROM fraud._voice_jobs('SPEAKER_ENROLLMENT', domain_id,
        fraud._voice_start_job('SPEAKER_ENROLLMENT', domain_id, input_data_config, job_name, enrollment_config,
                               fraud._caller_token()), NULL, fraud._caller_token())
$$;
COMMENT ON FUNCTION fraud_voice_start_speaker_enrollment_job(text, jsonb, text, jsonb) IS 'Voice ID StartSpeakerEnrollmentJob: starts a background job enrolling speakers from {"S3Uri": a table, query or JSON manifest path}, each checked against a watchlist first (by default a speaker whose closest fraudster in the default watchlist scores 50 or more fails, the score normalised for watchlists of more than 500 fraudsters; FraudDetectionConfig changes that, FraudDetectionAction IGNORE enrols anyway); returns the job row (SUBMITTED). Errors: 22023 bad input or config; 42704 unknown domain or watchlist; 42501 no read permission.';

CREATE FUNCTION fraud_voice_describe_speaker_enrollment_job(domain_id text, job_id text)
RETURNS TABLE (job_id text, job_name text, domain_id text, job_status text, created_at timestamptz, ended_at timestamptz,
               input_data_config jsonb, enrollment_config jsonb, job_progress jsonb, failure_details jsonb,
               processed_records_count bigint, failed_records_count bigint, total_records_count bigint)
LANGUAGE sql AS $$ SELECT * FROM fraud._voice_jobs('SPEAKER_ENROLLMENT', domain_id, job_id, NULL, fraud._caller_token()) $$;
COMMENT ON FUNCTION fraud_voice_describe_speaker_enrollment_job(text, text) IS 'Voice ID DescribeSpeakerEnrollmentJob: the job row (job_status, enrollment_config with defaults, job_progress, failure_details, counters). Errors: 22023 malformed id; 42704 unknown domain or job.';

CREATE FUNCTION fraud_voice_list_speaker_enrollment_jobs(domain_id text, job_status text DEFAULT NULL)
RETURNS TABLE (job_id text, job_name text, domain_id text, job_status text, created_at timestamptz, ended_at timestamptz,
               input_data_config jsonb, enrollment_config jsonb, job_progress jsonb, failure_details jsonb,
               processed_records_count bigint, failed_records_count bigint, total_records_count bigint)
LANGUAGE sql AS $$ SELECT * FROM fraud._voice_jobs('SPEAKER_ENROLLMENT', domain_id, NULL, job_status, fraud._caller_token()) $$;
COMMENT ON FUNCTION fraud_voice_list_speaker_enrollment_jobs(text, text) IS 'Voice ID ListSpeakerEnrollmentJobs: the domain''s enrolment jobs, newest first, optionally only those with job_status. Errors: 22023 unknown status; 42704 unknown domain.';

-- The job's output: one row per request, in request order, in Voice ID's output-file shape
-- (registration: RegistrationStatus NEW_REGISTRATION / DUPLICATE_SKIPPED, GeneratedFraudsterId,
-- FraudsterSimilarityScore, null when the domain had no fraudster yet; enrolment:
-- EnrollmentStatus, GeneratedSpeakerId; a failed request: ErrorCode and ErrorMessage).
CREATE FUNCTION fraud._voice_job_results(p_domain_id text, p_job_id text)
RETURNS TABLE (row_number bigint, request_id text, result jsonb)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fraud._voice_domain(p_domain_id);
    PERFORM fraud._voice_check_id('job_id', p_job_id);
    IF NOT EXISTS (SELECT 1 FROM fraud.jobs x WHERE x.domain_id = p_domain_id AND x.job_id = p_job_id) THEN
        PERFORM fraud._not_found('job', p_job_id);
    END IF;
    RETURN QUERY SELECT r.row_number, r.request_id, r.result FROM fraud.voice_job_results r
                 WHERE r.job_id = p_job_id ORDER BY r.row_number;
END $$;

CREATE FUNCTION fraud_voice_get_job_results(domain_id text, job_id text)
RETURNS TABLE (row_number bigint, request_id text, result jsonb)
LANGUAGE sql AS $$ SELECT * FROM fraud._voice_job_results(domain_id, job_id) $$;
COMMENT ON FUNCTION fraud_voice_get_job_results(text, text) IS 'The output of a fraudster registration or speaker enrolment job: one row per request in input order, result in Voice ID''s output-file shape (or ErrorCode, ErrorMessage). Errors: 22023 malformed id; 42704 unknown domain or job.';
