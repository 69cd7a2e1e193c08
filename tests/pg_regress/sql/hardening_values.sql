-- Security review (issue 10): values that must never bend a decision. A regex_match pattern
-- cannot escape its whole-string anchors and has a compiled-size limit; event numbers beyond
-- FLOAT's range are refused like their string form; Voice ID voiceprints with NaN or Infinity
-- cannot be stored and are never indexed; the per-backend caches see TRUNCATE and changes made
-- under session_replication_role = replica.
\i helpers.sql

SELECT fraud_put_entity_type('customer');
SELECT fraud_create_variable('email', 'STRING', 'EVENT', '');
SELECT fraud_create_variable('amount', 'FLOAT', 'EVENT', '0');
SELECT fraud_put_event_type('payment', ARRAY['email', 'amount'], ARRAY['customer']);
SELECT fraud_put_detector('payments', 'payment');
SELECT fraud_put_outcome('review');
SELECT fraud_put_outcome('block');
SELECT fraud_create_list('bad_emails', ARRAY['x@bad.example']);

-- 1. A pattern that closes the group it is wrapped in is refused: as ^(?:a)|(b)$ it matched
-- every string starting with "a" or ending with "b".
SELECT pg_temp.err($$SELECT fraud_create_rule('escape', 'payments', 'regex_match("a)|(b", $email)', ARRAY['review'])$$);
SELECT pg_temp.err($$SELECT fraud_create_rule('escape', 'payments', 'regex_match("x)|.*|(y", $email)', ARRAY['review'])$$);
SELECT count(*) AS rules_stored FROM fraud.rules;
-- whole-string matching holds whatever alternation and flags the pattern uses
SELECT fraud_create_rule('anchored', 'payments',
    'regex_match("a|ab", $email) or regex_match("(?m)c", $email) or regex_match("(?x) d  # a comment", $email)', ARRAY['review']);
SELECT fraud_create_rule('listed', 'payments', '$email in @bad_emails', ARRAY['block']);
SELECT fraud_create_rule('large', 'payments', '$amount > 1000', ARRAY['review']);
SELECT count(*) FROM fraud_create_detector_version('payments', rules => '[
    {"detectorId": "payments", "ruleId": "anchored", "ruleVersion": "1"},
    {"detectorId": "payments", "ruleId": "listed", "ruleVersion": "1"},
    {"detectorId": "payments", "ruleId": "large", "ruleVersion": "1"}]', rule_execution_mode => 'ALL_MATCHED');
SELECT fraud_update_detector_version_status('payments', '1', 'ACTIVE');
SELECT e AS email, fraud_outcomes('payments', jsonb_build_object('email', e)) AS outcomes
FROM (VALUES ('a'), ('ab'), ('abc'), ('xab'), ('c'), (E'c\nx'), (E'x\nc'), ('d'), ('d x')) v(e);

