# Sourced by the bench/*.sh scripts: set the machine up, build and install fraud_detector in
# release mode and start a throwaway PostgreSQL (unless BENCH_USE_EXISTING=1, which uses
# PGHOST/PGPORT as they are), then create a fresh database $db with the extension. Every session
# of a benchmark runs on one core without JIT.
bench_start() { # database name
  db=$1
  bash scripts/setup.sh
  . scripts/cluster.sh
  if [ "${BENCH_USE_EXISTING:-0}" != 1 ]; then
    echo "== building fraud_detector (release)"
    local sudo_flag=""; [ "$(id -u)" -eq 0 ] || sudo_flag="--sudo"
    cargo pgrx install --release --pg-config "$PG_CONFIG" $sudo_flag 2>&1 | tail -n 1
    cluster_start
  fi
  export PGOPTIONS="-c max_parallel_workers_per_gather=0 -c jit=off"
  dropdb --if-exists "$db" >/dev/null 2>&1 || true
  createdb "$db"
  psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c 'CREATE EXTENSION fraud_detector' >/dev/null
}

# best_ms SQL [TABLE]: best of 3 wall-clock milliseconds of one statement in $db, measured by
# the server (EXPLAIN ANALYZE without per-node timing adds almost nothing). With TABLE, it is
# emptied and a CHECKPOINT taken before each run (for INSERT timings).
best_ms() {
  local sql=$1 table=${2:-} best="" t
  for _ in 1 2 3; do
    [ -n "$table" ] && psql -X -q -d "$db" -c "TRUNCATE $table" -c "CHECKPOINT" >/dev/null
    t=$(psql -X -At -d "$db" -c "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) $sql" \
          | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Execution Time"])')
    best=$(python3 -c "b='$best'; t=float('$t'); print(t if b=='' else min(float(b), t))")
  done
  printf '%.0f' "$best"
}

# once_ms SQL: the wall-clock milliseconds of one run of a statement in $db, measured by the
# server. Benchmarks that compare queries take them in turn, several rounds, and keep each
# one's best (lower), so that the VM's speed drift touches all of them alike.
once_ms() {
  psql -X -At -d "$db" -c "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) $1" \
    | python3 -c 'import json,sys; print(round(json.load(sys.stdin)[0]["Execution Time"]))'
}
# in_turn RUNNER LABEL ARG [LABEL ARG ...]: runs `RUNNER ARG` (printing milliseconds) for each
# pair in turn, five rounds, printing each round, and sets best[i] to the lowest of pair i
in_turn() {
  local runner=$1 round i t line; shift
  local -a labels=() args=()
  while [ $# -gt 0 ]; do labels+=("$1"); args+=("$2"); shift 2; done
  best=()
  for round in 1 2 3 4 5; do
    line="round $round:"
    for i in "${!args[@]}"; do
      t=$("$runner" "${args[$i]}")
      line+=" ${labels[$i]} $t ms;"
      if [ -z "${best[$i]:-}" ] || [ "$t" -lt "${best[$i]}" ]; then best[i]=$t; fi
    done
    echo "$line"
  done
}

ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
met() { python3 -c "print('met' if $1 else 'NOT met')"; }
