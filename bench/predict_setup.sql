-- Benchmark data: 1,000,000 events (ten fields of mixed types) in a jsonb column, a
-- 10,000-element list, and a detector of 10 FIRST_MATCHED rules that together use numeric
-- comparisons, string equality, `in` on the list, `in` on an array literal, regex_match,
-- arithmetic and and/or.
SELECT setseed(0.42);
CREATE TABLE bench_events AS
SELECT i AS id, jsonb_build_object(
    'email',   CASE WHEN i % 97 = 0 THEN 'u' || i || '@mailinator.com' ELSE 'user' || i || '@example.com' END,
    'ip',      CASE WHEN i % 53 = 0 THEN '10.1.' || (i % 100) || '.' || (i / 7 % 100) ELSE '192.168.' || (i % 250) || '.' || (i % 251) END,
    'amount',  round((random() * 10000)::numeric, 2),
    'items',   1 + (i % 20),
    'country', (ARRAY['US', 'DE', 'FR', 'NG', 'RU', 'BR', 'IN', 'GB'])[1 + i % 8],
    'member',  (i % 3 = 0),
    'card_bin', CASE WHEN i % 101 = 0 THEN '411111' ELSE (400000 + i % 99999)::text END,
    'account_age_days', i % 400,
    'device',  (ARRAY['ios', 'android', 'web', 'emulator', 'headless'])[1 + (i % 37) % 5],
    'signup',  to_char('2024-01-01'::timestamptz + make_interval(mins => i), 'YYYY-MM-DD"T"HH24:MI:SS"Z"')) AS ev
FROM generate_series(1, 1000000) i;
ALTER TABLE bench_events ADD PRIMARY KEY (id);

-- the list, as a table for the hand-written query
CREATE TABLE bench_bad_ips AS SELECT '10.1.' || x || '.' || y AS ip FROM generate_series(0, 99) x, generate_series(0, 99) y;
ALTER TABLE bench_bad_ips ADD PRIMARY KEY (ip);
VACUUM ANALYZE bench_events;
VACUUM ANALYZE bench_bad_ips;

SELECT fraud_put_entity_type('customer');
SELECT * FROM fraud_batch_create_variable('[
  {"name": "email", "dataType": "STRING", "dataSource": "EVENT", "defaultValue": ""},
  {"name": "ip", "dataType": "STRING", "dataSource": "EVENT", "defaultValue": ""},
  {"name": "amount", "dataType": "FLOAT", "dataSource": "EVENT", "defaultValue": "0"},
  {"name": "items", "dataType": "INTEGER", "dataSource": "EVENT", "defaultValue": "1"},
  {"name": "country", "dataType": "STRING", "dataSource": "EVENT", "defaultValue": ""},
  {"name": "member", "dataType": "BOOLEAN", "dataSource": "EVENT", "defaultValue": "false"},
  {"name": "card_bin", "dataType": "STRING", "dataSource": "EVENT", "defaultValue": ""},
  {"name": "account_age_days", "dataType": "INTEGER", "dataSource": "EVENT", "defaultValue": "0"},
  {"name": "device", "dataType": "STRING", "dataSource": "EVENT", "defaultValue": ""},
  {"name": "signup", "dataType": "DATETIME", "dataSource": "EVENT", "defaultValue": "2020-01-01T00:00:00Z"}]');
SELECT fraud_put_event_type('bench_checkout',
    ARRAY['email', 'ip', 'amount', 'items', 'country', 'member', 'card_bin', 'account_age_days', 'device', 'signup'],
    ARRAY['customer']);
SELECT fraud_put_outcome('block');
SELECT fraud_put_outcome('review');
SELECT fraud_put_outcome('approve');
SELECT fraud_create_list('bad_ips', ARRAY(SELECT ip FROM bench_bad_ips));
SELECT fraud_put_detector('bench', 'bench_checkout');
SELECT fraud_create_rule('r01_bad_ip', 'bench', '$ip in @bad_ips', ARRAY['block']);
SELECT fraud_create_rule('r02_disposable', 'bench', 'regex_match(".*@(mailinator|trashmail|guerrillamail)\.com", $email)', ARRAY['block']);
SELECT fraud_create_rule('r03_big_new', 'bench', '$amount > 5000 and $account_age_days < 30', ARRAY['review']);
SELECT fraud_create_rule('r04_basket', 'bench', '$items * $amount > 150000', ARRAY['review']);
SELECT fraud_create_rule('r05_country', 'bench', '$country in ["NG", "RU", "KP", "IR"] and $amount > 1000', ARRAY['review']);
SELECT fraud_create_rule('r06_card_bin', 'bench', '$card_bin == "411111"', ARRAY['review']);
SELECT fraud_create_rule('r07_guest_big', 'bench', 'not $member and $amount > 9000', ARRAY['review']);
SELECT fraud_create_rule('r08_device', 'bench', '$device == "emulator" or $device == "headless"', ARRAY['review']);
SELECT fraud_create_rule('r09_fresh', 'bench', '$account_age_days < 2 and $amount > 100', ARRAY['review']);
SELECT fraud_create_rule('r10_rest', 'bench', '$amount >= 0', ARRAY['approve']);
SELECT * FROM fraud_create_detector_version('bench', (
    SELECT jsonb_agg(jsonb_build_object('detectorId', 'bench', 'ruleId', rule_id, 'ruleVersion', '1') ORDER BY rule_id)
    FROM fraud_get_rules('bench')));
