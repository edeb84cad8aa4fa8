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
url="${PINTU_BENCH_PG_URL:-}"
if [[ -z "$url" ]]; then
    pgbin="$(dirname "$(command -v initdb || ls /usr/lib/postgresql/*/bin/initdb | tail -1)")"
    dir="$(mktemp -d)"; chmod 755 "$dir"
    as_pg=(); [[ "$(id -u)" == 0 ]] && { chown postgres "$dir"; as_pg=(runuser -u postgres --); }
    trap '"${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/data" stop -m fast >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
    "${as_pg[@]}" "$pgbin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
    "${as_pg[@]}" "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -o "-p 55432 -k $dir -c listen_addresses=127.0.0.1 -c shared_buffers=512MB -c max_wal_size=4GB" start >/dev/null
    psql -h 127.0.0.1 -p 55432 -U postgres -qc "CREATE DATABASE pintu_bench" >/dev/null
    url="postgres://postgres@127.0.0.1:55432/pintu_bench"
fi
"$bin" bench load --persons "$persons" --target "$url"
