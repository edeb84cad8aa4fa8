#!/usr/bin/env bash
# Runs every test of Pintu: unit, property, store contract (SQLite and PostgreSQL), HTTP,
# authorisation matrix and the headless-Chromium browser test.
#
# PostgreSQL: set PINTU_TEST_DATABASE_URL to an admin URL of a server where databases can be
# created; otherwise the tests start a throwaway cluster with the installed initdb/pg_ctl.
# Under CI=true a missing PostgreSQL or Chromium fails the run instead of being skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! scripts/install-test-deps.sh; then
    if [[ "${CI:-}" == "true" ]]; then
        echo "test dependencies are missing" >&2
        exit 1
    fi
    echo "some test dependencies are missing: their tests will be skipped" >&2
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
cargo test --workspace --locked "$@" 2>&1 | tee "$log"
# One closing line for the whole run (cargo prints one per test binary).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
