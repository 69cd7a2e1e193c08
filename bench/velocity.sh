#!/usr/bin/env bash
# Aggregate (velocity) variables at scale (docs/velocity-and-backtesting.md). Builds fraud_detector in release
# mode, starts a throwaway PostgreSQL, and stores EVENTS (default 10,000,000) payments of
# CUSTOMERS (default 100,000) customers over one year, every tenth one labelled, on a server
# with shared_buffers = 6GB. Each customer
# pays with one card. Three aggregates over two keys:
#   cnt_24h        COUNT of the customer's payments in 24 hours
#   sum_7d         SUM of the customer's amounts in 7 days
#   card_fraud_30d COUNT of the card's fraud-labelled payments in 30 days (filter $label)
# Then, on 100,000 new payments of random customers at random times of the year:
#   1. the bulk query with a detector of three plain rules, and with the same rules plus three
#      that use the aggregates: the difference per event is what the aggregates add;
#   2. the alternative a user has: the same three values from hand-written SQL subqueries over
#      a plain table of the same payments with b-tree indexes on (customer, time) and (card,
#      time), plus CASE for the rules;
#   3. pgbench (-M prepared, 2 clients, DURATION s, default 20) of one fraud_outcomes per call,
#      without and with the aggregates.
# Prints a markdown table for bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_start fraud_bench_velocity
if [ "${BENCH_USE_EXISTING:-0}" != 1 ]; then
  # a quarter of the machine's memory, as a production server would have: the stored events and
  # their keys (5 GB at 10M events) are read from shared buffers, not from the kernel's cache
  psql -X -q -c "ALTER SYSTEM SET shared_buffers = '6GB'" >/dev/null
  as_pg "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -w restart >/dev/null
fi
events=${EVENTS:-10000000}
customers=${CUSTOMERS:-100000}
duration=${DURATION:-20}
probe=100000
sql() { psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }

echo "== loading $events events of $customers customers"
start=$(date +%s)
sql <<SQL >/dev/null
SELECT fraud_put_entity_type('customer');
SELECT fraud_create_variable('amount', 'FLOAT', 'EVENT', '0');
SELECT fraud_create_variable('card', 'STRING', 'EVENT', '');
SELECT fraud_put_label('fraud');
SELECT fraud_put_label('legit');
SELECT fraud_put_event_type('pay', ARRAY['amount', 'card'], ARRAY['customer'], labels => ARRAY['fraud', 'legit']);
-- payment i: customer (i * 7919) mod C, one payment per 3.15 s of 2024 on average, amounts
-- 1..500; one in ten labelled, one in a hundred fraud. Stored as the extension's owner.
INSERT INTO fraud.events (event_type_name, event_id, event_timestamp, entities, event_variables, event_label, label_timestamp)
SELECT 'pay', 'e' || i, ts,
       jsonb_build_array(jsonb_build_object('entityType', 'customer', 'entityId', 'c' || c)),
       jsonb_build_object('amount', ((i * 37) % 500 + 1)::text, 'card', 'k' || c),
       CASE WHEN i % 100 = 0 THEN 'fraud' WHEN i % 10 = 0 THEN 'legit' END,
       CASE WHEN i % 10 = 0 THEN ts + interval '1 day' END
FROM generate_series(1::bigint, $events) i,
     LATERAL (SELECT (i * 7919) % $customers AS c,
                     timestamptz '2024-01-01' + (i::float8 / $events) * interval '366 days' AS ts) x;
-- the same payments as a user would keep them
CREATE TABLE user_payments AS
SELECT e.entities->0->>'entityId' AS customer, e.event_variables->>'card' AS card, e.event_timestamp AS ts,
       (e.event_variables->>'amount')::float8 AS amount, e.event_label AS label, e.label_timestamp AS label_ts
FROM fraud.events e;
CREATE INDEX ON user_payments (customer, ts);
CREATE INDEX ON user_payments (card, ts);
VACUUM ANALYZE user_payments;
-- creating the aggregates stores the keys of every stored event (fraud.event_keys)
SELECT fraud_create_aggregate_variable('cnt_24h', ARRAY['pay'], 'COUNT', '24 hours', entity_type => 'customer');
SELECT fraud_create_aggregate_variable('sum_7d', ARRAY['pay'], 'SUM', '7 days', entity_type => 'customer', variable => 'amount');
SELECT fraud_create_aggregate_variable('card_fraud_30d', ARRAY['pay'], 'COUNT', '30 days', group_by_variable => 'card',
                                       filter => '\$label == "fraud"');
