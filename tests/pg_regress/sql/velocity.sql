-- Aggregate (velocity) variables (docs/velocity-and-backtesting.md): exact values on a constructed history
-- (window edges, filters, labels and when they became known, entities with no history, missing
-- and NULL variables, several event types), refusals with their SQLSTATEs, transactions and
-- another session's uncommitted events, the score trigger, and backtesting on a hand-computed
-- set.
\i helpers.sql
CREATE EXTENSION IF NOT EXISTS dblink;

SELECT fraud_put_entity_type('customer');
SELECT fraud_put_entity_type('device');
SELECT fraud_create_variable('amount', 'FLOAT', 'EVENT', '0');
SELECT fraud_create_variable('email', 'STRING', 'EVENT', 'unknown');
SELECT fraud_create_variable('items', 'INTEGER', 'EVENT', '1');
SELECT fraud_create_variable('ip', 'STRING', 'EVENT', '0.0.0.0');
SELECT fraud_put_label('fraud');
SELECT fraud_put_label('legit');
SELECT fraud_put_event_type('pay', ARRAY['amount', 'email', 'items'], ARRAY['customer', 'device'], labels => ARRAY['fraud', 'legit']);
SELECT fraud_put_event_type('login', ARRAY['ip', 'email'], ARRAY['customer']);

-- send(id, type, time, variables, customer [, label, label time])
CREATE FUNCTION pg_temp.send(id text, t text, ts text, vars jsonb, cust text, lbl text DEFAULT NULL, lts text DEFAULT NULL)
RETURNS void LANGUAGE sql AS $$
    SELECT fraud_send_event(id, t, ts, vars, jsonb_build_array(jsonb_build_object('entityType', 'customer', 'entityId', cust)), lbl, lts) $$;

-- customer c1's history on 2024-05-01 (times UTC); c2 has one event
SELECT pg_temp.send('p1', 'pay', '2024-05-01T08:00:00Z', '{"amount": "40", "email": "b@x.com", "items": "1"}', 'c1');
SELECT pg_temp.send('p2', 'pay', '2024-05-01T10:00:00Z', '{"amount": "10", "email": "a@x.com", "items": "2"}', 'c1');
SELECT pg_temp.send('p3', 'pay', '2024-05-01T10:30:00Z', '{"amount": "20", "email": "a@x.com"}', 'c1', 'legit', '2024-05-01T10:40:00Z');
SELECT pg_temp.send('p4', 'pay', '2024-05-01T11:00:00Z', '{"amount": "30", "email": "a@x.com", "items": "5"}', 'c1', 'fraud', '2024-05-01T11:30:00Z');
SELECT pg_temp.send('p5', 'pay', '2024-05-01T10:15:00Z', '{"amount": "99", "email": "a@x.com"}', 'c2');
-- no email: grouped by email it has no key
SELECT pg_temp.send('p6', 'pay', '2024-05-01T10:20:00Z', '{"amount": "1"}', 'c1');
SELECT pg_temp.send('l1', 'login', '2024-05-01T10:50:00Z', '{"ip": "10.0.0.1", "email": "a@x.com"}', 'c1');
SELECT pg_temp.send('l2', 'login', '2024-05-01T10:55:00Z', '{"ip": "10.0.0.2"}', 'c1');

-- one aggregate of each function, by entity and by variable, over one or two event types
SELECT fraud_create_aggregate_variable('c_count_1h', ARRAY['pay'], 'COUNT', '1 hour', entity_type => 'customer');
SELECT fraud_create_aggregate_variable('c_sum_1d', ARRAY['pay'], 'SUM', '1 day', entity_type => 'customer', variable => 'amount');
SELECT fraud_create_aggregate_variable('c_avg_1d', ARRAY['pay'], 'AVG', '1 day', entity_type => 'customer', variable => 'amount');
SELECT fraud_create_aggregate_variable('c_min_1d', ARRAY['pay'], 'MIN', '1 day', entity_type => 'customer', variable => 'amount');
SELECT fraud_create_aggregate_variable('c_max_items_1d', ARRAY['pay'], 'MAX', '1 day', entity_type => 'customer', variable => 'items');
SELECT fraud_create_aggregate_variable('c_emails_1d', ARRAY['pay', 'login'], 'COUNT_DISTINCT', '1 day', entity_type => 'customer', variable => 'email');
SELECT fraud_create_aggregate_variable('c_big_1d', ARRAY['pay'], 'COUNT', '1 day', entity_type => 'customer', filter => '$amount > 15');
SELECT fraud_create_aggregate_variable('c_logins_1h', ARRAY['login'], 'COUNT', '1 hour', entity_type => 'customer');
SELECT fraud_create_aggregate_variable('email_fraud_7d', ARRAY['pay'], 'COUNT', '7 days', group_by_variable => 'email',
                                       filter => '$label == "fraud"', description => 'fraud-labelled payments of this email');
