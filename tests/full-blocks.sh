#!/usr/bin/env bash
# tests/full-blocks.sh — every proposal is full: a 4-validator network with 16 KiB blocks (room
# for ~7 sends once CometBFT has reserved space for the header and commit) under a load that
# keeps every mempool many blocks deep. Each proposer then gets a reaped list that fills the
# budget, and gliad puts the vote extensions in front of it, so it must drop the tail; a
# proposal over the budget stops that node's consensus (CometBFT: "transaction data size
# exceeds maximum"). The exact byte count (protobuf framing included) is unit-tested in
# app/src/proposal.rs; this runs the path on real CometBFT. Passes when every admitted tx is
# committed through a run of full blocks, all four nodes reach the same height, and no node
# logged a consensus failure. Uses its own run dir; the ports must be free.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
export GLIAD="${GLIAD:-$CARGO_TARGET_DIR/debug/gliad}"
run="$root/localnet/.run-full-blocks"
cleanup() { localnet/down.sh --run-dir "$run" >/dev/null 2>&1 || true; }
trap cleanup EXIT
GLIA_RUN_DIR="$run" GLIA_BLOCK_MAX_BYTES=16384 localnet/up.sh --reset --accounts 8 >"$CARGO_TARGET_DIR/full-blocks-up.log" 2>&1 \
  || { cat "$CARGO_TARGET_DIR/full-blocks-up.log"; exit 1; }
# 30 tx/s of ~310-byte sends for 10 s against ~7 per block: the mempools hold dozens of blocks.
"$CARGO_TARGET_DIR/debug/glia-loadgen" --network "$run/network.json" --rate 30 --seconds 10 \
  --senders 8 --json >"$run/loadgen.json"
python3 - "$run" <<'PY'
import json, sys, time, urllib.request
run = sys.argv[1]
net = json.load(open(f"{run}/network.json"))
r = json.load(open(f"{run}/loadgen.json"))
def status(url):
    return json.load(urllib.request.urlopen(f"{url}/status", timeout=5))["result"]["sync_info"]
fails = []
if r["committed"] != r["admitted"] or r["admitted"] < 250:
    fails.append(f"{r['admitted']} txs admitted, {r['committed']} committed")
# Full blocks: many blocks must have hit the same ceiling, within one tx of the fullest (else
# the mempool never outgrew a block and the test proved nothing).
top = int(status(net["rpc"][0])["latest_block_height"])
sizes = []
for h in range(2, top + 1):
    b = json.load(urllib.request.urlopen(f"{net['rpc'][0]}/block?height={h}", timeout=5))
    sizes.append(sum(len(t) * 3 // 4 for t in b["result"]["block"]["data"]["txs"] or []))
full = sum(1 for x in sizes if x > max(sizes) - 320)
biggest = max(sizes)
if full < 20:
    fails.append(f"only {full} blocks were full (up to {biggest} bytes of txs)")
# Every node still decides blocks: all reach node 0's height + 2.
want = top + 2
deadline = time.time() + 30
heights = []
while time.time() < deadline:
    heights = [int(status(u)["latest_block_height"]) for u in net["rpc"]]
    if min(heights) >= want:
        break
    time.sleep(1)
if min(heights) < want:
    fails.append(f"nodes at heights {heights}, wanted all >= {want}")
for i in range(len(net["rpc"])):
    if "CONSENSUS FAILURE" in open(f"{run}/node{i}/cometbft.log").read():
        fails.append(f"node {i} logged a consensus failure")
print(f"full blocks: {r['committed']} txs committed, {full} blocks full at ~{biggest} bytes of txs; heights {heights}")
if fails:
    print("full blocks: 0 passed, 1 failed:", "; ".join(fails))
    sys.exit(1)
print("full blocks: 1 passed, 0 failed")
PY
