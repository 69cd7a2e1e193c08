-- fraud_predict, fraud_outcomes, fraud_explain: both event shapes, FIRST_MATCHED and
-- ALL_MATCHED, defaults, NULLs, versions, errors, volatility and parallel workers.
\i helpers.sql

SELECT fraud_put_entity_type('customer');
SELECT fraud_create_variable('email', 'STRING', 'EVENT', 'unknown@none');
SELECT fraud_create_variable('ip', 'STRING', 'EVENT', '0.0.0.0');
SELECT fraud_create_variable('amount', 'FLOAT', 'EVENT', '0');
SELECT fraud_create_variable('items', 'INTEGER', 'EVENT', '1');
SELECT fraud_create_variable('member', 'BOOLEAN', 'EVENT', 'false');
SELECT fraud_create_variable('signup', 'DATETIME', 'EVENT', '2020-01-01T00:00:00Z');
SELECT fraud_put_event_type('checkout', ARRAY['email', 'ip', 'amount', 'items', 'member', 'signup'], ARRAY['customer']);
SELECT fraud_put_outcome('block');
SELECT fraud_put_outcome('review');
SELECT fraud_put_outcome('approve');
SELECT fraud_create_list('bad_ips', ARRAY['10.0.0.1', '10.0.0.2']);
SELECT fraud_put_detector('shop', 'checkout');
SELECT fraud_create_rule('bad_ip', 'shop', '$ip in @bad_ips', ARRAY['block']);
SELECT fraud_create_rule('big', 'shop', '$amount > 1000 or ($items >= 10 and not $member)', ARRAY['review']);
SELECT fraud_create_rule('gmail', 'shop', 'regex_match(".*@gmail\.com", lowercase($email))', ARRAY['review', 'approve']);
SELECT fraud_create_rule('fresh', 'shop', 'isafter($signup, "2024-01-01") and $amount in [9.99, 19.99]', ARRAY['review']);
SELECT fraud_create_rule('rest', 'shop', '$amount >= 0', ARRAY['approve']);
SELECT * FROM fraud_create_detector_version('shop', '[
  {"detectorId": "shop", "ruleId": "bad_ip", "ruleVersion": "1"},
  {"detectorId": "shop", "ruleId": "big", "ruleVersion": "1"},
  {"detectorId": "shop", "ruleId": "gmail", "ruleVersion": "1"},
  {"detectorId": "shop", "ruleId": "fresh", "ruleVersion": "1"},
  {"detectorId": "shop", "ruleId": "rest", "ruleVersion": "1"}]');

-- no ACTIVE version yet
SELECT pg_temp.err($$SELECT fraud_predict('shop', '{}')$$);
-- a named version works in any status
SELECT fraud_outcomes('shop', '{"ip": "10.0.0.1"}', '1');
SELECT fraud_update_detector_version_status('shop', '1', 'ACTIVE');

-- FIRST_MATCHED: the first matching rule in the version's order
SELECT fraud_predict('shop', '{"ip": "10.0.0.1", "amount": 5000}');
SELECT fraud_predict('shop', '{"ip": "10.0.0.9", "amount": 5000}');
SELECT fraud_predict('shop', '{"amount": -1}');
CREATE TABLE events (id int, ev jsonb);
INSERT INTO events VALUES
  (1, '{"ip": "10.0.0.2"}'),
  (2, '{"amount": 20, "items": 12, "member": false}'),
  (3, '{"amount": 20, "items": 12, "member": true}'),
  (4, '{"email": "Someone@GMAIL.com", "amount": 1}'),
  (5, '{"signup": "2024-06-01T10:00:00+02:00", "amount": 19.99}'),
  (6, '{"signup": "2023-06-01T10:00:00Z", "amount": 19.99}'),
  (7, '{"amount": "250.5", "items": "3", "member": "true"}'),
  (8, '{"email": null, "amount": 3, "unrelated": {"nested": [1, 2]}}'),
  (9, '{}');
SELECT id, fraud_outcomes('shop', ev) FROM events ORDER BY id;
-- the AFD request shape, recognised by eventVariables
SELECT fraud_outcomes('shop', '{"eventId": "e-1", "eventTypeName": "checkout", "eventTimestamp": "2024-05-01T00:00:00Z",
  "entities": [{"entityType": "customer", "entityId": "c-1"}], "eventVariables": {"amount": "5000"}}');
