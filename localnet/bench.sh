#!/usr/bin/env bash
# localnet/bench.sh [--rate R] [--seconds S] [--senders N]
# End-to-end throughput: the same open-loop load (glia-loadgen) against a 4-validator gliad
# localnet and against CometBFT's built-in kvstore app on the same topology, one after the
# other on this machine; prints committed tx/s, inclusion latency p50/p99 and block intervals
# side by side. Uses its own run dirs, so a developer's localnet/.run is left alone (but the
# ports must be free: stop it first).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RATE=1500 SECONDS_=20 SENDERS=48
while (($#)); do
  case $1 in
    --rate) RATE=$2; shift 2 ;;
    --seconds) SECONDS_=$2; shift 2 ;;
    --senders) SENDERS=$2; shift 2 ;;
    *) die "unknown argument: $1" ;;
  esac
done
cd "$GLIA_ROOT"
cargo build -q -p gliad --bins
TARGET="${CARGO_TARGET_DIR:-$GLIA_ROOT/target}"
export GLIAD="$TARGET/debug/gliad"
LOADGEN="$TARGET/debug/glia-loadgen"
out="$TARGET/bench-e2e"; mkdir -p "$out"
run() { # APP
  local dir="$LOCALNET/.run-bench-$1"
  GLIA_RUN_DIR="$dir" localnet/up.sh --reset --app "$1" --accounts "$SENDERS" >"$out/$1-up.log" 2>&1 \
    || { cat "$out/$1-up.log"; die "$1 localnet did not start"; }
  "$LOADGEN" --network "$dir/network.json" --rate "$RATE" --seconds "$SECONDS_" --senders "$SENDERS" --json \
    >"$out/$1.json" || { localnet/down.sh --run-dir "$dir" >/dev/null; die "loadgen failed on $1"; }
  localnet/down.sh --run-dir "$dir" >/dev/null 2>&1
}
run gliad
run kvstore
python3 - "$out" <<'PY'
import json, sys
g = json.load(open(f"{sys.argv[1]}/gliad.json")); k = json.load(open(f"{sys.argv[1]}/kvstore.json"))
print(f"\n4 validators on one machine, offered {g['offered_rate']} tx/s for {g['seconds']} s by {g['senders']} senders")
rows = [("", "gliad (signed MsgSend)", "kvstore (same size)"),
        ("offered / admitted", f"{g['offered']} / {g['admitted']}", f"{k['offered']} / {k['admitted']}"),
        ("committed", str(g["committed"]), str(k["committed"])),
        ("committed tx/s", f"{g['committed_tps']:.0f}", f"{k['committed_tps']:.0f}"),
        ("inclusion latency p50 / p99 s", f"{g['latency_p50_s']:.2f} / {g['latency_p99_s']:.2f}", f"{k['latency_p50_s']:.2f} / {k['latency_p99_s']:.2f}"),
        ("block interval p50 / p99 s", f"{g['block_interval_p50_s']:.2f} / {g['block_interval_p99_s']:.2f}", f"{k['block_interval_p50_s']:.2f} / {k['block_interval_p99_s']:.2f}")]
for r in rows: print(f"{r[0]:32} {r[1]:>24} {r[2]:>24}")
print(f"gliad / kvstore committed tx/s: {g['committed_tps'] / max(k['committed_tps'], 1e-9):.2f}")
PY
