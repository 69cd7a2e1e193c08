#!/usr/bin/env bash
# Prediction on a hot standby. A streaming replica of the running test cluster answers
# fraud_predict / fraud_outcomes, and a change committed on the primary reaches an open standby
# session's cache (through the relcache invalidations WAL replay delivers); so does a change of
# a Voice ID domain's fraudsters reach the standby session's fraudster index. Expects
# PGHOST/PGPORT/PGUSER of a running primary (scripts/cluster.sh) and prints
# "standby: N passed, M failed". A detector version with a trained model scores on the standby as on
# the primary, in a parallel query too.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/cluster.sh
primary=$PGHOST
db=fraud_standby
dropdb --if-exists "$db" >/dev/null 2>&1
createdb "$db"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c 'CREATE EXTENSION fraud_detector' -f examples/sample_setup.sql >/dev/null

# a Voice ID index file on the primary before the base backup (docs/voice-id.md, "One index
# per server"): base backups leave pg_stat_tmp's contents out
vd0=$(psql -X -At -d "$db" -c "SELECT domain_id FROM fraud_voice_create_domain('before_backup', 4)")
psql -X -q -d "$db" -v ON_ERROR_STOP=1 -c "INSERT INTO fraud.voice_fraudsters (domain_id, fraudster_id, embedding, speech_seconds)
  VALUES ('$vd0', 'id#cccccccccccccccccccccc', '{0,0,1,0}', 20)" -c "SELECT count(*) FROM fraud._voice_nearest('$vd0', '{0,0,1,0}', NULL)" >/dev/null
