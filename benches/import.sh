#!/usr/bin/env bash
# Import throughput of the five source extracts into SQLite (the embedded default, the
# baseline) and PostgreSQL (production): rows per second for each source, from reading the
# file to the last synchronised row (validation, storage, linkage, new people and households,
# conflicts, duplicate scan), on the same synthetic extracts.
#
#   benches/import.sh [PERSONS]      (default 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
persons="${1:-100000}"
cargo build --release --locked -q
bin="$(realpath "${CARGO_TARGET_DIR:-target}/release/pintu")"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; people: $persons"

echo "== SQLite (baseline)"
PINTU_LOG=warn "$bin" bench linkage --persons "$persons" | sed -n '1,/synchronised in/p'

echo "== PostgreSQL"
source benches/pg.sh
PINTU_LOG=warn "$bin" bench linkage --persons "$persons" --target "$pg_url" | sed -n '1,/synchronised in/p'
