#!/usr/bin/env bash
# pg_dump a database holding a full setup, restore it into a fresh database, and require every
# catalog row to come back identical. Expects PGHOST/PGPORT/PGUSER of a running cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
src=fraud_dump_src; dst=fraud_dump_dst
dropdb --if-exists "$src"; dropdb --if-exists "$dst"
createdb "$src"
psql -X -q -v ON_ERROR_STOP=1 -d "$src" -c 'CREATE EXTENSION fraud_detector' -f examples/sample_setup.sql >/dev/null
# users' events, prediction history, finished jobs (with a failed record) and Voice ID are kept too
psql -X -q -v ON_ERROR_STOP=1 -d "$src" -f tests/fixtures/full_state.sql >/dev/null
# a shadow version and its recorded result (full_state.sql keeps to the oldest release's API,
# which has no shadows)
psql -X -q -v ON_ERROR_STOP=1 -d "$src" >/dev/null <<'SQL'
SELECT fraud_update_detector_version_shadow('new_account_detector', '1', true);
SELECT fraud_get_event_prediction('new_account_detector', 'e-shadow', 'registration', '[{"entityType": "customer", "entityId": "c8"}]',
                                  '2024-05-08T12:00:00Z', '{"order_price": "700", "account_age_days": "3"}');
SQL
# aggregate variables and a version that uses them: their definitions are dumped, the keys of
# the stored events (fraud.event_keys, derived) are rebuilt by the restore, whichever of events
# and definitions comes back first
psql -X -q -v ON_ERROR_STOP=1 -d "$src" >/dev/null <<'SQL'
SELECT fraud_create_aggregate_variable('customer_spend_30d', ARRAY['registration'], 'SUM', '30 days',
       entity_type => 'customer', variable => 'order_price', filter => '$order_price > 100');
SELECT fraud_create_aggregate_variable('email_events_7d', ARRAY['registration'], 'COUNT', '7 days',
       group_by_variable => 'email_address');
SELECT fraud_send_event('a1', 'registration', '2024-05-07T10:00:00Z', '{"order_price": "150", "email_address": "x@example.com"}',
       '[{"entityType": "customer", "entityId": "c1"}]');
SELECT fraud_send_event('a2', 'registration', '2024-05-07T11:00:00Z', '{"order_price": "50", "email_address": "x@example.com"}',
       '[{"entityType": "customer", "entityId": "c1"}]', 'legit', '2024-05-07T12:00:00Z');
SELECT fraud_create_rule('spender', 'new_account_detector', '$customer_spend_30d > 100 or $email_events_7d > 1', ARRAY['review']);
SELECT * FROM fraud_create_detector_version('new_account_detector',
       '[{"detectorId": "new_account_detector", "ruleId": "spender", "ruleVersion": "1"}]');
SQL
# capabilities given with fraud_grant are function privileges: pg_dump keeps them
psql -X -q -v ON_ERROR_STOP=1 -d "$src" >/dev/null <<'SQL'
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fraud_dump_scorer') THEN CREATE ROLE fraud_dump_scorer; END IF;
END $$;
SELECT fraud_grant('scoring', 'fraud_dump_scorer');
SQL
dump=$(mktemp /tmp/fraud_dump.XXXXXX)
pg_dump -Fc -d "$src" -f "$dump"
createdb "$dst"
pg_restore --exit-on-error -d "$dst" "$dump"
rm -f "$dump"