primary_files=$(psql -X -At -d "$db" -c "SELECT count(*) FROM pg_ls_dir('pg_stat_tmp/fraud_detector_voice') r,
                                         pg_ls_dir('pg_stat_tmp/fraud_detector_voice/' || r) f")

standby=$(mktemp -d /tmp/fraud_detector_standby.XXXXXX)
[ "$(id -u)" -eq 0 ] && chown postgres: "$standby"
stop_standby() { as_pg "$PG_BIN/pg_ctl" -D "$standby/data" -m fast -w stop >/dev/null 2>&1; rm -rf "$standby"; }
trap stop_standby EXIT
as_pg "$PG_BIN/pg_basebackup" -h "$primary" -p "$PGPORT" -U "$PGUSER" -D "$standby/data" -R -X stream --checkpoint=fast >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$standby/data" -l "$standby/server.log" -w \
  -o "-c listen_addresses='' -k $standby -p 5432 -c hot_standby=on" start >/dev/null

# waits until the standby has replayed everything the primary has written (a script file, so
# psql's \! can run it without another layer of shell quoting)
cat > "$standby/catch_up.sh" <<CATCHUP
lsn=\$(psql -X -At -h "$primary" -d "$db" -c 'SELECT pg_current_wal_lsn()')
for _ in \$(seq 1 600); do
  [ "\$(psql -X -At -h "$standby" -d "$db" -c "SELECT pg_last_wal_replay_lsn() >= '\$lsn'")" = t ] && exit 0
  sleep 0.1
done
echo "standby did not catch up" >&2
exit 1
CATCHUP
bash "$standby/catch_up.sh"
copied_files=$(find "$standby/data/pg_stat_tmp" -type f | wc -l)

event='{"order_price": 800, "account_age_days": 2}'
# Voice ID: a domain with one fraudster; the standby's fraudster index follows the primary's
# changes (brought forward from the replayed chain of stamp changes, src/voice.rs)
vfraud() { # fraudster_id embedding: a fraudster of the domain, in its default watchlist
  psql -X -q -h "$primary" -d "$db" -v ON_ERROR_STOP=1 -c "
    INSERT INTO fraud.voice_fraudsters (domain_id, fraudster_id, embedding, speech_seconds) VALUES ('$vd', '$1', '$2', 20);
    INSERT INTO fraud.voice_fraudster_watchlists VALUES ('$vd', '$1', fraud._voice_default_watchlist('$vd'))"
}
vd=$(psql -X -At -h "$primary" -d "$db" -c "SELECT domain_id FROM fraud_voice_create_domain('standby', 4)")
vfraud id#aaaaaaaaaaaaaaaaaaaaaa '{0,1,0,0}'
cat > "$standby/voice_b.sh" <<VOICE
psql -X -q -h "$primary" -d "$db" -v ON_ERROR_STOP=1 -c "
  INSERT INTO fraud.voice_fraudsters (domain_id, fraudster_id, embedding, speech_seconds) VALUES ('$vd', 'id#bbbbbbbbbbbbbbbbbbbbbb', '{1,0,0,0}', 20);
  INSERT INTO fraud.voice_fraudster_watchlists VALUES ('$vd', 'id#bbbbbbbbbbbbbbbbbbbbbb', fraud._voice_default_watchlist('$vd'))"
bash $standby/catch_up.sh
VOICE
cat > "$standby/voice_del.sh" <<VOICE
psql -X -q -h "$primary" -d "$db" -v ON_ERROR_STOP=1 -c "SELECT fraud_voice_delete_fraudster('$vd', 'id#bbbbbbbbbbbbbbbbbbbbbb')" >/dev/null
bash $standby/catch_up.sh
VOICE
bash "$standby/catch_up.sh"
out=$(psql -X -At -h "$standby" -d "$db" 2>&1 <<SQL
SELECT 'in_recovery=' || pg_is_in_recovery();
SELECT 'before=' || fraud_outcomes('new_account_detector', '$event')::text;
SELECT 'version=' || (fraud_explain('new_account_detector', '$event')->>'detectorVersionId');
\! psql -X -q -h $primary -d $db -c "SELECT fraud_update_detector_version_status('new_account_detector', '1', 'ACTIVE')" >/dev/null
\! bash $standby/catch_up.sh
SELECT 'after=' || fraud_outcomes('new_account_detector', '$event')::text;
SELECT 'predict=' || (fraud_predict('new_account_detector', '$event')->'ruleResults'->0->>'ruleId');
SELECT 'voice_before=' || (SELECT fraudster_id FROM fraud._voice_nearest('$vd', '{1,0,0,0}', NULL));
SELECT brought_forward AS f0 FROM fraud._voice_index_counts() \gset
\! bash $standby/voice_b.sh
SELECT 'voice_after=' || (SELECT fraudster_id FROM fraud._voice_nearest('$vd', '{1,0,0,0}', NULL));
\! bash $standby/voice_del.sh
SELECT 'voice_deleted=' || (SELECT fraudster_id FROM fraud._voice_nearest('$vd', '{1,0,0,0}', NULL));
SELECT 'voice_forward=' || (brought_forward - :f0) FROM fraud._voice_index_counts();
SQL
)
echo "$out"
passed=0; failed=0
if [ "${primary_files:-0}" -ge 1 ] && [ "$copied_files" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1))
  echo "standby: the base backup copied index files ($copied_files; the primary had ${primary_files:-none})"; fi
for want in "in_recovery=true" "before={review}" "version=2" "after={approve}" "predict=low_risk" \
            "voice_before=id#aaaaaaaaaaaaaaaaaaaaaa" "voice_after=id#bbbbbbbbbbbbbbbbbbbbbb" \
            "voice_deleted=id#aaaaaaaaaaaaaaaaaaaaaa" "voice_forward=2"; do
  if grep -qx "$want" <<<"$out"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "standby: expected $want"; fi
done

# a detector version with a trained model (ONLINE_FRAUD_INSIGHTS, trained on the primary on
# 12,000 labelled payments generated as tests/pg_regress/sql/models.sql does, reaching the
# standby through WAL replay) scores on the standby exactly as on the primary
psql -X -q -v ON_ERROR_STOP=1 -h "$primary" -d "$db" >/dev/null <<'SQL'
CREATE FUNCTION pg_temp.h(i int, k int) RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
    SELECT ((hashint8(i::bigint * 7919 + k) % 10000 + 10000) % 10000) / 10000.0 $$;
