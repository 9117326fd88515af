#!/usr/bin/env bash
# localnet/install-ibc.sh — what the two-chain IBC setup needs beyond Glia's localnet, installed
# only where missing:
#   - simd: ibc-go v8.8.0's simapp (a Cosmos SDK chain with ICS-20 and interchain accounts),
#     built from the wrapper module in localnet/simd (go install refuses ibc-go's replace line);
#   - hermes 1.10.5 (cargo install; 1.12 and later download proving keys at build time).
# Both land in ~/go/bin and ~/.cargo/bin, which CI caches. `--only simd` installs simd alone
# (localnet/up.sh --app simd, the benchmark's Cosmos SDK peer, needs no relayer).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
add_tool_dirs
ONLY=
case ${1:-} in
  "") ;;
  --only) [[ ${2:-} == simd ]] || die "install-ibc.sh: --only takes simd"; ONLY=simd ;;
  *) die "install-ibc.sh: unknown option '$1' (usage: install-ibc.sh [--only simd])" ;;
esac

SIMD_VERSION=v8.8.0
HERMES_VERSION=1.10.5

simd_ok() { [[ -x ${SIMD:-} ]] && "$SIMD" version >/dev/null 2>&1; }
SIMD="${SIMD:-$HOME/go/bin/simd}"
stamp="$HOME/go/bin/.simd-ibc-go-$SIMD_VERSION"
if ! simd_ok || [[ ! -f $stamp ]]; then
  command -v go >/dev/null || die "go not found: simd (ibc-go $SIMD_VERSION's simapp) is built with Go 1.22 or newer; install Go, then run this again"
  log "building simd from ibc-go $SIMD_VERSION's simapp (go build, a few minutes the first time)"
  mkdir -p "$HOME/go/bin"
  (cd "$LOCALNET/simd" && go mod tidy >/dev/null 2>&1 && go build -o "$HOME/go/bin/simd" .) ||
    die "building simd failed; see the go output above"
  touch "$stamp"
fi

[[ $ONLY != simd ]] || exit 0
if ! command -v hermes >/dev/null || [[ "$(hermes version 2>/dev/null)" != *"$HERMES_VERSION"* ]]; then
  log "installing hermes $HERMES_VERSION (cargo install, about 20 minutes on 2 cores the first time)"
  cargo install "ibc-relayer-cli@$HERMES_VERSION" --bin hermes --locked --quiet ||
    die "cargo install ibc-relayer-cli@$HERMES_VERSION failed; see the cargo output above"
fi
