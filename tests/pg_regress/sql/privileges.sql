\i helpers.sql
-- The privilege model (docs/security.md): nothing for PUBLIC, capabilities granted with
-- fraud_grant, EXECUTE checked on every call, the catalog written only by the API.

-- wait_job(id): waits (at most 60 s) for a job to end; returns its status and failure reason
CREATE FUNCTION pg_temp.wait_job(id text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE s text; r text;
BEGIN
    FOR i IN 1..1200 LOOP
        SELECT status, failure_reason INTO s, r FROM fraud.jobs WHERE job_id = id;
        EXIT WHEN s IS NULL OR NOT fraud._job_active(s);
        PERFORM pg_sleep(0.05);
    END LOOP;
    RETURN coalesce(s, 'no such job') || coalesce(': ' || r, '');
END $$;

SET client_min_messages = warning;
DROP ROLE IF EXISTS fd_scorer, fd_reader, fd_manager, fd_jobs, fd_jobs2, fd_nobody, fd_voice, fd_voice_admin, fd_pwned;
RESET client_min_messages;
CREATE ROLE fd_scorer; CREATE ROLE fd_reader; CREATE ROLE fd_manager; CREATE ROLE fd_nobody;
CREATE ROLE fd_jobs;    -- NOLOGIN, as CREATE ROLE makes it: its jobs must still run
CREATE ROLE fd_jobs2; CREATE ROLE fd_voice; CREATE ROLE fd_voice_admin;

-- out of the box: no function of the extension is executable by PUBLIC, no table readable
SELECT count(*) AS public_functions
FROM fraud._api_functions() f JOIN pg_proc p ON p.oid = f.signature,
     aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
WHERE a.grantee = 0;
SELECT count(*) AS public_tables
FROM pg_class c, aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
WHERE c.relnamespace = 'fraud'::regnamespace AND a.grantee = 0;
-- every public function belongs to exactly one capability, except the three that manage them and
-- the owner's Citus functions
SELECT f.function_name, count(c.capability) AS capabilities
FROM fraud._api_functions() f LEFT JOIN fraud._capabilities() c ON c.function_name = f.function_name
WHERE f.schema_name <> 'fraud' GROUP BY 1 HAVING count(c.capability) <> 1 ORDER BY 1;
-- every capability names existing functions only
SELECT c.capability, c.function_name FROM fraud._capabilities() c
WHERE NOT EXISTS (SELECT 1 FROM fraud._capability_table() t WHERE t.capability = c.capability
                  AND (t.function_signature::text LIKE c.function_name || '(%'
                       OR t.function_signature::text LIKE 'fraud.' || substr(c.function_name, 7) || '(%'));
-- management functions run as the owner with a pinned search_path; scoring ones as the caller
SELECT p.proname, p.prosecdef, p.proconfig FROM pg_proc p
WHERE p.oid IN ('fraud_put_detector(text,text,text,jsonb)'::regprocedure, 'fraud_predict(text,jsonb,text)'::regprocedure,
                'fraud_create_batch_import_job(text,text,text,jsonb)'::regprocedure,
                'fraud._create_batch_import_job(text,text,text,jsonb,bigint)'::regprocedure)
ORDER BY 1;

-- a detector to work with
SELECT fraud_create_variable('amount', 'FLOAT', 'EVENT', '0');
SELECT fraud_put_entity_type('customer');
SELECT fraud_put_label('fraud');
SELECT fraud_put_event_type('payment', event_variables => ARRAY['amount'], labels => ARRAY['fraud'], entity_types => ARRAY['customer']);
SELECT fraud_put_outcome('review');
SELECT fraud_put_outcome('approve');
SELECT fraud_create_list('watched', ARRAY['x']);
SELECT fraud_put_detector('pay', 'payment');
SELECT fraud_create_rule('big', 'pay', '$amount > 100', ARRAY['review']);
SELECT fraud_create_rule('small', 'pay', '$amount <= 100', ARRAY['approve']);
SELECT detector_version_id FROM fraud_create_detector_version('pay', rules => '[
  {"detectorId": "pay", "ruleId": "big", "ruleVersion": "1"},
  {"detectorId": "pay", "ruleId": "small", "ruleVersion": "1"}]');
SELECT fraud_update_detector_version_status('pay', '1', 'ACTIVE');

-- capabilities
SELECT fraud_grant('scoring', 'fd_scorer');
SELECT fraud_grant('reading', 'fd_reader');
SELECT fraud_grant('managing', 'fd_manager');
SELECT fraud_grant('jobs', 'fd_jobs');
SELECT fraud_grant('jobs', 'fd_jobs2');
SELECT fraud_grant('voice_evaluation', 'fd_voice');
SELECT fraud_grant('voice_management', 'fd_voice_admin');
SELECT pg_temp.err($$SELECT fraud_grant('everything', 'fd_nobody')$$);
SELECT pg_temp.err($$SELECT fraud_grant('scoring', 'no_such_role')$$);
SELECT pg_temp.err($$SELECT fraud_grant('scoring', NULL)$$);

-- the cache is warm (the owner scored and explained): privileges are still checked per call
SELECT fraud_outcomes('pay', '{"amount": 500}');
SELECT fraud_explain('pay', '{"amount": 500}')->'rules'->0->>'expression' AS expression;

-- a scorer scores, and reads no rule, list or table, and changes nothing
SET ROLE fd_scorer;
SELECT fraud_outcomes('pay', '{"amount": 500}');
SELECT fraud_predict('pay', '{"amount": 5}')->'ruleResults' AS rule_results;
SELECT pg_temp.err($$SELECT fraud_explain('pay', '{"amount": 500}')$$);
SELECT pg_temp.err($$SELECT * FROM fraud.lists$$);
SELECT pg_temp.err($$SELECT * FROM fraud_get_rules('pay')$$);
SELECT pg_temp.err($$SELECT fraud_update_rule_version('{"detectorId": "pay", "ruleId": "big", "ruleVersion": "1"}', 'true', ARRAY['review'])$$);
SELECT pg_temp.err($$UPDATE fraud.rule_versions SET expression = 'true'$$);
SELECT pg_temp.err($$SELECT * FROM fraud_get_list_elements('watched')$$);
RESET ROLE;

-- a reader reads definitions and explanations, and scores and changes nothing
SET ROLE fd_reader;
SELECT fraud_explain('pay', '{"amount": 500}')->'rules'->0->>'expression' AS expression;
SELECT rule_id, expression FROM fraud_get_rules('pay') ORDER BY 1;
SELECT * FROM fraud_get_list_elements('watched');
SELECT pg_temp.err($$SELECT fraud_outcomes('pay', '{"amount": 500}')$$);
SELECT pg_temp.err($$SELECT fraud_create_list('l2', ARRAY['y'])$$);
RESET ROLE;

-- a manager changes definitions through the API only
SET ROLE fd_manager;
SELECT fraud_update_list('watched', ARRAY['y'], 'APPEND');
SELECT pg_temp.err($$INSERT INTO fraud.list_elements VALUES ('watched', 'z')$$);
SELECT pg_temp.err($$SELECT fraud_outcomes('pay', '{"amount": 500}')$$);
RESET ROLE;

-- no capability: every call refused with 42501
SET ROLE fd_nobody;
SELECT pg_temp.err($$SELECT fraud_outcomes('pay', '{"amount": 500}')$$);
SELECT pg_temp.err($$SELECT fraud_explain('pay', '{"amount": 500}')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_get_detectors()$$);
SELECT pg_temp.err($$SELECT fraud_put_label('x')$$);
SELECT pg_temp.err($$SELECT fraud_grant('scoring', 'fd_nobody')$$);
SELECT pg_temp.err($$SELECT fraud._caller_token()$$);
SELECT pg_temp.err($$SELECT fraud._run_as(10, 'public', 'SELECT 1')$$);
RESET ROLE;

-- finding 4: a SECURITY DEFINER wrapper owned by a reader lets its callers explain; the cache it
-- fills does not let them call fraud_explain directly
CREATE FUNCTION public.explain_for_support(amount float8) RETURNS jsonb
LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$ SELECT fraud_explain('pay', jsonb_build_object('amount', amount)) $$;
ALTER FUNCTION public.explain_for_support(float8) OWNER TO fd_reader;
SET ROLE fd_scorer;
SELECT explain_for_support(500)->'outcomes' AS outcomes;
SELECT pg_temp.err($$SELECT fraud_explain('pay', '{"amount": 500}')$$);
RESET ROLE;

-- the score trigger: the inserting role needs scoring, checked on every row, cached or not
CREATE TABLE payments (amount float8, outcomes text[]);
CREATE TRIGGER score BEFORE INSERT ON payments FOR EACH ROW EXECUTE FUNCTION fraud_score_trigger('pay', 'outcomes');
GRANT INSERT, SELECT ON payments TO fd_scorer, fd_reader;
SET ROLE fd_scorer;
INSERT INTO payments (amount) VALUES (500), (5);
RESET ROLE;
SET ROLE fd_reader;
SELECT pg_temp.err($$INSERT INTO payments (amount) VALUES (7)$$);
RESET ROLE;
SELECT fraud_revoke('scoring', 'fd_scorer');
SET ROLE fd_scorer;
SELECT pg_temp.err($$INSERT INTO payments (amount) VALUES (9)$$);
SELECT pg_temp.err($$SELECT fraud_outcomes('pay', '{"amount": 500}')$$);
RESET ROLE;
SELECT fraud_grant('scoring', 'fd_scorer');
SELECT amount, outcomes FROM payments ORDER BY amount;

-- jobs run with exactly their creator's rights; the creator is recorded by name
CREATE TABLE public.jobs2_only (event_id text, event_timestamp text, entity_id text, entity_type text, amount text);
INSERT INTO public.jobs2_only VALUES ('e9', '2026-01-01T00:00:00Z', 'c9', 'customer', '1');
GRANT SELECT ON public.jobs2_only TO fd_jobs2;
SET ROLE fd_jobs;
-- an input its creator may not read: refused at create
SELECT pg_temp.err($$SELECT fraud_create_batch_import_job('imp_denied', 'public.jobs2_only', 'payment')$$);
-- a query input runs as the creator (current_user lands in the entity id)
SELECT fraud_create_batch_import_job('imp_mine',
  $$SELECT 'e1' AS event_id, '2026-01-01T00:00:00Z' AS event_timestamp, current_user::text AS entity_id,
           'customer' AS entity_type, '150' AS amount$$, 'payment');
RESET ROLE;
SELECT pg_temp.wait_job('imp_mine');
SELECT event_id, entities FROM fraud.events ORDER BY 1;
SELECT job_id, owner, pg_typeof(owner) FROM fraud.jobs WHERE job_id = 'imp_mine';
-- the input text, cancel and delete belong to the owner (or its members, or managers)
SET ROLE fd_jobs2;
SELECT job_id, status, input_path FROM fraud_get_batch_import_jobs('imp_mine');
SELECT pg_temp.err($$SELECT fraud_delete_batch_import_job('imp_mine')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_get_batch_import_job_errors('imp_mine')$$);
RESET ROLE;
SET ROLE fd_jobs;
SELECT job_id, status, input_path IS NOT NULL AS sees_input FROM fraud_get_batch_import_jobs('imp_mine');
SELECT fraud_delete_batch_import_job('imp_mine');
-- the internal function behind the wrapper cannot be told who the caller is
SELECT pg_temp.err($$SELECT fraud._create_batch_import_job('imp_forged', 'SELECT 1', 'payment', NULL, 12345)$$);
-- a batch prediction scores as its owner through fraud._score, which gives no explanation
-- (rule expressions) to anyone but the extension's owner
SELECT (fraud._score('pay', '{"amount": 500}', NULL, false)).outcomes;
SELECT pg_temp.err($$SELECT fraud._score('pay', '{"amount": 500}', NULL, true)$$);
-- a query that tries to leave the creator's rights fails the job, and changes nothing
SELECT fraud_create_batch_import_job('imp_escape',
  $$SELECT set_config('role', 'none', false) AS event_id, '2026-01-01T00:00:00Z' AS event_timestamp,
           'c' AS entity_id, 'customer' AS entity_type$$, 'payment');
RESET ROLE;
SELECT pg_temp.wait_job('imp_escape');

-- finding 3: a running job of another role is alive to a role that cannot see other roles'
-- backends in pg_stat_activity (fd_jobs2 has no pg_read_all_stats)
-- (the job's query waits for a lock this session holds until it has looked: no timing)
SELECT pg_advisory_lock(1718968934) IS NOT NULL AS held;
SET ROLE fd_jobs;
SELECT fraud_create_batch_import_job('imp_slow',
  $$SELECT 's1' AS event_id, '2026-01-01T00:00:00Z' AS event_timestamp, 'c' AS entity_id, 'customer' AS entity_type
    FROM pg_advisory_xact_lock_shared(1718968934)$$, 'payment');
RESET ROLE;
DO $$ BEGIN
    FOR i IN 1..6000 LOOP
        EXIT WHEN (SELECT worker_pid IS NOT NULL FROM fraud.jobs WHERE job_id = 'imp_slow');
        PERFORM pg_sleep(0.01);
    END LOOP;
END $$;
SET ROLE fd_jobs2;
SELECT job_id, status FROM fraud_get_batch_import_jobs('imp_slow');
RESET ROLE;
SELECT pg_advisory_unlock(1718968934) AS released;
SELECT pg_temp.wait_job('imp_slow');

-- a batch prediction's output belongs to its creator, who must be able to create it
CREATE TABLE public.to_score AS SELECT 500 AS amount UNION ALL SELECT 5;
GRANT SELECT ON public.to_score TO fd_jobs, fd_jobs2;
GRANT CREATE ON SCHEMA public TO fd_jobs;
SET ROLE fd_jobs;
SELECT fraud_create_batch_prediction_job('pred_mine', 'public.to_score', 'public.scored_by_jobs', 'payment', 'pay');
RESET ROLE;
SET ROLE fd_jobs2;
SELECT pg_temp.err($$SELECT fraud_create_batch_prediction_job('pred_denied', 'public.to_score', 'public.scored_by_jobs2', 'payment', 'pay')$$);
RESET ROLE;
SELECT pg_temp.wait_job('pred_mine');
SELECT amount, outcomes, status FROM public.scored_by_jobs ORDER BY amount;
SELECT tableowner FROM pg_tables WHERE tablename = 'scored_by_jobs';
REVOKE CREATE ON SCHEMA public FROM fd_jobs;

-- finding 1: the catalog is written by the API only, and nothing is built from a job row's text
SET ROLE fd_manager;
SELECT pg_temp.err($$INSERT INTO fraud.jobs (job_type, job_id, input_kind, input_path, owner) VALUES ('BATCH_IMPORT', 'x', 'QUERY', 'SELECT 1', 'postgres')$$);
RESET ROLE;
INSERT INTO fraud.jobs (job_type, job_id, status, event_type_name, input_kind, input_path, owner, worker_pid, staging)
VALUES ('BATCH_IMPORT', 'forged', 'IN_PROGRESS', 'payment', 'QUERY', 'SELECT 1', 'fd_jobs', 999999,
        'pg_temp.x; CREATE ROLE fd_pwned');
SELECT count(*) FROM fraud_get_batch_import_jobs();
SELECT status, failure_reason LIKE 'the job''s worker (pid 999999) stopped%' AS reaped FROM fraud.jobs WHERE job_id = 'forged';
SELECT count(*) AS pwned FROM pg_roles WHERE rolname = 'fd_pwned';

-- finding 6: job ids sharing their first 63 bytes get their own staging tables
SELECT length(fraud._job_staging_name('BATCH_IMPORT', repeat('a', 63) || '1')) <= 63 AS fits,
       fraud._job_staging_name('BATCH_IMPORT', repeat('a', 63) || '1') <> fraud._job_staging_name('BATCH_IMPORT', repeat('a', 63) || '2') AS distinct_names;
SET ROLE fd_jobs;
SELECT fraud_create_batch_import_job(repeat('a', 63) || '1', $$SELECT 'f' || g AS event_id, '2026-01-01T00:00:00Z' AS event_timestamp, 'c' AS entity_id, 'customer' AS entity_type FROM generate_series(1, 30) g$$, 'payment');
SELECT fraud_create_batch_import_job(repeat('a', 63) || '2', $$SELECT 'g' || g AS event_id, '2026-01-01T00:00:00Z' AS event_timestamp, 'c' AS entity_id, 'customer' AS entity_type FROM generate_series(1, 20) g$$, 'payment');
RESET ROLE;
SELECT pg_temp.wait_job(repeat('a', 63) || '1'), pg_temp.wait_job(repeat('a', 63) || '2');
SELECT right(job_id, 1) AS job, processed_records_count, failed_records_count FROM fraud.jobs WHERE job_id LIKE 'aaaa%' ORDER BY 1;

-- A security review's attacks (a role with only `jobs` and a schema of its own)
CREATE SCHEMA fd_jobs_s AUTHORIZATION fd_jobs;
CREATE TABLE public.review_log (who text, what text);
GRANT INSERT ON public.review_log TO PUBLIC;
SET ROLE fd_jobs;
-- 1. a query input that sets search_path while it is planned at create (an IMMUTABLE function
--    runs at planning): the setting must not outlive the probe, or the owner's code that follows
--    would call the attacker's lower()
CREATE FUNCTION fd_jobs_s.hijack() RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN PERFORM pg_catalog.set_config('search_path', 'fd_jobs_s, pg_catalog', false); RETURN 'x'; END $$;
CREATE FUNCTION fd_jobs_s.lower(t text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    IF current_user <> 'fd_jobs' THEN INSERT INTO public.review_log VALUES (current_user, 'lower'); END IF;
    RETURN pg_catalog.lower(t);
END $$;
SELECT pg_temp.err($$SELECT fraud_create_batch_import_job('pwn1',
  'SELECT fd_jobs_s.hijack() AS event_id, 1 AS event_timestamp, 1 AS entity_id, 1 AS entity_type', 'payment')$$);
-- 2. the same in the worker (a VOLATILE function runs there), then the worker's own code
CREATE FUNCTION fd_jobs_s.hijack_v() RETURNS text LANGUAGE plpgsql VOLATILE AS $$
BEGIN PERFORM pg_catalog.set_config('search_path', 'fd_jobs_s, pg_catalog', false); RETURN 'pwn2e'; END $$;
CREATE FUNCTION fd_jobs_s.clock_timestamp() RETURNS timestamptz LANGUAGE plpgsql AS $$
BEGIN
    IF current_user <> 'fd_jobs' THEN INSERT INTO public.review_log VALUES (current_user, 'clock_timestamp'); END IF;
    RETURN pg_catalog.clock_timestamp();
END $$;
SELECT fraud_create_batch_import_job('pwn2',
  $$SELECT fd_jobs_s.hijack_v() AS event_id, now() AS event_timestamp, 'c1' AS entity_id, 'customer' AS entity_type$$, 'payment');
-- 3. a column of a type whose cast to text the attacker wrote
CREATE TYPE fd_jobs_s.evil AS ENUM ('pwn3e');
CREATE FUNCTION fd_jobs_s.evil_text(e fd_jobs_s.evil) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    IF current_user <> 'fd_jobs' THEN INSERT INTO public.review_log VALUES (current_user, 'cast'); END IF;
    RETURN e::name::text;
END $$;
CREATE CAST (fd_jobs_s.evil AS text) WITH FUNCTION fd_jobs_s.evil_text(fd_jobs_s.evil);
SELECT fraud_create_batch_import_job('pwn3',
  $$SELECT 'pwn3e'::fd_jobs_s.evil AS event_id, now() AS event_timestamp, 'c1' AS entity_id, 'customer' AS entity_type$$, 'payment');
RESET ROLE;
-- 4. a caller token is random (not guessable from another) and good for one redemption
BEGIN;
SET ROLE fd_jobs;
SELECT fraud._caller_token() AS t1, fraud._caller_token() AS t2 \gset
RESET ROLE;
SELECT :t2::numeric - :t1::numeric <> 1 AS not_sequential;
SELECT role::regrole FROM fraud._redeem_caller(:t1);
SELECT pg_temp.err(format('SELECT fraud._redeem_caller(%s)', :t1));
COMMIT;
-- 5. advisory-lock slots squatted by a role with no capability do not stop the jobs
SET ROLE fd_nobody;
SELECT pg_advisory_lock(1718968933, -1), pg_advisory_lock(1718968933, -2);
RESET ROLE;
SELECT pg_temp.wait_job('pwn2') AS pwn2, pg_temp.wait_job('pwn3') AS pwn3;
SET ROLE fd_jobs;
SELECT fraud_create_batch_import_job('after_squat',
  $$SELECT 'sq1' AS event_id, now() AS event_timestamp, 'c1' AS entity_id, 'customer' AS entity_type$$, 'payment');
RESET ROLE;
SELECT pg_temp.wait_job('after_squat');
SELECT pg_advisory_unlock(1718968933, -1), pg_advisory_unlock(1718968933, -2);
-- 8. a batch prediction of a query with a range type whose subtype_diff is the attacker's:
--    ANALYZE (or autovacuum) of the staging table must not run it as the table's owner
GRANT CREATE ON SCHEMA public TO fd_jobs;
SET ROLE fd_jobs;
CREATE FUNCTION fd_jobs_s.diff(a float8, b float8) RETURNS float8 LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF current_user <> 'fd_jobs' THEN INSERT INTO public.review_log VALUES (current_user, 'subtype_diff'); END IF;
    RETURN a - b;
END $$;
CREATE TYPE fd_jobs_s.r AS RANGE (subtype = float8, subtype_diff = fd_jobs_s.diff);
-- the output's trigger waits for a lock this session holds until it has run ANALYZE: the job
-- stays IN_PROGRESS, with its staging table, until then (no timing)
CREATE FUNCTION fd_jobs_s.slow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_advisory_xact_lock_shared(1718968935); RETURN NULL; END $$;
RESET ROLE;
SELECT pg_advisory_lock(1718968935) IS NOT NULL AS held;
SET ROLE fd_jobs;
BEGIN;
SELECT fraud_create_batch_prediction_job('pwn8',
  $$SELECT g * 100 AS amount, fd_jobs_s.r(g, g + 1) AS span FROM generate_series(1, 50) g$$,
  'public.pwn8_out', 'payment', 'pay');
CREATE TRIGGER slow BEFORE INSERT ON public.pwn8_out FOR EACH STATEMENT EXECUTE FUNCTION fd_jobs_s.slow();
COMMIT;
RESET ROLE;
DO $$ BEGIN
    FOR i IN 1..6000 LOOP
        EXIT WHEN (SELECT status = 'IN_PROGRESS' FROM fraud.jobs WHERE job_id = 'pwn8');
        PERFORM pg_sleep(0.01);
    END LOOP;
    EXECUTE 'ANALYZE ' || fraud._job_staging_name('BATCH_PREDICTION', 'pwn8');
END $$;
SELECT pg_advisory_unlock(1718968935) AS released;
SELECT pg_temp.wait_job('pwn8');
-- the values came back with their types
SELECT amount, span, outcomes FROM public.pwn8_out ORDER BY amount LIMIT 2;
SELECT pg_typeof(span) FROM public.pwn8_out LIMIT 1;
DROP TABLE public.pwn8_out;
REVOKE CREATE ON SCHEMA public FROM fd_jobs;
-- nothing of the attacker's ran as anyone else, nobody became superuser
SELECT count(*) AS ran_as_someone_else FROM public.review_log;
SELECT rolname, rolsuper FROM pg_roles WHERE rolname LIKE 'fd\_%' AND rolsuper;
SELECT event_id FROM fraud.events WHERE event_id IN ('pwn2e', 'pwn3e', 'sq1') ORDER BY 1;
-- 6. another jobs role sees neither the input nor the failure of a job (failures quote data)
SET ROLE fd_jobs2;
SELECT job_id, status, failure_reason, input_path FROM fraud_get_batch_import_jobs('imp_escape');
RESET ROLE;
-- 7. the SECURITY INVOKER wrappers are exactly the functions that capture their caller
SELECT f.function_name, f.function_name IN (SELECT fraud._invoker_wrappers()) AS listed,
       strpos(f.body, 'fraud._caller_token()') > 0 AS mints_a_token
FROM fraud._api_functions() f
WHERE f.schema_name <> 'fraud'
  AND (f.function_name IN (SELECT fraud._invoker_wrappers())) <> (strpos(f.body, 'fraud._caller_token()') > 0
                                                                  AND f.language = 'sql');
DROP TABLE public.review_log;
SET client_min_messages = warning;
DROP SCHEMA fd_jobs_s CASCADE;
RESET client_min_messages;

-- Voice ID: evaluation and management are separate
SELECT domain_id AS dom FROM fraud_voice_create_domain('calls', 192) \gset
SET ROLE fd_voice;
SELECT pg_temp.err(format($$SELECT fraud_voice_evaluate_session(%L, 's1', %L::real[], 10)$$, :'dom', pg_temp.voice(1)::text));
SELECT pg_temp.err(format($$SELECT * FROM fraud_voice_list_fraudsters(%L)$$, :'dom'));
RESET ROLE;
SET ROLE fd_voice_admin;
SELECT count(*) FROM fraud_voice_list_watchlists(:'dom');
SELECT pg_temp.err(format($$SELECT fraud_voice_evaluate_session(%L, 's1', %L::real[], 10)$$, :'dom', pg_temp.voice(1)::text));
RESET ROLE;

-- revoking gives back exactly what was granted
SELECT fraud_revoke('jobs', 'fd_jobs2');
SELECT count(*) AS left_over FROM pg_proc p, aclexplode(p.proacl) a WHERE a.grantee = 'fd_jobs2'::regrole;
SELECT has_schema_privilege('fd_jobs2', 'fraud', 'USAGE') AS schema_usage;

DROP TABLE payments, public.jobs2_only, public.to_score, public.scored_by_jobs;
DROP FUNCTION public.explain_for_support(float8);
DELETE FROM fraud.jobs;
DROP EXTENSION fraud_detector CASCADE;
DROP ROLE fd_scorer, fd_reader, fd_manager, fd_jobs, fd_jobs2, fd_nobody, fd_voice, fd_voice_admin;
CREATE EXTENSION fraud_detector;
