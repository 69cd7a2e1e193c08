#!/usr/bin/env bash
# Idempotent: installs what a fresh Debian bookworm machine lacks to build and test fraud_detector.
# Safe to run repeatedly; each step checks before it acts.
set -euo pipefail

PGRX_VERSION=0.18.1
PG_CONFIG=${PG_CONFIG:-/usr/bin/pg_config}
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

need_apt=()
dpkg -s postgresql-server-dev-15 >/dev/null 2>&1 || need_apt+=(postgresql-server-dev-15)
dpkg -s postgresql-15 >/dev/null 2>&1 || need_apt+=(postgresql-15)
dpkg -s postgresql-contrib >/dev/null 2>&1 || need_apt+=(postgresql-contrib)
dpkg -s libclang-dev >/dev/null 2>&1 || need_apt+=(libclang-dev)
dpkg -s sudo >/dev/null 2>&1 || need_apt+=(sudo)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: apt-get install ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! cargo pgrx --version 2>/dev/null | grep -q " $PGRX_VERSION"; then
  echo "setup: cargo install cargo-pgrx $PGRX_VERSION (takes a few minutes)"
  cargo install cargo-pgrx --version "$PGRX_VERSION" --locked --quiet
fi

PGRX_HOME=${PGRX_HOME:-$HOME/.pgrx}
if ! grep -qs "pg15" "$PGRX_HOME/config.toml"; then
  echo "setup: cargo pgrx init --pg15 $PG_CONFIG"
  cargo pgrx init --pg15 "$PG_CONFIG" >/dev/null
fi
echo "setup: ok (cargo-pgrx $(cargo pgrx --version | awk '{print $2}'), $($PG_CONFIG --version))"