SELECT fraud_create_aggregate_variable('email_unlabelled_7d', ARRAY['pay'], 'COUNT', '7 days', group_by_variable => 'email',
                                       filter => '$label == null');
SELECT name, data_type, event_types, function, variable, entity_type, group_by_variable, time_window, filter, arn
FROM fraud_get_aggregate_variables() ORDER BY name;
SELECT name, data_type, data_source, default_value FROM fraud_get_variables() WHERE data_source = 'AGGREGATE' ORDER BY name;
-- the keys stored events carry: only those some aggregate groups by
SELECT key_name, key_value, count(*) FROM fraud.event_keys GROUP BY 1, 2 ORDER BY 1, 2;
-- built again from the stored events (after a restore without triggers): the same keys
CREATE TEMP TABLE keys_before AS SELECT * FROM fraud.event_keys;
SELECT fraud_rebuild_event_keys();
SELECT count(*) AS differing FROM ((TABLE keys_before EXCEPT TABLE fraud.event_keys) UNION ALL
                                   (TABLE fraud.event_keys EXCEPT TABLE keys_before)) x;
-- keys are read after locking the stored events, with a fresh snapshot: READ COMMITTED only
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT pg_temp.err($$SELECT fraud_create_aggregate_variable('x', ARRAY['pay'], 'COUNT', '1 hour', entity_type => 'customer')$$);
ROLLBACK;

