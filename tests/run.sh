#!/usr/bin/env bash
# tests/run.sh — every test Glia has, on a fresh machine or a warm one:
#   1. system packages and tools the build and tests need (installed when missing);
#   2. one dev-profile build of the whole workspace, shared by every step;
#   3. unit tests;
#   4. a real 4-validator CometBFT localnet, then the Rust end-to-end tests (bank, bad input,
#      app-hash agreement, SIGKILL crash-restart) and the cosmjs client tests under Node;
#   5. resume: the network stopped and started again keeps its chain and state;
#   6. full blocks: a second network with 16 KiB blocks under a load deeper than a block
#      (tests/full-blocks.sh);
#   7. every network is stopped whatever happens.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
step() { printf '\n==== %s ====\n' "$*"; }

# One build directory per user, shared by every checkout on this machine (a CI run in a fresh
# clone reuses what the last run built; a new machine builds from scratch, ~45 min on 2 cores,
# most of it RocksDB's C++).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/glia/target}"

step "system packages"
tests/install-deps.sh

step "build (dev profile, whole workspace)"
cargo build --workspace --all-targets --locked

step "unit tests"
cargo test --workspace --exclude glia-e2e --locked

# No GPU here, so the solver's CUDA code can only be compiled: keep it compiling. (The `cuda`
# feature, candle's backend, needs a CUDA toolkit: validator-gpu/bench/gpu-prep.sh builds it.)
step "GPU code compiles (glia-validator-gpu --features dmm-cuda)"
cargo check -p glia-validator-gpu --features dmm-cuda --all-targets --locked

step "localnet: 4 validators"
export GLIA_RUN_DIR="$root/localnet/.run-e2e"
export GLIAD="$CARGO_TARGET_DIR/debug/gliad"
export GLIA_CHECK_INVARIANTS=true
export GLIA_NETWORK="$GLIA_RUN_DIR/network.json"
cleanup() { localnet/down.sh --run-dir "$GLIA_RUN_DIR" || true; }
trap cleanup EXIT
localnet/up.sh --reset --validators 4 --accounts 12 --test-fixtures

step "Rust end-to-end tests"
cargo test -p glia-e2e --locked -- --test-threads=1

step "cosmjs tests"
tests/cosmjs/run.sh

step "resume: localnet/down.sh, then localnet/up.sh again keeps the chain and its state"
q() { python3 -c "import json,sys,urllib.request as u; d=json.load(u.urlopen(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
dev0=$(python3 -c "import json; print(json.load(open('$GLIA_NETWORK'))['accounts'][0]['address'])")
h1=$(q http://127.0.0.1:26657/status 'd["result"]["sync_info"]["latest_block_height"]')
b1=$(q "http://127.0.0.1:1317/cosmos/bank/v1beta1/balances/$dev0" 'd["balances"][0]["amount"]')
localnet/down.sh --run-dir "$GLIA_RUN_DIR"
localnet/up.sh
h2=$(q http://127.0.0.1:26657/status 'd["result"]["sync_info"]["latest_block_height"]')
b2=$(q "http://127.0.0.1:1317/cosmos/bank/v1beta1/balances/$dev0" 'd["balances"][0]["amount"]')
echo "before: height $h1, dev0 $b1 uglia; after resume: height $h2, dev0 $b2 uglia"
if ((h2 > h1)) && [[ $b1 == "$b2" ]]; then
  echo "resume: 1 passed, 0 failed"
else
  echo "resume: 0 passed, 1 failed (the chain must continue past $h1 with dev0's balance $b1)"
  exit 1
fi

step "full blocks: every proposer's mempool holds more than a block (its own network)"
localnet/down.sh --run-dir "$GLIA_RUN_DIR"
tests/full-blocks.sh
