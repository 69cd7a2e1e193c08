#!/usr/bin/env bash
# Upgrades (docs/upgrading.md). For every released version V (sql/releases/fraud_detector--V.sql):
# install V with this tree's library, fill it with a user's state (the sample detector, stored
# events, a finished job, a Voice ID domain with fraudsters), ALTER EXTENSION ... UPDATE to the
# version this tree builds, and require
#   - the user's rows (every column they had) and predictions to be unchanged, and
#   - the extension's objects to equal a fresh install's: pg_dump --schema-only of both (every
#     table, column, constraint, index, trigger, function body and property, grant, comment),
#     plus the tables registered for pg_dump.
# A change of an SQL object without its upgrade script fails here. The checker itself is tested:
# a fresh install with one object changed (a function body, a function property, a comment, a
# column) must be reported as different.
# Expects PGHOST/PGPORT/PGUSER of a running cluster (scripts/cluster.sh); prints
# "upgrade: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/fraud_detector_upgrade.XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0; failed=0
pass() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
sql() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
# Every database here installs the extension into a schema whose name needs quoting, so an
# upgrade script that hard-codes `public`, or quotes a name wrongly, shows as a difference.
api='"fraud api"'
newdb() { # db: a database whose sessions find the API and the user's schema `app`
  dropdb --if-exists "$1" >/dev/null 2>&1
  createdb "$1" && sql -d "$1" -c "CREATE SCHEMA $api; CREATE SCHEMA app; ALTER DATABASE $1 SET search_path = app, $api, public"
}

current=$(sed -n "s/^default_version = '\(.*\)'$/\1/p" fraud_detector.control)
crate=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
if [ -n "$current" ] && [ "$current" = "$crate" ]; then
  pass "fraud_detector.control default_version ($current) is Cargo.toml's version"
else
  fail "fraud_detector.control default_version '$current' differs from Cargo.toml's '$crate'"
fi

# The extension's objects as pg_dump shows them. pg_dump leaves extension members out, so the
# (throwaway) database's membership links are removed first; blocks are sorted so that the
# order in which objects were created does not matter, only what they are.
schema_dump() { # db file
  sql -d "$1" -c "DELETE FROM pg_depend WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
                   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'fraud_detector')" || return 1
  # (\restrict lines carry a random key per run)
  pg_dump --schema-only --exclude-schema=app -d "$1" | grep -vE '^\\(un)?restrict ' |
    awk '/^-- Name: /{ if (b != "") print b; b = $0; next } b != "" { b = b "\001" $0 } END { print b }' |
    sort | tr '\001' '\n' > "$2" || return 1
  # a dump that failed, or printed nothing of ours, must not compare equal to another such dump
  grep -q '^-- Name: rules; Type: TABLE; Schema: fraud' "$2" || { echo "no usable pg_dump output for $1"; return 1; }
  # what pg_dump keeps of the extension itself: the tables it dumps the rows of
  psql -X -At -d "$1" -c "SELECT 'extconfig: ' || c::regclass::text || ' ' || coalesce(w, '')
                          FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS x(c, w)
                          WHERE e.extname = 'fraud_detector' ORDER BY 1" >> "$2"
}

