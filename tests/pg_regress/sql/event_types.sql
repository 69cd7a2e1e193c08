-- PutEventType, GetEventTypes, DeleteEventType
\i helpers.sql

SELECT fraud_put_entity_type('customer');
SELECT fraud_put_entity_type('merchant');
SELECT fraud_put_label('fraud');
SELECT fraud_put_label('legit');
SELECT fraud_create_variable('amount', 'FLOAT', 'EVENT', '0');
SELECT fraud_create_variable('country', 'STRING', 'EVENT', 'XX');

SELECT fraud_put_event_type('payment', ARRAY['amount', 'country'], ARRAY['customer', 'merchant'],
    description => 'card payment', labels => ARRAY['fraud', 'legit'], event_ingestion => 'DISABLED',
    event_orchestration => '{"eventBridgeEnabled": false}', tags => '[{"key": "owner", "value": "payments"}]');
SELECT name, description, event_variables, labels, entity_types, event_ingestion, event_orchestration, arn
FROM fraud_get_event_types('payment');
-- Put again replaces the definition (members keep the order given)
SELECT fraud_put_event_type('payment', ARRAY['country', 'amount'], ARRAY['customer']);
SELECT name, description, event_variables, labels, entity_types, event_ingestion FROM fraud_get_event_types();
SELECT * FROM fraud_list_tags_for_resource('arn:fraud:regression:event-type/payment');

-- refusals
SELECT pg_temp.err($$SELECT fraud_put_event_type('Payment', ARRAY['amount'], ARRAY['customer'])$$);
SELECT pg_temp.err($$SELECT fraud_put_event_type('refund', ARRAY[]::text[], ARRAY['customer'])$$);
SELECT pg_temp.err($$SELECT fraud_put_event_type('refund', ARRAY['amount'], NULL)$$);
SELECT pg_temp.err($$SELECT fraud_put_event_type('refund', ARRAY['amount', 'amount'], ARRAY['customer'])$$);
SELECT pg_temp.err($$SELECT fraud_put_event_type('refund', ARRAY['amount', 'nope'], ARRAY['customer'])$$);
SELECT pg_temp.err($$SELECT fraud_put_event_type('refund', ARRAY['amount'], ARRAY['bank'])$$);
SELECT pg_temp.err($$SELECT fraud_put_event_type('refund', ARRAY['amount'], ARRAY['customer'], labels => ARRAY['chargeback'])$$);
SELECT pg_temp.err($$SELECT fraud_put_event_type('refund', ARRAY['amount'], ARRAY['customer'], event_ingestion => 'ON')$$);
SELECT pg_temp.err($$SELECT fraud_put_event_type('refund', ARRAY['amount'], ARRAY['customer'], event_orchestration => '{"eventBridgeEnabled": "yes"}')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_get_event_types('refund')$$);
SELECT count(*) AS refund_rows FROM fraud.event_types WHERE name = 'refund';

-- DeleteEventType: refused while a detector uses it
SELECT fraud_put_detector('payments', 'payment');
SELECT pg_temp.err($$SELECT fraud_delete_event_type('payment')$$);
SELECT pg_temp.err($$SELECT fraud_delete_event_type('Pay ment')$$);
SELECT fraud_delete_detector('payments');
SELECT fraud_delete_event_type('payment');
SELECT fraud_delete_event_type('payment');
SELECT (SELECT count(*) FROM fraud.event_types) AS event_types,
       (SELECT count(*) FROM fraud.event_type_variables) AS members,
       (SELECT count(*) FROM fraud.tags) AS tags;
-- its members are free again
SELECT fraud_delete_variable('amount');
SELECT fraud_delete_entity_type('merchant');
