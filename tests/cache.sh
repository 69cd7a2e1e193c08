#!/usr/bin/env bash
# The per-session memory of the compiled-detector cache (src/cache.rs; docs/sql-reference.md,
# "The cache of compiled versions"), measured from outside the cache's own accounting: the
# anonymous resident memory (RssAnon) a backend gains while it scores. Each check runs in a new
# session and compares with a bound of 16 MB that the cache as it was (results capped by count,
# not bytes; versions never evicted; a copy of each list per version) exceeded several times
# over (57, 80 and 35 MB):
# * results: 1,001 distinct ALL_MATCHED results of up to ~100 kB each with an 8 MB budget;
# * lists: 20 versions of a detector that all use one 100,000-element list, each scored once;
# * versions: 20 versions, each with its own 40,000-element list, with an 8 MB budget.
# Building a version and rendering a result take transient memory the allocator keeps, so each
# check first does part of the work (the high-water mark of that transient memory is reached)
# and measures only the rest: what the cache keeps. Memory bounds, not timings: each leaves
# room for allocator slack. Expects PGHOST/PGPORT/PGUSER
# of a running cluster (scripts/cluster.sh) and a superuser (pg_read_file of /proc); prints
# "cache: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/cluster.sh
db=fraud_cache
dropdb --if-exists "$db" >/dev/null 2>&1
createdb "$db"
trap 'dropdb --if-exists "$db" >/dev/null 2>&1' EXIT

passed=0; failed=0
check() { # name condition(true|false) detail
  if [ "$2" = t ]; then passed=$((passed + 1)); echo "ok   $1 ($3)"
  else failed=$((failed + 1)); echo "FAIL $1 ($3)"; fi
}
sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@" 2>&1; }

sql <<'SQL' >/dev/null || { echo "setup failed"; echo "cache: 0 passed, 1 failed"; exit 1; }
CREATE EXTENSION fraud_detector;
SELECT fraud_put_entity_type('customer');
SELECT fraud_create_variable('amount', 'FLOAT', 'EVENT', '0');
SELECT fraud_create_variable('email', 'STRING', 'EVENT', '');
SELECT fraud_put_event_type('payment', ARRAY['amount', 'email'], ARRAY['customer']);
SELECT fraud_put_outcome('review');
-- 1,000 ALL_MATCHED rules with 64-character ids: amount a matches a - 1 of them, so each amount
-- has its own result, of up to ~100 kB
SELECT fraud_put_detector('many', 'payment');
SELECT count(fraud_create_rule(lpad(i::text, 64, 'r'), 'many', '$amount > ' || i, ARRAY['review']))
FROM generate_series(1, 1000) i;
SELECT count(*) FROM fraud_create_detector_version('many',
    (SELECT jsonb_agg(jsonb_build_object('detectorId', 'many', 'ruleId', lpad(i::text, 64, 'r'), 'ruleVersion', '1') ORDER BY i)
     FROM generate_series(1, 1000) i), rule_execution_mode => 'ALL_MATCHED');
SELECT fraud_update_detector_version_status('many', '1', 'ACTIVE');
-- warms a session up: the library loaded, a first version compiled
SELECT fraud_put_detector('tiny', 'payment');
SELECT count(*) FROM fraud_create_detector_version('tiny', jsonb_build_array(
    fraud_create_rule('small', 'tiny', '$amount > 1', ARRAY['review'])));
