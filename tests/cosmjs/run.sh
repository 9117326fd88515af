#!/usr/bin/env bash
# Runs the cosmjs end-to-end tests against a running Glia localnet.
#   tests/cosmjs/run.sh [extra node --test options, e.g. --test-name-pattern=bank]
# Env: GLIA_NETWORK (default <repo>/localnet/.run/network.json), GLIA_COSMJS_SENDER (default dev0).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

network="${GLIA_NETWORK:-$repo/localnet/.run/network.json}"
case "$network" in
  /*) ;;
  *) network="$PWD/$network" ;;  # relative to the caller's directory, made absolute before cd
esac
if [[ ! -f "$network" ]]; then
  echo "cosmjs tests: connection profile not found: $network" >&2
  echo "cosmjs tests: start the localnet first (it writes localnet/.run/network.json) or set GLIA_NETWORK" >&2
  exit 2
fi
export GLIA_NETWORK="$network"

if ! command -v node >/dev/null 2>&1; then
  echo "cosmjs tests: node (v20 or newer) is not installed" >&2
  exit 2
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if (( node_major < 20 )); then
  echo "cosmjs tests: node v20 or newer required, found $(node --version)" >&2
  exit 2
fi

cd "$here"
# npm writes node_modules/.package-lock.json on install; reinstall when it is missing or stale.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi

# The glia.* TypeScript types, generated from proto/ by buf + ts-proto (no protoc needed).
(
  cd "$repo/proto/ts"
  if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    npm ci --no-audit --no-fund
  fi
  npm run --silent build
)

# One test file at a time: the files share the funded dev accounts.
exec node --test --test-concurrency=1 "$@"
