-- PutDetector, GetDetectors, DescribeDetector, DeleteDetector, and the detector version life
-- cycle: CreateDetectorVersion, GetDetectorVersion, UpdateDetectorVersion,
-- UpdateDetectorVersionMetadata, UpdateDetectorVersionStatus, DeleteDetectorVersion
\i helpers.sql

SELECT fraud_put_entity_type('customer');
SELECT fraud_create_variable('amount', 'FLOAT', 'EVENT', '0');
SELECT fraud_put_event_type('payment', ARRAY['amount'], ARRAY['customer']);
SELECT fraud_put_event_type('refund', ARRAY['amount'], ARRAY['customer']);
SELECT fraud_put_outcome('review');

-- PutDetector creates, then updates
SELECT fraud_put_detector('payments', 'payment', description => 'v0');
SELECT fraud_put_detector('payments', 'refund', description => 'moved before it had rules');
SELECT fraud_put_detector('payments', 'payment', description => 'card payments');
SELECT detector_id, description, event_type_name, arn FROM fraud_get_detectors();
SELECT pg_temp.err($$SELECT fraud_put_detector('Payments', 'payment')$$);
SELECT pg_temp.err($$SELECT fraud_put_detector('p2', 'nope')$$);
SELECT pg_temp.err($$SELECT fraud_put_detector('p2', NULL)$$);
SELECT pg_temp.err($$SELECT * FROM fraud_get_detectors('p2')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_describe_detector('p2')$$);
SELECT * FROM fraud_describe_detector('payments');

SELECT fraud_create_rule('big', 'payments', '$amount > 1000', ARRAY['review']);
SELECT fraud_create_rule('small', 'payments', '$amount < 1', ARRAY['review']);
SELECT pg_temp.err($$SELECT fraud_put_detector('payments', 'refund')$$);

-- CreateDetectorVersion
SELECT * FROM fraud_create_detector_version('payments', '[{"detectorId": "payments", "ruleId": "big", "ruleVersion": "1"}]',
    description => 'first', tags => '{"release": "1"}');
SELECT * FROM fraud_create_detector_version('payments', '[]', rule_execution_mode => 'ALL_MATCHED');
SELECT pg_temp.err($$SELECT * FROM fraud_create_detector_version('nope', '[]')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_create_detector_version('payments', NULL)$$);
SELECT pg_temp.err($$SELECT * FROM fraud_create_detector_version('payments', '{}')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_create_detector_version('payments', '[{"detectorId": "payments", "ruleId": "big", "ruleVersion": "2"}]')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_create_detector_version('payments', '[{"detectorId": "other", "ruleId": "big", "ruleVersion": "1"}]')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_create_detector_version('payments', '[{"detectorId": "payments", "ruleId": "big", "ruleVersion": "1"}, {"detectorId": "payments", "ruleId": "big", "ruleVersion": "1"}]')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_create_detector_version('payments', '[]', rule_execution_mode => 'SOME_MATCHED')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_create_detector_version('payments', '[]', model_versions => '[{"modelId": "m", "modelType": "ONLINE_FRAUD_INSIGHTS", "modelVersionNumber": "1.0"}]')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_create_detector_version('payments', '[]', model_versions => '[{"modelId": "m", "modelType": "ONLINE_FRAUD_INSIGHTS", "modelVersionNumber": "1"}]')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_create_detector_version('payments', '[]', external_model_endpoints => ARRAY['sagemaker-endpoint'])$$);
SELECT count(*) AS versions FROM fraud.detector_versions;

-- GetDetectorVersion
SELECT detector_id, detector_version_id, description, status, rule_execution_mode, rules, external_model_endpoints, model_versions, arn
FROM fraud_get_detector_version('payments', '1');
SELECT pg_temp.err($$SELECT * FROM fraud_get_detector_version('payments', '3')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_get_detector_version('payments', 'one')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_get_detector_version('payments', '123456')$$);

-- UpdateDetectorVersion: DRAFT only
SELECT fraud_update_detector_version('payments', '2', ARRAY[]::text[],
    '[{"detectorId": "payments", "ruleId": "small", "ruleVersion": "1"}, {"detectorId": "payments", "ruleId": "big", "ruleVersion": "1"}]',
    description => 'second');
