#!/usr/bin/env bash
# Prediction notifications (event orchestration; docs/sql-reference.md, "Prediction
# notifications"), heard by a second session. A listening psql session, reading its commands
# from a fifo, collects what arrives on channel fraud_detector_predictions while other sessions
# predict. It must receive exactly the committed predictions, in commit order, with the
# documented payload: nothing for a rolled-back transaction or savepoint, fraud_predict,
# fraud_send_event, a shadow version's result, or a prediction made after orchestration was
# disabled; a 7999-byte payload whole, and one that would be 8000 bytes truncated. The
# documented outbox reading finds a prediction that committed after one with a larger id.
# No timing assertion: every wait polls (bounded) for a marker, and the listener's last marker
# is a notification sent after everything else (notifications arrive in commit order).
# Expects PGHOST/PGPORT/PGUSER of a running cluster (scripts/cluster.sh); prints
# "orchestration: N passed, M failed".
set -uo pipefail
trap '' PIPE # a session that died fails the checks, it does not kill the script
cd "$(dirname "$0")/.."
. scripts/cluster.sh
db=fraud_orchestration
dropdb --if-exists "$db" >/dev/null 2>&1
createdb "$db"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c 'CREATE EXTENSION fraud_detector' -f examples/sample_setup.sql >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<'SQL'
-- the payload as docs/sql-reference.md documents it, built from the recorded row
CREATE FUNCTION documented_payload(p fraud.event_predictions) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('predictionId', p.prediction_id, 'eventTypeName', p.event_type_name,
    'eventId', p.event_id, 'eventTimestamp', to_char(p.event_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
    'entities', p.entities, 'detectorId', p.detector_id, 'detectorVersionId', p.detector_version_id::text,
    'outcomes', p.metadata->'outcomes', 'modelScores', p.result->'modelScores',
    'predictionTimestamp', to_char(p.prediction_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) $$;
-- 32 customer entities whose ids have `total` characters together
CREATE FUNCTION entities_of(total int) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_agg(jsonb_build_object('entityType', 'customer',
                   'entityId', lpad(i::text, total / 32 + (i <= total % 32)::int, 'x')) ORDER BY i)
  FROM generate_series(1, 32) i $$;
-- entities that make the notification of the next prediction of event `id` (order_price 20:
-- outcome approve, detector version 2) exactly `size` bytes long: the payload's length is a
-- constant plus the ids' characters
CREATE FUNCTION entities_for(size int, id text) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
    next_id bigint := (SELECT last_value + 1 FROM fraud.event_predictions_prediction_id_seq);
    constant int := octet_length(documented_payload(ROW(next_id, 'new_account_detector', 2, 'registration', id,
        '2024-05-01T12:00:00Z', now(), entities_of(64), '{"modelScores": []}',
        '{"outcomes": ["approve"]}', false)::fraud.event_predictions)::text) - 64;
BEGIN
    RETURN entities_of(size - constant);
END $$;
CREATE TABLE heard (n int GENERATED ALWAYS AS IDENTITY, payload text);
SQL

tmp=$(mktemp -d /tmp/fraud_detector_orchestration.XXXXXX)
pids=()
cleanup() {
  exec 3>&- 4>&-
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  dropdb --if-exists "$db" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT

passed=0; failed=0
check() { # name expected actual
  if [ "$2" = "$3" ]; then passed=$((passed + 1)); echo "ok   $1"
  else failed=$((failed + 1)); echo "FAIL $1: expected '$2', got '$3'"; fi
}
q() { psql -X -At -d "$db" -c "$1" 2>&1; }
# the SQL of one GetEventPrediction of the sample's event type
predict() { # event_id [event_variables]
  local vars='{"ip_address": "203.0.113.7", "order_price": "20"}'
  [ $# -gt 1 ] && vars=$2
  echo "SELECT fraud_get_event_prediction('new_account_detector', '$1', 'registration',
    '[{\"entityType\": \"customer\", \"entityId\": \"c-$1\"}]', '2024-05-01T12:00:00Z', '$vars') IS NOT NULL;"
}
orchestration() { # true|false: puts the sample's event type again, with that event orchestration
  q "SELECT fraud_put_event_type('registration',
       event_variables => ARRAY['email_address', 'ip_address', 'order_price', 'account_age_days'],
       entity_types => ARRAY['customer'], labels => ARRAY['fraud', 'legit'],
       description => 'a new account is opened', event_orchestration => '{\"eventBridgeEnabled\": $1}')" >/dev/null
}

# session NAME FD: a psql session reading commands from the fifo open on fd FD; output in NAME.out
session() {
  mkfifo "$tmp/$1.in"
  stdbuf -oL psql -X -q -At -d "$db" < "$tmp/$1.in" > "$tmp/$1.out" 2>&1 &
  pids+=($!)
  eval "exec $2>\"$tmp/$1.in\""
}
marks=0
sync_session() { # NAME FD: returns once the session has run everything sent to it
  marks=$((marks + 1))
  echo "SELECT 'mark-$marks';" >&"$2"
  for _ in $(seq 1 600); do
    grep -qx "mark-$marks" "$tmp/$1.out" && return 0
    sleep 0.1
  done
  echo "session $1 did not answer" >&2
}

orchestration true
session listener 3
echo "LISTEN fraud_detector_predictions; LISTEN orchestration_test_end;" >&3
sync_session listener 3
session a 4
sync_session a 4

echo "== commit order: a transaction that commits later is heard later, though its id is smaller"
q "$(predict ev-1)" >/dev/null
echo "BEGIN;" >&4; predict ev-2 >&4
sync_session a 4
q "$(predict ev-3 '{"order_price": "800", "account_age_days": "2"}')" >/dev/null

echo "== the outbox, while ev-2's transaction is still open"
read -r snap upto <<<"$(psql -X -At -F ' ' -d "$db" -c \
  "SELECT pg_current_snapshot(), coalesce(max(prediction_id), 0) FROM fraud.event_predictions")"
check "outbox: reading past the largest id seen would skip ev-2" "ev-1,ev-3" \
  "$(q "SELECT string_agg(event_id, ',' ORDER BY prediction_id) FROM fraud.event_predictions WHERE prediction_id > 0")"
settled() { q "SELECT pg_snapshot_xmin(pg_current_snapshot()) >= pg_snapshot_xmax('$snap')"; }
check "outbox: not settled while ev-2's transaction runs" f "$(settled)"
echo "COMMIT;" >&4
sync_session a 4
for _ in $(seq 1 600); do [ "$(settled)" = t ] && break; sleep 0.1; done
check "outbox: settled once it has committed" t "$(settled)"
check "outbox: up to the bound, complete and in id order" "ev-1,ev-2,ev-3" \
  "$(q "SELECT string_agg(event_id, ',' ORDER BY prediction_id) FROM fraud.event_predictions
        WHERE prediction_id > 0 AND prediction_id <= $upto")"

echo "== rolled back: a transaction, a savepoint, a failed transaction"
psql -X -q -d "$db" >/dev/null 2>&1 <<SQL
BEGIN;
$(predict ev-4)
ROLLBACK;
BEGIN;
SAVEPOINT s;
$(predict ev-5)
ROLLBACK TO SAVEPOINT s;
$(predict ev-6)
COMMIT;
BEGIN;
$(predict ev-7)
SELECT 1 / 0;
COMMIT;
SQL
check "rolled back: not recorded" "0|1" \
  "$(q "SELECT count(*) FILTER (WHERE event_id IN ('ev-4', 'ev-5', 'ev-7')), count(*) FILTER (WHERE event_id = 'ev-6') FROM fraud.event_predictions")"

echo "== recording nothing sends nothing"
q "SELECT fraud_predict('new_account_detector', '{\"order_price\": 20}'), fraud_outcomes('new_account_detector', '{\"order_price\": 20}')" >/dev/null
q "SELECT fraud_send_event('sent-1', 'registration', '2024-05-01T12:00:00Z', '{\"order_price\": \"20\"}',
     '[{\"entityType\": \"customer\", \"entityId\": \"c-sent-1\"}]')" >/dev/null

echo "== two predictions of the same event in one transaction are two notifications"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<SQL
BEGIN;
$(predict ev-8)
$(predict ev-8)
COMMIT;
SQL

echo "== disabling orchestration stops it at the next statement of an open session"
predict ev-9 >&4; sync_session a 4
orchestration false
predict ev-10 >&4; sync_session a 4
orchestration true
predict ev-11 >&4; sync_session a 4
check "ev-10 was recorded (only not sent)" 1 "$(q "SELECT count(*) FROM fraud.event_predictions WHERE event_id = 'ev-10'")"

echo "== the size limit: 7999 bytes go whole, 8000 are truncated"
q "SELECT fraud_get_event_prediction('new_account_detector', 'big-7999', 'registration', entities_for(7999, 'big-7999'),
     '2024-05-01T12:00:00Z', '{\"order_price\": \"20\"}') IS NOT NULL" >/dev/null
