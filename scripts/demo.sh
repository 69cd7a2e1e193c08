#!/usr/bin/env bash
# README command 1: set up this machine, build and install fraud_detector, start a throwaway
# PostgreSQL, load the sample detector, show what it made and score sample events. KEEP=1 leaves the server running.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. scripts/cluster.sh
echo "== building and installing fraud_detector"
install_extension
cluster_start
if [ "${KEEP:-0}" = 1 ]; then trap - EXIT; fi
echo "== throwaway PostgreSQL at $PGHOST (psql -h $PGHOST -U $PGUSER postgres)"
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c 'CREATE EXTENSION fraud_detector'
echo "== loading examples/sample_setup.sql (AFD getting-started: event type, variables, lists, detector, rules, two versions)"
psql -X -q -v ON_ERROR_STOP=1 -d postgres -f examples/sample_setup.sql >/dev/null
psql -X -v ON_ERROR_STOP=1 -d postgres -f examples/show.sql
echo "== scoring sample events (examples/score.sql)"
psql -X -q -v ON_ERROR_STOP=1 -d postgres -f examples/score.sql
if [ "${KEEP:-0}" = 1 ]; then
  echo "== server left running; stop it with: pg_ctl -D $CLUSTER_DIR/data stop"
fi
