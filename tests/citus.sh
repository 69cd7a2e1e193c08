#!/usr/bin/env bash
# Scale-out on Citus (docs/scale-out.md), on a throwaway three-node cluster (a coordinator and two
# workers on 127.0.0.1) with Citus 13.2 built from the vendored source when it is not installed:
# fraud_citus_setup(); the getting-started session run on the coordinator with its expected
# output; every worker's catalog identical to the coordinator's; hash-distributed events scored
# with fraud_predict, fraud_outcomes and fraud_explain in the worker tasks, row for row as on a
# single node; committed changes (list append, version activated, model version trained and
# activated, fraudster registered) seen by the next distributed query and rolled-back ones
# never; a worker refusing direct catalog changes; the score trigger on a distributed table; a
# version that reads stored events refused on the workers; GetEventPrediction and a batch
# prediction job over a distributed table; pg_dump of the coordinator; an upgrade from 0.1.0.
# Prints "citus: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/cluster.sh
passed=0; failed=0
ok() { passed=$((passed + 1)); echo "ok: $1"; }
bad() { failed=$((failed + 1)); echo "FAILED: $1"; }
check() { # name expected actual
  if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: expected [$2], got [$3]"; fi
}

. scripts/citus-cluster.sh
citus_install || { echo "citus: 0 passed, 1 failed (Citus could not be built and installed)"; exit 1; }
citus_start || { echo "citus: 0 passed, 1 failed (the cluster did not start)"; exit 1; }
ports=("${CITUS_PORTS[@]}")
coord=$COORD
dir=$CITUS_DIR
q() { cq "$@"; }
sqlstate() { # port db statement: the SQLSTATE it fails with, or "no error"
  local out
  out=$(PGOPTIONS='-c citus.enable_unsupported_feature_messages=off' \
        psql -X -q -At -p "$1" -d "$2" -c '\set VERBOSITY sqlstate' -c "$3" 2>&1 >/dev/null)
  grep -Eo 'ERROR:  [0-9A-Z]{5}' <<<"$out" | head -1 | sed 's/ERROR:  //' | grep . || echo "no error"
}
errline() { # port db statement: its error's first line, or "no error"
  local out
  out=$(PGOPTIONS='-c citus.enable_unsupported_feature_messages=off' psql -X -q -At -p "$1" -d "$2" -c "$3" 2>&1 >/dev/null)
  grep -m1 '^ERROR:' <<<"$out" | grep . || echo "no error"
}
same_catalog() { # db -> "<tables>|<tables that differ or fail>|<coordinator rows>"
  q "$coord" "$1" -c "
    WITH d AS (
      SELECT t.table_name, r.nodeid, r.success, r.result FROM fraud._cluster_tables() t,
      run_command_on_all_nodes(format(\$q\$SELECT count(*) || ':' || md5(coalesce(string_agg(to_jsonb(x)::text, ',' ORDER BY to_jsonb(x)::text), '')) FROM fraud.%I x\$q\$, t.table_name)) r)
    SELECT count(DISTINCT table_name) || '|' || count(DISTINCT table_name) FILTER (WHERE table_name IN (
             SELECT table_name FROM d GROUP BY 1 HAVING count(DISTINCT result) > 1 OR bool_or(NOT success)
                                                      OR count(*) <> (SELECT count(*) FROM pg_dist_node WHERE noderole = 'primary')))
           || '|' || (SELECT sum(split_part(result, ':', 1)::bigint) FROM d WHERE nodeid = 1)
    FROM d"
}

# ---------------------------------------------------------------------------------------------
db=regression
citus_db $db
q "$coord" postgres -c "CREATE EXTENSION fraud_detector" >/dev/null
check "setup refused where Citus is not installed (55000)" 55000 "$(sqlstate "$coord" postgres 'SELECT fraud_citus_setup()')"
q "$coord" postgres -c "DROP EXTENSION fraud_detector" >/dev/null
q "$coord" $db -c "CREATE EXTENSION fraud_detector" >/dev/null
check "CREATE EXTENSION on the coordinator reaches the workers" "0.2.0 0.2.0" \
  "$(q ${ports[1]} $db -c "SELECT extversion FROM pg_extension WHERE extname = 'fraud_detector'") $(q ${ports[2]} $db -c "SELECT extversion FROM pg_extension WHERE extname = 'fraud_detector'")"
check "setup refused on a worker (55000)" 55000 "$(sqlstate ${ports[1]} $db 'SELECT fraud_citus_setup()')"
check "fraud_citus_setup() on the coordinator" '30 2' \
  "$(q "$coord" $db -c "SELECT fraud_citus_setup()->>'tables' || ' ' || (fraud_citus_setup()->>'workers')")"

