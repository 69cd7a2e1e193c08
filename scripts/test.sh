#!/usr/bin/env bash
# README command 2: every test. Engine unit tests (cargo test), #[pg_test]s (cargo pgrx test),
# SQL regression sessions (PostgreSQL's pg_regress against a throwaway cluster), the
# pg_dump/pg_restore round trip, upgrades from every release, prediction on a hot standby, job
# faults (kill -9, restart), prediction notifications heard by a second session, the memory of
# the compiled-detector cache, a SQL-level fuzz of every public function, and scale-out on a
# three-node Citus cluster. Ends with one "tests: N passed, N failed" line. Optional arguments
# pick suites: engine pg_test regress dump upgrade standby faults orchestration cache fuzz citus
# (default: all).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
. scripts/cluster.sh

suites=${*:-engine pg_test regress dump upgrade standby faults orchestration cache fuzz citus}
want() { [[ " $suites " == *" $1 "* ]]; }
passed=0; failed=0; summary=()
count() { # suite passed failed
  passed=$((passed + $2)); failed=$((failed + $3))
  summary+=("$(printf '%-12s %4d passed, %d failed' "$1" "$2" "$3")")
}
# sums cargo's "test result: ... N passed; M failed" lines into the totals
count_cargo() { # suite log exit_status
  local p f
  p=$(grep -Eo '[0-9]+ passed' "$2" | awk '{s+=$1} END {print s+0}')
  f=$(grep -Eo '[0-9]+ failed' "$2" | awk '{s+=$1} END {print s+0}')
  [ "$3" -ne 0 ] && [ "$f" -eq 0 ] && f=1 # a build failure counts as one failure
  count "$1" "$p" "$f"
}
logs=$(mktemp -d /tmp/fraud_detector_logs.XXXXXX)

if want engine; then
  echo "== engine unit tests (cargo test -p fraud_engine)"
  cargo test -p fraud_engine > "$logs/engine.log" 2>&1; rc=$?
  grep -E '^test |^test result' "$logs/engine.log" | grep -v ' 0 passed; 0 failed' || tail -30 "$logs/engine.log"
  count_cargo engine "$logs/engine.log" $rc
fi

if want pg_test; then
  echo "== #[pg_test] (cargo pgrx test pg15)"
  args=(pg15)
  if [ "$(id -u)" -eq 0 ]; then
    pgdata=$(mktemp -d /tmp/fraud_detector_pgtest.XXXXXX); chown postgres: "$pgdata"
    args+=(--runas postgres --pgdata "$pgdata/data")
  fi
  cargo pgrx test "${args[@]}" > "$logs/pg_test.log" 2>&1; rc=$?
  grep -E '^test |^test result' "$logs/pg_test.log" | grep -v ' 0 passed; 0 failed' || tail -40 "$logs/pg_test.log"
  [ $rc -ne 0 ] && grep -E 'panicked|ERROR' "$logs/pg_test.log" | head -20
  count_cargo pg_test "$logs/pg_test.log" $rc
  [ -n "${pgdata:-}" ] && rm -rf "$pgdata"
fi

if want regress || want dump || want upgrade || want standby || want faults || want orchestration || want cache || want fuzz || want citus; then
  echo "== installing the extension for the SQL sessions"
  if ! install_extension; then
    # never run the SQL suites against a previously installed build
    count install 0 1
    printf '%s\n' "${summary[@]}"
    echo "tests: $passed passed, $failed failed"
    exit 1
  fi
  cluster_start
fi