-- refusals
SELECT pg_temp.err($$SELECT fraud_create_aggregate_variable('x', ARRAY['nope'], 'COUNT', '1 hour', entity_type => 'customer')$$);
SELECT pg_temp.err($$SELECT fraud_create_aggregate_variable('x', ARRAY['pay'], 'MEDIAN', '1 hour', entity_type => 'customer')$$);
SELECT pg_temp.err($$SELECT fraud_create_aggregate_variable('x', ARRAY['pay'], 'COUNT', '0 hours', entity_type => 'customer')$$);
SELECT pg_temp.err($$SELECT fraud_create_aggregate_variable('x', ARRAY['pay'], 'COUNT', '401 days', entity_type => 'customer')$$);
SELECT pg_temp.err($$SELECT fraud_create_aggregate_variable('x', ARRAY['pay'], 'COUNT', '1 month', entity_type => 'customer')$$);
SELECT pg_temp.err($$SELECT fraud_create_aggregate_variable('x', ARRAY['pay'], 'COUNT', '1 hour')$$);
SELECT pg_temp.err($$SELECT fraud_create_aggregate_variable('x', ARRAY['pay'], 'COUNT', '1 hour', entity_type => 'customer', group_by_variable => 'email')$$);
SELECT pg_temp.err($$SELECT fraud_create_aggregate_variable('x', ARRAY['login'], 'COUNT', '1 hour', entity_type => 'device')$$);
SELECT pg_temp.err($$SELECT fraud_create_aggregate_variable('x', ARRAY['pay'], 'COUNT', '1 hour', entity_type => 'nobody')$$);
SELECT pg_temp.err($$SELECT fraud_create_aggregate_variable('x', ARRAY['pay'], 'COUNT', '1 hour', group_by_variable => 'amount')$$);
SELECT pg_temp.err($$SELECT fraud_create_aggregate_variable('x', ARRAY['pay'], 'COUNT', '1 hour', group_by_variable => 'ip')$$);
SELECT pg_temp.err($$SELECT fraud_create_aggregate_variable('x', ARRAY['pay'], 'SUM', '1 hour', entity_type => 'customer')$$);
SELECT pg_temp.err($$SELECT fraud_create_aggregate_variable('x', ARRAY['pay'], 'SUM', '1 hour', entity_type => 'customer', variable => 'email')$$);
SELECT pg_temp.err($$SELECT fraud_create_aggregate_variable('x', ARRAY['pay'], 'COUNT', '1 hour', entity_type => 'customer', variable => 'amount')$$);
SELECT pg_temp.err($$SELECT fraud_create_aggregate_variable('x', ARRAY['pay'], 'COUNT', '1 hour', entity_type => 'customer', filter => '$amount >')$$);
SELECT pg_temp.err($$SELECT fraud_create_aggregate_variable('x', ARRAY['pay'], 'COUNT', '1 hour', entity_type => 'customer', filter => '$ip == "1"')$$);
SELECT pg_temp.err($$SELECT fraud_create_aggregate_variable('x', ARRAY['pay'], 'COUNT', '1 hour', entity_type => 'customer', filter => '$amount + 1')$$);
SELECT pg_temp.err($$SELECT fraud_create_aggregate_variable('c_sum_1d', ARRAY['pay'], 'COUNT', '1 hour', entity_type => 'customer')$$);
SELECT pg_temp.err($$SELECT fraud_create_aggregate_variable('amount', ARRAY['pay'], 'COUNT', '1 hour', entity_type => 'customer')$$);
SELECT pg_temp.err($$SELECT fraud_create_aggregate_variable('Bad Name', ARRAY['pay'], 'COUNT', '1 hour', entity_type => 'customer')$$);
SELECT pg_temp.err($$SELECT fraud_create_variable('x', 'INTEGER', 'AGGREGATE', '0')$$);
SELECT pg_temp.err($$SELECT fraud_update_variable('c_sum_1d', default_value => '5')$$);
SELECT pg_temp.err($$SELECT fraud_delete_variable('c_sum_1d')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_get_aggregate_variables('nope')$$);
SELECT pg_temp.err($$SELECT fraud_put_event_type('bad', ARRAY['c_sum_1d'])$$);
-- an event type cannot lose what its aggregates read, nor go while they read it
SELECT pg_temp.err($$SELECT fraud_put_event_type('pay', ARRAY['email', 'items'], ARRAY['customer', 'device'], labels => ARRAY['fraud', 'legit'])$$);
SELECT pg_temp.err($$SELECT fraud_put_event_type('login', ARRAY['ip', 'email'], ARRAY['device'])$$);
SELECT pg_temp.err($$SELECT fraud_delete_event_type('login')$$);
-- nothing half-written by the refusals
SELECT count(*) AS aggregates FROM fraud.aggregate_variables;

SELECT fraud_put_outcome('review');
SELECT fraud_put_outcome('block');
SELECT fraud_put_detector('d', 'pay');
SELECT fraud_create_rule('busy', 'd', '$c_count_1h >= 2', ARRAY['review']);
SELECT fraud_create_rule('spend', 'd', '$c_sum_1d > 100 or $email_fraud_7d > 0', ARRAY['block']);
SELECT fraud_create_rule('logins', 'd', '$c_logins_1h >= 2', ARRAY['review']);
-- rules are type checked against aggregates when written
SELECT pg_temp.err($$SELECT fraud_create_rule('bad', 'd', '$c_count_1h == "many"', ARRAY['review'])$$);
SELECT pg_temp.err($$SELECT fraud_create_rule('bad', 'd', '$c_avg_1d > $email', ARRAY['review'])$$);
SELECT * FROM fraud_create_detector_version('d', '[{"detectorId": "d", "ruleId": "busy", "ruleVersion": "1"},
    {"detectorId": "d", "ruleId": "spend", "ruleVersion": "1"}, {"detectorId": "d", "ruleId": "logins", "ruleVersion": "1"}]',
    rule_execution_mode => 'ALL_MATCHED');
