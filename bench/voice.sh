#!/usr/bin/env bash
# Voice ID benchmark (issue: Voice ID). Builds fraud_detector in release mode, starts a
# throwaway PostgreSQL (or uses PGHOST/PGPORT if BENCH_USE_EXISTING=1), creates a domain of
# dimension 192 holding 100,000 fraudsters (synthetic unit vectors, written straight into the
# catalog tables), then:
#   1. times fraud_voice_evaluate_session against all 100,000 fraudsters (the default
#      watchlist holds them all): the first call of a session (loads the domain's index) and
#      then 300 calls with different callers, each timed inside the server
#   2. runs a fraudster registration job of 10,000 requests (100 of them repeats of fraudsters
#      already registered) with duplicate checking against the whole domain, printing the
#      progress a second session sees every 2 s
# Prints a markdown table for bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_start fraud_bench_voice
domain=$(psql -X -At -v ON_ERROR_STOP=1 -d "$db" -c "SELECT domain_id FROM fraud_voice_create_domain('bench', 192)")
psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<SQL
-- a deterministic pseudo-random voice: speaker k, recording n, noise level
CREATE FUNCTION voice(k int, n int DEFAULT 0, noise real DEFAULT 0) RETURNS real[] LANGUAGE sql IMMUTABLE AS \$\$
  SELECT array_agg(((hashint8(k::bigint * 100003 + i) % 10000) / 10000.0
                    + noise * (hashint8(k::bigint * 7919 + n * 104729 + i::bigint * 15485863) % 10000) / 10000.0)::real ORDER BY i)
  FROM generate_series(1, 192) i \$\$;
INSERT INTO fraud.voice_fraudsters (domain_id, fraudster_id, embedding, speech_seconds)
SELECT '$domain', 'id#' || fraud._voice_new_id(), fraud._voice_normalize('embedding', voice(k), 192), 20
FROM generate_series(1, 100000) k;
INSERT INTO fraud.voice_fraudster_watchlists (domain_id, fraudster_id, watchlist_id)
SELECT '$domain', fraudster_id, fraud._voice_default_watchlist('$domain') FROM fraud.voice_fraudsters;
VACUUM ANALYZE fraud.voice_fraudsters;
SQL
echo "== $(psql -X -At -d "$db" -c "SELECT count(*) FROM fraud.voice_fraudsters") fraudsters in domain $domain"

timings=$(psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" <<SQL
CREATE TEMP TABLE t (i int, ms float8, decision text);
DO \$\$
DECLARE t0 timestamptz; r jsonb;
BEGIN
    -- call 0 is the session's first: it loads the domain's index
    FOR i IN 0..300 LOOP
        t0 := clock_timestamp();
        -- callers 50,000.. are fraudsters (a noisy new recording); the rest are unknown voices
        r := fraud_voice_evaluate_session('$domain', 'call' || i,
                 voice(CASE WHEN i % 3 = 0 THEN 50000 + i ELSE 1000000 + i END, 7, 0.5), 20);
        INSERT INTO t VALUES (i, extract(epoch FROM clock_timestamp() - t0) * 1000, r->'FraudDetectionResult'->>'Decision');
    END LOOP;
END \$\$;
SELECT round((SELECT ms FROM t WHERE i = 0)::numeric, 1),
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 2),
       round(percentile_cont(0.95) WITHIN GROUP (ORDER BY ms)::numeric, 2),
       round(max(ms)::numeric, 2),
       count(*) FILTER (WHERE decision = 'HIGH_RISK'), count(*) FILTER (WHERE decision = 'LOW_RISK'),
       count(*) FILTER (WHERE i % 3 = 0 AND decision = 'HIGH_RISK'), count(*) FILTER (WHERE i % 3 = 0)
FROM t WHERE i > 0;
SQL
)
IFS='|' read -r first p50 p95 pmax high low caught fraud_calls <<<"$timings"
echo "EvaluateSession: first call $first ms; then median $p50 ms, p95 $p95 ms, max $pmax ms over 300 calls"
echo "decisions: $high HIGH_RISK, $low LOW_RISK; fraudster callers caught: $caught of $fraud_calls"

echo "== fraudster registration job: 10,000 requests, 100 of them repeats of registered fraudsters"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "
  CREATE TABLE requests AS
  SELECT 'r' || k AS request_id,
         CASE WHEN k <= 100 THEN voice(k * 997, 3, 0.5) ELSE voice(2000000 + k) END AS embedding,
         20::real AS speech_seconds
  FROM generate_series(1, 10000) k"
job=$(psql -X -At -v ON_ERROR_STOP=1 -d "$db" -c \
  "SELECT job_id FROM fraud_voice_start_fraudster_registration_job('$domain', '{\"S3Uri\": \"requests\"}', 'bench')")
polls=0; seen=0
while :; do
  line=$(psql -X -At -F ' ' -d "$db" -c "SELECT job_status, processed_records_count, total_records_count, job_progress->>'PercentComplete',
             to_char(clock_timestamp() - created_at, 'MI:SS') FROM fraud_voice_describe_fraudster_registration_job('$domain', '$job')")
  polls=$((polls + 1))
  echo "  poll $polls: $line"
  case "$line" in IN_PROGRESS\ [1-9]*) seen=$((seen + 1)) ;; esac
  case "$line" in COMPLETED*|FAILED*) break ;; esac
  sleep 2
done
summary=$(psql -X -At -F '|' -d "$db" -c "
  SELECT round(extract(epoch FROM ended_at - created_at)::numeric, 1), job_status,
         (SELECT count(*) FROM fraud_voice_get_job_results('$domain', '$job') WHERE result->>'RegistrationStatus' = 'NEW_REGISTRATION'),
         (SELECT count(*) FROM fraud_voice_get_job_results('$domain', '$job') WHERE result->>'RegistrationStatus' = 'DUPLICATE_SKIPPED'),
         (SELECT count(*) FROM fraud.voice_fraudsters)
  FROM fraud_voice_describe_fraudster_registration_job('$domain', '$job')")
IFS='|' read -r secs status new dup total <<<"$summary"
echo "registration: $status in $secs s; $new NEW_REGISTRATION, $dup DUPLICATE_SKIPPED; the domain now has $total fraudsters; polls that saw it part-way: $seen"

cat <<TABLE

| Voice ID, 100,000 fraudsters of dimension 192, one core | result | target | |
| --- | ---: | --- | --- |
| EvaluateSession, first call of a session (loads the domain's index) | ${first} ms | | |
| EvaluateSession, median of 300 calls | ${p50} ms | ≤ 20 ms | $(met "$p50 <= 20") |
| EvaluateSession, p95 / max of 300 calls | ${p95} / ${pmax} ms | ≤ 20 ms | $(met "$pmax <= 20") |
| fraudster callers found HIGH_RISK / unknown callers HIGH_RISK | ${caught} of ${fraud_calls} / $((high - caught)) of $((300 - fraud_calls)) | | |
| registration job, 10,000 requests with duplicate checks over the domain | ${secs} s, ${status} | completes, with progress | $(met "'$status' == 'COMPLETED'") |
| its duplicates found (100 planted) | ${dup} DUPLICATE_SKIPPED, ${new} NEW_REGISTRATION | 100 | $(met "$dup == 100") |
TABLE
dropdb "$db"