# the getting-started regression session, run on the coordinator in Citus mode: the same output
# as on a single node (helpers.sql prepares each fresh extension for Citus, and the expected file
# gets the same line)
work=$(mktemp -d /tmp/fraud_detector_citus_regress.XXXXXX)
cp -r tests/pg_regress/. "$work/"; rm -rf "$work/results" "$work/regression.diffs" "$work/regression.out"
python3 - "$work" <<'PY'
import sys
d = sys.argv[1]
line = "CREATE EXTENSION fraud_detector;\n"
for p in (d + "/helpers.sql", d + "/expected/getting_started.out"):
    s = open(p).read()
    assert s.count(line) == 1, p
    open(p, "w").write(s.replace(line, line + "SELECT fraud_citus_setup() AS citus_setup \\gset\n"))
PY
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$work"
pg_regress="$(dirname "$("$PG_CONFIG" --pgxs)")/../test/regress/pg_regress"
if (cd "$work" && PGOPTIONS='-c citus.enable_unsupported_feature_messages=off' as_pg "$pg_regress" --use-existing \
      --dbname=$db --host="$dir" --port="$coord" --user=postgres --inputdir=. --outputdir=. --bindir="$PG_BIN" \
      getting_started > "$work/log" 2>&1); then
  ok "the getting-started session on the coordinator, output as on a single node"
else
  bad "the getting-started session on the coordinator"; cat "$work/log"; head -80 "$work/regression.diffs" 2>/dev/null
fi
rm -rf "$work"
res=$(same_catalog $db)
if [[ "$res" =~ ^30\|0\|[1-9][0-9]*$ ]]; then ok "after the session, 30 catalog tables identical on the 3 nodes ($res)"; else bad "catalogs after the session: $res"; fi

# ---------------------------------------------------------------------------------------------
# the sample detector, then events in a hash-distributed table and the same rows in a plain one
q "$coord" $db -c "DROP EXTENSION fraud_detector CASCADE" -c "CREATE EXTENSION fraud_detector" \
  -c "SELECT fraud_citus_setup()" -f examples/sample_setup.sql >/dev/null || bad "sample setup"
res=$(same_catalog $db)
if [[ "$res" =~ ^30\|0\|[1-9][0-9]*$ ]]; then ok "sample detector: catalogs identical on the 3 nodes ($res)"; else bad "sample catalogs: $res"; fi
check "a worker refuses a catalog change (25006)" 25006 "$(sqlstate ${ports[1]} $db "SELECT fraud_put_label('x')")"

q "$coord" $db >/dev/null <<'SQL' || bad "distributed table"
CREATE TABLE payments (id bigint PRIMARY KEY, ev jsonb);
SELECT create_distributed_table('payments', 'id', shard_count => 4);
INSERT INTO payments
SELECT i, jsonb_build_object('email_address', 'user' || i || CASE WHEN i % 50 = 0 THEN '@fraud.example' ELSE '@example.com' END,
                             'ip_address', '198.51.100.' || (i % 200), 'order_price', (i * 37 % 3000)::text,
                             'account_age_days', (i % 400)::text)
FROM generate_series(1, 20000) i;
CREATE TABLE payments_single AS SELECT * FROM payments;
SQL
# differing rows between the distributed table and the plain one, scored by every function
diff_rows() {
  q "$coord" $db -c "
    WITH d AS (SELECT id, fraud_predict('new_account_detector', ev) p, fraud_outcomes('new_account_detector', ev) o,
                      fraud_explain('new_account_detector', ev) e FROM payments),
         s AS (SELECT id, fraud_predict('new_account_detector', ev) p, fraud_outcomes('new_account_detector', ev) o,
                      fraud_explain('new_account_detector', ev) e FROM payments_single)
    SELECT (SELECT count(*) FROM d) || ' rows, ' || (SELECT count(*) FROM ((TABLE d EXCEPT TABLE s) UNION ALL (TABLE s EXCEPT TABLE d)) x) || ' differ'"
}
check "fraud_predict/fraud_outcomes/fraud_explain on the distributed table = on a single node" "20000 rows, 0 differ" "$(diff_rows)"
plan=$(q "$coord" $db -c "EXPLAIN (VERBOSE, COSTS OFF) SELECT fraud_outcomes('new_account_detector', ev) FROM payments")
if grep -q 'Task Count: 4' <<<"$plan" && grep -Eq 'Query: SELECT .*fraud_outcomes\(.*FROM public\.payments_[0-9]+ payments' <<<"$plan"; then
  ok "EXPLAIN: fraud_outcomes runs inside the 4 worker tasks"
