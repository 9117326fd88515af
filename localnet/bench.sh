#!/usr/bin/env bash
# localnet/bench.sh [--rate R] [--seconds S] [--senders N]
#                   [--apps "gliad simd kvstore kvstore-socket"] [--cometbft PATH] [--rounds K]
# End-to-end throughput: the same open-loop load (glia-loadgen) against a 4-validator gliad
# localnet and against its peers on the same topology, one network after the other on this
# machine; prints committed tx/s, broadcast and inclusion latency p50/p99 and block intervals
# side by side. The peers: simd (ibc-go v8.8.0's simapp, the Cosmos SDK chain a user would
# otherwise pick: Cosmos SDK v0.50.9 with CometBFT v0.38.11 inside the simd process; the same
# signed MsgSends, in its denom and address prefix), CometBFT's built-in kvstore (inside the
# cometbft process) and the same kvstore app served over the ABCI socket by CometBFT's abci-cli,
# which pays the transport gliad pays. Uses its own run dirs, so a developer's localnet/.run is
# left alone (but the ports must be free: stop it first). --cometbft runs every network on another build of the pinned
# version (localnet/cometbft-flushfix.sh). --rounds K repeats the networks in turn K times
# (app A, app B, A, B, ...) and prints each round's ratios and their median: a 2-core machine's
# speed drifts within an hour, so only networks measured next to each other compare.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RATE=1500 SECONDS_=20 SENDERS=48 APPS="gliad simd kvstore kvstore-socket" ROUNDS=1
while (($#)); do
  case $1 in
    --rate) RATE=$2; shift 2 ;;
    --seconds) SECONDS_=$2; shift 2 ;;
    --senders) SENDERS=$2; shift 2 ;;
    --apps) APPS=$2; shift 2 ;;
    --cometbft) COMETBFT=$(realpath "$2"); export COMETBFT; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown option '$1'; see localnet/bench.sh --help" >&2; exit 2 ;;
  esac
done
cd "$GLIA_ROOT"
TARGET="$GLIA_TARGET"
CARGO_TARGET_DIR="$TARGET" cargo build -q -p gliad --bins --locked
export GLIAD="$TARGET/debug/gliad"
LOADGEN="$TARGET/debug/glia-loadgen"
out="$TARGET/bench-e2e"; mkdir -p "$out"
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "--rounds takes a positive integer"
rm -f "$out"/*.json
run() { # APP ROUND
  local dir="$LOCALNET/.run-bench-$1"
  GLIA_RUN_DIR="$dir" localnet/up.sh --reset --app "$1" --accounts "$SENDERS" >"$out/$1-up.log" 2>&1 \
    || { cat "$out/$1-up.log"; die "$1 localnet did not start"; }
  "$LOADGEN" --network "$dir/network.json" --rate "$RATE" --seconds "$SECONDS_" --senders "$SENDERS" --json \
    --pids "$dir/pids" \
    >"$out/$1-r$2.json" || { localnet/down.sh --run-dir "$dir" >/dev/null; die "loadgen failed on $1"; }
  localnet/down.sh --run-dir "$dir" >/dev/null 2>&1
}
for ((round = 1; round <= ROUNDS; round++)); do
  for app in $APPS; do run "$app" "$round"; done
done
echo "CometBFT: ${COMETBFT:-the released v$COMETBFT_VERSION (go install)}"
# shellcheck disable=SC2086
python3 - "$out" "$ROUNDS" $APPS <<'PY'
import json, statistics, sys
out, rounds, apps = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
runs = [{a: json.load(open(f"{out}/{a}-r{k}.json")) for a in apps} for k in range(1, rounds + 1)]
r = runs[-1]
f = r[apps[0]]
print(f"\n4 validators on one machine, offered {f['offered_rate']} tx/s for {f['seconds']} s by {f['senders']} senders")
names = {"gliad": "gliad (signed MsgSend)", "simd": "simd (signed MsgSend)",
         "kvstore": "kvstore (built in)", "kvstore-socket": "kvstore (ABCI socket)"}
rows = [("", *[names.get(a, a) for a in apps]),
        ("offered / admitted", *[f"{r[a]['offered']} / {r[a]['admitted']}" for a in apps]),
        ("committed", *[str(r[a]["committed"]) for a in apps]),
        ("committed tx/s", *[f"{r[a]['committed_tps']:.0f}" for a in apps]),
        ("broadcast_tx_sync p50 / p99 ms", *[f"{1000 * r[a]['broadcast_p50_s']:.0f} / {1000 * r[a]['broadcast_p99_s']:.0f}" for a in apps]),
        ("inclusion latency p50 / p99 s", *[f"{r[a]['latency_p50_s']:.2f} / {r[a]['latency_p99_s']:.2f}" for a in apps]),
        ("block interval p50 / p99 s", *[f"{r[a]['block_interval_p50_s']:.2f} / {r[a]['block_interval_p99_s']:.2f}" for a in apps]),
        ("committed tx/s by 10 s", *[" ".join(f"{x:.0f}" for x in r[a].get("committed_tps_by_10s", [])) for a in apps])]
def cpu(a, per_tx):
    c = r[a].get("cpu_s", {})
    parts = [c.get("cometbft"), sum(v for g, v in c.items() if g not in ("cometbft", "loadgen")), c.get("loadgen", 0.0)]
    # simd: CometBFT runs inside the app's process, so its CPU is in the app's column.
    if per_tx:
        return " / ".join("-" if v is None else f"{1000 * v / max(r[a]['committed'], 1):.2f}" for v in parts)
    return " / ".join("-" if v is None else f"{v / r[a].get('cpu_window_s', 1):.2f}" for v in parts)
rows += [("CPU cores: comet / app / loadgen", *[cpu(a, False) for a in apps]),
         ("CPU ms per tx: comet / app / lg", *[cpu(a, True) for a in apps])]
if rounds > 1:
    print(f"(round {rounds} of {rounds})")
width = max(24, 2 + max(len(c) for row in rows for c in row[1:]))
for row in rows:
    print(f"{row[0]:32}" + "".join(f"{c:>{width}}" for c in row[1:]))
peers = [a for a in apps if a != "gliad"] if "gliad" in r else []
ratio = lambda run, peer: run["gliad"]["committed_tps"] / max(run[peer]["committed_tps"], 1e-9)
for peer in peers:
    print(f"gliad / {peer} committed tx/s: {ratio(r, peer):.2f}")
if rounds > 1:
    print(f"\n{rounds} interleaved rounds, committed tx/s")
    print(f"{'round':8}" + "".join(f"{a:>16}" for a in apps) + "".join(f"{'gliad/' + p:>22}" for p in peers))
    for k, run in enumerate(runs, 1):
        print(f"{k:<8}" + "".join(f"{run[a]['committed_tps']:>16.0f}" for a in apps)
              + "".join(f"{ratio(run, p):>22.2f}" for p in peers))
    for peer in peers:
        x = sorted(ratio(run, peer) for run in runs)
        print(f"gliad / {peer}: median {statistics.median(x):.2f}, mean {statistics.mean(x):.2f}, "
              f"range {x[0]:.2f}-{x[-1]:.2f}")
PY
