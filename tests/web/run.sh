#!/usr/bin/env bash
# Tests the web page gliad serves (app/web) end to end in headless Chromium against a running
# localnet: it loads, shows the validators, an image requested through its form settles and
# appears with its hash checked, a tampered blob is flagged, a job posted through its form
# reaches the job board, and no view scrolls sideways on a phone. Screenshots of each step
# (desktop and phone) are kept in $GLIA_WEB_ARTIFACTS.
#   tests/web/run.sh [extra node --test options, e.g. --test-name-pattern=validators]
# Env: GLIA_NETWORK (default <repo>/localnet/.run/network.json), GLIA_WEB_SENDER (default dev20,
# the development account the test signs with), GLIA_WEB_ARTIFACTS (default tests/web/artifacts).
# Installs what is missing: Debian's chromium (apt-get; sudo when not root) and playwright-core
# (npm ci; Playwright's own browsers are never downloaded).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

abs() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
network="$(abs "${GLIA_NETWORK:-$repo/localnet/.run/network.json}")"
artifacts="$(abs "${GLIA_WEB_ARTIFACTS:-$repo/tests/web/artifacts}")"
if [[ ! -f "$network" ]]; then
  echo "web tests: connection profile not found: $network" >&2
  echo "web tests: start the localnet first (localnet/up.sh writes localnet/.run/network.json) or set GLIA_NETWORK" >&2
  exit 2
fi

if ! command -v node >/dev/null 2>&1 || (( $(node -p 'process.versions.node.split(".")[0]') < 20 )); then
  echo "web tests: Node.js 20 or newer with npm is required (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 2
fi

if ! command -v chromium >/dev/null 2>&1; then
  echo "web tests: installing Debian's chromium" >&2
  sudo=""
  if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null 2>&1 || { echo "web tests: chromium is missing and this user cannot install it (no sudo): apt-get install chromium" >&2; exit 2; }
    sudo="sudo"
  fi
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >&2
fi
chromium_bin="$(command -v chromium)"

cd "$here"
# playwright-core only: it drives the system's chromium and downloads no browser.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund >&2
fi

mkdir -p "$artifacts"
rm -f "$artifacts"/*.png
export GLIA_NETWORK="$network" GLIA_WEB_ARTIFACTS="$artifacts" CHROMIUM="$chromium_bin"
export GLIA_WEB_SENDER="${GLIA_WEB_SENDER:-dev20}"

echo "web tests: $(node -p "require(process.argv[1]).web" "$network" 2>/dev/null || echo the page) with $("$chromium_bin" --version 2>/dev/null | head -1), signing as $GLIA_WEB_SENDER" >&2
set +e
node --test --test-concurrency=1 --test-reporter=spec "$@" ./*.test.mjs
rc=$?
set -e
shots=$(find "$artifacts" -name '*.png' | wc -l)
if (( rc == 0 )); then
  echo "web tests: PASS ($shots screenshots in $artifacts)"
else
  echo "web tests: FAIL (exit $rc; $shots screenshots in $artifacts)" >&2
fi
exit "$rc"