SELECT description, rule_execution_mode, rules FROM fraud_get_detector_version('payments', '2');
SELECT pg_temp.err($$SELECT fraud_update_detector_version('payments', '2', ARRAY[]::text[], '[]', rule_execution_mode => 'X')$$);
SELECT pg_temp.err($$SELECT fraud_update_detector_version('payments', '2', NULL, '[]')$$);
SELECT pg_temp.err($$SELECT fraud_update_detector_version('payments', '9', ARRAY[]::text[], '[]')$$);

-- UpdateDetectorVersionStatus: DRAFT -> ACTIVE -> INACTIVE -> ACTIVE, one ACTIVE per detector
SELECT pg_temp.err($$SELECT fraud_update_detector_version_status('payments', '1', 'INACTIVE')$$);
SELECT pg_temp.err($$SELECT fraud_update_detector_version_status('payments', '1', 'RUNNING')$$);
SELECT fraud_update_detector_version_status('payments', '1', 'ACTIVE');
SELECT pg_temp.err($$SELECT fraud_update_detector_version_status('payments', '1', 'DRAFT')$$);
SELECT pg_temp.err($$SELECT fraud_update_detector_version_status('payments', '1', 'ACTIVE')$$);
SELECT pg_temp.err($$SELECT fraud_update_detector_version('payments', '1', ARRAY[]::text[], '[]')$$);
SELECT fraud_update_detector_version_status('payments', '2', 'ACTIVE');
SELECT detector_version_id, status FROM fraud_describe_detector('payments');
SELECT fraud_update_detector_version_status('payments', '1', 'ACTIVE');
SELECT detector_version_id, status FROM fraud_describe_detector('payments');
SELECT fraud_update_detector_version_status('payments', '1', 'INACTIVE');
SELECT detector_version_id, status FROM fraud_describe_detector('payments');
-- a version with no rules and no models cannot go live
SELECT * FROM fraud_create_detector_version('payments', '[]');
SELECT pg_temp.err($$SELECT fraud_update_detector_version_status('payments', '3', 'ACTIVE')$$);

-- UpdateDetectorVersionMetadata: any status
SELECT fraud_update_detector_version_metadata('payments', '1', 'retired');
SELECT detector_version_id, description FROM fraud_describe_detector('payments') WHERE detector_version_id = '1';
SELECT pg_temp.err($$SELECT fraud_update_detector_version_metadata('payments', '1', '')$$);
SELECT pg_temp.err($$SELECT fraud_update_detector_version_metadata('payments', '8', 'x')$$);

-- DeleteDetectorVersion: never the ACTIVE one; ids are never reused
SELECT fraud_update_detector_version_status('payments', '1', 'ACTIVE');
SELECT pg_temp.err($$SELECT fraud_delete_detector_version('payments', '1')$$);
SELECT pg_temp.err($$SELECT fraud_delete_detector_version('payments', '42')$$);
SELECT fraud_delete_detector_version('payments', '3');
SELECT fraud_delete_detector_version('payments', '2');
SELECT detector_version_id FROM fraud_create_detector_version('payments', '[]');
SELECT detector_version_id, status FROM fraud_describe_detector('payments');

-- DeleteDetector: refused while it has versions or rules
SELECT pg_temp.err($$SELECT fraud_delete_detector('payments')$$);
SELECT fraud_update_detector_version_status('payments', '1', 'INACTIVE');
SELECT fraud_delete_detector_version('payments', '1');
SELECT fraud_delete_detector_version('payments', '4');
SELECT pg_temp.err($$SELECT fraud_delete_detector('payments')$$);
SELECT fraud_delete_rule('{"detectorId": "payments", "ruleId": "big", "ruleVersion": "1"}');
SELECT fraud_delete_rule('{"detectorId": "payments", "ruleId": "small", "ruleVersion": "1"}');
SELECT fraud_delete_detector('payments');
SELECT fraud_delete_detector('payments');
SELECT (SELECT count(*) FROM fraud.detectors) AS detectors, (SELECT count(*) FROM fraud.tags) AS tags;
