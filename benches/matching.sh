#!/usr/bin/env bash
# Matching speed: a matching run of twenty programmes (the shipped catalogue and three
# generated rules) over a synthetic population with facts, against the same rules compiled to
# SQL and run in DuckDB (from PyPI) on the same data, in the same script.
#
#   benches/matching.sh [PERSONS]   (default 100000; the goal is stated for 1000000)
#
# Pintu: `pintu bench matching` loads the people, gives them facts and enrolments, and times
# `run_matching` (queries, ranking, quotas, the lists written) on SQLite and on PostgreSQL
# (a throwaway cluster, see benches/pg.sh; PINTU_BENCH_PG_URL names an empty database instead). DuckDB: benches/duckdb_matching.py loads the
# exported tables and runs each programme's query; the counts must equal Pintu's.
set -euo pipefail
cd "$(dirname "$0")/.."
persons="${1:-100000}"
cargo build --release --locked -q
bin="$(realpath "${CARGO_TARGET_DIR:-target}/release/pintu")"
venv="${PINTU_SPLINK_VENV:-$HOME/.cache/pintu-splink}"
if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c "import duckdb" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q duckdb
fi
export_dir="pintu-data/bench-matching"
rm -rf "$export_dir"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; people: $persons"

echo "== Pintu (SQLite)"
PINTU_LOG=warn "$bin" bench matching --persons "$persons" --export "$export_dir" 2>/dev/null
echo "== Pintu (PostgreSQL)"
source benches/pg.sh
PINTU_LOG=warn "$bin" bench matching --persons "$persons" --target "$pg_url" 2>/dev/null | tail -1
echo "== DuckDB"
"$venv/bin/python" benches/duckdb_matching.py "$export_dir"
