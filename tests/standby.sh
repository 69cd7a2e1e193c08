#!/usr/bin/env bash
# Prediction on a hot standby. A streaming replica of the running test cluster answers
# fraud_predict / fraud_outcomes, and a change committed on the primary reaches an open standby
# session's cache (through the relcache invalidations WAL replay delivers); so does a change of
# a Voice ID domain's fraudsters reach the standby session's fraudster index. Expects
# PGHOST/PGPORT/PGUSER of a running primary (scripts/cluster.sh) and prints
# "standby: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/cluster.sh
primary=$PGHOST
db=fraud_standby
dropdb --if-exists "$db" >/dev/null 2>&1
createdb "$db"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c 'CREATE EXTENSION fraud_detector' -f examples/sample_setup.sql >/dev/null

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
for want in "in_recovery=true" "before={review}" "version=2" "after={approve}" "predict=low_risk" \
            "voice_before=id#aaaaaaaaaaaaaaaaaaaaaa" "voice_after=id#bbbbbbbbbbbbbbbbbbbbbb" \
            "voice_deleted=id#aaaaaaaaaaaaaaaaaaaaaa" "voice_forward=2"; do
  if grep -qx "$want" <<<"$out"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "standby: expected $want"; fi
done
echo "standby: $passed passed, $failed failed"
dropdb "$db" >/dev/null 2>&1
trap - EXIT
stop_standby
[ "$failed" -eq 0 ]