if want regress; then
  echo "== pg_regress (tests/pg_regress)"
  # run from a copy the server's user owns: the clone may live where `postgres` cannot write
  work=$(mktemp -d /tmp/fraud_detector_regress.XXXXXX)
  cp -r tests/pg_regress/. "$work/"
  rm -rf "$work/results" "$work/regression.diffs" "$work/regression.out" tests/pg_regress/regression.diffs
  [ "$(id -u)" -eq 0 ] && chown -R postgres: "$work"
  createdb regression # --use-existing leaves database creation to us
  names=$(cd tests/pg_regress/sql && ls *.sql | sed 's/\.sql$//')
  pg_regress="$(dirname "$("$PG_CONFIG" --pgxs)")/../test/regress/pg_regress"
  (cd "$work" && as_pg "$pg_regress" --use-existing --host="$PGHOST" --port="$PGPORT" --user="$PGUSER" \
      --inputdir=. --outputdir=. --bindir="$PG_BIN" $names) > "$logs/regress.log" 2>&1; rc=$?
  cat "$logs/regress.log"
  rm -rf tests/pg_regress/results; cp -r "$work/results" tests/pg_regress/results 2>/dev/null
  if [ -f "$work/regression.diffs" ]; then
    cp "$work/regression.diffs" tests/pg_regress/regression.diffs
    head -300 "$work/regression.diffs"
  fi
  total=$(echo $names | wc -w)
  # a session counts only if pg_regress reported it ok: one it never reached (it stops at a
  # session without expected output) is a failure
  bad=$((total - $(grep -cE '\.\.\. ok' "$logs/regress.log")))
  # the session readme_voice runs the README tour's Voice ID statements: they must stay the README's
  voice_tour() { sed -n '/^-- Voice ID: /,/^$/p' "$1"; }
  total=$((total + 1))
  if [ -z "$(voice_tour README.md)" ] || ! diff <(voice_tour README.md) <(voice_tour tests/pg_regress/sql/readme_voice.sql); then
    echo "readme_voice: tests/pg_regress/sql/readme_voice.sql no longer runs the README's Voice ID statements"
    bad=$((bad + 1))
  fi
  count regress $((total - bad)) "$bad"
  rm -rf "$work"
fi

if want dump; then
  echo "== pg_dump / pg_restore round trip (tests/dump_restore.sh)"
  bash tests/dump_restore.sh > "$logs/dump.log" 2>&1; rc=$?
  cat "$logs/dump.log"
  same=$(grep -Eo '[0-9]+ tables identical' "$logs/dump.log" | awk '{print $1}')
  differ=$(grep -Eo '[0-9]+ differ' "$logs/dump.log" | awk '{print $1}')
  [ $rc -ne 0 ] && [ "${differ:-0}" -eq 0 ] && differ=1
  count dump "${same:-0}" "${differ:-0}"
fi

# a script that ends with "<name>: N passed, M failed"
count_script() { # suite script title
  echo "== $3 ($2)"
  bash "$2" > "$logs/$1.log" 2>&1; local rc=$? p f
  cat "$logs/$1.log"
  p=$(grep -Eo "$1: [0-9]+ passed" "$logs/$1.log" | grep -Eo '[0-9]+' || echo 0)
  f=$(grep -Eo '[0-9]+ failed' "$logs/$1.log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
  [ $rc -ne 0 ] && [ "${f:-0}" -eq 0 ] && f=1
  count "$1" "${p:-0}" "${f:-0}"
}
want upgrade && count_script upgrade tests/upgrade.sh "upgrade from every release, against a fresh install"
want standby && count_script standby tests/standby.sh "hot standby"
want faults && count_script faults tests/job_faults.sh "job faults: kill -9 and restart mid-job"
want orchestration && count_script orchestration tests/orchestration.sh "prediction notifications (LISTEN in a second session) and the outbox"
want cache && count_script cache tests/cache.sh "the compiled-detector cache's memory in a session"
want fuzz && count_script fuzz tests/fuzz.sh "SQL-level fuzz of every public function as three roles, then the catalog's consistency"
want citus && count_script citus tests/citus.sh "scale-out on a three-node Citus cluster (builds the vendored Citus 13.2 if needed)"

# what failed, repeated last: a CI log is often kept only from its end
if [ "$failed" -gt 0 ]; then
  echo
  echo "== what failed"
  grep -h -E '\.\.\. FAILED|^(not ok|FAIL)|^ *(FAILED|failed:)' "$logs"/*.log 2>/dev/null | head -40
  [ -f tests/pg_regress/regression.diffs ] && want regress && head -80 tests/pg_regress/regression.diffs
fi
rm -rf "$logs"
echo
printf '%s\n' "${summary[@]}"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
