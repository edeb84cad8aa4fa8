#!/usr/bin/env bash
# Contributions speed: the monthly JKN billing run and payment callbacks booked into the
# ledger, over a synthetic population whose every family is a PBPU member, on SQLite and on
# PostgreSQL; on PostgreSQL also the baselines, the same computations as single SQL
# statements, in the same run.
#
#   benches/payments.sh [PERSONS] [CALLBACKS]   (default 1000000 people, 1000000 callbacks)
#
# `pintu bench payments` loads the people (not timed), enrols every living member in JKN,
# times `run_billing` (bills, their ledger entries and the families' SMS, a thousand families
# a transaction) and a second run of the same month (nothing to bill), then books the
# callbacks through the payment service (allocation oldest bill first, ledger entry, SMS;
# one in ten sent twice) a thousand in flight at once. PostgreSQL: a throwaway cluster
# (benches/pg.sh); PINTU_BENCH_PG_URL names an empty database instead.
set -euo pipefail
cd "$(dirname "$0")/.."
persons="${1:-1000000}"
callbacks="${2:-1000000}"
cargo build --release --locked -q
bin="$(realpath "${CARGO_TARGET_DIR:-target}/release/pintu")"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; people: $persons; callbacks: $callbacks"
echo "== SQLite"
PINTU_LOG=warn "$bin" bench payments --persons "$persons" --callbacks "$callbacks" 2>/dev/null
echo "== PostgreSQL"
source benches/pg.sh
PINTU_LOG=warn "$bin" bench payments --persons "$persons" --callbacks "$callbacks" --target "$pg_url" 2>/dev/null
