-- TagResource, UntagResource, ListTagsForResource, on every kind of resource ARN
\i helpers.sql

SELECT fraud_put_entity_type('customer', tags => '{"a": "1"}');
SELECT fraud_put_label('fraud');
SELECT fraud_put_outcome('review');
SELECT fraud_create_variable('amount', 'FLOAT', 'EVENT', '0');
SELECT fraud_put_event_type('payment', ARRAY['amount'], ARRAY['customer']);
SELECT fraud_create_list('l');
SELECT fraud_put_detector('payments', 'payment');
SELECT fraud_create_rule('big', 'payments', '$amount > 1', ARRAY['review']);
SELECT detector_version_id FROM fraud_create_detector_version('payments', '[]');

SELECT fraud_tag_resource(arn, jsonb_build_object('kind', split_part(split_part(arn, ':', 4), '/', 1)))
FROM (SELECT arn FROM fraud_get_entity_types() UNION ALL SELECT arn FROM fraud_get_labels()
      UNION ALL SELECT arn FROM fraud_get_outcomes() UNION ALL SELECT arn FROM fraud_get_variables()
      UNION ALL SELECT arn FROM fraud_get_event_types() UNION ALL SELECT arn FROM fraud_get_lists_metadata()
      UNION ALL SELECT arn FROM fraud_get_detectors() UNION ALL SELECT arn FROM fraud_get_rules('payments')
      UNION ALL SELECT arn FROM fraud_get_detector_version('payments', '1')) arns;
SELECT resource_type, resource_id, key, value FROM fraud.tags ORDER BY 1, 2, 3;

-- both tag shapes; a repeated key overwrites
SELECT fraud_tag_resource('arn:fraud:regression:entity-type/customer', '[{"key": "team", "value": "risk"}, {"key": "a", "value": "2"}]');
SELECT * FROM fraud_list_tags_for_resource('arn:fraud:regression:entity-type/customer');
SELECT fraud_untag_resource('arn:fraud:regression:entity-type/customer', ARRAY['a', 'not-there']);
SELECT * FROM fraud_list_tags_for_resource('arn:fraud:regression:entity-type/customer');

-- refusals
SELECT pg_temp.err($$SELECT fraud_tag_resource('arn:fraud:regression:entity-type/nobody', '{"a": "b"}')$$);
SELECT pg_temp.err($$SELECT fraud_tag_resource('arn:fraud:otherdb:entity-type/customer', '{"a": "b"}')$$);
SELECT pg_temp.err($$SELECT fraud_tag_resource('arn:fraud:regression:planet/customer', '{"a": "b"}')$$);
SELECT pg_temp.err($$SELECT fraud_tag_resource('not an arn', '{"a": "b"}')$$);
SELECT pg_temp.err($$SELECT fraud_tag_resource('arn:fraud:regression:detector-version/payments/9', '{"a": "b"}')$$);
SELECT pg_temp.err($$SELECT fraud_tag_resource('arn:fraud:regression:entity-type/customer', '{"a": 1}')$$);
SELECT pg_temp.err($$SELECT fraud_tag_resource('arn:fraud:regression:entity-type/customer', '[{"key": "a"}]')$$);
SELECT pg_temp.err($$SELECT fraud_tag_resource('arn:fraud:regression:entity-type/customer', '[{"key": "a", "value": "1"}, {"key": "a", "value": "2"}]')$$);
SELECT pg_temp.err($$SELECT fraud_tag_resource('arn:fraud:regression:entity-type/customer', '{"bad#key": "1"}')$$);
SELECT pg_temp.err($$SELECT fraud_tag_resource('arn:fraud:regression:entity-type/customer', jsonb_build_object('k', repeat('v', 257)))$$);
SELECT pg_temp.err($$SELECT fraud_tag_resource('arn:fraud:regression:entity-type/customer', NULL)$$);
SELECT pg_temp.err($$SELECT fraud_tag_resource('arn:fraud:regression:entity-type/customer', (SELECT jsonb_object_agg('k' || i, 'v') FROM generate_series(1, 201) i))$$);
SELECT fraud_tag_resource('arn:fraud:regression:label/fraud', (SELECT jsonb_object_agg('k' || i, 'v') FROM generate_series(1, 150) i));
SELECT pg_temp.err($$SELECT fraud_tag_resource('arn:fraud:regression:label/fraud', (SELECT jsonb_object_agg('j' || i, 'v') FROM generate_series(1, 60) i))$$);
SELECT count(*) AS label_tags FROM fraud_list_tags_for_resource('arn:fraud:regression:label/fraud');
SELECT pg_temp.err($$SELECT fraud_untag_resource('arn:fraud:regression:label/fraud', ARRAY(SELECT 'k' || i FROM generate_series(1, 51) i))$$);
SELECT pg_temp.err($$SELECT fraud_untag_resource('arn:fraud:regression:label/nope', ARRAY['a'])$$);
SELECT pg_temp.err($$SELECT * FROM fraud_list_tags_for_resource('arn:fraud:regression:list/nope')$$);

-- deleting a resource deletes its tags
SELECT fraud_delete_list('l');
SELECT count(*) FROM fraud.tags WHERE resource_type = 'list';
