#!/usr/bin/env bash
# SQL-level fuzz test of every public function of the extension (the functions that are
# members of extension fraud_detector and not in schema `fraud`, found in pg_depend at run
# time, so a new function is fuzzed without touching this file).
#
# Cases. Every argument in turn takes every value of its type's pool (NULL, empty and huge
# strings, injection and path strings, queries, wrong JSON shapes, deep nesting, huge arrays and
# objects, arrays with NULLs, 100,000 elements, numbers at and past their limits, NaN and
# infinities, odd timestamps) and mutations of its baseline (each key of a baseline object set
# to null / a number / an array / a huge string / removed, ...), while the other arguments keep
# a plausible valid baseline (the objects of examples/sample_setup.sql plus a few made here);
# then random combinations. Each call runs in its own subtransaction (fuzz.run, a PL/pgSQL
# EXCEPTION block) and records (case, role, SQLSTATE, message).
#   * per-argument cases: a successful call is rolled back too, so every case starts from the
#     same catalog (each failure reproduces alone) and the whole phase must leave the catalog
#     exactly as it found it;
#   * random cases: successes commit (jobs start their workers), so calls meet each other's
#     leftovers.
# Roles (none superuser): fuzz_none (no grant: every call 42501), fuzz_scoring (only `scoring`:
# other capabilities' functions 42501), fuzz_all (every capability: validation paths); and the
# extension's owner for the functions no capability grants (fraud_grant, ...).
# A call passes when it succeeds or fails with a SQLSTATE docs/sql-reference.md documents for
# it (the table `fuzz.documented` below) or one of the allowlist (`fuzz.allow`, with reasons).
# Anything else fails: XX000, a crash, an SQLSTATE nobody documents, PostgreSQL's own SQL syntax
# errors (we built bad SQL), `permission denied` for one of our own functions or tables, an
# injected statement that ran (an object named pwned... exists during or after a call).
# Afterwards: the server takes new connections and logged no crash; no injected role or object
# exists and no catalog table went missing; the jobs settle; no staging table of a finished
# job, no active job without a worker; every ACTIVE detector version scores an event; every
# fraudster is in a watchlist; no orphan tags, rules without versions, domains without their
# default watchlist, voiceprints of the wrong dimension; finished batch predictions' outputs
# hold exactly their counted rows.
# One assertion per (role, function) and one per catalog check. Prints the number of calls and
# the time taken. Starts its own cluster (a crash must not disturb other suites, and its server
# log is read); expects the extension to be installed. FUZZ_SEED, FUZZ_RANDOM (random calls as
# fuzz_all; the other roles get a third each) and FUZZ_SAMPLE (of the per-argument cases of a
# function a role may not execute, run every n-th; 1: all) tune it. Prints "fuzz: N passed, M
# failed".
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/cluster.sh
cluster_start
db=fraud_fuzz
seed=${FUZZ_SEED:-0.42}
random_calls=${FUZZ_RANDOM:-6000}
sample=${FUZZ_SAMPLE:-8}
tmp=$(mktemp -d /tmp/fraud_detector_fuzz.XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"; cluster_stop' EXIT
started=$(date +%s.%N)

passed=0; failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }
check() { # name expected actual
  if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: expected '$2', got '$3'"; fi
}
q() { psql -X -At -d "$db" -c "$1" 2>&1; }
log_mark() { wc -l < "$PGHOST/server.log"; }
wait_for_server() {
  for _ in $(seq 1 600); do
    psql -X -At -d "$db" -c 'SELECT 1' >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server did not come back" >&2
  return 1
}
# waits (bounded) until no job is active; every job function call also reaps jobs whose worker
# died and starts a worker for jobs nobody has claimed
settle_jobs() {
  for _ in $(seq 1 ${1:-1200}); do
    [ "$(q "SELECT count(*) FROM fraud_get_batch_import_jobs(), fraud_get_batch_prediction_jobs() LIMIT 0;
            SELECT count(*) FROM fraud.jobs WHERE fraud._job_active(status)" | tail -1)" = 0 ] && return 0
    sleep 0.1
  done
  return 1
}

createdb "$db"
if ! psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c 'CREATE EXTENSION fraud_detector' -f examples/sample_setup.sql >/dev/null; then
  echo "setup failed"; echo "fuzz: 0 passed, 1 failed"; exit 1
fi

echo "== setup: roles, baseline objects, jobs, Voice ID"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" > "$tmp/setup.log" 2>&1 <<'SQL' || { cat "$tmp/setup.log"; echo "fuzz: 0 passed, 1 failed"; exit 1; }
CREATE ROLE fuzz_none LOGIN;
CREATE ROLE fuzz_scoring LOGIN;
CREATE ROLE fuzz_all LOGIN;
CREATE ROLE fuzz_target NOLOGIN;
SELECT fraud_grant('scoring', 'fuzz_scoring');
SELECT fraud_grant(c.capability, 'fuzz_all') FROM (SELECT DISTINCT capability FROM fraud_capabilities()) c;
GRANT CREATE ON SCHEMA public TO fuzz_all;   -- batch prediction output tables

-- the harness: its tables are readable by the fuzz roles, which write their results
CREATE SCHEMA fuzz;
GRANT USAGE ON SCHEMA fuzz TO fuzz_none, fuzz_scoring, fuzz_all;
CREATE TABLE fuzz.ctx (key text PRIMARY KEY, val text);
GRANT SELECT, INSERT ON fuzz.ctx TO fuzz_all;
CREATE FUNCTION fuzz.c(k text) RETURNS text LANGUAGE sql STABLE AS $$ SELECT val FROM fuzz.ctx WHERE key = k $$;

-- objects the delete functions may delete, and a DRAFT detector version 3
SELECT fraud_put_entity_type('spare_entity');
SELECT fraud_put_label('spare_label');
SELECT fraud_put_outcome('spare_outcome');
SELECT fraud_create_variable('spare_var', 'STRING', 'EVENT', 'x');
SELECT fraud_create_list('spare_list', ARRAY['a']);
SELECT fraud_put_event_type('spare_event_type', ARRAY['spare_var'], ARRAY['spare_entity']);
SELECT fraud_put_detector('spare_detector', 'spare_event_type');
-- nothing uses these
SELECT fraud_put_entity_type('lone_entity');
SELECT fraud_create_variable('lone_var', 'STRING', 'EVENT', 'x');
SELECT fraud_put_event_type('lone_event_type', ARRAY['spare_var'], ARRAY['spare_entity']);
SELECT fraud_create_rule('spare_rule', 'new_account_detector', '$order_price > 5000', ARRAY['review']);
-- models: one to train (its versions end in ERROR for lack of data), one nothing uses; an
-- EXTERNAL_MODEL_SCORE variable and two external models on SQL functions (one nothing uses)
SELECT fraud_create_model('fz_model', 'ONLINE_FRAUD_INSIGHTS', 'registration', 'fuzz model');
SELECT fraud_create_model('spare_model', 'ONLINE_FRAUD_INSIGHTS', 'registration');
SELECT fraud_create_variable('fz_partner_risk', 'FLOAT', 'EXTERNAL_MODEL_SCORE', '-1');
CREATE FUNCTION public.fz_partner(ev jsonb) RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object('risk', length(ev::text)) $$;
CREATE FUNCTION public.fz_spare_partner(ev jsonb) RETURNS jsonb LANGUAGE sql AS $$ SELECT '{"risk": 1}'::jsonb $$;
SELECT fraud_put_external_model('fz_partner', 'SAGEMAKER', 'arn:aws:iam::123456789012:role/fz',
  '{"eventTypeName": "registration", "useEventVariables": false, "jsonInputTemplate": "{\"price\": {{order_price}}}"}',
  '{"jsonKeyToVariableMap": {"risk": "fz_partner_risk"}}', 'ASSOCIATED');
SELECT fraud_put_external_model('fz_spare_partner', 'SAGEMAKER', 'arn:aws:iam::123456789012:role/fz',
  '{"eventTypeName": "registration", "useEventVariables": true}', '{"jsonKeyToVariableMap": {"risk": "fz_partner_risk"}}', 'ASSOCIATED');
SELECT * FROM fraud_create_detector_version('new_account_detector', rules => '[
  {"detectorId": "new_account_detector", "ruleId": "high_risk", "ruleVersion": "1"},
  {"detectorId": "new_account_detector", "ruleId": "big_new_order", "ruleVersion": "2"},
  {"detectorId": "new_account_detector", "ruleId": "spare_rule", "ruleVersion": "1"},
  {"detectorId": "new_account_detector", "ruleId": "low_risk", "ruleVersion": "1"}]');

-- job inputs; fz_secret is one fuzz_all may not read
CREATE TABLE fz_pred_input AS
  SELECT i AS id, 'user' || i || '@example.com' AS email_address, '10.0.0.' || i AS ip_address,
         (i * 37 % 2000)::float8 AS order_price, i % 30 AS account_age_days
  FROM generate_series(1, 40) i;
CREATE VIEW fz_pred_view AS SELECT * FROM fz_pred_input WHERE id % 2 = 0;
-- two batches of a batch prediction: the random calls' jobs run long enough to be canceled
CREATE TABLE fz_pred_big AS
  SELECT i AS id, 'user' || i || '@example.com' AS email_address, '10.0.' || (i / 250) || '.' || (i % 250) AS ip_address,
         (i * 37 % 2000)::float8 AS order_price, i % 30 AS account_age_days
  FROM generate_series(1, 12000) i;
CREATE TABLE fz_import_input AS
  SELECT 'imp-' || i AS event_id, '2024-05-01T12:00:00Z' AS event_timestamp, 'c' || i AS entity_id,
         'customer' AS entity_type, CASE WHEN i % 3 = 0 THEN 'fraud' END AS event_label,
         CASE WHEN i % 3 = 0 THEN '2024-05-02T12:00:00Z' END AS label_timestamp, (i * 10)::text AS order_price
  FROM generate_series(1, 30) i;
-- voiceprints of dimension 8: three fraudsters and three speakers, all orthogonal
CREATE TABLE fz_voice_input AS
  SELECT 'fraudster-' || k AS request_id, 30::real AS speech_seconds,
         (SELECT array_agg((i = k)::int::real ORDER BY i) FROM generate_series(1, 8) i) AS embedding
  FROM generate_series(1, 3) k;
CREATE TABLE fz_enrol_input AS
  SELECT 'customer-' || k AS request_id, 40::real AS speech_seconds,
         (SELECT array_agg((i = k + 4)::int::real ORDER BY i) FROM generate_series(1, 8) i) AS embedding
  FROM generate_series(1, 3) k;
CREATE TABLE fz_secret AS SELECT * FROM fz_pred_input;
GRANT SELECT ON fz_pred_input, fz_pred_view, fz_pred_big, fz_import_input, fz_voice_input, fz_enrol_input TO fuzz_all;

-- jobs and events of fuzz_all (jobs belong to their creator)
SET ROLE fuzz_all;
SELECT fraud_create_batch_import_job('base-import', 'fz_import_input', 'registration');
SELECT fraud_create_batch_import_job('spare-import',
  'SELECT event_id, event_timestamp, entity_id, ''spare_entity'' AS entity_type FROM fz_import_input', 'spare_event_type');
SELECT fraud_create_batch_prediction_job('base-pred', 'fz_pred_input', 'fz_base_out', 'registration', 'new_account_detector');
SELECT fraud_create_batch_prediction_job('spare-pred', 'fz_pred_view', 'fz_spare_out', 'registration', 'new_account_detector');
SELECT fraud_send_event('ev-base', 'registration', '2024-05-01T12:00:00Z', '{"order_price": "20"}',
                        '[{"entityType": "customer", "entityId": "c1"}]', 'fraud', '2024-05-02T09:00:00Z');
SELECT fraud_get_event_prediction('new_account_detector', 'ev-pred', 'registration',
  '[{"entityType": "customer", "entityId": "c2"}]', '2024-05-01T12:00:00Z', '{"ip_address": "203.0.113.7", "order_price": "20"}');
SELECT fraud_send_event('spare-ev', 'spare_event_type', '2024-05-01T12:00:00Z', '{"spare_var": "y"}',
                        '[{"entityType": "spare_entity", "entityId": "s1"}]');
-- versions 1.0 and 2.0 of fz_model: training ends in ERROR (too few labelled events)
SELECT * FROM fraud_create_model_version('fz_model', 'ONLINE_FRAUD_INSIGHTS', 'INGESTED_EVENTS',
  '{"modelVariables": ["order_price", "email_address"]}',
  ingested_events_detail => '{"ingestedEventsTimeWindow": {"startTime": "2024-01-01T00:00:00Z", "endTime": "2025-01-01T00:00:00Z"}}');