else bad "EXPLAIN: $plan"; fi
outcome7() { q "$coord" $db -c "SELECT fraud_outcomes('new_account_detector', ev) FROM payments WHERE id = 7"; }
check "event 7 before any change" "{approve}" "$(outcome7)"

# a list append: rolled back, never seen; committed, seen by the next distributed query
q "$coord" $db -c "BEGIN" -c "SELECT fraud_update_list('blocked_ips', ARRAY['198.51.100.7'], update_mode => 'APPEND')" -c "ROLLBACK" >/dev/null
check "a rolled-back list append is not seen on the workers" "{approve}" "$(outcome7)"
q "$coord" $db -c "SELECT fraud_update_list('blocked_ips', ARRAY['198.51.100.7'], update_mode => 'APPEND')" >/dev/null
check "a committed list append is seen by the next distributed query" "{verify_customer}" "$(outcome7)"
check "every worker, asked directly, scores with the appended list" "{verify_customer}|{verify_customer}" \
  "$(q "$coord" $db -c "SELECT string_agg(result, '|' ORDER BY nodeport) FROM run_command_on_workers(
                          \$\$SELECT fraud_outcomes('new_account_detector', '{\"ip_address\": \"198.51.100.7\", \"order_price\": 5}')\$\$)")"
check "after the list append, distributed = single node" "20000 rows, 0 differ" "$(diff_rows)"

# a new detector version activated (and one that is rolled back)
q "$coord" $db >/dev/null <<'SQL' || bad "new version"
SELECT fraud_create_rule('small_order', 'new_account_detector', '$order_price < 100', ARRAY['review']);
SELECT * FROM fraud_create_detector_version('new_account_detector', rules => '[
  {"detectorId": "new_account_detector", "ruleId": "high_risk", "ruleVersion": "1"},
  {"detectorId": "new_account_detector", "ruleId": "small_order", "ruleVersion": "1"},
  {"detectorId": "new_account_detector", "ruleId": "low_risk", "ruleVersion": "1"}]');
BEGIN;
SELECT fraud_update_detector_version_status('new_account_detector', '3', 'ACTIVE');
ROLLBACK;
SQL
# event 1: order_price 37, account age 1
check "a rolled-back activation is not seen" "{approve}" "$(q "$coord" $db -c "SELECT fraud_outcomes('new_account_detector', ev) FROM payments WHERE id = 1")"
q "$coord" $db -c "SELECT fraud_update_detector_version_status('new_account_detector', '3', 'ACTIVE')" >/dev/null
check "an activated version is used by the next distributed query" "{review}" "$(q "$coord" $db -c "SELECT fraud_outcomes('new_account_detector', ev) FROM payments WHERE id = 1")"
check "after the activation, distributed = single node" "20000 rows, 0 differ" "$(diff_rows)"

# stored events and prediction history distributed by event_id, co-located; everything below
# that stores, reads or deletes events (training, GetEventPrediction, rule stats, import, the
# deletion job) runs against the distributed tables
check "fraud_citus_distribute_events()" "true" "$(q "$coord" $db -c "SELECT fraud_citus_distribute_events(4)->>'changed'")"
check "fraud.events and fraud.event_predictions are distributed by event_id, co-located" "event_id|event_id|1" \
  "$(q "$coord" $db -c "SELECT column_to_column_name('fraud.events'::regclass, (SELECT partkey FROM pg_dist_partition WHERE logicalrelid = 'fraud.events'::regclass)),
                               column_to_column_name('fraud.event_predictions'::regclass, (SELECT partkey FROM pg_dist_partition WHERE logicalrelid = 'fraud.event_predictions'::regclass)),
                               (SELECT count(DISTINCT colocationid) FROM pg_dist_partition WHERE logicalrelid IN ('fraud.events'::regclass, 'fraud.event_predictions'::regclass))")"
check "a second call changes nothing" "false" "$(q "$coord" $db -c "SELECT fraud_citus_distribute_events()->>'changed'")"

# a model version trained on the coordinator (a background worker writes it) and activated
q "$coord" $db >/dev/null <<'SQL' || bad "model training"
INSERT INTO fraud.events (event_type_name, event_id, event_timestamp, entities, event_variables, event_label, label_timestamp)
SELECT 'registration', 'r' || i, '2026-01-01'::timestamptz + i * interval '2 minutes',
       '[{"entityType": "customer", "entityId": "unknown"}]',
       jsonb_build_object('order_price', (i * 37 % 3000)::text, 'email_address', 'u' || i || '@example.com',
                          'ip_address', '198.51.100.' || (i % 200), 'account_age_days', (i % 400)::text),
       CASE WHEN (hashint4(i) % 100 + 100) % 100 < CASE WHEN i * 37 % 3000 > 2000 THEN 30 ELSE 2 END THEN 'fraud' ELSE 'legit' END,
       '2026-02-01'
