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

cargo test --workspace --locked "$@"