SELECT * FROM fraud_update_model_version('fz_model', 'ONLINE_FRAUD_INSIGHTS', '1', external_events_detail => '{"dataLocation": "fz_import_input"}');
RESET ROLE;
-- Voice ID as the owner (fuzz_all's own calls are what is under test)
INSERT INTO fuzz.ctx SELECT 'domain', domain_id FROM fraud_voice_create_domain('fuzz-domain', 8);
INSERT INTO fuzz.ctx SELECT 'spare_domain', domain_id FROM fraud_voice_create_domain('spare-domain', 8);
INSERT INTO fuzz.ctx SELECT 'default_watchlist', watchlist_details->>'DefaultWatchlistId' FROM fraud_voice_describe_domain(fuzz.c('domain'));
INSERT INTO fuzz.ctx SELECT 'second_watchlist', watchlist_id FROM fraud_voice_create_watchlist(fuzz.c('domain'), 'second');
INSERT INTO fuzz.ctx SELECT 'spare_watchlist', watchlist_id FROM fraud_voice_create_watchlist(fuzz.c('domain'), 'spare');
INSERT INTO fuzz.ctx SELECT 'reg_job', job_id FROM fraud_voice_start_fraudster_registration_job(fuzz.c('domain'), '{"S3Uri": "fz_voice_input"}');
INSERT INTO fuzz.ctx SELECT 'enrol_job', job_id FROM fraud_voice_start_speaker_enrollment_job(fuzz.c('domain'), '{"S3Uri": "fz_enrol_input"}');
SQL

if ! settle_jobs; then echo "setup: the baseline jobs did not finish"; echo "fuzz: 0 passed, 1 failed"; exit 1; fi
psql -X -q -v ON_ERROR_STOP=1 -d "$db" > "$tmp/setup2.log" 2>&1 <<'SQL' || { cat "$tmp/setup2.log"; echo "fuzz: 0 passed, 1 failed"; exit 1; }
SET ROLE fuzz_all;
SELECT * FROM fraud_delete_events_by_event_type('spare_event_type');
INSERT INTO fuzz.ctx SELECT 'detector_arn', arn FROM fraud_get_detectors('new_account_detector');
RESET ROLE;
INSERT INTO fuzz.ctx SELECT 'fraudster', result->>'GeneratedFraudsterId'
  FROM fraud_voice_get_job_results(fuzz.c('domain'), fuzz.c('reg_job')) WHERE request_id = 'fraudster-1';
INSERT INTO fuzz.ctx SELECT 'fraudster2', result->>'GeneratedFraudsterId'
  FROM fraud_voice_get_job_results(fuzz.c('domain'), fuzz.c('reg_job')) WHERE request_id = 'fraudster-2';
SELECT * FROM fraud_voice_associate_fraudster(fuzz.c('domain'), fuzz.c('fraudster'), fuzz.c('second_watchlist'));
INSERT INTO fuzz.ctx SELECT 'speaker', generated_speaker_id FROM fraud_voice_describe_speaker(fuzz.c('domain'), 'customer-1');
INSERT INTO fuzz.ctx VALUES ('caller_embedding', '{0.9,0.1,0,0,0,0,0,0}');
INSERT INTO fuzz.ctx SELECT 'voice_result', fraud_voice_evaluate_session(fuzz.c('domain'), 'setup-call',
  fuzz.c('caller_embedding')::real[], 14.5, speaker_id => 'customer-1')::text;
INSERT INTO fuzz.ctx SELECT 'session', r->>'SessionId' FROM (SELECT fuzz.c('voice_result')::jsonb r) s;
INSERT INTO fuzz.ctx SELECT 'prediction_ms', round(extract(epoch FROM prediction_timestamp) * 1000)::text
  FROM fraud.event_predictions WHERE event_id = 'ev-pred';
SQL
settle_jobs
missing=$(q "SELECT string_agg(k, ', ') FROM unnest(ARRAY['domain', 'spare_domain', 'default_watchlist', 'second_watchlist',
  'spare_watchlist', 'reg_job', 'enrol_job', 'fraudster', 'fraudster2', 'speaker', 'voice_result', 'session', 'detector_arn',
  'prediction_ms']) k WHERE fuzz.c(k) IS NULL")
if [ -n "$missing" ]; then
  echo "setup: no baseline value for $missing"
  q "SELECT job_type, job_id, status, failure_reason FROM fraud.jobs"
  echo "fuzz: 0 passed, 1 failed"; exit 1
fi

echo "== the cases"
psql -X -q -v ON_ERROR_STOP=1 -v seed="$seed" -v random_calls="$random_calls" -d "$db" > "$tmp/cases.log" 2>&1 <<'SQL' || { cat "$tmp/cases.log"; echo "fuzz: 0 passed, 1 failed"; exit 1; }
-- The functions under test: members of the extension outside schema fraud.
CREATE TABLE fuzz.funcs AS
  SELECT p.oid AS fn, p.oid::regprocedure::text AS signature, p.proname::text AS fname,
         quote_ident(n.nspname) || '.' || quote_ident(p.proname) AS qualified, p.proretset AS retset
  FROM pg_depend d JOIN pg_proc p ON p.oid = d.objid JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE d.classid = 'pg_proc'::regclass AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
    AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'fraud_detector') AND n.nspname <> 'fraud';
-- Their input arguments, with the declared defaults.
CREATE TABLE fuzz.args AS
  SELECT p.oid AS fn, a.pos::int AS pos, coalesce(nm.name, 'arg' || a.pos) AS name, a.typ::regtype AS typ,
         pg_get_function_arg_default(p.oid, a.pos::int) AS dflt
  FROM pg_proc p JOIN fuzz.funcs f ON f.fn = p.oid
  CROSS JOIN LATERAL unnest(p.proargtypes::oid[]) WITH ORDINALITY a(typ, pos)
  LEFT JOIN LATERAL (
    SELECT x.name FROM (
      SELECT u.name, row_number() OVER (ORDER BY u.ord) AS k
      FROM unnest(p.proargnames, coalesce(p.proargmodes, array_fill('i'::"char", ARRAY[cardinality(p.proargnames)])))
           WITH ORDINALITY u(name, mode, ord)
      WHERE u.mode IN ('i', 'b', 'v')) x
    WHERE x.k = a.pos) nm ON true;

