# Sourced by the benchmarks: sets $pg_url to an empty PostgreSQL database. A throwaway cluster
# is started with initdb/pg_ctl (as the postgres user when run as root) and stopped on exit,
# unless PINTU_BENCH_PG_URL names an empty database.
pg_url="${PINTU_BENCH_PG_URL:-}"
if [[ -z "$pg_url" ]]; then
    pgbin="$(dirname "$(command -v initdb || ls /usr/lib/postgresql/*/bin/initdb | tail -1)")"
    pg_dir="$(mktemp -d)"; chmod 755 "$pg_dir"
    as_pg=(); [[ "$(id -u)" == 0 ]] && { chown postgres "$pg_dir"; as_pg=(runuser -u postgres --); }
    trap '"${as_pg[@]}" "$pgbin/pg_ctl" -D "$pg_dir/data" stop -m fast >/dev/null 2>&1 || true; rm -rf "$pg_dir"' EXIT
    "${as_pg[@]}" "$pgbin/initdb" -D "$pg_dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
    "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w -o "-p 55432 -k $pg_dir -c listen_addresses=127.0.0.1 -c shared_buffers=512MB -c max_wal_size=4GB" start >/dev/null
    psql -h 127.0.0.1 -p 55432 -U postgres -qc "CREATE DATABASE pintu_bench" >/dev/null
    pg_url="postgres://postgres@127.0.0.1:55432/pintu_bench"
fi
