#!/usr/bin/env bash
# Builds @glia/proto (buf generate + tsc into dist/) and runs its tests under Node:
#   proto/ts/run-tests.sh                  unit tests only (no network)
#   GLIA_NETWORK=<network.json> proto/ts/run-tests.sh
#                                          unit tests, then the localnet tests against that
#                                          profile (they fail if it does not exist)
# Extra arguments go to `node --test` (e.g. --test-name-pattern=amino).
# The localnet tests sign with dev21 and dev22 (GLIA_TS_CREATOR / GLIA_TS_SOLVER to change).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "proto/ts tests: node (v20 or newer) and npm are required" >&2
  exit 2
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if ((node_major < 20)); then
  echo "proto/ts tests: node v20 or newer required, found $(node --version)" >&2
  exit 2
fi

network=""
if [[ -n "${GLIA_NETWORK:-}" ]]; then
  network="$GLIA_NETWORK"
  case "$network" in
    /*) ;;
    *) network="$OLDPWD/$network" ;; # relative to the caller's directory
  esac
  if [[ ! -f "$network" ]]; then
    echo "proto/ts tests: GLIA_NETWORK=$GLIA_NETWORK: no such connection profile (start the localnet first)" >&2
    exit 2
  fi
  export GLIA_NETWORK="$network"
fi

# npm writes node_modules/.package-lock.json on install; reinstall when it is missing or stale.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi
npm run --silent build

unit=fail localnet=skipped
if node --test "$@" test/unit.test.mjs; then unit=pass; fi
if [[ -n "$network" ]]; then
  localnet=fail
  # One test at a time: they share the funded dev accounts.
  if GLIA_REQUIRE_NETWORK=1 node --test --test-concurrency=1 "$@" test/localnet.test.mjs; then localnet=pass; fi
fi

echo "proto/ts tests: unit $unit, localnet $localnet${network:+ ($network)}"
[[ $unit == pass && $localnet != fail ]]
