#!/usr/bin/env bash
# localnet/bench.sh [--rate R] [--seconds S] [--senders N] [--apps "gliad kvstore kvstore-socket"]
#                   [--cometbft PATH]
# End-to-end throughput: the same open-loop load (glia-loadgen) against a 4-validator gliad
# localnet and against CometBFT's kvstore app on the same topology, one network after the other
# on this machine; prints committed tx/s, broadcast and inclusion latency p50/p99 and block
# intervals side by side. Two kvstore peers: the built-in one (inside the cometbft process) and
# the same app served over the ABCI socket by CometBFT's abci-cli, which pays the transport
# gliad pays. Uses its own run dirs, so a developer's localnet/.run is left alone (but the ports
# must be free: stop it first). --cometbft runs every network on another build of the pinned
# version (localnet/cometbft-flushfix.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RATE=1500 SECONDS_=20 SENDERS=48 APPS="gliad kvstore kvstore-socket"
while (($#)); do
  case $1 in
    --rate) RATE=$2; shift 2 ;;
    --seconds) SECONDS_=$2; shift 2 ;;
    --senders) SENDERS=$2; shift 2 ;;
    --apps) APPS=$2; shift 2 ;;
    --cometbft) COMETBFT=$(realpath "$2"); export COMETBFT; shift 2 ;;
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
    --pids "$dir/pids" \
    >"$out/$1.json" || { localnet/down.sh --run-dir "$dir" >/dev/null; die "loadgen failed on $1"; }
  localnet/down.sh --run-dir "$dir" >/dev/null 2>&1
}
for app in $APPS; do run "$app"; done
echo "CometBFT: ${COMETBFT:-the released v$COMETBFT_VERSION (go install)}"
# shellcheck disable=SC2086
python3 - "$out" $APPS <<'PY'
import json, sys
out, apps = sys.argv[1], sys.argv[2:]
r = {a: json.load(open(f"{out}/{a}.json")) for a in apps}
f = r[apps[0]]
print(f"\n4 validators on one machine, offered {f['offered_rate']} tx/s for {f['seconds']} s by {f['senders']} senders")
names = {"gliad": "gliad (signed MsgSend)", "kvstore": "kvstore (built in)", "kvstore-socket": "kvstore (ABCI socket)"}
rows = [("", *[names.get(a, a) for a in apps]),
        ("offered / admitted", *[f"{r[a]['offered']} / {r[a]['admitted']}" for a in apps]),
        ("committed", *[str(r[a]["committed"]) for a in apps]),
        ("committed tx/s", *[f"{r[a]['committed_tps']:.0f}" for a in apps]),
        ("broadcast_tx_sync p50 / p99 ms", *[f"{1000 * r[a]['broadcast_p50_s']:.0f} / {1000 * r[a]['broadcast_p99_s']:.0f}" for a in apps]),
        ("inclusion latency p50 / p99 s", *[f"{r[a]['latency_p50_s']:.2f} / {r[a]['latency_p99_s']:.2f}" for a in apps]),
        ("block interval p50 / p99 s", *[f"{r[a]['block_interval_p50_s']:.2f} / {r[a]['block_interval_p99_s']:.2f}" for a in apps])]
def cpu(a, per_tx):
    c = r[a].get("cpu_s", {})
    parts = [c.get("cometbft", 0.0), sum(v for g, v in c.items() if g not in ("cometbft", "loadgen")), c.get("loadgen", 0.0)]
    if per_tx:
        return " / ".join(f"{1000 * v / max(r[a]['committed'], 1):.2f}" for v in parts)
    return " / ".join(f"{v / r[a].get('cpu_window_s', 1):.2f}" for v in parts)
rows += [("CPU cores: comet / app / loadgen", *[cpu(a, False) for a in apps]),
         ("CPU ms per tx: comet / app / lg", *[cpu(a, True) for a in apps])]
for row in rows:
    print(f"{row[0]:32}" + "".join(f"{c:>24}" for c in row[1:]))
if "gliad" in r:
    for peer in [a for a in apps if a != "gliad"]:
        print(f"gliad / {peer} committed tx/s: {r['gliad']['committed_tps'] / max(r[peer]['committed_tps'], 1e-9):.2f}")
PY