-- NULL event gives NULL
SELECT fraud_outcomes('shop', NULL) IS NULL AS null_in_null_out;

-- ALL_MATCHED in a second version
SELECT detector_version_id FROM fraud_create_detector_version('shop', (SELECT rules FROM fraud_get_detector_version('shop', '1')), rule_execution_mode => 'ALL_MATCHED');
SELECT fraud_predict('shop', '{"ip": "10.0.0.1", "amount": 5000, "email": "a@gmail.com"}', '2');
SELECT fraud_outcomes('shop', '{"ip": "10.0.0.1", "amount": 5000, "email": "a@gmail.com"}', '2');
SELECT fraud_outcomes('shop', '{"amount": -5}', '2');

-- explain: every rule (evaluated / matched), every variable with its source
SELECT jsonb_pretty(fraud_explain('shop', '{"eventId": "e-2", "eventVariables": {"amount": 20, "items": 12, "email": null}}'));

-- values that cannot be read as their variable's type: 22P02 naming variable and value
SELECT pg_temp.err($$SELECT fraud_outcomes('shop', '{"amount": "lots"}')$$);
SELECT pg_temp.err($$SELECT fraud_outcomes('shop', '{"items": 2.5}')$$);
-- an INTEGER beyond 64 bits is shown as sent, not as the nearest double (9223372036854776000)
SELECT pg_temp.err($$SELECT fraud_outcomes('shop', '{"items": 9223372036854775808}')$$);
SELECT pg_temp.err($$SELECT fraud_outcomes('shop', '{"items": "9223372036854775808"}')$$);
SELECT pg_temp.err($$SELECT fraud_outcomes('shop', '{"items": 2.50}')$$);
SELECT pg_temp.err($$SELECT fraud_outcomes('shop', '{"member": "yes"}')$$);
SELECT pg_temp.err($$SELECT fraud_outcomes('shop', '{"signup": "last tuesday"}')$$);
SELECT pg_temp.err($$SELECT fraud_outcomes('shop', '{"amount": {"value": 1}}')$$);
-- unknown detector or version, bad arguments
SELECT pg_temp.err($$SELECT fraud_predict('nope', '{}')$$);
SELECT pg_temp.err($$SELECT fraud_predict('shop', '{}', '7')$$);
SELECT pg_temp.err($$SELECT fraud_predict('shop', '{}', 'seven')$$);
SELECT pg_temp.err($$SELECT fraud_predict(NULL, '{}')$$);
SELECT pg_temp.err($$SELECT fraud_predict('shop', '[1, 2]')$$);
SELECT pg_temp.err($$SELECT fraud_predict('shop', '{"eventVariables": 5}')$$);

-- STABLE PARALLEL SAFE, and correct inside parallel workers
SELECT proname, provolatile, proparallel FROM pg_proc
WHERE proname IN ('fraud_predict', 'fraud_outcomes', 'fraud_explain') ORDER BY proname;
CREATE TABLE many AS SELECT i AS id, jsonb_build_object('amount', i % 2000, 'ip', '10.0.0.' || (i % 5)) AS ev
FROM generate_series(1, 20000) i;
ANALYZE many;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET force_parallel_mode = on;
EXPLAIN (COSTS OFF) SELECT fraud_outcomes('shop', ev) AS o, count(*) FROM many GROUP BY 1;
SELECT fraud_outcomes('shop', ev) AS o, count(*) FROM many GROUP BY 1 ORDER BY 1;
RESET force_parallel_mode;
RESET max_parallel_workers_per_gather;
-- the same answers without parallelism
SET max_parallel_workers_per_gather = 0;
SELECT fraud_outcomes('shop', ev) AS o, count(*) FROM many GROUP BY 1 ORDER BY 1;

-- prediction reads the catalog without assigning a transaction id (it works on a hot standby
-- and inside read-only transactions)
-- (touch the catalog first so the read-only transaction compiles afresh through SPI)
SELECT fraud_update_detector_version_metadata('shop', '1', 'touched');
BEGIN TRANSACTION READ ONLY;
SELECT fraud_outcomes('shop', '{"ip": "10.0.0.1"}') AS read_only, fraud_explain('shop', '{}')->'outcomes' AS explained;
SELECT pg_current_xact_id_if_assigned() IS NULL AS no_xid;
COMMIT;
