#!/usr/bin/env bash
# Pure-Rust GBDT crates against fraud_engine's own GBDT (engine/src/model/gbdt.rs), to choose
# the implementation by measurement. Writes ROWS (default 250,000) events with
# bench/model_data.py (or uses EVENTS=file), builds bench/gbdt_crates/ in release mode (a
# standalone cargo project, not in the workspace; perpetual 2.x needs the nightly toolchain:
# `rustup toolchain install nightly`), and runs it: each model fitted RUNS (default 3) times on
# the first 70 % by time, best fit time, trees, test AUC, single-thread scoring per row, whether
# the fits agree bit for bit; the 1-minute load before each fit. MODELS overrides the list.
# LGBM=1 also runs the LightGBM 4.7 references (defaults, 100 trees): bench/model_lgbm.py (its
# own encoding of the raw variables: whole email address, IP as a number) and
# bench/gbdt_crates/lgbm_same_features.py (exactly the crates' features); LGBM_VENV: a virtual
# environment with lightgbm, numpy and scikit-learn (else model_lgbm.py's default one).
# Results: bench/gbdt_crates/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${ROWS:-250000}
models=${MODELS:-"ours perpetual perpetual-b1.0 perpetual-num perpetual-b1.0-num perpetual-lowcat forust forust-es"}
if [ -z "${EVENTS:-}" ]; then
    work=$(mktemp -d /tmp/fraud_bench_gbdt_crates.XXXXXX)
    EVENTS=$work/events.csv
    python3 bench/model_data.py --rows "$rows" --out "$EVENTS" >&2
fi
echo "== nproc $(nproc); $(uptime)" >&2
(cd bench/gbdt_crates && cargo +nightly build --release --quiet)
# shellcheck disable=SC2086
bench/gbdt_crates/target/release/gbdt_crates "$EVENTS" $models
if [ "${LGBM:-0}" = 1 ]; then
    echo "== LightGBM reference; $(uptime)" >&2
    python3 bench/model_lgbm.py "$EVENTS"
    venv=${LGBM_VENV:-$(python3 -c 'import tempfile; print(tempfile.gettempdir())')/fraud_bench_lgbm_venv}
    echo "== LightGBM on the same features; $(uptime)" >&2
    "$venv/bin/python" bench/gbdt_crates/lgbm_same_features.py "$EVENTS"
    echo "== after LightGBM; $(uptime)" >&2
fi
