#!/usr/bin/env bash
# The README's test command: set up everything the test suite needs, then run pytest.
#
#   bash scripts/test.sh [pytest arguments]     e.g. bash scripts/test.sh -q tests/unit
#   bash scripts/test.sh --setup-only           install what is missing, run no test
#
# 1. uv (pip) when missing, then the locked environment (`uv sync --frozen`);
# 2. Debian packages, only those missing (apt-get as root or through `sudo -n`):
#    - chromium, chromium-driver: tests/e2e/test_ui_browser.py drives Chromium via chromedriver;
#    - postgresql: tests/integration/test_postgres.py starts a throwaway server (initdb, pg_ctl;
#      Debian keeps them under /usr/lib/postgresql/<version>/bin, off PATH);
#    - default-jre-headless: a Java runtime, for Spark (only when `java` is missing);
# 3. `uv run pytest "$@"`.
# Idempotent: with everything present it only checks and runs `uv sync` (a few seconds).
# On a machine already prepared, `uv run pytest` alone is the same test run.
set -euo pipefail
cd "$(dirname "$0")/.."

SETUP_ONLY=0
if [ "${1:-}" = "--setup-only" ]; then SETUP_ONLY=1; shift; fi

export DO_NOT_TRACK=1 GX_ANALYTICS_ENABLED=false DBT_SEND_ANONYMOUS_USAGE_STATS=false

say() { echo "scripts/test.sh: $*" >&2; }

# --- uv ---------------------------------------------------------------------------------------
export PATH="$HOME/.local/bin:$PATH"
if ! command -v uv >/dev/null 2>&1 && ! python3 -m uv --version >/dev/null 2>&1; then
    say "installing uv with pip"
    python3 -m pip install --quiet uv 2>/dev/null \
        || python3 -m pip install --quiet --user --break-system-packages uv
fi
UV=(uv)
command -v uv >/dev/null 2>&1 || UV=(python3 -m uv)
"${UV[@]}" sync --frozen

# --- Debian packages ----------------------------------------------------------------------------
have() { command -v "$1" >/dev/null 2>&1; }
have_chromium() { { have chromium || have chromium-browser; } && have chromedriver; }
have_postgres() { have initdb || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }
missing() {
    have_chromium || echo chromium chromium-driver
    have_postgres || echo postgresql
    have java || echo default-jre-headless
}
read -r -a PACKAGES <<< "$(missing | tr '\n' ' ')"
if [ "${#PACKAGES[@]}" -gt 0 ]; then
    SUDO=()
    if [ "$(id -u)" -ne 0 ] && have sudo && sudo -n true 2>/dev/null; then SUDO=(sudo -n); fi
    if [ "$(id -u)" -ne 0 ] && [ "${#SUDO[@]}" -eq 0 ]; then
        say "not root and no password-less sudo: cannot install ${PACKAGES[*]}"
    else
        say "installing ${PACKAGES[*]} (apt-get)"
        # Debian's slim images drop /usr/share/man; the JRE's post-install step needs man1.
        ${SUDO[@]+"${SUDO[@]}"} mkdir -p /usr/share/man/man1
        { ${SUDO[@]+"${SUDO[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
            && ${SUDO[@]+"${SUDO[@]}"} env DEBIAN_FRONTEND=noninteractive \
                apt-get install -y -qq "${PACKAGES[@]}" >/dev/null; } \
            || say "apt-get could not install ${PACKAGES[*]}"
    fi
    still="$(missing | tr '\n' ' ')"
    [ -z "${still// }" ] || say "warning: still missing: ${still}- the tests that need it fail"
fi

if [ "$SETUP_ONLY" -eq 1 ]; then
    say "set-up done (--setup-only: no test run)"
    exit 0
fi
# --durations: the slowest setups and tests close the log (the suite's time budget is 20 min).
exec "${UV[@]}" run pytest --durations=25 "$@"
