-- Stored events and prediction history: SendEvent, GetEvent, UpdateEventLabel, DeleteEvent,
-- DeleteEventsByEventType (a job) and its status, GetEventPrediction, ListEventPredictions,
-- GetEventPredictionMetadata. Normal use, then every refusal with its SQLSTATE.
\i helpers.sql
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
-- waits (at most 60 s) until a job is no longer running; returns its status
CREATE FUNCTION pg_temp.wait_deletion(event_type text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE s text;
BEGIN
    FOR i IN 1..1200 LOOP
        SELECT events_deletion_status INTO s FROM fraud_get_delete_events_by_event_type_status(event_type);
        EXIT WHEN s NOT IN ('IN_PROGRESS_INITIALIZING', 'IN_PROGRESS', 'CANCEL_IN_PROGRESS');
        PERFORM pg_sleep(0.05);
    END LOOP;
    RETURN s;
END $$;

SELECT fraud_put_entity_type('customer');
SELECT fraud_put_entity_type('merchant');
SELECT fraud_create_variable('email', 'STRING', 'EVENT', 'none');
SELECT fraud_create_variable('amount', 'FLOAT', 'EVENT', '0');
SELECT fraud_create_variable('items', 'INTEGER', 'EVENT', '1');
SELECT fraud_put_label('fraud');
SELECT fraud_put_label('legit');
SELECT fraud_put_label('other');
SELECT fraud_put_event_type('checkout', ARRAY['email', 'amount', 'items'], ARRAY['customer'], labels => ARRAY['fraud', 'legit']);
SELECT fraud_put_event_type('quiet', ARRAY['email'], ARRAY['customer'], event_ingestion => 'DISABLED');
SELECT fraud_put_outcome('review');
SELECT fraud_put_outcome('approve');
SELECT fraud_put_detector('shop', 'checkout');
SELECT fraud_create_rule('big', 'shop', '$amount > 1000', ARRAY['review']);
SELECT fraud_create_rule('rest', 'shop', '$amount >= 0', ARRAY['approve']);
SELECT detector_version_id FROM fraud_create_detector_version('shop', '[
  {"detectorId": "shop", "ruleId": "big", "ruleVersion": "1"},
  {"detectorId": "shop", "ruleId": "rest", "ruleVersion": "1"}]', rule_execution_mode => 'ALL_MATCHED');
SELECT fraud_update_detector_version_status('shop', '1', 'ACTIVE');
SELECT fraud_put_detector('quiet_shop', 'quiet');
SELECT fraud_create_rule('any', 'quiet_shop', '$email == "x"', ARRAY['review']);
SELECT detector_version_id FROM fraud_create_detector_version('quiet_shop', '[{"detectorId": "quiet_shop", "ruleId": "any", "ruleVersion": "1"}]');
SELECT fraud_update_detector_version_status('quiet_shop', '1', 'ACTIVE');

-- SendEvent: values may be JSON strings, numbers or booleans; stored as AFD's strings
SELECT fraud_send_event('e1', 'checkout', '2024-05-01T12:00:00Z', '{"email": "a@x.com", "amount": 12.5}',
                        '[{"entityType": "customer", "entityId": "c1"}]');
SELECT fraud_send_event(event_id => 'e2', event_type_name => 'checkout', event_timestamp => '2024-05-01T14:00:00+02:00',
                        event_variables => '{"amount": "2000", "items": "3"}',
                        entities => '[{"entityType": "customer", "entityId": "c2"}]',
                        assigned_label => 'fraud', label_timestamp => '2024-05-02T00:00:00Z');
SELECT * FROM fraud_get_event('e1', 'checkout');
SELECT * FROM fraud_get_event('e2', 'checkout');
-- label, then relabel
SELECT fraud_update_event_label('e1', 'checkout', 'legit', '2024-05-03T08:30:00Z');
SELECT fraud_update_event_label('e1', 'checkout', 'fraud', '2024/05/04 09:00:00');
SELECT current_label, label_timestamp FROM fraud_get_event('e1', 'checkout');

-- GetEventPrediction: scores like fraud_predict, records the prediction, stores the event
SELECT fraud_get_event_prediction('shop', 'e3', 'checkout', '[{"entityType": "customer", "entityId": "c3"}]',
                                  '2024-05-05T10:00:00Z', '{"amount": "1500", "email": "b@x.com"}');
SELECT fraud_predict('shop', '{"amount": "1500", "email": "b@x.com"}');
SELECT event_timestamp, event_variables, current_label FROM fraud_get_event('e3', 'checkout');
SELECT pg_sleep(0.01); -- distinct prediction timestamps (milliseconds)
-- again for the same event, with a named version: a second history row; the stored event is replaced
SELECT fraud_get_event_prediction('shop', 'e3', 'checkout', '[{"entityType": "customer", "entityId": "c3"}]',
                                  '2024-05-05T11:00:00Z', '{"amount": "5"}', detector_version_id => '1');
SELECT event_timestamp, event_variables FROM fraud_get_event('e3', 'checkout');
-- ingestion DISABLED: the prediction is recorded, the event is not stored
SELECT fraud_get_event_prediction('quiet_shop', 'q1', 'quiet', '[{"entityType": "customer", "entityId": "c9"}]',
                                  '2024-05-06T00:00:00Z', '{"email": "x"}');
SELECT count(*) AS stored_quiet_events FROM fraud.events WHERE event_type_name = 'quiet';

-- ListEventPredictions: newest first, with filters
SELECT event_id, event_type_name, event_timestamp, detector_id, detector_version_id FROM fraud_list_event_predictions();
SELECT event_id, event_timestamp FROM fraud_list_event_predictions(event_id => '{"value": "e3"}', detector_id => '{"value": "shop"}');
SELECT count(*) FROM fraud_list_event_predictions(event_type => '{"value": "quiet"}');
SELECT count(*) FROM fraud_list_event_predictions(detector_version_id => '{"value": "2"}');
SELECT count(*) FROM fraud_list_event_predictions(prediction_time_range => jsonb_build_object(
    'startTime', to_char(now() - interval '1 hour', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
    'endTime', to_char(clock_timestamp() + interval '1 hour', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')));
SELECT count(*) FROM fraud_list_event_predictions(prediction_time_range => '{"startTime": "2020-01-01T00:00:00Z", "endTime": "2020-01-02T00:00:00Z"}');

-- GetEventPredictionMetadata of the first prediction of e3
SELECT m - 'predictionTimestamp' AS metadata
FROM (SELECT fraud_get_event_prediction_metadata('e3', 'checkout', 'shop', '1',
             to_char(min(prediction_timestamp) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) AS m
      FROM fraud_list_event_predictions(event_id => '{"value": "e3"}')) x;
SELECT jsonb_pretty(fraud_get_event_prediction_metadata('e3', 'checkout', 'shop', '1',
             to_char(max(prediction_timestamp) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))->'rules')
FROM fraud_list_event_predictions(event_id => '{"value": "e3"}');
-- the prediction_timestamp may also be ListEventPredictions' value as text (in any session
-- time zone), or epoch milliseconds
SELECT fraud_get_event_prediction_metadata('e3', 'checkout', 'shop', '1', p.prediction_timestamp::text)->>'eventTimestamp' AS by_text,
       fraud_get_event_prediction_metadata('e3', 'checkout', 'shop', '1', (extract(epoch FROM p.prediction_timestamp) * 1000)::bigint::text)
         = fraud_get_event_prediction_metadata('e3', 'checkout', 'shop', '1', p.prediction_timestamp::text) AS epoch_ms_same
FROM fraud_list_event_predictions(event_id => '{"value": "e3"}') p ORDER BY p.prediction_timestamp;
SET timezone = 'Asia/Kolkata';
SELECT p.prediction_timestamp::text LIKE '%+05:30' AS shown_in_kolkata_time,
       fraud_get_event_prediction_metadata('e3', 'checkout', 'shop', '1', p.prediction_timestamp::text)->>'eventTimestamp' AS found
FROM fraud_list_event_predictions(event_id => '{"value": "e3"}') p ORDER BY p.prediction_timestamp;
SET timezone = 'UTC';

-- DeleteEvent keeps the audit history unless asked
SELECT fraud_delete_event('e3', 'checkout');
SELECT count(*) AS e3_predictions FROM fraud_list_event_predictions(event_id => '{"value": "e3"}');
SELECT fraud_send_event('e3', 'checkout', '2024-05-05T10:00:00Z', '{"amount": "1"}', '[{"entityType": "customer", "entityId": "c3"}]');
SELECT fraud_delete_event('e3', 'checkout', delete_audit_history => true);
SELECT count(*) AS e3_predictions FROM fraud_list_event_predictions(event_id => '{"value": "e3"}');
SELECT fraud_delete_event('e3', 'checkout');

-- DeleteEventsByEventType: a background job; its status is visible once it commits
INSERT INTO fraud.events (event_type_name, event_id, event_timestamp, entities, event_variables)
SELECT 'checkout', 'bulk' || i, '2024-01-01', '[]', '{}' FROM generate_series(1, 25000) i;
SELECT count(*) FROM fraud.events WHERE event_type_name = 'checkout';
SELECT * FROM fraud_delete_events_by_event_type('checkout');
SELECT pg_temp.wait_deletion('checkout');
SELECT * FROM fraud_get_delete_events_by_event_type_status('checkout');
SELECT count(*) FROM fraud.events WHERE event_type_name = 'checkout';
SELECT processed_records_count, total_records_count FROM fraud.jobs WHERE job_type = 'DELETE_EVENTS';
-- and again (a finished deletion can be repeated)
SELECT * FROM fraud_delete_events_by_event_type('checkout');
SELECT pg_temp.wait_deletion('checkout');

-- refusals
SELECT pg_temp.err($$SELECT fraud_send_event('e1', 'checkout', '2024-05-01T12:00:00Z', '{"amount": 1}', '[{"entityType": "customer", "entityId": "c1"}]')$$);
SELECT pg_temp.err($$SELECT fraud_send_event('e1', 'checkout', '2024-05-01T12:00:00Z', '{"amount": 1}', '[{"entityType": "customer", "entityId": "c1"}]')$$);
SELECT pg_temp.err($$SELECT fraud_send_event('E1', 'checkout', '2024-05-01T12:00:00Z', '{"amount": 1}', '[{"entityType": "customer", "entityId": "c1"}]')$$);
SELECT pg_temp.err($$SELECT fraud_send_event('e9', 'nope', '2024-05-01T12:00:00Z', '{"amount": 1}', '[{"entityType": "customer", "entityId": "c1"}]')$$);
SELECT pg_temp.err($$SELECT fraud_send_event('e9', 'checkout', 'yesterday', '{"amount": 1}', '[{"entityType": "customer", "entityId": "c1"}]')$$);
SELECT pg_temp.err($$SELECT fraud_send_event('e9', 'checkout', NULL, '{"amount": 1}', '[{"entityType": "customer", "entityId": "c1"}]')$$);
SELECT pg_temp.err($$SELECT fraud_send_event('e9', 'checkout', '2024-05-01T12:00:00Z', '{"amount": "lots"}', '[{"entityType": "customer", "entityId": "c1"}]')$$);
SELECT pg_temp.err($$SELECT fraud_send_event('e9', 'checkout', '2024-05-01T12:00:00Z', '{"items": 9223372036854775808}', '[{"entityType": "customer", "entityId": "c1"}]')$$);
SELECT pg_temp.err($$SELECT fraud_send_event('e9', 'checkout', '2024-05-01T12:00:00Z', '{"colour": "red"}', '[{"entityType": "customer", "entityId": "c1"}]')$$);
SELECT pg_temp.err($$SELECT fraud_send_event('e9', 'checkout', '2024-05-01T12:00:00Z', '{}', '[{"entityType": "customer", "entityId": "c1"}]')$$);
SELECT pg_temp.err($$SELECT fraud_send_event('e9', 'checkout', '2024-05-01T12:00:00Z', '{"amount": {"a": 1}}', '[{"entityType": "customer", "entityId": "c1"}]')$$);
SELECT pg_temp.err($$SELECT fraud_send_event('e9', 'checkout', '2024-05-01T12:00:00Z', '{"amount": 1}', '[{"entityType": "merchant", "entityId": "m1"}]')$$);
SELECT pg_temp.err($$SELECT fraud_send_event('e9', 'checkout', '2024-05-01T12:00:00Z', '{"amount": 1}', '[{"entityType": "customer", "entityId": "bad id"}]')$$);
SELECT pg_temp.err($$SELECT fraud_send_event('e9', 'checkout', '2024-05-01T12:00:00Z', '{"amount": 1}', '{"entityType": "customer"}')$$);
SELECT pg_temp.err($$SELECT fraud_send_event('e9', 'checkout', '2024-05-01T12:00:00Z', '{"amount": 1}', '[{"entityType": "customer", "entityId": "c1"}]', 'other', '2024-05-01T12:00:00Z')$$);
SELECT pg_temp.err($$SELECT fraud_send_event('e9', 'checkout', '2024-05-01T12:00:00Z', '{"amount": 1}', '[{"entityType": "customer", "entityId": "c1"}]', 'fraud')$$);
SELECT pg_temp.err($$SELECT fraud_send_event('q9', 'quiet', '2024-05-01T12:00:00Z', '{"email": "x"}', '[{"entityType": "customer", "entityId": "c1"}]')$$);
SELECT count(*) AS stored_after_refusals FROM fraud.events;
SELECT pg_temp.err($$SELECT * FROM fraud_get_event('e404', 'checkout')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_get_event('e1', 'nope')$$);
SELECT pg_temp.err($$SELECT fraud_update_event_label('e404', 'checkout', 'fraud', '2024-05-01T12:00:00Z')$$);
SELECT pg_temp.err($$SELECT fraud_update_event_label('e1', 'checkout', 'other', '2024-05-01T12:00:00Z')$$);
SELECT pg_temp.err($$SELECT fraud_update_event_label('e1', 'checkout', 'fraud', '31/31/2024 10:00')$$);
SELECT pg_temp.err($$SELECT fraud_delete_event('e1', 'checkout', NULL)$$);
SELECT pg_temp.err($$SELECT fraud_get_event_prediction('nope', 'e5', 'checkout', '[]', '2024-05-01T12:00:00Z', '{"amount": 1}')$$);
SELECT pg_temp.err($$SELECT fraud_get_event_prediction('shop', 'e5', 'quiet', '[]', '2024-05-01T12:00:00Z', '{"email": "x"}')$$);
SELECT pg_temp.err($$SELECT fraud_get_event_prediction('shop', 'e5', 'checkout', '[]', '2024-05-01T12:00:00Z', '{"amount": 1}', '7')$$);
SELECT pg_temp.err($$SELECT fraud_get_event_prediction('shop', 'e5', 'checkout', '[]', 'soon', '{"amount": 1}')$$);
SELECT count(*) AS history_after_refusals FROM fraud.event_predictions;
SELECT pg_temp.err($$SELECT * FROM fraud_list_event_predictions(event_id => '"e1"')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_list_event_predictions(event_id => '{"value": "e 1"}')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_list_event_predictions(prediction_time_range => '{"startTime": "2024-01-02T00:00:00Z"}')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_list_event_predictions(prediction_time_range => '{"startTime": "2024-01-02T00:00:00Z", "endTime": "2024-01-01T00:00:00Z"}')$$);
SELECT pg_temp.err($$SELECT fraud_get_event_prediction_metadata('e1', 'checkout', 'shop', '1', '2020-01-01T00:00:00Z')$$);
SELECT pg_temp.err($$SELECT fraud_get_event_prediction_metadata('e1', 'checkout', 'shop', 'one', '2020-01-01T00:00:00Z')$$);
SELECT pg_temp.err($$SELECT fraud_get_event_prediction_metadata('e1', 'checkout', 'shop', '1', '1577836800000')$$);
SELECT pg_temp.err($$SELECT fraud_get_event_prediction_metadata('e1', 'checkout', 'shop', '1', 'last week')$$);
-- a label stored events carry cannot be deleted, even once the event type no longer lists it
SELECT fraud_update_event_label('e1', 'checkout', 'fraud', '2024-05-01T12:00:00Z');
SELECT fraud_put_event_type('checkout', ARRAY['email', 'amount', 'items'], ARRAY['customer'], labels => ARRAY['legit']);
SELECT pg_temp.err($$SELECT fraud_delete_label('fraud')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_delete_events_by_event_type('nope')$$);
SELECT pg_temp.err($$SELECT * FROM fraud_get_delete_events_by_event_type_status('quiet')$$);
