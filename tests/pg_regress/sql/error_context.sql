-- Errors a caller can cause show their message, DETAIL and HINT, and no CONTEXT lines naming
-- the extension's internal functions (docs/sql-reference.md, "Errors"). The failing calls here
-- are not caught, so this file records what psql prints at its default verbosity: an ERROR
-- line, a DETAIL or HINT when there is one, never a CONTEXT line. Internal errors (XX000) keep
-- their context. A user's own PL/pgSQL function still catches these errors with their SQLSTATE
-- and message, and its own errors keep their CONTEXT afterwards.
\i helpers.sql

SELECT fraud_put_entity_type('customer');
SELECT fraud_create_variable('amount', 'FLOAT', 'EVENT', '0');
SELECT fraud_put_event_type('payment', ARRAY['amount'], ARRAY['customer']);
SELECT fraud_put_outcome('review');
SELECT fraud_put_detector('pay', 'payment');
SELECT fraud_create_rule('big', 'pay', '$amount > 100', ARRAY['review']);
SELECT detector_version_id FROM fraud_create_detector_version('pay', '[{"detectorId": "pay", "ruleId": "big", "ruleVersion": "1"}]');
SELECT fraud_update_detector_version_status('pay', '1', 'ACTIVE');

-- 22023 from the pattern check, four internal functions deep
SELECT fraud_put_entity_type('Customer');
-- 22023: a required argument
SELECT fraud_create_variable('n', 'INTEGER', 'EVENT', NULL);
-- 22023: a timestamp, from an event
SELECT fraud_send_event('e1', 'payment', 'yesterday', '{"amount": "1"}', '[{"entityType": "customer", "entityId": "c1"}]');
-- 42704
SELECT * FROM fraud_get_detectors('nope');
SELECT fraud_get_event_prediction('nope', 'e1', 'payment', '[]', '2024-05-01T12:00:00Z', '{"amount": "1"}');
-- 55006
SELECT fraud_delete_entity_type('customer');
SELECT fraud_update_detector_version_status('pay', '1', 'DRAFT');
-- 23505
SELECT fraud_create_variable('amount', 'FLOAT', 'EVENT', '0');
-- 42601 with its DETAIL, raised in Rust under PL/pgSQL
SELECT fraud_create_rule('r', 'pay', '$amount > 5 and', ARRAY['review']);
-- 22023 from Rust (type check) under PL/pgSQL; 55006 for an event type change that would
-- break a rule (the rule's 22023 caught and raised again)
SELECT fraud_create_rule('r', 'pay', '$nope == 1', ARRAY['review']);
SELECT fraud_create_variable('tries', 'INTEGER', 'EVENT', '0');
SELECT fraud_put_event_type('payment', ARRAY['amount', 'tries'], ARRAY['customer']);
SELECT fraud_create_rule('tries', 'pay', '$tries > 3', ARRAY['review']);
SELECT fraud_put_event_type('payment', ARRAY['amount'], ARRAY['customer']);
-- 22P02 from scoring, and from a trigger
SELECT fraud_predict('pay', '{"amount": "lots"}');
CREATE TABLE payments (amount text, outcomes text[]);
CREATE TRIGGER score BEFORE INSERT ON payments FOR EACH ROW EXECUTE FUNCTION fraud_score_trigger('pay', 'outcomes');
INSERT INTO payments (amount) VALUES ('lots');
-- scoring called straight from a user's statement keeps that statement's CONTEXT: the COPY
-- line the trigger could not score, the line of the user's own function
COPY payments (amount) FROM stdin;
5
lots
\.
CREATE FUNCTION public.score_in_mine(ev jsonb) RETURNS text[] LANGUAGE plpgsql AS $$
BEGIN
    RETURN fraud_outcomes('pay', ev);
END $$;
SELECT public.score_in_mine('{"amount": "lots"}');
DROP FUNCTION public.score_in_mine(jsonb);
-- 54000
SELECT fraud_tag_resource(fraud._arn('outcome', 'review'), (SELECT jsonb_object_agg('a' || i, 'v') FROM generate_series(1, 150) i));
SELECT fraud_tag_resource(fraud._arn('outcome', 'review'), (SELECT jsonb_object_agg('b' || i, 'v') FROM generate_series(1, 60) i));
-- 42P07
CREATE TABLE scored (x int);
SELECT fraud_create_batch_prediction_job('p1', 'SELECT 1 AS amount', 'scored', 'payment', 'pay');
-- 42501: job inputs the caller may not read (a table, a query naming a schema it may not use,
-- a server-side file)
SET client_min_messages = warning;
DROP ROLE IF EXISTS fraud_regress_reader;
RESET client_min_messages;
CREATE ROLE fraud_regress_reader;
SELECT fraud_grant('jobs', 'fraud_regress_reader');
CREATE TABLE secret_events (event_id text, event_timestamp text, entity_id text, entity_type text);
CREATE SCHEMA regress_private;
CREATE TABLE regress_private.events (event_id text, event_timestamp text, entity_id text, entity_type text);
SET ROLE fraud_regress_reader;
SELECT fraud_create_batch_import_job('j1', 'secret_events', 'payment');
SELECT fraud_create_batch_import_job('j1', 'SELECT * FROM regress_private.events', 'payment');
SELECT fraud_create_batch_import_job('j1', '/tmp/fraud_detector_no_such_file.csv', 'payment');
RESET ROLE;
DROP TABLE secret_events;
DROP SCHEMA regress_private CASCADE;
DROP OWNED BY fraud_regress_reader;
DROP ROLE fraud_regress_reader;
SELECT count(*) AS jobs FROM fraud.jobs;

-- fraud._raise itself: DETAIL and HINT, and no CONTEXT even from a DO block
DO $$ BEGIN PERFORM fraud._raise('22023', 'a message', 'a detail', 'a hint'); END $$;
-- an internal error keeps its CONTEXT
DO $$ BEGIN PERFORM fraud._raise('XX000', 'an internal error'); END $$;
SELECT fraud._raise('2202', 'not a SQLSTATE');
-- every SQLSTATE the extension raises arrives as itself
SELECT code, pg_temp.err(format('SELECT fraud._raise(%L, %L)', code, 'm')) AS raised
FROM unnest(ARRAY['22023', '42704', '55006', '23505', '42P07', '42501', '54000', '22P02', '42601', '23514', '39P01']) code;

-- a user's own function catches our errors as any other: SQLSTATE and message preserved
CREATE FUNCTION public.try_put(n text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fraud_put_entity_type(n);
    RETURN 'created ' || n;
EXCEPTION WHEN invalid_parameter_value THEN
    RETURN 'caught ' || SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT public.try_put('Bad Name') AS bad, public.try_put('good_name') AS good;
-- after catching ours (a Rust one too), the function's own error has its CONTEXT again
CREATE FUNCTION public.catch_then_fail() RETURNS void LANGUAGE plpgsql AS $$
DECLARE context text;
BEGIN
    BEGIN
        PERFORM fraud_delete_entity_type('customer');
    EXCEPTION WHEN object_in_use THEN
        GET STACKED DIAGNOSTICS context = PG_EXCEPTION_CONTEXT;
        RAISE NOTICE 'caught %: % (context: "%")', SQLSTATE, SQLERRM, context;
    END;
    BEGIN
        PERFORM fraud_create_rule('r', 'pay', '$amount >', ARRAY['review']);
    EXCEPTION WHEN syntax_error THEN
        RAISE NOTICE 'caught %: %', SQLSTATE, SQLERRM;
    END;
    RAISE EXCEPTION 'my own error';
END $$;
SELECT public.catch_then_fail();
-- uncaught in the user's function, ours shows no CONTEXT line for it either
CREATE FUNCTION public.put_uncaught(n text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fraud_put_entity_type(n);
END $$;
SELECT public.put_uncaught('Bad Name');
-- a failed call inside a transaction leaves it aborted as usual; nothing was stored
BEGIN;
SELECT fraud_put_entity_type('merchant');
SELECT fraud_put_entity_type('Merchant');
SELECT 1;
ROLLBACK;
SELECT name FROM fraud_get_entity_types() ORDER BY name;

DROP FUNCTION public.try_put(text), public.catch_then_fail(), public.put_uncaught(text);
DROP TABLE payments, scored;