SELECT fraud_update_detector_version_status('tiny', '1', 'ACTIVE');
-- 20 versions of one detector, all testing one 100,000-element list; 20 versions of another,
-- each with its own 40,000-element list
SELECT fraud_create_list('big', (SELECT array_agg('user' || i || '@example.com') FROM generate_series(1, 100000) i));
SELECT fraud_put_detector('shared', 'payment');
SELECT fraud_put_detector('own', 'payment');
DO $$
DECLARE r jsonb;
BEGIN
    r := fraud_create_rule('member', 'shared', '$email in @big and $amount > 0', ARRAY['review']);
    FOR v IN 1..20 LOOP
        PERFORM fraud_create_detector_version('shared', jsonb_build_array(r));
        r := fraud_update_rule_version(r, '$email in @big and $amount > ' || v, ARRAY['review']);
        PERFORM fraud_create_list('own' || v, (SELECT array_agg(v || '-' || i || '@example.com') FROM generate_series(1, 40000) i));
        PERFORM fraud_create_detector_version('own', jsonb_build_array(
            fraud_create_rule('own' || v, 'own', '$email in @own' || v, ARRAY['review'])));
    END LOOP;
END $$;
SQL

# One session: warm up and run $1, measure, run $2, measure again (outputs discarded); prints
# the growth of RssAnon in kB between the two measures, then what $3 selects. $1 does the same
# work as $2, so the allocator's high-water mark from building and rendering is reached before
# the first measure: the growth is what $2 keeps.
grows() { # first_sql then_sql after_sql
  sql <<SQL
\o /dev/null
SELECT fraud_outcomes('tiny', '{"amount": 0}');
$1
CREATE TEMP TABLE rss AS SELECT (regexp_match(pg_read_file('/proc/self/status'), 'RssAnon:\s+(\d+)'))[1]::bigint AS kb;
$2
\o
SELECT (regexp_match(pg_read_file('/proc/self/status'), 'RssAnon:\s+(\d+)'))[1]::bigint - kb FROM rss;
$3
SQL
}

echo "== 1,001 distinct results of up to ~100 kB, budget 8 MB: growth from the 401st to the last"
results() { echo "SELECT count(fraud_predict('many', jsonb_build_object('amount', a))) FROM generate_series($1, $2) a;"; }
read -r growth usage < <(grows "SET fraud_detector.cache_size = '8MB'; $(results 1 400)" "$(results 401 1001)" \
  "SELECT bytes || '/' || budget || ',' || answers FROM fraud._cache_usage();" | paste -sd' ')
echo "RssAnon grew by $growth kB; cache bytes/budget,results: $usage"
check "results: the session keeps no more results past the budget" \
  "$([ "${growth:-999999}" -lt $((16 * 1024)) ] && echo t || echo f)" "grew ${growth} kB, bound 16384"

echo "== 20 versions sharing one 100,000-element list: growth from the 6th to the 20th"
versions() { echo "SELECT count(fraud_outcomes('$1', '{\"email\": \"user7@example.com\"}', v::text)) FROM generate_series($2, $3) v;"; }
read -r growth usage < <(grows "$(versions shared 1 5)" "$(versions shared 6 20)" \
  "SELECT versions || ',' || lists || ',' || bytes FROM fraud._cache_usage();" | paste -sd' ')
echo "RssAnon grew by $growth kB; cache versions,lists,bytes: $usage"
check "lists: 15 more versions add no copy of their list" \
  "$([ "${growth:-999999}" -lt $((16 * 1024)) ] && echo t || echo f)" "grew ${growth} kB, bound 16384 (a copy is ~5 MB)"
check "lists: the cache keeps 21 versions (tiny and 20) and one list" \
  "$([ "$(echo "$usage" | cut -d, -f1-2)" = 21,1 ] && echo t || echo f)" "$usage"

echo "== 20 versions with a 40,000-element list each, budget 8 MB: growth from the 6th to the 20th"
read -r growth usage < <(grows "SET fraud_detector.cache_size = '8MB'; $(versions own 1 5)" "$(versions own 6 20)" \
  "SELECT versions || ',' || lists || ',' || bytes FROM fraud._cache_usage();" | paste -sd' ')
echo "RssAnon grew by $growth kB; cache versions,lists,bytes: $usage"
check "versions: the least recently used are evicted past the budget" \
  "$([ "${growth:-999999}" -lt $((16 * 1024)) ] && echo t || echo f)" "grew ${growth} kB, bound 16384 (15 versions are ~35 MB)"

echo "cache: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
