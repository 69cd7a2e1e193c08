#!/usr/bin/env bash
# pg_dump a database holding a full setup, restore it into a fresh database, and require every
# catalog row to come back identical. Expects PGHOST/PGPORT/PGUSER of a running cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
src=fraud_dump_src; dst=fraud_dump_dst
dropdb --if-exists "$src"; dropdb --if-exists "$dst"
createdb "$src"
psql -X -q -v ON_ERROR_STOP=1 -d "$src" -c 'CREATE EXTENSION fraud_detector' -f examples/sample_setup.sql >/dev/null
# users' events, prediction history and finished jobs (with a failed record) are kept too
psql -X -q -v ON_ERROR_STOP=1 -d "$src" >/dev/null <<'SQL'
SELECT fraud_get_event_prediction('new_account_detector', 'e1', 'registration', '[{"entityType": "customer", "entityId": "c1"}]',
                                  '2024-05-01T12:00:00Z', '{"order_price": "1200", "account_age_days": "2"}');
SELECT fraud_create_batch_import_job('import1', $$SELECT * FROM (VALUES
    ('e2', '2024-05-02T10:00:00Z', 'c2', 'customer', 'legit', '2024-05-03T00:00:00Z', '35.5'),
    ('e3', 'not a time', 'c3', 'customer', NULL, NULL, '1')) v(event_id, event_timestamp, entity_id, entity_type,
                                                               event_label, label_timestamp, order_price)$$,
                                     'registration');
-- Voice ID: a domain with a watchlist, fraudsters, an enrolled speaker and a session
CREATE TABLE voice_requests AS
SELECT 'r' || k AS request_id, array_fill((k % 3 + 1)::real, ARRAY[4]) || ARRAY[k::real] AS embedding, 12::real AS speech_seconds
FROM generate_series(1, 3) k;
CREATE TABLE voice_enrol AS SELECT 'cust1' AS request_id, ARRAY[1, 2, 3, 4, 5]::real[] AS embedding, 40::real AS speech_seconds;
SELECT domain_id AS voice_domain FROM fraud_voice_create_domain('dumped', 5, tags => '{"k": "v"}') \gset
SELECT count(*) FROM fraud_voice_create_watchlist(:'voice_domain', 'extra');
SELECT count(*) FROM fraud_voice_start_fraudster_registration_job(:'voice_domain', '{"S3Uri": "voice_requests"}');
SELECT count(*) FROM fraud_voice_start_speaker_enrollment_job(:'voice_domain', '{"S3Uri": "voice_enrol"}');
DO $$
BEGIN
    FOR i IN 1..1200 LOOP
        EXIT WHEN (SELECT status FROM fraud_get_batch_import_jobs('import1')) = 'COMPLETE'
              AND NOT EXISTS (SELECT 1 FROM fraud.jobs WHERE status IN ('SUBMITTED', 'IN_PROGRESS'));
        PERFORM pg_sleep(0.05);
    END LOOP;
END $$;
SELECT fraud_voice_evaluate_session(:'voice_domain', 'call1', ARRAY[1, 2, 3, 4, 5]::real[], 12, speaker_id => 'cust1');
SQL
dump=$(mktemp /tmp/fraud_dump.XXXXXX)
pg_dump -Fc -d "$src" -f "$dump"
createdb "$dst"
pg_restore --exit-on-error -d "$dst" "$dump"
rm -f "$dump"

tables=$(psql -X -At -d "$src" -c "SELECT tablename FROM pg_tables WHERE schemaname = 'fraud' ORDER BY 1")
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
# the prediction id sequence came along: a new prediction in the copy gets a fresh id
if psql -X -q -v ON_ERROR_STOP=1 -d "$dst" >/dev/null 2>&1 <<'SQL'
SELECT fraud_get_event_prediction('new_account_detector', 'e9', 'registration', '[{"entityType": "customer", "entityId": "c9"}]',
                                  '2024-05-09T12:00:00Z', '{"order_price": "5"}');
SQL
then same=$((same + 1)); else differ=$((differ + 1)); echo "dump_restore: a new prediction in the restored copy failed"; fi
echo "dump_restore: $same tables identical and non-empty, $differ differ"
dropdb "$src"; dropdb "$dst"
[ "$differ" -eq 0 ]
