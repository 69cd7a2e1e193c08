-- CreateRule, UpdateRuleVersion, UpdateRuleMetadata, GetRules, DeleteRule
\i helpers.sql

SELECT fraud_put_entity_type('customer');
SELECT fraud_create_variable('amount', 'FLOAT', 'EVENT', '0');
SELECT fraud_put_event_type('payment', ARRAY['amount'], ARRAY['customer']);
SELECT fraud_put_detector('payments', 'payment');
SELECT fraud_put_outcome('review');
SELECT fraud_put_outcome('block');

SELECT fraud_create_rule('big', 'payments', '$amount > 1000', ARRAY['review'], description => 'large amount',
                         tags => '{"severity": "medium"}');
SELECT fraud_create_rule(rule_id => 'huge', detector_id => 'payments', expression => '$amount > 10000',
                         outcomes => ARRAY['block', 'review'], language => 'DETECTORPL');
SELECT rule_id, rule_version, description, expression, language, outcomes, arn FROM fraud_get_rules('payments');

-- refusals of CreateRule
SELECT pg_temp.err($$SELECT fraud_create_rule('big', 'payments', '$amount > 1', ARRAY['review'])$$);
SELECT pg_temp.err($$SELECT fraud_create_rule('Big', 'payments', '$amount > 1', ARRAY['review'])$$);
SELECT pg_temp.err($$SELECT fraud_create_rule('r', 'nope', '$amount > 1', ARRAY['review'])$$);
SELECT pg_temp.err($$SELECT fraud_create_rule('r', 'payments', '$amount > 1', ARRAY['escalate'])$$);
SELECT pg_temp.err($$SELECT fraud_create_rule('r', 'payments', '$amount > 1', ARRAY[]::text[])$$);
SELECT pg_temp.err($$SELECT fraud_create_rule('r', 'payments', '', ARRAY['review'])$$);
SELECT pg_temp.err($$SELECT fraud_create_rule('r', 'payments', repeat('x', 4097), ARRAY['review'])$$);
SELECT pg_temp.err($$SELECT fraud_create_rule('r', 'payments', '$amount > 1', ARRAY['review'], language => 'SQL')$$);
SELECT count(*) AS rules_named_r FROM fraud.rules WHERE rule_id = 'r';

-- UpdateRuleVersion makes version n+1, leaving version n as it was
SELECT fraud_update_rule_version('{"detectorId": "payments", "ruleId": "big", "ruleVersion": "1"}',
                                 '$amount > 500', ARRAY['review'], description => 'lower threshold');
SELECT rule_id, rule_version, expression, description FROM fraud_get_rules('payments', 'big');
SELECT pg_temp.err($$SELECT fraud_update_rule_version('{"detectorId": "payments", "ruleId": "big", "ruleVersion": "9"}', '$amount > 1', ARRAY['review'])$$);
SELECT pg_temp.err($$SELECT fraud_update_rule_version('{"detectorId": "payments", "ruleId": "big"}', '$amount > 1', ARRAY['review'])$$);
SELECT pg_temp.err($$SELECT fraud_update_rule_version('{"detectorId": "payments", "ruleId": "big", "ruleVersion": "01"}', '$amount > 1', ARRAY['review'])$$);
SELECT pg_temp.err($$SELECT fraud_update_rule_version('{"detectorId": "payments", "ruleId": "big", "ruleVersion": "1"}', '$amount > 1', ARRAY['nope'])$$);
SELECT max(rule_version) AS big_latest FROM fraud.rule_versions WHERE rule_id = 'big';

-- UpdateRuleMetadata changes the description of one version
SELECT fraud_update_rule_metadata('{"detectorId": "payments", "ruleId": "big", "ruleVersion": "1"}', 'original threshold');
SELECT rule_version, description FROM fraud_get_rules('payments', 'big', '1');
SELECT pg_temp.err($$SELECT fraud_update_rule_metadata('{"detectorId": "payments", "ruleId": "big", "ruleVersion": "7"}', 'x')$$);
SELECT pg_temp.err($$SELECT fraud_update_rule_metadata('{"detectorId": "payments", "ruleId": "big", "ruleVersion": "1"}', NULL)$$);
SELECT pg_temp.err($$SELECT fraud_update_rule_metadata('[1, 2]', 'x')$$);

-- GetRules: with a name or a version, a not-found error when missing
SELECT pg_temp.err($$SELECT * FROM fraud_get_rules('nope')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_get_rules('payments', 'nope')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_get_rules('payments', 'big', '3')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_get_rules('payments', rule_version => '1')$$);

-- DeleteRule: refused while an ACTIVE or INACTIVE detector version uses it; a DRAFT loses it
SELECT detector_version_id FROM fraud_create_detector_version('payments', '[{"detectorId": "payments", "ruleId": "big", "ruleVersion": "1"}]');
SELECT fraud_update_detector_version_status('payments', '1', 'ACTIVE');
SELECT pg_temp.err($$SELECT fraud_delete_rule('{"detectorId": "payments", "ruleId": "big", "ruleVersion": "1"}')$$);
SELECT fraud_update_detector_version_status('payments', '1', 'INACTIVE');
SELECT pg_temp.err($$SELECT fraud_delete_rule('{"detectorId": "payments", "ruleId": "big", "ruleVersion": "1"}')$$);
SELECT detector_version_id FROM fraud_create_detector_version('payments', '[
  {"detectorId": "payments", "ruleId": "huge", "ruleVersion": "1"},
  {"detectorId": "payments", "ruleId": "big", "ruleVersion": "2"}]');
SELECT fraud_delete_rule('{"detectorId": "payments", "ruleId": "big", "ruleVersion": "2"}');
SELECT rules FROM fraud_get_detector_version('payments', '2');
SELECT pg_temp.err($$SELECT fraud_delete_rule('{"detectorId": "payments", "ruleId": "big"}')$$);
-- deleting the last version deletes the rule; a missing one is a NOTICE
SELECT fraud_delete_rule('{"detectorId": "payments", "ruleId": "huge", "ruleVersion": "1"}');
SELECT fraud_delete_rule('{"detectorId": "payments", "ruleId": "huge", "ruleVersion": "1"}');
SELECT rule_id, last_version FROM fraud.rules ORDER BY rule_id;
