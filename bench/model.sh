#!/usr/bin/env bash
# Trained models (AFD's CreateModelVersion). Writes ROWS (default 250,000) synthetic labelled
# payments of ~ROWS/12.5 customers over 60 days, ~2 % fraud, with bench/model_data.py (known
# true fraud probabilities: the signal mixes amount, risky email domains, countries, IP
# prefixes, product categories and BINs, missing values and the customer's history), and
# computes the reference points with bench/model_lgbm.py: LightGBM 4.7 (defaults, 100 trees)
# on the same raw variables, and the Bayes AUC (the AUC of the true probabilities). Then it
# builds fraud_detector in release mode, starts a throwaway PostgreSQL (or uses PGHOST/PGPORT
# if BENCH_USE_EXISTING=1; the CSV file must then be readable by that server), imports the file
# with a batch import job, and for ONLINE_FRAUD_INSIGHTS and TRANSACTION_FRAUD_INSIGHTS:
#   1. fraud_create_model_version over INGESTED_EVENTS of the whole window, timed from the call
#      to status TRAINING_COMPLETE (polled every 0.2 s; target <= 20 s);
#   2. the test AUC the version reports (training_result_v2), and the AUC computed here: the
#      test events (the last 15 % by time, as bench/model_lgbm.py splits them) scored by
#      fraud_predict with the version ACTIVE in a detector version, plus the share of test legit
#      events scored >= 600 and >= 900;
# and the scoring cost: PROBE (default 1,000,000) jsonb events built in SQL from the same
# variables, fraud_outcomes of a detector version with 3 rules, and of the same rules plus one
# on the model's score ($<model>_insightscore > 900, ALL_MATCHED so that the score is always
# needed), best of 5 rounds taking the three in turn, one core (max_parallel_workers_per_gather =
# 0): the difference per event is what a model adds (target <= 5 us). Prints a markdown table for bench/README.md.
# LGBM_VENV: a virtual environment with lightgbm, numpy and scikit-learn (else model_lgbm.py
# makes one, once, under the temp dir). KEEP=1 keeps the database and the data files.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
rows=${ROWS:-250000}
probe=${PROBE:-1000000}
customers=$(python3 -c "print(max(50, round($rows / 12.5)))") # as bench/model_data.py
work=$(mktemp -d /tmp/fraud_bench_model.XXXXXX)
chmod 755 "$work" # the server reads the CSV file
csv=$work/events.csv

echo "== generating $rows events"
python3 bench/model_data.py --rows "$rows" --out "$csv"
echo "== LightGBM on the raw variables"
python3 bench/model_lgbm.py "$csv" --test-ids "$work/test_ids.txt" > "$work/lgbm.json"
cat "$work/lgbm.json"
jget() { python3 -c "import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print('' if v is None else v)" "$1" "$2"; }
f3() { python3 -c "import sys; print(f'{float(sys.argv[1]):.3f}' if sys.argv[1] else 'n/a')" "$1"; }
pct() { python3 -c "import sys; print(f'{100 * float(sys.argv[1]):.2f} %' if sys.argv[1] else 'n/a')" "$1"; }

bench_start fraud_bench_model
sql() { psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }

echo "== importing"
sql >/dev/null <<SQL
SELECT fraud_put_entity_type('customer');
SELECT fraud_create_variable('amount', 'FLOAT', 'EVENT', '0', variable_type => 'PRICE');
SELECT fraud_create_variable('email_address', 'STRING', 'EVENT', '', variable_type => 'EMAIL_ADDRESS');
SELECT fraud_create_variable('ip_address', 'STRING', 'EVENT', '', variable_type => 'IP_ADDRESS');
SELECT fraud_create_variable('phone_number', 'STRING', 'EVENT', '', variable_type => 'PHONE_NUMBER');
SELECT fraud_create_variable('billing_country', 'STRING', 'EVENT', '', variable_type => 'BILLING_COUNTRY');
SELECT fraud_create_variable('product_category', 'STRING', 'EVENT', '', variable_type => 'PRODUCT_CATEGORY');
SELECT fraud_create_variable('card_bin', 'STRING', 'EVENT', '', variable_type => 'CARD_BIN');
SELECT fraud_create_variable('is_new_device', 'BOOLEAN', 'EVENT', 'false', variable_type => 'CATEGORICAL');
SELECT fraud_create_variable('noise_num', 'FLOAT', 'EVENT', '0', variable_type => 'NUMERIC');
SELECT fraud_create_variable('noise_cat', 'STRING', 'EVENT', '', variable_type => 'CATEGORICAL');
SELECT fraud_put_label('fraud');
SELECT fraud_put_label('legit');
SELECT fraud_put_event_type('payment',
    ARRAY['amount', 'email_address', 'ip_address', 'phone_number', 'billing_country', 'product_category',
          'card_bin', 'is_new_device', 'noise_num', 'noise_cat'],
    ARRAY['customer'], labels => ARRAY['fraud', 'legit']);
