#!/usr/bin/env bash
# Builds app/web/vendor/cosmjs.js, the page's one vendored bundle, from entry.mjs with the
# pinned esbuild and the pinned packages of package-lock.json (ESM, minified, tree-shaken).
# The bundle is committed, so the page needs no build step; this script reproduces it byte
# for byte.
#   app/web-vendor/build.sh           rebuild the bundle in place
#   app/web-vendor/build.sh --check   exit 1 if the committed bundle differs from a fresh build
# Needs Node >= 20 with npm. The glia.* types come from proto/ts (buf + ts-proto), built here
# when proto/ts/dist is missing or older than a .proto file.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bundle="$repo/app/web/vendor/cosmjs.js"

check=0
case "${1:-}" in
  "") ;;
  --check) check=1 ;;
  -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "build.sh: unknown option ${1}; use --check or nothing" >&2; exit 2 ;;
esac

command -v npm >/dev/null 2>&1 || { echo "build.sh: needs Node.js >= 20 with npm on PATH" >&2; exit 2; }

# The pinned packages (npm writes node_modules/.package-lock.json on install).
cd "$here"
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund >&2
fi

# The glia.* message types, generated from proto/ as tests/cosmjs/run.sh does.
dist="$repo/proto/ts/dist/index.js"
if [[ ! -f "$dist" ]] || [[ -n "$(find "$repo/proto/glia" -name '*.proto' -newer "$dist" -print -quit)" ]]; then
  (
    cd "$repo/proto/ts"
    if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
      npm ci --no-audit --no-fund >&2
    fi
    npm run --silent build >&2
  )
fi

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
# No legal comments, source map or absolute path: nothing of this machine in the output.
node build.mjs "$out/cosmjs.js"

if (( check )); then
  if cmp -s "$out/cosmjs.js" "$bundle"; then
    echo "app/web/vendor/cosmjs.js is up to date ($(wc -c <"$bundle") bytes)"
  else
    echo "app/web/vendor/cosmjs.js differs from a fresh build: run app/web-vendor/build.sh and commit it" >&2
    exit 1
  fi
else
  mkdir -p "$(dirname "$bundle")"
  cp "$out/cosmjs.js" "$bundle"
  echo "wrote app/web/vendor/cosmjs.js ($(wc -c <"$bundle") bytes)"
fi
