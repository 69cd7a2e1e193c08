-- AFD's getting-started setup, built with SQL and inspected through the getters.
\i helpers.sql

SELECT fraud_put_entity_type('customer', description => 'a registered customer');
SELECT fraud_create_variable('email_address', 'STRING', 'EVENT', '<unknown>', variable_type => 'EMAIL_ADDRESS');
SELECT fraud_create_variable('ip_address', 'STRING', 'EVENT', '<unknown>', variable_type => 'IP_ADDRESS');
SELECT fraud_create_variable('order_price', 'FLOAT', 'EVENT', '0', variable_type => 'PRICE');
SELECT fraud_put_label('fraud');
SELECT fraud_put_label('legit');
SELECT fraud_put_event_type('registration',
    event_variables => ARRAY['email_address', 'ip_address', 'order_price'],
    entity_types => ARRAY['customer'], labels => ARRAY['fraud', 'legit']);
SELECT fraud_put_outcome('verify_customer');
SELECT fraud_put_outcome('review');
SELECT fraud_put_outcome('approve');
SELECT fraud_create_list('blocked_ips', ARRAY['203.0.113.7', '198.51.100.23'], variable_type => 'IP_ADDRESS');
SELECT fraud_put_detector('new_account_detector', 'registration');

SELECT fraud_create_rule('high_risk', 'new_account_detector',
    '$ip_address in @blocked_ips or regex_match(".*@fraud\.example", $email_address)', ARRAY['verify_customer']);
SELECT fraud_create_rule('medium_risk', 'new_account_detector', '$order_price > 1000', ARRAY['review']);
SELECT fraud_create_rule(rule_id => 'low_risk', detector_id => 'new_account_detector',
    expression => '$order_price <= 1000', outcomes => ARRAY['approve']);

SELECT * FROM fraud_create_detector_version('new_account_detector', rules => jsonb_build_array(
    fraud._rule_json('new_account_detector', 'high_risk', 1),
    fraud._rule_json('new_account_detector', 'medium_risk', 1),
    fraud._rule_json('new_account_detector', 'low_risk', 1)));
SELECT fraud_update_detector_version_status('new_account_detector', '1', 'ACTIVE');

-- a second version, with rule medium_risk at version 2, activated after the first
SELECT fraud_update_rule_version('{"detectorId": "new_account_detector", "ruleId": "medium_risk", "ruleVersion": "1"}',
    '$order_price > 500', ARRAY['review']);
SELECT * FROM fraud_create_detector_version('new_account_detector',
    '[{"detectorId": "new_account_detector", "ruleId": "high_risk", "ruleVersion": "1"},
      {"detectorId": "new_account_detector", "ruleId": "medium_risk", "ruleVersion": "2"},
      {"detectorId": "new_account_detector", "ruleId": "low_risk", "ruleVersion": "1"}]',
    rule_execution_mode => 'ALL_MATCHED', description => 'lower review threshold');
SELECT fraud_update_detector_version_status('new_account_detector', '2', 'ACTIVE');

-- the getters
SELECT name, description, arn FROM fraud_get_entity_types();
SELECT name, data_type, data_source, default_value, variable_type, arn FROM fraud_get_variables();
SELECT name FROM fraud_get_labels();
SELECT name, arn FROM fraud_get_outcomes();
SELECT name, event_variables, labels, entity_types, event_ingestion, arn FROM fraud_get_event_types();
SELECT name, variable_type, arn FROM fraud_get_lists_metadata();
SELECT * FROM fraud_get_list_elements('blocked_ips');
SELECT detector_id, event_type_name, arn FROM fraud_get_detectors();
SELECT detector_id, detector_version_id, status, description, arn FROM fraud_describe_detector('new_account_detector');
SELECT rule_id, rule_version, expression, language, outcomes, arn FROM fraud_get_rules('new_account_detector');
SELECT detector_version_id, status, rule_execution_mode, rules, external_model_endpoints, model_versions, arn
FROM fraud_get_detector_version('new_account_detector', '1');
SELECT detector_version_id, status, rule_execution_mode, jsonb_pretty(rules)
FROM fraud_get_detector_version('new_account_detector', '2');
-- timestamps are set and ordered
SELECT bool_and(created_time <= last_updated_time AND created_time <= now()) FROM fraud_get_variables();