SELECT fraud_create_variable('amount', 'FLOAT', 'EVENT', '0', variable_type => 'PRICE');
SELECT fraud_create_variable('email', 'STRING', 'EVENT', 'unknown', variable_type => 'EMAIL_ADDRESS');
SELECT fraud_create_variable('ip', 'STRING', 'EVENT', '0.0.0.0', variable_type => 'IP_ADDRESS');
SELECT fraud_put_event_type('pay', ARRAY['amount', 'email', 'ip'], ARRAY['customer'], labels => ARRAY['fraud', 'legit']);
INSERT INTO fraud.events (event_type_name, event_id, event_timestamp, entities, event_variables, event_label, label_timestamp)
SELECT 'pay', 'p' || i, '2026-01-01'::timestamptz + i * interval '2 minutes',
       jsonb_build_array(jsonb_build_object('entityType', 'customer', 'entityId', 'c' || (i % 600))),
       jsonb_build_object('amount', amount::text, 'email', 'u' || (i % 977) || '@' || domain,
                          'ip', '10.' || floor(pg_temp.h(i, 6) * 5) || '.' || floor(pg_temp.h(i, 7) * 200) || '.1'),
       CASE WHEN pg_temp.h(i, 5) < 1 / (1 + exp(-(-3.5 + 2.2 * (amount > 800)::int + 1.8 * (domain = 'bad.com')::int))) THEN 'fraud' ELSE 'legit' END,
       '2026-02-01'
FROM (SELECT i, round((pg_temp.h(i, 2) * 1000)::numeric, 2) AS amount,
             (ARRAY['gmail.com', 'yahoo.com', 'corp.com', 'bad.com'])[1 + floor(pg_temp.h(i, 3) * 4)::int] AS domain
      FROM generate_series(1, 12000) i) g;
SELECT fraud_create_model('pay_model', 'ONLINE_FRAUD_INSIGHTS', 'pay');
SELECT * FROM fraud_create_model_version('pay_model', 'ONLINE_FRAUD_INSIGHTS', 'INGESTED_EVENTS', '{"modelVariables": ["amount", "email", "ip"]}',
    ingested_events_detail => '{"ingestedEventsTimeWindow": {"startTime": "2026-01-01T00:00:00Z", "endTime": "2026-02-01T00:00:00Z"}}');
SQL
for _ in $(seq 1 1800); do
  [ "$(psql -X -At -h "$primary" -d "$db" -c "SELECT status FROM fraud_describe_model_versions('pay_model', '1.0')")" != TRAINING_IN_PROGRESS ] && break
  sleep 0.1
done
psql -X -q -v ON_ERROR_STOP=1 -h "$primary" -d "$db" >/dev/null <<'SQL'
SELECT fraud_update_model_version_status('pay_model', 'ONLINE_FRAUD_INSIGHTS', '1.0', 'ACTIVE');
SELECT fraud_put_detector('pay_detector', 'pay');
SELECT fraud_create_rule('risky', 'pay_detector', '$pay_model_insightscore > 800', ARRAY['review']);
SELECT fraud_create_rule('rest', 'pay_detector', 'true', ARRAY['approve']);
SELECT * FROM fraud_create_detector_version('pay_detector',
    '[{"detectorId": "pay_detector", "ruleId": "risky", "ruleVersion": "1"}, {"detectorId": "pay_detector", "ruleId": "rest", "ruleVersion": "1"}]',
    model_versions => '[{"modelId": "pay_model", "modelType": "ONLINE_FRAUD_INSIGHTS", "modelVersionNumber": "1.0"}]');