SELECT fraud_update_detector_version_status('d', '1', 'ACTIVE');
-- a version that uses every aggregate, for their values
SELECT fraud_create_rule('all', 'd', '$c_count_1h + $c_sum_1d + $c_avg_1d + $c_min_1d + $c_max_items_1d + $c_emails_1d + $c_big_1d + $c_logins_1h + $email_fraud_7d + $email_unlabelled_7d > 0', ARRAY['review']);
SELECT * FROM fraud_create_detector_version('d', '[{"detectorId": "d", "ruleId": "all", "ruleVersion": "1"}]');

-- agg(time, customer, email): every aggregate's value for a payment at that time, from fraud_explain
CREATE FUNCTION pg_temp.agg(ts text, cust text, email text DEFAULT 'a@x.com') RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_object_agg(v->>'name', v->>'value' ORDER BY v->>'name')
    FROM jsonb_array_elements(fraud_explain('d', jsonb_build_object('eventTimestamp', ts,
             'entities', CASE WHEN cust IS NOT NULL THEN jsonb_build_array(jsonb_build_object('entityType', 'customer', 'entityId', cust)) ELSE '[]' END,
             'eventVariables', jsonb_strip_nulls(jsonb_build_object('amount', '5', 'email', email))), '2')->'eventVariables') v
    WHERE v->>'source' = 'AGGREGATE' $$;
-- at 11:00 exactly: p4 (11:00) is in, p2 (10:00) is at the open start of the 1-hour window, out;
-- p4's fraud label is not known yet (11:30); l1 and l2 are logins within the hour
SELECT pg_temp.agg('2024-05-01T11:00:00Z', 'c1');
-- a millisecond earlier: p4 is out, and p2 (10:00) is inside the hour again
SELECT pg_temp.agg('2024-05-01T10:59:59.999Z', 'c1');
-- after the fraud label arrived
SELECT pg_temp.agg('2024-05-01T11:45:00Z', 'c1');
-- a day later: the 1-day windows are empty, the 7-day ones still count
SELECT pg_temp.agg('2024-05-02T11:00:00Z', 'c1');
-- the same values read from the index alone, once VACUUM marks the keys' pages all-visible
VACUUM fraud.event_keys;
SELECT pg_temp.agg('2024-05-01T11:00:00Z', 'c1') AS after_vacuum;
SELECT pg_temp.agg('2024-05-01T11:45:00Z', 'c1') AS after_vacuum;
-- a customer with no history, an event with no entity, an event without the email
SELECT pg_temp.agg('2024-05-01T11:45:00Z', 'nobody');
SELECT pg_temp.agg('2024-05-01T11:45:00Z', NULL);
SELECT pg_temp.agg('2024-05-01T11:45:00Z', 'c1', NULL);
-- the rules see the values; fraud_explain shows them with source AGGREGATE
SELECT fraud_outcomes('d', '{"eventTimestamp": "2024-05-01T11:00:00Z", "entities": [{"entityType": "customer", "entityId": "c1"}], "eventVariables": {"amount": "5", "email": "z@x.com"}}');
SELECT r->>'ruleId', r->>'expressionWithValues', r->'matched'
FROM jsonb_array_elements(fraud_explain('d', '{"eventTimestamp": "2024-05-01T11:45:00Z", "entities": [{"entityType": "customer", "entityId": "c1"}], "eventVariables": {"amount": "5", "email": "a@x.com"}}')->'rules') r;
-- a flat event has no time of its own: it is scored now, when c1's history is long gone
SELECT fraud_outcomes('d', '{"amount": 5, "entities": [{"entityType": "customer", "entityId": "c1"}]}');
SELECT pg_temp.err($$SELECT fraud_outcomes('d', '{"eventTimestamp": "yesterday", "eventVariables": {"amount": "5"}}')$$);

-- transactions: this transaction's own events count from its next statement; rolled back, never
BEGIN;
SELECT pg_temp.send('t1', 'pay', '2024-05-01T11:50:00Z', '{"amount": "500"}', 'c2');
SELECT pg_temp.agg('2024-05-01T12:00:00Z', 'c2')->>'c_sum_1d' AS own_uncommitted;
ROLLBACK;
SELECT pg_temp.agg('2024-05-01T12:00:00Z', 'c2')->>'c_sum_1d' AS after_rollback;

-- another session: its uncommitted event is not counted, its committed one is
SELECT dblink_connect('other', format('dbname=%s host=%s port=%s user=%s', current_database(),
       split_part(current_setting('unix_socket_directories'), ',', 1), current_setting('port'), current_user));