SELECT fraud_put_outcome('review');
SELECT fraud_put_outcome('block');
SELECT fraud_create_batch_import_job('import', '$csv', 'payment');
SQL
while :; do
  status=$(sql -At -c "SELECT status FROM fraud_get_batch_import_jobs('import')")
  case "$status" in COMPLETE|FAILED|CANCELED) break ;; esac
  sleep 0.2
done
check=$(sql -At -F ' ' -c "SELECT processed_records_count, failed_records_count, (SELECT count(*) FROM fraud.events),
                                  round(extract(epoch FROM completion_time - start_time))
                           FROM fraud_get_batch_import_jobs('import')")
read -r processed failed stored import_s <<< "$check"
if [ "$status" != COMPLETE ] || [ "$processed $failed $stored" != "$rows 0 $rows" ]; then
  echo "import: $status, processed/failed/stored: $processed $failed $stored" >&2
  sql -At -c "SELECT failure_reason FROM fraud_get_batch_import_jobs('import')" >&2
  sql -At -c "SELECT * FROM fraud_get_batch_import_job_errors('import') LIMIT 5" >&2
  exit 1
fi
echo "imported $stored events in $import_s s"
sql -c "VACUUM ANALYZE fraud.events" >/dev/null
# the test events (ids from model_lgbm.py) in GetEventPrediction's shape
sql >/dev/null <<SQL
CREATE TABLE test_ids (event_id text PRIMARY KEY);
\copy test_ids FROM '$work/test_ids.txt'
CREATE TABLE test_events AS
SELECT e.event_id, jsonb_build_object('eventId', e.event_id, 'eventTypeName', 'payment',
           'eventTimestamp', to_char(e.event_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
           'entities', e.entities, 'eventVariables', e.event_variables) AS ev
FROM fraud.events e JOIN test_ids t USING (event_id);
SQL
n_test_sql=$(sql -At -c "SELECT count(*) FROM test_events")
schema='{"modelVariables": ["amount", "email_address", "ip_address", "phone_number", "billing_country",
                            "product_category", "card_bin", "is_new_device", "noise_num", "noise_cat"],
         "labelSchema": {"labelMapper": {"FRAUD": ["fraud"], "LEGIT": ["legit"]}, "unlabeledEventsTreatment": "IGNORE"}}'
window='{"ingestedEventsTimeWindow": {"startTime": "2026-01-01T00:00:00Z", "endTime": "2026-03-15T00:00:00Z"}}'

