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
# trained models (ONLINE_FRAUD_INSIGHTS and TRANSACTION_FRAUD_INSIGHTS, both ACTIVE) and an
# external model (a SQL function of schema public) used by the versions of a detector of their
# own event type: 12,000 labelled payments generated as tests/pg_regress/sql/models.sql does.
# The model bytes (fraud.model_versions.model_data) are dumped; the keys of the stored events the
# history model reads (fraud.event_keys) are derived and rebuilt by the restore.
psql -X -q -v ON_ERROR_STOP=1 -d "$src" >/dev/null <<'SQL'
CREATE FUNCTION pg_temp.h(i int, k int) RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
    SELECT ((hashint8(i::bigint * 7919 + k) % 10000 + 10000) % 10000) / 10000.0 $$;
CREATE FUNCTION pg_temp.wait_model(m text, t text, v text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE s text;
BEGIN
    FOR i IN 1..3600 LOOP
        SELECT status INTO s FROM fraud_describe_model_versions(m, v, t);
        EXIT WHEN s <> 'TRAINING_IN_PROGRESS';
        PERFORM pg_sleep(0.05);
    END LOOP;
    RETURN s;
END $$;
SELECT fraud_create_variable('amount', 'FLOAT', 'EVENT', '0', variable_type => 'PRICE');
SELECT fraud_create_variable('email', 'STRING', 'EVENT', 'unknown', variable_type => 'EMAIL_ADDRESS');
SELECT fraud_create_variable('ip', 'STRING', 'EVENT', '0.0.0.0', variable_type => 'IP_ADDRESS');
SELECT fraud_create_variable('noise', 'STRING', 'EVENT', '', variable_type => 'CATEGORICAL');
SELECT fraud_put_event_type('pay', ARRAY['amount', 'email', 'ip', 'noise'], ARRAY['customer'], labels => ARRAY['fraud', 'legit']);
CREATE TEMP TABLE gen AS
SELECT i, pg_temp.h(i, 1) < 0.3 AND i > 1 AS burst, round((pg_temp.h(i, 2) * 1000)::numeric, 2) AS amount,
       (ARRAY['gmail.com', 'yahoo.com', 'corp.com', 'bad.com'])[1 + floor(pg_temp.h(i, 3) * 4)::int] AS domain
FROM generate_series(1, 12000) i;
INSERT INTO fraud.events (event_type_name, event_id, event_timestamp, entities, event_variables, event_label, label_timestamp)
SELECT 'pay', 'p' || i, '2026-01-01'::timestamptz + i * interval '2 minutes',
       jsonb_build_array(jsonb_build_object('entityType', 'customer', 'entityId', CASE WHEN burst THEN 'pc' || ((i - 1) % 600) ELSE 'pc' || (i % 600) END)),
       jsonb_build_object('amount', amount::text, 'email', 'u' || (i % 977) || '@' || domain,
                          'ip', '10.' || floor(pg_temp.h(i, 6) * 5) || '.' || floor(pg_temp.h(i, 7) * 200) || '.1', 'noise', 'n' || (i % 3001)),
       CASE WHEN pg_temp.h(i, 5) < 1 / (1 + exp(-(-4.2 + 2.2 * (amount > 800)::int + 1.8 * (domain = 'bad.com')::int + 1.8 * burst::int)))
            THEN 'fraud' ELSE 'legit' END, '2026-02-01'
FROM gen;
SELECT fraud_create_model('pay_ofi', 'ONLINE_FRAUD_INSIGHTS', 'pay');
SELECT fraud_create_model('pay_tfi', 'TRANSACTION_FRAUD_INSIGHTS', 'pay');
SELECT * FROM fraud_create_model_version('pay_ofi', 'ONLINE_FRAUD_INSIGHTS', 'INGESTED_EVENTS',
    '{"modelVariables": ["amount", "email", "ip", "noise"]}',
    ingested_events_detail => '{"ingestedEventsTimeWindow": {"startTime": "2026-01-01T00:00:00Z", "endTime": "2026-02-01T00:00:00Z"}}');
SELECT * FROM fraud_create_model_version('pay_tfi', 'TRANSACTION_FRAUD_INSIGHTS', 'INGESTED_EVENTS',
    '{"modelVariables": ["amount", "email", "ip", "noise"]}',
    ingested_events_detail => '{"ingestedEventsTimeWindow": {"startTime": "2026-01-01T00:00:00Z", "endTime": "2026-02-01T00:00:00Z"}}');
-- training is waited for before the dump
DO $$ BEGIN
    IF pg_temp.wait_model('pay_ofi', 'ONLINE_FRAUD_INSIGHTS', '1.0') <> 'TRAINING_COMPLETE'
       OR pg_temp.wait_model('pay_tfi', 'TRANSACTION_FRAUD_INSIGHTS', '1.0') <> 'TRAINING_COMPLETE' THEN
        RAISE EXCEPTION 'training did not complete: %', (SELECT string_agg(model_id || ' ' || status || ' ' || coalesce(failure_reason, ''), '; ')
                                                         FROM fraud_describe_model_versions());
    END IF;
END $$;
SELECT fraud_update_model_version_status('pay_ofi', 'ONLINE_FRAUD_INSIGHTS', '1.0', 'ACTIVE');
SELECT fraud_update_model_version_status('pay_tfi', 'TRANSACTION_FRAUD_INSIGHTS', '1.0', 'ACTIVE');
-- the external model: a SQL function of schema public
SELECT fraud_create_variable('partner_risk', 'FLOAT', 'EXTERNAL_MODEL_SCORE', '-1');
CREATE FUNCTION public.partner_score(ev jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('risk', (ev->>'amount')::float / 10 + length(ev->>'mail'), 'unused', 'x') $$;
SELECT fraud_put_external_model('partner_score', 'SAGEMAKER', 'arn:aws:iam::123456789012:role/partner',
    '{"eventTypeName": "pay", "useEventVariables": false, "jsonInputTemplate": "{\"amount\": {{amount}}, \"mail\": \"{{email}}\"}"}',
    '{"jsonKeyToVariableMap": {"risk": "partner_risk"}}', 'ASSOCIATED');
SELECT fraud_put_detector('pay_detector', 'pay');
SELECT fraud_create_rule('risky', 'pay_detector', '$pay_ofi_insightscore > 900 or $pay_tfi_insightscore > 900', ARRAY['review']);
SELECT fraud_create_rule('partner', 'pay_detector', '$partner_risk > 80', ARRAY['review']);
SELECT fraud_create_rule('rest', 'pay_detector', 'true', ARRAY['approve']);
-- version 1: both trained models; version 2: the external model
SELECT * FROM fraud_create_detector_version('pay_detector',
    '[{"detectorId": "pay_detector", "ruleId": "risky", "ruleVersion": "1"}, {"detectorId": "pay_detector", "ruleId": "rest", "ruleVersion": "1"}]',
    model_versions => '[{"modelId": "pay_ofi", "modelType": "ONLINE_FRAUD_INSIGHTS", "modelVersionNumber": "1.0"},
                        {"modelId": "pay_tfi", "modelType": "TRANSACTION_FRAUD_INSIGHTS", "modelVersionNumber": "1.0"}]');
SELECT fraud_update_detector_version_status('pay_detector', '1', 'ACTIVE');
SELECT * FROM fraud_create_detector_version('pay_detector',
    '[{"detectorId": "pay_detector", "ruleId": "partner", "ruleVersion": "1"}, {"detectorId": "pay_detector", "ruleId": "rest", "ruleVersion": "1"}]',
    external_model_endpoints => ARRAY['partner_score']);
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
# restored; docs/voice-id.md "Keeping the index current"); fraud.cluster_changes (Citus,
# docs/scale-out.md) is empty between statements and not dumped
tables=$(psql -X -At -d "$src" -c "SELECT tablename FROM pg_tables WHERE schemaname = 'fraud'
                                    AND tablename NOT IN ('voice_fraudster_changes', 'cluster_changes') ORDER BY 1")
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
    diff <(echo "$a") <(echo "$b") | head -10 || true
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
# latest stored registration)
q="SELECT string_agg(fraud_explain('new_account_detector', jsonb_build_object(
     'eventTimestamp', (SELECT to_char(max(event_timestamp) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM fraud.events
                        WHERE event_type_name = 'registration'),
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
# the model bytes came back byte for byte
q="SELECT string_agg(model_id || '/' || model_version_number || ':' || md5(model_data), ',' ORDER BY model_id, model_version_number)
   FROM fraud.model_versions"
a=$(psql -X -At -d "$src" -c "$q"); b=$(psql -X -At -d "$dst" -c "$q")
if [[ "$a" == pay_ofi/1.0:*,pay_tfi/1.0:* ]] && [ "$a" = "$b" ]; then same=$((same + 1)); else differ=$((differ + 1)); echo "dump_restore: model_data differs: $a / $b"; fi
# the restored copy scores as the original: the trained models' scores (the history model's as
# of a time after every stored event, for customers with history, and for one without), the
# external model's outputs, and fraud_explain's evaluatedModelVersions (ARNs name the database:
# each side's name is replaced by DB)
pay_events="SELECT e.event_id, jsonb_build_object('eventTimestamp', '2026-01-20T00:00:00Z', 'entities', e.entities,
                                                  'eventVariables', e.event_variables) AS ev
            FROM fraud.events e WHERE e.event_type_name = 'pay' AND e.event_id IN ('p1', 'p2', 'p7', 'p42', 'p600', 'p601', 'p5000', 'p11999', 'p12000')
            UNION ALL SELECT 'new', '{\"eventTimestamp\": \"2026-01-20T00:00:00Z\", \"entities\": [{\"entityType\": \"customer\", \"entityId\": \"nobody\"}],
                                      \"eventVariables\": {\"amount\": \"950\", \"email\": \"x@bad.com\", \"ip\": \"10.1.1.1\"}}'"
q="SELECT string_agg(x.event_id || '=' || (fraud_predict('pay_detector', x.ev, '1') - 'eventTimestamp')::text, E'\n' ORDER BY x.event_id) FROM ($pay_events) x"
a=$(psql -X -At -d "$src" -c "$q" 2>&1); b=$(psql -X -At -d "$dst" -c "$q" 2>&1); a=${a//$src/DB}; b=${b//$dst/DB}
scores=$(grep '"pay_ofi_insightscore"' <<<"$a" | grep -c '"pay_tfi_insightscore"' || true)
if [ "$scores" -eq 10 ] && [ "$a" = "$b" ]; then same=$((same + 1)); else differ=$((differ + 1)); echo "dump_restore: model scores differ ($scores scored):"; diff <(echo "$a") <(echo "$b") | head -10 || true; fi
# the history model reads the stored history in both: a customer with history scores otherwise than a new one
q="SELECT count(DISTINCT jsonb_path_query_first(fraud_predict('pay_detector', x.ev, '1'), '\$.modelScores[*].scores.pay_tfi_insightscore')) > 1,
          count(DISTINCT jsonb_path_query_first(fraud_predict('pay_detector', jsonb_set(x.ev, '{eventVariables}', '{\"amount\": \"500\"}'), '1'),
                                                '\$.modelScores[*].scores.pay_tfi_insightscore')) > 1
   FROM ($pay_events) x"
a=$(psql -X -At -d "$src" -c "$q" 2>&1); b=$(psql -X -At -d "$dst" -c "$q" 2>&1); a=${a//$src/DB}; b=${b//$dst/DB}
if [ "$a" = "t|t" ] && [ "$a" = "$b" ]; then same=$((same + 1)); else differ=$((differ + 1)); echo "dump_restore: history scores do not vary: $a / $b"; fi
q="SELECT string_agg(x.event_id || '=' || (fraud_explain('pay_detector', x.ev, '1')->'evaluatedModelVersions')::text, E'\n' ORDER BY x.event_id) FROM ($pay_events) x"
a=$(psql -X -At -d "$src" -c "$q" 2>&1); b=$(psql -X -At -d "$dst" -c "$q" 2>&1); a=${a//$src/DB}; b=${b//$dst/DB}
if [[ "$a" == *'"modelId": "pay_tfi"'* ]] && [[ "$a" == *'"modelId": "pay_ofi"'* ]] && [ "$a" = "$b" ]; then same=$((same + 1)); else differ=$((differ + 1)); echo "dump_restore: evaluatedModelVersions differ:"; diff <(echo "$a") <(echo "$b") | head -10 || true; fi
q="SELECT string_agg(x.event_id || '=' || (fraud_predict('pay_detector', x.ev, '2') - 'eventTimestamp')::text
                     || (fraud_explain('pay_detector', x.ev, '2')->'evaluatedExternalModels')::text, E'\n' ORDER BY x.event_id) FROM ($pay_events) x"
a=$(psql -X -At -d "$src" -c "$q" 2>&1); b=$(psql -X -At -d "$dst" -c "$q" 2>&1); a=${a//$src/DB}; b=${b//$dst/DB}
if [[ "$a" == *'"outputs": {"risk": '* ]] && [[ "$a" == *'"outputVariables": {"risk": '* ]] && [ "$a" = "$b" ]; then same=$((same + 1)); else differ=$((differ + 1)); echo "dump_restore: external model outputs differ:"; echo "$a" | head -3; diff <(echo "$a") <(echo "$b") | head -10 || true; fi
echo "dump_restore: $same tables identical and non-empty, $differ differ"
[ "${KEEP_DBS:-0}" = 1 ] || { dropdb "$src"; dropdb "$dst"; }
[ "$differ" -eq 0 ]
