-- The per-backend cache of compiled detector versions (src/cache.rs; docs/sql-reference.md,
-- "The cache of compiled versions"): a build never keeps rules older than an invalidation it
-- accepted, whatever the isolation level or the length of the statement; the cache stays
-- within fraud_detector.cache_size and shares lists between versions; the score trigger's
-- per-backend state follows replaced triggers and new versions. The second session is a dblink
-- connection.
\i helpers.sql
CREATE EXTENSION IF NOT EXISTS dblink;

SELECT fraud_put_entity_type('customer');
SELECT fraud_create_variable('amount', 'FLOAT', 'EVENT', '0');
SELECT fraud_create_variable('fee', 'FLOAT', 'EVENT', '0');
SELECT fraud_create_variable('email', 'STRING', 'EVENT', '');
SELECT fraud_put_event_type('payment', ARRAY['amount', 'fee', 'email'], ARRAY['customer']);
SELECT fraud_put_outcome('review');
SELECT fraud_put_outcome('vip');
SELECT fraud_put_detector('pay', 'payment');
SELECT fraud_create_rule('big', 'pay', '$amount > 100', ARRAY['review']);
SELECT detector_version_id FROM fraud_create_detector_version('pay', '[{"detectorId": "pay", "ruleId": "big", "ruleVersion": "1"}]');
SELECT fraud_update_detector_version_status('pay', '1', 'ACTIVE');

SELECT dblink_connect('other', format('dbname=%s host=%s port=%s user=%s', current_database(),
       split_part(current_setting('unix_socket_directories'), ',', 1), current_setting('port'), current_user));
-- other(sql): run one statement in the other session (autocommit), return its first column
CREATE FUNCTION pg_temp.other(stmt text) RETURNS text LANGUAGE sql AS
$$ SELECT x FROM dblink('other', stmt) AS t(x text) $$;
-- lower(threshold): the other session makes and activates a version of rule big with
-- `$amount > threshold`, and commits; returns the new version's id
CREATE FUNCTION pg_temp.lower(threshold int) RETURNS text LANGUAGE sql AS $$
    SELECT pg_temp.other(format($q$
        SELECT v.detector_version_id FROM
            (SELECT (fraud_update_rule_version('{"detectorId": "pay", "ruleId": "big", "ruleVersion": "%s"}', '$amount > %s', ARRAY['review'])->>'ruleVersion') AS rv) r,
            LATERAL fraud_create_detector_version('pay', jsonb_build_array(jsonb_build_object('detectorId', 'pay', 'ruleId', 'big', 'ruleVersion', r.rv))) v,
            LATERAL fraud_update_detector_version_status('pay', v.detector_version_id, 'ACTIVE') s$q$,
        (SELECT max(rule_version) FROM fraud.rule_versions WHERE rule_id = 'big'), threshold)) $$;

-- finding 2, REPEATABLE READ: the other session commits a new version while our transaction
-- holds an older snapshot. The version is compiled from the latest catalog, so our next
-- statement scores with it (the catalog is read as PostgreSQL reads its own), and so does every
-- later transaction: a build from the transaction's snapshot would have kept the old rules for
-- the rest of the session.
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT fraud_outcomes('pay', '{"amount": 50}') AS rr_before;
SELECT pg_temp.lower(10) AS new_version;
SELECT fraud_outcomes('pay', '{"amount": 50}') AS rr_after_other_commit;
-- our own reads of the catalog tables keep the transaction's snapshot
SELECT detector_version_id, status FROM fraud.detector_versions WHERE status = 'ACTIVE';
COMMIT;
SELECT fraud_outcomes('pay', '{"amount": 50}') AS after_rr_commit;
BEGIN;
SELECT fraud_outcomes('pay', '{"amount": 50}') AS next_transaction;
COMMIT;

-- finding 2, READ COMMITTED: the other session commits during our statement, after the
-- statement's snapshot was taken; the first scoring after the commit, in the same statement,
-- takes in the invalidation and must not keep a build from the statement's snapshot
SELECT fraud_outcomes('pay', '{"amount": 5}') AS rc_before;
SELECT pg_temp.lower(1) AS new_version, fraud_outcomes('pay', '{"amount": 5}') AS same_statement;
SELECT fraud_outcomes('pay', '{"amount": 5}') AS next_statement;
SELECT fraud_outcomes('pay', '{"amount": 5}') AS and_the_next;

