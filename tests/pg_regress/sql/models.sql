-- Models (docs/models.md): the lifecycle of models and model versions with a refusal per
-- operation, training on stored events (an AUC floor, determinism, the score's calibration),
-- a rule on $<model>_insightscore, model scores in every scoring path (fraud_predict,
-- fraud_outcomes, fraud_explain, the score trigger, GetEventPrediction, a parallel query),
-- entity history (TRANSACTION_FRAUD_INSIGHTS), ACCOUNT_TAKEOVER_INSIGHTS, cancelling, and
-- external models (a SQL function) including one that raises.
\i helpers.sql

-- wait_model(id, type, version): waits (at most 120 s) for training to end; returns the status
CREATE FUNCTION pg_temp.wait_model(m text, t text, v text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE s text;
BEGIN
    FOR i IN 1..2400 LOOP
        SELECT status INTO s FROM fraud_describe_model_versions(m, v, t);
        EXIT WHEN s <> 'TRAINING_IN_PROGRESS';
        PERFORM pg_sleep(0.05);
    END LOOP;
    RETURN s;
END $$;
-- h(i, k): a deterministic pseudo-random number in [0, 1)
CREATE FUNCTION pg_temp.h(i int, k int) RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
    SELECT ((hashint8(i::bigint * 7919 + k) % 10000 + 10000) % 10000) / 10000.0 $$;

SELECT fraud_put_entity_type('customer');
SELECT fraud_put_label('fraud');
SELECT fraud_put_label('legit');
SELECT fraud_put_outcome('review');
SELECT fraud_put_outcome('approve');
SELECT fraud_create_variable('amount', 'FLOAT', 'EVENT', '0', variable_type => 'PRICE');
SELECT fraud_create_variable('email', 'STRING', 'EVENT', 'unknown', variable_type => 'EMAIL_ADDRESS');
SELECT fraud_create_variable('ip', 'STRING', 'EVENT', '0.0.0.0', variable_type => 'IP_ADDRESS');
SELECT fraud_create_variable('noise', 'STRING', 'EVENT', '', variable_type => 'CATEGORICAL');
SELECT fraud_put_event_type('pay', ARRAY['amount', 'email', 'ip', 'noise'], ARRAY['customer'], labels => ARRAY['fraud', 'legit']);

-- 12,000 payments of 600 customers over 16 days, every 2 minutes; 30 % of them come 2 minutes
-- after the same customer's previous one (a burst). Fraud: log-odds -4.2, +2.2 for an amount
-- over 800, +1.8 for the bad.com domain, +1.8 for a burst (seen only in the customer's history).
CREATE TEMP TABLE gen AS
SELECT i, CASE WHEN pg_temp.h(i, 1) < 0.3 AND i > 1 THEN true ELSE false END AS burst,
       round((pg_temp.h(i, 2) * 1000)::numeric, 2) AS amount,
       (ARRAY['gmail.com', 'yahoo.com', 'corp.com', 'bad.com'])[1 + floor(pg_temp.h(i, 3) * 4)::int] AS domain
FROM generate_series(1, 12000) i;
CREATE TEMP TABLE gen2 AS
SELECT g.*, CASE WHEN g.burst THEN 'c' || ((i - 1) % 600) ELSE 'c' || (i % 600) END AS customer,
       pg_temp.h(i, 5) < 1 / (1 + exp(-(-4.2 + 2.2 * (g.amount > 800)::int + 1.8 * (g.domain = 'bad.com')::int
                                        + 1.8 * g.burst::int))) AS is_fraud
FROM gen g;
INSERT INTO fraud.events (event_type_name, event_id, event_timestamp, entities, event_variables, event_label, label_timestamp)
SELECT 'pay', 'p' || i, '2026-01-01'::timestamptz + i * interval '2 minutes',
       jsonb_build_array(jsonb_build_object('entityType', 'customer', 'entityId', customer)),
       jsonb_build_object('amount', amount::text, 'email', 'u' || (i % 977) || '@' || domain,
                          'ip', '10.' || floor(pg_temp.h(i, 6) * 5) || '.' || floor(pg_temp.h(i, 7) * 200) || '.1',
                          'noise', 'n' || (i % 3001)),
       CASE WHEN is_fraud THEN 'fraud' ELSE 'legit' END, '2026-02-01'
FROM gen2;
SELECT count(*) AS events, count(*) FILTER (WHERE event_label = 'fraud') BETWEEN 400 AND 2000 AS enough_fraud FROM fraud.events;

-- CreateModel, GetModels, UpdateModel and their refusals
SELECT fraud_create_model('pay_model', 'ONLINE_FRAUD_INSIGHTS', 'pay', 'payments');
SELECT model_id, model_type, description, event_type_name, arn FROM fraud_get_models();
SELECT pg_temp.err($$SELECT fraud_create_model('pay_model', 'ONLINE_FRAUD_INSIGHTS', 'pay')$$);
SELECT pg_temp.err($$SELECT fraud_create_model('Bad', 'ONLINE_FRAUD_INSIGHTS', 'pay')$$);
SELECT pg_temp.err($$SELECT fraud_create_model('m2', 'FANCY', 'pay')$$);
SELECT pg_temp.err($$SELECT fraud_create_model('m2', 'ONLINE_FRAUD_INSIGHTS', 'nope')$$);
SELECT fraud_update_model('pay_model', 'ONLINE_FRAUD_INSIGHTS', 'card payments');
SELECT description FROM fraud_get_models('pay_model');
SELECT pg_temp.err($$SELECT fraud_update_model('nope', 'ONLINE_FRAUD_INSIGHTS', 'x')$$);
SELECT count(*) FROM fraud_get_models('nope');

-- CreateModelVersion refusals: the request is checked before anything is written
SELECT pg_temp.err($$SELECT * FROM fraud_create_model_version('pay_model', 'ONLINE_FRAUD_INSIGHTS', 'INGESTED_EVENTS',
    '{"modelVariables": ["amount", "nope"]}', ingested_events_detail => '{"ingestedEventsTimeWindow": {"startTime": "2026-01-01T00:00:00Z", "endTime": "2026-02-01T00:00:00Z"}}')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_create_model_version('pay_model', 'ONLINE_FRAUD_INSIGHTS', 'INGESTED_EVENTS',
    '{"modelVariables": ["amount"]}')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_create_model_version('pay_model', 'ONLINE_FRAUD_INSIGHTS', 'INGESTED_EVENTS',
    '{"modelVariables": ["amount"], "labelSchema": {"labelMapper": {"FRAUD": ["fraud"], "LEGIT": ["fraud"]}}}',
    ingested_events_detail => '{"ingestedEventsTimeWindow": {"startTime": "2026-01-01T00:00:00Z", "endTime": "2026-02-01T00:00:00Z"}}')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_create_model_version('pay_model', 'ONLINE_FRAUD_INSIGHTS', 'INGESTED_EVENTS',
    '{"modelVariables": ["amount"], "labelSchema": {"unlabeledEventsTreatment": "GUESS"}}',
    ingested_events_detail => '{"ingestedEventsTimeWindow": {"startTime": "2026-01-01T00:00:00Z", "endTime": "2026-02-01T00:00:00Z"}}')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_create_model_version('pay_model', 'ONLINE_FRAUD_INSIGHTS', 'INGESTED_EVENTS',
    '{"modelVariables": ["amount"]}', ingested_events_detail => '{"ingestedEventsTimeWindow": {"startTime": "2026-02-01T00:00:00Z", "endTime": "2026-01-01T00:00:00Z"}}')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_create_model_version('nope', 'ONLINE_FRAUD_INSIGHTS', 'INGESTED_EVENTS', '{"modelVariables": ["amount"]}')$$);
SELECT count(*) FROM fraud.model_versions;

-- a version trained on too little data ends in ERROR with AFD's dataValidationMetrics
SELECT * FROM fraud_create_model_version('pay_model', 'ONLINE_FRAUD_INSIGHTS', 'INGESTED_EVENTS',
    '{"modelVariables": ["amount", "email"], "labelSchema": {"labelMapper": {"FRAUD": ["fraud"], "LEGIT": ["legit"]}}}',
    ingested_events_detail => '{"ingestedEventsTimeWindow": {"startTime": "2026-01-01T00:00:00Z", "endTime": "2026-01-02T00:00:00Z"}}');
SELECT pg_temp.wait_model('pay_model', 'ONLINE_FRAUD_INSIGHTS', '1.0');
SELECT status, failure_reason LIKE 'data validation failed:%' AS reason,
       jsonb_path_exists(training_result, '$.dataValidationMetrics.fileLevelMessages[*] ? (@.type == "ERROR")') AS afd_message
FROM fraud_describe_model_versions('pay_model', '1.0');
SELECT pg_temp.err($$SELECT fraud_update_model_version_status('pay_model', 'ONLINE_FRAUD_INSIGHTS', '1.0', 'ACTIVE')$$);

-- ONLINE_FRAUD_INSIGHTS on the whole set
SELECT * FROM fraud_create_model_version('pay_model', 'ONLINE_FRAUD_INSIGHTS', 'INGESTED_EVENTS',
    '{"modelVariables": ["amount", "email", "ip", "noise"], "labelSchema": {"labelMapper": {"FRAUD": ["fraud"], "LEGIT": ["legit"]}}}',
    ingested_events_detail => '{"ingestedEventsTimeWindow": {"startTime": "2026-01-01T00:00:00Z", "endTime": "2026-02-01T00:00:00Z"}}');
SELECT pg_temp.wait_model('pay_model', 'ONLINE_FRAUD_INSIGHTS', '2.0');
-- the job's progress was committed as it went and ends at 1
SELECT status, training_progress, failure_reason FROM fraud_describe_model_versions('pay_model', '2.0');
-- AUC well above chance (the formula's best is about 0.8), with an uncertainty range around it
SELECT (r->>'auc')::float > 0.7 AS auc_floor,
       (r->'uncertaintyRange'->>'lowerBoundValue')::float < (r->>'auc')::float
       AND (r->>'auc')::float < (r->'uncertaintyRange'->>'upperBoundValue')::float AS range_around
FROM (SELECT training_result_v2->'trainingMetricsV2'->'ofi'->'modelPerformance' r
      FROM fraud_describe_model_versions('pay_model', '2.0')) s;
SELECT jsonb_array_length(training_result_v2->'trainingMetricsV2'->'ofi'->'metricDataPoints') BETWEEN 50 AND 120 AS points,
       (SELECT array_agg(x->>'variableName' ORDER BY x->>'variableName')
        FROM jsonb_array_elements(training_result->'variableImportanceMetrics'->'logOddsMetrics') x) AS importance
FROM fraud_describe_model_versions('pay_model', '2.0');
-- the signal's variables matter more than the noise
SELECT (SELECT (x->>'variableImportance')::float FROM jsonb_array_elements(training_result->'variableImportanceMetrics'->'logOddsMetrics') x WHERE x->>'variableName' = 'amount')
     > (SELECT (x->>'variableImportance')::float FROM jsonb_array_elements(training_result->'variableImportanceMetrics'->'logOddsMetrics') x WHERE x->>'variableName' = 'noise')
       AS amount_over_noise
FROM fraud_describe_model_versions('pay_model', '2.0');
SELECT model_id, model_type, model_version_number, training_data_source, status, arn
FROM fraud_get_model_version('pay_model', 'ONLINE_FRAUD_INSIGHTS', '2.0');
SELECT pg_temp.err($$SELECT * FROM fraud_get_model_version('pay_model', 'ONLINE_FRAUD_INSIGHTS', '9.0')$$);

-- determinism: the same data and request train the same model, bit for bit
SELECT * FROM fraud_update_model_version('pay_model', 'ONLINE_FRAUD_INSIGHTS', '2');
SELECT pg_temp.wait_model('pay_model', 'ONLINE_FRAUD_INSIGHTS', '3.0');
SELECT count(DISTINCT model_data) AS distinct_models, count(*) AS versions FROM fraud.model_versions WHERE major IN (2, 3);
SELECT pg_temp.err($$SELECT * FROM fraud_update_model_version('pay_model', 'ONLINE_FRAUD_INSIGHTS', '7')$$);

-- EXTERNAL_EVENTS: the same events in AFD's batch import layout, from a table and from a CSV
-- file, train the same model as the stored events did (read with the caller's rights)
CREATE TABLE model_training AS
SELECT event_id AS "EVENT_ID", to_char(event_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "EVENT_TIMESTAMP",
       entities->0->>'entityId' AS "ENTITY_ID", 'customer' AS "ENTITY_TYPE", event_label AS "EVENT_LABEL",
       event_variables->>'amount' AS amount, event_variables->>'email' AS email, event_variables->>'ip' AS ip,
       event_variables->>'noise' AS noise
FROM fraud.events WHERE event_type_name = 'pay' ORDER BY event_timestamp, event_id;
SELECT model_version_number FROM fraud_update_model_version('pay_model', 'ONLINE_FRAUD_INSIGHTS', '2',
    external_events_detail => '{"dataLocation": "model_training", "dataAccessRoleArn": "arn:aws:iam::123456789012:role/x"}');
SELECT pg_temp.wait_model('pay_model', 'ONLINE_FRAUD_INSIGHTS', '4.0');
COPY model_training TO '/tmp/fraud_detector_models_regress.csv' WITH (FORMAT csv, HEADER true);
SELECT model_version_number FROM fraud_update_model_version('pay_model', 'ONLINE_FRAUD_INSIGHTS', '2',
    external_events_detail => '{"dataLocation": "/tmp/fraud_detector_models_regress.csv"}');
SELECT pg_temp.wait_model('pay_model', 'ONLINE_FRAUD_INSIGHTS', '5.0');
SELECT model_version_number, training_data_source, external_events_detail->>'dataLocation' AS location,
       model_data = (SELECT model_data FROM fraud.model_versions WHERE model_id = 'pay_model' AND model_version_number = '2.0') AS same_model
FROM fraud.model_versions WHERE model_id = 'pay_model' AND major IN (4, 5) ORDER BY 1;
SELECT pg_temp.err($$SELECT * FROM fraud_update_model_version('pay_model', 'ONLINE_FRAUD_INSIGHTS', '2',
    external_events_detail => '{"dataLocation": "no_such_table"}')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_update_model_version('pay_model', 'ONLINE_FRAUD_INSIGHTS', '2',
    external_events_detail => '{"location": "model_training"}')$$);
SELECT fraud_delete_model_version('pay_model', 'ONLINE_FRAUD_INSIGHTS', '5.0');
SELECT fraud_delete_model_version('pay_model', 'ONLINE_FRAUD_INSIGHTS', '4.0');
DROP TABLE model_training;

-- status changes
SELECT pg_temp.err($$SELECT fraud_update_model_version_status('pay_model', 'ONLINE_FRAUD_INSIGHTS', '2.0', 'TRAINING_CANCELLED')$$);
SELECT pg_temp.err($$SELECT fraud_update_model_version_status('pay_model', 'ONLINE_FRAUD_INSIGHTS', '2.0', 'DONE')$$);
SELECT fraud_update_model_version_status('pay_model', 'ONLINE_FRAUD_INSIGHTS', '2.0', 'ACTIVE');

-- rules name a model's score as $<model_id>_insightscore (FLOAT), type-checked when written
SELECT fraud_put_detector('pay_detector', 'pay');
SELECT fraud_create_rule('risky', 'pay_detector', '$pay_model_insightscore > 900', ARRAY['review']);
SELECT fraud_create_rule('rest', 'pay_detector', 'true', ARRAY['approve']);
SELECT pg_temp.err($$SELECT fraud_create_rule('typo', 'pay_detector', '$other_model_insightscore > 900', ARRAY['review'])$$);
SELECT pg_temp.err($$SELECT fraud_create_rule('typed', 'pay_detector', '$pay_model_insightscore == "high"', ARRAY['review'])$$);
-- a detector version whose rules use a model's score must score with that model
SELECT pg_temp.err($$SELECT * FROM fraud_create_detector_version('pay_detector',
    '[{"detectorId": "pay_detector", "ruleId": "risky", "ruleVersion": "1"}]')$$);
-- only ACTIVE versions, of the detector's event type, one per model
SELECT pg_temp.err($$SELECT * FROM fraud_create_detector_version('pay_detector', '[]',
    model_versions => '[{"modelId": "pay_model", "modelType": "ONLINE_FRAUD_INSIGHTS", "modelVersionNumber": "3.0"}]')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_create_detector_version('pay_detector', '[]',
    model_versions => '[{"modelId": "pay_model", "modelType": "ONLINE_FRAUD_INSIGHTS", "modelVersionNumber": "8.0"}]')$$);
SELECT * FROM fraud_create_detector_version('pay_detector',
    '[{"detectorId": "pay_detector", "ruleId": "risky", "ruleVersion": "1"}, {"detectorId": "pay_detector", "ruleId": "rest", "ruleVersion": "1"}]',
    model_versions => '[{"modelId": "pay_model", "modelType": "ONLINE_FRAUD_INSIGHTS", "modelVersionNumber": "2.0"}]');
SELECT fraud_update_detector_version_status('pay_detector', '1', 'ACTIVE');
SELECT model_versions FROM fraud_get_detector_version('pay_detector', '1');

-- fraud_predict: modelScores in AFD's shape, and the rule on the score
SELECT jsonb_pretty(fraud_predict('pay_detector', '{"amount": 950, "email": "x@bad.com", "ip": "10.1.1.1"}')
                    #- '{modelScores,0,scores,pay_model_insightscore}');
SELECT (fraud_predict('pay_detector', '{"amount": 950, "email": "x@bad.com", "ip": "10.1.1.1"}')
        ->'modelScores'->0->'scores'->>'pay_model_insightscore')::float
     > (fraud_predict('pay_detector', '{"amount": 50, "email": "x@gmail.com", "ip": "10.1.1.1"}')
        ->'modelScores'->0->'scores'->>'pay_model_insightscore')::float AS riskier_scores_higher;
SELECT fraud_outcomes('pay_detector', '{"amount": 950, "email": "x@bad.com", "ip": "10.1.1.1"}') AS risky,
       fraud_outcomes('pay_detector', '{"amount": 50, "email": "x@gmail.com", "ip": "10.1.1.1"}') AS fine;
-- scores are whole numbers 0-1000; missing variables are scored, not refused
SELECT s BETWEEN 0 AND 1000 AND s = round(s) AS in_range
FROM (SELECT (fraud_predict('pay_detector', '{}')->'modelScores'->0->'scores'->>'pay_model_insightscore')::float s) x;

-- calibration: on the last 15 % of the events (held out in training), the share of legitimate
-- events at or above 600 is about 10 %, at or above 900 about 2 %
WITH scored AS (
    SELECT (fraud_predict('pay_detector', e.event_variables)->'modelScores'->0->'scores'->>'pay_model_insightscore')::float s
    FROM fraud.events e WHERE e.event_label = 'legit'
      AND e.event_timestamp >= (SELECT percentile_disc(0.85) WITHIN GROUP (ORDER BY event_timestamp) FROM fraud.events)
    OFFSET 0)
SELECT avg((s >= 600)::int) BETWEEN 0.06 AND 0.14 AS at_600, avg((s >= 900)::int) BETWEEN 0.005 AND 0.04 AS at_900 FROM scored;

-- fraud_explain: the score as a variable of the rules, and the trees' exact per-variable
-- contributions (they add up to the score's log-odds with the base value)
SELECT x->>'name' AS name, x->>'source' AS source
FROM jsonb_array_elements(fraud_explain('pay_detector', '{"amount": 950, "email": "x@bad.com", "ip": "10.1.1.1"}')->'eventVariables') x
WHERE x->>'source' = 'MODEL_SCORE';
SELECT m->>'modelId' AS model, m->>'modelVersion' AS version, ev->>'outputVariableName' AS output,
       (SELECT array_agg(v->>'eventVariableName' ORDER BY v->>'eventVariableName')
        FROM jsonb_array_elements(ev->'predictionExplanations'->'variableImpactExplanations') v) AS variables,
       (SELECT v->>'relativeImpact' LIKE '% increased'
        FROM jsonb_array_elements(ev->'predictionExplanations'->'variableImpactExplanations') v WHERE v->>'eventVariableName' = 'amount') AS amount_raises
FROM jsonb_array_elements(fraud_explain('pay_detector', '{"amount": 950, "email": "x@bad.com", "ip": "10.1.1.1"}')->'evaluatedModelVersions') m,
     jsonb_array_elements(m->'evaluations') ev;

-- the score trigger scores rows with the model too
CREATE TABLE model_payments (id int, amount float8, email text, ip text, outcomes text[]);
CREATE TRIGGER score BEFORE INSERT ON model_payments FOR EACH ROW EXECUTE FUNCTION fraud_score_trigger('pay_detector', 'outcomes');
INSERT INTO model_payments (id, amount, email, ip) VALUES (1, 950, 'x@bad.com', '10.1.1.1'), (2, 50, 'x@gmail.com', '10.1.1.1');
SELECT id, outcomes FROM model_payments ORDER BY id;

-- GetEventPrediction records the scores and the explanation
SELECT fraud_get_event_prediction('pay_detector', 'live1', 'pay', '[{"entityType": "customer", "entityId": "c1"}]',
                                  '2026-02-10T00:00:00Z', '{"amount": "950", "email": "x@bad.com", "ip": "10.1.1.1"}')->'modelScores'->0->'modelVersion'->>'modelId' AS model;
SELECT jsonb_array_length(metadata->'evaluatedModelVersions') FROM fraud.event_predictions WHERE event_id = 'live1';

-- a parallel query scores with the model in its workers, and gives what a serial one gives
CREATE TABLE model_events AS SELECT e.event_id, e.event_variables AS ev FROM fraud.events e;
ANALYZE model_events;
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF, VERBOSE) SELECT count(*) FILTER (WHERE 'review' = ANY (fraud_outcomes('pay_detector', ev))) FROM model_events;
SELECT count(*) FILTER (WHERE 'review' = ANY (fraud_outcomes('pay_detector', ev))) AS par_n FROM model_events \gset
SET max_parallel_workers_per_gather = 0;
SELECT :par_n = count(*) FILTER (WHERE 'review' = ANY (fraud_outcomes('pay_detector', ev))) AS same_in_parallel,
       :par_n > 0 AS some_reviewed FROM model_events;
RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size; RESET max_parallel_workers_per_gather;

-- a batch prediction job writes the model scores of every row
CREATE TABLE model_batch AS SELECT event_variables->>'amount' AS amount, event_variables->>'email' AS email,
                                   event_variables->>'ip' AS ip
                            FROM fraud.events WHERE event_type_name = 'pay' ORDER BY event_id LIMIT 50;
SELECT fraud_create_batch_prediction_job('model_batch', 'model_batch', 'model_batch_out', 'pay', 'pay_detector');
DO $$ BEGIN
    FOR i IN 1..1200 LOOP
        EXIT WHEN (SELECT status FROM fraud_get_batch_prediction_jobs('model_batch')) IN ('COMPLETE', 'FAILED');
        PERFORM pg_sleep(0.05);
    END LOOP;
END $$;
SELECT status FROM fraud_get_batch_prediction_jobs('model_batch');
SELECT count(*), count(*) FILTER (WHERE (model_scores->0->'scores'->>'pay_model_insightscore')::float BETWEEN 0 AND 1000) AS scored
FROM model_batch_out;
DROP TABLE model_batch, model_batch_out;

-- a version in use cannot be deactivated or deleted, nor its model
SELECT pg_temp.err($$SELECT fraud_update_model_version_status('pay_model', 'ONLINE_FRAUD_INSIGHTS', '2.0', 'INACTIVE')$$);
SELECT pg_temp.err($$SELECT fraud_delete_model_version('pay_model', 'ONLINE_FRAUD_INSIGHTS', '2.0')$$);
SELECT pg_temp.err($$SELECT fraud_delete_model('pay_model', 'ONLINE_FRAUD_INSIGHTS')$$);
-- an unused one can
SELECT fraud_update_model_version_status('pay_model', 'ONLINE_FRAUD_INSIGHTS', '3.0', 'INACTIVE');
SELECT fraud_delete_model_version('pay_model', 'ONLINE_FRAUD_INSIGHTS', '3.0');
SELECT fraud_delete_model_version('pay_model', 'ONLINE_FRAUD_INSIGHTS', '3.0');
SELECT model_version_number, status FROM fraud_describe_model_versions('pay_model') ORDER BY 1;

-- cancelling: a version cancelled before its job started ends TRAINING_CANCELLED, its job CANCELED
-- (the highest number is free again once its version is deleted: this one is 3.0)
BEGIN;
SELECT model_version_number FROM fraud_create_model_version('pay_model', 'ONLINE_FRAUD_INSIGHTS', 'INGESTED_EVENTS',
    '{"modelVariables": ["amount"]}', ingested_events_detail => '{"ingestedEventsTimeWindow": {"startTime": "2026-01-01T00:00:00Z", "endTime": "2026-02-01T00:00:00Z"}}');
SELECT fraud_update_model_version_status('pay_model', 'ONLINE_FRAUD_INSIGHTS', '3.0', 'TRAINING_CANCELLED');
COMMIT;
SELECT pg_temp.wait_model('pay_model', 'ONLINE_FRAUD_INSIGHTS', '3.0');
DO $$ BEGIN
    FOR i IN 1..600 LOOP
        EXIT WHEN (SELECT status FROM fraud.jobs WHERE job_type = 'MODEL_TRAINING'
                   AND job_id = fraud._model_job_id('pay_model', 'ONLINE_FRAUD_INSIGHTS', '3.0')) IN ('CANCELED', 'COMPLETE', 'FAILED');
        PERFORM pg_sleep(0.05);
    END LOOP;
END $$;
SELECT status FROM fraud.jobs WHERE job_type = 'MODEL_TRAINING' AND job_id = fraud._model_job_id('pay_model', 'ONLINE_FRAUD_INSIGHTS', '3.0');
SELECT status, model_data IS NULL AS nothing_written FROM fraud.model_versions WHERE model_id = 'pay_model' AND model_version_number = '3.0';
SELECT pg_temp.err($$SELECT fraud_update_model_version_status('pay_model', 'ONLINE_FRAUD_INSIGHTS', '3.0', 'ACTIVE')$$);
SELECT fraud_delete_model_version('pay_model', 'ONLINE_FRAUD_INSIGHTS', '3.0');

-- TRANSACTION_FRAUD_INSIGHTS learns from each customer's earlier events: the bursts the
-- online model cannot see
SELECT fraud_create_model('pay_history', 'TRANSACTION_FRAUD_INSIGHTS', 'pay');
SELECT model_version_number FROM fraud_create_model_version('pay_history', 'TRANSACTION_FRAUD_INSIGHTS', 'INGESTED_EVENTS',
    '{"modelVariables": ["amount", "email", "ip", "noise"]}',
    ingested_events_detail => '{"ingestedEventsTimeWindow": {"startTime": "2026-01-01T00:00:00Z", "endTime": "2026-02-01T00:00:00Z"}}');
SELECT pg_temp.wait_model('pay_history', 'TRANSACTION_FRAUD_INSIGHTS', '1.0');
SELECT (t.training_result_v2->'trainingMetricsV2'->'tfi'->'modelPerformance'->>'auc')::float
     > (o.training_result_v2->'trainingMetricsV2'->'ofi'->'modelPerformance'->>'auc')::float + 0.02 AS history_helps
FROM fraud_describe_model_versions('pay_history', '1.0') t, fraud_describe_model_versions('pay_model', '2.0') o;
SELECT jsonb_array_length(training_result_v2->'aggregatedVariablesImportanceMetrics'->'logOddsMetrics') > 0 AS history_importance
FROM fraud_describe_model_versions('pay_history', '1.0');
SELECT fraud_update_model_version_status('pay_history', 'TRANSACTION_FRAUD_INSIGHTS', '1.0', 'ACTIVE');
SELECT * FROM fraud_create_detector_version('pay_detector',
    '[{"detectorId": "pay_detector", "ruleId": "rest", "ruleVersion": "1"}]',
    model_versions => '[{"modelId": "pay_history", "modelType": "TRANSACTION_FRAUD_INSIGHTS", "modelVersionNumber": "1.0"}]');
-- the same payment scores higher 2 minutes after another of the same customer than a day
-- after one: the history is read from the stored events, as of the event's time
SELECT fraud_send_event('q1', 'pay', '2026-01-09T00:03:00Z', '{"amount": "300", "email": "u5@corp.com", "ip": "10.2.7.1"}',
                        '[{"entityType": "customer", "entityId": "quiet_c"}]');
SELECT fraud_send_event('b1', 'pay', '2026-01-10T00:01:00Z', '{"amount": "300", "email": "u5@corp.com", "ip": "10.2.7.1"}',
                        '[{"entityType": "customer", "entityId": "burst_c"}]');
CREATE FUNCTION pg_temp.history_score(customer text, ts text) RETURNS float8 LANGUAGE sql AS $$
    SELECT (fraud_predict('pay_detector', jsonb_build_object('eventTimestamp', ts,
              'entities', jsonb_build_array(jsonb_build_object('entityType', 'customer', 'entityId', customer)),
              'eventVariables', '{"amount": "500", "email": "u7@gmail.com", "ip": "10.1.9.1"}'::jsonb), '2')
            ->'modelScores'->0->'scores'->>'pay_history_insightscore')::float8 $$;
SELECT pg_temp.history_score('burst_c', '2026-01-10T00:03:00Z') > pg_temp.history_score('quiet_c', '2026-01-10T00:03:00Z') AS burst_scores_higher;
-- and an event never sees events after it: before b1, burst_c has no history, as a new customer
SELECT pg_temp.history_score('burst_c', '2026-01-10T00:00:30Z') = pg_temp.history_score('nobody', '2026-01-10T00:00:30Z') AS future_unseen;
SELECT jsonb_array_length(fraud_explain('pay_detector', '{"eventTimestamp": "2026-01-10T00:03:00Z", "entities": [{"entityType": "customer", "entityId": "burst_c"}],
         "eventVariables": {"amount": "500", "email": "q@gmail.com", "ip": "10.1.1.1"}}', '2')
         ->'evaluatedModelVersions'->0->'evaluations'->0->'predictionExplanations'->'aggregatedVariablesImpactExplanations') > 0 AS history_explained;

-- A backend keeps the histories it read for as long as the snapshot sees the same rows
-- (src/history.rs): scoring many events of the same customers in one statement (from the kept
-- tables, read whole at the second event) gives each event the score it gets alone, in its
-- own transaction (its window read afresh). heavy_c has more events than are kept whole
-- (5,000): it is read window by window.
INSERT INTO fraud.events (event_type_name, event_id, event_timestamp, entities, event_variables, event_label, label_timestamp)
SELECT 'pay', 'heavy' || i, '2026-01-01'::timestamptz + i * interval '4 minutes',
       '[{"entityType": "customer", "entityId": "heavy_c"}]',
       jsonb_build_object('amount', (i % 900)::text, 'email', 'h@' || (ARRAY['gmail.com', 'bad.com'])[1 + i % 2], 'ip', '10.3.' || i % 7 || '.1'),
       'legit', '2026-02-01'
FROM generate_series(1, 5001) i;
CREATE TEMP TABLE probe AS
SELECT e.event_id, jsonb_build_object('eventTimestamp', to_char(e.event_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
           'entities', e.entities, 'eventVariables', e.event_variables) AS ev
FROM fraud.events e
WHERE e.event_type_name = 'pay' AND (e.entities->0->>'entityId' IN ('c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8')
       OR e.event_id IN ('heavy10', 'heavy900', 'heavy2500', 'heavy2501', 'heavy5001'));
CREATE FUNCTION pg_temp.probe_score(ev jsonb) RETURNS float8 LANGUAGE sql AS $$
    SELECT (fraud_predict('pay_detector', ev, '2')->'modelScores'->0->'scores'->>'pay_history_insightscore')::float8 $$;
CREATE TEMP TABLE together AS SELECT event_id, pg_temp.probe_score(ev) AS s FROM probe OFFSET 0;
CREATE TEMP TABLE alone (event_id text, s float8);
-- (one statement per event, not echoed)
\set ECHO none
SELECT format('INSERT INTO alone SELECT %L, pg_temp.probe_score(%L)', event_id, ev) FROM probe \gexec
\set ECHO all
SELECT count(*) AS events, count(*) FILTER (WHERE a.s = t.s) AS same_score, count(DISTINCT t.s) > 20 AS scores_vary
FROM together t JOIN alone a USING (event_id);
DELETE FROM fraud.events WHERE event_id LIKE 'heavy%';
-- kept tables are not seen once the rows change: an event stored in the transaction is history
-- of the next statement's prediction, and is not once rolled back
BEGIN;
CREATE TEMP TABLE before AS SELECT pg_temp.history_score('cache_c', '2026-01-10T00:03:00Z') AS s;
SAVEPOINT sp;
SELECT fraud_send_event('cc1', 'pay', '2026-01-10T00:01:00Z', '{"amount": "300", "email": "u5@corp.com", "ip": "10.2.7.1"}',
                        '[{"entityType": "customer", "entityId": "cache_c"}]');
SELECT pg_temp.history_score('cache_c', '2026-01-10T00:03:00Z') = pg_temp.history_score('burst_c', '2026-01-10T00:03:00Z') AS stored_event_seen,
       pg_temp.history_score('cache_c', '2026-01-10T00:03:00Z') <> s AS score_changed
FROM before;
ROLLBACK TO sp;
SELECT pg_temp.history_score('cache_c', '2026-01-10T00:03:00Z') = s AS rolled_back_unseen FROM before;
-- a cursor scores under the snapshot it was opened with, before and after an event is stored
-- and a statement has scored with it
DECLARE c CURSOR FOR SELECT pg_temp.history_score('cache_c', '2026-01-10T00:03:00Z') = b.s AS as_before
    FROM generate_series(1, 2), before b;
FETCH 1 FROM c;
SELECT fraud_send_event('cc2', 'pay', '2026-01-10T00:01:00Z', '{"amount": "300", "email": "u5@corp.com", "ip": "10.2.7.1"}',
                        '[{"entityType": "customer", "entityId": "cache_c"}]');
SELECT pg_temp.history_score('cache_c', '2026-01-10T00:03:00Z') = pg_temp.history_score('burst_c', '2026-01-10T00:03:00Z') AS next_statement_sees_it;
-- (the cursor's snapshot differs from that statement's in its command id alone)
FETCH 1 FROM c;
CLOSE c;
COMMIT;

-- ACCOUNT_TAKEOVER_INSIGHTS needs logins with an IP address and a user agent
SELECT fraud_create_variable('login_ip', 'STRING', 'EVENT', '', variable_type => 'IP_ADDRESS');
SELECT fraud_create_variable('agent', 'STRING', 'EVENT', '', variable_type => 'USERAGENT');
SELECT fraud_put_event_type('login', ARRAY['login_ip', 'agent'], ARRAY['customer'], labels => ARRAY['fraud', 'legit']);
INSERT INTO fraud.events (event_type_name, event_id, event_timestamp, entities, event_variables)
SELECT 'login', 'l' || i, '2026-01-01'::timestamptz + i * interval '3 minutes' + (i % 7) * interval '1 hour',
       jsonb_build_array(jsonb_build_object('entityType', 'customer', 'entityId', 'a' || (i % 2000))),
       jsonb_build_object('login_ip', '10.' || (i % 2000 % 50) || '.' || (i % 2000 % 7) || '.' || (i % 3),
                          'agent', (ARRAY['Mozilla/5.0 (Windows NT 10.0) Chrome/120', 'Mozilla/5.0 (Macintosh) Safari/17',
                                          'Mozilla/5.0 (Linux; Android 14) Chrome/120'])[1 + i % 2000 % 3])
FROM generate_series(1, 12000) i;
SELECT fraud_create_model('logins', 'ACCOUNT_TAKEOVER_INSIGHTS', 'login');
SELECT model_version_number FROM fraud_create_model_version('logins', 'ACCOUNT_TAKEOVER_INSIGHTS', 'INGESTED_EVENTS',
    '{"modelVariables": ["login_ip", "agent"]}',
    ingested_events_detail => '{"ingestedEventsTimeWindow": {"startTime": "2026-01-01T00:00:00Z", "endTime": "2026-03-01T00:00:00Z"}}');
SELECT pg_temp.wait_model('logins', 'ACCOUNT_TAKEOVER_INSIGHTS', '1.0');
SELECT (training_result_v2->'trainingMetricsV2'->'ati'->'modelPerformance'->>'asi')::float > 0.6 AS separates,
       jsonb_array_length(training_result_v2->'trainingMetricsV2'->'ati'->'metricDataPoints') > 10 AS points
FROM fraud_describe_model_versions('logins', '1.0');
-- a login unlike the account's own (another network, another agent) scores higher than the
-- account's real login at that time (a5's at 2026-01-22 06:15; the stored one itself is not
-- history of an event at its own time)
SELECT fraud_update_model_version_status('logins', 'ACCOUNT_TAKEOVER_INSIGHTS', '1.0', 'ACTIVE');
SELECT fraud_put_detector('login_detector', 'login');
SELECT fraud_create_rule('takeover', 'login_detector', '$logins_insightscore > 900', ARRAY['review']);
SELECT * FROM fraud_create_detector_version('login_detector', '[{"detectorId": "login_detector", "ruleId": "takeover", "ruleVersion": "1"}]',
    model_versions => '[{"modelId": "logins", "modelType": "ACCOUNT_TAKEOVER_INSIGHTS", "modelVersionNumber": "1.0"}]');
CREATE FUNCTION pg_temp.login_score(ip text, agent text) RETURNS float8 LANGUAGE sql AS $$
    SELECT (fraud_predict('login_detector', jsonb_build_object('eventTimestamp', '2026-01-22T06:15:00Z',
              'entities', '[{"entityType": "customer", "entityId": "a5"}]'::jsonb,
              'eventVariables', jsonb_build_object('login_ip', ip, 'agent', agent)), '1')
            ->'modelScores'->0->'scores'->>'logins_insightscore')::float8 $$;
SELECT pg_temp.login_score('203.0.113.9', 'curl/8.0')
     > pg_temp.login_score('10.5.5.0', 'Mozilla/5.0 (Linux; Android 14) Chrome/120') AS unusual_login_scores_higher;
SELECT pg_temp.err($$SELECT * FROM fraud_create_model_version('logins', 'ACCOUNT_TAKEOVER_INSIGHTS', 'INGESTED_EVENTS',
    '{"modelVariables": ["login_ip"]}',
    ingested_events_detail => '{"ingestedEventsTimeWindow": {"startTime": "2026-01-01T00:00:00Z", "endTime": "2026-03-01T00:00:00Z"}}')$$) AS queued;
SELECT pg_temp.wait_model('logins', 'ACCOUNT_TAKEOVER_INSIGHTS', '2.0');
SELECT failure_reason FROM fraud_describe_model_versions('logins', '2.0');

-- External models: a SQL function scores the event, its result maps to variables rules use
SELECT fraud_create_variable('partner_risk', 'FLOAT', 'EXTERNAL_MODEL_SCORE', '-1');
CREATE FUNCTION public.partner_score(ev jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('risk', (ev->>'amount')::float / 10, 'unused', 'x') $$;
CREATE FUNCTION public.broken_score(ev jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'partner service down' USING ERRCODE = '58030'; END $$;
CREATE FUNCTION public.not_jsonb(ev jsonb) RETURNS text LANGUAGE sql AS $$ SELECT 'x' $$;
SELECT fraud_put_external_model('partner_score', 'SAGEMAKER', 'arn:aws:iam::123456789012:role/partner',
    '{"eventTypeName": "pay", "useEventVariables": false, "jsonInputTemplate": "{\"amount\": {{amount}}, \"mail\": \"{{email}}\"}"}',
    '{"jsonKeyToVariableMap": {"risk": "partner_risk"}}', 'ASSOCIATED');
SELECT model_endpoint, function, model_endpoint_status, arn FROM fraud_get_external_models();
SELECT pg_temp.err($$SELECT fraud_put_external_model('missing_fn', 'SAGEMAKER', 'r', '{"eventTypeName": "pay", "useEventVariables": true}',
    '{"jsonKeyToVariableMap": {"risk": "partner_risk"}}', 'ASSOCIATED')$$);
SELECT pg_temp.err($$SELECT fraud_put_external_model('not_jsonb', 'SAGEMAKER', 'r', '{"eventTypeName": "pay", "useEventVariables": true}',
    '{"jsonKeyToVariableMap": {"risk": "partner_risk"}}', 'ASSOCIATED')$$);
SELECT pg_temp.err($$SELECT fraud_put_external_model('partner_score', 'SAGEMAKER', 'r', '{"eventTypeName": "pay", "useEventVariables": true}',
    '{"jsonKeyToVariableMap": {"risk": "amount"}}', 'ASSOCIATED')$$);
SELECT pg_temp.err($$SELECT fraud_put_external_model('partner_score', 'OTHER', 'r', '{"eventTypeName": "pay", "useEventVariables": true}',
    '{"jsonKeyToVariableMap": {"risk": "partner_risk"}}', 'ASSOCIATED')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_get_external_models('nope')$$);
SELECT fraud_create_rule('partner', 'pay_detector', '$partner_risk > 50', ARRAY['review']);
SELECT * FROM fraud_create_detector_version('pay_detector',
    '[{"detectorId": "pay_detector", "ruleId": "partner", "ruleVersion": "1"}, {"detectorId": "pay_detector", "ruleId": "rest", "ruleVersion": "1"}]',
    external_model_endpoints => ARRAY['partner_score']);
SELECT jsonb_pretty(fraud_predict('pay_detector', '{"amount": 600, "email": "a\"b@x.com"}', '3'));
SELECT fraud_outcomes('pay_detector', '{"amount": 60}', '3') AS low, fraud_outcomes('pay_detector', '{"amount": 600}', '3') AS high;
SELECT jsonb_pretty(fraud_explain('pay_detector', '{"amount": 600, "email": "a@x.com"}', '3')->'evaluatedExternalModels');
-- a function that raises: the error names the endpoint and keeps its SQLSTATE
SELECT fraud_put_external_model('broken_score', 'SAGEMAKER', 'r', '{"eventTypeName": "pay", "useEventVariables": true}',
    '{"jsonKeyToVariableMap": {"risk": "partner_risk"}}', 'ASSOCIATED');
SELECT * FROM fraud_create_detector_version('pay_detector', '[{"detectorId": "pay_detector", "ruleId": "rest", "ruleVersion": "1"}]',
    external_model_endpoints => ARRAY['broken_score']);
SELECT pg_temp.err($$SELECT fraud_predict('pay_detector', '{"amount": 600}', '4')$$);
-- EXECUTE is checked for the scoring role on every call
CREATE ROLE model_scorer;
SELECT fraud_grant('scoring', 'model_scorer');
REVOKE EXECUTE ON FUNCTION public.partner_score(jsonb) FROM PUBLIC;
SET ROLE model_scorer;
SELECT pg_temp.err($$SELECT fraud_predict('pay_detector', '{"amount": 600}', '3')$$);
RESET ROLE;
GRANT EXECUTE ON FUNCTION public.partner_score(jsonb) TO model_scorer;
SET ROLE model_scorer;
SELECT fraud_outcomes('pay_detector', '{"amount": 600}', '3');
RESET ROLE;
-- a function dropped after the external model was put: 42883, naming the endpoint
CREATE FUNCTION public.gone_score(ev jsonb) RETURNS jsonb LANGUAGE sql AS $$ SELECT '{"risk": 1}'::jsonb $$;
SELECT fraud_put_external_model('public.gone_score', 'SAGEMAKER', 'r', '{"eventTypeName": "pay", "useEventVariables": true}',
    '{"jsonKeyToVariableMap": {"risk": "partner_risk"}}', 'ASSOCIATED');
SELECT * FROM fraud_create_detector_version('pay_detector', '[{"detectorId": "pay_detector", "ruleId": "rest", "ruleVersion": "1"}]',
    external_model_endpoints => ARRAY['public.gone_score']);
SELECT fraud_predict('pay_detector', '{"amount": 600}', '5')->'externalModelOutputs'->0->'outputs';
DROP FUNCTION public.gone_score(jsonb);
SELECT pg_temp.err($$SELECT fraud_predict('pay_detector', '{"amount": 600}', '5')$$);
-- fraud_outcomes calls only the external models whose outputs a rule uses: none here
SELECT fraud_outcomes('pay_detector', '{"amount": 600}', '5');
SELECT fraud_delete_detector_version('pay_detector', '5');
SELECT fraud_delete_external_model('public.gone_score');
-- a version naming an unknown or dissociated endpoint is refused; one in use cannot go
SELECT pg_temp.err($$SELECT * FROM fraud_create_detector_version('pay_detector', '[]', external_model_endpoints => ARRAY['nope'])$$);
SELECT fraud_put_external_model('broken_score', 'SAGEMAKER', 'r', '{"eventTypeName": "pay", "useEventVariables": true}',
    '{"jsonKeyToVariableMap": {"risk": "partner_risk"}}', 'DISSOCIATED');
SELECT pg_temp.err($$SELECT * FROM fraud_create_detector_version('pay_detector', '[]', external_model_endpoints => ARRAY['broken_score'])$$);
SELECT pg_temp.err($$SELECT fraud_delete_external_model('partner_score')$$);
SELECT pg_temp.err($$SELECT fraud_delete_variable('partner_risk')$$);
SELECT fraud_delete_detector_version('pay_detector', '4');
SELECT fraud_delete_external_model('broken_score');
SELECT fraud_delete_external_model('broken_score');
SELECT model_endpoint FROM fraud_get_external_models();
REVOKE ALL ON FUNCTION public.partner_score(jsonb) FROM model_scorer;
SELECT fraud_revoke('scoring', 'model_scorer');
DROP ROLE model_scorer;
-- what this session made outside the extension goes (the sessions share one database)
DROP TABLE model_payments, model_events;
DROP FUNCTION public.partner_score(jsonb), public.broken_score(jsonb), public.not_jsonb(jsonb);
