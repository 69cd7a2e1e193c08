-- Batch import and batch prediction jobs (Create/Get/Cancel/Delete), run by background
-- workers: a 100,000-row CSV import with deliberately bad rows, imports from a table and a
-- query, predictions over a table, a query and a CSV file checked against fraud_predict,
-- progress and cancel observed deterministically, and every refusal with its SQLSTATE.
\i helpers.sql
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
-- waits (at most 120 s) until a job has left the running states; returns its status
CREATE FUNCTION pg_temp.wait_job(kind text, id text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE s text;
BEGIN
    FOR i IN 1..2400 LOOP
        IF kind = 'import' THEN
            SELECT status INTO s FROM fraud_get_batch_import_jobs(id);
        ELSE
            SELECT status INTO s FROM fraud_get_batch_prediction_jobs(id);
        END IF;
        EXIT WHEN s NOT IN ('IN_PROGRESS_INITIALIZING', 'IN_PROGRESS', 'CANCEL_IN_PROGRESS');
        PERFORM pg_sleep(0.05);
    END LOOP;
    RETURN s;
END $$;

SELECT fraud_put_entity_type('customer');
SELECT fraud_create_variable('email_address', 'STRING', 'EVENT', 'none');
SELECT fraud_create_variable('ip_address', 'STRING', 'EVENT', '0.0.0.0');
SELECT fraud_create_variable('order_price', 'FLOAT', 'EVENT', '0');
SELECT fraud_create_variable('account_age_days', 'INTEGER', 'EVENT', '0');
SELECT fraud_put_label('fraud');
SELECT fraud_put_label('legit');
SELECT fraud_put_event_type('registration', ARRAY['email_address', 'ip_address', 'order_price', 'account_age_days'],
                            ARRAY['customer'], labels => ARRAY['fraud', 'legit']);
SELECT fraud_put_outcome('review');
SELECT fraud_put_outcome('approve');
SELECT fraud_create_list('bad_ips', ARRAY['10.0.7.7']);
SELECT fraud_put_detector('signup', 'registration');
SELECT fraud_create_rule('bad_ip', 'signup', '$ip_address in @bad_ips', ARRAY['review']);
SELECT fraud_create_rule('big_new', 'signup', '$order_price > 1500 and $account_age_days < 30', ARRAY['review']);
SELECT fraud_create_rule('rest', 'signup', '$order_price >= 0', ARRAY['approve']);
SELECT detector_version_id FROM fraud_create_detector_version('signup', '[
  {"detectorId": "signup", "ruleId": "bad_ip", "ruleVersion": "1"},
  {"detectorId": "signup", "ruleId": "big_new", "ruleVersion": "1"},
  {"detectorId": "signup", "ruleId": "rest", "ruleVersion": "1"}]');
SELECT fraud_update_detector_version_status('signup', '1', 'ACTIVE');

-- A CSV file in AFD's layout: 100,000 rows; six kinds of bad row, 302 or 303 of each
COPY (
  SELECT CASE WHEN i % 331 = 0 THEN 'Bad Id ' || i
              WHEN i % 331 = 10 THEN 'ev' || (i - 1)       -- repeats the (good) row before
              ELSE 'ev' || i END AS "EVENT_ID",
         CASE WHEN i % 331 = 2 THEN 'not a time'
              WHEN i % 2 = 0 THEN to_char(timestamp '2024-01-01' + i * interval '1 minute', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
              ELSE to_char(timestamp '2024-01-01' + i * interval '1 minute', 'MM/DD/YYYY HH24:MI:SS') END AS "EVENT_TIMESTAMP",
         'cust' || (i % 5000) AS "ENTITY_ID",
         CASE WHEN i % 331 = 3 THEN 'merchant' ELSE 'customer' END AS "ENTITY_TYPE",
         CASE WHEN i % 331 = 4 THEN 'chargeback' WHEN i % 10 = 0 THEN 'fraud' ELSE 'legit' END AS "EVENT_LABEL",
         to_char(timestamp '2024-02-01' + i * interval '1 minute', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "LABEL_TIMESTAMP",
         'user' || i || '@example.com' AS email_address,
         '10.0.' || (i % 256) || '.' || (i % 199) AS ip_address,
         CASE WHEN i % 331 = 5 THEN 'twelve' ELSE ((i % 2000) + 0.5)::text END AS order_price,
         (i % 400)::text AS account_age_days
  FROM generate_series(1, 100000) i
) TO '/tmp/fraud_detector_regress_import.csv' WITH (FORMAT csv, HEADER true);

SELECT fraud_create_batch_import_job('csv_import', '/tmp/fraud_detector_regress_import.csv', 'registration',
                                     tags => '{"source": "csv"}');
SELECT pg_temp.wait_job('import', 'csv_import');
SELECT job_id, status, failure_reason, input_path, event_type_name, arn, processed_records_count,
       failed_records_count, total_records_count, completion_time >= start_time AS finished,
       last_heartbeat_time IS NOT NULL AS heartbeat
FROM fraud_get_batch_import_jobs('csv_import');
SELECT regexp_replace(reason, '(Bad Id |ev)[0-9]+', '\1N', 'g') AS reason, count(*)
FROM fraud_get_batch_import_job_errors('csv_import') GROUP BY 1 ORDER BY 1;
SELECT * FROM fraud_get_batch_import_job_errors('csv_import') LIMIT 8;
SELECT count(*) AS stored, count(*) FILTER (WHERE event_label = 'fraud') AS fraud_labels FROM fraud.events;
SELECT * FROM fraud_get_event('ev1', 'registration');
SELECT * FROM fraud_get_event('ev2', 'registration') x WHERE false;  -- row 2 had a bad timestamp
SELECT event_id, event_timestamp, event_label FROM fraud.events WHERE event_id IN ('ev1', 'ev4', 'ev5', 'ev9', 'ev10', 'ev13') ORDER BY 1;
SELECT * FROM fraud_list_tags_for_resource(fraud._arn('batch-import', 'csv_import'));

-- from a table (lowercase AFD column names) and from a query; rows already stored are refused
CREATE TABLE signups AS
SELECT 'tbl' || i AS event_id, timestamptz '2024-06-01 00:00:00+00' + i * interval '1 hour' AS event_timestamp,
       'cust' || i AS entity_id, 'customer' AS entity_type, i * 10.0 AS order_price, 'x' || i || '@y.z' AS email_address
FROM generate_series(1, 50) i;
SELECT fraud_create_batch_import_job('table_import', 'signups', 'registration');
SELECT pg_temp.wait_job('import', 'table_import');
SELECT fraud_create_batch_import_job('query_import',
    $$SELECT event_id, event_timestamp, entity_id, entity_type, 'fraud' AS event_label,
             '2024-07-01T00:00:00Z' AS label_timestamp FROM signups WHERE order_price <= 100$$, 'registration');
SELECT pg_temp.wait_job('import', 'query_import');
SELECT job_id, status, input_path, processed_records_count, failed_records_count, total_records_count
FROM fraud_get_batch_import_jobs() WHERE job_id <> 'csv_import' ORDER BY job_id;
SELECT * FROM fraud_get_batch_import_job_errors('query_import') LIMIT 3;
SELECT event_timestamp, event_variables FROM fraud_get_event('tbl7', 'registration');

-- batch prediction over a table: the output keeps the input columns, adds the results, and
-- agrees with fraud_predict row by row
CREATE TABLE payments AS
SELECT i AS id, 'user' || i || '@example.com' AS email_address,
       CASE WHEN i % 97 = 0 THEN '10.0.7.7' ELSE '10.0.0.' || (i % 250) END AS ip_address,
       (i % 2000)::float8 AS order_price, i % 60 AS account_age_days
FROM generate_series(1, 30000) i;
SELECT fraud_create_batch_prediction_job('table_scoring', 'payments', 'scored', 'registration', 'signup');
SELECT pg_temp.wait_job('prediction', 'table_scoring');
SELECT job_id, status, failure_reason, input_path, output_path, event_type_name, detector_name, detector_version,
       arn, processed_records_count, total_records_count FROM fraud_get_batch_prediction_jobs('table_scoring');
\d scored
SELECT outcomes, status, count(*) FROM scored GROUP BY 1, 2 ORDER BY 1, 2;
SELECT count(*) AS rows, count(DISTINCT id) AS ids FROM scored;
SELECT count(*) AS disagreements FROM scored s JOIN payments p USING (id)
WHERE s.rule_results IS DISTINCT FROM fraud_predict('signup', to_jsonb(p))->'ruleResults'
   OR s.outcomes IS DISTINCT FROM fraud_outcomes('signup', to_jsonb(p))
   OR (s.email_address, s.ip_address, s.order_price, s.account_age_days)
      IS DISTINCT FROM (p.email_address, p.ip_address, p.order_price, p.account_age_days);
SELECT * FROM scored WHERE id IN (97, 1600) ORDER BY id;

-- over a query (a named version) and over the CSV file: rows whose value cannot be read as
-- its variable's type get an ERROR status, the others are scored
SELECT fraud_create_batch_prediction_job('query_scoring',
    'SELECT id, order_price::text AS order_price FROM payments WHERE id <= 100', 'scored_query',
    'registration', 'signup', detector_version => '1');
SELECT fraud_create_batch_prediction_job('csv_scoring', '/tmp/fraud_detector_regress_import.csv', 'public.scored_csv',
                                         'registration', 'signup');
SELECT pg_temp.wait_job('prediction', 'query_scoring'), pg_temp.wait_job('prediction', 'csv_scoring');
SELECT job_id, status, processed_records_count, total_records_count FROM fraud_get_batch_prediction_jobs() ORDER BY job_id;
SELECT outcomes, status, count(*) FROM scored_query GROUP BY 1, 2 ORDER BY 1, 2;
SELECT status, count(*) FROM scored_csv GROUP BY 1 ORDER BY 1;
SELECT "EVENT_ID", order_price, outcomes, status FROM scored_csv WHERE "EVENT_ID" IN ('ev5', 'ev6', 'ev336') ORDER BY 1;

-- progress and cancel, made deterministic: a trigger on the output makes the worker wait for
-- an advisory lock this session holds when it reaches id 150, so the job stops after its
-- first batch of 100 rows has committed
SELECT pg_advisory_lock(4242);
CREATE FUNCTION gate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id = 150 THEN
        PERFORM pg_advisory_lock_shared(4242);
        PERFORM pg_advisory_unlock_shared(4242);
    END IF;
    RETURN NEW;
END $$;
BEGIN;
SELECT fraud_create_batch_prediction_job('gated', 'SELECT * FROM payments WHERE id <= 1000 ORDER BY id', 'scored_gated',
                                         'registration', 'signup');
UPDATE fraud.jobs SET batch_size = 100 WHERE job_id = 'gated';
CREATE TRIGGER gate BEFORE INSERT ON scored_gated FOR EACH ROW EXECUTE FUNCTION gate();
COMMIT;
DO $$
BEGIN
    FOR i IN 1..2400 LOOP   -- until the worker waits for the lock
        EXIT WHEN EXISTS (SELECT 1 FROM pg_locks l JOIN fraud.jobs j ON j.worker_pid = l.pid
                          WHERE j.job_id = 'gated' AND l.locktype = 'advisory' AND NOT l.granted);
        PERFORM pg_sleep(0.05);
    END LOOP;
END $$;
-- seen from here while it runs: one committed batch, a heartbeat, no completion
SELECT status, processed_records_count, total_records_count, last_heartbeat_time IS NOT NULL AS heartbeat,
       completion_time FROM fraud_get_batch_prediction_jobs('gated');
SELECT count(*) AS output_rows FROM scored_gated;
SELECT fraud_cancel_batch_prediction_job('gated');
SELECT status FROM fraud_get_batch_prediction_jobs('gated');
SELECT pg_temp.err($$SELECT fraud_delete_batch_prediction_job('gated')$$);
SELECT pg_advisory_unlock(4242);
SELECT pg_temp.wait_job('prediction', 'gated');
-- the batch in flight finished; no further batch started
SELECT status, processed_records_count, total_records_count FROM fraud_get_batch_prediction_jobs('gated');
SELECT count(*) AS output_rows, count(DISTINCT id) AS ids, max(id) FROM scored_gated;
SELECT pg_temp.err($$SELECT fraud_cancel_batch_prediction_job('gated')$$);
SELECT count(*) AS staging_tables_left FROM pg_tables WHERE schemaname = 'fraud' AND tablename LIKE '\_job\_%';

-- a job that fails at run time ends FAILED with the reason (its output table is gone)
BEGIN;
SELECT fraud_create_batch_prediction_job('doomed', 'payments', 'scored_doomed', 'registration', 'signup');
DROP TABLE scored_doomed;
COMMIT;
SELECT pg_temp.wait_job('prediction', 'doomed');
SELECT status, failure_reason, processed_records_count, completion_time IS NOT NULL AS ended
FROM fraud_get_batch_prediction_jobs('doomed');

-- Delete: the record goes (the output table stays), the id stays taken
SELECT fraud_delete_batch_prediction_job('query_scoring');
SELECT pg_temp.err($$SELECT * FROM fraud_get_batch_prediction_jobs('query_scoring')$$);
SELECT count(*) AS output_kept FROM scored_query;
SELECT pg_temp.err($$SELECT fraud_create_batch_prediction_job('query_scoring', 'payments', 'scored_again', 'registration', 'signup')$$);
SELECT to_regclass('scored_again') AS no_half_written_output;
SELECT fraud_delete_batch_import_job('table_import');
SELECT pg_temp.err($$SELECT * FROM fraud_get_batch_import_job_errors('table_import')$$);
SELECT job_id FROM fraud_get_batch_import_jobs() ORDER BY 1;
-- a create that failed leaves its id free
SELECT pg_temp.err($$SELECT fraud_create_batch_import_job('retry', '/no/such/file.csv', 'registration')$$);
SELECT fraud_create_batch_import_job('retry', 'signups', 'registration');
SELECT pg_temp.wait_job('import', 'retry');

-- refusals
SELECT pg_temp.err($$SELECT fraud_create_batch_import_job('csv_import', 'signups', 'registration')$$);
SELECT pg_temp.err($$SELECT fraud_create_batch_import_job('Bad Id', 'signups', 'registration')$$);
SELECT pg_temp.err($$SELECT fraud_create_batch_import_job('j1', 'signups', 'nope')$$);
SELECT pg_temp.err($$SELECT fraud_create_batch_import_job('j1', NULL, 'registration')$$);
SELECT pg_temp.err($$SELECT fraud_create_batch_import_job('j1', 'SELECT nonsense FROM nowhere', 'registration')$$);
SELECT pg_temp.err($$SELECT fraud_create_batch_import_job('j1', 'SELECT 1 AS event_id', 'registration')$$);
SELECT pg_temp.err($$SELECT fraud_create_batch_import_job('j1', 'SELECT event_id, event_timestamp, entity_id FROM signups', 'registration')$$);
SELECT pg_temp.err($$SELECT fraud_create_batch_import_job('j1', 'SELECT event_id, event_timestamp, entity_id, entity_type, 1 AS colour FROM signups', 'registration')$$);
SELECT pg_temp.err($$SELECT fraud_create_batch_import_job('j1', 'SELECT event_id, event_timestamp, entity_id, entity_type, 1 AS colour, 2 AS size FROM signups', 'registration')$$);
SELECT pg_temp.err($$SELECT fraud_create_batch_import_job('j1', 'SELECT event_id, event_id AS "EVENT_ID", event_timestamp, entity_id, entity_type FROM signups', 'registration')$$);
SELECT pg_temp.err($$SELECT fraud_create_batch_prediction_job('p1', 'payments', 'scored', 'registration', 'signup')$$);
SELECT pg_temp.err($$SELECT fraud_create_batch_prediction_job('p1', 'payments', 'a.b.c', 'registration', 'signup')$$);
SELECT pg_temp.err($$SELECT fraud_create_batch_prediction_job('p1', 'payments', NULL, 'registration', 'signup')$$);
SELECT pg_temp.err($$SELECT fraud_create_batch_prediction_job('p1', 'payments', 'out1', 'registration', 'nope')$$);
SELECT pg_temp.err($$SELECT fraud_create_batch_prediction_job('p1', 'payments', 'out1', 'registration', 'signup', '9')$$);
SELECT pg_temp.err($$SELECT fraud_create_batch_prediction_job('p1', 'payments', 'out1', 'registration', 'signup', 'x')$$);
SELECT pg_temp.err($$SELECT fraud_create_batch_prediction_job('p1', 'scored', 'out1', 'registration', 'signup')$$);
SELECT pg_temp.err($$SELECT fraud_create_batch_prediction_job('p1', '/no/such/file.csv', 'out1', 'registration', 'signup')$$);
CREATE TEMP TABLE tmp_input AS SELECT 1 AS id;
SELECT pg_temp.err($$SELECT fraud_create_batch_prediction_job('p1', 'tmp_input', 'out1', 'registration', 'signup')$$);
SELECT to_regclass('out1') AS no_half_written_output;
SELECT pg_temp.err($$SELECT * FROM fraud_get_batch_import_jobs('nope')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_get_batch_prediction_jobs('nope')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_get_batch_prediction_jobs('csv_import')$$);
SELECT pg_temp.err($$SELECT fraud_cancel_batch_import_job('nope')$$);
SELECT pg_temp.err($$SELECT fraud_cancel_batch_import_job('csv_import')$$);
SELECT pg_temp.err($$SELECT fraud_delete_batch_prediction_job('nope')$$);
SELECT count(*) AS jobs FROM fraud.jobs;

DROP TABLE signups, payments, scored, scored_query, scored_csv, scored_gated;
DROP FUNCTION gate();
