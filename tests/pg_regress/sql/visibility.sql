-- The per-backend cache follows transactions: a commit in another session is seen by this
-- session's next statement, a rolled-back change is never seen, and a session sees its own
-- uncommitted change. The second session is a dblink connection.
\i helpers.sql
CREATE EXTENSION IF NOT EXISTS dblink;

SELECT fraud_put_entity_type('customer');
SELECT fraud_create_variable('amount', 'FLOAT', 'EVENT', '0');
SELECT fraud_put_event_type('payment', ARRAY['amount'], ARRAY['customer']);
SELECT fraud_put_outcome('review');
SELECT fraud_put_outcome('approve');
SELECT fraud_put_detector('pay', 'payment');
SELECT fraud_create_rule('big', 'pay', '$amount > 100', ARRAY['review']);
SELECT * FROM fraud_create_detector_version('pay', '[{"detectorId": "pay", "ruleId": "big", "ruleVersion": "1"}]');
SELECT fraud_update_detector_version_status('pay', '1', 'ACTIVE');

SELECT dblink_connect('other', format('dbname=%s host=%s port=%s user=%s', current_database(),
       split_part(current_setting('unix_socket_directories'), ',', 1), current_setting('port'), current_user));
-- other(sql): run one statement in the other session, return its first column as text
CREATE FUNCTION pg_temp.other(stmt text) RETURNS text LANGUAGE sql AS
$$ SELECT x FROM dblink('other', stmt) AS t(x text) $$;
CREATE FUNCTION pg_temp.other_exec(stmt text) RETURNS text LANGUAGE sql AS
$$ SELECT dblink_exec('other', stmt) $$;

-- warm this session's cache
SELECT fraud_outcomes('pay', '{"amount": 50}') AS before;

-- the other session commits a new version with a lower threshold: our next statement sees it
SELECT pg_temp.other_exec('BEGIN');
SELECT pg_temp.other($$SELECT fraud_update_rule_version('{"detectorId": "pay", "ruleId": "big", "ruleVersion": "1"}', '$amount > 10', ARRAY['review'])::text$$);
SELECT pg_temp.other($$SELECT detector_version_id FROM fraud_create_detector_version('pay', '[{"detectorId": "pay", "ruleId": "big", "ruleVersion": "2"}]')$$);
SELECT pg_temp.other($$SELECT 'activated' FROM (SELECT fraud_update_detector_version_status('pay', '2', 'ACTIVE')) s$$);
-- not committed yet: we still see the old rule
SELECT fraud_outcomes('pay', '{"amount": 50}') AS other_uncommitted;
SELECT pg_temp.other_exec('COMMIT');
SELECT fraud_outcomes('pay', '{"amount": 50}') AS after_commit;

-- inside one of our transactions, too: the next statement sees the other session's commit
BEGIN;
SELECT fraud_outcomes('pay', '{"amount": 5}') AS in_txn_before;
SELECT pg_temp.other($$SELECT fraud_update_rule_version('{"detectorId": "pay", "ruleId": "big", "ruleVersion": "2"}', '$amount > 1', ARRAY['review'])::text$$);
SELECT pg_temp.other($$SELECT detector_version_id FROM fraud_create_detector_version('pay', '[{"detectorId": "pay", "ruleId": "big", "ruleVersion": "3"}]')$$);
SELECT pg_temp.other($$SELECT 'activated' FROM (SELECT fraud_update_detector_version_status('pay', '3', 'ACTIVE')) s$$);
SELECT fraud_outcomes('pay', '{"amount": 5}') AS in_txn_after_commit;
COMMIT;

-- the other session changes things and rolls back: never seen
SELECT pg_temp.other_exec('BEGIN');
SELECT pg_temp.other($$SELECT 'activated' FROM (SELECT fraud_update_detector_version_status('pay', '1', 'ACTIVE')) s$$);
SELECT pg_temp.other_exec('ROLLBACK');
SELECT fraud_outcomes('pay', '{"amount": 5}') AS after_other_rollback;

-- our own uncommitted change is seen by our next statement, by nobody else, and is gone
-- after our rollback
BEGIN;
SELECT fraud_update_detector_version_status('pay', '1', 'ACTIVE');
SELECT fraud_outcomes('pay', '{"amount": 5}') AS own_uncommitted;
SELECT pg_temp.other($$SELECT fraud_outcomes('pay', '{"amount": 5}')::text$$) AS other_sees;
ROLLBACK;
SELECT fraud_outcomes('pay', '{"amount": 5}') AS after_own_rollback;

-- same with a savepoint rolled back
BEGIN;
SAVEPOINT s;
SELECT fraud_update_detector_version_status('pay', '1', 'ACTIVE');
SELECT fraud_outcomes('pay', '{"amount": 5}') AS in_savepoint;
ROLLBACK TO SAVEPOINT s;
SELECT fraud_outcomes('pay', '{"amount": 5}') AS after_savepoint_rollback;
COMMIT;

-- a list change committed elsewhere is seen too
SELECT fraud_create_list('vips', ARRAY['nobody']);
SELECT fraud_create_variable('email', 'STRING', 'EVENT', '');
SELECT fraud_put_event_type('payment', ARRAY['amount', 'email'], ARRAY['customer']);
SELECT fraud_create_rule('vip', 'pay', '$email in @vips', ARRAY['approve']);
SELECT * FROM fraud_create_detector_version('pay', '[{"detectorId": "pay", "ruleId": "vip", "ruleVersion": "1"}]');
SELECT fraud_update_detector_version_status('pay', '4', 'ACTIVE');
SELECT fraud_outcomes('pay', '{"email": "ann@x.y"}') AS before_list_change;
SELECT pg_temp.other($$SELECT 'appended' FROM (SELECT fraud_update_list('vips', ARRAY['ann@x.y'], update_mode => 'APPEND')) s$$);
SELECT fraud_outcomes('pay', '{"email": "ann@x.y"}') AS after_list_change;

SELECT dblink_disconnect('other');