FROM generate_series(1, 12000) i;
SELECT fraud_create_model('reg_model', 'ONLINE_FRAUD_INSIGHTS', 'registration');
SELECT * FROM fraud_create_model_version('reg_model', 'ONLINE_FRAUD_INSIGHTS', 'INGESTED_EVENTS',
    '{"modelVariables": ["order_price", "account_age_days"], "labelSchema": {"labelMapper": {"FRAUD": ["fraud"], "LEGIT": ["legit"]}}}',
    ingested_events_detail => '{"ingestedEventsTimeWindow": {"startTime": "2026-01-01T00:00:00Z", "endTime": "2026-02-01T00:00:00Z"}}');
DO $$
BEGIN
    FOR i IN 1..1200 LOOP
        EXIT WHEN (SELECT status FROM fraud_describe_model_versions('reg_model', '1.0', 'ONLINE_FRAUD_INSIGHTS')) <> 'TRAINING_IN_PROGRESS';
        PERFORM pg_sleep(0.1);
    END LOOP;
END $$;
SQL
check "the model version trained" "TRAINING_COMPLETE" "$(q "$coord" $db -c "SELECT status || coalesce(': ' || failure_reason, '') FROM fraud_describe_model_versions('reg_model', '1.0', 'ONLINE_FRAUD_INSIGHTS')")"
q "$coord" $db >/dev/null <<'SQL' || bad "model activation"
SELECT fraud_update_model_version_status('reg_model', 'ONLINE_FRAUD_INSIGHTS', '1.0', 'ACTIVE');
SELECT fraud_create_rule('model_says', 'new_account_detector', '$reg_model_insightscore > 150', ARRAY['review']);
SELECT * FROM fraud_create_detector_version('new_account_detector', rules => '[
  {"detectorId": "new_account_detector", "ruleId": "model_says", "ruleVersion": "1"},
  {"detectorId": "new_account_detector", "ruleId": "low_risk", "ruleVersion": "1"}]',
  model_versions => '[{"modelId": "reg_model", "modelType": "ONLINE_FRAUD_INSIGHTS", "modelVersionNumber": "1.0"}]');
SELECT fraud_update_detector_version_status('new_account_detector', '4', 'ACTIVE');
SQL
check "the model's scores reach every worker: distributed = single node" "20000 rows, 0 differ" "$(diff_rows)"
check "model scores are in the distributed predictions" "20000|t" \
  "$(q "$coord" $db -c "SELECT count(*), bool_and((p->'modelScores'->0->'scores'->>'reg_model_insightscore')::float BETWEEN 0 AND 1000) FROM (SELECT fraud_predict('new_account_detector', ev) p FROM payments) s")"
check "the model's rule fires on the workers for some events and not others" "t" \
  "$(q "$coord" $db -c "SELECT bool_or('review' = ANY (o)) AND bool_or(NOT 'review' = ANY (o)) FROM (SELECT fraud_outcomes('new_account_detector', ev) o FROM payments OFFSET 0) s")"

# Voice ID: fraudsters registered on the coordinator, calls evaluated on the workers
q "$coord" $db >/dev/null <<'SQL' || bad "voice calls"
CREATE TABLE calls (id bigint, embedding real[]);
SELECT create_distributed_table('calls', 'id', shard_count => 4);
INSERT INTO calls VALUES (1, '{0,1,0,0.01}'), (2, '{1,0,0,0}'), (3, '{0,0,1,0}');
SELECT fraud_voice_create_domain('citus', 4);
SQL
vd=$(q "$coord" $db -c "SELECT domain_id FROM fraud_voice_list_domains() WHERE name = 'citus'")
register() { # fraudster_id embedding [rollback]
  q "$coord" $db -c "BEGIN" -c "INSERT INTO fraud.voice_fraudsters (domain_id, fraudster_id, embedding, speech_seconds) VALUES ('$vd', '$1', '$2', 20)" \
    -c "INSERT INTO fraud.voice_fraudster_watchlists VALUES ('$vd', '$1', fraud._voice_default_watchlist('$vd'))" -c "${3:-COMMIT}" >/dev/null
}
risky() { q "$coord" $db -c "SELECT string_agg(id || ':' || fraud_check_voice_id(fraud_voice_evaluate_session('$vd', 'call' || id || '-' || '$1', embedding, 20), 'fraudDetection'), ' ' ORDER BY id) FROM calls"; }
register 'id#aaaaaaaaaaaaaaaaaaaaaa' '{0,1,0,0}'
check "a registered fraudster is found by calls evaluated on the workers" "1:High risk 2:Low risk 3:Low risk" "$(risky a)"
register 'id#bbbbbbbbbbbbbbbbbbbbbb' '{1,0,0,0}' ROLLBACK
check "a rolled-back registration is never seen" "1:High risk 2:Low risk 3:Low risk" "$(risky b)"
register 'id#cccccccccccccccccccccc' '{1,0,0,0}'
check "the next registration is seen by the next distributed query" "1:High risk 2:High risk 3:Low risk" "$(risky c)"
# a speaker enrolled on the coordinator is authenticated by calls evaluated on the workers (which
# record the access on their own copy, as EvaluateSession does)
q "$coord" $db -c "INSERT INTO fraud.voice_speakers (domain_id, generated_speaker_id, customer_speaker_id, status, embedding, speech_seconds)
                   VALUES ('$vd', 'id#ssssssssssssssssssssss', 'caller3', 'ENROLLED', '{0,0,1,0}', 30)" >/dev/null || bad "speaker"
