#!/usr/bin/env bash
# Scoring over connections (issue 12's regression guards). Builds fraud_detector in release
# mode, starts a throwaway PostgreSQL, loads bench/predict_setup.sql's detector, then runs
# pgbench (prepared statements, 2 clients, 2 threads, DURATION seconds each, default 20):
#   1. SELECT of a jsonb event literal: the floor (parse, plan cache, executor, network)
#   2. SELECT fraud_outcomes('bench', <the same literal>)
#   3. SELECT fraud_predict('bench', <the same literal>)
#   4. fraud_get_event_prediction (GetEventPrediction: scores and stores the event and its
#      prediction, one commit per call) with a new event id per call
# Prints a markdown table for bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_start fraud_bench_conn
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f bench/predict_setup.sql >/dev/null
echo "== data loaded"
duration=${DURATION:-20}
work=$(mktemp -d /tmp/fraud_bench_conn.XXXXXX)
chmod 755 "$work"
ev='{"email": "user42@example.com", "ip": "192.168.42.42", "amount": 1234.5, "items": 3, "country": "DE", "member": true, "card_bin": "400042", "account_age_days": 42, "device": "ios", "signup": "2024-01-01T00:42:00Z"}'
echo "SELECT '$ev'::jsonb;" > "$work/literal.sql"
echo "SELECT fraud_outcomes('bench', '$ev'::jsonb);" > "$work/outcomes.sql"
echo "SELECT fraud_predict('bench', '$ev'::jsonb);" > "$work/predict.sql"
cat > "$work/gep.sql" <<SQL
\set n random(1, 1000000000)
SELECT fraud_get_event_prediction('bench', 'e' || :n || '_' || :client_id, 'bench_checkout',
  '[{"entityType": "customer", "entityId": "c42"}]', '2024-05-01T12:00:00Z', '$ev');
SQL
tps() { # script
  PGOPTIONS= pgbench -n -M prepared -c 2 -j 2 -T "$duration" -f "$work/$1" "$db" 2>&1 \
    | sed -n 's/^tps = \([0-9.]*\) .*/\1/p' | head -n 1 | cut -d. -f1
}
t_lit=$(tps literal.sql);   echo "SELECT literal:      $t_lit tps"
t_out=$(tps outcomes.sql);  echo "fraud_outcomes:      $t_out tps"
t_pred=$(tps predict.sql);  echo "fraud_predict:       $t_pred tps"
t_gep=$(tps gep.sql);       echo "GetEventPrediction:  $t_gep tps"
stored=$(psql -X -At -d "$db" -c "SELECT count(*) FROM fraud.event_predictions")
rm -rf "$work"
pct() { python3 -c "print(f'{100 * $1 / $2:.0f} %')"; }
cat <<TABLE

| pgbench -M prepared -c 2 -j 2, ${duration} s each | TPS | vs SELECT of the literal |
| --- | ---: | ---: |
| \`SELECT '<event>'::jsonb\` | ${t_lit} | 100 % |
| \`SELECT fraud_outcomes('bench', '<event>')\` | ${t_out} | $(pct $t_out $t_lit) |
| \`SELECT fraud_predict('bench', '<event>')\` | ${t_pred} | $(pct $t_pred $t_lit) |
| \`fraud_get_event_prediction\` (stores event and prediction, one commit each) | ${t_gep} | $(pct $t_gep $t_lit) |

Predictions stored by the last run: ${stored}.
TABLE
dropdb "$db"
