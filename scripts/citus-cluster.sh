# Sourced by tests/citus.sh and bench/citus.sh (after scripts/cluster.sh): a throwaway Citus
# cluster of a coordinator and two workers on 127.0.0.1, each a PostgreSQL 15 with Citus
# preloaded, reachable through TCP (Citus connects to the nodes by host and port) and a Unix
# socket in CITUS_DIR. Builds and installs the vendored Citus 13.2 when it is not installed.

# citus_install: Citus 13.2 in the server's directories, built by the vendored build script
# (CITUS_BUILD, else /work/shared/vendor/build-citus.sh, else ../shared/vendor/ beside this
# repository), which does nothing when it is installed already. Without a build script, an
# installed Citus 13.2 is used as it is.
citus_install() {
  local script
  for script in "${CITUS_BUILD:-}" /work/shared/vendor/build-citus.sh "$(pwd)/../shared/vendor/build-citus.sh"; do
    [ -n "$script" ] && [ -f "$script" ] && break
    script=""
  done
  if [ -z "$script" ]; then
    grep -qs "default_version = '13.2" "$("$PG_CONFIG" --sharedir)/extension/citus.control" && return 0
    echo "Citus 13.2 is not installed and no build script was found (set CITUS_BUILD)"; return 1
  fi
  bash "$script" > /tmp/fraud_detector_citus_build.log 2>&1 || { tail -20 /tmp/fraud_detector_citus_build.log; return 1; }
}

# citus_start: sets CITUS_DIR, CITUS_PORTS (coordinator first) and COORD; registers a stop on exit
citus_start() {
  CITUS_DIR=$(mktemp -d /tmp/fraud_detector_citus.XXXXXX)
  [ "$(id -u)" -eq 0 ] && chown postgres: "$CITUS_DIR"
  local base=$((56000 + RANDOM % 2000)) p
  while "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p $base || "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p $((base + 1)) \
        || "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p $((base + 2)); do base=$((base + 3)); done
  CITUS_PORTS=($base $((base + 1)) $((base + 2)))
  COORD=$base
  trap citus_stop EXIT
  for p in "${CITUS_PORTS[@]}"; do citus_node "$p" || return 1; done
  export PGHOST=$CITUS_DIR PGUSER=postgres
}

# citus_node port: a new node of the cluster on that port, started (not yet added to Citus)
citus_node() {
  as_pg "$PG_BIN/initdb" -D "$CITUS_DIR/$1" -A trust -U postgres --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
  cat >> "$CITUS_DIR/$1/postgresql.conf" <<CONF
shared_preload_libraries = 'citus'
listen_addresses = '127.0.0.1'
port = $1
unix_socket_directories = '$CITUS_DIR'
fsync = off
max_prepared_transactions = 100
${CITUS_CONF:-}
CONF
  as_pg "$PG_BIN/pg_ctl" -D "$CITUS_DIR/$1" -l "$CITUS_DIR/$1.log" -w start >/dev/null || { cat "$CITUS_DIR/$1.log"; return 1; }
}

citus_stop() {
  local p
  for p in "${CITUS_PORTS[@]}"; do as_pg "$PG_BIN/pg_ctl" -D "$CITUS_DIR/$p" -m fast -w stop >/dev/null 2>&1; done
  rm -rf "$CITUS_DIR"
}

# cq port db psql-args...: one psql session, unaligned output, stops at the first error
cq() {
  local p=$1 d=$2; shift 2
  PGOPTIONS='-c citus.enable_unsupported_feature_messages=off' \
    psql -X -q -At -v ON_ERROR_STOP=1 -p "$p" -d "$d" "$@" 2>&1
}

# citus_db db: the database on every node, with Citus, the workers registered on the coordinator
citus_db() {
  local p
  for p in "${CITUS_PORTS[@]}"; do
    cq "$p" postgres -c "CREATE DATABASE $1" >/dev/null || return 1
    cq "$p" "$1" -c "CREATE EXTENSION citus" >/dev/null || return 1
  done
  cq "$COORD" "$1" -c "SELECT citus_set_coordinator_host('127.0.0.1', $COORD)" \
    -c "SELECT citus_add_node('127.0.0.1', ${CITUS_PORTS[1]})" -c "SELECT citus_add_node('127.0.0.1', ${CITUS_PORTS[2]})" >/dev/null
}
