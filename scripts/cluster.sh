# Sourced by demo.sh and test.sh: a throwaway PostgreSQL 15 cluster in a temp dir, reachable
# only through a Unix socket in that dir (no port clashes, no network). As root, the server
# runs as `postgres` (PostgreSQL refuses root).
PG_CONFIG=${PG_CONFIG:-/usr/bin/pg_config}
PG_BIN=$("$PG_CONFIG" --bindir)

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# cluster_start: sets CLUSTER_DIR, PGHOST, PGPORT, PGUSER; registers a stop on exit.
cluster_start() {
  CLUSTER_DIR=$(mktemp -d /tmp/fraud_detector_pg.XXXXXX)
  [ "$(id -u)" -eq 0 ] && chown postgres: "$CLUSTER_DIR"
  local user; user=$([ "$(id -u)" -eq 0 ] && echo postgres || id -un)
  as_pg "$PG_BIN/initdb" -D "$CLUSTER_DIR/data" -A trust -U "$user" --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
  as_pg "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" -w \
    -o "-c listen_addresses='' -k $CLUSTER_DIR -p 5432 -c fsync=off" start >/dev/null
  export PGHOST=$CLUSTER_DIR PGPORT=5432 PGUSER=$user
  trap cluster_stop EXIT
}

cluster_stop() {
  if [ -n "${CLUSTER_DIR:-}" ] && [ -d "$CLUSTER_DIR/data" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$CLUSTER_DIR"
  fi
}

# install_extension: builds and installs fraud_detector into the server's directories.
install_extension() {
  local sudo_flag="" log
  [ "$(id -u)" -eq 0 ] || sudo_flag="--sudo"
  log=$(mktemp)
  if cargo pgrx install --pg-config "$PG_CONFIG" $sudo_flag > "$log" 2>&1; then
    tail -n 1 "$log"; rm -f "$log"
    # released install scripts (pgrx installs only the current version's and the upgrade
    # scripts): the upgrade test installs old versions from them
    ${sudo_flag:+sudo} cp sql/releases/fraud_detector--*.sql "$("$PG_CONFIG" --sharedir)/extension/"
  else
    grep -vE '^\s+(Compiling|Checking)' "$log" | tail -n 40; rm -f "$log"
    return 1
  fi
}