q "SELECT fraud_get_event_prediction('new_account_detector', 'big-8000', 'registration', entities_for(8000, 'big-8000'),
     '2024-05-01T12:00:00Z', '{\"order_price\": \"20\"}') IS NOT NULL" >/dev/null
check "both recorded" 2 "$(q "SELECT count(*) FROM fraud.event_predictions WHERE event_id LIKE 'big-%'")"

echo "== a shadow version's result is recorded, never sent"
q "SELECT fraud_update_detector_version_shadow('new_account_detector', '1', true)" >/dev/null
q "$(predict ev-12)" >/dev/null
q "SELECT fraud_update_detector_version_shadow('new_account_detector', '1', false)" >/dev/null
check "ev-12: the prediction and its shadow's result recorded" "2/false,1/true" \
  "$(q "SELECT string_agg(detector_version_id || '/' || shadow, ',' ORDER BY prediction_id) FROM fraud.event_predictions WHERE event_id = 'ev-12'")"

echo "== what the listener heard"
q "NOTIFY orchestration_test_end, 'end'" >/dev/null
for _ in $(seq 1 600); do
  grep -q '^Asynchronous notification "orchestration_test_end"' "$tmp/listener.out" && break
  echo "SELECT 1;" >&3
  sleep 0.1
done
sed -n 's/^Asynchronous notification "fraud_detector_predictions" with payload "\(.*\)" received from server process with PID [0-9]*\.$/\1/p' \
  "$tmp/listener.out" > "$tmp/payloads"
