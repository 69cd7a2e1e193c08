-- Event orchestration (docs/sql-reference.md, "Prediction notifications"): the payload
-- fraud_get_event_prediction sends with NOTIFY for an event type with eventBridgeEnabled, its
-- size limit, what records (and so sends) nothing, and the outbox reading by prediction_id.
-- The notifications themselves are heard by a second session in tests/orchestration.sh: psql
-- prints the sending server process's PID with each one, which no expected file can hold.
\i helpers.sql
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';

SELECT fraud_put_entity_type('customer');
SELECT fraud_put_entity_type('merchant');
SELECT fraud_create_variable('amount', 'FLOAT', 'EVENT', '0');
SELECT fraud_put_event_type('payment', ARRAY['amount'], ARRAY['customer', 'merchant'],
                            event_orchestration => '{"eventBridgeEnabled": true}');
SELECT fraud_put_outcome('review');
SELECT fraud_put_outcome('hold');
SELECT fraud_put_outcome('approve');
SELECT fraud_put_detector('pay', 'payment');
SELECT fraud_create_rule('big', 'pay', '$amount > 1000', ARRAY['review', 'hold']);
SELECT fraud_create_rule('huge', 'pay', '$amount > 5000', ARRAY['hold']);
SELECT fraud_create_rule('rest', 'pay', '$amount >= 0', ARRAY['approve']);
SELECT detector_version_id FROM fraud_create_detector_version('pay', '[
  {"detectorId": "pay", "ruleId": "big", "ruleVersion": "1"},
  {"detectorId": "pay", "ruleId": "huge", "ruleVersion": "1"},
  {"detectorId": "pay", "ruleId": "rest", "ruleVersion": "1"}]', rule_execution_mode => 'ALL_MATCHED');
SELECT fraud_update_detector_version_status('pay', '1', 'ACTIVE');
SELECT event_orchestration FROM fraud_get_event_types('payment');

-- a prediction, and the payload its notification carries: the documented fields, outcomes in
-- rule order without repeats, the version as a string, times in UTC
SELECT fraud_get_event_prediction('pay', 'p1', 'payment',
    '[{"entityType": "customer", "entityId": "c1"}, {"entityType": "merchant", "entityId": "m.7@shop"}]',
    '2024-05-01 14:00:00+02', '{"amount": "6000"}');
SELECT regexp_replace(fraud._prediction_notification(p), '"predictionTimestamp": "[^"]*"', '"predictionTimestamp": "(masked)"') AS payload
FROM fraud.event_predictions p;
SELECT k AS field, jsonb_typeof(fraud._prediction_notification(p)::jsonb->k) AS json_type
FROM fraud.event_predictions p, jsonb_object_keys(fraud._prediction_notification(p)::jsonb) k ORDER BY k;
-- predictionTimestamp is the row's, to the millisecond, as GetEventPredictionMetadata finds it
SELECT fraud._prediction_notification(p)::jsonb->>'predictionTimestamp' ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$' AS iso_ms,
       (fraud._prediction_notification(p)::jsonb->>'predictionTimestamp')::timestamptz = p.prediction_timestamp AS same_instant,
       fraud_get_event_prediction_metadata('p1', 'payment', 'pay', '1', fraud._prediction_notification(p)::jsonb->>'predictionTimestamp')
         ->>'eventId' AS found_by_it
FROM fraud.event_predictions p;
-- the payload of a row is unique to it: the same event predicted twice in one transaction
-- gives two payloads (NOTIFY would merge identical ones)
BEGIN;
SELECT fraud_get_event_prediction('pay', 'p2', 'payment', '[{"entityType": "customer", "entityId": "c2"}]',
                                  '2024-05-01T12:00:00Z', '{"amount": "5"}') IS NOT NULL AS predicted;
SELECT fraud_get_event_prediction('pay', 'p2', 'payment', '[{"entityType": "customer", "entityId": "c2"}]',
                                  '2024-05-01T12:00:00Z', '{"amount": "5"}') IS NOT NULL AS predicted;
COMMIT;
SELECT count(*) AS predictions, count(DISTINCT fraud._prediction_notification(p)) AS distinct_payloads
FROM fraud.event_predictions p WHERE event_id = 'p2';

-- nothing recorded, nothing to send: a rolled-back prediction, fraud_predict, fraud_send_event
BEGIN;
SELECT fraud_get_event_prediction('pay', 'p3', 'payment', '[{"entityType": "customer", "entityId": "c3"}]',
                                  '2024-05-01T12:00:00Z', '{"amount": "5"}') IS NOT NULL AS predicted;
