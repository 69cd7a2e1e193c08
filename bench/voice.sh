#!/usr/bin/env bash
# Voice ID benchmark (issue: Voice ID). Builds fraud_detector in release mode, starts a
# throwaway PostgreSQL (or uses PGHOST/PGPORT if BENCH_USE_EXISTING=1), creates a domain of
# dimension 192 holding 100,000 fraudsters (synthetic unit vectors, written straight into the
# catalog tables; all in the default watchlist, the first 500 and 10,000 also in watchlists of
# their own), then:
#   1. for watchlists of 500, 10,000 and 100,000 voices: times fraud_voice_evaluate_session
#      (the first call of the session loads the domain's index) and then 300 calls with
#      different callers, each timed inside the server; every third caller is a fraudster of
#      that watchlist (a noisy new recording), the others are unknown voices: how many of each
#      come out HIGH_RISK (targets: unknown <= 1 %, fraudsters >= 99 %)
#   2. times the first fraud_voice_evaluate_session of three new backends, one after the other
#      (the index file already written by earlier backends), with each backend's own
#      (anonymous) memory before and after (/proc/self/smaps_rollup): the cold start, and
#      whether the backend holds a copy; then of two backends with the index files off (each
#      loads its own copy: the behaviour before the files)
#   3. runs a fraudster registration job of 10,000 requests (100 of them repeats of fraudsters
#      already registered) with duplicate checking against the whole domain, printing the
#      progress a second session sees every 2 s, and its rate
#   4. runs a registration job of 20,000 new voices into an empty domain (it grows to 20,000)
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
SELECT '$domain', 'id#' || lpad(k::text, 22, '0'), fraud._voice_normalize('embedding', voice(k), 192), 20
FROM generate_series(1, 100000) k;
INSERT INTO fraud.voice_fraudster_watchlists (domain_id, fraudster_id, watchlist_id)
SELECT '$domain', fraudster_id, fraud._voice_default_watchlist('$domain') FROM fraud.voice_fraudsters;
SELECT watchlist_id AS w500 FROM fraud_voice_create_watchlist('$domain', 'w500') \\gset
SELECT watchlist_id AS w10k FROM fraud_voice_create_watchlist('$domain', 'w10k') \\gset
-- fraudster id#000...k is speaker k: watchlists of the first 500 and 10,000 speakers
INSERT INTO fraud.voice_fraudster_watchlists (domain_id, fraudster_id, watchlist_id)
SELECT '$domain', 'id#' || lpad(k::text, 22, '0'), w.id
FROM (VALUES (:'w500', 500), (:'w10k', 10000)) w(id, size), generate_series(1, w.size) k;
VACUUM ANALYZE fraud.voice_fraudsters;
SQL
echo "== $(psql -X -At -d "$db" -c "SELECT count(*) FROM fraud.voice_fraudsters") fraudsters in domain $domain"

# coldstart FILES: a new backend's first fraud_voice_evaluate_session over the 100,000-voice
# watchlist (after other backends have built the domain's index), with
# fraud_detector.voice_index_files = FILES, timed inside the server, and the backend's memory
# from /proc/self/smaps_rollup before and after: Anonymous (its own heap: what a copy of the
# index per backend takes) and Rss (with the pages of the mapped file, which every backend
# shares through the page cache); prints ms|anonymous MB before|after|rss MB after
coldstart() {
  psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" <<SQL
SET fraud_detector.voice_index_files = $1;
CREATE TEMP TABLE m (at text, private_kb bigint, rss_kb bigint);
CREATE FUNCTION pg_temp.mem(at text) RETURNS void LANGUAGE sql AS \$\$
  INSERT INTO m SELECT at,
    (SELECT sum((regexp_match(l, '(\\d+) kB'))[1]::bigint) FROM regexp_split_to_table(f, E'\\n') l WHERE l ~ '^Anonymous:'),
    (SELECT (regexp_match(l, '(\\d+) kB'))[1]::bigint FROM regexp_split_to_table(f, E'\\n') l WHERE l ~ '^Rss:')
  FROM pg_read_file('/proc/self/smaps_rollup') f \$\$;
SELECT pg_temp.mem('before');
CREATE TEMP TABLE c (ms float8);
DO \$\$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
    PERFORM fraud_voice_evaluate_session('$domain', 'cold' || pg_backend_pid(), voice(5, 7, 0.5), 20);
    INSERT INTO c VALUES (extract(epoch FROM clock_timestamp() - t0) * 1000);
END \$\$;
SELECT pg_temp.mem('after');
SELECT round(ms::numeric, 1) || '|' || (SELECT round(private_kb / 1024.0) FROM m WHERE at = 'before')
       || '|' || (SELECT round(private_kb / 1024.0) FROM m WHERE at = 'after')
       || '|' || (SELECT round(rss_kb / 1024.0) FROM m WHERE at = 'after') FROM c;
SQL
}

