#!/usr/bin/env bash
# localnet/cometbft-flushfix.sh — builds the pinned CometBFT with a one-line fix to its ABCI
# socket client and prints the binary's path, so a benchmark can measure what the bug costs:
#
#   localnet/bench.sh --cometbft "$(localnet/cometbft-flushfix.sh)"
#
# The bug (v0.38.26, also v0.39.4, v0.40.0 and v1.0.1): abci/client/socket_client.go passes
# `flushThrottleMS = 20` to timer.NewThrottleTimer, whose argument is a time.Duration, so the
# throttle is 20 ns. Whenever the request writer is busy when the timer fires, the timer's
# fire routine re-arms itself for another 20 ns, spawning a goroutine each time, until the
# writer is free: under load a Go profile puts ~20% of cometbft's CPU there. The fix makes it
# the 20 ms the constant's name says. Nothing else changes; the localnet's default stays the
# released binary (`go install`, lib.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v go >/dev/null || die "go is needed to build CometBFT"
out="$HOME/.cache/glia/cometbft-$COMETBFT_VERSION-flushfix"
if [[ -x $out/cometbft ]] && [[ "$("$out/cometbft" version)" == "$COMETBFT_VERSION" ]]; then
  echo "$out/cometbft"; exit 0
fi
src="$(cd /tmp && go mod download -json "github.com/cometbft/cometbft@v$COMETBFT_VERSION" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
cp -r "$src/." "$tmp"; chmod -R u+w "$tmp"
f="$tmp/abci/client/socket_client.go"
old='timer.NewThrottleTimer("socketClient", flushThrottleMS)'
grep -qF "$old" "$f" || die "$f no longer has the line this fix expects"
sed -i 's/timer.NewThrottleTimer("socketClient", flushThrottleMS)/timer.NewThrottleTimer("socketClient", flushThrottleMS*time.Millisecond)/' "$f"
log "building cometbft v$COMETBFT_VERSION with the socket client's flush throttle in milliseconds"
mkdir -p "$out"
(cd "$tmp" && GOFLAGS=-mod=mod go build -o "$out/cometbft" ./cmd/cometbft) >&2
echo "$out/cometbft"
