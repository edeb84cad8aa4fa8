#!/usr/bin/env bash
# Bulk load of synthetic people into SQLite and PostgreSQL, each against the backend's own
# fastest raw load of the same rows into a bare table (see `pintu bench load`).
#
#   benches/load.sh [PERSONS]        (default 1000000)
#
# PostgreSQL: a throwaway cluster is started with initdb/pg_ctl (as the postgres user when
# run as root) unless PINTU_BENCH_PG_URL names an empty database.
set -euo pipefail
cd "$(dirname "$0")/.."
persons="${1:-1000000}"
cargo build --release --locked -q
bin="$(realpath "${CARGO_TARGET_DIR:-target}/release/pintu")"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -m)"

echo "== SQLite"
"$bin" bench load --persons "$persons"

echo "== PostgreSQL"
source benches/pg.sh
"$bin" bench load --persons "$persons" --target "$pg_url"