# evaluate SIZE WATCHLIST_ID: 300 timed calls against one watchlist (call 0, the first of
# the session, loads the domain's index); prints first|p50|p95|max|unknown flagged|fraudsters caught
evaluate() {
  psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" <<SQL
CREATE TEMP TABLE t (i int, ms float8, fraudster bool, decision text);
DO \$\$
DECLARE t0 timestamptz; r jsonb;
BEGIN
    FOR i IN 0..300 LOOP
        t0 := clock_timestamp();
        -- every third caller is a fraudster of the watchlist (speakers 1..$1, spread out, a
        -- noisy new recording); the others are unknown voices
        r := fraud_voice_evaluate_session('$domain', 'call$1-' || i,
                 voice(CASE WHEN i % 3 = 0 THEN 1 + (i * 7919) % $1 ELSE 1000000 + i END, 7, 0.5), 20,
                 watchlist_id => '$2');
        INSERT INTO t VALUES (i, extract(epoch FROM clock_timestamp() - t0) * 1000, i % 3 = 0,
                              r->'FraudDetectionResult'->>'Decision');
    END LOOP;
END \$\$;
SELECT round((SELECT ms FROM t WHERE i = 0)::numeric, 1),
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 2),
       round(percentile_cont(0.95) WITHIN GROUP (ORDER BY ms)::numeric, 2),
       round(max(ms)::numeric, 2),
       count(*) FILTER (WHERE NOT fraudster AND decision = 'HIGH_RISK'),
       count(*) FILTER (WHERE fraudster AND decision = 'HIGH_RISK')
FROM t WHERE i > 0;
SQL
}
# the server's first search of the domain: a full load, then the index file written (every
# later backend maps it)
first_load=$(psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" <<SQL
CREATE TEMP TABLE c (ms float8);
DO \$\$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
    PERFORM fraud._voice_nearest('$domain', fraud._voice_normalize('e', voice(5, 7, 0.5), 192), NULL);
    INSERT INTO c VALUES (extract(epoch FROM clock_timestamp() - t0) * 1000);
END \$\$;
SELECT round(ms::numeric, 1) FROM c;
SQL
)
echo "the server's first search of the domain (full load, index file written): $first_load ms"
rows="| the server's first search of the domain: a full load, and the index file written | ${first_load} ms | | |
"
for size in 500 10000 100000; do
  case $size in
    500) w=$(psql -X -At -d "$db" -c "SELECT watchlist_id FROM fraud_voice_list_watchlists('$domain') WHERE name = 'w500'") ;;
    10000) w=$(psql -X -At -d "$db" -c "SELECT watchlist_id FROM fraud_voice_list_watchlists('$domain') WHERE name = 'w10k'") ;;
    *) w=$(psql -X -At -d "$db" -c "SELECT fraud._voice_default_watchlist('$domain')") ;;
  esac
  shift_cos=$(psql -X -At -d "$db" -c "SELECT round(fraud._voice_score_shift('$domain', '$w', 0.35)::numeric, 4)")
  IFS='|' read -r first p50 p95 pmax flagged caught <<<"$(evaluate "$size" "$w")"
  echo "watchlist of $size: first call $first ms; median $p50 ms, p95 $p95 ms, max $pmax ms over 300 calls;" \
       "unknown flagged $flagged of 200, fraudsters caught $caught of 100 (cosine shift $shift_cos)"
  rows+="| watchlist of $size: EvaluateSession first call / median / p95 / max | ${first} / ${p50} / ${p95} / ${pmax} ms | median ≤ 20 ms | $(met "$p50 <= 20") |
