-- Entity types, labels and outcomes: Put creates or updates, Get with a name returns that one
-- or 42704, Delete refuses what is in use (55006) and skips what is missing (NOTICE).
\i helpers.sql

-- PutEntityType / GetEntityTypes / DeleteEntityType
SELECT fraud_put_entity_type('customer');
SELECT fraud_put_entity_type('customer', 'now with a description');
SELECT name, description FROM fraud_get_entity_types('customer');
SELECT pg_temp.err($$SELECT fraud_put_entity_type('Customer')$$);
SELECT pg_temp.err($$SELECT fraud_put_entity_type(NULL)$$);
SELECT pg_temp.err($$SELECT fraud_put_entity_type(repeat('a', 65))$$);
SELECT pg_temp.err($$SELECT fraud_put_entity_type('merchant', repeat('d', 129))$$);
SELECT pg_temp.err($$SELECT * FROM fraud_get_entity_types('nobody')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_get_entity_types('Bad Name')$$);

-- PutLabel / GetLabels / DeleteLabel
SELECT fraud_put_label('fraud', 'confirmed fraud');
SELECT fraud_put_label('legit');
SELECT name, description FROM fraud_get_labels();
SELECT pg_temp.err($$SELECT fraud_put_label('fraud!')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_get_labels('chargeback')$$);

-- PutOutcome / GetOutcomes / DeleteOutcome
SELECT fraud_put_outcome('review');
SELECT fraud_put_outcome('approve', 'let it through');
SELECT name, description FROM fraud_get_outcomes();
SELECT pg_temp.err($$SELECT fraud_put_outcome('re view')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_get_outcomes('block')$$);

-- in use: an entity type or label in an event type, an outcome in a rule version
SELECT fraud_create_variable('amount', 'FLOAT', 'EVENT', '0');
SELECT fraud_put_event_type('payment', ARRAY['amount'], ARRAY['customer'], labels => ARRAY['fraud']);
SELECT fraud_put_detector('d', 'payment');
SELECT fraud_create_rule('big', 'd', '$amount > 100', ARRAY['review']);
SELECT pg_temp.err($$SELECT fraud_delete_entity_type('customer')$$);
SELECT pg_temp.err($$SELECT fraud_delete_label('fraud')$$);
SELECT pg_temp.err($$SELECT fraud_delete_outcome('review')$$);
SELECT pg_temp.err($$SELECT fraud_delete_label('Fraud')$$);

-- deletes that are allowed; a second delete is a NOTICE, not an error
SELECT fraud_delete_label('legit');
SELECT fraud_delete_label('legit');
SELECT fraud_delete_outcome('approve');
SELECT name FROM fraud_get_outcomes();
SELECT fraud_delete_rule('{"detectorId": "d", "ruleId": "big", "ruleVersion": "1"}');
SELECT fraud_delete_outcome('review');
SELECT fraud_delete_detector('d');
SELECT fraud_delete_event_type('payment');
SELECT fraud_delete_entity_type('customer');
SELECT fraud_delete_label('fraud');
SELECT (SELECT count(*) FROM fraud.entity_types) + (SELECT count(*) FROM fraud.labels)
     + (SELECT count(*) FROM fraud.outcomes) AS left_over;
