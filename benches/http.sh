#!/usr/bin/env bash
# GET /api/v1/persons/{id} under load (64 connections, wrk), against GET /healthz on the same
# server as the baseline (the HTTP stack's own ceiling: no database, no token, no audit).
#
#   benches/http.sh [PERSONS] [DURATION]      (default 100000 people, 20s)
#
# Needs wrk (Debian: apt-get install wrk). Uses a fresh SQLite database in a temp directory.
set -euo pipefail
cd "$(dirname "$0")/.."
persons="${1:-100000}"
duration="${2:-20s}"
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }

cargo build --release --locked -q
bin="${CARGO_TARGET_DIR:-target}/release/pintu"
work="$(mktemp -d)"
trap 'kill "${server:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
db="sqlite://$work/pintu.db?mode=rwc"
port=18080

"$bin" --database-url "$db" demo --persons "$persons" --no-serve >/dev/null
token="$("$bin" --database-url "$db" user token --username kabupaten)"
sqlite3 "$work/pintu.db" "SELECT id FROM persons ORDER BY random() LIMIT 10000" > "$work/ids.txt"
PINTU_LOG=warn "$bin" --database-url "$db" serve --listen "127.0.0.1:$port" >/dev/null &
server=$!
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done

cat > "$work/persons.lua" <<LUA
local ids = {}
for line in io.lines("$work/ids.txt") do ids[#ids + 1] = line end
local i = 0
wrk.headers["Authorization"] = "Bearer $token"
request = function()
  i = i % #ids + 1
  return wrk.format("GET", "/api/v1/persons/" .. ids[i])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests/s=%.0f p50_ms=%.2f p99_ms=%.2f errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))
end
LUA
cat > "$work/health.lua" <<'LUA'
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests/s=%.0f p50_ms=%.2f p99_ms=%.2f errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))
end
LUA

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; people: $persons; duration: $duration"
wrk -t2 -c64 -d5s -s "$work/persons.lua" "http://127.0.0.1:$port" >/dev/null   # warm-up
echo -n "baseline GET /healthz:             "; wrk -t2 -c64 -d"$duration" -s "$work/health.lua" "http://127.0.0.1:$port/healthz" | grep RESULT
echo -n "GET /api/v1/persons/{id} (audited): "; wrk -t2 -c64 -d"$duration" -s "$work/persons.lua" "http://127.0.0.1:$port" | grep RESULT
audited="$(sqlite3 "$work/pintu.db" "SELECT COUNT(*) FROM audit_log WHERE action = 'person.read'")"
echo "audit entries written for person reads: $audited"