# train MODEL_ID MODEL_TYPE KEY: trains a version (the first: 1.0), activates it, scores the test events with
# it; sets version_KEY, train_s_KEY, server_s_KEY, auc_v2_KEY and leaves $work/KEY.json (model_lgbm.py's
# figures of the scores)
train() {
  local id=$1 type=$2 key=$3 out version status t0 start=$SECONDS
  echo "== $type"
  sql -c "SELECT fraud_create_model('$id', '$type', 'payment')" >/dev/null
  t0=$(date +%s.%N)
  out=$(sql -At -F ' ' -c "SELECT model_version_number, status FROM fraud_create_model_version('$id', '$type',
           'INGESTED_EVENTS', '$schema', ingested_events_detail => '$window')")
  read -r version status <<< "$out"
  printf -v "version_$key" '%s' "$version"
  while :; do
    case "$status" in TRAINING_COMPLETE|ERROR) break ;; esac
    if [ $((SECONDS - start)) -gt "${TRAIN_TIMEOUT:-1800}" ]; then echo "$type: still $status after $((SECONDS - start)) s" >&2; exit 1; fi
    sleep 0.2
    status=$(sql -At -c "SELECT status FROM fraud_describe_model_versions('$id', '$version', '$type')")
  done
  printf -v "train_s_$key" '%s' "$(python3 -c "import time; print(f'{time.time() - $t0:.1f}')")"
  if [ "$status" != TRAINING_COMPLETE ]; then
    echo "$type: $status" >&2
    sql -c "SELECT training_result, training_result_v2 FROM fraud_describe_model_versions('$id', '$version', '$type')" >&2
    exit 1
  fi
  local v=train_s_$key
  echo "trained in ${!v} s"
  printf -v "server_s_$key" '%s' "$(sql -At -c "SELECT round(extract(epoch FROM last_updated_time - created_time)::numeric, 1)
                                                 FROM fraud_describe_model_versions('$id', '$version', '$type')")"
  printf -v "auc_v2_$key" '%s' "$(sql -At -c "SELECT training_result_v2->'trainingMetricsV2'->'$key'->'modelPerformance'->>'auc'
                                               FROM fraud_describe_model_versions('$id', '$version', '$type')")"
  sql -At -c "SELECT jsonb_pretty(training_result_v2->'trainingMetricsV2'->'$key'->'modelPerformance')
              FROM fraud_describe_model_versions('$id', '$version', '$type')"
  sql >/dev/null <<SQL
SELECT fraud_update_model_version_status('$id', '$type', '$version', 'ACTIVE');
SELECT fraud_put_detector('score_$key', 'payment');
SELECT fraud_create_rule('scored', 'score_$key', '\$${id}_insightscore >= 0', ARRAY['review']);
SELECT count(*) FROM fraud_create_detector_version('score_$key',
    '[{"detectorId": "score_$key", "ruleId": "scored", "ruleVersion": "1"}]',
    model_versions => '[{"modelId": "$id", "modelType": "$type", "modelVersionNumber": "$version"}]');
SELECT fraud_update_detector_version_status('score_$key', '1', 'ACTIVE');
\copy (SELECT event_id, jsonb_path_query_first(fraud_predict('score_$key', ev), '\$.modelScores[*].scores.${id}_insightscore') AS score FROM test_events) TO '$work/scores_$key.csv' WITH (FORMAT csv, HEADER)
SQL
  python3 bench/model_lgbm.py "$csv" --no-lgbm --scores "$work/scores_$key.csv" --name "$key" > "$work/$key.json"
  cat "$work/$key.json"
}
train bench_ofi ONLINE_FRAUD_INSIGHTS ofi
train bench_tfi TRANSACTION_FRAUD_INSIGHTS tfi