SELECT fraud_update_detector_version_status('bench', '1', 'ACTIVE');

-- the same logic as a user would hand-write it: one CASE over ev->>'field' with casts
CREATE VIEW bench_case_query AS
SELECT id, CASE
    WHEN ev->>'ip' IN (SELECT ip FROM bench_bad_ips) THEN ARRAY['block']
    WHEN ev->>'email' ~ '^(?:.*@(mailinator|trashmail|guerrillamail)\.com)$' THEN ARRAY['block']
    WHEN (ev->>'amount')::float8 > 5000 AND (ev->>'account_age_days')::int < 30 THEN ARRAY['review']
    WHEN (ev->>'items')::int * (ev->>'amount')::float8 > 150000 THEN ARRAY['review']
    WHEN ev->>'country' IN ('NG', 'RU', 'KP', 'IR') AND (ev->>'amount')::float8 > 1000 THEN ARRAY['review']
    WHEN ev->>'card_bin' = '411111' THEN ARRAY['review']
    WHEN NOT (ev->>'member')::boolean AND (ev->>'amount')::float8 > 9000 THEN ARRAY['review']
    WHEN ev->>'device' = 'emulator' OR ev->>'device' = 'headless' THEN ARRAY['review']
    WHEN (ev->>'account_age_days')::int < 2 AND (ev->>'amount')::float8 > 100 THEN ARRAY['review']
    WHEN (ev->>'amount')::float8 >= 0 THEN ARRAY['approve']
    ELSE ARRAY[]::text[] END AS outcomes
FROM bench_events;

-- native columns for the trigger benchmark
CREATE TABLE bench_orders_src AS
SELECT id, ev->>'email' AS email, ev->>'ip' AS ip, (ev->>'amount')::float8 AS amount, (ev->>'items')::int AS items,
       ev->>'country' AS country, (ev->>'member')::boolean AS member, ev->>'card_bin' AS card_bin,
       (ev->>'account_age_days')::int AS account_age_days, ev->>'device' AS device, (ev->>'signup')::timestamptz AS signup
FROM bench_events WHERE id <= 200000;
CREATE TABLE bench_orders_plain (LIKE bench_orders_src, outcomes text[]);
CREATE TABLE bench_orders_scored (LIKE bench_orders_src, outcomes text[]);
CREATE TRIGGER score BEFORE INSERT ON bench_orders_scored
    FOR EACH ROW EXECUTE FUNCTION fraud_score_trigger('bench', 'outcomes');
VACUUM ANALYZE bench_orders_src;

-- the floor for a row trigger that changes NEW: contrib's insert_username, in C
CREATE EXTENSION insert_username;
CREATE TABLE bench_orders_username (LIKE bench_orders_src, who text);
CREATE TRIGGER who BEFORE INSERT ON bench_orders_username FOR EACH ROW EXECUTE FUNCTION insert_username(who);

-- the alternative a user has for scoring on insert: a PL/pgSQL trigger with the same CASE
CREATE TABLE bench_orders_plpgsql (LIKE bench_orders_src, outcomes text[]);
CREATE FUNCTION bench_case_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.outcomes := CASE
        WHEN EXISTS (SELECT 1 FROM bench_bad_ips b WHERE b.ip = NEW.ip) THEN ARRAY['block']
        WHEN NEW.email ~ '^(?:.*@(mailinator|trashmail|guerrillamail)\.com)$' THEN ARRAY['block']
        WHEN NEW.amount > 5000 AND NEW.account_age_days < 30 THEN ARRAY['review']
        WHEN NEW.items * NEW.amount > 150000 THEN ARRAY['review']
        WHEN NEW.country IN ('NG', 'RU', 'KP', 'IR') AND NEW.amount > 1000 THEN ARRAY['review']
        WHEN NEW.card_bin = '411111' THEN ARRAY['review']
        WHEN NOT NEW.member AND NEW.amount > 9000 THEN ARRAY['review']
        WHEN NEW.device = 'emulator' OR NEW.device = 'headless' THEN ARRAY['review']
        WHEN NEW.account_age_days < 2 AND NEW.amount > 100 THEN ARRAY['review']
        WHEN NEW.amount >= 0 THEN ARRAY['approve']
        ELSE ARRAY[]::text[] END;
    RETURN NEW;
END $$;
CREATE TRIGGER score BEFORE INSERT ON bench_orders_plpgsql FOR EACH ROW EXECUTE FUNCTION bench_case_trigger();