check "a speaker enrolled on the coordinator is authenticated on the workers" "1:Not authenticated 2:Not authenticated 3:Authenticated" \
  "$(q "$coord" $db -c "SELECT string_agg(id || ':' || fraud_check_voice_id(fraud_voice_evaluate_session('$vd', 'auth' || id, embedding, 20, speaker_id => 'caller3'), 'voiceAuthentication'), ' ' ORDER BY id) FROM calls")"
q "$coord" $db -c "UPDATE fraud.voice_speakers SET last_accessed_at = NULL" >/dev/null
res=$(same_catalog $db)
if [[ "$res" =~ ^30\|0\|[1-9][0-9]*$ ]]; then ok "after models and Voice ID, catalogs identical on the 3 nodes ($res)"; else bad "catalogs: $res"; fi

# the score trigger on a distributed table: rows are scored on the workers (the coordinator
# holds no shards), as fraud_outcomes scores the same row
q "$coord" $db >/dev/null <<'SQL' || bad "score trigger"
CREATE TABLE orders (id bigint, email_address text, ip_address text, order_price numeric, account_age_days int,
                     outcomes text[], prediction jsonb);
CREATE TRIGGER score BEFORE INSERT OR UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION fraud_score_trigger('new_account_detector', 'outcomes', 'prediction');
SET citus.enable_unsafe_triggers = on;
SELECT create_distributed_table('orders', 'id', shard_count => 4);
INSERT INTO orders (id, email_address, ip_address, order_price, account_age_days)
SELECT id, ev->>'email_address', ev->>'ip_address', (ev->>'order_price')::numeric, (ev->>'account_age_days')::int
FROM payments_single WHERE id <= 2000;
SQL
check "the score trigger scored every row on the workers, as fraud_outcomes does" "2000|2000|0" \
  "$(q "$coord" $db -c "SELECT count(*), count(prediction), count(*) FILTER (WHERE o.outcomes IS DISTINCT FROM fraud_outcomes('new_account_detector', p.ev))
                        FROM orders o JOIN payments_single p USING (id)")"
check "no shard of orders on the coordinator" "0" "$(q "$coord" $db -c "SELECT count(*) FROM pg_dist_shard s JOIN pg_dist_placement p USING (shardid) WHERE s.logicalrelid = 'orders'::regclass AND p.groupid = 0")"

# GetEventPrediction and a batch prediction job over the distributed table, on the coordinator
check "GetEventPrediction on the coordinator scores, records the prediction and stores the event" "t 1 1" \
  "$(q "$coord" $db -c "SELECT fraud_get_event_prediction('new_account_detector', 'e-1', 'registration',
        entities => '[{\"entityType\": \"customer\", \"entityId\": \"c1\"}]', event_timestamp => '2026-03-01T00:00:00Z',
        event_variables => '{\"email_address\": \"x@example.com\", \"ip_address\": \"198.51.100.7\", \"order_price\": \"60\"}') ? 'ruleResults'" \
     -c "SELECT count(*) FROM fraud.events WHERE event_id = 'e-1'" -c "SELECT count(*) FROM fraud.event_predictions WHERE event_id = 'e-1'" | tr '\n' ' ' | sed 's/ $//')"
check "the stored event lives in a shard on a worker" "1" \
  "$(q "$coord" $db -c "SELECT count(*) FROM pg_dist_placement WHERE shardid = get_shard_id_for_distribution_column('fraud.events', 'e-1') AND groupid <> 0")"
check "labelling a stored event, and rule statistics joining predictions with events" "no error|1" \
  "$(sqlstate "$coord" $db "SELECT fraud_update_event_label('e-1', 'registration', 'fraud', '2026-03-02T00:00:00Z')")|$(q "$coord" $db -c "SELECT sum(labeled_matched) FROM fraud_rule_stats('new_account_detector', '2000-01-01', '2100-01-01')")"
