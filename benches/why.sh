#!/usr/bin/env bash
# "Why?" speed: GET /api/v1/persons/{id}/entitlements — every active programme's rule
# evaluated for one person with the clauses that decided it, their enrolments, their lines
# in the latest matching run, the forum's decisions, the JKN and BPJS TK advice — against
# GET /api/v1/persons/{id} (the person's record alone, audited the same way) on the same
# server as the baseline.
#
#   benches/why.sh [PERSONS] [DURATION] [CONNECTIONS]   (default 100000 people, 20s, 4)
#
# Needs wrk (Debian: apt-get install wrk). Uses a fresh SQLite database in a temp directory;
# the demo loads the people, the shipped catalogue and a matching run of the regency.
set -euo pipefail
cd "$(dirname "$0")/.."
persons="${1:-100000}"
duration="${2:-20s}"
connections="${3:-4}"
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }

cargo build --release --locked -q
bin="${CARGO_TARGET_DIR:-target}/release/pintu"
work="$(mktemp -d)"
trap 'kill "${server:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
db="sqlite://$work/pintu.db?mode=rwc"
port=18081

PINTU_LOG=warn "$bin" --database-url "$db" demo --persons "$persons" --no-serve >/dev/null
token="$("$bin" --database-url "$db" user token --username kabupaten)"
sqlite3 "$work/pintu.db" "SELECT id FROM persons WHERE life_status = 'alive' ORDER BY random() LIMIT 10000" > "$work/ids.txt"
programmes="$(sqlite3 "$work/pintu.db" "SELECT COUNT(*) FROM programmes")"
PINTU_LOG=warn "$bin" --database-url "$db" serve --listen "127.0.0.1:$port" >/dev/null &
server=$!
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done

script() { # $1 = path suffix after the id
    cat <<LUA
local ids = {}
for line in io.lines("$work/ids.txt") do ids[#ids + 1] = line end
local i = 0
wrk.headers["Authorization"] = "Bearer $token"
request = function()
  i = i % #ids + 1
  return wrk.format("GET", "/api/v1/persons/" .. ids[i] .. "$1")
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests/s=%.0f p50_ms=%.2f p99_ms=%.2f errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))
end
LUA
}
script "" > "$work/person.lua"
script "/entitlements" > "$work/why.lua"

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; people: $persons; programmes: $programmes; connections: $connections; duration: $duration"
wrk -t2 -c"$connections" -d5s -s "$work/why.lua" "http://127.0.0.1:$port" >/dev/null   # warm-up
echo -n "baseline GET /api/v1/persons/{id}:              "
wrk -t2 -c"$connections" -d"$duration" -s "$work/person.lua" "http://127.0.0.1:$port" | grep RESULT
echo -n "GET /api/v1/persons/{id}/entitlements (why?):  "
wrk -t2 -c"$connections" -d"$duration" -s "$work/why.lua" "http://127.0.0.1:$port" | grep RESULT
curl -fs -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/persons/$(head -1 "$work/ids.txt")/entitlements" \
    | python3 -c 'import json,sys; d=json.load(sys.stdin); print("one answer:", len(d["programmes"]), "programmes,", sum(len(p["clauses"]) for p in d["programmes"]), "clauses")'