SELECT fraud_update_detector_version_status('pay_detector', '1', 'ACTIVE');
CREATE TABLE pay_many AS SELECT event_id, event_variables AS ev FROM fraud.events WHERE event_type_name = 'pay';
ANALYZE pay_many;
SQL
bash "$standby/catch_up.sh"
# every 500th stored payment and two made-up ones: the whole fraud_predict answer and the scores
mq="SELECT string_agg(x.id || '=' || (fraud_predict('pay_detector', x.ev) - 'eventTimestamp')::text, E'\n' ORDER BY x.id)
    FROM (SELECT event_id AS id, event_variables AS ev FROM fraud.events WHERE event_type_name = 'pay' AND event_id ~ '^p[0-9]*[05]00$'
          UNION ALL VALUES ('risky', '{\"amount\": 950, \"email\": \"x@bad.com\", \"ip\": \"10.1.1.1\"}'::jsonb),
                           ('fine', '{\"amount\": 50, \"email\": \"x@gmail.com\", \"ip\": \"10.1.1.1\"}'::jsonb)) x"
a=$(psql -X -At -h "$primary" -d "$db" -c "$mq" 2>&1); b=$(psql -X -At -h "$standby" -d "$db" -c "$mq" 2>&1)
n=$(grep -c '"pay_model_insightscore"' <<<"$a" || true)
if [ "$n" -eq 26 ] && [ "$a" = "$b" ]; then passed=$((passed + 1)); else failed=$((failed + 1))
  echo "standby: fraud_predict with a trained model differs from the primary's ($n scored; training: $(psql -X -At -h "$primary" -d "$db" -c "SELECT status || ' ' || coalesce(failure_reason, '') FROM fraud_describe_model_versions('pay_model', '1.0')"))"
  diff <(echo "$a") <(echo "$b") | head -10; fi
sq="SELECT string_agg(x || '=' || s, ',' ORDER BY x) FROM (SELECT x, (fraud_predict('pay_detector', jsonb_build_object('amount', x * 10, 'email', 'a@bad.com'))
      ->'modelScores'->0->'scores'->>'pay_model_insightscore') s FROM generate_series(0, 100) x) y"
a=$(psql -X -At -h "$primary" -d "$db" -c "$sq" 2>&1); b=$(psql -X -At -h "$standby" -d "$db" -c "$sq" 2>&1)
if [ -n "$a" ] && [[ "$a" != *ERROR* ]] && [ "$a" = "$b" ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "standby: model scores differ: $a / $b"; fi
# fraud_outcomes over a table of the events in a parallel query on the standby (the model in
# its workers) gives what the primary gives serially
par=$(psql -X -q -At -h "$standby" -d "$db" -c "SET parallel_setup_cost = 0" -c "SET parallel_tuple_cost = 0" \
        -c "SET min_parallel_table_scan_size = 0" -c "SET max_parallel_workers_per_gather = 2" \
        -c "EXPLAIN (COSTS OFF) SELECT count(*) FILTER (WHERE 'review' = ANY (fraud_outcomes('pay_detector', ev))) FROM pay_many" \
        -c "SELECT count(*) FILTER (WHERE 'review' = ANY (fraud_outcomes('pay_detector', ev))), count(*) FROM pay_many" 2>&1)
ser=$(psql -X -q -At -h "$primary" -d "$db" -c "SET max_parallel_workers_per_gather = 0;" \
        -c "SELECT count(*) FILTER (WHERE 'review' = ANY (fraud_outcomes('pay_detector', ev))), count(*) FROM pay_many" 2>&1)
if grep -q 'Gather' <<<"$par" && [ "$(tail -1 <<<"$par")" = "$ser" ] && [[ "$ser" =~ ^[1-9][0-9]*\|12000$ ]]; then passed=$((passed + 1))
else failed=$((failed + 1)); echo "standby: parallel scoring with a model on the standby: $par / primary serial: $ser"; fi
echo "standby: $passed passed, $failed failed"
dropdb "$db" >/dev/null 2>&1
trap - EXIT
stop_standby
[ "$failed" -eq 0 ]
