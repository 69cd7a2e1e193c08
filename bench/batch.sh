#!/usr/bin/env bash
# Batch prediction job benchmark (issue: stored events and jobs). Builds fraud_detector in
# release mode, starts a throwaway PostgreSQL (or uses PGHOST/PGPORT if BENCH_USE_EXISTING=1),
# loads the rule-engine benchmark's detector (bench/predict_setup.sql: 10 rules) and turns its
# 1,000,000 events into an ordinary table of ten typed columns. Then, one after the other:
#   1. the equivalent single statement a user would write, producing the same output columns
#      as the job (INSERT ... SELECT p.*, fraud_predict(...), fraud_outcomes(...) ...), best of 3
#   2. the simplest form (INSERT ... SELECT p.*, fraud_predict('bench', to_jsonb(p))), best of 3
#   3. fraud_create_batch_prediction_job over the same table, while a second session polls
#      fraud_get_batch_prediction_jobs every 0.5 s and prints the progress it sees
# and checks that the job's output agrees with the single statement row for row.
# Prints a markdown table for bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_start fraud_bench_batch
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f bench/predict_setup.sql >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<'SQL'
CREATE TABLE payments AS
SELECT e.id, r.* FROM bench_events e,
    jsonb_to_record(e.ev) AS r(email text, ip text, amount numeric, items int, country text, member boolean,
                               card_bin text, account_age_days int, device text, signup text);
VACUUM ANALYZE payments;
SQL
echo "== data loaded: $(psql -X -At -d "$db" -c 'SELECT count(*) FROM payments') rows in payments"

equivalent="SELECT p.*, x.r->'modelScores' AS model_scores, x.r->'ruleResults' AS rule_results, x.o AS outcomes, 'SUCCESS' AS status
  FROM payments p
  CROSS JOIN LATERAL (SELECT to_jsonb(p) AS e OFFSET 0) e
  CROSS JOIN LATERAL (SELECT fraud_predict('bench', e.e) AS r, fraud_outcomes('bench', e.e) AS o OFFSET 0) x"
simplest="SELECT p.*, fraud_predict('bench', to_jsonb(p)) AS prediction FROM payments p"

psql -X -q -d "$db" -c "CREATE TABLE scored_sql AS $equivalent WITH NO DATA" \
                    -c "CREATE TABLE scored_simple AS $simplest WITH NO DATA"
t_eq=$(best_ms "INSERT INTO scored_sql $equivalent" scored_sql); echo "single INSERT ... SELECT (same columns as the job): $t_eq ms"
t_simple=$(best_ms "INSERT INTO scored_simple $simplest" scored_simple); echo "single INSERT ... SELECT p.*, fraud_predict(...): $t_simple ms"

echo "== batch prediction job; progress as another session sees it:"
psql -X -q -d "$db" -c "CHECKPOINT" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c \
  "SELECT fraud_create_batch_prediction_job('bench_job', 'payments', 'scored_job', 'bench_checkout', 'bench')" >/dev/null
polls=0; seen_running=0
while :; do
  line=$(psql -X -At -F ' ' -d "$db" -c "SELECT status, processed_records_count, total_records_count,
           to_char(clock_timestamp() - start_time, 'SS.MS') FROM fraud_get_batch_prediction_jobs('bench_job')")
  polls=$((polls + 1))
  echo "  poll $polls: $line"
  case "$line" in
    IN_PROGRESS\ [1-9]*) seen_running=$((seen_running + 1)) ;;
  esac
  case "$line" in COMPLETE*|FAILED*|CANCELED*) break ;; esac
  sleep 0.5
done
t_job=$(psql -X -At -d "$db" -c "SELECT round(extract(epoch FROM completion_time - start_time) * 1000)
                                 FROM fraud_get_batch_prediction_jobs('bench_job')")
batches=$(psql -X -At -d "$db" -c "SELECT ceil(total_records_count / 10000.0) FROM fraud_get_batch_prediction_jobs('bench_job')")
disagree=$(psql -X -At -d "$db" -c "
  SELECT count(*) FROM scored_job j FULL JOIN scored_sql s USING (id)
  WHERE j.outcomes IS DISTINCT FROM s.outcomes OR j.rule_results IS DISTINCT FROM s.rule_results
     OR j.status IS DISTINCT FROM 'SUCCESS'")
rows=$(psql -X -At -d "$db" -c "SELECT count(*) || ' rows, ' || count(DISTINCT id) || ' ids' FROM scored_job")
echo "job: $t_job ms (start to completion, as recorded by the job), $rows; polls that saw it running part-way: $seen_running"
echo "rows where the job and the single statement disagree: $disagree"

cat <<TABLE

| 1,000,000 rows, 10 rules, one core per session | time | vs single statement | target | |
| --- | ---: | ---: | --- | --- |
| \`INSERT INTO out SELECT p.*, <same columns as the job> FROM payments p\` | ${t_eq} ms | 1.00 | | |
| \`INSERT INTO out SELECT p.*, fraud_predict('bench', to_jsonb(p)) FROM payments p\` | ${t_simple} ms | $(ratio $t_simple $t_eq) | | |
| batch prediction job (${batches} committed batches, progress polled every 0.5 s) | ${t_job} ms | $(ratio $t_job $t_eq) | ≤ 1.5 | $(met "$t_job / $t_eq <= 1.5") |
| rows where job and statement disagree | ${disagree} | | 0 | $(met "$disagree == 0") |
TABLE
dropdb "$db"