-- 2. A pattern whose compiled form exceeds 1 MiB is refused when the rule is written, with
-- 54000 (the regex crate's default limit was 10 MiB per regex, in every backend). Unicode \w
-- is large; an ASCII class is not.
SELECT pg_temp.err($$SELECT fraud_create_rule('huge', 'payments', 'regex_match("\w{21}", $email)', ARRAY['review'])$$);
SELECT pg_temp.err($$SELECT fraud_create_rule('huge', 'payments', 'regex_match("\w{500}", $email)', ARRAY['review'])$$);
SELECT pg_temp.err($$SELECT fraud_update_rule_version('{"detectorId": "payments", "ruleId": "anchored", "ruleVersion": "1"}',
                                                      'regex_match("\pL{100}", $email)', ARRAY['review'])$$);
SELECT fraud_create_rule('huge', 'payments', '$amount > 5 and regex_match("(\w+@){30}", $email)', ARRAY['review']);
SELECT count(*) AS rules_stored, (SELECT count(*) FROM fraud.rule_versions) AS versions FROM fraud.rules;
SELECT fraud_create_rule('ascii', 'payments', 'regex_match("\w{20}", $email) or regex_match("[0-9A-Za-z_]{1000}", $email)', ARRAY['review']);

-- 3a. Event numbers beyond FLOAT's range were read as an infinity ($amount > 1000 matched);
-- the same value as a string was refused. Both are 22P02 now, naming the variable.
SELECT pg_temp.err($$SELECT fraud_outcomes('payments', '{"amount": "1e309"}')$$);
SELECT left(pg_temp.err($$SELECT fraud_outcomes('payments', '{"amount": 1e309}')$$), 80) AS number_error;
SELECT left(pg_temp.err($$SELECT fraud_outcomes('payments', '{"amount": -1e309}')$$), 80) AS number_error;
SELECT left(pg_temp.err($$SELECT fraud_predict('payments', '{"eventVariables": {"amount": 2e308}}')$$), 80) AS number_error;
SELECT fraud_outcomes('payments', '{"amount": 1.7e308}') AS largest_finite;
-- and so are Infinity and NaN in a scored row's float8 / numeric columns
CREATE TABLE payments_in (email text, amount float8, outcomes text[]);
CREATE TRIGGER score BEFORE INSERT ON payments_in FOR EACH ROW EXECUTE FUNCTION fraud_score_trigger('payments', 'outcomes');
SELECT pg_temp.err($$INSERT INTO payments_in VALUES ('a', 'Infinity')$$);
SELECT pg_temp.err($$INSERT INTO payments_in VALUES ('a', '-Infinity')$$);
SELECT pg_temp.err($$INSERT INTO payments_in VALUES ('a', 'NaN')$$);
CREATE TABLE payments_num (email text, amount numeric, outcomes text[]);
CREATE TRIGGER score BEFORE INSERT ON payments_num FOR EACH ROW EXECUTE FUNCTION fraud_score_trigger('payments', 'outcomes');
SELECT pg_temp.err($$INSERT INTO payments_num VALUES ('a', 'NaN')$$);
INSERT INTO payments_in VALUES ('a', 2000);
SELECT * FROM payments_in;

-- 3b. Voiceprints with NaN or Infinity cannot be stored, in fraudsters or speakers.
SELECT domain_id AS d, watchlist_details->>'DefaultWatchlistId' AS w FROM fraud_voice_create_domain('hardening', 4) \gset
SELECT pg_temp.err(format($$INSERT INTO fraud.voice_fraudsters VALUES (%L, 'id#0000000000000000000nan', %L, 30)$$, :'d', e))
FROM (VALUES ('{NaN,0,0,0}'), ('{1,Infinity,0,0}'), ('{1,0,0,-Infinity}')) v(e);
SELECT pg_temp.err(format($$INSERT INTO fraud.voice_speakers (domain_id, generated_speaker_id, customer_speaker_id, status, embedding)
                            VALUES (%L, 'id#0000000000000000000spk', 'cust', 'ENROLLED', %L)$$, :'d', e))
FROM (VALUES ('{NaN,0,0,0}'), ('{Infinity,0,0,0}')) v(e);
SELECT conrelid::regclass, conname, pg_get_constraintdef(oid) FROM pg_constraint
WHERE conname IN ('voice_fraudster_embedding_finite', 'voice_speaker_embedding_finite') ORDER BY 2;

-- evaluate(caller): the fraud decision, the matched fraudster and its score for a caller's
-- voiceprint against the default watchlist
CREATE FUNCTION pg_temp.evaluate(caller real[]) RETURNS TABLE (decision text, fraudster text, score int)
LANGUAGE sql AS $$
    SELECT r #>> '{FraudDetectionResult,Decision}',
           r #>> '{FraudDetectionResult,RiskDetails,KnownFraudsterRisk,GeneratedFraudsterId}',
           (r #>> '{FraudDetectionResult,RiskDetails,KnownFraudsterRisk,RiskScore}')::int
    FROM fraud_voice_evaluate_session((SELECT domain_id FROM fraud.voice_domains WHERE name = 'hardening'), 'call', caller, 12) r $$;
-- register(id, voiceprint): a fraudster written straight into the catalog, in the default watchlist
CREATE FUNCTION pg_temp.register(id text, embedding real[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO fraud.voice_fraudsters (domain_id, fraudster_id, embedding, speech_seconds)
        SELECT domain_id, id, embedding, 30 FROM fraud.voice_domains WHERE name = 'hardening';
    INSERT INTO fraud.voice_fraudster_watchlists (domain_id, fraudster_id, watchlist_id)
        SELECT w.domain_id, id, w.watchlist_id FROM fraud.voice_watchlists w JOIN fraud.voice_domains d USING (domain_id)
        WHERE d.name = 'hardening' AND w.default_watchlist $$;

SELECT pg_temp.register('id#Fraudster0000000000001', '{1,0,0,0}');
SELECT * FROM pg_temp.evaluate('{1,0,0,0}');        -- the fraudster calls: HIGH_RISK
SELECT * FROM pg_temp.evaluate('{0.1,1,1,1}');      -- somebody else: LOW_RISK

-- Rows that got past the CHECK (dropped here, in transactions rolled back) are never indexed.
-- A NaN row searched first used to win every search: everybody LOW_RISK, even the fraudster.
BEGIN;
ALTER TABLE fraud.voice_fraudsters DROP CONSTRAINT voice_fraudster_embedding_finite;
DELETE FROM fraud.voice_fraudsters;
SELECT pg_temp.register('id#0000000000000000000nan', '{NaN,0,0,0}');
SELECT pg_temp.register('id#Fraudster0000000000001', '{1,0,0,0}');
SELECT * FROM pg_temp.evaluate('{1,0,0,0}');
ROLLBACK;
-- An Infinity row matched every caller: everybody HIGH_RISK.
BEGIN;
ALTER TABLE fraud.voice_fraudsters DROP CONSTRAINT voice_fraudster_embedding_finite;
SELECT pg_temp.register('id#0000000000000000000inf', '{Infinity,0,0,0}');
SELECT * FROM pg_temp.evaluate('{0.1,1,1,1}');
ROLLBACK;
-- A speaker's voiceprint with an Infinity scored 100: anybody authenticated as them.
BEGIN;
ALTER TABLE fraud.voice_speakers DROP CONSTRAINT voice_speaker_embedding_finite;
INSERT INTO fraud.voice_speakers (domain_id, generated_speaker_id, customer_speaker_id, status, embedding)
    VALUES (:'d', 'id#0000000000000000000spk', 'cust', 'ENROLLED', '{Infinity,1,1,1}');
SELECT r #>> '{AuthenticationResult,Decision}' AS authentication, r #>> '{AuthenticationResult,Score}' AS score
FROM fraud_voice_evaluate_session(:'d', 'call', '{1,0,0,0}', 12, speaker_id => 'cust') r;
ROLLBACK;

-- 4. TRUNCATE reaches this backend's cached index (as it reaches every backend's): the
-- fraudster searched above is gone, at the next evaluation.
SELECT * FROM pg_temp.evaluate('{1,0,0,0}');
TRUNCATE fraud.voice_fraudsters CASCADE;
SELECT * FROM pg_temp.evaluate('{1,0,0,0}');
-- and a TRUNCATE of the memberships alone empties the watchlist
SELECT pg_temp.register('id#Fraudster0000000000002', '{0,1,0,0}');
SELECT * FROM pg_temp.evaluate('{0,1,0,0}');
TRUNCATE fraud.voice_fraudster_watchlists;
SELECT * FROM pg_temp.evaluate('{0,1,0,0}');

-- Changes made under session_replication_role = replica (a logical replication apply worker,
-- a restore with it set) fire the invalidation triggers too: they are ENABLE ALWAYS.
SET session_replication_role = replica;
SELECT pg_temp.register('id#Fraudster0000000000003', '{0,0,1,0}');
RESET session_replication_role;
SELECT * FROM pg_temp.evaluate('{0,0,1,0}');
SET session_replication_role = replica;
DELETE FROM fraud.voice_fraudster_watchlists;   -- (foreign key actions do not run in this role)
DELETE FROM fraud.voice_fraudsters;
RESET session_replication_role;
SELECT * FROM pg_temp.evaluate('{0,0,1,0}');
-- the detector catalog's triggers as well
SELECT fraud_outcomes('payments', '{"email": "y@bad.example"}') AS before;
SET session_replication_role = replica;
INSERT INTO fraud.list_elements (list_name, element) VALUES ('bad_emails', 'y@bad.example');
RESET session_replication_role;
SELECT fraud_outcomes('payments', '{"email": "y@bad.example"}') AS after;
SELECT t.tgname, t.tgenabled, count(*) AS tables,
       bool_and(t.tgtype & 32 <> 0) AS on_truncate   -- TRIGGER_TYPE_TRUNCATE
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE c.relnamespace = 'fraud'::regnamespace
  AND (t.tgname IN ('invalidate_compiled_detectors', 'sync_event_keys') OR t.tgname LIKE 'stamp_%' OR t.tgname LIKE 'event_keys_%')
GROUP BY 1, 2 ORDER BY 1, 2;