check "a backtest over the distributed stored events" "12000" \
  "$(q "$coord" $db -c "SELECT max(events) FROM fraud_backtest('new_account_detector', '4', '2026-01-01', '2026-02-01')")"
pts=$(q "$coord" $db -c "SELECT prediction_timestamp::text FROM fraud.event_predictions WHERE event_id = 'e-1'")
check "GetEventPredictionMetadata and ListEventPredictions read the distributed history" "t|1" \
  "$(q "$coord" $db -c "SELECT fraud_get_event_prediction_metadata('e-1', 'registration', 'new_account_detector', '4', '$pts')->>'eventId' = 'e-1',
                        (SELECT count(*) FROM fraud_list_event_predictions(event_id => '{\"value\": \"e-1\"}'))")"
check "an aggregate variable is refused while fraud.events is distributed (0A000)" 0A000 \
  "$(sqlstate "$coord" $db "SELECT fraud_create_aggregate_variable('orders_24h', ARRAY['registration'], 'COUNT', '24 hours', entity_type => 'customer')")"
check "... with a message that says why" "ERROR:  aggregate variables and history-reading models need the stored events on the coordinator, and fraud.events is distributed" \
  "$(errline "$coord" $db "SELECT fraud_create_aggregate_variable('orders_24h', ARRAY['registration'], 'COUNT', '24 hours', entity_type => 'customer')")"
check "training a history-reading model is refused at once while fraud.events is distributed" \
  "ERROR:  a TRANSACTION_FRAUD_INSIGHTS model reads the stored events of its entities, and fraud.events is distributed" \
  "$(errline "$coord" $db "SELECT fraud_create_model('hist_model', 'TRANSACTION_FRAUD_INSIGHTS', 'registration');
       SELECT * FROM fraud_create_model_version('hist_model', 'TRANSACTION_FRAUD_INSIGHTS', 'INGESTED_EVENTS',
         '{\"modelVariables\": [\"order_price\"], \"labelSchema\": {\"labelMapper\": {\"FRAUD\": [\"fraud\"], \"LEGIT\": [\"legit\"]}}}',
         ingested_events_detail => '{\"ingestedEventsTimeWindow\": {\"startTime\": \"2026-01-01T00:00:00Z\", \"endTime\": \"2026-02-01T00:00:00Z\"}}')")"
# a batch import job writes its events into the shards
python3 - "$dir/import.csv" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("EVENT_ID,EVENT_TIMESTAMP,ENTITY_ID,ENTITY_TYPE,EVENT_LABEL,LABEL_TIMESTAMP,email_address,ip_address,order_price,account_age_days\n")
    for i in range(1, 1001):
        f.write(f"imp-{i},2026-03-01T00:00:00Z,c{i % 50},customer,,,u{i}@example.com,198.51.100.{i % 200},{i * 3},{i % 30}\n")
PY
[ "$(id -u)" -eq 0 ] && chown postgres: "$dir/import.csv"
q "$coord" $db >/dev/null <<SQL || bad "batch import"
SELECT fraud_create_batch_import_job('citus_import', '$dir/import.csv', 'registration');
DO \$\$
BEGIN
    FOR i IN 1..1200 LOOP
        EXIT WHEN (SELECT status FROM fraud_get_batch_import_jobs('citus_import')) NOT IN ('IN_PROGRESS_INITIALIZING', 'IN_PROGRESS');
        PERFORM pg_sleep(0.1);
    END LOOP;
END \$\$;
SQL
check "a batch import job into the distributed fraud.events" "COMPLETE|1000|1000" \
  "$(q "$coord" $db -c "SELECT status, processed_records_count, (SELECT count(*) FROM fraud.events WHERE event_id LIKE 'imp-%') FROM fraud_get_batch_import_jobs('citus_import')")"
q "$coord" $db >/dev/null <<'SQL' || bad "batch prediction"
CREATE VIEW payments_flat AS
SELECT id, ev->>'email_address' AS email_address, ev->>'ip_address' AS ip_address, ev->>'order_price' AS order_price,
       ev->>'account_age_days' AS account_age_days FROM payments;
SELECT fraud_create_batch_prediction_job('citus_job', 'payments_flat', 'payments_scored', 'registration', 'new_account_detector');
DO $$
BEGIN
    FOR i IN 1..1200 LOOP
        EXIT WHEN (SELECT status FROM fraud_get_batch_prediction_jobs('citus_job')) NOT IN ('IN_PROGRESS_INITIALIZING', 'IN_PROGRESS');
        PERFORM pg_sleep(0.1);
    END LOOP;
