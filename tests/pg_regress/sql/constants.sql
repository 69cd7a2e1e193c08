-- Rules that SQL and Rust both know. Each has one owner (CONTRIBUTING.md, "Style"); this
-- session proves the other side agrees, so a change to one without the other fails here.
\i helpers.sql

-- Version ids (AFD's wholeNumberVersionString). Owner: fraud._version_number (sql/support.sql);
-- Rust (src/catalog.rs) checks fraud_predict's detector_version_id before any catalog read.
SELECT fraud_put_entity_type('customer');
SELECT fraud_create_variable('amount', 'FLOAT', 'EVENT', '0');
SELECT fraud_put_event_type('pay', ARRAY['amount'], ARRAY['customer']);
SELECT fraud_put_outcome('review');
SELECT fraud_put_detector('d', 'pay');
SELECT fraud_create_rule('big', 'd', '$amount > 100', ARRAY['review']);
SELECT count(*) FROM fraud_create_detector_version('d', rules => '[{"detectorId": "d", "ruleId": "big", "ruleVersion": "1"}]');
SELECT fraud_update_detector_version_status('d', '1', 'ACTIVE');
SELECT v, sql_says, rust_says, sql_says = rust_says AS agree
FROM (VALUES (''), ('0'), ('01'), ('1'), ('7'), ('99999'), ('100000'), ('x'), (' 1'), ('1.0'), ('-1')) s(v),
LATERAL (SELECT pg_temp.err(format('SELECT fraud._version_number(%L, %L)', 'detector_version_id', v)) LIKE '22023%' AS sql_says) a,
LATERAL (SELECT pg_temp.err(format('SELECT fraud_predict(%L, %L, %L)', 'd', '{}', v)) LIKE '22023%' AS rust_says) b;

-- The rule expression length. Owner: MAX_EXPRESSION_LENGTH (engine/src/parser.rs); SQL
-- refuses longer expressions before they reach the engine (sql/rules.sql, and the catalog's
-- rule_expression_length constraint).
SELECT n, length(e), pg_temp.err(format('SELECT fraud._check_rule_expression(%L, %L)', 'd', e)) AS engine,
       pg_temp.err(format('SELECT fraud_create_rule(%L, %L, %L, ARRAY[%L])', 'r' || n, 'd', e, 'review')) AS create_rule
FROM (SELECT n, '$amount > 1' || repeat(' ', n - 11) AS e FROM (VALUES (4096), (4097)) v(n)) x;
SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'rule_expression_length';

-- Rule execution modes. Owner: Mode (engine/src/detector.rs); the catalog's CHECK and the SQL
-- API accept the same names, and fraud_explain reports the catalog's name back.
SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'detector_version_rule_execution_mode_enum';
SELECT count(*) FROM fraud_create_detector_version('d', rules => '[{"detectorId": "d", "ruleId": "big", "ruleVersion": "1"}]',
                                                   rule_execution_mode => 'ALL_MATCHED');
SELECT v.detector_version_id, v.rule_execution_mode,
       fraud_explain('d', '{"amount": 5}', v.detector_version_id::text)->>'ruleExecutionMode' AS explained
FROM fraud.detector_versions v ORDER BY 1;

-- One scoring, every answer: fraud._score equals fraud_predict, fraud_outcomes, fraud_explain.
SELECT e, (s).prediction = fraud_predict('d', e) AS prediction, (s).outcomes = fraud_outcomes('d', e) AS outcomes,
       (s).metadata = fraud_explain('d', e) AS metadata, (fraud._score('d', e, NULL, false)).metadata IS NULL AS unexplained
FROM (VALUES ('{"amount": 5}'::jsonb), ('{"amount": 500}'), ('{}')) v(e),
LATERAL (SELECT fraud._score('d', e, NULL, true) AS s OFFSET 0) x;
