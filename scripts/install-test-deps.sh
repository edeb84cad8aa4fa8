#!/usr/bin/env bash
# Installs what Pintu's test suite needs beyond Rust: Chromium + chromedriver (browser tests)
# and PostgreSQL server binaries (initdb/pg_ctl for throwaway clusters). Idempotent: anything
# already present is left alone. Only installs when running as root (Debian/Ubuntu apt);
# otherwise it reports what is missing. wrk (benchmarks only) is deliberately not installed.
set -euo pipefail

log() { printf 'install-test-deps: %s\n' "$*"; }

have() { command -v "$1" >/dev/null 2>&1; }

have_initdb() {
    have initdb && return 0
    local f
    for f in /usr/lib/postgresql/*/bin/initdb; do
        [[ -x "$f" ]] && return 0
    done
    return 1
}

packages=()

if have chromium && have chromedriver; then
    log "chromium already installed: $(chromium --version 2>/dev/null || echo '?')"
    log "chromedriver already installed: $(chromedriver --version 2>/dev/null || echo '?')"
else
    log "chromium and/or chromedriver missing"
    packages+=(chromium chromium-driver)
fi

if have_initdb; then
    log "PostgreSQL server binaries already installed (initdb found)"
else
    log "initdb missing (not on PATH nor under /usr/lib/postgresql/*/bin)"
    packages+=(postgresql)
fi

if [[ ${#packages[@]} -eq 0 ]]; then
    log "nothing to do"
    exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
    log "not root; please install: ${packages[*]}"
    exit 1
fi

if ! have apt-get; then
    log "apt-get not available; please install: ${packages[*]}"
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log "apt-get update"
apt-get update -qq
log "apt-get install ${packages[*]}"
apt-get install -y -qq "${packages[@]}"

for p in "${packages[@]}"; do
    case "$p" in
        chromium) log "installed: $(chromium --version)" ;;
        chromium-driver) log "installed: $(chromedriver --version)" ;;
        postgresql)
            if have_initdb; then log "installed PostgreSQL (initdb available)"; else
                log "postgresql installed but initdb still not found"; exit 1
            fi
            ;;
    esac
done
log "done"
