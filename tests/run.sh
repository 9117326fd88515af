#!/usr/bin/env bash
# tests/run.sh — every test Glia has, on a fresh machine or a warm one:
#   1. the tools, through localnet/up.sh's own install step (so a step missing there fails here),
#      and the scripts' answers to a user's mistakes (tests/up-cli.sh);
#   2. one dev-profile build of the whole workspace, in the build dir localnet/up.sh uses
#      ($CARGO_TARGET_DIR, else target/), shared by every step;
#   3. clippy with warnings as errors (consensus code's checked-arithmetic lint), unit tests;
#   4. a real 4-validator CometBFT localnet, started by localnet/up.sh, which must find gliad
#      built (it compiles nothing); then the Rust end-to-end tests (bank, bad input, app-hash
#      agreement, SIGKILL crash-restart, every endpoint up.sh prints) and the cosmjs client tests
#      under Node;
#      then the TypeScript client's tests and the web page's, in headless Chromium;
#   5. resume: the network stopped and started again keeps its chain and state;
#   6. the READMEs: every shell block runs as written against a fresh localnet (tests/readme.py);
#   7. full blocks: a network with 16 KiB blocks under a load deeper than a block
#      (tests/full-blocks.sh);
#   8. the benchmark's Cosmos SDK peer: a 4-validator simd network carries the load generator's
#      signed sends (tests/bench-peers.sh);
#   9. every network is stopped whatever happens.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
step() { printf '\n==== %s (at %d s) ====\n' "$*" "$SECONDS"; }

# The build dir every entry point shares (localnet/lib.sh): $CARGO_TARGET_DIR, else target/.
# .ci/run points it at ~/.cache/glia/target so fresh clones on one machine reuse one build.
source localnet/lib.sh
export CARGO_TARGET_DIR="$GLIA_TARGET"

step "tools (localnet/up.sh --install-only)"
localnet/up.sh --install-only
# simd and Hermes for the IBC step (cached in ~/go/bin and ~/.cargo/bin once built).
localnet/install-ibc.sh
add_tool_dirs
# The cosmjs tests also need Node (localnet/up.sh does not): say so now, not after the build.
node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if ((node_major < 20)) || ! command -v npm >/dev/null; then
  echo "error: the cosmjs tests need Node.js 20 or newer with npm on PATH (found: $(node --version 2>/dev/null || echo none)); install it, then run tests/run.sh again" >&2
  exit 1
fi

step "localnet/up.sh and down.sh: help, and one clear line for each mistake (tests/up-cli.sh)"
tests/up-cli.sh

step "build (dev profile, whole workspace, into $CARGO_TARGET_DIR)"
cargo build --workspace --all-targets --locked

# Lints are part of the build: consensus code must use checked arithmetic (the
# clippy::arithmetic_side_effects lint on glia-modules and gliad's consensus modules).
step "clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "unit tests"
cargo test --workspace --exclude glia-e2e --locked -- --skip attack_

# Every attack of the README's threat model that runs in process is a test named attack_*:
# each performs the attack against the real code (module handlers, the app's ABCI methods,
# decode → ante → execute) and shows it failing. The ones that need the network run on the
# localnet below (tests/e2e/tests/localnet/bad_input.rs, neuro.rs).
step "adversarial: the threat model's attacks, in process (tests named attack_*)"
cargo test --workspace --exclude glia-e2e --locked -- attack_

# No GPU here, so the solver's CUDA code can only be compiled: keep it compiling. (The `cuda`
# feature, candle's backend, needs a CUDA toolkit: validator-gpu/bench/gpu-prep.sh builds it.)
step "GPU code compiles (glia-validator-gpu --features dmm-cuda)"
cargo check -p glia-validator-gpu --features dmm-cuda --all-targets --locked

# The fuzz targets (fuzz/, run by fuzz/run.sh) build gliad without its node: keep that building.
step "fuzz targets' library compiles (gliad --no-default-features)"
cargo check -p gliad --lib --no-default-features --locked

step "localnet: 4 validators (localnet/up.sh builds nothing: the build above is its build)"
export GLIA_RUN_DIR="$root/localnet/.run-e2e"
export GLIA_CHECK_INVARIANTS=true
export GLIA_NETWORK="$GLIA_RUN_DIR/network.json"
cleanup() { localnet/ibc-down.sh || true; localnet/down.sh --run-dir "$GLIA_RUN_DIR" || true; }
trap cleanup EXIT
up_log="$CARGO_TARGET_DIR/e2e-up.log"
# 24 accounts, each test its own: dev0-13 the Rust and cosmjs tests, dev14 Keplr, dev15 keys,
# dev16 the staking CLI, dev20 the web page, dev21-22 the TypeScript client; the last three
# (dev21-23) are the job-review committee, and IBC's user and relayer are dev22 and dev23.
localnet/up.sh --reset --validators 4 --accounts 24 --test-fixtures 2>&1 | tee "$up_log"
if grep -q '^ *Compiling ' "$up_log"; then
  echo "one build: 0 passed, 1 failed (localnet/up.sh compiled again after the workspace build:"
  grep '^ *Compiling ' "$up_log" | head
  echo ")"
  exit 1
fi
echo "one build: 1 passed, 0 failed"
export GLIAD="$CARGO_TARGET_DIR/debug/gliad"

step "Rust end-to-end tests"
cargo test -p glia-e2e --test localnet --locked -- --test-threads=1

step "IBC: simd (ibc-go v8.8.0) beside the localnet, Hermes between them (localnet/ibc-up.sh)"
localnet/ibc-up.sh
cargo test -p glia-e2e --test ibc --locked -- --test-threads=1
localnet/ibc-down.sh

step "cosmjs tests"
tests/cosmjs/run.sh

step "TypeScript client: @glia/proto built, its unit tests, then its helpers against the localnet"
proto/ts/run-tests.sh

# The page gliad serves on its REST port, in Debian's headless Chromium (tests/web/run.sh
# installs it and playwright-core): validators, an image requested through the form settling
# with its hash checked, a tampered blob flagged, a job posted, a phone's width. Screenshots:
# tests/web/artifacts. The page's vendored cosmjs bundle must be what its build makes.
step "web page: the browser bundle is reproducible, then the page in headless Chromium"
app/web-vendor/build.sh --check
tests/web/run.sh

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

step "READMEs: every shell block runs as written (tests/readme.py, its own network)"
localnet/down.sh --run-dir "$GLIA_RUN_DIR"
unset GLIA_NETWORK GLIAD
# Its own network, new each run (one left by an earlier run may be of an older state format).
localnet/down.sh --run-dir "$root/localnet/.run-readme" >/dev/null 2>&1 || true
rm -rf "$root/localnet/.run-readme"
GLIA_RUN_DIR="$root/localnet/.run-readme" python3 tests/readme.py README.md localnet/README.md proto/ts/README.md

step "full blocks: every proposer's mempool holds more than a block (its own network)"
tests/full-blocks.sh

step "benchmark peer: a 4-validator simd network carries signed sends (its own network)"
tests/bench-peers.sh
