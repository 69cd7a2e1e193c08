-- fraud_score_trigger(): scores NEW in BEFORE INSERT OR UPDATE row triggers.
\i helpers.sql

SELECT fraud_put_entity_type('customer');
SELECT fraud_create_variable('email', 'STRING', 'EVENT', '');
SELECT fraud_create_variable('amount', 'FLOAT', 'EVENT', '0');
SELECT fraud_create_variable('items', 'INTEGER', 'EVENT', '1');
SELECT fraud_create_variable('created', 'DATETIME', 'EVENT', '2020-01-01');
SELECT fraud_put_event_type('order', ARRAY['email', 'amount', 'items', 'created'], ARRAY['customer']);
SELECT fraud_put_outcome('block');
SELECT fraud_put_outcome('review');
SELECT fraud_put_outcome('approve');
SELECT fraud_put_detector('orders', 'order');
SELECT fraud_create_rule('blocked', 'orders', 'regex_match(".*@fraud\.test", $email)', ARRAY['block']);
SELECT fraud_create_rule('big', 'orders', '$amount * $items > 1000', ARRAY['review']);
SELECT fraud_create_rule('recent', 'orders', 'isafter($created, "2030-01-01")', ARRAY['review']);
SELECT fraud_create_rule('ok', 'orders', 'true', ARRAY['approve']);
SELECT * FROM fraud_create_detector_version('orders', '[
  {"detectorId": "orders", "ruleId": "blocked", "ruleVersion": "1"},
  {"detectorId": "orders", "ruleId": "big", "ruleVersion": "1"},
  {"detectorId": "orders", "ruleId": "recent", "ruleVersion": "1"},
  {"detectorId": "orders", "ruleId": "ok", "ruleVersion": "1"}]');
SELECT fraud_update_detector_version_status('orders', '1', 'ACTIVE');

-- columns of many types feed the variables; `created` is a timestamptz, `items` an int
CREATE TABLE orders (id serial, email varchar(100), amount numeric(10, 2), items smallint,
                     created timestamptz DEFAULT '2024-01-01', outcomes text[], prediction jsonb);
CREATE TRIGGER score BEFORE INSERT OR UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION fraud_score_trigger('orders', 'outcomes', 'prediction');
INSERT INTO orders (email, amount, items) VALUES
    ('a@shop.test', 10, 1), ('b@fraud.test', 10, 1), ('c@shop.test', 600, 2), ('d@shop.test', NULL, 5);
INSERT INTO orders (email, amount, items, created) VALUES ('e@shop.test', 1, 1, '2031-05-01');
SELECT id, email, outcomes, prediction->'ruleResults' AS rules FROM orders ORDER BY id;
-- an UPDATE scores again
UPDATE orders SET amount = 2000 WHERE id = 1;
SELECT id, outcomes FROM orders WHERE id = 1;
-- a missing column reads the variable's default: this table has no `created` or `items`
CREATE TABLE slim (email text, amount float8, outcomes text[]);
CREATE TRIGGER score BEFORE INSERT ON slim FOR EACH ROW EXECUTE FUNCTION fraud_score_trigger('orders', 'outcomes');
INSERT INTO slim (email, amount) VALUES ('x@shop.test', 5000), ('y@shop.test', 5);
SELECT * FROM slim ORDER BY email;

-- reject=: the row is refused (23514) and not stored
CREATE TABLE guarded (email text, amount float8, outcomes text[]);
CREATE TRIGGER guard BEFORE INSERT ON guarded
    FOR EACH ROW EXECUTE FUNCTION fraud_score_trigger('orders', 'outcomes', '', 'reject=block');
INSERT INTO guarded (email, amount) VALUES ('fine@shop.test', 1);
SELECT pg_temp.err($$INSERT INTO guarded (email, amount) VALUES ('bad@fraud.test', 1)$$);
INSERT INTO guarded (email, amount) VALUES ('bad@fraud.test', 1);
SELECT email, outcomes FROM guarded;

