#!/usr/bin/env bash
# Faults in the middle of a batch prediction job, on a cluster of its own (a kill -9 makes
# the postmaster reinitialise every backend). A trigger on the output table makes the worker
# wait for an advisory lock the test holds when it reaches input row 150, so at the moment of
# the fault exactly one batch of 100 rows has committed and the second is in flight. Then:
#   kill -9 of the worker       -> the job ends FAILED with a reason, the output holds the
#                                  100 committed rows, no duplicates, no row of the lost batch
#   server restart (-m fast)    -> the same
# and in the middle of a model version's training (a large generated labelled set):
#   kill -9 of the worker       -> the version ends in ERROR naming the worker, no model or
#                                  result written, no worker left; a new version then trains
#   TRAINING_CANCELLED          -> the version TRAINING_CANCELLED, its job CANCELED, no model
# Expects the extension to be installed; prints "faults: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/cluster.sh
cluster_start
db=fraud_faults
createdb "$db"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c 'CREATE EXTENSION fraud_detector' -f examples/sample_setup.sql >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<'SQL'
CREATE TABLE payments AS
SELECT i AS id, 'user' || i || '@example.com' AS email_address, '10.0.0.' || (i % 250) AS ip_address,
       (i % 2000)::float8 AS order_price, i % 30 AS account_age_days
FROM generate_series(1, 1000) i;
CREATE FUNCTION gate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id = 150 THEN
        PERFORM pg_advisory_lock_shared(4242);
        PERFORM pg_advisory_unlock_shared(4242);
    END IF;
    RETURN NEW;
END $$;
SQL

passed=0; failed=0
check() { # name expected actual
  if [ "$2" = "$3" ]; then passed=$((passed + 1)); echo "ok   $1"
  else failed=$((failed + 1)); echo "FAIL $1: expected '$2', got '$3'"; fi
}
q() { psql -X -At -d "$db" -c "$1" 2>&1; }