VACUUM ANALYZE fraud.events;
VACUUM ANALYZE fraud.event_keys;
SELECT fraud_put_outcome('review');
SELECT fraud_put_outcome('block');
SELECT fraud_put_detector('plain', 'pay');
SELECT fraud_create_rule('big', 'plain', '\$amount > 450', ARRAY['review']);
SELECT fraud_create_rule('huge', 'plain', '\$amount > 490', ARRAY['block']);
SELECT fraud_create_rule('odd_card', 'plain', '\$card == "k0"', ARRAY['block']);
SELECT count(*) FROM fraud_create_detector_version('plain', '[{"detectorId": "plain", "ruleId": "big", "ruleVersion": "1"},
    {"detectorId": "plain", "ruleId": "huge", "ruleVersion": "1"}, {"detectorId": "plain", "ruleId": "odd_card", "ruleVersion": "1"}]',
    rule_execution_mode => 'ALL_MATCHED');
SELECT fraud_update_detector_version_status('plain', '1', 'ACTIVE');
SELECT fraud_put_detector('velocity', 'pay');
SELECT fraud_create_rule('big', 'velocity', '\$amount > 450', ARRAY['review']);
SELECT fraud_create_rule('huge', 'velocity', '\$amount > 490', ARRAY['block']);
SELECT fraud_create_rule('odd_card', 'velocity', '\$card == "k0"', ARRAY['block']);
SELECT fraud_create_rule('busy', 'velocity', '\$cnt_24h >= 2', ARRAY['review']);
SELECT fraud_create_rule('spender', 'velocity', '\$sum_7d > 1500', ARRAY['review']);
SELECT fraud_create_rule('burnt_card', 'velocity', '\$card_fraud_30d > 0', ARRAY['block']);
SELECT count(*) FROM fraud_create_detector_version('velocity', (SELECT jsonb_agg(jsonb_build_object('detectorId', 'velocity', 'ruleId', r, 'ruleVersion', '1'))
    FROM unnest(ARRAY['big', 'huge', 'odd_card', 'busy', 'spender', 'burnt_card']) r), rule_execution_mode => 'ALL_MATCHED');
SELECT fraud_update_detector_version_status('velocity', '1', 'ACTIVE');
-- new payments to score: random customers at random times of the year
CREATE TABLE probe AS
SELECT j, 'c' || c AS customer, 'k' || c AS card, ts, ((j * 13) % 500 + 1)::float8 AS amount,
       jsonb_build_object('eventTimestamp', to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                          'entities', jsonb_build_array(jsonb_build_object('entityType', 'customer', 'entityId', 'c' || c)),
                          'eventVariables', jsonb_build_object('amount', ((j * 13) % 500 + 1)::text, 'card', 'k' || c)) AS ev
FROM generate_series(1, $probe) j,
     LATERAL (SELECT (hashint4(j) & 2147483647) % $customers AS c,
                     timestamptz '2024-01-01' + ((hashint4(j + 1) & 2147483647) / 2147483647.0) * interval '366 days' AS ts) x;
VACUUM ANALYZE probe;
SQL
echo "loaded in $(( $(date +%s) - start )) s"
keys=$(sql -At -c "SELECT count(*) FROM fraud.event_keys")
size=$(sql -At -c "SELECT pg_size_pretty(pg_total_relation_size('fraud.event_keys'))")
events_size=$(sql -At -c "SELECT pg_size_pretty(pg_total_relation_size('fraud.events'))")

# each run reads the same rows in the same order; OFFSET 0 keeps each call evaluated once
# (counting the flagged ones: a column nothing reads would not be computed at all)
t_plain=$(best_ms "SELECT count(*) FILTER (WHERE cardinality(o) > 0) FROM (SELECT fraud_outcomes('plain', ev) o FROM probe OFFSET 0) s")
t_velocity=$(best_ms "SELECT count(*) FILTER (WHERE cardinality(o) > 0) FROM (SELECT fraud_outcomes('velocity', ev) o FROM probe OFFSET 0) s")
t_sql=$(best_ms "SELECT count(*) FILTER (WHERE cardinality(o) > 0) FROM (
  SELECT array_remove(ARRAY[CASE WHEN p.amount > 450 OR v.cnt >= 2 OR v.total > 1500 THEN 'review' END,
                            CASE WHEN p.amount > 490 OR p.card = 'k0' OR v.burnt > 0 THEN 'block' END], NULL) o
  FROM probe p, LATERAL (SELECT
      (SELECT count(*) FROM user_payments u WHERE u.customer = p.customer AND u.ts > p.ts - interval '24 hours' AND u.ts <= p.ts) AS cnt,
      (SELECT coalesce(sum(amount), 0) FROM user_payments u WHERE u.customer = p.customer AND u.ts > p.ts - interval '7 days' AND u.ts <= p.ts) AS total,
      (SELECT count(*) FROM user_payments u WHERE u.card = p.card AND u.ts > p.ts - interval '30 days' AND u.ts <= p.ts
          AND u.label = 'fraud' AND u.label_ts <= p.ts) AS burnt) v OFFSET 0) s")
