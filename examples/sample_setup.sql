-- The sample from AFD's getting-started guide, as SQL: customers registering new accounts.
-- Used by README command 1 (scripts/demo.sh) and by the pg_dump/restore test, so it touches
-- every catalog table.

SELECT fraud_put_entity_type('customer', description => 'a registered customer');

SELECT fraud_create_variable('email_address', 'STRING', 'EVENT', '<unknown>', variable_type => 'EMAIL_ADDRESS');
SELECT fraud_create_variable('ip_address', 'STRING', 'EVENT', '<unknown>', variable_type => 'IP_ADDRESS');
SELECT * FROM fraud_batch_create_variable('[
  {"name": "order_price", "dataType": "FLOAT", "dataSource": "EVENT", "defaultValue": "0", "variableType": "PRICE"},
  {"name": "account_age_days", "dataType": "INTEGER", "dataSource": "EVENT", "defaultValue": "0", "variableType": "NUMERIC"}
]');

SELECT fraud_put_label('fraud', description => 'confirmed fraud');
SELECT fraud_put_label('legit', description => 'confirmed legitimate');

SELECT fraud_put_event_type('registration',
    event_variables => ARRAY['email_address', 'ip_address', 'order_price', 'account_age_days'],
    entity_types    => ARRAY['customer'],
    labels          => ARRAY['fraud', 'legit'],
    description     => 'a new account is opened');

SELECT fraud_put_outcome('verify_customer', description => 'ask for more proof of identity');
SELECT fraud_put_outcome('review', description => 'send to a human analyst');
SELECT fraud_put_outcome('approve', description => 'let it through');

SELECT fraud_create_list('blocked_ips', ARRAY['203.0.113.7', '198.51.100.23', '192.0.2.99'],
    variable_type => 'IP_ADDRESS', description => 'addresses seen in confirmed fraud');

SELECT fraud_put_detector('new_account_detector', 'registration',
    description => 'scores new account registrations', tags => '{"team": "risk", "stage": "sample"}');

SELECT fraud_create_rule('high_risk', 'new_account_detector',
    '$ip_address in @blocked_ips or regex_match(".*@fraud\.example", $email_address)',
    ARRAY['verify_customer'], description => 'known bad address or domain');
SELECT fraud_create_rule('big_new_order', 'new_account_detector',
    '$order_price > 1000 and $account_age_days < 7', ARRAY['review']);
SELECT fraud_create_rule('low_risk', 'new_account_detector', '$order_price <= 1000', ARRAY['approve']);

-- version 1: the three rules, first match wins
SELECT * FROM fraud_create_detector_version('new_account_detector', rules => '[
  {"detectorId": "new_account_detector", "ruleId": "high_risk", "ruleVersion": "1"},
  {"detectorId": "new_account_detector", "ruleId": "big_new_order", "ruleVersion": "1"},
  {"detectorId": "new_account_detector", "ruleId": "low_risk", "ruleVersion": "1"}]',
  description => 'first cut');
SELECT fraud_update_detector_version_status('new_account_detector', '1', 'ACTIVE');

-- a stricter review threshold as rule version 2, shipped in detector version 2
SELECT fraud_update_rule_version(
    rule => '{"detectorId": "new_account_detector", "ruleId": "big_new_order", "ruleVersion": "1"}',
    expression => '$order_price > 500 and $account_age_days < 7',
    outcomes => ARRAY['review'], description => 'review from 500');
SELECT * FROM fraud_create_detector_version('new_account_detector', rules => '[
  {"detectorId": "new_account_detector", "ruleId": "high_risk", "ruleVersion": "1"},
  {"detectorId": "new_account_detector", "ruleId": "big_new_order", "ruleVersion": "2"},
  {"detectorId": "new_account_detector", "ruleId": "low_risk", "ruleVersion": "1"}]',
  description => 'review from 500', tags => '{"ticket": "RISK-42"}');
SELECT fraud_update_detector_version_status('new_account_detector', '2', 'ACTIVE');