-- version=: score with a named version
CREATE TABLE pinned (email text, outcomes text[]);
CREATE TRIGGER score BEFORE INSERT ON pinned FOR EACH ROW EXECUTE FUNCTION fraud_score_trigger('orders', 'outcomes', 'version=1');
INSERT INTO pinned VALUES ('z@fraud.test');
SELECT * FROM pinned;

-- misuse is refused with a clear error
CREATE TABLE wrong (email text, outcomes text, amount text);
CREATE TRIGGER t1 BEFORE INSERT ON wrong FOR EACH ROW EXECUTE FUNCTION fraud_score_trigger('orders', 'outcomes');
SELECT pg_temp.err($$INSERT INTO wrong (email) VALUES ('a')$$);
DROP TRIGGER t1 ON wrong;
CREATE TRIGGER t2 BEFORE INSERT ON wrong FOR EACH ROW EXECUTE FUNCTION fraud_score_trigger('orders', 'nope');
SELECT pg_temp.err($$INSERT INTO wrong (email) VALUES ('a')$$);
DROP TRIGGER t2 ON wrong;
CREATE TRIGGER t3 BEFORE INSERT ON wrong FOR EACH ROW EXECUTE FUNCTION fraud_score_trigger('orders');
SELECT pg_temp.err($$INSERT INTO wrong (email) VALUES ('a')$$);
DROP TRIGGER t3 ON wrong;
CREATE TRIGGER t4 AFTER INSERT ON wrong FOR EACH ROW EXECUTE FUNCTION fraud_score_trigger('orders', 'outcomes');
SELECT pg_temp.err($$INSERT INTO wrong (email) VALUES ('a')$$);
DROP TRIGGER t4 ON wrong;
CREATE TRIGGER t5 BEFORE INSERT ON wrong FOR EACH ROW EXECUTE FUNCTION fraud_score_trigger('nope', 'outcomes');
SELECT pg_temp.err($$INSERT INTO wrong (email) VALUES ('a')$$);
DROP TRIGGER t5 ON wrong;
-- a value that is not the variable's type: amount is text here
CREATE TABLE typed (amount text, outcomes text[]);
CREATE TRIGGER t BEFORE INSERT ON typed FOR EACH ROW EXECUTE FUNCTION fraud_score_trigger('orders', 'outcomes', 'bogus=1');
SELECT pg_temp.err($$INSERT INTO typed VALUES ('12')$$);
DROP TRIGGER t ON typed;
CREATE TRIGGER t BEFORE INSERT ON typed FOR EACH ROW EXECUTE FUNCTION fraud_score_trigger('orders', 'outcomes');
INSERT INTO typed VALUES ('1200');
SELECT pg_temp.err($$INSERT INTO typed VALUES ('twelve')$$);
SELECT * FROM typed;

-- a numeric column beyond an INTEGER variable's 64 bits: the error shows the column's value,
-- not the nearest double (9223372036854776000)
CREATE TABLE huge (items numeric, outcomes text[]);
CREATE TRIGGER t BEFORE INSERT ON huge FOR EACH ROW EXECUTE FUNCTION fraud_score_trigger('orders', 'outcomes');
SELECT pg_temp.err($$INSERT INTO huge VALUES (9223372036854775808)$$);
SELECT pg_temp.err($$INSERT INTO huge VALUES (2.50)$$);

-- a column retyped in place keeps its number and name: the mapping cached by the inserts before
-- must not read it with its old type (a text pointer read as an integer, or the reverse)
CREATE TABLE retyped (amount text, outcomes text[]);
CREATE TRIGGER t BEFORE INSERT ON retyped FOR EACH ROW EXECUTE FUNCTION fraud_score_trigger('orders', 'outcomes');
INSERT INTO retyped VALUES ('1200');
ALTER TABLE retyped ALTER amount TYPE int USING amount::int;
INSERT INTO retyped VALUES (12);
ALTER TABLE retyped ALTER outcomes TYPE text USING outcomes::text;
SELECT pg_temp.err($$INSERT INTO retyped VALUES (5)$$);
SELECT * FROM retyped ORDER BY amount;
