#!/usr/bin/env bash
# A maintainer's aid for writing an upgrade script (CONTRIBUTING.md): installs the last release
# (or the version given) and the current build side by side in a throwaway cluster and prints
# the function and comment statements that differ, as a draft of
# sql/fraud_detector--<release>--<version>.sql. Tables, columns, constraints and data moves are
# not drafted (write those by hand, with care for users' rows); tests/upgrade.sh is the judge.
#   bash scripts/upgrade-draft.sh [RELEASE] > draft.sql
set -euo pipefail
export LC_ALL=C  # join and sort must agree on the order
cd "$(dirname "$0")/.."
. scripts/cluster.sh
from=${1:-$(ls sql/releases/fraud_detector--*.sql | sed 's/.*fraud_detector--\(.*\)\.sql$/\1/' | sort -V | tail -n 1)}
install_extension >&2
cluster_start
createdb old; createdb new
# a schema name found nowhere else, so that every use of the API's schema in a function body
# can be written back as @extschema@
psql -X -q -v ON_ERROR_STOP=1 -d old -c 'CREATE SCHEMA "fraud api"' -c "CREATE EXTENSION fraud_detector SCHEMA \"fraud api\" VERSION '$from'"
psql -X -q -v ON_ERROR_STOP=1 -d new -c 'CREATE SCHEMA "fraud api"' -c 'CREATE EXTENSION fraud_detector SCHEMA "fraud api"'

# one line per object: key <TAB> statement (newlines as \001); API functions' schema as @extschema@
objects() {
  psql -X -At -F $'\t' -d "$1" <<'SQL'
WITH ext AS (SELECT oid, extnamespace FROM pg_extension WHERE extname = 'fraud_detector'),
fns AS (
  SELECT p.oid,
         CASE WHEN p.pronamespace = ext.extnamespace THEN '@extschema@.' ELSE 'fraud.' END
           || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS sig
  FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN ext ON d.refobjid = ext.oid)
SELECT 'function ' || sig,
       replace(replace(regexp_replace(pg_get_functiondef(oid), '^CREATE OR REPLACE FUNCTION [^(]+\(',
                                      'CREATE OR REPLACE FUNCTION ' || split_part(sig, '(', 1) || '('),
                       '"fraud api"', '@extschema@'), E'\n', E'\001') || ';'
FROM fns
UNION ALL
SELECT 'comment function ' || sig, format('COMMENT ON FUNCTION %s IS %L;', sig, obj_description(oid, 'pg_proc'))
FROM fns WHERE obj_description(oid, 'pg_proc') IS NOT NULL
UNION ALL
SELECT 'comment table ' || c.oid::regclass, format('COMMENT ON TABLE %s IS %L;', c.oid::regclass, obj_description(c.oid, 'pg_class'))
FROM pg_class c WHERE c.relnamespace = 'fraud'::regnamespace AND c.relkind IN ('r', 'p', 'v') AND obj_description(c.oid, 'pg_class') IS NOT NULL
UNION ALL
SELECT 'comment column ' || c.oid::regclass || '.' || a.attname,
       format('COMMENT ON COLUMN %s.%I IS %L;', c.oid::regclass, a.attname, col_description(c.oid, a.attnum))
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relnamespace = 'fraud'::regnamespace AND c.relkind IN ('r', 'p', 'v') AND col_description(c.oid, a.attnum) IS NOT NULL
ORDER BY 1
SQL
}
old=$(mktemp); new=$(mktemp)
objects old | sort > "$old"; objects new | sort > "$new"
echo "-- draft: $from -> current build; review every statement"
# removed functions (a changed signature shows as one removed and one added)
join -t $'\t' -v 1 "$old" "$new" | awk -F '\t' '$1 ~ /^function / { sub(/^function /, "", $1); print "DROP FUNCTION " $1 ";" }'
# added or changed
join -t $'\t' -a 2 -e MISSING -o 0,1.2,2.2 "$old" "$new" | awk -F '\t' '$2 != $3 { print $3 }' | tr '\001' '\n'
rm -f "$old" "$new"
