#!/usr/bin/env bash
# Faults in the middle of a batch prediction job, on a cluster of its own (a kill -9 makes
# the postmaster reinitialise every backend). A trigger on the output table makes the worker
# wait for an advisory lock the test holds when it reaches input row 150, so at the moment of
# the fault exactly one batch of 100 rows has committed and the second is in flight. Then:
#   kill -9 of the worker       -> the job ends FAILED with a reason, the output holds the
#                                  100 committed rows, no duplicates, no row of the lost batch
#   server restart (-m fast)    -> the same
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

echo "faults: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
