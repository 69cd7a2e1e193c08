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