# starts job $1 writing to $2 and returns once its worker waits at the gate; holds the lock
# from a background psql session until that session ends
start_gated_job() {
  local job=$1 out=$2 pid
  psql -X -q -d "$db" -c "SELECT pg_advisory_lock(4242)" -c "SELECT pg_sleep(600)" >/dev/null 2>&1 &
  holder=$!
  for _ in $(seq 1 200); do
    [ "$(q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" = 1 ] && break
    sleep 0.05
  done
  psql -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<SQL
BEGIN;
SELECT fraud_create_batch_prediction_job('$job', 'SELECT * FROM payments ORDER BY id', '$out', 'registration', 'new_account_detector');
UPDATE fraud.jobs SET batch_size = 100 WHERE job_id = '$job';
CREATE TRIGGER gate BEFORE INSERT ON $out FOR EACH ROW EXECUTE FUNCTION gate();
COMMIT;
SQL
  for _ in $(seq 1 1200); do
    pid=$(q "SELECT j.worker_pid FROM fraud.jobs j JOIN pg_locks l ON l.pid = j.worker_pid
             WHERE j.job_id = '$job' AND l.locktype = 'advisory' AND NOT l.granted")
    [ -n "$pid" ] && break
    sleep 0.05
  done
  worker=$pid
}

wait_for_server() {
  for _ in $(seq 1 600); do
    psql -X -At -d "$db" -c 'SELECT 1' >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server did not come back" >&2
  return 1
}

verify() { # job output
  check "$1: status" FAILED "$(q "SELECT status FROM fraud_get_batch_prediction_jobs('$1')")"
  check "$1: reason names the lost worker" t \
    "$(q "SELECT failure_reason LIKE 'the job''s worker (pid $worker) stopped before the job finished%' FROM fraud_get_batch_prediction_jobs('$1')")"
  check "$1: processed count" 100 "$(q "SELECT processed_records_count FROM fraud_get_batch_prediction_jobs('$1')")"
  check "$1: output = the committed batch, no duplicates" "100|100|1|100" \
    "$(q "SELECT count(*), count(DISTINCT id), min(id), max(id) FROM $2")"
  check "$1: staging table dropped" 0 \
    "$(q "SELECT count(*) FROM pg_tables WHERE schemaname = 'fraud' AND tablename LIKE '\_job\_%'")"
  check "$1: no worker left" 0 \
    "$(q "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'fraud_detector job worker'")"
}

echo "== kill -9 of the job's worker"
start_gated_job crash scored_crash
check "crash: worker waits at the gate after one batch" "IN_PROGRESS|100" \
  "$(q "SELECT status || '|' || processed_records_count FROM fraud_get_batch_prediction_jobs('crash')")"
kill -9 "$worker"
wait "$holder" 2>/dev/null  # the crash restart ends every session, the lock holder's too
wait_for_server
verify crash scored_crash

echo "== server restart in the middle of a job"
start_gated_job restart scored_restart
check "restart: worker waits at the gate after one batch" "IN_PROGRESS|100" \
  "$(q "SELECT status || '|' || processed_records_count FROM fraud_get_batch_prediction_jobs('restart')")"
as_pg "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -m fast -w restart >/dev/null
wait "$holder" 2>/dev/null
wait_for_server
verify restart scored_restart

echo "== a new job runs normally afterwards"
q "SELECT fraud_create_batch_prediction_job('after', 'payments', 'scored_after', 'registration', 'new_account_detector')" >/dev/null
for _ in $(seq 1 1200); do
  [ "$(q "SELECT status FROM fraud_get_batch_prediction_jobs('after')")" = COMPLETE ] && break
  sleep 0.05
done
check "after: completes" "COMPLETE|1000|1000" \
  "$(q "SELECT status || '|' || processed_records_count || '|' || (SELECT count(*) FROM scored_after) FROM fraud_get_batch_prediction_jobs('after')")"

echo "== a burst of job calls never fills max_worker_processes"
# 30 commits in quick succession, each asking for a worker at commit; the workers share two
# slots per database, a newcomer that finds both taken leaves at once
(for i in $(seq 1 30); do
   echo "SELECT fraud_create_batch_prediction_job('burst$i', 'SELECT * FROM payments WHERE id <= 20', 'scored_burst$i', 'registration', 'new_account_detector');"
 done | psql -X -q -d "$db" >/dev/null) &
burst=$!
most=0
for _ in $(seq 1 60); do
  # workers holding a job at this moment (a newcomer that finds both slots taken never claims one)
  n=$(q "SELECT count(DISTINCT worker_pid) FROM fraud.jobs WHERE worker_pid IS NOT NULL")
  [ "$n" -gt "$most" ] && most=$n
  sleep 0.03
done
wait "$burst"
# the two slot holders work (a third only in the moment a holder hands its slot over); the old
# code gave every call a worker of its own that claimed a job, up to max_worker_processes
check "burst: at most three workers hold jobs at any sample" t "$([ "$most" -le 3 ] && echo t || echo "f ($most)")"
for _ in $(seq 1 1200); do
  [ "$(q "SELECT count(*) FROM fraud.jobs WHERE job_id LIKE 'burst%' AND status = 'COMPLETE'")" = 30 ] && break
  sleep 0.05
done
check "burst: every job completes" 30 "$(q "SELECT count(*) FROM fraud.jobs WHERE job_id LIKE 'burst%' AND status = 'COMPLETE'")"

echo "== kill -9 of the worker of a model version's training, then a cancel in flight"
# a labelled set large enough that training lasts a while (tests/pg_regress/sql/models.sql's
# generator, FAULTS_MODEL_EVENTS payments); training commits its progress as it goes
model_events=${FAULTS_MODEL_EVENTS:-150000}
psql -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<SQL
CREATE FUNCTION h(i int, k int) RETURNS float8 LANGUAGE sql IMMUTABLE AS \$\$
    SELECT ((hashint8(i::bigint * 7919 + k) % 10000 + 10000) % 10000) / 10000.0 \$\$;
SELECT fraud_create_variable('amount', 'FLOAT', 'EVENT', '0', variable_type => 'PRICE');
SELECT fraud_create_variable('email', 'STRING', 'EVENT', 'unknown', variable_type => 'EMAIL_ADDRESS');
SELECT fraud_create_variable('ip', 'STRING', 'EVENT', '0.0.0.0', variable_type => 'IP_ADDRESS');
SELECT fraud_create_variable('noise', 'STRING', 'EVENT', '', variable_type => 'CATEGORICAL');
SELECT fraud_put_event_type('pay', ARRAY['amount', 'email', 'ip', 'noise'], ARRAY['customer'], labels => ARRAY['fraud', 'legit']);
INSERT INTO fraud.events (event_type_name, event_id, event_timestamp, entities, event_variables, event_label, label_timestamp)
SELECT 'pay', 'p' || i, '2026-01-01'::timestamptz + i * interval '10 seconds',
       jsonb_build_array(jsonb_build_object('entityType', 'customer', 'entityId', 'c' || (i % 6000))),
       jsonb_build_object('amount', amount::text, 'email', 'u' || (i % 977) || '@' || domain,
                          'ip', '10.' || floor(h(i, 6) * 5) || '.' || floor(h(i, 7) * 200) || '.1', 'noise', 'n' || (i % 3001)),
       CASE WHEN h(i, 5) < 1 / (1 + exp(-(-4.2 + 2.2 * (amount > 800)::int + 1.8 * (domain = 'bad.com')::int))) THEN 'fraud' ELSE 'legit' END,
       '2026-03-01'
FROM (SELECT i, round((h(i, 2) * 1000)::numeric, 2) AS amount,
             (ARRAY['gmail.com', 'yahoo.com', 'corp.com', 'bad.com'])[1 + floor(h(i, 3) * 4)::int] AS domain
      FROM generate_series(1, $model_events) i) g;
SELECT fraud_create_model('pay_model', 'ONLINE_FRAUD_INSIGHTS', 'pay');
SQL
new_version() { # -> the new version's number
  q "SELECT model_version_number FROM fraud_create_model_version('pay_model', 'ONLINE_FRAUD_INSIGHTS', 'INGESTED_EVENTS',
       '{\"modelVariables\": [\"amount\", \"email\", \"ip\", \"noise\"]}',
       ingested_events_detail => '{\"ingestedEventsTimeWindow\": {\"startTime\": \"2026-01-01T00:00:00Z\", \"endTime\": \"2026-03-01T00:00:00Z\"}}')"
}
job_of() { echo "fraud._model_job_id('pay_model', 'ONLINE_FRAUD_INSIGHTS', '$1')"; }
# returns once version $1 trains in flight: TRAINING_IN_PROGRESS with progress > 0 committed, its
# job IN_PROGRESS with a worker; sets worker
catch_training() {
  local out
  worker=; caught=
  for _ in $(seq 1 2400); do
    out=$(q "SELECT v.status, v.training_progress > 0,
                    (SELECT j.worker_pid FROM fraud.jobs j WHERE j.job_type = 'MODEL_TRAINING' AND j.job_id = $(job_of "$1") AND j.status = 'IN_PROGRESS')
             FROM fraud_describe_model_versions('pay_model', '$1', 'ONLINE_FRAUD_INSIGHTS') v")
    if [[ "$out" =~ ^TRAINING_IN_PROGRESS\|t\|[0-9]+$ ]]; then worker=${out##*|}; caught=t; break; fi
    [[ "$out" == TRAINING_IN_PROGRESS\|* ]] || { caught="f: ${out:-no version $1}"; break; }   # over, or an error: no point waiting
    sleep 0.05
  done
}
wait_version() { # version: waits (at most 300 s) for its training to end
  for _ in $(seq 1 3000); do
    [ "$(q "SELECT status FROM fraud_describe_model_versions('pay_model', '$1', 'ONLINE_FRAUD_INSIGHTS')")" != TRAINING_IN_PROGRESS ] && break
    sleep 0.1
  done
}
no_worker_left() {
  local n
  for _ in $(seq 1 100); do
    n=$(q "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'fraud_detector job worker'")
    [ "$n" = 0 ] && break
    sleep 0.1
  done
  echo "$n"
}
check "training: $model_events labelled events stored" "$model_events" "$(q "SELECT count(*) FROM fraud.events WHERE event_type_name = 'pay'")"
v=$(new_version)
check "training: version 1.0 created" 1.0 "$v"
catch_training 1.0
check "training: caught in flight (TRAINING_IN_PROGRESS, progress > 0, job IN_PROGRESS with a worker)" t "${caught:-f}"
if [ -n "$worker" ]; then
  kill -9 "$worker"
  wait_for_server
  wait_version 1.0
fi
check "training kill: the version ends in ERROR" ERROR "$(q "SELECT status FROM fraud_describe_model_versions('pay_model', '1.0', 'ONLINE_FRAUD_INSIGHTS')")"
check "training kill: failure_reason names the stopped worker" t \
  "$(q "SELECT failure_reason LIKE '%worker (pid $worker) stopped before training finished%' FROM fraud_describe_model_versions('pay_model', '1.0', 'ONLINE_FRAUD_INSIGHTS')")"
check "training kill: nothing half-written (model_data, training_result, training_result_v2 NULL)" "t|t|t" \
  "$(q "SELECT model_data IS NULL, training_result IS NULL, training_result_v2 IS NULL FROM fraud.model_versions WHERE model_id = 'pay_model' AND model_version_number = '1.0'")"
check "training kill: the job FAILED, naming the worker" "FAILED|t" \
  "$(q "SELECT status, failure_reason LIKE '%(pid $worker) stopped before%' FROM fraud.jobs WHERE job_type = 'MODEL_TRAINING' AND job_id = $(job_of 1.0)")"
check "training kill: the version cannot be activated" 55006 \
  "$(psql -X -At -d "$db" -v VERBOSITY=sqlstate -c "SELECT fraud_update_model_version_status('pay_model', 'ONLINE_FRAUD_INSIGHTS', '1.0', 'ACTIVE')" 2>&1 | grep -Eo '[0-9][0-9A-Z]{4}' | head -1)"
check "training kill: no worker left" 0 "$(no_worker_left)"

v=$(new_version)
check "training after the kill: version 2.0 created" 2.0 "$v"
wait_version 2.0
check "training after the kill: version 2.0 trains to TRAINING_COMPLETE with its model" "TRAINING_COMPLETE|1|t|t" \
  "$(q "SELECT status, training_progress, model_data IS NOT NULL, training_result IS NOT NULL FROM fraud.model_versions WHERE model_id = 'pay_model' AND model_version_number = '2.0'")"
check "training after the kill: its job COMPLETE" COMPLETE "$(q "SELECT status FROM fraud.jobs WHERE job_type = 'MODEL_TRAINING' AND job_id = $(job_of 2.0)")"

v=$(new_version)
check "training cancel: version 3.0 created" 3.0 "$v"
catch_training 3.0
check "training cancel: caught in flight" t "${caught:-f}"
check "training cancel: TRAINING_CANCELLED accepted in flight" "" \
  "$(q "SELECT fraud_update_model_version_status('pay_model', 'ONLINE_FRAUD_INSIGHTS', '3.0', 'TRAINING_CANCELLED')")"
for _ in $(seq 1 600); do
  [ "$(q "SELECT fraud._job_active(status) FROM fraud.jobs WHERE job_type = 'MODEL_TRAINING' AND job_id = $(job_of 3.0)")" != t ] && break
  sleep 0.1
done
check "training cancel: version TRAINING_CANCELLED, job CANCELED, model_data and results NULL" "TRAINING_CANCELLED|CANCELED|t|t" \
  "$(q "SELECT v.status, j.status, v.model_data IS NULL, v.training_result IS NULL
        FROM fraud.model_versions v, fraud.jobs j WHERE v.model_id = 'pay_model' AND v.model_version_number = '3.0'
          AND j.job_type = 'MODEL_TRAINING' AND j.job_id = $(job_of 3.0)")"
check "training cancel: the worker left" 0 "$(no_worker_left)"

echo "faults: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