# What a user sees of their data: every row of every fraud.* table (restricted to the columns
# the old version had, so an upgrade may add columns) and the answers of the prediction API.
snapshot() { # db file
  sql -d "$1" -At > "$2" <<'SQL'
SELECT format('SELECT %L, count(*), md5(coalesce(string_agg(r::text, E''\n'' ORDER BY r::text), '''')) FROM (SELECT %s FROM fraud.%I) r',
              relname, cols, relname)
FROM app.upgrade_columns ORDER BY relname \gexec
BEGIN;  -- anything below that records something is rolled back
SELECT fraud_predict('new_account_detector', e), fraud_outcomes('new_account_detector', e),
       fraud_explain('new_account_detector', e), fraud_outcomes('new_account_detector', e, '1')
FROM (VALUES ('{"email_address": "x@fraud.example", "order_price": 20}'::jsonb),
             ('{"order_price": 800, "account_age_days": 2}'), ('{"order_price": 1500}'),
             ('{"ip_address": "203.0.113.7"}'), ('{}')) v(e);
SELECT fraud_get_event_prediction('new_account_detector', 'u1', 'registration', '[{"entityType": "customer", "entityId": "c7"}]',
                                  '2024-06-01T12:00:00Z', '{"order_price": "700", "account_age_days": "1"}')::text;
SELECT fraud_voice_evaluate_session(domain_id, 'call-u', ARRAY[2, 2, 2, 2, 1]::real[], 12, speaker_id => 'cust1')
       -> 'FraudDetectionResult' -> 'RiskDetails', event_id
FROM fraud.voice_domains, (SELECT event_id FROM fraud_get_event('e1', 'registration')) e;
ROLLBACK;
SQL
}

releases=$(ls sql/releases/fraud_detector--*.sql 2>/dev/null | sed 's/.*fraud_detector--\(.*\)\.sql$/\1/' | sort -V)
[ -n "$releases" ] || fail "no released install script in sql/releases/"

# a fresh install of the current version, the reference every upgrade must reach
if newdb fraud_upgrade_fresh && sql -d fraud_upgrade_fresh -c "CREATE EXTENSION fraud_detector SCHEMA $api" && schema_dump fraud_upgrade_fresh "$work/fresh.sql"; then
  pass "fresh install of $current"
else
  fail "fresh install of $current"
fi

for v in $releases; do
  db="fraud_upgrade_from_${v//./_}"
  newdb "$db"
  # the released script with this library: every C symbol a released script names still exists
  if ! sql -d "$db" -c "CREATE EXTENSION fraud_detector SCHEMA $api VERSION '$v'" >/dev/null; then
    fail "$v: installing the released script with this build's library"; continue
  fi
  pass "$v: installs with this build's library"
  if [ "$v" = "$current" ]; then
    # a released version's script is frozen: the tree must still build exactly that
    schema_dump "$db" "$work/$v.sql"
    if diff -u "$work/$v.sql" "$work/fresh.sql" > "$work/$v.diff"; then pass "$v: released script equals this build's"
    else fail "$v is released but this build's install script differs (bump the version and add an upgrade script):"; head -60 "$work/$v.diff"; fi
    dropdb "$db"; continue
  fi
  if sql -d "$db" -f examples/sample_setup.sql -f tests/fixtures/full_state.sql >/dev/null &&
     sql -d "$db" -c "CREATE TABLE app.upgrade_columns AS
        SELECT c.relname, string_agg(quote_ident(a.attname)
                 -- an oid column may become a reg* type (jobs.owner: regrole), the same value shown by name
                 || CASE WHEN a.atttypid = 'oid'::regtype THEN '::oid' ELSE '' END, ', ' ORDER BY a.attnum) AS cols
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE n.nspname = 'fraud' AND c.relkind IN ('r', 'p') GROUP BY c.relname" &&
     snapshot "$db" "$work/$v.before"; then
    pass "$v: a user's definitions, events, a finished job and a Voice ID domain"
  else
    fail "$v: building the user's state"; continue
  fi
  if sql -d "$db" -c 'ALTER EXTENSION fraud_detector UPDATE' &&
     [ "$(psql -X -At -d "$db" -c "SELECT extversion FROM pg_extension WHERE extname = 'fraud_detector'")" = "$current" ]; then
    pass "$v: ALTER EXTENSION fraud_detector UPDATE reaches $current"
  else
    fail "$v: ALTER EXTENSION fraud_detector UPDATE does not reach $current"; continue
  fi
  snapshot "$db" "$work/$v.after"
  if [ -s "$work/$v.before" ] && diff -u "$work/$v.before" "$work/$v.after"; then
    pass "$v: every stored row and every prediction unchanged ($(grep -c . "$work/$v.before") lines compared)"
  else
    fail "$v: stored rows or predictions changed by the upgrade"
  fi
  schema_dump "$db" "$work/$v.sql"
  if diff -u "$work/fresh.sql" "$work/$v.sql" > "$work/$v.diff"; then
    pass "$v -> $current: the upgraded objects equal a fresh install ($(grep -c '^-- Name: ' "$work/fresh.sql") objects)"
  else
    fail "$v -> $current: the upgrade script does not reach a fresh install (- fresh, + upgraded):"
    head -80 "$work/$v.diff"
  fi
  dropdb "$db"
done

# The checker catches each kind of change an upgrade script could miss.
i=0
while IFS= read -r change; do
  i=$((i + 1)); db=fraud_upgrade_changed
  rm -f "$work/changed.sql"
  if ! { newdb "$db" && sql -d "$db" -c "CREATE EXTENSION fraud_detector SCHEMA $api" -c "$change" >/dev/null &&
         schema_dump "$db" "$work/changed.sql"; }; then
    fail "could not make the change: $change"
  elif ! diff -q "$work/fresh.sql" "$work/changed.sql" >/dev/null; then
    pass "the checker reports a change without upgrade script: $change"
  else
    fail "the checker missed: $change"
  fi
  dropdb "$db"
done <<EOF
CREATE OR REPLACE FUNCTION fraud._check_description(field text, value text) RETURNS void LANGUAGE sql IMMUTABLE AS \$\$ SELECT \$\$
ALTER FUNCTION fraud._check_description(text, text) STABLE
COMMENT ON TABLE fraud.rules IS 'changed'
ALTER TABLE fraud.rules ADD COLUMN added int
EOF
dropdb fraud_upgrade_fresh
echo "upgrade: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