# fraud.voice_fraudster_changes is derived and not dumped (the chain of fraudster index stamps:
# a restored database starts a new chain, written by the stamp triggers as its fraudsters are
# restored; docs/voice-id.md "Keeping the index current")
tables=$(psql -X -At -d "$src" -c "SELECT tablename FROM pg_tables WHERE schemaname = 'fraud'
                                    AND tablename <> 'voice_fraudster_changes' ORDER BY 1")
same=0; differ=0
for t in $tables; do
  q="SELECT t::text FROM fraud.$t t ORDER BY 1"
  a=$(psql -X -At -d "$src" -c "$q"); b=$(psql -X -At -d "$dst" -c "$q")
  n=$(printf '%s' "$a" | grep -c . || true)
  if [ "$a" = "$b" ] && [ "$n" -gt 0 ]; then
    same=$((same + 1))
  else
    differ=$((differ + 1))
    echo "dump_restore: fraud.$t differs after restore ($n rows before)"
    diff <(echo "$a") <(echo "$b") | head -10
  fi
done
# the fraudster index of the restored domain answers like the original's
q="SELECT fraud_voice_evaluate_session(domain_id, 'call2', ARRAY[2, 2, 2, 2, 1]::real[], 12)->'FraudDetectionResult'->'RiskDetails'
   FROM fraud.voice_domains"
a=$(psql -X -At -d "$src" -c "$q"); b=$(psql -X -At -d "$dst" -c "$q")
if [ -n "$a" ] && [ "$a" = "$b" ]; then same=$((same + 1)); else differ=$((differ + 1)); echo "dump_restore: EvaluateSession differs: $a / $b"; fi
# the shadow flags came along: version 1 is still a shadow, its recorded result still one
q="SELECT (SELECT string_agg(detector_version_id::text, ',') FROM fraud.detector_versions WHERE shadow),
          (SELECT string_agg(event_id || '/' || detector_version_id, ',') FROM fraud.event_predictions WHERE shadow)"
a=$(psql -X -At -d "$src" -c "$q"); b=$(psql -X -At -d "$dst" -c "$q")
if [ "$a" = "1|e-shadow/1" ] && [ "$a" = "$b" ]; then same=$((same + 1)); else differ=$((differ + 1)); echo "dump_restore: shadow flags differ: $a / $b"; fi
# the aggregates give the same values in the copy (every stored customer and email, as of the
# latest stored event)
q="SELECT string_agg(fraud_explain('new_account_detector', jsonb_build_object(
     'eventTimestamp', (SELECT to_char(max(event_timestamp) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM fraud.events),
     'entities', e.entities, 'eventVariables', e.event_variables),
     (SELECT max(detector_version_id)::text FROM fraud.detector_versions WHERE detector_id = 'new_account_detector'))->>'eventVariables', ';' ORDER BY e.event_id)
   FROM fraud.events e WHERE e.event_type_name = 'registration'"
a=$(psql -X -At -d "$src" -c "$q"); b=$(psql -X -At -d "$dst" -c "$q")
if [ -n "$a" ] && [ "$a" = "$b" ] && [[ "$a" == *'"customer_spend_30d", "value": "1350"'* ]] && [[ "$a" == *'"email_events_7d", "value": "2"'* ]]; then same=$((same + 1)); else differ=$((differ + 1)); echo "dump_restore: aggregate values differ: $a / $b"; fi
# the prediction id sequence came along: a new prediction in the copy gets a fresh id
if psql -X -q -v ON_ERROR_STOP=1 -d "$dst" >/dev/null 2>&1 <<'SQL'
SELECT fraud_get_event_prediction('new_account_detector', 'e9', 'registration', '[{"entityType": "customer", "entityId": "c9"}]',
                                  '2024-05-09T12:00:00Z', '{"order_price": "5"}');
SQL
then same=$((same + 1)); else differ=$((differ + 1)); echo "dump_restore: a new prediction in the restored copy failed"; fi
# the capability came along, and nothing more
q="SELECT has_function_privilege('fraud_dump_scorer', 'fraud_predict(text, jsonb, text)', 'EXECUTE'),
          has_function_privilege('fraud_dump_scorer', 'fraud_explain(text, jsonb, text)', 'EXECUTE'),
          (SELECT count(*) FROM fraud_capabilities() c WHERE has_function_privilege('fraud_dump_scorer', c.function_signature, 'EXECUTE'))"
a=$(psql -X -At -d "$src" -c "$q"); b=$(psql -X -At -d "$dst" -c "$q")
if [ "$a" = "t|f|5" ] && [ "$a" = "$b" ]; then same=$((same + 1)); else differ=$((differ + 1)); echo "dump_restore: grants differ: $a / $b"; fi
echo "dump_restore: $same tables identical and non-empty, $differ differ"
[ "${KEEP_DBS:-0}" = 1 ] || { dropdb "$src"; dropdb "$dst"; }
[ "$differ" -eq 0 ]