-- Baselines: a plausible valid value per argument, by (function, argument name), else by
-- argument name ('*'); `fresh` ones get a per-call suffix in random cases, so creates succeed;
-- `dynamic` ones are evaluated at each call (the newest running job, for the cancels).
CREATE TABLE fuzz.baseline_rules (fname text, arg text, expr text, fresh boolean DEFAULT false, dynamic boolean DEFAULT false);
INSERT INTO fuzz.baseline_rules (fname, arg, expr, fresh) VALUES
  ('*', 'detector_id', $$'new_account_detector'$$, false),
  ('*', 'detector_name', $$'new_account_detector'$$, false),
  ('*', 'detector_version_id', $$'2'$$, false),
  ('*', 'detector_version', $$'2'$$, false),
  ('*', 'event', $${"email_address": "a@example.com", "ip_address": "192.0.2.1", "order_price": 20, "account_age_days": 3}$$, false),
  ('*', 'event_type_name', $$'registration'$$, false),
  ('*', 'event_id', $$'ev-base'$$, false),
  ('*', 'event_timestamp', $$'2024-05-01T12:00:00Z'$$, false),
  ('*', 'event_variables', $$'{"ip_address": "203.0.113.7", "order_price": "20"}'$$, false),
  ('*', 'entities', $$'[{"entityType": "customer", "entityId": "c1"}]'$$, false),
  ('*', 'assigned_label', $$'fraud'$$, false),
  ('*', 'label_timestamp', $$'2024-05-02T09:00:00Z'$$, false),
  ('*', 'prediction_timestamp', $$fuzz.c('prediction_ms')$$, false),
  ('*', 'delete_audit_history', 'false', false),
  ('*', 'rule', $$'{"detectorId": "new_account_detector", "ruleId": "big_new_order", "ruleVersion": "2"}'$$, false),
  ('*', 'rules', $$'[{"detectorId": "new_account_detector", "ruleId": "high_risk", "ruleVersion": "1"},
                    {"detectorId": "new_account_detector", "ruleId": "big_new_order", "ruleVersion": "2"},
                    {"detectorId": "new_account_detector", "ruleId": "low_risk", "ruleVersion": "1"}]'$$, false),
  ('*', 'rule_id', $$'high_risk'$$, false),
  ('*', 'rule_version', $$'1'$$, false),
  ('*', 'expression', $$'$order_price > 100 and $email_address != "x"'$$, false),
  ('*', 'outcomes', $$'{review}'$$, false),
  ('*', 'language', $$'DETECTORPL'$$, false),
  ('*', 'description', $$'fuzz description'$$, false),
  ('*', 'tags', $$'{"fuzz": "yes"}'$$, false),
  ('*', 'external_model_endpoints', $$'{}'$$, false),
  ('*', 'model_versions', 'NULL', false),
  ('*', 'rule_execution_mode', $$'ALL_MATCHED'$$, false),
  ('*', 'status', $$'ACTIVE'$$, false),
  ('*', 'data_type', $$'STRING'$$, false),
  ('*', 'data_source', $$'EVENT'$$, false),
  ('*', 'default_value', $$'x'$$, false),
  ('*', 'variable_type', 'NULL', false),
  ('*', 'variable_entries', $$'[{"name": "fz_batch_var", "dataType": "STRING", "dataSource": "EVENT", "defaultValue": "x"}]'$$, false),
  ('*', 'names', $$'{email_address,order_price}'$$, false),
  ('*', 'elements', $$'{10.0.0.1,10.0.0.2}'$$, false),
  ('*', 'update_mode', $$'APPEND'$$, false),
  ('*', 'entity_types', $$'{customer}'$$, false),
  ('*', 'labels', $$'{fraud,legit}'$$, false),
  ('*', 'event_ingestion', $$'ENABLED'$$, false),
  ('*', 'event_orchestration', $$'{"eventBridgeEnabled": false}'$$, false),
  ('*', 'resource_arn', $$fuzz.c('detector_arn')$$, false),
  ('*', 'tag_keys', $$'{fuzz}'$$, false),
  ('*', 'job_id', $$'base-pred'$$, false),
  ('*', 'input_path', $$'fz_pred_input'$$, false),
  ('*', 'output_path', $$'fz_out'$$, true),
  ('*', 'capability', $$'scoring'$$, false),
  ('*', 'role_name', $$'fuzz_target'$$, false),
  ('*', 'domain_id', $$fuzz.c('domain')$$, false),
  ('*', 'watchlist_id', $$fuzz.c('second_watchlist')$$, false),
  ('*', 'fraudster_id', $$fuzz.c('fraudster')$$, false),
  ('*', 'speaker_id', $$'customer-1'$$, false),
  ('*', 'job_status', $$'COMPLETED'$$, false),
  ('*', 'input_data_config', $$'{"S3Uri": "fz_voice_input"}'$$, false),
  ('*', 'job_name', $$'fz-job'$$, false),
  ('*', 'registration_config', $$'{"DuplicateRegistrationAction": "REGISTER_AS_NEW", "FraudsterSimilarityThreshold": 90}'$$, false),
  ('*', 'enrollment_config', $$'{"ExistingEnrollmentAction": "OVERWRITE", "FraudDetectionConfig": {"FraudDetectionAction": "IGNORE"}}'$$, false),
  ('*', 'embedding_dimension', '8', false),
  ('*', 'cos_at_50', '0.35', false),
  ('*', 'cos_at_90', '0.6', false),
  ('*', 'authentication_min_speech_seconds', '10', false),
  ('*', 'session_name_or_id', $$'fz-session'$$, false),
  ('*', 'embedding', $$fuzz.c('caller_embedding')$$, false),
  ('*', 'speech_seconds', '14.5', false),
  ('*', 'authentication_threshold', '90', false),
  ('*', 'fraud_risk_threshold', '50', false),
  ('*', 'voice_spoofing_risk', '10', false),
  ('*', 'result', $$fuzz.c('voice_result')$$, false),
  ('*', 'option', $$'fraudDetection'$$, false),
  ('fraud_put_entity_type', 'name', $$'customer'$$, false),
  ('fraud_get_entity_types', 'name', $$'customer'$$, false),
  ('fraud_delete_entity_type', 'name', $$'lone_entity'$$, false),
  ('fraud_put_label', 'name', $$'fraud'$$, false),
  ('fraud_get_labels', 'name', $$'fraud'$$, false),
  ('fraud_delete_label', 'name', $$'spare_label'$$, false),
  ('fraud_put_outcome', 'name', $$'review'$$, false),
  ('fraud_get_outcomes', 'name', $$'review'$$, false),
  ('fraud_delete_outcome', 'name', $$'spare_outcome'$$, false),
  ('fraud_create_variable', 'name', $$'fz_var'$$, true),
  ('fraud_get_variables', 'name', $$'email_address'$$, false),
  ('fraud_update_variable', 'name', $$'spare_var'$$, false),
  ('fraud_update_variable', 'default_value', $$'y'$$, false),
  ('fraud_delete_variable', 'name', $$'lone_var'$$, false),
  ('fraud_create_list', 'name', $$'fz_list'$$, true),
  ('fraud_update_list', 'name', $$'blocked_ips'$$, false),
  ('fraud_get_list_elements', 'name', $$'blocked_ips'$$, false),
  ('fraud_get_lists_metadata', 'name', $$'blocked_ips'$$, false),
  ('fraud_delete_list', 'name', $$'spare_list'$$, false),
  ('fraud_put_event_type', 'name', $$'registration'$$, false),
  ('fraud_put_event_type', 'event_variables', $$'{email_address,ip_address,order_price,account_age_days}'$$, false),
  ('fraud_get_event_types', 'name', $$'registration'$$, false),
  ('fraud_delete_event_type', 'name', $$'lone_event_type'$$, false),
  ('fraud_delete_detector', 'detector_id', $$'spare_detector'$$, false),
  ('fraud_create_rule', 'rule_id', $$'fz_rule'$$, true),
  ('fraud_get_rules', 'rule_id', $$'big_new_order'$$, false),
  ('fraud_get_rules', 'rule_version', $$'2'$$, false),
  ('fraud_delete_rule', 'rule', $$'{"detectorId": "new_account_detector", "ruleId": "spare_rule", "ruleVersion": "1"}'$$, false),
  ('fraud_update_detector_version', 'detector_version_id', $$'3'$$, false),
  ('fraud_update_detector_version', 'rules', $$'[{"detectorId": "new_account_detector", "ruleId": "high_risk", "ruleVersion": "1"},
                    {"detectorId": "new_account_detector", "ruleId": "spare_rule", "ruleVersion": "1"}]'$$, false),
  ('fraud_update_detector_version_metadata', 'detector_version_id', $$'1'$$, false),
  ('fraud_update_detector_version_status', 'detector_version_id', $$'3'$$, false),
  ('fraud_delete_detector_version', 'detector_version_id', $$'3'$$, false),
  ('fraud_update_detector_version_shadow', 'detector_version_id', $$'1'$$, false),
  ('fraud_update_detector_version_shadow', 'shadow', $$true$$, false),
  ('fraud_rule_stats', 'from', $$'-infinity'$$, false),
  ('fraud_rule_stats', 'to', $$'infinity'$$, false),
  ('fraud_list_event_predictions', 'event_id', $${"value": "ev-pred"}$$, false),
  ('fraud_list_event_predictions', 'event_type', $${"value": "registration"}$$, false),
  ('fraud_list_event_predictions', 'detector_id', $${"value": "new_account_detector"}$$, false),
  ('fraud_list_event_predictions', 'detector_version_id', $${"value": "2"}$$, false),
  ('fraud_list_event_predictions', 'prediction_time_range', $${"startTime": "2024-01-01T00:00:00Z", "endTime": "2100-01-01T00:00:00Z"}$$, false),
  ('fraud_get_event_prediction_metadata', 'event_id', $$'ev-pred'$$, false),
  ('fraud_get_event_prediction', 'event_id', $$'fz-ev'$$, true),
  ('fraud_send_event', 'event_id', $$'fz-ev'$$, true),
  ('fraud_create_batch_import_job', 'job_id', $$'fz-job'$$, true),
  ('fraud_create_batch_import_job', 'input_path', $$'fz_import_input'$$, false),
  ('fraud_get_batch_import_jobs', 'job_id', $$'base-import'$$, false),
  ('fraud_get_batch_import_job_errors', 'job_id', $$'base-import'$$, false),
  ('fraud_cancel_batch_import_job', 'job_id', $$coalesce((SELECT job_id FROM public.fraud_get_batch_import_jobs()
                                                  WHERE status LIKE 'IN_PROGRESS%' LIMIT 1), 'base-import')$$, false),
  ('fraud_delete_batch_import_job', 'job_id', $$'spare-import'$$, false),
  ('fraud_create_batch_prediction_job', 'job_id', $$'fz-job'$$, true),
  ('fraud_create_batch_prediction_job', 'input_path', $$'fz_pred_big'$$, false),
  ('fraud_cancel_batch_prediction_job', 'job_id', $$coalesce((SELECT job_id FROM public.fraud_get_batch_prediction_jobs()
                                                      WHERE status LIKE 'IN_PROGRESS%' LIMIT 1), 'base-pred')$$, false),
  ('fraud_delete_batch_prediction_job', 'job_id', $$'spare-pred'$$, false),
  ('fraud_delete_events_by_event_type', 'event_type_name', $$'spare_event_type'$$, false),
  ('fraud_get_delete_events_by_event_type_status', 'event_type_name', $$'spare_event_type'$$, false),
  ('fraud_voice_create_domain', 'name', $$'fz-domain'$$, false),
  ('fraud_voice_update_domain', 'name', $$'fuzz-domain'$$, false),
  ('fraud_voice_delete_domain', 'domain_id', $$fuzz.c('spare_domain')$$, false),
  ('fraud_voice_create_watchlist', 'name', $$'fz-watchlist'$$, true),
  ('fraud_voice_update_watchlist', 'watchlist_id', $$fuzz.c('spare_watchlist')$$, false),
  ('fraud_voice_update_watchlist', 'name', $$'spare-renamed'$$, false),
  ('fraud_voice_delete_watchlist', 'watchlist_id', $$fuzz.c('spare_watchlist')$$, false),
  ('fraud_voice_describe_watchlist', 'watchlist_id', $$fuzz.c('default_watchlist')$$, false),
  ('fraud_voice_associate_fraudster', 'watchlist_id', $$fuzz.c('spare_watchlist')$$, false),
  ('fraud_voice_delete_fraudster', 'fraudster_id', $$fuzz.c('fraudster2')$$, false),
  ('fraud_voice_opt_out_speaker', 'speaker_id', $$'customer-2'$$, false),
  ('fraud_voice_delete_speaker', 'speaker_id', $$'customer-3'$$, false),
  ('fraud_voice_describe_fraudster_registration_job', 'job_id', $$fuzz.c('reg_job')$$, false),
  ('fraud_voice_get_job_results', 'job_id', $$fuzz.c('reg_job')$$, false),
  ('fraud_voice_describe_speaker_enrollment_job', 'job_id', $$fuzz.c('enrol_job')$$, false),
  ('fraud_voice_start_speaker_enrollment_job', 'input_data_config', $$'{"S3Uri": "fz_enrol_input"}'$$, false),
  ('*', 'model_id', $$'fz_model'$$, false),
  ('fraud_create_model', 'model_id', $$'fz_new_model'$$, true),
  ('fraud_delete_model', 'model_id', $$'spare_model'$$, false),
  ('*', 'model_type', $$'ONLINE_FRAUD_INSIGHTS'$$, false),
  ('*', 'training_data_source', $$'INGESTED_EVENTS'$$, false),
  ('*', 'training_data_schema', $${"modelVariables": ["order_price", "email_address"],
                                  "labelSchema": {"labelMapper": {"FRAUD": ["fraud"], "LEGIT": ["legit"]}, "unlabeledEventsTreatment": "IGNORE"}}$$, false),
  ('*', 'ingested_events_detail', $${"ingestedEventsTimeWindow": {"startTime": "2024-01-01T00:00:00Z", "endTime": "2025-01-01T00:00:00Z"}}$$, false),
  ('*', 'external_events_detail', 'NULL', false),
  -- UpdateModelVersion on external events (a table in batch import's layout) instead
  ('fraud_update_model_version', 'external_events_detail', $${"dataLocation": "fz_import_input"}$$, false),
  ('fraud_update_model_version', 'ingested_events_detail', 'NULL', false),
  ('*', 'major_version_number', $$'1'$$, false),
  ('*', 'model_version_number', $$'1.0'$$, false),
  ('fraud_delete_model_version', 'model_version_number', $$'2.0'$$, false),
  ('*', 'model_endpoint', $$'fz_partner'$$, false),
  ('fraud_delete_external_model', 'model_endpoint', $$'fz_spare_partner'$$, false),
  ('*', 'model_source', $$'SAGEMAKER'$$, false),
  ('*', 'invoke_model_endpoint_role_arn', $$'arn:aws:iam::123456789012:role/fz'$$, false),
  ('*', 'input_configuration', $${"eventTypeName": "registration", "useEventVariables": false, "jsonInputTemplate": "{\"price\": {{order_price}}}"}$$, false),
  ('*', 'output_configuration', $${"jsonKeyToVariableMap": {"risk": "fz_partner_risk"}}$$, false),
  ('*', 'model_endpoint_status', $$'ASSOCIATED'$$, false);
-- jsonb baselines above written without quotes are literals
UPDATE fuzz.baseline_rules SET expr = quote_literal(expr) WHERE expr LIKE '{%';
UPDATE fuzz.baseline_rules SET dynamic = true WHERE expr LIKE '%fraud_get_batch_%';

-- The value pools, by type: SQL expressions, evaluated once (fuzz.tv_<type oid> tables).
CREATE TABLE fuzz.pool (typ regtype, label text, expr text);
INSERT INTO fuzz.pool (typ, label, expr) SELECT 'text', l, e FROM (VALUES
  ('NULL', 'NULL'), ('empty', $$''$$), ('space', $$' '$$), ('a', $$'a'$$), ('huge 100k', $$repeat('a', 100000)$$),
  ('huge 100k quotes', $$repeat('''', 100000)$$), ('huge 50k multibyte', $$repeat('é', 50000)$$),
  ('64 chars', $$repeat('a', 64)$$), ('65 chars', $$repeat('a', 65)$$), ('256 chars', $$repeat('a', 256)$$),
  ('257 chars', $$repeat('a', 257)$$), ('4097 chars', $$repeat('a', 4097)$$), ('upper case', $$'Customer'$$),
  ('quote', $$''''$$), ('two quotes', $$''''''$$), ('drop table', $$'''; DROP TABLE fraud.rules; --'$$),
  ('create role', $$'"x"; CREATE ROLE pwned'$$), ('create role 2', $$'x''); CREATE ROLE pwned_paren; --'$$),
  ('create table', $$'''; CREATE TABLE public.pwned_t(); --'$$), ('ident injection', $$'"; CREATE TABLE public.pwned_i(); --'$$),
  ('dollar', $q$'$$'$q$), ('dollar injection', $q$'$$; CREATE TABLE public.pwned_d(); $$'$q$),
  ('backslash', $$'\'$$), ('backslashes', $$'\\''\'$$), ('format', $$'%s %I %L %1$s'$$), ('or true', $$''' OR ''1''=''1'$$),
  ('semicolon', $$';'$$), ('comment', $$'/*'$$), ('control', $$E'\x01\x7f'$$), ('newline', $$E'a\nb'$$),
  ('tab', $$E'\t'$$), ('emoji', $$'🙂'$$), ('rtl override', $$E'\u202e'$$), ('zero width', $$E'a\u200bb'$$),
  ('path passwd', $$'/etc/passwd'$$), ('path relative', $$'../../x'$$), ('path semicolon', $$'/tmp/x;rm'$$),
  ('path dev null', $$'/dev/null'$$), ('path missing', $$'/nonexistent/x.csv'$$), ('path dir', $$'/tmp'$$),
  ('file url', $$'file:///etc/passwd'$$), ('s3 uri', $$'s3://bucket/key.csv'$$),
  ('query 1', $$'SELECT 1'$$), ('query pg_authid', $$'SELECT * FROM pg_authid'$$), ('query fraud.rules', $$'SELECT * FROM fraud.rules'$$),
  ('query delete', $$'DELETE FROM fraud.rules RETURNING *'$$), ('query multi', $$'SELECT 1; CREATE ROLE pwned_multi'$$),
  ('query breakout', $$'SELECT 1 AS x) q; CREATE TABLE public.pwned_q(); SELECT * FROM (SELECT 1 AS x'$$),
  ('query sleep', $$'SELECT pg_sleep(0.2)'$$), ('query values', $$'VALUES (1)'$$), ('query with', $$'WITH x AS (SELECT 1) SELECT * FROM x'$$),
  ('query series', $$'SELECT i AS id, i::float8 AS order_price FROM generate_series(1, 50) i'$$),
  ('query statement', $$'CREATE TABLE public.pwned_stmt()'$$), ('query table', $$'TABLE pg_class'$$), ('query bare select', $$'SELECT'$$),
  ('query comment', $$'SELECT 1 --'$$), ('query copy', $$'COPY (SELECT 1) TO ''/tmp/pwned_copy'''$$),
  ('query input', $$'SELECT * FROM fz_pred_input'$$), ('query secret', $$'SELECT * FROM fz_secret'$$),
  ('table pg_authid', $$'pg_catalog.pg_authid'$$), ('table fraud.rules', $$'fraud.rules'$$), ('table fraud.jobs', $$'fraud.jobs'$$),
  ('table pg_class', $$'pg_class'$$), ('table secret', $$'fz_secret'$$), ('table input', $$'fz_pred_input'$$),
  ('table view', $$'fz_pred_view'$$), ('table qualified', $$'public.fz_pred_input'$$), ('table quoted', $$'"fz_pred_input"'$$),
  ('table import input', $$'fz_import_input'$$), ('table voice input', $$'fz_voice_input'$$),
  ('table information_schema', $$'information_schema.tables'$$), ('table temp', $$'pg_temp.x'$$), ('table missing', $$'no_such_table'$$),
  ('0', $$'0'$$), ('-1', $$'-1'$$), ('1', $$'1'$$), ('2', $$'2'$$), ('3', $$'3'$$), ('max int', $$'2147483647'$$),
  ('max int + 1', $$'2147483648'$$), ('99999', $$'99999'$$), ('100000', $$'100000'$$), ('1e308', $$'1e308'$$),
  ('1e309', $$'1e309'$$), ('NaN', $$'NaN'$$), ('Infinity', $$'Infinity'$$), ('-Infinity', $$'-Infinity'$$), ('1.5', $$'1.5'$$),
  ('leading zero', $$'01'$$), ('plus', $$'+1'$$),
  ('ts infinity', $$'infinity'$$), ('ts -infinity', $$'-infinity'$$), ('ts year 10000', $$'10000-01-01T00:00:00Z'$$),
  ('ts year 10000 text', $$'year 10000'$$), ('ts feb 30', $$'2024-02-30T00:00:00Z'$$), ('ts valid', $$'2024-05-01T12:00:00Z'$$),
  ('ts epoch ms', $$'1714564800123'$$), ('ts huge epoch', $$'99999999999999999999'$$), ('ts slashes', $$'2024/05/01 12:00:00'$$),
  ('ts bad month', $$'13/13/2024 10:00'$$), ('ts epoch word', $$'epoch'$$), ('ts now', $$'now'$$), ('ts far future', $$'294277-01-01T00:00:00Z'$$),
  ('ts BC', $$'4714-11-24 BC'$$), ('ts julian', $$'J2451187'$$),
  ('ACTIVE', $$'ACTIVE'$$), ('DRAFT', $$'DRAFT'$$), ('INACTIVE', $$'INACTIVE'$$), ('FIRST_MATCHED', $$'FIRST_MATCHED'$$),
  ('REPLACE', $$'REPLACE'$$), ('REMOVE', $$'REMOVE'$$), ('INTEGER', $$'INTEGER'$$), ('EVENT', $$'EVENT'$$),
  ('DETECTORPL', $$'DETECTORPL'$$), ('authentication', $$'authentication'$$), ('scoring', $$'scoring'$$),
  ('DISABLED', $$'DISABLED'$$), ('IN_PROGRESS', $$'IN_PROGRESS'$$), ('lower active', $$'active'$$),
  ('detector', $$'new_account_detector'$$), ('event type', $$'registration'$$), ('entity type', $$'customer'$$),
  ('list', $$'blocked_ips'$$), ('label', $$'fraud'$$), ('variable', $$'email_address'$$), ('rule', $$'high_risk'$$),
  ('outcome', $$'approve'$$), ('job', $$'base-pred'$$), ('role fuzz_target', $$'fuzz_target'$$), ('role none', $$'-'$$),
  ('role superuser', $$'postgres'$$),
  ('domain', $$fuzz.c('domain')$$), ('domain + quote', $$fuzz.c('domain') || ''''$$), ('watchlist', $$fuzz.c('default_watchlist')$$),
  ('fraudster', $$fuzz.c('fraudster')$$), ('speaker', $$fuzz.c('speaker')$$), ('session', $$fuzz.c('session')$$),
  ('voice job', $$fuzz.c('reg_job')$$), ('22 A', $$repeat('A', 22)$$), ('id# 22 A', $$'id#' || repeat('A', 22)$$),
  ('21 A', $$repeat('A', 21)$$), ('id# 23 A', $$'id#' || repeat('A', 23)$$),
  ('json object', $$'{}'$$), ('json array', $$'[]'$$), ('json null', $$'null'$$),
  ('arn detector', $$fuzz.c('detector_arn')$$), ('arn empty id', $$'arn:fraud:' || current_database() || ':detector/'$$),
  ('arn other db', $$'arn:fraud:other_db:detector/new_account_detector'$$),
  ('arn aws', $$'arn:aws:frauddetector:us-east-1:123456789012:detector/new_account_detector'$$),
  ('arn voice domain', $$'arn:fraud:' || current_database() || ':voice-domain/' || fuzz.c('domain')$$),
  ('arn rule', $$'arn:fraud:' || current_database() || ':rule/new_account_detector/high_risk/1'$$),
  ('arn version', $$'arn:fraud:' || current_database() || ':detector-version/new_account_detector/2'$$),
  ('arn job', $$'arn:fraud:' || current_database() || ':batch-prediction/base-pred'$$), ('arn traversal', $$'arn:fraud:' || current_database() || ':detector/../../x'$$),
  ('arn injection', $$'arn:fraud:' || current_database() || ':detector/x''; DROP TABLE fraud.rules; --'$$),
  ('arn huge', $$'arn:fraud:' || current_database() || ':detector/' || repeat('a', 100000)$$),
  ('rule syntax', $$'$order_price >'$$), ('rule unknown variable', $$'$nope > 1'$$), ('rule bare list', $$'@blocked_ips'$$),
  ('rule list', $$'$ip_address in @blocked_ips'$$), ('rule unknown list', $$'$ip_address in @nope'$$),
  ('rule redos', $$'regex_match("(a+)+$", $email_address)'$$), ('rule regex huge', $$'regex_match("a{1000}{1000}", $email_address)'$$),
  ('rule regex invalid', $$'regex_match("[", $email_address)'$$),
  ('rule 2000 parens', $$repeat('(', 2000) || 'true' || repeat(')', 2000)$$), ('rule 1000 nots', $$repeat('not ', 1000) || 'true'$$),
  ('rule 200 ands', $$repeat('$order_price > 1 and ', 200) || 'true'$$), ('rule 4000 minus', $$repeat('-', 4000) || '1 > 0'$$),
  ('rule unterminated', $$'"unterminated'$$), ('rule big number', $$'$order_price > 1e309'$$),
  ('rule big integer', $$'$account_age_days > 99999999999999999999'$$), ('rule type mismatch', $$'$email_address > 1'$$),
  ('rule not boolean', $$'$order_price'$$), ('rule 100k', $$repeat('$order_price > 1 or ', 5000) || 'true'$$)
) v(l, e);
INSERT INTO fuzz.pool (typ, label, expr) SELECT 'jsonb', l, e FROM (VALUES
  ('NULL', 'NULL'), ('json null', $$'null'$$), ('[]', $$'[]'$$), ('{}', $$'{}'$$), ('string', $$'"s"'$$), ('1', $$'1'$$),
  ('-1', $$'-1'$$), ('true', $$'true'$$), ('0', $$'0'$$), ('1e308', $$'1e308'$$), ('-1e308', $$'-1e308'$$), ('1e-308', $$'1e-308'$$),
  ('1e400', $$'1e400'$$), ('30 digits', $$'123456789012345678901234567890'$$), ('injection string', $$to_jsonb('x''; DROP TABLE fraud.rules; --'::text)$$),
  ('{"a": null}', $$'{"a": null}'$$), ('[null]', $$'[null]'$$), ('[{}]', $$'[{}]'$$), ('[[]]', $$'[[]]'$$), ('{"": ""}', $$'{"": ""}'$$),
  ('value null', $$'{"value": null}'$$), ('value 1', $$'{"value": 1}'$$), ('value empty', $$'{"value": ""}'$$),
  ('value injection', $$'{"value": "x''; DROP TABLE fraud.rules; --"}'$$), ('value array', $$'{"value": ["a"]}'$$),
  ('value huge', $$jsonb_build_object('value', repeat('a', 100000))$$),
  ('range infinite', $$'{"startTime": "-infinity", "endTime": "infinity"}'$$),
  ('range year 10000', $$'{"startTime": "2024-01-01T00:00:00Z", "endTime": "10000-01-01T00:00:00Z"}'$$),
  ('range reversed', $$'{"startTime": "2025-01-01T00:00:00Z", "endTime": "2024-01-01T00:00:00Z"}'$$),
  ('range numbers', $$'{"startTime": 1, "endTime": 1e308}'$$),
  ('S3Uri passwd', $$'{"S3Uri": "/etc/passwd"}'$$), ('S3Uri pg_authid', $$'{"S3Uri": "SELECT * FROM pg_authid"}'$$),
  ('S3Uri secret', $$'{"S3Uri": "fz_secret"}'$$), ('S3Uri fraud table', $$'{"S3Uri": "fraud.voice_fraudsters"}'$$),
  ('S3Uri null', $$'{"S3Uri": null}'$$), ('S3Uri number', $$'{"S3Uri": 1}'$$), ('S3Uri empty', $$'{"S3Uri": ""}'$$),
  ('S3Uri breakout', $$'{"S3Uri": "SELECT 1 AS x) q; CREATE TABLE public.pwned_v(); SELECT * FROM (SELECT 1 AS x"}'$$),
  ('S3Uri huge', $$jsonb_build_object('S3Uri', repeat('a', 100000))$$), ('S3Uri s3', $$'{"S3Uri": "s3://bucket/manifest.json"}'$$),
  ('S3Uri query', $$'{"S3Uri": "SELECT request_id, embedding, speech_seconds FROM fz_voice_input"}'$$),
  ('event variables null', $$'{"eventVariables": null}'$$), ('event variables array', $$'{"eventVariables": []}'$$),
  ('event variables 1e309', $$'{"eventVariables": {"order_price": "1e309"}}'$$), ('order_price 1e309', $$'{"order_price": 1e309}'$$),
  ('order_price NaN', $$'{"order_price": "NaN"}'$$), ('order_price Infinity', $$'{"order_price": "Infinity"}'$$),
  ('order_price -Infinity', $$'{"order_price": "-Infinity"}'$$), ('order_price object', $$'{"order_price": {"a": 1}}'$$),
  ('age 20 digits', $$'{"account_age_days": 99999999999999999999}'$$), ('age 1.5', $$'{"account_age_days": 1.5}'$$),
  ('age string', $$'{"account_age_days": "x"}'$$), ('email number', $$'{"email_address": 1}'$$),
  ('email nested', $$'{"email_address": {"nested": [1]}}'$$), ('email huge', $$jsonb_build_object('email_address', repeat('a', 100000))$$),
  ('ip empty', $$'{"ip_address": ""}'$$), ('entities wrong type', $$'[{"entityType": "nope", "entityId": "x"}]'$$),
  ('entity id injection', $$'[{"entityType": "customer", "entityId": "x''; DROP TABLE fraud.rules; --"}]'$$),
  ('rule ref version 0', $$'{"detectorId": "new_account_detector", "ruleId": "high_risk", "ruleVersion": "0"}'$$),
  ('rule ref number', $$'{"detectorId": "new_account_detector", "ruleId": "high_risk", "ruleVersion": 1}'$$),
  ('rule ref huge version', $$'{"detectorId": "new_account_detector", "ruleId": "high_risk", "ruleVersion": "99999999999"}'$$),
  ('tags null value', $$'{"k": null}'$$), ('tags number value', $$'{"k": 1}'$$), ('tags list no value', $$'[{"key": "a"}]'$$),
  ('tags list duplicate', $$'[{"key": "a", "value": "b"}, {"key": "a", "value": "c"}]'$$),
  ('tags 201', $$(SELECT jsonb_object_agg('k' || i, 'v') FROM generate_series(1, 201) i)$$),
  ('tags key 129', $$jsonb_build_object(repeat('k', 129), 'v')$$), ('tags value 257', $$jsonb_build_object('k', repeat('v', 257))$$),
  ('tags key injection', $$'{"x''; DROP TABLE fraud.rules; --": "v"}'$$),
  ('voice result empty', $$'{"FraudDetectionResult": {}}'$$), ('voice result wrong', $$'{"AuthenticationResult": {"Decision": 1}}'$$),
  ('model versions', $$'[{"modelId": "m", "modelType": "ONLINE_FRAUD_INSIGHTS", "modelVersionNumber": "1.0"}]'$$),
  ('deep array 1000', $$repeat('[', 1000) || repeat(']', 1000)$$),
  ('deep object 1000', $$repeat('{"a": ', 1000) || '1' || repeat('}', 1000)$$),
  ('huge int array', $$(SELECT jsonb_agg(i) FROM generate_series(1, 100000) i)$$),
  ('huge string array', $$(SELECT jsonb_agg('s' || i) FROM generate_series(1, 100000) i)$$),
  ('huge object', $$(SELECT jsonb_object_agg('k' || i, i) FROM generate_series(1, 100000) i)$$),
  ('huge string', $$to_jsonb(repeat('a', 100000))$$), ('huge key', $$jsonb_build_object(repeat('k', 100000), 1)$$)
) v(l, e);
INSERT INTO fuzz.pool (typ, label, expr) SELECT 'text[]', l, e FROM (VALUES
  ('NULL', 'NULL'), ('{}', $$'{}'$$), ('{NULL}', $$'{NULL}'$$), ('{""}', $$'{""}'$$), ('{" "}', $$'{" "}'$$), ('{a}', $$'{a}'$$),
  ('{a,a}', $$'{a,a}'$$), ('{NULL,NULL}', $$'{NULL,NULL}'$$), ('huge element', $$ARRAY[repeat('a', 100000)]$$),
  ('100000 elements', $$(SELECT array_agg('e' || i) FROM generate_series(1, 100000) i)$$),
  ('100001 elements', $$(SELECT array_agg('e' || i) FROM generate_series(1, 100001) i)$$),
  ('100000 same', $$array_fill('e'::text, ARRAY[100000])$$),
  ('2-D', $$'{{a,b},{c,d}}'$$), ('lower bound 0', $$'[0:1]={a,b}'$$), ('injection', $$ARRAY['x''; DROP TABLE fraud.rules; --']$$),
  ('create role', $$ARRAY['"x"; CREATE ROLE pwned']$$), ('dollar', $q$ARRAY['$$']$q$), ('path', $$ARRAY['/etc/passwd']$$),
  ('backslash', $$ARRAY['\']$$), ('upper case', $$ARRAY['Customer']$$), ('duplicate names', $$ARRAY['email_address', 'email_address']$$),
  ('unknown name', $$ARRAY['nonexistent']$$), ('65 chars', $$ARRAY[repeat('a', 65)]$$),
  ('mixed names', $$ARRAY['fraud', 'legit', 'customer', 'review', 'email_address', 'blocked_ips']$$),
  ('outcomes', $$ARRAY['review', 'approve']$$), ('tab element', $$ARRAY[E'a\tb']$$), ('spaces element', $$ARRAY['a  b']$$)
) v(l, e);
INSERT INTO fuzz.pool (typ, label, expr) SELECT 'real[]', l, e FROM (VALUES
  ('NULL', 'NULL'), ('{}', $$'{}'$$), ('{NULL}', $$'{NULL}'$$), ('{NaN}', $$'{NaN}'$$), ('{Infinity}', $$'{Infinity}'$$),
  ('{-Infinity}', $$'{-Infinity}'$$), ('{0}', $$'{0}'$$), ('{1}', $$'{1}'$$), ('8 zeros', $$array_fill(0::real, ARRAY[8])$$),
  ('8 NaN', $$array_fill('NaN'::real, ARRAY[8])$$), ('8 x 3e38', $$array_fill(3e38::real, ARRAY[8])$$),
  ('8 x 1e-45', $$array_fill(1e-45::real, ARRAY[8])$$), ('8 x -1', $$array_fill(-1::real, ARRAY[8])$$),
  ('8 with NULL', $$'{1,0,0,0,0,0,0,NULL}'$$), ('100000 elements', $$array_fill(0.1::real, ARRAY[100000])$$),
  ('4097 elements', $$array_fill(0.1::real, ARRAY[4097])$$), ('2-D', $$'{{1,0,0,0},{0,0,0,1}}'$$),
  ('lower bound 0', $$'[0:7]={1,0,0,0,0,0,0,0}'$$), ('7 elements', $$array_fill(0.5::real, ARRAY[7])$$),
  ('9 elements', $$array_fill(0.5::real, ARRAY[9])$$), ('fraudster voice', $$'{1,0,0,0,0,0,0,0}'$$)
) v(l, e);
INSERT INTO fuzz.pool (typ, label, expr) SELECT 'integer', l, e FROM (VALUES
  ('NULL', 'NULL'), ('0', '0'), ('-1', '-1'), ('1', '1'), ('100', '100'), ('101', '101'), ('4096', '4096'), ('4097', '4097'),
  ('max', '2147483647'), ('min', '-2147483648')) v(l, e);
INSERT INTO fuzz.pool (typ, label, expr) SELECT 'bigint', l, e FROM (VALUES
  ('NULL', 'NULL'), ('0', '0'), ('-1', '-1'), ('1', '1'), ('max', '9223372036854775807'), ('min', '-9223372036854775808')) v(l, e);
INSERT INTO fuzz.pool (typ, label, expr) SELECT 'real', l, e FROM (VALUES
  ('NULL', 'NULL'), ('0', '0'), ('-0', $$'-0'$$), ('-1', '-1'), ('1', '1'), ('NaN', $$'NaN'$$), ('Infinity', $$'Infinity'$$),
  ('-Infinity', $$'-Infinity'$$), ('3.4e38', '3.4e38'), ('1e-45', '1e-45'), ('0.35', '0.35'), ('0.6', '0.6'), ('4.99', '4.99'),
  ('5', '5'), ('10', '10'), ('10.01', '10.01'), ('100', '100'), ('101', '101'), ('1e10', '1e10')) v(l, e);
INSERT INTO fuzz.pool (typ, label, expr) SELECT 'double precision', l, e FROM (VALUES
  ('NULL', 'NULL'), ('0', '0'), ('-1', '-1'), ('NaN', $$'NaN'$$), ('Infinity', $$'Infinity'$$), ('-Infinity', $$'-Infinity'$$),
  ('1e308', '1e308'), ('-1e308', '-1e308'), ('5e-324', '5e-324')) v(l, e);
INSERT INTO fuzz.pool (typ, label, expr) SELECT 'numeric', l, e FROM (VALUES
  ('NULL', 'NULL'), ('0', '0'), ('-1', '-1'), ('NaN', $$'NaN'$$), ('Infinity', $$'Infinity'$$), ('1e1000', '1e1000')) v(l, e);
INSERT INTO fuzz.pool (typ, label, expr) SELECT 'boolean', l, e FROM (VALUES ('NULL', 'NULL'), ('true', 'true'), ('false', 'false')) v(l, e);
INSERT INTO fuzz.pool (typ, label, expr) SELECT 'timestamp with time zone', l, e FROM (VALUES
  ('NULL', 'NULL'), ('infinity', $$'infinity'$$), ('-infinity', $$'-infinity'$$), ('year 10000', $$'10000-01-01T00:00:00Z'$$),
  ('4713 BC', $$'4713-01-01 BC'$$), ('epoch', $$'epoch'$$)) v(l, e);

-- Every value: pool values (by type), baselines and baseline mutations (by function and argument).
CREATE TABLE fuzz.vals (id serial PRIMARY KEY, typ regtype, label text, expr text, fn oid, pos int, kind text);
-- types without a pool take the text values that cast to them (regrole: role names, ...)
INSERT INTO fuzz.pool (typ, label, expr)
  SELECT DISTINCT a.typ, p.label, p.expr FROM fuzz.args a, fuzz.pool p
  WHERE p.typ = 'text'::regtype AND NOT EXISTS (SELECT 1 FROM fuzz.pool x WHERE x.typ = a.typ);
INSERT INTO fuzz.vals (typ, label, expr, kind) SELECT typ, label, expr, 'pool' FROM fuzz.pool;

-- baselines
CREATE TABLE fuzz.baselines AS
  SELECT a.fn, a.pos, a.name, a.typ, coalesce(s.expr, g.expr, a.dflt, CASE WHEN a.typ IN ('text'::regtype, 'jsonb'::regtype, 'text[]'::regtype) THEN
           CASE a.typ WHEN 'text'::regtype THEN $$'x'$$ WHEN 'jsonb'::regtype THEN $$'{}'$$ ELSE $$'{}'$$ END ELSE 'NULL' END) AS expr,
         coalesce(s.fresh, g.fresh, false) AS fresh, coalesce(s.dynamic, g.dynamic, false) AS dynamic,
         CASE WHEN s.expr IS NOT NULL THEN 'function' WHEN g.expr IS NOT NULL THEN 'name'
              WHEN a.dflt IS NOT NULL THEN 'default' ELSE 'none' END AS source
  FROM fuzz.args a JOIN fuzz.funcs f ON f.fn = a.fn
  LEFT JOIN fuzz.baseline_rules s ON s.fname = f.fname AND s.arg = a.name
  LEFT JOIN fuzz.baseline_rules g ON g.fname = '*' AND g.arg = a.name;
ALTER TABLE fuzz.baselines ADD COLUMN val int, ADD COLUMN value text;
DO $$
DECLARE b record; v text; id int;
BEGIN
  FOR b IN SELECT * FROM fuzz.baselines LOOP
    IF b.dynamic THEN
      v := NULL;
      INSERT INTO fuzz.vals (typ, label, expr, fn, pos, kind) VALUES (b.typ, 'baseline', b.expr, b.fn, b.pos, 'dynamic')
        RETURNING vals.id INTO id;
    ELSE
      EXECUTE format('SELECT (%s)::%s::text', b.expr, b.typ) INTO v;
      INSERT INTO fuzz.vals (typ, label, expr, fn, pos, kind)
        VALUES (b.typ, 'baseline', CASE WHEN v IS NULL THEN 'NULL' ELSE quote_literal(v) END, b.fn, b.pos, 'baseline')
        RETURNING vals.id INTO id;
    END IF;
    UPDATE fuzz.baselines x SET val = id, value = v WHERE x.fn = b.fn AND x.pos = b.pos;
  END LOOP;
END $$;

-- mutations of each baseline: every key of an object (of an object in it, of an array's first
-- object) set to each of these or removed, an unknown key added, arrays emptied, doubled, NULL-extended ...
CREATE TABLE fuzz.replacements (label text, expr text);
INSERT INTO fuzz.replacements VALUES ('null', $$'null'::jsonb$$), ('1', $$'1'::jsonb$$), ('-1', $$'-1'::jsonb$$),
  ('""', $$'""'::jsonb$$), ('[]', $$'[]'::jsonb$$), ('{}', $$'{}'::jsonb$$), ('true', $$'true'::jsonb$$),
  ('1e308', $$'1e308'::jsonb$$), ('2^31', $$'2147483648'::jsonb$$), ('1.5', $$'1.5'::jsonb$$), ('"90"', $$'"90"'::jsonb$$),
  ('injection', $$to_jsonb('x''; DROP TABLE fraud.rules; --'::text)$$), ('huge string', $$to_jsonb(repeat('a', 100000))$$);
CREATE TEMP TABLE jb AS SELECT fn, pos, value, value::jsonb AS j FROM fuzz.baselines WHERE typ = 'jsonb'::regtype AND value IS NOT NULL;
INSERT INTO fuzz.vals (typ, label, expr, fn, pos, kind)
  SELECT 'jsonb'::regtype, format('baseline.%s = %s', k.key, r.label), format('jsonb_set(%L::jsonb, %L, %s)', b.value, ARRAY[k.key], r.expr), b.fn, b.pos, 'derived'
  FROM jb b, jsonb_object_keys(CASE WHEN jsonb_typeof(b.j) = 'object' THEN b.j ELSE '{}' END) k(key), fuzz.replacements r
  UNION ALL
  SELECT 'jsonb'::regtype, format('baseline.%s.%s = %s', k.key, k2.key, r.label),
         format('jsonb_set(%L::jsonb, %L, %s)', b.value, ARRAY[k.key, k2.key], r.expr), b.fn, b.pos, 'derived'
  FROM jb b, jsonb_each(CASE WHEN jsonb_typeof(b.j) = 'object' THEN b.j ELSE '{}' END) k(key, value),
       jsonb_object_keys(CASE WHEN jsonb_typeof(k.value) = 'object' THEN k.value ELSE '{}' END) k2(key), fuzz.replacements r
  UNION ALL
  SELECT 'jsonb'::regtype, format('baseline - %s', k.key), format('%L::jsonb - %L', b.value, k.key), b.fn, b.pos, 'derived'
  FROM jb b, jsonb_object_keys(CASE WHEN jsonb_typeof(b.j) = 'object' THEN b.j ELSE '{}' END) k(key)
  UNION ALL
  SELECT 'jsonb'::regtype, format('baseline[0].%s = %s', k.key, r.label), format('jsonb_set(%L::jsonb, %L, %s)', b.value, ARRAY['0', k.key], r.expr), b.fn, b.pos, 'derived'
  FROM jb b, jsonb_object_keys(CASE WHEN jsonb_typeof(b.j) = 'array' AND jsonb_typeof(b.j->0) = 'object' THEN b.j->0 ELSE '{}' END) k(key),
       fuzz.replacements r
  UNION ALL
  SELECT 'jsonb'::regtype, m.label, format(m.expr, quote_literal(b.value) || '::jsonb'), b.fn, b.pos, 'derived'
  FROM jb b, (VALUES ('baseline + unknown key', $$%s || '{"fuzzUnknownKey": 1}'$$),
                     ('[baseline]', 'jsonb_build_array(%s)'), ('{"x": baseline}', $$jsonb_build_object('x', %s)$$)) m(label, expr)
  WHERE jsonb_typeof(b.j) = 'object'
  UNION ALL
  SELECT 'jsonb'::regtype, m.label, format(m.expr, quote_literal(b.value) || '::jsonb'), b.fn, b.pos, 'derived'
  FROM jb b, (VALUES ('baseline twice', '%1$s || %1$s'), ('baseline + null', $$%s || '[null]'$$),
                     ('baseline[0]', '(%s)->0'), ('baseline[0] x 2000', '(SELECT jsonb_agg((%s)->0) FROM generate_series(1, 2000))'),
                     ('baseline + 1', $$%s || '[1]'$$)) m(label, expr)
  WHERE jsonb_typeof(b.j) = 'array'
  UNION ALL
  SELECT 'text[]'::regtype, m.label, format(m.expr, quote_literal(b.value) || '::text[]'), b.fn, b.pos, 'derived'
  FROM fuzz.baselines b, (VALUES ('baseline + NULL', '%s || NULL::text'), ('baseline + empty', $$%s || ''::text$$),
                                 ('baseline twice', '%1$s || %1$s'), ('injection + baseline', $$'x''; DROP TABLE fraud.rules; --'::text || %s$$),
                                 ('baseline + huge', $$%s || repeat('a', 100000)$$),
                                 ('baseline[1] x 100000', 'array_fill((%s)[1], ARRAY[100000])')) m(label, expr)
  WHERE b.typ = 'text[]'::regtype AND b.value IS NOT NULL
  UNION ALL
  SELECT 'real[]'::regtype, m.label, format(m.expr, quote_literal(b.value) || '::real[]'), b.fn, b.pos, 'derived'
  FROM fuzz.baselines b, (VALUES ('baseline[1:7]', '(%s)[1:7]'), ('baseline + 0', '%s || 0::real'),
                                 ('baseline NaN at 1', $$'NaN'::real || (%s)[2:]$$), ('baseline NULL at 1', 'NULL::real || (%s)[2:]'),
                                 ('baseline Infinity at 1', $$'Infinity'::real || (%s)[2:]$$),
                                 ('baseline x 1e38', '(SELECT array_agg(e * 1e38::real) FROM unnest(%s) e)'),
                                 ('baseline x 1e-40', '(SELECT array_agg(e * 1e-40::real) FROM unnest(%s) e)'),
                                 ('minus baseline', '(SELECT array_agg(-e) FROM unnest(%s) e)')) m(label, expr)
  WHERE b.typ = 'real[]'::regtype AND b.value IS NOT NULL
  UNION ALL
  SELECT 'text'::regtype, m.label, format(m.expr, quote_literal(b.value)), b.fn, b.pos, 'derived'
  FROM fuzz.baselines b, (VALUES ('baseline + quote', $$%s || ''''$$), ('upper(baseline)', 'upper(%s)'),
                                 ('baseline + space', $$%s || ' '$$), ('space + baseline', $$' ' || %s$$),
                                 ('baseline + newline', $$%s || E'\n'$$), ('baseline + backslash', $$%s || '\'$$),
                                 ('baseline x 2000', 'repeat(%s, 2000)')) m(label, expr)
  WHERE b.typ = 'text'::regtype AND b.value IS NOT NULL;

-- the typed values: fuzz.tv_<type oid> (id, v); a value that does not cast to its type is dropped
CREATE TABLE fuzz.dropped (typ regtype, label text, kind text, msg text);
DO $$
DECLARE t regtype; v record; m text;
BEGIN
  FOR t IN SELECT DISTINCT typ FROM fuzz.vals LOOP
    EXECUTE format('CREATE TABLE fuzz.tv_%s (id int PRIMARY KEY, v %s)', t::oid, t);
  END LOOP;
  FOR v IN SELECT * FROM fuzz.vals WHERE kind <> 'dynamic' ORDER BY id LOOP
    BEGIN
      EXECUTE format('INSERT INTO fuzz.tv_%s VALUES (%s, (%s)::%s)', v.typ::oid, v.id, v.expr, v.typ);
    EXCEPTION WHEN OTHERS THEN
      IF v.kind = 'baseline' THEN RAISE; END IF;
      GET STACKED DIAGNOSTICS m = MESSAGE_TEXT;
      DELETE FROM fuzz.vals WHERE id = v.id;
      INSERT INTO fuzz.dropped VALUES (v.typ, v.label, v.kind, m);
    END;
  END LOOP;
END $$;

-- SQLSTATEs docs/sql-reference.md documents, by function (a regular expression of names).
CREATE TABLE fuzz.documented (fname text, state text);
INSERT INTO fuzz.documented VALUES
  ('.', '22023'), ('.', '42704'), ('.', '55006'), ('.', '23505'), ('.', '42501'), ('.', '54000'),
  ('^fraud_(create_rule|update_rule_version)$', '42601'),                       -- rule syntax errors
  ('^fraud_(predict|outcomes|explain|score_trigger|get_event_prediction)$', '22P02'),  -- a value not of its variable's type
  ('^fraud_score_trigger$', '23514'), ('^fraud_score_trigger$', '39P01'), ('^fraud_score_trigger$', '42703'),
  ('^fraud_score_trigger$', '42804'),
  ('^fraud_create_batch_prediction_job$', '42P07'),                              -- the output table exists
  ('^fraud_(create_batch_.*_job|delete_events_by_event_type|voice_start_.*_job|create_model_version|update_model_version)$', '55000'),  -- the owner cannot log in
  ('^fraud_citus_(setup|distribute_events)$', '55000');                                             -- no Citus in the fuzz's database
-- (function regular expression, SQLSTATE) pairs judged legitimate although undocumented, each
-- with its reason: INSERT INTO fuzz.allow VALUES ('^fraud_x$', '22008', 'why it is right').
-- Empty: every SQLSTATE the fuzz meets is documented. XX000, crashes and injections can never
-- be allowed (fuzz.verdicts decides them first).
CREATE TABLE fuzz.allow (fname text, state text, reason text);

-- The cases: per argument (kind 'arg'), the owner's functions ('owner'), random ('rand').
CREATE TABLE fuzz.cases (id serial PRIMARY KEY, kind text, fn oid, pos int, vals int[], sql text);
INSERT INTO fuzz.cases (kind, fn, pos, vals)
  SELECT 'arg', f.fn, 0, coalesce((SELECT array_agg(b.val ORDER BY b.pos) FROM fuzz.baselines b WHERE b.fn = f.fn), '{}')
  FROM fuzz.funcs f ORDER BY f.fname;
INSERT INTO fuzz.cases (kind, fn, pos, vals)
  SELECT 'arg', a.fn, a.pos, (SELECT array_agg(CASE WHEN b.pos = a.pos THEN v.id ELSE b.val END ORDER BY b.pos) FROM fuzz.baselines b WHERE b.fn = a.fn)
  FROM fuzz.args a JOIN fuzz.funcs f ON f.fn = a.fn
  JOIN fuzz.vals v ON v.typ = a.typ AND (v.kind = 'pool' OR (v.kind = 'derived' AND v.fn = a.fn AND v.pos = a.pos))
  ORDER BY f.fname, a.pos, v.id;
-- the functions no capability grants run as the extension's owner, too
INSERT INTO fuzz.cases (kind, fn, pos, vals)
  SELECT 'owner', c.fn, c.pos, c.vals FROM fuzz.cases c
  WHERE c.kind = 'arg' AND c.fn NOT IN (SELECT function_signature FROM fraud_capabilities()) ORDER BY c.id;
-- random: a function, then each argument its baseline (a fresh one where it names something to
-- create), except about two arguments that take any value of their type; one call in six keeps
-- every baseline (so creates succeed and jobs run)
SELECT setseed(:seed);
CREATE TEMP TABLE picks AS
  SELECT r, fn, random() < 1.0 / 6 AS plain, greatest(1, (SELECT count(*) FROM fuzz.args a WHERE a.fn = x.fn)) AS nargs
  FROM (SELECT r, (SELECT fn FROM fuzz.funcs ORDER BY random() + r * 0 LIMIT 1) AS fn FROM generate_series(1, :random_calls) r) x;
INSERT INTO fuzz.cases (kind, fn, pos, vals)
  SELECT 'rand', p.fn, NULL,
         coalesce((SELECT array_agg(CASE WHEN p.plain OR random() >= 2.0 / p.nargs THEN CASE WHEN b.fresh AND b.typ = 'text'::regtype THEN -b.val ELSE b.val END
                            ELSE (SELECT v.id FROM fuzz.vals v
                                  WHERE v.typ = b.typ AND (v.kind = 'pool' OR (v.kind = 'derived' AND v.fn = b.fn AND v.pos = b.pos))
                                  ORDER BY random() + b.pos * 0 + p.r * 0 LIMIT 1) END ORDER BY b.pos)
                   FROM fuzz.baselines b WHERE b.fn = p.fn), '{}')
  FROM picks p ORDER BY p.r;

-- the statement of each case: arguments read from the typed tables (so the privilege check at
-- executor start comes before anything of ours runs); a fresh value gets the case id appended
UPDATE fuzz.cases c SET sql = (
  SELECT CASE WHEN f.retset THEN 'SELECT count(*) FROM ' ELSE 'SELECT ' END || f.qualified || '('
         || coalesce((SELECT string_agg(CASE WHEN x.v < 0 THEN format('((SELECT v FROM fuzz.tv_%s WHERE id = %s) || %L)', a.typ::oid, -x.v, '_c' || c.id)
                                             WHEN v.kind = 'dynamic' THEN format('(%s)::%s', v.expr, a.typ)
                                             ELSE format('(SELECT v FROM fuzz.tv_%s WHERE id = %s)', a.typ::oid, x.v) END, ', ' ORDER BY x.pos)
                      FROM unnest(c.vals) WITH ORDINALITY x(v, pos) JOIN fuzz.args a ON a.fn = c.fn AND a.pos = x.pos
                      JOIN fuzz.vals v ON v.id = abs(x.v)), '') || ')'
  FROM fuzz.funcs f WHERE f.fn = c.fn);
-- the same as a self-contained statement, for reports
CREATE FUNCTION fuzz.repro(case_id int) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT 'SELECT ' || f.qualified || '('
         || coalesce((SELECT string_agg(format('%s => %s', quote_ident(a.name),
                                               CASE WHEN x.v < 0 THEN format('(%s)::%s || %L', v.expr, a.typ, '_c' || c.id)
                                                    WHEN length(v.expr) > 300 THEN left(v.expr, 300) || '...'
                                                    ELSE format('(%s)::%s', v.expr, a.typ) END), ', ' ORDER BY x.pos)
                      FROM unnest(c.vals) WITH ORDINALITY x(v, pos) JOIN fuzz.args a ON a.fn = c.fn AND a.pos = x.pos
                      JOIN fuzz.vals v ON v.id = abs(x.v)), '') || ');'
  FROM fuzz.cases c JOIN fuzz.funcs f ON f.fn = c.fn WHERE c.id = case_id $$;

CREATE TABLE fuzz.results (role text, case_id int, state text, msg text, ms numeric);
CREATE INDEX ON fuzz.results (role, case_id);
GRANT SELECT ON ALL TABLES IN SCHEMA fuzz TO fuzz_none, fuzz_scoring, fuzz_all;
GRANT INSERT ON fuzz.results TO fuzz_none, fuzz_scoring, fuzz_all;

-- Did a call run an injected statement? (every payload creates something named pwned...; a
-- call is blamed only for what appeared during it)
CREATE FUNCTION fuzz.pwned() RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT (SELECT count(*) FROM pg_catalog.pg_roles WHERE rolname >= 'pwned' AND rolname < 'pwnee')
       + (SELECT count(*) FROM pg_catalog.pg_class WHERE relname >= 'pwned' AND relname < 'pwnee') $$;  -- by index

-- Which cases a role runs: of a function it may not execute, the baseline and every p_sample-th
-- case only (PostgreSQL checks EXECUTE before any argument is evaluated, so the values cannot
-- matter there); of the others, all.
CREATE FUNCTION fuzz.selected(c fuzz.cases, p_role name, p_sample int) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT c.kind <> 'arg' OR c.pos = 0 OR c.id % p_sample = 0 OR has_function_privilege(p_role, c.fn, 'EXECUTE') $$;

-- Runs the cases of a kind from case id p_from on, each in its own subtransaction, committing
-- each result (a crash loses nothing but the call that crashed). p_keep: keep a successful
-- call's effects, else roll them back too.
CREATE PROCEDURE fuzz.run(p_role text, p_kind text, p_from int, p_to int, p_keep boolean, p_mod int, p_rem int, p_sample int)
LANGUAGE plpgsql AS $$
DECLARE c record; st text; msg text; t0 timestamptz; pwned bigint;
BEGIN
  FOR c IN SELECT x.id, x.sql FROM fuzz.cases x WHERE x.kind = p_kind AND x.id >= p_from AND x.id <= p_to AND x.id % p_mod = p_rem
                                                  AND fuzz.selected(x, current_user, p_sample) ORDER BY x.id LOOP
    t0 := clock_timestamp();
    msg := NULL;
    pwned := fuzz.pwned();
    BEGIN
      EXECUTE c.sql;
      st := CASE WHEN fuzz.pwned() > pwned THEN 'PWNED' ELSE '00000' END;
      IF NOT p_keep THEN
        RAISE SQLSTATE 'FZ999';
      END IF;
    EXCEPTION
      WHEN SQLSTATE 'FZ999' THEN NULL;
      WHEN OTHERS THEN GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    END;
    INSERT INTO fuzz.results VALUES (p_role, c.id, st, left(msg, 400), extract(epoch FROM clock_timestamp() - t0) * 1000);
    COMMIT;
  END LOOP;
END $$;
GRANT EXECUTE ON PROCEDURE fuzz.run TO fuzz_none, fuzz_scoring, fuzz_all;

-- A digest of the catalog: every table of schema fraud, and the relations of public and fraud.
CREATE FUNCTION fuzz.digest() RETURNS TABLE (tbl text, digest text) LANGUAGE plpgsql AS $$
DECLARE t text; d text;
BEGIN
  FOR t IN SELECT c.oid::regclass::text FROM pg_class c WHERE c.relnamespace = 'fraud'::regnamespace AND c.relkind = 'r' ORDER BY 1 LOOP
    EXECUTE format('SELECT md5(coalesce(string_agg(x::text, E''\n'' ORDER BY x::text), '''')) FROM %s x', t) INTO d;
    tbl := t; digest := d; RETURN NEXT;
  END LOOP;
  tbl := 'relations'; digest := (SELECT string_agg(c.oid::regclass::text, ', ' ORDER BY 1) FROM pg_class c
                                 WHERE c.relnamespace IN ('fraud'::regnamespace, 'public'::regnamespace)); RETURN NEXT;
  tbl := 'roles'; digest := (SELECT string_agg(rolname, ', ' ORDER BY 1) FROM pg_roles); RETURN NEXT;
END $$;
SQL

read -r n_arg n_owner n_rand n_funcs n_vals <<<"$(q "SELECT count(*) FILTER (WHERE kind = 'arg'), count(*) FILTER (WHERE kind = 'owner'),
  count(*) FILTER (WHERE kind = 'rand'), (SELECT count(*) FROM fuzz.funcs), (SELECT count(*) FROM fuzz.vals) FROM fuzz.cases" | tr '|' ' ')"
echo "$n_funcs functions, $n_vals values, $n_arg per-argument cases, $n_owner owner cases, $n_rand random cases (seed $seed);"
echo "a role runs every ${sample}th per-argument case of a function it may not execute, and all the others"
nobase=$(q "SELECT string_agg(f.fname || '.' || b.name, ', ' ORDER BY 1) FROM fuzz.baselines b JOIN fuzz.funcs f USING (fn) WHERE b.source = 'none'")
[ -n "$nobase" ] && echo "note: no baseline for $nobase (add one to fuzz.baseline_rules in tests/fuzz.sh)"
dropped=$(q "SELECT string_agg(DISTINCT format('%s %s (%s)', typ, label, left(msg, 60)), '; ') FROM fuzz.dropped WHERE typ IN ('text'::regtype, 'jsonb'::regtype, 'text[]'::regtype, 'real[]'::regtype) OR kind <> 'pool'")
[ -n "$dropped" ] && echo "note: values that do not cast to their type, left out: $dropped"

# run_cases LABEL ROLE KIND KEEP [TO [MOD REM]]: runs the cases of a kind (up to case id TO, those
# whose id % MOD = REM, sampled by fuzz.selected) as a role; after a crash (or a lost connection)
# records the case that did not finish and goes on after it
run_cases() {
  local label=$1 role=$2 kind=$3 keep=$4 to=${5:-2147483647} mod=${6:-1} rem=${7:-0} from=0 rc tries=0 next state err
  while :; do
    err=$(psql -X -q -v ON_ERROR_STOP=1 -U "$role" -d "$db" -c "SET statement_timeout = '900s'" -c "SET lock_timeout = '30s'" -c "SET client_min_messages = warning" \
            -c "CALL fuzz.run('$label', '$kind', $from, $to, $keep, $mod, $rem, $sample)" 2>&1 >/dev/null); rc=$?
    [ $rc -eq 0 ] && return 0
    tries=$((tries + 1))
    if [ $tries -gt 20 ]; then echo "$label/$kind: stopped after 20 interruptions"; return 1; fi
    wait_for_server || return 1
    next=$(q "SELECT min(c.id) FROM fuzz.cases c WHERE c.kind = '$kind' AND c.id >= $from AND c.id <= $to AND c.id % $mod = $rem
              AND fuzz.selected(c, '$role', $sample) AND c.id > coalesce((SELECT max(r.case_id) FROM fuzz.results r JOIN fuzz.cases x ON x.id = r.case_id
                                   WHERE r.role = '$label' AND x.kind = '$kind' AND x.id % $mod = $rem), 0)")
    [ -z "$next" ] && return 0
    case "$err" in
      *"statement timeout"*) state=TIMEOUT ;;
      *"terminated abnormally"*|*"server closed the connection"*|*"connection to server"*|*FATAL*) state=CRASH ;;
      *) echo "$label/$kind: the harness failed: $err"; return 1 ;;
    esac
    echo "$label: case $next ended its session ($state): $(echo "$err" | head -3 | tr '\n' ' ')"
    echo "INSERT INTO fuzz.results VALUES ('$label', $next, '$state', :'msg', NULL)" |
      psql -X -q -d "$db" -v msg="$(echo "$err" | head -c 400)" >/dev/null
    from=$((next + 1))
  done
}

echo "== per-argument cases (successes rolled back): four sessions at once (fuzz_all's cases in two), then the owner's"
mark=$(log_mark)
q "CREATE TABLE fuzz.before AS SELECT * FROM fuzz.digest()" >/dev/null
t0=$(date +%s.%N)
run_cases none fuzz_none arg false &
p1=$!
run_cases scoring fuzz_scoring arg false &
p2=$!
run_cases all fuzz_all arg false 2147483647 2 1 &
p3=$!
run_cases all fuzz_all arg false 2147483647 2 0
wait $p1 $p2 $p3
run_cases owner "$PGUSER" owner false
t1=$(date +%s.%N)
settle_jobs 100
q "CREATE TABLE fuzz.after AS SELECT * FROM fuzz.digest()" >/dev/null

echo "== random cases (successes commit)"
third=$(q "SELECT min(id) + ($random_calls / 3) FROM fuzz.cases WHERE kind = 'rand'")
run_cases none fuzz_none rand true "$third" &
p1=$!
run_cases scoring fuzz_scoring rand true "$third" &
p2=$!
run_cases all fuzz_all rand true
wait $p1 $p2
t2=$(date +%s.%N)

calls=$(q "SELECT count(*) FROM fuzz.results")
check "every case ran as each of its roles" "" \
  "$(q "SELECT string_agg(format('%s/%s: %s of %s', e.role, e.kind, coalesce(r.n, 0), e.n), ', ')
        FROM (SELECT x.role, c.kind, count(*) n FROM fuzz.cases c,
                (VALUES ('none', 'fuzz_none'), ('scoring', 'fuzz_scoring'), ('all', 'fuzz_all'), ('owner', current_user)) x(role, rolname)
              WHERE CASE WHEN x.role = 'owner' THEN c.kind = 'owner' WHEN c.kind = 'owner' THEN false
                         WHEN c.kind = 'rand' AND x.role <> 'all' THEN c.id <= $third ELSE true END
                AND fuzz.selected(c, x.rolname, $sample)
              GROUP BY 1, 2) e
        LEFT JOIN (SELECT r.role, c.kind, count(*) n FROM fuzz.results r JOIN fuzz.cases c ON c.id = r.case_id GROUP BY 1, 2) r
          ON r.role = e.role AND r.kind = e.kind
        WHERE r.n IS DISTINCT FROM e.n")"
secs() { awk "BEGIN { printf \"%.1f\", $2 - $1 }"; }
echo "$calls calls in $(secs "$t0" "$t2") s (per-argument $(secs "$t0" "$t1") s, random $(secs "$t1" "$t2") s)"
q "SELECT format('%s: %s calls, %s s in calls', role, count(*), round(sum(ms) / 1000, 1)) FROM fuzz.results GROUP BY role ORDER BY 1"
q "SELECT 'slowest: ' || string_agg(format('%s ms %s (%s)', round(ms), f.fname, r.role), ', ' ORDER BY ms DESC)
   FROM (SELECT * FROM fuzz.results WHERE ms IS NOT NULL ORDER BY ms DESC LIMIT 5) r JOIN fuzz.cases c ON c.id = r.case_id JOIN fuzz.funcs f ON f.fn = c.fn"

echo "== verdicts: (role, function)"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<'SQL'
CREATE TABLE fuzz.verdicts AS
WITH r AS (
  SELECT r.*, c.kind, c.fn, f.fname,
         has_function_privilege(CASE r.role WHEN 'none' THEN 'fuzz_none' WHEN 'scoring' THEN 'fuzz_scoring'
                                             WHEN 'all' THEN 'fuzz_all' ELSE current_user END, c.fn, 'EXECUTE') AS held
  FROM fuzz.results r JOIN fuzz.cases c ON c.id = r.case_id JOIN fuzz.funcs f ON f.fn = c.fn)
SELECT r.*, CASE
    WHEN r.state IN ('CRASH', 'TIMEOUT', 'LOST') THEN 'the call ended its session: ' || r.state
    WHEN r.state = 'PWNED' THEN 'an injected statement ran (an object named pwned... exists)'
    WHEN NOT r.held THEN CASE WHEN r.state = '42501' AND r.msg LIKE 'permission denied for function %' THEN NULL
                              ELSE 'the role may not execute it: expected 42501 permission denied' END
    WHEN r.state = '00000' THEN NULL
    WHEN r.state = 'XX000' THEN 'internal error'
    WHEN EXISTS (SELECT 1 FROM fuzz.allow a WHERE r.fname ~ a.fname AND a.state = r.state) THEN NULL
    WHEN NOT EXISTS (SELECT 1 FROM fuzz.documented d WHERE r.fname ~ d.fname AND d.state = r.state) THEN 'undocumented SQLSTATE'
    WHEN r.state = '42601' AND r.msg ~ '(at or near|at end of input)' THEN 'PostgreSQL syntax error: we built bad SQL'
    WHEN r.state = '42501' AND (r.msg ~ '^permission denied for (function|procedure) (fraud_|_)'
                                OR r.msg ~ 'schema fraud' OR r.msg ~* 'create role') THEN 'permission denied on our own objects'
    WHEN r.state = '42501' AND r.msg ~ '^permission denied for (table|sequence|relation|view) '
         AND EXISTS (SELECT 1 FROM pg_class t WHERE t.relnamespace = 'fraud'::regnamespace
                     AND r.msg ~ ('for \w+ (fraud\.)?' || t.relname || '$'))
         AND NOT EXISTS (SELECT 1 FROM fuzz.cases c, unnest(c.vals) x(v), fuzz.vals v
                         WHERE c.id = r.case_id AND v.id = abs(x.v) AND v.expr ~ 'fraud\.') THEN 'permission denied on our own tables'
    END AS problem
FROM r;
SQL
total_fails=0
while IFS='|' read -r role fname n bad; do
  if [ "$bad" = 0 ]; then
    passed=$((passed + 1))
  else
    fail "$role: $fname: $bad of $n calls"
    total_fails=$((total_fails + bad))
  fi
done < <(q "SELECT role, fname, count(*), count(problem) FROM fuzz.verdicts GROUP BY 1, 2 ORDER BY 1, 2")
echo "$(q "SELECT count(DISTINCT (role, fname)) FROM fuzz.verdicts") (role, function) pairs checked"
if [ "$total_fails" -gt 0 ]; then
  echo "-- failing calls, one example per (function, SQLSTATE, problem, message shape):"
  q "SELECT format(E'%s | %s as %s | %s calls | %s\n   message: %s\n   repro (as role %s): %s', v.fname, v.state, v.role, n, v.problem,
                   v.msg, CASE v.role WHEN 'none' THEN 'fuzz_none' WHEN 'scoring' THEN 'fuzz_scoring' WHEN 'all' THEN 'fuzz_all' ELSE 'the owner' END,
                   fuzz.repro(v.case_id))
     FROM (SELECT DISTINCT ON (fname, state, problem, regexp_replace(left(msg, 60), '[0-9]+', 'N', 'g')) *,
                  count(*) OVER (PARTITION BY fname, state, problem, regexp_replace(left(msg, 60), '[0-9]+', 'N', 'g')) AS n
           FROM fuzz.verdicts WHERE problem IS NOT NULL ORDER BY fname, state, problem, regexp_replace(left(msg, 60), '[0-9]+', 'N', 'g'), case_id) v
     ORDER BY v.fname, v.state"
fi
base_failed=$(q "SELECT string_agg(f.fname || ' ' || r.state, ', ' ORDER BY f.fname) FROM fuzz.results r JOIN fuzz.cases c ON c.id = r.case_id
                 JOIN fuzz.funcs f ON f.fn = c.fn WHERE r.role = 'all' AND c.kind = 'arg' AND c.pos = 0 AND r.state <> '00000'")
[ -n "$base_failed" ] && echo "note: baseline calls as fuzz_all that did not succeed: $base_failed"

echo "== afterwards"
check "per-argument phase: the catalog is exactly as before (every success was rolled back, every failure changed nothing)" "" \
  "$(q "SELECT string_agg(b.tbl, ', ') FROM fuzz.before b FULL JOIN fuzz.after a USING (tbl) WHERE a.digest IS DISTINCT FROM b.digest")"
check "a new connection works" 1 "$(psql -X -At -d "$db" -U fuzz_none -c 'SELECT 1' 2>&1)"
crashes=$(tail -n +"$((mark + 1))" "$PGHOST/server.log" | grep -E 'terminated by signal|PANIC|was terminated by|exited with exit code [1-9]' | head -5)
check "the server log shows no crash" "" "$crashes"
check "no injected role or relation exists" "" "$(q "SELECT string_agg(rolname, ', ') FROM pg_roles WHERE rolname ~* 'pwned'")$(q "SELECT string_agg(oid::regclass::text, ', ') FROM pg_class WHERE relname ~* 'pwned'")"
check "no file written by a payload" "" "$(ls /tmp/pwned* 2>/dev/null)"
check "every catalog table is still there" "" \
  "$(q "SELECT string_agg(b.tbl, ', ') FROM fuzz.before b WHERE b.tbl LIKE 'fraud.%' AND to_regclass(b.tbl) IS NULL")"
if settle_jobs 1200; then pass "the jobs settle"; else fail "the jobs settle: $(q "SELECT string_agg(job_type || '/' || job_id || ' ' || status, ', ') FROM fraud.jobs WHERE fraud._job_active(status)")"; fi
q "SELECT 'jobs the random calls created: ' || coalesce(string_agg(format('%s %s %s', n, job_type, status), ', '), 'none')
   FROM (SELECT job_type, status, count(*) n FROM fraud.jobs WHERE job_id LIKE 'fz-job_c%' OR (job_type IN ('FRAUDSTER_REGISTRATION', 'SPEAKER_ENROLLMENT') AND job_id NOT IN (fuzz.c('reg_job'), fuzz.c('enrol_job')))
         OR job_type = 'MODEL_TRAINING' GROUP BY 1, 2) j"
check "no active job without a live worker" "" \
  "$(q "SELECT string_agg(job_id, ', ') FROM fraud.jobs WHERE fraud._job_active(status) AND (worker_pid IS NULL OR NOT fraud._job_worker_alive(worker_pid, worker_start))")"
check "no staging table of a finished job" "" \
  "$(q "SELECT string_agg(c.relname, ', ') FROM pg_class c WHERE c.relnamespace = 'fraud'::regnamespace AND c.relname LIKE '\_job\_%' AND c.relkind = 'r'
        AND NOT EXISTS (SELECT 1 FROM fraud.jobs j WHERE fraud._job_staging_name(j.job_type, j.job_id) = 'fraud.' || c.relname AND fraud._job_active(j.status))")"
check "no model version left training, and a model exactly in the versions whose training completed" "" \
  "$(q "SELECT string_agg(model_id || '/' || model_version_number || ' ' || status, ', ') FROM fraud.model_versions
        WHERE status = 'TRAINING_IN_PROGRESS' OR (model_data IS NOT NULL) <> (status IN ('TRAINING_COMPLETE', 'ACTIVE', 'INACTIVE'))")"
check "finished jobs have consistent counters" "" \
  "$(q "SELECT string_agg(job_id, ', ') FROM fraud.jobs WHERE NOT fraud._job_active(status)
        AND (completion_time IS NULL OR failed_records_count > processed_records_count OR processed_records_count > coalesce(total_records_count, processed_records_count) OR worker_pid IS NOT NULL)")"
check "every finished batch prediction's output holds exactly its processed rows (complete, canceled or failed)" "" \
  "$(psql -X -q -At -d "$db" <<'SQL' 2>&1
DO $$
DECLARE j record; n bigint; bad text[] := '{}';
BEGIN
  FOR j IN SELECT * FROM fraud.jobs WHERE job_type = 'BATCH_PREDICTION' AND NOT fraud._job_active(status) LOOP
    IF to_regclass(j.output_path) IS NULL THEN bad := bad || (j.job_id || ': no output'); CONTINUE; END IF;
    EXECUTE 'SELECT count(*) FROM ' || j.output_path INTO n;
    IF n <> j.processed_records_count THEN bad := bad || format('%s: %s rows, %s processed', j.job_id, n, j.processed_records_count); END IF;
  END LOOP;
  IF cardinality(bad) > 0 THEN RAISE NOTICE '%', array_to_string(bad, ', '); END IF;
END $$;
SQL
)"
check "every ACTIVE detector version scores an event" "" \
  "$(psql -X -q -At -d "$db" <<'SQL' 2>&1
DO $$
DECLARE v record; bad text[] := '{}'; m text;
BEGIN
  FOR v IN SELECT detector_id, detector_version_id FROM fraud.detector_versions WHERE status = 'ACTIVE' LOOP
    BEGIN
      PERFORM fraud_predict(v.detector_id, '{}', v.detector_version_id::text), fraud_outcomes(v.detector_id, '{}');
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS m = MESSAGE_TEXT;
      bad := bad || format('%s/%s: %s', v.detector_id, v.detector_version_id, m);
    END;
  END LOOP;
  IF cardinality(bad) > 0 THEN RAISE NOTICE '%', array_to_string(bad, ', '); END IF;
END $$;
SQL
)"
check "every foreign key of schema fraud holds" "" \
  "$(psql -X -q -At -d "$db" <<'SQL' 2>&1
DO $$
DECLARE c record; n bigint; bad text[] := '{}';
BEGIN
  FOR c IN SELECT con.conname, con.conrelid::regclass AS child, con.confrelid::regclass AS parent,
                  (SELECT string_agg('c.' || quote_ident(a.attname), ', ' ORDER BY k.i) FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
                   JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n) AS ccols,
                  (SELECT string_agg('p.' || quote_ident(a.attname), ', ' ORDER BY k.i) FROM unnest(con.confkey) WITH ORDINALITY k(n, i)
                   JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n) AS pcols
           FROM pg_constraint con WHERE con.contype = 'f' AND con.connamespace = 'fraud'::regnamespace LOOP
    EXECUTE format('SELECT count(*) FROM %s c WHERE ROW(%s, 0) IS NOT NULL AND NOT EXISTS (SELECT 1 FROM %s p WHERE ROW(%s) = ROW(%s))',
                   c.child, c.ccols, c.parent, c.pcols, c.ccols) INTO n;
    IF n > 0 THEN bad := bad || format('%s: %s rows', c.conname, n); END IF;
  END LOOP;
  IF cardinality(bad) > 0 THEN RAISE NOTICE '%', array_to_string(bad, ', '); END IF;
END $$;
SQL
)"
check "every fraudster is in at least one watchlist" 0 \
  "$(q "SELECT count(*) FROM fraud.voice_fraudsters f WHERE NOT EXISTS (SELECT 1 FROM fraud.voice_fraudster_watchlists w WHERE w.fraudster_id = f.fraudster_id)")"
check "every domain has exactly one default watchlist" 0 \
  "$(q "SELECT count(*) FROM fraud.voice_domains d WHERE (SELECT count(*) FROM fraud.voice_watchlists w WHERE w.domain_id = d.domain_id AND w.default_watchlist) <> 1")"
check "every voiceprint has its domain's dimension" 0 \
  "$(q "SELECT (SELECT count(*) FROM fraud.voice_fraudsters f JOIN fraud.voice_domains d USING (domain_id) WHERE cardinality(f.embedding) <> d.embedding_dimension)
             + (SELECT count(*) FROM fraud.voice_speakers s JOIN fraud.voice_domains d USING (domain_id) WHERE s.embedding IS NOT NULL AND cardinality(s.embedding) <> d.embedding_dimension)")"
check "every rule has a version" 0 \
  "$(q "SELECT count(*) FROM fraud.rules r WHERE NOT EXISTS (SELECT 1 FROM fraud.rule_versions v WHERE v.detector_id = r.detector_id AND v.rule_id = r.rule_id)")"
check "no orphan tags (every tag's resource exists)" "" \
  "$(q "SELECT string_agg(t.resource_type || '/' || t.resource_id, ', ') FROM fraud.tags t WHERE NOT CASE t.resource_type
          WHEN 'entity-type' THEN EXISTS (SELECT 1 FROM fraud.entity_types x WHERE x.name = t.resource_id)
          WHEN 'event-type' THEN EXISTS (SELECT 1 FROM fraud.event_types x WHERE x.name = t.resource_id)
          WHEN 'variable' THEN EXISTS (SELECT 1 FROM fraud.variables x WHERE x.name = t.resource_id)
          WHEN 'label' THEN EXISTS (SELECT 1 FROM fraud.labels x WHERE x.name = t.resource_id)
          WHEN 'outcome' THEN EXISTS (SELECT 1 FROM fraud.outcomes x WHERE x.name = t.resource_id)
          WHEN 'list' THEN EXISTS (SELECT 1 FROM fraud.lists x WHERE x.name = t.resource_id)
          WHEN 'detector' THEN EXISTS (SELECT 1 FROM fraud.detectors x WHERE x.detector_id = t.resource_id)
          WHEN 'detector-version' THEN EXISTS (SELECT 1 FROM fraud.detector_versions x WHERE x.detector_id || '/' || x.detector_version_id = t.resource_id)
          WHEN 'rule' THEN EXISTS (SELECT 1 FROM fraud.rule_versions x WHERE x.detector_id || '/' || x.rule_id || '/' || x.rule_version = t.resource_id)
          WHEN 'batch-import' THEN EXISTS (SELECT 1 FROM fraud.jobs x WHERE x.job_type = 'BATCH_IMPORT' AND x.job_id = t.resource_id AND NOT x.deleted)
          WHEN 'batch-prediction' THEN EXISTS (SELECT 1 FROM fraud.jobs x WHERE x.job_type = 'BATCH_PREDICTION' AND x.job_id = t.resource_id AND NOT x.deleted)
          WHEN 'voice-domain' THEN EXISTS (SELECT 1 FROM fraud.voice_domains x WHERE x.domain_id = t.resource_id)
          WHEN 'model' THEN EXISTS (SELECT 1 FROM fraud.models x WHERE x.model_id || '/' || x.model_type = t.resource_id)
          WHEN 'model-version' THEN EXISTS (SELECT 1 FROM fraud.model_versions x WHERE x.model_id || '/' || x.model_type || '/' || x.model_version_number = t.resource_id)
          WHEN 'external-model' THEN EXISTS (SELECT 1 FROM fraud.external_models x WHERE x.model_endpoint = t.resource_id)
          ELSE false END")"

ended=$(date +%s.%N)
echo "fuzz: $calls calls, $(secs "$started" "$ended") s in all (setup and checks included)"
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
