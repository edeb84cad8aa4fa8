#!/usr/bin/env bash
# Linkage quality and speed: Pintu against Splink 4 (DuckDB backend) on the same synthetic
# extracts, both scored by `pintu bench score` against the generator's truth file.
#
#   benches/linkage.sh [PERSONS]          (default 100000; the goal is stated for 1000000)
#
# Pintu: `pintu bench linkage` imports the five extracts into a fresh SQLite database and
# synchronises them (validation, storage, linkage, new people and households written); the
# script also prints, from the synchronisation's log, the linkage alone (the plans and the
# duplicate scans), the counterpart of Splink's time.
# Splink: benches/splink_linkage.py links and clusters the same rows in memory.
# Splink is installed from PyPI into ~/.cache/pintu-splink on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
persons="${1:-100000}"
cargo build --release --locked -q
bin="$(realpath "${CARGO_TARGET_DIR:-target}/release/pintu")"
venv="${PINTU_SPLINK_VENV:-$HOME/.cache/pintu-splink}"
if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c "import splink" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "splink>=4,<5"
fi
stats="$(mktemp)"; trap 'rm -f "$stats"' EXIT
timed() { /usr/bin/time -o "$stats" -f "%e s elapsed, %M KiB peak memory" "$@"; cat "$stats"; }
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; people: $persons"
echo "splink: $("$venv/bin/python" -c 'import splink, duckdb; print(splink.__version__, "with duckdb", duckdb.__version__)')"

echo "== Pintu"
log="$(mktemp)"; trap 'rm -f "$stats" "$log"' EXIT
PINTU_LOG=warn,pintu_service::sync=info timed "$bin" bench linkage --persons "$persons" \
    --predictions pintu-data/bench-linkage-pintu.csv 2> "$log"
# Each import's synchronisation logs its phases: the linkage proper (the plan: every row
# decided against the registry; then the scan for likely duplicates), the writes between.
sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '/synchronised/ {
        for (i = 1; i <= NF; i++) { split($i, kv, "="); t[kv[1]] += kv[2] }
    } END {
        printf "Pintu linkage, the five plans and duplicate scans: %.1f s (plans %.1f s, duplicate scans %.1f s)\n",
            (t["plan_ms"] + t["duplicates_ms"]) / 1000, t["plan_ms"] / 1000, t["duplicates_ms"] / 1000
        printf "Pintu writing the registry, the five plans applied: %.1f s (of which commits %.1f s)\n",
            t["apply_ms"] / 1000, t["commit_ms"] / 1000
    }'
grep -v synchronised "$log" | grep -v "linkage model estimated" >&2 || true

echo "== Splink"
timed "$venv/bin/python" benches/splink_linkage.py pintu-data/bench-extracts pintu-data/bench-linkage-splink.csv 2>/dev/null
"$bin" bench score --truth pintu-data/bench-extracts/truth.csv --predictions pintu-data/bench-linkage-splink.csv