-- our own uncommitted change is still what we score with (a latest snapshot includes it), in a
-- REPEATABLE READ transaction too, and it is gone after our rollback
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT fraud_update_detector_version_status('pay', '1', 'ACTIVE');
SELECT fraud_outcomes('pay', '{"amount": 50}') AS own_uncommitted;
SELECT pg_temp.other($$SELECT fraud_outcomes('pay', '{"amount": 50}')::text$$) AS other_sees;
ROLLBACK;
SELECT fraud_outcomes('pay', '{"amount": 50}') AS after_own_rollback;

-- in parallel mode no new snapshot may be taken: the build reads with the query's snapshot
-- and serves that query only; the next statement builds again from the latest catalog
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET force_parallel_mode = on;
SELECT pg_temp.lower(1000) AS new_version;
EXPLAIN (COSTS OFF) SELECT fraud_outcomes('pay', jsonb_build_object('amount', a)) AS parallel, count(*)
FROM generate_series(1, 2000, 1000) a GROUP BY 1 ORDER BY 1;
SELECT fraud_outcomes('pay', jsonb_build_object('amount', a)) AS parallel, count(*)
FROM generate_series(1, 2000, 1000) a GROUP BY 1 ORDER BY 1;
RESET force_parallel_mode;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
RESET max_parallel_workers_per_gather;
SELECT pg_temp.lower(3000) AS new_version;
SELECT fraud_outcomes('pay', '{"amount": 2000}') AS after_parallel;

-- finding 3: CREATE OR REPLACE TRIGGER keeps the trigger's OID; its next row is scored with
-- its new arguments (another outcomes column, then a reject= option)
CREATE TABLE replaced (amount float8, o1 text[], o2 text[]);
CREATE TRIGGER t BEFORE INSERT ON replaced FOR EACH ROW EXECUTE FUNCTION fraud_score_trigger('pay', 'o1');
INSERT INTO replaced (amount) VALUES (5000);
SELECT oid AS first_oid FROM pg_trigger WHERE tgname = 't' AND tgrelid = 'replaced'::regclass \gset
CREATE OR REPLACE TRIGGER t BEFORE INSERT ON replaced FOR EACH ROW EXECUTE FUNCTION fraud_score_trigger('pay', 'o2');
SELECT oid = :first_oid AS same_oid FROM pg_trigger WHERE tgname = 't' AND tgrelid = 'replaced'::regclass;
INSERT INTO replaced (amount) VALUES (6000);
SELECT * FROM replaced ORDER BY amount;
CREATE OR REPLACE TRIGGER t BEFORE INSERT ON replaced FOR EACH ROW EXECUTE FUNCTION fraud_score_trigger('pay', 'o2', '', 'reject=review');
SELECT pg_temp.err($$INSERT INTO replaced (amount) VALUES (7000)$$);
SELECT count(*) FROM replaced;