psql -X -q -d "$db" -c "\\copy heard(payload) FROM '$tmp/payloads'"
check "heard in commit order" "ev-1,ev-3,ev-2,ev-6,ev-8,ev-8,ev-9,ev-11,big-7999,big-8000,ev-12" \
  "$(q "SELECT string_agg(payload::jsonb->>'eventId', ',' ORDER BY n) FROM heard")"
check "ev-2 has the smaller id, ev-3 was heard first" t \
  "$(q "SELECT (SELECT prediction_id FROM fraud.event_predictions WHERE event_id = 'ev-2')
               < (SELECT prediction_id FROM fraud.event_predictions WHERE event_id = 'ev-3')")"
check "heard each committed prediction once (all but ev-10's, never a shadow's)" t \
  "$(q "SELECT (SELECT array_agg((payload::jsonb->>'predictionId')::bigint ORDER BY (payload::jsonb->>'predictionId')::bigint) FROM heard)
             = (SELECT array_agg(prediction_id ORDER BY prediction_id) FROM fraud.event_predictions WHERE event_id <> 'ev-10' AND NOT shadow)")"
check "the documented fields" "detectorId,detectorVersionId,entities,eventId,eventTimestamp,eventTypeName,modelScores,outcomes,predictionId,predictionTimestamp" \
  "$(q "SELECT string_agg(k, ',' ORDER BY k) FROM heard, jsonb_object_keys(payload::jsonb) k WHERE payload::jsonb->>'eventId' = 'ev-1'")"
check "every payload that fits is the documented one for its row" 10 \
  "$(q "SELECT count(*) FROM heard h JOIN fraud.event_predictions p ON p.prediction_id = (h.payload::jsonb->>'predictionId')::bigint
        WHERE h.payload::jsonb = documented_payload(p)")"
check "ev-1 and ev-3: their outcomes, the ACTIVE version, UTC times" \
  'ev-1|["verify_customer"]|2|2024-05-01T12:00:00Z|t ev-3|["review"]|2|2024-05-01T12:00:00Z|t' \
  "$(q "SELECT string_agg(concat_ws('|', payload::jsonb->>'eventId', payload::jsonb->>'outcomes', payload::jsonb->>'detectorVersionId',
               payload::jsonb->>'eventTimestamp', payload::jsonb->>'predictionTimestamp' ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$'), ' ' ORDER BY n)
        FROM heard WHERE payload::jsonb->>'eventId' IN ('ev-1', 'ev-3')")"
check "7999 bytes: whole" "7999|false|32" \
  "$(q "SELECT octet_length(payload) || '|' || (payload::jsonb ? 'truncated') || '|' || jsonb_array_length(payload::jsonb->'entities')
        FROM heard WHERE payload::jsonb->>'eventId' = 'big-7999'")"
check "8000 bytes: entities left out and named, the rest as documented" 'true|["entities"]|true' \
  "$(q "SELECT (octet_length(payload) < 8000) || '|' || (payload::jsonb->'truncated')::text || '|'
               || (payload::jsonb - 'truncated' = documented_payload(p) - 'entities')
        FROM heard h JOIN fraud.event_predictions p ON p.prediction_id = (h.payload::jsonb->>'predictionId')::bigint
        WHERE p.event_id = 'big-8000'")"
check "nothing else heard but the end marker" "$(wc -l < "$tmp/payloads")" \
  "$(grep -c '^Asynchronous notification' "$tmp/listener.out" | awk '{print $1 - 1}')"

echo "orchestration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
