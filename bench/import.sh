#!/usr/bin/env bash
# Batch import job benchmark. Builds fraud_detector in release mode, starts a throwaway
# PostgreSQL (or uses PGHOST/PGPORT if BENCH_USE_EXISTING=1), writes a deterministic valid
# 300,000-row CSV file in AFD's layout with 9 columns (EVENT_ID, EVENT_TIMESTAMP, ENTITY_ID,
# ENTITY_TYPE, EVENT_LABEL, LABEL_TIMESTAMP, email_address, ip_address, order_price), then, one
# after the other, best of $RUNS (default 3) each:
#   1. COPY of the file into a plain table of text columns (the user's alternative)
#   2. fraud_create_batch_import_job over the file, from creation to COMPLETE (the job's
#      start_time to its completion_time, both recorded by the server), fraud.events emptied
#      before each run
#   3. the same job over a table holding the same rows (text columns)
# checks that every row was imported, and prints a markdown table for bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
runs=${RUNS:-3}
rows=${ROWS:-300000}
csv=/tmp/fraud_bench_import.csv
bench_start fraud_bench_import
psql -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<SQL
SELECT fraud_put_entity_type('customer');
SELECT fraud_create_variable('email_address', 'STRING', 'EVENT', 'none');
SELECT fraud_create_variable('ip_address', 'STRING', 'EVENT', '0.0.0.0');
SELECT fraud_create_variable('order_price', 'FLOAT', 'EVENT', '0');
SELECT fraud_put_label('fraud');
SELECT fraud_put_label('legit');
SELECT fraud_put_event_type('registration', ARRAY['email_address', 'ip_address', 'order_price'],
                            ARRAY['customer'], labels => ARRAY['fraud', 'legit']);
COPY (
  SELECT 'ev' || i AS "EVENT_ID",
         to_char(timestamp '2024-01-01' + i * interval '1 minute', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "EVENT_TIMESTAMP",
         'cust' || (i % 5000) AS "ENTITY_ID", 'customer' AS "ENTITY_TYPE",
         CASE WHEN i % 10 = 0 THEN 'fraud' ELSE 'legit' END AS "EVENT_LABEL",
         to_char(timestamp '2024-02-01' + i * interval '1 minute', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "LABEL_TIMESTAMP",
         'user' || i || '@example.com' AS email_address,
         '10.0.' || (i % 256) || '.' || (i % 199) AS ip_address,
         ((i % 2000) + 0.5)::text AS order_price
  FROM generate_series(1, $rows) i
) TO '$csv' WITH (FORMAT csv, HEADER true);
CREATE TABLE plain (event_id text, event_timestamp text, entity_id text, entity_type text, event_label text,
                    label_timestamp text, email_address text, ip_address text, order_price text);
CREATE TABLE import_src (LIKE plain);
COPY import_src FROM '$csv' WITH (FORMAT csv, HEADER true);
VACUUM ANALYZE import_src;
-- server-side wall clock of one statement, in ms
CREATE FUNCTION bench_ms(sql text) RETURNS numeric LANGUAGE plpgsql AS \$\$
DECLARE t timestamptz := clock_timestamp();
BEGIN
    EXECUTE sql;
    RETURN extract(epoch FROM clock_timestamp() - t) * 1000;
END \$\$;
SQL
echo "== $(wc -l < "$csv") lines ($(du -h "$csv" | cut -f1)) in $csv"

min() { python3 -c "import sys; print(round(min(float(x) for x in sys.argv[1:])))" "$@"; }

copy_times=()
for _ in $(seq "$runs"); do
  psql -X -q -d "$db" -c "TRUNCATE plain" -c "CHECKPOINT" >/dev/null
  copy_times+=("$(psql -X -At -d "$db" -c "SELECT round(bench_ms(\$\$COPY plain FROM '$csv' WITH (FORMAT csv, HEADER true)\$\$))")")
done
t_copy=$(min "${copy_times[@]}"); echo "COPY into a plain table: ${copy_times[*]} ms"

# job INPUT: creation to COMPLETE in ms, as the job recorded it; checks that every row landed
run_job() {
  local input=$1 id=$2 status
  psql -X -q -d "$db" -c "TRUNCATE fraud.events" -c "CHECKPOINT" >/dev/null
  psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "SELECT fraud_create_batch_import_job('$id', '$input', 'registration')" >/dev/null
  while :; do
    status=$(psql -X -At -d "$db" -c "SELECT status FROM fraud_get_batch_import_jobs('$id')")
    case "$status" in COMPLETE|FAILED|CANCELED) break ;; esac
    sleep 0.05
  done
  local check
  check=$(psql -X -At -F ' ' -d "$db" -c "SELECT processed_records_count, failed_records_count,
                                           (SELECT count(*) FROM fraud.events)
                                    FROM fraud_get_batch_import_jobs('$id')")
  if [ "$status" != COMPLETE ] || [ "$check" != "$rows 0 $rows" ]; then
    echo "job $id: $status, processed/failed/stored: $check" >&2
    psql -X -At -d "$db" -c "SELECT failure_reason FROM fraud_get_batch_import_jobs('$id')" >&2; exit 1
  fi
  psql -X -At -d "$db" -c "SELECT round(extract(epoch FROM completion_time - start_time) * 1000)
                           FROM fraud_get_batch_import_jobs('$id')"
}

file_times=(); table_times=()
for r in $(seq "$runs"); do
  file_times+=("$(run_job "$csv" "file_$r")")
done
t_file=$(min "${file_times[@]}"); echo "batch import job, CSV file: ${file_times[*]} ms"
for r in $(seq "$runs"); do
  table_times+=("$(run_job import_src "table_$r")")
done
t_table=$(min "${table_times[@]}"); echo "batch import job, table: ${table_times[*]} ms"

cat <<TABLE

| $rows rows, 9 columns, best of $runs | time | vs COPY | target | |
| --- | ---: | ---: | --- | --- |
| \`COPY plain FROM '<file>' (FORMAT csv, HEADER)\` | ${t_copy} ms | 1.00 | | |
| batch import job, CSV file (creation to COMPLETE) | ${t_file} ms | $(ratio "$t_file" "$t_copy") | ≤ 4 | $(met "$t_file / $t_copy <= 4") |
| batch import job, table of the same rows | ${t_table} ms | $(ratio "$t_table" "$t_copy") | | |
TABLE
[ "${KEEP_CSV:-0}" = 1 ] || rm -f "$csv"
dropdb "$db"
