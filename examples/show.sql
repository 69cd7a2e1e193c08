-- What the sample made, through the getters (README command 1 prints this).
\pset footer off
\echo '-- detectors'
SELECT detector_id, event_type_name, description, arn FROM fraud_get_detectors();
\echo '-- detector versions (version 2 activated after 1, so 1 is INACTIVE)'
SELECT detector_version_id, status, description FROM fraud_describe_detector('new_account_detector');
\echo '-- rules of the ACTIVE version, in evaluation order'
SELECT r.rule_id, r.rule_version, r.expression, r.outcomes
FROM fraud_get_detector_version('new_account_detector', '2') v,
     jsonb_array_elements(v.rules) WITH ORDINALITY AS x(rule, pos),
     fraud_get_rules('new_account_detector', x.rule->>'ruleId', x.rule->>'ruleVersion') r
ORDER BY x.pos;
\echo '-- event type'
SELECT name, event_variables, entity_types, labels, event_ingestion FROM fraud_get_event_types('registration');
\echo '-- variables'
SELECT name, data_type, default_value, variable_type FROM fraud_get_variables();
\echo '-- lists'
SELECT name, variable_type, (SELECT count(*) FROM fraud_get_list_elements(name)) AS elements FROM fraud_get_lists_metadata();
\echo '-- tags of the detector'
SELECT * FROM fraud_list_tags_for_resource((SELECT arn FROM fraud_get_detectors('new_account_detector')));
