-- Score the sample detector's events three ways (README command 1 prints this).
\pset footer off
\echo '-- a table of registrations scored by a BEFORE INSERT trigger'
CREATE TABLE registrations (
    id serial PRIMARY KEY, email_address text, ip_address text, order_price numeric,
    account_age_days int, outcomes text[], prediction jsonb);
CREATE TRIGGER score BEFORE INSERT OR UPDATE ON registrations
    FOR EACH ROW EXECUTE FUNCTION fraud_score_trigger('new_account_detector', 'outcomes', 'prediction');
INSERT INTO registrations (email_address, ip_address, order_price, account_age_days) VALUES
    ('ana@example.com',      '198.51.100.4', 35.00,  400),
    ('bo@fraud.example',     '198.51.100.5', 12.50,  3),
    ('cy@example.com',       '203.0.113.7',  80.00,  90),
    ('dee@example.com',      '198.51.100.6', 750.00, 1),
    ('eve@example.com',      '198.51.100.7', 2500.00, 365);
SELECT id, email_address, ip_address, order_price, account_age_days, outcomes FROM registrations ORDER BY id;
\echo '-- the same events scored in a query, with the full AFD-shaped result'
SELECT id, fraud_predict('new_account_detector', to_jsonb(r)) AS prediction FROM registrations r ORDER BY id;
\echo '-- why the fourth event was sent to review (AFD GetEventPredictionMetadata)'
SELECT r->>'ruleId' AS rule, r->>'evaluated' AS evaluated, r->>'matched' AS matched, r->>'expressionWithValues' AS expression_with_values
FROM registrations, jsonb_array_elements(fraud_explain('new_account_detector', to_jsonb(registrations))->'rules') r
WHERE id = 4;
\echo '-- GetEventPrediction: scores, records the prediction (the audit trail) and stores the event'
SELECT fraud_get_event_prediction('new_account_detector', 'signup-1001', 'registration',
    entities => '[{"entityType": "customer", "entityId": "cust-77"}]', event_timestamp => '2024-05-01T12:00:00Z',
    event_variables => '{"email_address": "zed@example.com", "ip_address": "203.0.113.7", "order_price": "60"}') AS prediction;
SELECT event_id, event_type_name, event_timestamp, detector_id, detector_version_id FROM fraud_list_event_predictions();
\echo '-- a batch prediction job over 50,000 registrations: a background worker scores them while this session polls its status'
CREATE TABLE applications AS
SELECT i AS id, 'user' || i || CASE WHEN i % 500 = 0 THEN '@fraud.example' ELSE '@example.com' END AS email_address,
       '198.51.100.' || (i % 200) AS ip_address, (i * 37 % 3000)::numeric AS order_price, i % 400 AS account_age_days
FROM generate_series(1, 50000) i;
SELECT fraud_create_batch_prediction_job('demo_job', 'applications', 'applications_scored',
                                         'registration', 'new_account_detector');
DO $$
BEGIN
    LOOP
        PERFORM pg_sleep(0.2);
        EXIT WHEN (SELECT status FROM fraud_get_batch_prediction_jobs('demo_job'))
                  NOT IN ('IN_PROGRESS_INITIALIZING', 'IN_PROGRESS');
    END LOOP;
END $$;
SELECT job_id, status, processed_records_count, total_records_count, detector_version,
       completion_time - start_time AS took FROM fraud_get_batch_prediction_jobs('demo_job');
SELECT outcomes, count(*) FROM applications_scored GROUP BY 1 ORDER BY 2 DESC;
