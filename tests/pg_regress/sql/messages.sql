-- Messages and signatures a newcomer meets: lists of objects in a message stay short (the first
-- five and a count) and say "types" when there are several; rule syntax errors say that
-- comparisons do not chain and point at the problem in long expressions too; UpdateDetectorVersion
-- without external models; the parameter names docs/sql-reference.md calls out.
\i helpers.sql

SELECT fraud_put_entity_type('customer');
SELECT fraud_create_variable('amount', 'FLOAT', 'EVENT', '0');
SELECT fraud_put_event_type('payment', ARRAY['amount'], ARRAY['customer']);
SELECT fraud_put_event_type('refund', ARRAY['amount'], ARRAY['customer']);
SELECT fraud_put_outcome('review');
SELECT fraud_put_detector('pay', 'payment');
SELECT fraud_create_rule('big', 'pay', '$amount > 100', ARRAY['review']);

-- one user, or several: singular and plural
SELECT pg_temp.err($$SELECT fraud_delete_outcome('review')$$);
SELECT pg_temp.err($$SELECT fraud_delete_entity_type('customer')$$);
SELECT pg_temp.err($$SELECT fraud_delete_variable('amount')$$);
-- 31 rule versions yield the outcome: five are named, and how many more
SELECT count(fraud_update_rule_version('{"detectorId": "pay", "ruleId": "big", "ruleVersion": "1"}', '$amount > ' || i, ARRAY['review']))
FROM generate_series(1, 30) i;
SELECT pg_temp.err($$SELECT fraud_delete_outcome('review')$$);
SELECT fraud._some_names('detector', ARRAY['a', 'b', 'c', 'd', 'e']), fraud._some_names('detector', ARRAY['a', 'b', 'c', 'd', 'e', 'f']);

-- comparisons do not chain: the error says so, where the second comparison starts
SELECT pg_temp.err($$SELECT fraud_create_rule('r', 'pay', '$amount < 5 < 10', ARRAY['review'])$$);
SELECT pg_temp.err($$SELECT fraud_create_rule('r', 'pay', '$amount > 1 and ($amount == 2 == true)', ARRAY['review'])$$);
SELECT fraud_create_rule('unchained', 'pay', '$amount < 5 and 5 < 10', ARRAY['review'])->>'ruleId';
-- too deep, by parentheses or by not: both point at the level that is too deep (a long
-- expression shows the part around it)
SELECT fraud_create_rule('r', 'pay', repeat('(', 65) || '$amount > 1' || repeat(')', 65), ARRAY['review']);
SELECT fraud_create_rule('r', 'pay', repeat('not ', 70) || '$amount > 1', ARRAY['review']);
-- a rule on several lines: the line with the error
SELECT fraud_create_rule('r', 'pay', E'$amount > 1\nand $amount <', ARRAY['review']);

-- UpdateDetectorVersion without external models: external_model_endpoints defaults to none
SELECT detector_version_id FROM fraud_create_detector_version('pay', '[]');
SELECT fraud_update_detector_version('pay', '1', rules => '[{"detectorId": "pay", "ruleId": "big", "ruleVersion": "2"}]');
SELECT external_model_endpoints, rules->0->>'ruleVersion' AS rule_version FROM fraud_get_detector_version('pay', '1');
-- positionally as before
SELECT fraud_update_detector_version('pay', '1', '{}', '[{"detectorId": "pay", "ruleId": "big", "ruleVersion": "3"}]');
SELECT external_model_endpoints, rules->0->>'ruleVersion' AS rule_version FROM fraud_get_detector_version('pay', '1');
-- rules is still required; an explicit NULL for the endpoints is still refused
SELECT pg_temp.err($$SELECT fraud_update_detector_version('pay', '1')$$);
SELECT pg_temp.err($$SELECT fraud_update_detector_version('pay', '1', external_model_endpoints => '{}')$$);
SELECT pg_temp.err($$SELECT fraud_update_detector_version('pay', '1', NULL, '[]')$$);
SELECT pg_get_function_arguments('fraud_update_detector_version'::regproc);

-- the parameter names that differ between operations (docs/sql-reference.md)
SELECT p.proname, pg_get_function_arguments(p.oid)
FROM pg_proc p
WHERE p.proname IN ('fraud_create_batch_prediction_job', 'fraud_list_event_predictions', 'fraud_update_rule_metadata',
                    'fraud_get_rules', 'fraud_put_detector', 'fraud_delete_event_type')
ORDER BY 1;
SELECT fraud_update_rule_metadata(rule => '{"detectorId": "pay", "ruleId": "big", "ruleVersion": "1"}',
                                  description => 'large amounts');
SELECT rule_id, rule_version, description FROM fraud_get_rules(detector_id => 'pay', rule_id => 'big', rule_version => '1');
SELECT count(*) FROM fraud_list_event_predictions(event_type => '{"value": "payment"}', detector_id => '{"value": "pay"}');
SELECT fraud_delete_event_type(name => 'refund');