| watchlist of $size: unknown callers HIGH_RISK (cosine shift $shift_cos) | ${flagged} of 200 | ≤ 1 % | $(met "$flagged <= 2") |
| watchlist of $size: fraudster callers HIGH_RISK | ${caught} of 100 | ≥ 99 % | $(met "$caught >= 99") |
"
done

echo "== cold start: a new backend's first EvaluateSession, three new backends one after the other,"
echo "   sharing the index file; then two loading their own copy (fraud_detector.voice_index_files = off)"
cold_rows=""
for b in 1 2 3 4 5; do
  files=on; [ "$b" -gt 3 ] && files=off
  IFS='|' read -r cms pbefore pafter rss <<<"$(coldstart $files | tail -n 1)"
  echo "backend $b (index files $files): first call $cms ms; anonymous memory $pbefore MB before, $pafter MB after (rss $rss MB)"
  target="≤ 50 ms"; verdict=$(met "$cms <= 50")
  [ "$files" = off ] && target="(the alternative: a copy per backend)" && verdict=""
  cold_rows+="| new backend $b, index files $files: first EvaluateSession (100,000 voices) / own memory before → after (rss after) | ${cms} ms / ${pbefore} → ${pafter} MB (${rss} MB) | ${target} | ${verdict} |
"
done

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
rate=$(python3 -c "print(round(10000 / $secs))")
echo "registration: $rate requests per second;"
echo "registration: $status in $secs s; $new NEW_REGISTRATION, $dup DUPLICATE_SKIPPED; the domain now has $total fraudsters; polls that saw it part-way: $seen"

echo "== fraudster registration job into an empty domain: 20,000 new voices"
edomain=$(psql -X -At -v ON_ERROR_STOP=1 -d "$db" -c "SELECT domain_id FROM fraud_voice_create_domain('empty', 192)")
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "
  CREATE TABLE requests_empty AS
  SELECT 'e' || k AS request_id, voice(3000000 + k) AS embedding, 20::real AS speech_seconds
  FROM generate_series(1, 20000) k"
ejob=$(psql -X -At -v ON_ERROR_STOP=1 -d "$db" -c \
  "SELECT job_id FROM fraud_voice_start_fraudster_registration_job('$edomain', '{\"S3Uri\": \"requests_empty\"}', 'bench-empty')")
while :; do
  st=$(psql -X -At -d "$db" -c "SELECT job_status FROM fraud_voice_describe_fraudster_registration_job('$edomain', '$ejob')")
  case "$st" in COMPLETED*|FAILED*) break ;; esac
  sleep 1
done
IFS='|' read -r esecs enew <<<"$(psql -X -At -F '|' -d "$db" -c "
  SELECT round(extract(epoch FROM ended_at - created_at)::numeric, 1),
         (SELECT count(*) FROM fraud_voice_get_job_results('$edomain', '$ejob') WHERE result->>'RegistrationStatus' = 'NEW_REGISTRATION')
  FROM fraud_voice_describe_fraudster_registration_job('$edomain', '$ejob')")"
erate=$(python3 -c "print(round(20000 / $esecs))")
echo "registration into an empty domain: $st in $esecs s, $erate per second; $enew NEW_REGISTRATION"

cat <<TABLE

| Voice ID, 100,000 fraudsters of dimension 192, one core | result | target | |
| --- | ---: | --- | --- |
${rows}${cold_rows}| registration job, 10,000 requests with duplicate checks over the domain | ${secs} s, ${status}, ${rate} per second | completes, with progress | $(met "'$status' == 'COMPLETED'") |
| its duplicates found (100 planted) | ${dup} DUPLICATE_SKIPPED, ${new} NEW_REGISTRATION | 100 | $(met "$dup == 100") |
| registration job into an empty domain, 20,000 requests | ${esecs} s, ${st}, ${erate} per second | | |
TABLE
dropdb "$db"
