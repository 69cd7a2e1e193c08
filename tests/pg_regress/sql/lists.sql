-- CreateList, UpdateList (APPEND / REPLACE / REMOVE), GetListElements, GetListsMetadata, DeleteList
\i helpers.sql

SELECT fraud_create_list('blocked_ips', ARRAY['10.0.0.1', '10.0.0.2', '10.0.0.1'], description => 'bad ips');
SELECT fraud_create_list('empty_list');
SELECT * FROM fraud_get_list_elements('blocked_ips');
SELECT name, description, variable_type, arn, created_time = updated_time AS untouched FROM fraud_get_lists_metadata();

SELECT fraud_update_list('blocked_ips', ARRAY['10.0.0.3', '10.0.0.1'], update_mode => 'APPEND');
SELECT * FROM fraud_get_list_elements('blocked_ips');
SELECT fraud_update_list('blocked_ips', ARRAY['10.0.0.1', '10.9.9.9'], update_mode => 'REMOVE');
SELECT * FROM fraud_get_list_elements('blocked_ips');
SELECT fraud_update_list('blocked_ips', ARRAY['192.0.2.1'], update_mode => 'REPLACE', variable_type => 'IP_ADDRESS');
SELECT * FROM fraud_get_list_elements('blocked_ips');
SELECT fraud_update_list('blocked_ips', description => 'only the description');
SELECT name, description, variable_type FROM fraud_get_lists_metadata('blocked_ips');
SELECT * FROM fraud_get_list_elements('blocked_ips');
SELECT fraud_update_list('blocked_ips', ARRAY[]::text[]);
SELECT count(*) FROM fraud_get_list_elements('blocked_ips');

-- refusals
SELECT pg_temp.err($$SELECT fraud_create_list('blocked-ips')$$);
SELECT pg_temp.err($$SELECT fraud_create_list('blocked_ips')$$);
SELECT pg_temp.err($$SELECT fraud_create_list('l', ARRAY[' leading space'])$$);
SELECT pg_temp.err($$SELECT fraud_create_list('l', ARRAY['two  spaces are fine', 'a trailing one is not '])$$);
SELECT pg_temp.err($$SELECT fraud_create_list('l', ARRAY[repeat('x', 321)])$$);
SELECT pg_temp.err($$SELECT fraud_create_list('l', ARRAY['ok', NULL])$$);
SELECT pg_temp.err($$SELECT fraud_create_list('l', ARRAY(SELECT i::text FROM generate_series(1, 100001) i))$$);
SELECT pg_temp.err($$SELECT fraud_create_list('l', variable_type => 'IP')$$);
SELECT pg_temp.err($$SELECT fraud_update_list('nope', ARRAY['x'])$$);
SELECT pg_temp.err($$SELECT fraud_update_list('blocked_ips', ARRAY['x'], update_mode => 'MERGE')$$);
SELECT pg_temp.err($$SELECT fraud_update_list('blocked_ips', variable_type => 'EMAIL_ADDRESS')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_get_list_elements('nope')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_get_lists_metadata('nope')$$);
SELECT count(*) AS lists FROM fraud.lists;

-- the 100,000-element quota holds across APPENDs
SELECT fraud_create_list('big', ARRAY(SELECT 'e' || i FROM generate_series(1, 99999) i));
SELECT pg_temp.err($$SELECT fraud_update_list('big', ARRAY['x1', 'x2'], update_mode => 'APPEND')$$);
SELECT fraud_update_list('big', ARRAY['x1'], update_mode => 'APPEND');
SELECT count(*) FROM fraud_get_list_elements('big');

-- DeleteList: refused while a rule names it with @list; strings that contain '@' do not count
SELECT fraud_create_variable('ip', 'STRING', 'EVENT', '');
SELECT fraud_create_variable('email', 'STRING', 'EVENT', '');
SELECT fraud_put_entity_type('customer');
SELECT fraud_put_event_type('login', ARRAY['ip', 'email'], ARRAY['customer']);
SELECT fraud_put_detector('logins', 'login');
SELECT fraud_put_outcome('block');
SELECT fraud_create_list('gmail');
SELECT fraud_create_rule('bad_ip', 'logins', '$ip in @blocked_ips and regex_match(".*@gmail\.com", $email)', ARRAY['block']);
SELECT pg_temp.err($$SELECT fraud_delete_list('blocked_ips')$$);
SELECT fraud_delete_list('gmail');
SELECT fraud_delete_rule('{"detectorId": "logins", "ruleId": "bad_ip", "ruleVersion": "1"}');
SELECT fraud_delete_list('blocked_ips');
SELECT fraud_delete_list('blocked_ips');
SELECT name FROM fraud_get_lists_metadata();