SELECT dblink_exec('other', 'BEGIN');
SELECT * FROM dblink('other', $$SELECT fraud_send_event('o1', 'pay', '2024-05-01T11:55:00Z', '{"amount": "7"}', '[{"entityType": "customer", "entityId": "c2"}]')::text$$) AS t(x text);
SELECT pg_temp.agg('2024-05-01T12:00:00Z', 'c2')->>'c_sum_1d' AS other_uncommitted;
SELECT dblink_exec('other', 'COMMIT');
SELECT pg_temp.agg('2024-05-01T12:00:00Z', 'c2')->>'c_sum_1d' AS other_committed;
SELECT dblink_disconnect('other');

-- a deleted event leaves its keys; a replaced one (GetEventPrediction) moves them
SELECT fraud_delete_event('o1', 'pay');
SELECT pg_temp.agg('2024-05-01T12:00:00Z', 'c2')->>'c_sum_1d' AS after_delete;
SELECT count(*) AS keys_of_deleted FROM fraud.event_keys WHERE event_id = 'o1';

-- fraud_score_trigger: a row is scored now; its key is its column of the group-by variable, or
-- the customer in its jsonb column entities. c7 paid twice in the last minutes.
SELECT pg_temp.send('c7a', 'pay', to_char(now() AT TIME ZONE 'UTC' - interval '2 minutes', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), '{"amount": "3"}', 'c7');
SELECT pg_temp.send('c7b', 'pay', to_char(now() AT TIME ZONE 'UTC' - interval '1 minute', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), '{"amount": "3"}', 'c7');
CREATE TABLE velocity_payments (amount float8, email text, entities jsonb, outcomes text[]);
CREATE TRIGGER score BEFORE INSERT ON velocity_payments FOR EACH ROW EXECUTE FUNCTION fraud_score_trigger('d', 'outcomes');
INSERT INTO velocity_payments VALUES (5, 'a@x.com', '[{"entityType": "customer", "entityId": "c7"}]'),
                                     (5, 'a@x.com', '[{"entityType": "customer", "entityId": "c1"}]'), (5, 'nobody@x.com', NULL);
SELECT amount, email, entities->0->>'entityId' AS customer, outcomes FROM velocity_payments ORDER BY 3;
DROP TABLE velocity_payments;

-- an aggregate in use cannot be deleted; once no version uses it, it can
SELECT pg_temp.err($$SELECT fraud_delete_aggregate_variable('c_count_1h')$$);
SELECT fraud_create_aggregate_variable('unused', ARRAY['login'], 'COUNT', '2 days', group_by_variable => 'ip');
SELECT key_name, count(*) FROM fraud.event_keys GROUP BY 1 ORDER BY 1;
SELECT fraud_delete_aggregate_variable('unused');
SELECT key_name, count(*) FROM fraud.event_keys GROUP BY 1 ORDER BY 1;
SELECT fraud_delete_aggregate_variable('unused');