-- finding 3: the trigger's column mappings belong to one compiled version. Versions come and
-- go (a freed version's memory is reused by a later one); each new version reads other columns
-- (amount, amount, fee, fee, ...), and every row must be scored by the version active then.
CREATE TABLE flows (amount float8, fee float8, outcomes text[]);
CREATE TRIGGER t BEFORE INSERT ON flows FOR EACH ROW EXECUTE FUNCTION fraud_score_trigger('pay', 'outcomes');
CREATE TABLE expected (step int, amount float8, fee float8, outcomes text[]);
DO $$
DECLARE
    variable text;
    rv text;
    v text;
BEGIN
    FOR step IN 1..16 LOOP
        variable := CASE WHEN step % 4 IN (1, 2) THEN 'amount' ELSE 'fee' END;
        rv := fraud_update_rule_version(
                  jsonb_build_object('detectorId', 'pay', 'ruleId', 'big', 'ruleVersion',
                      (SELECT max(rule_version)::text FROM fraud.rule_versions WHERE rule_id = 'big')),
                  format('$%s > 100', variable), ARRAY['review'])->>'ruleVersion';
        SELECT detector_version_id INTO v FROM fraud_create_detector_version('pay',
            jsonb_build_array(jsonb_build_object('detectorId', 'pay', 'ruleId', 'big', 'ruleVersion', rv)));
        PERFORM fraud_update_detector_version_status('pay', v, 'ACTIVE');
        -- amount says review, fee says nothing: only the active version's column may decide
        INSERT INTO flows (amount, fee) VALUES (500 + step, 1);
        INSERT INTO expected VALUES (step, 500 + step, 1,
            CASE WHEN variable = 'amount' THEN '{review}'::text[] ELSE '{}' END);
    END LOOP;
END $$;
SELECT count(*) AS steps, count(*) FILTER (WHERE f.outcomes = e.outcomes) AS scored_by_their_version
FROM expected e JOIN flows f USING (amount);

-- finding 8: one budget for versions, rendered results and lists. 300 ALL_MATCHED rules
-- ($amount > 1, ..., $amount > 300): each amount matches another set of rules, so each
-- prediction is another rendered result, up to 13 kB each, 2 MB together; a 1 MB budget keeps
-- the most recently used of them
SELECT fraud_put_detector('many', 'payment');
SELECT count(fraud_create_rule('r' || i, 'many', '$amount > ' || i, ARRAY['review'])) FROM generate_series(1, 300) i;
SELECT detector_version_id FROM fraud_create_detector_version('many',
    (SELECT jsonb_agg(jsonb_build_object('detectorId', 'many', 'ruleId', 'r' || i, 'ruleVersion', '1') ORDER BY i)
     FROM generate_series(1, 300) i), rule_execution_mode => 'ALL_MATCHED');
SELECT fraud_update_detector_version_status('many', '1', 'ACTIVE');
SET fraud_detector.cache_size = '1MB';
SHOW fraud_detector.cache_size;
SELECT count(DISTINCT fraud_predict('many', jsonb_build_object('amount', a))) AS distinct_results
FROM generate_series(1, 301) a;
SELECT budget, bytes <= budget AS within_budget, versions, answers BETWEEN 10 AND 300 AS some_results_kept
FROM fraud._cache_usage();
-- the most recent results are the ones kept: scoring them again renders nothing new
SELECT answers AS before FROM fraud._cache_usage() \gset
SELECT count(fraud_predict('many', jsonb_build_object('amount', a))) FROM generate_series(299, 301) a;
SELECT answers = :before AS recent_results_were_kept FROM fraud._cache_usage();
-- a lower budget takes effect at the next call
SET fraud_detector.cache_size = '256kB';
SELECT fraud_outcomes('many', '{"amount": 2}') AS outcomes;
SELECT budget, bytes <= budget AS within_budget FROM fraud._cache_usage();
-- 0: only the version in use, and no results
SET fraud_detector.cache_size = 0;
SELECT fraud_outcomes('many', '{"amount": 2}') AS outcomes, fraud_outcomes('pay', '{"amount": 5000}') AS pay;
SELECT versions, answers FROM fraud._cache_usage();
RESET fraud_detector.cache_size;
SHOW fraud_detector.cache_size;
SELECT pg_temp.err($$SET fraud_detector.cache_size = -1$$);

-- two versions built from the same list share one copy of it: a 10,000-element list kept by
-- both the ACTIVE version and version 1, counted once
SELECT fraud_create_list('vips', (SELECT array_agg('user' || i || '@example.com') FROM generate_series(1, 10000) i));
SELECT fraud_put_detector('club', 'payment');
SELECT fraud_create_rule('member', 'club', '$email in @vips', ARRAY['vip']);
SELECT fraud_create_rule('rich', 'club', '$email in @vips and $amount > 1000', ARRAY['vip']);
SELECT detector_version_id FROM fraud_create_detector_version('club', '[{"detectorId": "club", "ruleId": "member", "ruleVersion": "1"}]');
SELECT detector_version_id FROM fraud_create_detector_version('club', '[{"detectorId": "club", "ruleId": "rich", "ruleVersion": "1"}]');
SELECT fraud_update_detector_version_status('club', '2', 'ACTIVE');
SELECT fraud_outcomes('club', '{"email": "user7@example.com", "amount": 5000}') AS active,
       fraud_outcomes('club', '{"email": "user7@example.com"}', '1') AS version_1;
SELECT versions, lists, bytes BETWEEN 400000 AND 1000000 AS one_copy_of_the_list FROM fraud._cache_usage();
-- after a change to the list both versions are built again, from the new contents
SELECT fraud_update_list('vips', ARRAY['new@example.com'], update_mode => 'APPEND');
SELECT fraud_outcomes('club', '{"email": "new@example.com", "amount": 5000}') AS active,
       fraud_outcomes('club', '{"email": "new@example.com"}', '1') AS version_1;
SELECT versions, lists FROM fraud._cache_usage();

SELECT dblink_disconnect('other');
-- leave the database as we found it (the session visibility creates dblink itself)
DROP EXTENSION dblink;