echo "== scoring cost: $probe events"
# shellcheck disable=SC2154 # version_ofi, version_tfi: set by train (printf -v)
sql >/dev/null <<SQL
-- event j: a customer of the imported ones at a time of the window, the variables drawn from
-- hashes of j (phone missing for one in 20)
CREATE TABLE events1m AS
SELECT j, jsonb_build_object(
         'eventId', 'p' || j, 'eventTypeName', 'payment',
         'eventTimestamp', to_char((timestamptz '2026-01-01 00:00:00+00' + (h[1] / 2147483647.0) * interval '60 days') AT TIME ZONE 'UTC',
                                   'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
         'entities', jsonb_build_array(jsonb_build_object('entityType', 'customer', 'entityId', 'c' || h[2] % $customers)),
         'eventVariables', jsonb_strip_nulls(jsonb_build_object(
             'amount', round(exp(1 + (h[3] % 7000) / 1000.0)::numeric, 2)::text,
             'email_address', 'u' || h[2] % $customers || 'x' || h[4] % 1000 || '@' ||
                 (ARRAY['gmail.com', 'yahoo.com', 'hotmail.com', 'outlook.com', 'icloud.com', 'aol.com', 'proton.me',
                        'gmx.de', 'orange.fr', 'mailinator.com', 'guerrillamail.com', 'yopmail.com', 'tempmail.dev'])[1 + h[5] % 13],
             'ip_address', (11 + h[6] % 213) || '.' || (h[6] >> 8) % 256 || '.' || (h[6] >> 16) % 256 || '.' || 1 + (h[6] >> 24) % 254,
             'phone_number', CASE WHEN h[7] % 20 <> 0 THEN '+1' || (2000000000 + h[7] % 7999999999::bigint) END,
             'billing_country', (ARRAY['US', 'GB', 'DE', 'FR', 'CA', 'ES', 'IT', 'BR', 'IN', 'MX', 'NG', 'RU', 'VN', 'PK'])[1 + h[8] % 14],
             'product_category', (ARRAY['groceries', 'clothing', 'home', 'electronics', 'books', 'toys', 'digital_goods',
                                        'travel', 'gift_cards', 'jewelry'])[1 + h[9] % 10],
             'card_bin', (400000 + h[10] % 160000)::text,
             'is_new_device', (h[11] % 10 = 0)::text,
             'noise_num', round((h[12] % 20000) / 10000.0 - 1, 4)::text,
             'noise_cat', 'n' || h[13] % 50000))) AS ev
FROM generate_series(1, $probe) j,
     LATERAL (SELECT array_agg((hashint8(j * 16 + k) & 2147483647)::bigint ORDER BY k) AS h
              FROM generate_series(1, 13) k) x;
VACUUM ANALYZE events1m;
SELECT fraud_put_detector('bench_det', 'payment');
SELECT fraud_create_rule('big', 'bench_det', '\$amount > 1000', ARRAY['review']);
SELECT fraud_create_rule('risky_country', 'bench_det', '\$billing_country in ["NG", "RU", "VN", "PK"]', ARRAY['review']);
SELECT fraud_create_rule('disposable', 'bench_det', 'regex_match(".*@(mailinator|guerrillamail|yopmail)\\.com", \$email_address)', ARRAY['block']);
SELECT fraud_create_rule('ofi_high', 'bench_det', '\$bench_ofi_insightscore > 900', ARRAY['block']);
SELECT fraud_create_rule('tfi_high', 'bench_det', '\$bench_tfi_insightscore > 900', ARRAY['block']);
-- version 1: the 3 rules; 2: + ofi_high and the OFI model; 3: + tfi_high and the TFI model
SELECT count(*) FROM fraud_create_detector_version('bench_det', (SELECT jsonb_agg(jsonb_build_object('detectorId', 'bench_det', 'ruleId', r, 'ruleVersion', '1'))
    FROM unnest(ARRAY['big', 'risky_country', 'disposable']) r), rule_execution_mode => 'ALL_MATCHED');
SELECT count(*) FROM fraud_create_detector_version('bench_det', (SELECT jsonb_agg(jsonb_build_object('detectorId', 'bench_det', 'ruleId', r, 'ruleVersion', '1'))
    FROM unnest(ARRAY['big', 'risky_country', 'disposable', 'ofi_high']) r), rule_execution_mode => 'ALL_MATCHED',
    model_versions => '[{"modelId": "bench_ofi", "modelType": "ONLINE_FRAUD_INSIGHTS", "modelVersionNumber": "$version_ofi"}]');
SELECT count(*) FROM fraud_create_detector_version('bench_det', (SELECT jsonb_agg(jsonb_build_object('detectorId', 'bench_det', 'ruleId', r, 'ruleVersion', '1'))
    FROM unnest(ARRAY['big', 'risky_country', 'disposable', 'tfi_high']) r), rule_execution_mode => 'ALL_MATCHED',
    model_versions => '[{"modelId": "bench_tfi", "modelType": "TRANSACTION_FRAUD_INSIGHTS", "modelVersionNumber": "$version_tfi"}]');
SELECT fraud_update_detector_version_status('bench_det', '1', 'ACTIVE');
SQL
# one core: bench_start's PGOPTIONS sets max_parallel_workers_per_gather = 0 (and jit = off) for
# every session; OFFSET 0 keeps each call evaluated once, and counting the flagged events makes
# the outcomes read (a column nothing reads would not be computed at all)
q() { echo "SELECT count(*) FILTER (WHERE cardinality(o) > 0) FROM (SELECT fraud_outcomes('bench_det', ev, '$1') o FROM events1m OFFSET 0) s"; }
# the three in turn, five rounds, the best of each: the machine's speed drifts between runs (a
# shared VM), and interleaving exposes the three to the same drift
in_turn once_ms "3 rules" "$(q 1)" "+ OFI" "$(q 2)" "+ TFI" "$(q 3)"
t_rules=${best[0]}; t_ofi=${best[1]}; t_tfi=${best[2]}
flagged=$(sql -At -F ' / ' -c "SELECT count(*) FILTER (WHERE 'block' = ANY (o2)), count(*) FILTER (WHERE 'block' = ANY (o3))
                              FROM (SELECT fraud_outcomes('bench_det', ev, '2') o2, fraud_outcomes('bench_det', ev, '3') o3
                                    FROM events1m WHERE j <= 100000 OFFSET 0) s")
per() { python3 -c "print(f'{$1 * 1000 / $probe:.2f}')"; }
add_ofi=$(python3 -c "print(f'{($t_ofi - $t_rules) * 1000 / $probe:.2f}')")
add_tfi=$(python3 -c "print(f'{($t_tfi - $t_rules) * 1000 / $probe:.2f}')")

pg_version=$(sql -At -c "SHOW server_version")
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
mem=$(free -g | awk '/^Mem:/ {print $2 " GiB"}')
l=$work/lgbm.json
row() { # key type
  local k=$1 v ts ss auc
  v=train_s_$k; ts=${!v}; v=server_s_$k; ss=${!v}; v=auc_v2_$k; auc=${!v}
  echo "| $2 | $ts s ($ss s by the server) | $(met "$ts <= 20") | $(f3 "$auc") | $(f3 "$(jget "$work/$k.json" "${k}_auc_test")") | $(pct "$(jget "$work/$k.json" "${k}_legit_ge_600")") | $(pct "$(jget "$work/$k.json" "${k}_legit_ge_900")") | $(pct "$(jget "$work/$k.json" "${k}_fraud_ge_900")") |"
}

cat <<TABLE

Machine: $(nproc) CPUs ($cpu), $mem, PostgreSQL $pg_version.
$rows events of $customers customers over 60 days ($(pct "$(jget "$l" fraud_rate)") fraud; import $import_s s), split by time:
$(jget "$l" n_train) train, $(jget "$l" n_validation) validation, $(jget "$l" n_test) test ($n_test_sql found in fraud.events; $(pct "$(jget "$l" fraud_rate_test)") fraud).

| model (test AUC: last 15 % by time) | training: create to TRAINING_COMPLETE | ≤ 20 s | AUC reported (training_result_v2) | AUC of fraud_predict's scores | test legit ≥ 600 | test legit ≥ 900 | test fraud ≥ 900 |
| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |
$(row ofi ONLINE_FRAUD_INSIGHTS)
$(row tfi TRANSACTION_FRAUD_INSIGHTS)
| LightGBM $(jget "$l" lgbm_version), defaults, 100 trees, raw variables (fit on the train part) | $(jget "$l" lgbm_fit_seconds) s fit, $(jget "$l" lgbm_threads) threads | | | $(f3 "$(jget "$l" lgbm_auc_test)") | | | |
| Bayes: the true probabilities | | | | $(f3 "$(jget "$l" bayes_auc_test)") | | | |

$probe events scored with \`fraud_outcomes\` (ALL_MATCHED), best of 5 rounds of the three in turn, one core:

| detector version | ms | per event | model adds | ≤ 5 µs |
| --- | ---: | ---: | ---: | --- |
| 3 rules | $t_rules | $(per "$t_rules") µs | | |
| 3 rules + \`\$bench_ofi_insightscore > 900\` (ONLINE_FRAUD_INSIGHTS) | $t_ofi | $(per "$t_ofi") µs | $add_ofi µs | $(met "$add_ofi <= 5") |
| 3 rules + \`\$bench_tfi_insightscore > 900\` (TRANSACTION_FRAUD_INSIGHTS) | $t_tfi | $(per "$t_tfi") µs | $add_tfi µs | $(met "$add_tfi <= 5") |

Blocked among the first 100,000 events (OFI / TFI version): $flagged.
TABLE
if [ "${KEEP:-0}" = 1 ]; then
  echo "kept: database $db, files in $work"
else
  dropdb "$db"
  rm -rf "$work"
fi
