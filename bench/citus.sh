#!/usr/bin/env bash
# Citus scale-out benchmark (docs/scale-out.md). Builds fraud_detector in release mode, starts a
# throwaway three-node Citus cluster on this machine (scripts/citus-cluster.sh), loads
# bench/predict_setup.sql (1,000,000 events, a detector of 10 FIRST_MATCHED rules) on the
# coordinator, runs fraud_citus_setup(), and copies the events into a table hash-distributed by
# id over 4 shards on the two workers. Then times, best of 3 by the wall clock of psql, the same
# grouped scoring query on the plain table (a single node: one backend, one core) and on the
# distributed one (4 worker tasks, run concurrently by the two workers), with a grouped query
# that does not score as the floor of each, checks that both give the same counts, and prints
# the per-task work of EXPLAIN ANALYZE. Prints a markdown table for bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. scripts/cluster.sh
. scripts/citus-cluster.sh
echo "== building fraud_detector (release)"
sudo_flag=""; [ "$(id -u)" -eq 0 ] || sudo_flag="--sudo"
cargo pgrx install --release --pg-config "$PG_CONFIG" $sudo_flag 2>&1 | tail -n 1
citus_install
CITUS_CONF="max_parallel_workers_per_gather = 0
jit = off" citus_start
db=bench
citus_db $db
cq "$COORD" $db -c "CREATE EXTENSION fraud_detector" -f bench/predict_setup.sql >/dev/null
cq "$COORD" $db -c "SELECT fraud_citus_setup()"
cq "$COORD" $db >/dev/null <<'SQL'
CREATE TABLE bench_dist (id int PRIMARY KEY, ev jsonb);
SELECT create_distributed_table('bench_dist', 'id', shard_count => 4);
INSERT INTO bench_dist SELECT id, ev FROM bench_events;
VACUUM ANALYZE bench_dist;
SQL
echo "== data loaded: $(cq "$COORD" $db -c "SELECT count(*) FROM bench_dist") distributed rows"

wall_ms() { # sql: best of 3 wall-clock milliseconds (psql \timing, the coordinator's client)
  local best="" t
  for _ in 1 2 3; do
    t=$(psql -X -q -p "$COORD" -d $db -c '\timing on' -c "$1" | grep -Eo 'Time: [0-9.]+' | awk '{print $2}')
    best=$(python3 -c "b='$best'; t=float('$t'); print(t if b=='' else min(float(b), t))")
  done
  printf '%.0f' "$best"
}
score="SELECT fraud_outcomes('bench', ev) AS o, count(*) FROM %s GROUP BY 1"
floor="SELECT ev->>'country' AS c, count(*) FROM %s GROUP BY 1"
t_single=$(wall_ms "$(printf "$score" bench_events)"); echo "single node, scoring: $t_single ms"
t_dist=$(wall_ms "$(printf "$score" bench_dist)"); echo "3-node Citus, scoring: $t_dist ms"
f_single=$(wall_ms "$(printf "$floor" bench_events)"); echo "single node, no scoring: $f_single ms"
f_dist=$(wall_ms "$(printf "$floor" bench_dist)"); echo "3-node Citus, no scoring: $f_dist ms"
same=$(cq "$COORD" $db -c "SELECT count(*) FROM (($(printf "$score" bench_events) EXCEPT $(printf "$score" bench_dist))
                                                 UNION ALL ($(printf "$score" bench_dist) EXCEPT $(printf "$score" bench_events))) x")
echo "outcome groups that differ between the two: $same"
echo
echo "== EXPLAIN ANALYZE of the distributed query, every task"
cq "$COORD" $db -c "SET citus.explain_all_tasks = on" \
  -c "EXPLAIN (ANALYZE, VERBOSE, COSTS OFF) $(printf "$score" bench_dist)" | grep -E 'Task Count|Node:|Seq Scan|Execution Time|Query:' | sed 's/^/    /'
# per row, in µs: wall clock minus the floor; and core time, at most wall clock x cores busy
per_row() { python3 -c "print(f'{($1 - $2) * 1000 / 1e6:.2f}')"; }
core_row() { python3 -c "print(f'{$1 * $2 * 1000 / 1e6:.2f}')"; }
cores=$(nproc)
echo
echo "| 1,000,000 events, 10 rules | wall clock (no-scoring floor) | scoring per row, wall clock minus floor | core time per row, at most |"
echo "| --- | --- | --- | --- |"
echo "| single node (plain table, one backend, one core) | $t_single ms ($f_single ms) | $(per_row $t_single $f_single) µs | $(core_row $t_single 1) µs |"
echo "| 3-node Citus (4 shards on 2 workers, all $cores cores) | $t_dist ms ($f_dist ms) | $(per_row $t_dist $f_dist) µs | $(core_row $t_dist $cores) µs |"
echo
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(psql -X -At -p "$COORD" -d $db -c 'SHOW server_version'), Citus $(psql -X -At -p "$COORD" -d $db -c "SELECT extversion FROM pg_extension WHERE extname = 'citus'")"