# the two must agree, event for event
diff=$(sql -At -c "SELECT count(*) FROM probe p, LATERAL (SELECT
      (SELECT count(*) FROM user_payments u WHERE u.customer = p.customer AND u.ts > p.ts - interval '24 hours' AND u.ts <= p.ts) AS cnt,
      (SELECT coalesce(sum(amount), 0) FROM user_payments u WHERE u.customer = p.customer AND u.ts > p.ts - interval '7 days' AND u.ts <= p.ts) AS total,
      (SELECT count(*) FROM user_payments u WHERE u.card = p.card AND u.ts > p.ts - interval '30 days' AND u.ts <= p.ts
          AND u.label = 'fraud' AND u.label_ts <= p.ts) AS burnt) v
  WHERE (SELECT array_agg(x ORDER BY x) FROM unnest(fraud_outcomes('velocity', p.ev)) x) IS DISTINCT FROM
        (SELECT array_agg(x ORDER BY x) FROM unnest(array_remove(ARRAY[CASE WHEN p.amount > 450 OR v.cnt >= 2 OR v.total > 1500 THEN 'review' END,
                            CASE WHEN p.amount > 490 OR p.card = 'k0' OR v.burnt > 0 THEN 'block' END], NULL)) x)")
flagged=$(sql -At -c "SELECT count(*) FILTER (WHERE cardinality(o) > 0) FROM (SELECT fraud_outcomes('velocity', ev) o FROM probe OFFSET 0) s")
added=$(python3 -c "print(f'{($t_velocity - $t_plain) * 1000 / $probe:.1f}')")

work=$(mktemp -d /tmp/fraud_bench_velocity.XXXXXX)
chmod 755 "$work"
ev=$(sql -At -c "SELECT ev FROM probe WHERE j = 42")
echo "SELECT fraud_outcomes('plain', '$ev'::jsonb);" > "$work/plain.sql"
echo "SELECT fraud_outcomes('velocity', '$ev'::jsonb);" > "$work/velocity.sql"
tps() { # script
  PGOPTIONS= pgbench -n -M prepared -c 2 -j 2 -T "$duration" -f "$work/$1" "$db" 2>&1 \
    | sed -n 's/^tps = \([0-9.]*\) .*/\1/p' | head -n 1 | cut -d. -f1
}
tps_plain=$(tps plain.sql)
tps_velocity=$(tps velocity.sql)
rm -rf "$work"

cat <<TABLE

$events stored payments of $customers customers ($events_size with indexes), $keys keys in fraud.event_keys ($size).
$probe new payments scored, best of 3, one core:

| query | ms | per event |
| --- | ---: | ---: |
| \`fraud_outcomes\`, 3 plain rules | $t_plain | $(python3 -c "print(f'{$t_plain * 1000 / $probe:.1f} µs')") |
| \`fraud_outcomes\`, the same + 3 rules on 3 aggregates (2 keys) | $t_velocity | $(python3 -c "print(f'{$t_velocity * 1000 / $probe:.1f} µs')") |
| hand-written SQL: 3 indexed subqueries + CASE | $t_sql | $(python3 -c "print(f'{$t_sql * 1000 / $probe:.1f} µs')") |

Aggregates add **$added µs** per prediction (target ≤ 50 µs): $(met "($t_velocity - $t_plain) * 1000 / $probe <= 50").
Events whose outcomes differ between fraud_outcomes and the hand-written SQL: $diff (of $probe; $flagged flagged).

| pgbench -M prepared -c 2 -j 2, ${duration} s, one fraud_outcomes per call | TPS |
| --- | ---: |
| 3 plain rules | $tps_plain |
| + 3 rules on 3 aggregates | $tps_velocity ($(python3 -c "print(f'{100 * $tps_velocity / $tps_plain:.0f} %')")) |
TABLE
[ "${KEEP:-0}" = 1 ] || dropdb "$db"