END $$;
SQL
check "a batch prediction job over a distributed table" "COMPLETE 20000" \
  "$(q "$coord" $db -c "SELECT status || ' ' || processed_records_count FROM fraud_get_batch_prediction_jobs('citus_job')")"

# DeleteEventsByEventType over the shards
q "$coord" $db >/dev/null <<'SQL' || bad "deletion job"
SELECT * FROM fraud_delete_events_by_event_type('registration');
DO $$
BEGIN
    FOR i IN 1..1200 LOOP
        EXIT WHEN (SELECT events_deletion_status FROM fraud_get_delete_events_by_event_type_status('registration')) NOT IN ('IN_PROGRESS_INITIALIZING', 'IN_PROGRESS');
        PERFORM pg_sleep(0.1);
    END LOOP;
END $$;
SQL
check "a DeleteEventsByEventType job empties the shards of that type" "COMPLETE|0" \
  "$(q "$coord" $db -c "SELECT events_deletion_status, (SELECT count(*) FROM fraud.events WHERE event_type_name = 'registration') FROM fraud_get_delete_events_by_event_type_status('registration')")"

# a worker down: catalog changes fail and change nothing anywhere; back up, they work again and
# every node is the coordinator's copy
as_pg "$PG_BIN/pg_ctl" -D "$dir/${ports[2]}" -m fast -w stop >/dev/null
check "with a worker down, a catalog change fails" "no" \
  "$(q "$coord" $db -c "SELECT fraud_put_outcome('while_down')" >/dev/null 2>&1 && echo yes || echo no)"
check "and is not on the coordinator either" "0" "$(q "$coord" $db -c "SELECT count(*) FROM fraud.outcomes WHERE name = 'while_down'")"
as_pg "$PG_BIN/pg_ctl" -D "$dir/${ports[2]}" -l "$dir/${ports[2]}.log" -w start >/dev/null
check "with the worker back, the change succeeds" "" "$(q "$coord" $db -c "SELECT fraud_put_outcome('while_down')")"
res=$(same_catalog $db)
if [[ "$res" =~ ^30\|0\|[1-9][0-9]*$ ]]; then ok "after the outage, catalogs identical on the 3 nodes ($res)"; else bad "catalogs after the outage: $res"; fi

# a node added: Citus gives it the extension; fraud_citus_setup() gives it the catalog (and the
# copy of the carrier table Citus no longer replicates by itself); the rebalancer then moves
# shards of the scored table to it, and the results stay those of a single node
p4=$((${ports[2]} + 1))
while "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p $p4; do p4=$((p4 + 1)); done
citus_node $p4 && ports+=($p4) && CITUS_PORTS+=($p4)
q $p4 postgres -c "CREATE DATABASE $db" >/dev/null && q $p4 $db -c "CREATE EXTENSION citus" >/dev/null
q "$coord" $db -c "SELECT citus_add_node('127.0.0.1', $p4)" >/dev/null || bad "citus_add_node"
check "fraud_citus_setup() after adding a node counts 3 workers" "3" "$(q "$coord" $db -c "SELECT fraud_citus_setup()->>'workers'")"
res=$(same_catalog $db)
if [[ "$res" =~ ^30\|0\|[1-9][0-9]*$ ]]; then ok "the added node holds the coordinator's catalog ($res, 4 nodes)"; else bad "catalogs with the added node: $res"; fi
q "$coord" $db -c "SELECT fraud_put_outcome('after_adding')" >/dev/null
check "the next change reaches the added node" "1" "$(q $p4 $db -c "SELECT count(*) FROM fraud.outcomes WHERE name = 'after_adding'")"
q "$coord" $db -c "SELECT rebalance_table_shards('payments', shard_transfer_mode => 'block_writes')" >/dev/null 2>&1 || bad "rebalance"
check "the rebalancer moved shards of payments to the added node" "t" \
  "$(q "$coord" $db -c "SELECT count(*) > 0 FROM pg_dist_shard s JOIN pg_dist_placement p USING (shardid) JOIN pg_dist_node n ON n.groupid = p.groupid
                         WHERE s.logicalrelid = 'payments'::regclass AND n.nodeport = $p4")"
check "after rebalancing, distributed = single node" "20000 rows, 0 differ" "$(diff_rows)"