ROLLBACK;
SELECT fraud_predict('pay', '{"amount": 5}');
SELECT fraud_send_event('s1', 'payment', '2024-05-01T12:00:00Z', '{"amount": "5"}', '[{"entityType": "customer", "entityId": "c4"}]');
SELECT string_agg(event_id, ',' ORDER BY prediction_id) AS recorded FROM fraud.event_predictions;

-- the size limit: PostgreSQL refuses a payload of 8000 bytes or more. payload(n, outcomes):
-- the payload of a row with 32 entities whose ids have n characters together
CREATE FUNCTION pg_temp.payload(id_chars int, outcomes jsonb DEFAULT '["review"]') RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT fraud._prediction_notification(ROW(12345, 'pay', 1, 'payment', 'p-big', '2024-05-01T12:00:00Z',
      '2024-05-01T12:00:01.5Z',
      (SELECT jsonb_agg(jsonb_build_object('entityType', 'customer',
                        'entityId', lpad(i::text, id_chars / 32 + (i <= id_chars % 32)::int, 'x')) ORDER BY i)
       FROM generate_series(1, 32) i),
      '{"modelScores": []}', jsonb_build_object('outcomes', outcomes), false)::fraud.event_predictions)
$$;
-- its length is a constant plus n
SELECT octet_length(pg_temp.payload(64)) - 64 AS fixed \gset
SELECT octet_length(pg_temp.payload(1000)) - 1000 = :fixed AS linear;
SELECT size, octet_length(x) AS bytes, x::jsonb->'truncated' AS truncated,
       jsonb_array_length(x::jsonb->'entities') AS entities,
       x::jsonb->>'predictionId' AS prediction_id, x::jsonb->>'eventTypeName' AS event_type, x::jsonb->>'eventId' AS event_id
FROM unnest(ARRAY[7998, 7999, 8000, 8001, 9000, 100000]) size, pg_temp.payload(size - :fixed) x;
-- the largest part goes first: 300 outcomes of 40 characters outweigh 5000 characters of ids
SELECT octet_length(x) < 8000 AS fits, x::jsonb->'truncated' AS truncated, x::jsonb ? 'entities' AS has_entities,
       x::jsonb ? 'outcomes' AS has_outcomes
FROM pg_temp.payload(5000, (SELECT jsonb_agg(lpad(i::text, 40, 'o')) FROM generate_series(1, 300) i)) x;
-- and the next one too when the payload still does not fit
SELECT octet_length(x) AS bytes, x AS payload
FROM pg_temp.payload(7900, (SELECT jsonb_agg(lpad(i::text, 40, 'o')) FROM generate_series(1, 190) i)) x;

-- the outbox, read by prediction_id as docs/sql-reference.md shows: the bound (step 1), the
-- check that the transactions running then have ended (step 2), the rows up to the bound (step 3)
\set last 1
SELECT pg_current_snapshot() AS snap, coalesce(max(prediction_id), 0) AS upto FROM fraud.event_predictions \gset
SELECT pg_typeof(pg_snapshot_xmin(pg_current_snapshot()) >= pg_snapshot_xmax(:'snap')) AS settled_type;
SELECT prediction_id, event_type_name, event_id, event_timestamp, entities, detector_id, detector_version_id,
       metadata->'outcomes' AS outcomes, result->'modelScores' AS model_scores
FROM fraud.event_predictions
WHERE prediction_id > :last AND prediction_id <= :upto
ORDER BY prediction_id;
-- the row and the payload say the same, field by field
SELECT count(*) AS rows_equal_to_their_payload
FROM fraud.event_predictions p, LATERAL (SELECT fraud._prediction_notification(p)::jsonb AS n) x
WHERE n->'predictionId' = to_jsonb(p.prediction_id) AND n->>'eventTypeName' = p.event_type_name
  AND n->>'eventId' = p.event_id AND n->'entities' = p.entities AND n->>'detectorId' = p.detector_id
  AND n->>'detectorVersionId' = p.detector_version_id::text AND n->'outcomes' = p.metadata->'outcomes'
  AND n->'modelScores' = p.result->'modelScores' AND (n->>'eventTimestamp')::timestamptz = p.event_timestamp
  AND (n->>'predictionTimestamp')::timestamptz = p.prediction_timestamp;
