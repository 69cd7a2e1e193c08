-- CreateVariable, BatchCreateVariable, GetVariables, BatchGetVariable, UpdateVariable, DeleteVariable
\i helpers.sql

SELECT fraud_create_variable('email_address', 'STRING', 'EVENT', '', description => 'who', variable_type => 'EMAIL_ADDRESS');
SELECT fraud_create_variable('order_price', 'FLOAT', 'EVENT', '0.0');
SELECT fraud_create_variable('item_count', 'INTEGER', 'EVENT', '1');
SELECT fraud_create_variable('is_member', 'BOOLEAN', 'EVENT', 'false');
SELECT fraud_create_variable('signup_time', 'DATETIME', 'EVENT', '2020-01-01T00:00:00Z');
SELECT name, data_type, data_source, default_value, description, variable_type FROM fraud_get_variables();
SELECT name, arn FROM fraud_get_variables('item_count');

-- refusals: pattern, enums, default value of the wrong type, model-only sources, duplicate
SELECT pg_temp.err($$SELECT fraud_create_variable('Email', 'STRING', 'EVENT', '')$$);
SELECT pg_temp.err($$SELECT fraud_create_variable('x-y', 'STRING', 'EVENT', '')$$);
SELECT pg_temp.err($$SELECT fraud_create_variable('x', 'TEXT', 'EVENT', '')$$);
SELECT pg_temp.err($$SELECT fraud_create_variable('x', 'STRING', 'SOMEWHERE', '')$$);
SELECT pg_temp.err($$SELECT fraud_create_variable('x', 'STRING', 'MODEL_SCORE', '')$$);
SELECT pg_temp.err($$SELECT fraud_create_variable('x', 'INTEGER', 'EVENT', 'ten')$$);
SELECT pg_temp.err($$SELECT fraud_create_variable('x', 'FLOAT', 'EVENT', '1,5')$$);
SELECT pg_temp.err($$SELECT fraud_create_variable('x', 'BOOLEAN', 'EVENT', 'yes')$$);
SELECT pg_temp.err($$SELECT fraud_create_variable('x', 'DATETIME', 'EVENT', 'yesterday-ish')$$);
SELECT pg_temp.err($$SELECT fraud_create_variable('x', 'STRING', 'EVENT', NULL)$$);
SELECT pg_temp.err($$SELECT fraud_create_variable('x', 'STRING', 'EVENT', '', variable_type => 'EMAIL')$$);
SELECT pg_temp.err($$SELECT fraud_create_variable('order_price', 'FLOAT', 'EVENT', '0')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_get_variables('nope')$$);

-- BatchCreateVariable: good entries land, bad ones come back with a code and a message
SELECT * FROM fraud_batch_create_variable('[
  {"name": "ip_address", "dataType": "STRING", "dataSource": "EVENT", "defaultValue": "0.0.0.0", "variableType": "IP_ADDRESS"},
  {"name": "order_price", "dataType": "FLOAT", "dataSource": "EVENT", "defaultValue": "0"},
  {"name": "Bad", "dataType": "STRING", "dataSource": "EVENT", "defaultValue": ""},
  {"name": "card_bin", "dataType": "INTEGER", "dataSource": "EVENT", "defaultValue": "x"},
  "not an object"
]', tags => '{"source": "batch"}');
SELECT name FROM fraud_get_variables() WHERE name IN ('ip_address', 'card_bin');
SELECT * FROM fraud_list_tags_for_resource('arn:fraud:regression:variable/ip_address');
SELECT pg_temp.err($$SELECT * FROM fraud_batch_create_variable('[]')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_batch_create_variable('{"name": "x"}')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_batch_create_variable((SELECT jsonb_agg(jsonb_build_object('name', 'v' || i)) FROM generate_series(1, 26) i))$$);
SELECT pg_temp.err($$SELECT * FROM fraud_batch_create_variable('[{"name": "ok_name", "dataType": "STRING", "dataSource": "EVENT", "defaultValue": ""}]', tags => '"bad"')$$);
SELECT count(*) AS ok_name_created FROM fraud.variables WHERE name = 'ok_name';

-- BatchGetVariable: found rows, and one error row for each unknown name
SELECT name, data_type, error_code, error_message FROM fraud_batch_get_variable(ARRAY['order_price', 'missing_one', 'item_count']);
SELECT pg_temp.err($$SELECT * FROM fraud_batch_get_variable(ARRAY[]::text[])$$);
SELECT pg_temp.err($$SELECT * FROM fraud_batch_get_variable(ARRAY['a', 'a'])$$);
SELECT pg_temp.err($$SELECT * FROM fraud_batch_get_variable(ARRAY(SELECT 'v' || i FROM generate_series(1, 101) i))$$);

-- UpdateVariable: NULL leaves an attribute as it is; the default must fit the data type
SELECT fraud_update_variable('order_price', default_value => '9.5', description => 'price in EUR');
SELECT fraud_update_variable('order_price', variable_type => 'PRICE');
SELECT name, default_value, description, variable_type FROM fraud_get_variables('order_price');
SELECT pg_temp.err($$SELECT fraud_update_variable('order_price', default_value => 'cheap')$$);
SELECT pg_temp.err($$SELECT fraud_update_variable('nope', default_value => '1')$$);
SELECT pg_temp.err($$SELECT fraud_update_variable('order_price', variable_type => 'MONEY')$$);

-- DeleteVariable: refused while an event type uses it
SELECT fraud_put_entity_type('customer');
SELECT fraud_put_event_type('checkout', ARRAY['order_price'], ARRAY['customer']);
SELECT pg_temp.err($$SELECT fraud_delete_variable('order_price')$$);
SELECT fraud_delete_variable('item_count');
SELECT fraud_delete_variable('item_count');
SELECT count(*) FROM fraud_get_variables() WHERE name = 'item_count';