-- backtesting: version 3 (spend only) against version 1, over c1's and c2's payments. Each
-- payment sees only what was stored before it and the labels known by then:
--   p1 08:00 c1: no history                      -> v1 {}               v3 {}
--   p2 10:00 c1: sum 40, count_1h 0              -> v1 {}               v3 {}
--   p5 10:15 c2: no history                      -> v1 {}               v3 {}
--   p6 10:20 c1: sum 50, count_1h 1 (p2)         -> v1 {}               v3 {}
--   p3 10:30 c1: sum 51, count_1h 2 (p2, p6)     -> v1 {review}         v3 {}
--   p4 11:00 c1: sum 71, count_1h 2 (p3, p6), logins 2 -> v1 {review}   v3 {}
-- and with threshold 60 (version 3's rule): p3 {} (51), p4 {block} (71)
SELECT fraud_create_rule('spend60', 'd', '$c_sum_1d > 60', ARRAY['block']);
SELECT * FROM fraud_create_detector_version('d', '[{"detectorId": "d", "ruleId": "spend60", "ruleVersion": "1"}]');
SELECT event_id, event_label, evaluated, matched_rules, outcomes, baseline_outcomes, changed
FROM fraud_backtest_events('d', '3', '2024-05-01', '2024-05-02', baseline_version_id => '1') ORDER BY event_timestamp;
SELECT * FROM fraud_backtest('d', '1', '2024-05-01', '2024-05-02');
SELECT * FROM fraud_backtest('d', '3', '2024-05-01', '2024-05-02', baseline_version_id => '1');
SELECT * FROM fraud_backtest('d', '3', '2024-05-01', '2024-05-02', fraud_labels => '{legit}');
SELECT pg_temp.err($$SELECT * FROM fraud_backtest('d', '1', '2024-05-02', '2024-05-01')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_backtest('d', '7', '2024-05-01', '2024-05-02')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_backtest('nope', '1', '2024-05-01', '2024-05-02')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_backtest('d', '1', '2024-05-01', '2024-05-02', '99')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_backtest('d', '1', NULL, '2024-05-02')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_backtest('d', '1', '2024-05-01', '2024-05-02', fraud_labels => '{chargeback}')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_backtest('d', '1', '2024-05-01', '2024-05-02', fraud_labels => '{}')$$);
-- the same replay as a background job, in batches of 2 events (set before the job is visible to
-- a worker): its output equals fraud_backtest_events'
BEGIN;
SELECT fraud_create_backtest_job('bt1', 'd', '3', '2024-05-01', '2024-05-02', 'velocity_backtest', baseline_version_id => '1');
UPDATE fraud.jobs SET batch_size = 2 WHERE job_type = 'BACKTEST' AND job_id = 'bt1';
COMMIT;
CREATE FUNCTION pg_temp.wait_backtest(id text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE s text;
BEGIN
    FOR i IN 1..1200 LOOP
        SELECT j.status INTO s FROM fraud_get_backtest_jobs(id) j;
        EXIT WHEN s IN ('COMPLETE', 'FAILED', 'CANCELED');
        PERFORM pg_sleep(0.05);
    END LOOP;
    RETURN s;
END $$;
SELECT pg_temp.wait_backtest('bt1');
SELECT job_id, status, failure_reason, detector_version_id, baseline_version_id, "from", "to", output_path,
       processed_records_count, total_records_count
FROM fraud_get_backtest_jobs('bt1');
SELECT (SELECT count(*) FROM velocity_backtest) AS rows,
       (SELECT count(*) FROM (SELECT * FROM velocity_backtest
                              EXCEPT SELECT * FROM fraud_backtest_events('d', '3', '2024-05-01', '2024-05-02', '1')) x) AS differing;
SELECT pg_temp.err($$SELECT fraud_create_backtest_job('bt1', 'd', '3', '2024-05-01', '2024-05-02', 'velocity_backtest2')$$);
SELECT pg_temp.err($$SELECT fraud_create_backtest_job('bt2', 'd', '3', '2024-05-01', '2024-05-02', 'velocity_backtest')$$);
SELECT pg_temp.err($$SELECT fraud_create_backtest_job('bt2', 'd', '8', '2024-05-01', '2024-05-02', 'velocity_backtest2')$$);
SELECT pg_temp.err($$SELECT fraud_create_backtest_job('bt2', 'd', '3', '2024-05-01', '2024-05-02', 'a.b.c')$$);
SELECT pg_temp.err($$SELECT fraud_cancel_backtest_job('bt1')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_get_backtest_jobs('nope')$$);
SELECT fraud_delete_backtest_job('bt1');
SELECT count(*) AS jobs_listed FROM fraud_get_backtest_jobs();
DROP TABLE velocity_backtest;
-- batch prediction's scoring: each row at its own time, seeing only what was stored before it
SELECT (fraud._score_historical('d', '{"eventTimestamp": "2024-05-01T11:00:00Z", "entities": [{"entityType": "customer", "entityId": "c1"}], "eventVariables": {"amount": "5"}}', '3')).outcomes AS historical,
       fraud_outcomes('d', '{"eventTimestamp": "2024-05-01T11:00:00Z", "entities": [{"entityType": "customer", "entityId": "c1"}], "eventVariables": {"amount": "5"}}', '3') AS live;
DROP EXTENSION dblink;
