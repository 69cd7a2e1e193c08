#!/usr/bin/env bash
# pg_dump a database holding a full setup, restore it into a fresh database, and require every
# catalog row to come back identical. Expects PGHOST/PGPORT/PGUSER of a running cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
src=fraud_dump_src; dst=fraud_dump_dst
dropdb --if-exists "$src"; dropdb --if-exists "$dst"
createdb "$src"
psql -X -q -v ON_ERROR_STOP=1 -d "$src" -c 'CREATE EXTENSION fraud_detector' -f examples/sample_setup.sql >/dev/null
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
echo "dump_restore: $same tables identical and non-empty, $differ differ"
dropdb "$src"; dropdb "$dst"
[ "$differ" -eq 0 ]