# pg_dump of the coordinator: the catalog restores, and scores as before
as_pg pg_dump -h "$dir" -p "$coord" -U postgres -Fc -f "$dir/coord.dump" $db 2>"$dir/dump.err"; rc=$?
check "pg_dump of the coordinator" "0" "$rc"
q "$coord" postgres -c "CREATE DATABASE restored" >/dev/null
as_pg pg_restore -h "$dir" -p "$coord" -U postgres -d restored "$dir/coord.dump" >"$dir/restore.log" 2>&1
ev='{"email_address": "x@example.com", "ip_address": "198.51.100.7", "order_price": "60"}'
check "the restored catalog scores as the cluster does" \
  "$(q "$coord" $db -c "SELECT fraud_predict('new_account_detector', '$ev')")" \
  "$(q "$coord" restored -c "SELECT replace(fraud_predict('new_account_detector', '$ev')::text, 'arn:fraud:restored:', 'arn:fraud:$db:')")"

# ---------------------------------------------------------------------------------------------
# an upgrade on the cluster: 0.1.0 on every node, a catalog, ALTER EXTENSION UPDATE, setup
up=upgraded
citus_db $up
q "$coord" $up -c "CREATE EXTENSION fraud_detector VERSION '0.1.0'" -f examples/sample_setup.sql >/dev/null || bad "0.1.0 install"
q "$coord" $up -c "ALTER EXTENSION fraud_detector UPDATE" >/dev/null || bad "ALTER EXTENSION UPDATE"
check "ALTER EXTENSION UPDATE reaches every node" "0.2.0 0.2.0 0.2.0" \
  "$(for p in "${ports[@]}"; do q "$p" $up -c "SELECT extversion FROM pg_extension WHERE extname = 'fraud_detector'"; done | tr '\n' ' ' | sed 's/ $//')"
q "$coord" $up -c "SELECT fraud_citus_setup()" >/dev/null || bad "setup after the upgrade"
res=$(same_catalog $up)
if [[ "$res" =~ ^30\|0\|[1-9][0-9]*$ ]]; then ok "after the upgrade and setup, catalogs identical ($res)"; else bad "catalogs after upgrade: $res"; fi
q "$coord" $up >/dev/null <<'SQL' || bad "upgraded scoring"
CREATE TABLE payments (id bigint PRIMARY KEY, ev jsonb);
SELECT create_distributed_table('payments', 'id', shard_count => 4);
INSERT INTO payments
SELECT i, jsonb_build_object('email_address', 'user' || i || CASE WHEN i % 50 = 0 THEN '@fraud.example' ELSE '@example.com' END,
                             'ip_address', '198.51.100.' || (i % 200), 'order_price', (i * 37 % 3000)::text,
                             'account_age_days', (i % 400)::text)
FROM generate_series(1, 5000) i;
CREATE TABLE payments_single AS SELECT * FROM payments;
SQL
check "after the upgrade, distributed = single node" "5000 rows, 0 differ" "$(q "$coord" $up -c "
    WITH d AS (SELECT id, fraud_predict('new_account_detector', ev) p FROM payments),
         s AS (SELECT id, fraud_predict('new_account_detector', ev) p FROM payments_single)
    SELECT (SELECT count(*) FROM d) || ' rows, ' || (SELECT count(*) FROM ((TABLE d EXCEPT TABLE s) UNION ALL (TABLE s EXCEPT TABLE d)) x) || ' differ'")"

# a version that reads stored events (a velocity variable) scores on the coordinator only: on
# the workers it fails with 0A000 instead of counting over events they do not hold
q "$coord" $up >/dev/null <<'SQL' || bad "velocity detector"
SELECT fraud_create_aggregate_variable('orders_24h', ARRAY['registration'], 'COUNT', '24 hours', entity_type => 'customer');
SELECT fraud_put_detector('velocity_detector', 'registration');
SELECT fraud_create_rule('busy', 'velocity_detector', '$orders_24h > 5', ARRAY['review']);
SELECT * FROM fraud_create_detector_version('velocity_detector', rules => '[{"detectorId": "velocity_detector", "ruleId": "busy", "ruleVersion": "1"}]');
SELECT fraud_update_detector_version_status('velocity_detector', '1', 'ACTIVE');
SQL
check "a version with a velocity variable refuses to score on the workers (0A000)" 0A000 \
  "$(sqlstate "$coord" $up "SELECT count(*) FROM payments WHERE fraud_outcomes('velocity_detector', ev) IS NOT NULL")"
e=$(errline "$coord" $up "SELECT count(*) FROM payments WHERE fraud_outcomes('velocity_detector', ev) IS NOT NULL")
check "... naming the version and the reason" "yes" \
  "$([[ "$e" == *"detector version velocity_detector/1 reads stored events"*"which live on the Citus coordinator"* ]] && echo yes || echo "no: $e")"
check "the same version scores on the coordinator" "no error" \
  "$(sqlstate "$coord" $up "SELECT count(*) FROM payments_single WHERE fraud_outcomes('velocity_detector', ev) IS NOT NULL")"

echo "citus: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
