#!/usr/bin/env bash
# tests/bench-peers.sh — the benchmark's Cosmos SDK peer works: localnet/up.sh --app simd starts
# a 4-validator simd network (gentxs, the development keys funded as cosmos1...), and
# glia-loadgen's signed sends, in the denom and prefix network.json names, are admitted,
# committed and executed there (every sender's balance falls by its sends and fees). Without
# this, localnet/bench.sh's simd column could break unseen. Uses its own run dir; the ports
# must be free.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
export GLIAD="${GLIAD:-$CARGO_TARGET_DIR/debug/gliad}"
run="$root/localnet/.run-bench-simd-test"
cleanup() { localnet/down.sh --run-dir "$run" >/dev/null 2>&1 || true; }
trap cleanup EXIT
GLIA_RUN_DIR="$run" localnet/up.sh --reset --app simd --accounts 4 >"$CARGO_TARGET_DIR/bench-peers-up.log" 2>&1 \
  || { cat "$CARGO_TARGET_DIR/bench-peers-up.log"; exit 1; }
"$CARGO_TARGET_DIR/debug/glia-loadgen" --network "$run/network.json" --rate 40 --seconds 6 \
  --senders 4 --json --pids "$run/pids" >"$run/loadgen.json"
python3 - "$run" <<'PY'
import json, sys, urllib.request
run = sys.argv[1]
net = json.load(open(f"{run}/network.json"))
r = json.load(open(f"{run}/loadgen.json"))
fails = []
if (net["app"], net["denom"], net["bech32_prefix"]) != ("simd", "stake", "cosmos"):
    fails.append(f"network.json names app {net['app']}, denom {net['denom']}, prefix {net['bech32_prefix']}")
if r["admitted"] < 200 or r["committed"] != r["admitted"] or r["refused"]:
    fails.append(f"{r['admitted']} txs admitted, {r['committed']} committed, {r['refused']} refused")
if "simd" not in r.get("cpu_s", {}):
    fails.append(f"no CPU figure for the simd processes: {r.get('cpu_s')}")
# Executed, not only included: each sender paid 1 stake per send plus fees.
for a in net["accounts"]:
    url = f"{net['rest'][0]}/cosmos/bank/v1beta1/balances/{a['address']}/by_denom?denom=stake"
    left = int(json.load(urllib.request.urlopen(url, timeout=5))["balance"]["amount"])
    if not left < 1_000_000_000_000 - 40:
        fails.append(f"{a['name']} ({a['address']}) still holds {left} stake")
for f in fails:
    print("FAIL:", f)
print(f"simd peer: {r['committed']} signed sends committed at {r['committed_tps']} tx/s, "
      f"latency p50 {r['latency_p50_s']:.2f} s")
print(f"bench peers: {0 if fails else 1} passed, {1 if fails else 0} failed")
sys.exit(1 if fails else 0)
PY
