# localnet/lib.sh — shared helpers, sourced by up.sh and down.sh.
set -euo pipefail

GLIA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCALNET="$GLIA_ROOT/localnet"
COMETBFT_VERSION=0.38.26
CHAIN_ID=glia-local-1
DENOM=uglia
GAS_PRICE=0.025uglia
# How gliad lays out its state; bumped with every change that an existing network's data
# cannot be read across (2: every value protobuf, the beacon under beacon/; 3: staking records
# and delegations, validators bonded at genesis; 4: the test fixtures' slashing params in
# genesis). up.sh refuses to
# resume a network written in another format instead of starting nodes that cannot read it.
STATE_FORMAT=5
# The one build directory of every entry point (up.sh, tests/run.sh, the benchmarks, the
# wrappers localnet/gliad etc.): cargo's own default, or CARGO_TARGET_DIR when set (.ci/run
# sets it so fresh clones reuse one build).
GLIA_TARGET="$(realpath -m "${CARGO_TARGET_DIR:-$GLIA_ROOT/target}")"
export GLIA_ROOT LOCALNET GLIA_TARGET

log() { echo "==> $*" >&2; }

# add_tool_dirs: where rustup and Go's tarball put their tools, which a non-login shell's PATH
# often lacks (GLIA_TOOL_DIRS overrides the list; tests/up-cli.sh empties it).
add_tool_dirs() {
  local d
  for d in ${GLIA_TOOL_DIRS-"$HOME/.cargo/bin" /usr/local/go/bin "$HOME/go/bin"}; do
    [[ -d $d && ":$PATH:" != *":$d:"* ]] && PATH="$PATH:$d"
  done
  export PATH
}
die() { echo "error: $*" >&2; exit 1; }

# set_run_dir DIR: the network's state dir (homes, logs, pids, network.json).
set_run_dir() {
  RUN_DIR="$(realpath -m "$1")"; PIDS="$RUN_DIR/pids"; NETJSON="$RUN_DIR/network.json"
  export RUN_DIR
}
set_run_dir "${GLIA_RUN_DIR:-$LOCALNET/.run}"

# Path for display: relative to the repo root when inside it.
rel() { local p; p="$(realpath -m "$1")"; echo "${p#"$GLIA_ROOT"/}"; }

# ensure_cometbft: the pinned CometBFT; COMETBFT=PATH chooses a build of the same version (e.g.
# localnet/cometbft-flushfix.sh's).
ensure_cometbft() {
  local c v
  if [[ -n ${COMETBFT:-} ]]; then
    v="$("$COMETBFT" version 2>/dev/null || true)"
    [[ $v == "$COMETBFT_VERSION"* ]] || die "COMETBFT=$COMETBFT reports version '$v', not $COMETBFT_VERSION"
    export COMETBFT; return
  fi
  for c in "$(command -v cometbft || true)" "$HOME/go/bin/cometbft"; do
    [[ -n $c && -x $c ]] || continue
    v="$("$c" version 2>/dev/null || true)"
    if [[ $v == "$COMETBFT_VERSION" || $v == "$COMETBFT_VERSION"[+-]* ]]; then COMETBFT="$c"; export COMETBFT; return; fi
  done
  command -v go >/dev/null || die "go not found: CometBFT v$COMETBFT_VERSION is installed with 'go install', which needs Go 1.22 or newer; install Go and put it on PATH (or put cometbft $COMETBFT_VERSION on PATH), then run this again"
  log "installing cometbft v$COMETBFT_VERSION (go install, about a minute the first time)"
  GOBIN="$HOME/go/bin" go install "github.com/cometbft/cometbft/cmd/cometbft@v$COMETBFT_VERSION" >&2
  COMETBFT="$HOME/go/bin/cometbft"; export COMETBFT
  v="$("$COMETBFT" version)"; [[ $v == "$COMETBFT_VERSION"* ]] || die "$COMETBFT reports version $v"
}

# ensure_abci_cli: CometBFT's abci-cli (same pinned version), which serves kvstore over the ABCI socket.
ensure_abci_cli() {
  ABCI_CLI="$HOME/go/bin/abci-cli"
  # `abci-cli version` prints the ABCI protocol's version; the build records CometBFT's.
  if [[ -x $ABCI_CLI ]] && go version -m "$ABCI_CLI" 2>/dev/null | grep -q "cometbft/cometbft[[:space:]]*v$COMETBFT_VERSION"; then
    export ABCI_CLI; return
  fi
  command -v go >/dev/null || die "abci-cli $COMETBFT_VERSION not found and go is not installed"
  log "installing abci-cli v$COMETBFT_VERSION (go install; idempotent)"
  GOBIN="$HOME/go/bin" go install "github.com/cometbft/cometbft/abci/cmd/abci-cli@v$COMETBFT_VERSION" >&2
  export ABCI_CLI
}

# ensure_gliad: builds gliad (dev profile) into GLIA_TARGET unless GLIAD names a binary.
ensure_gliad() {
  if [[ -n ${GLIAD:-} ]]; then
    [[ -x $GLIAD ]] || die "GLIAD=$GLIAD is not an executable file"
  else
    GLIAD="$GLIA_TARGET/debug/gliad"
    if [[ -x $GLIAD ]]; then
      log "building gliad (cargo build -p gliad --bin gliad: only what changed)"
    else
      log "building gliad for the first time into $(rel "$GLIA_TARGET"): about 400 crates and RocksDB's C++, ~12 minutes on 2 cores; later builds take seconds"
    fi
    # shellcheck disable=SC2086 # GLIA_CARGO_FLAGS: extra cargo flags, e.g. --timings or -j1
    (cd "$GLIA_ROOT" && CARGO_TARGET_DIR="$GLIA_TARGET" cargo build -p gliad --bin gliad --locked ${GLIA_CARGO_FLAGS:-}) >&2 \
      || die "building gliad failed (cargo's messages above)"
    [[ -x $GLIAD ]] || die "cargo build succeeded but $GLIAD is missing"
  fi
  GLIAD="$(realpath "$GLIAD")"; export GLIAD
}

# --- processes -------------------------------------------------------------
# pid_ours PID: alive and started by start_proc for this run dir (its environment carries the marker;
# guards against pid reuse; a zombie has an empty environment).
pid_ours() { grep -qzxF "GLIA_LOCALNET=$RUN_DIR" "/proc/$1/environ" 2>/dev/null; }

# count_alive: prints "alive total" for the pids file.
count_alive() {
  local name pid a=0 t=0
  [[ -f $PIDS ]] && while read -r name pid; do
    [[ -n ${pid:-} ]] || continue
    t=$((t + 1)); if pid_ours "$pid"; then a=$((a + 1)); fi
  done <"$PIDS"
  echo "$a $t"
}

# start_proc NAME LOGFILE CMD...: detached (own session), output appended to LOGFILE, pid recorded.
start_proc() {
  local name=$1 logf=$2; shift 2
  echo "--- $(date -u +%FT%TZ) starting: $*" >>"$logf"
  GLIA_LOCALNET="$RUN_DIR" setsid "$@" >>"$logf" 2>&1 </dev/null 9<&- &  # fd 9: up.sh's lock, not for children
  echo "$name $!" >>"$PIDS"
  LAST_PID=$!
}

# stop_group PID...: SIGTERM (whole process group), wait up to 10 s, then SIGKILL.
# exiting PID: the process has not finished exiting. Its environment (pid_ours) is gone as soon
# as it releases its memory, before the kernel closes its sockets, so a port check right after
# would still find them listening; a zombie has closed everything. (PIDs passed here were ours
# moments ago, so reuse within the wait is not a concern.)
exiting() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [[ ${stat:0:1} != Z ]]
}

stop_group() {
  local pid i left
  (($#)) || return 0
  for pid; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
  for ((i = 0; i < 50; i++)); do
    left=(); for pid; do exiting "$pid" && left+=("$pid"); done
    ((${#left[@]})) || return 0
    sleep 0.2
  done
  log "still running after 10 s, sending SIGKILL: ${left[*]}"
  for pid in "${left[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; done
}

# stop_network: cometbft first (so it never sees its app vanish mid-block), then the apps. Keeps state.
stop_network() {
  local name pid cmt=() app=()
  [[ -f $PIDS ]] || { log "nothing running in $(rel "$RUN_DIR")"; return 0; }
  while read -r name pid; do
    [[ -n ${pid:-} ]] && pid_ours "$pid" || continue
    if [[ $name == cometbft* ]]; then cmt+=("$pid"); else app+=("$pid"); fi
  done <"$PIDS"
  if ((${#cmt[@]} + ${#app[@]})); then
    log "stopping $((${#cmt[@]} + ${#app[@]})) processes of $(rel "$RUN_DIR")"
    stop_group "${cmt[@]}"; stop_group "${app[@]}"
  else
    log "nothing running in $(rel "$RUN_DIR")"
  fi
  rm -f "$PIDS"
}

# --- waiting ---------------------------------------------------------------
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_port PORT PID LOG [TIMEOUT_S]
wait_port() {
  local port=$1 pid=$2 logf=$3 t=${4:-60} i
  for ((i = 0; i < t * 5; i++)); do
    port_open "$port" && return 0
    # Just after start_proc the child may not have exec'd yet (no marker in its environment).
    pid_ours "$pid" || kill -0 "$pid" 2>/dev/null || die "process $pid exited before listening on 127.0.0.1:$port; see $(rel "$logf"):"$'\n'"$(tail -n 20 "$logf")"
    sleep 0.2
  done
  die "timeout (${t}s) waiting for 127.0.0.1:$port; see $(rel "$logf")"
}

height() { { curl -s --max-time 2 "http://127.0.0.1:$1/status" 2>/dev/null || true; } | sed -n 's/.*"latest_block_height": *"\([0-9]*\)".*/\1/p'; }

# wait_blocks N MODE TIMEOUT_S: every node's RPC reports height >= 2 (fresh) or a new block past the
# first height it reports (resume).
wait_blocks() {
  local n=$1 mode=$2 t=$3 i h done name pid start=$SECONDS
  local -a first=()
  while :; do
    done=0
    for ((i = 0; i < n; i++)); do
      h="$(height $((26657 + 10 * i)))"; [[ -n $h ]] || continue
      [[ -n ${first[i]:-} ]] || first[i]=$h
      if ((h >= 2)) && [[ $mode == fresh || $h -gt ${first[i]} ]]; then done=$((done + 1)); fi
    done
    if ((done == n)); then return 0; fi
    while read -r name pid; do
      pid_ours "$pid" || die "$name (pid $pid) exited; see $(rel "$RUN_DIR")/node${name//[!0-9]/}/$(tr -d 0-9 <<<"$name").log"
    done <"$PIDS"
    ((SECONDS - start < t)) || die "timeout (${t}s): $done/$n nodes produce blocks; see $(rel "$RUN_DIR")/node*/cometbft.log and gliad.log"
    sleep 1
  done
}

# executors PORT: how many executors node PORT's committed state has registered.
executors() {
  python3 - "$1" <<'PY'
import base64, json, sys, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/abci_query?path=%22/glia.inference.v1.Query/Executors%22"
try:
    r = json.load(urllib.request.urlopen(url, timeout=3))["result"]["response"]
except Exception:
    print(0); sys.exit()
b = base64.b64decode(r.get("value") or "")
def varint(i):
    v = s = 0
    while True:
        c = b[i]; i += 1; v |= (c & 0x7F) << s; s += 7
        if c < 0x80: return v, i
n = i = 0
while i < len(b):  # QueryExecutorsResponse: field 1 is one executor
    k, i = varint(i)
    if k & 7 == 2:
        l, i = varint(i); i += l; n += k >> 3 == 1
    elif k & 7 == 0: _, i = varint(i)
    else: i += 8 if k & 7 == 1 else 4
print(n)
PY
}

# wait_executors N TIMEOUT_S: every validator's executor has registered (each signs its
# registration with its operator account once the chain runs), so the first request with
# --replicas up to N finds its executors.
wait_executors() {
  local n=$1 t=$2 start=$SECONDS got
  while :; do
    got="$(executors 26657)"
    ((got >= n)) && return 0
    ((SECONDS - start < t)) || { log "warning: only $got of $n executors registered after ${t}s; see $(rel "$RUN_DIR")/node*/gliad.log"; return 0; }
    sleep 1
  done
}

# print_next: what to try once the network runs.
print_next() {
  local g=localnet/gliad
  [[ $RUN_DIR == "$LOCALNET/.run" ]] || g="GLIA_RUN_DIR=$(rel "$RUN_DIR") localnet/gliad"
  cat <<NEXT

what next ($g is the gliad built here; --from signs as an account above):
  $g tx inference generate-image "a lighthouse at dusk" --seeds 2 --replicas 2 --wait --out pics --from dev0
  $g gen planted-3sat --vars 200 --ratio 4.3 --seed 3 --out p.cnf
  $g tx neuro submit-job p.cnf --block-fee 500 --max-blocks 20 --reward 9000 --wait --from dev1
  curl -s http://127.0.0.1:26657/status        # CometBFT RPC; the node's page: http://127.0.0.1:1317/
  README.md walks through each; localnet/README.md lists every port and file.
NEXT
}

# make_simd_chain HOME CHAIN RPC P2P PROXY GRPC API RELAYER_MN USER_MN: a one-validator simd chain
# (ibc-go's simapp, $SIMD) in HOME unless one is there: keys validator, relayer and user (the
# last two from the mnemonics), each funded with stake; 1 s blocks, free gas, the listeners on
# the given ports, REST on with CORS. Used by ibc-up.sh and its benchmark's peer (ibc-peer.sh).
make_simd_chain() {
  local home=$1 chain=$2 rpc=$3 p2p=$4 proxy=$5 grpc=$6 api=$7 relayer_mn=$8 user_mn=$9 k
  [[ -f $home/config/genesis.json ]] && return 0
  log "making simd chain $chain in $(rel "$home")"
  rm -rf "$home"
  _simd() { "$SIMD" --home "$home" "$@"; }
  _simd init "$chain-node" --chain-id "$chain" --default-denom stake >/dev/null 2>&1
  _simd keys add validator --keyring-backend test >/dev/null 2>&1
  echo "$relayer_mn" | _simd keys add relayer --recover --keyring-backend test >/dev/null 2>&1
  echo "$user_mn" | _simd keys add user --recover --keyring-backend test >/dev/null 2>&1
  for k in validator relayer user; do
    _simd genesis add-genesis-account "$(_simd keys show "$k" -a --keyring-backend test)" 100000000000000stake --keyring-backend test
  done
  _simd genesis gentx validator 1000000000stake --chain-id "$chain" --keyring-backend test >/dev/null 2>&1
  _simd genesis collect-gentxs >/dev/null 2>&1
  python3 - "$home" "$rpc" "$p2p" "$proxy" <<'PY'
import re, sys
home, rpc, p2p, proxy = sys.argv[1:]
c = open(f"{home}/config/config.toml").read()
c = re.sub(r'laddr = "tcp://127.0.0.1:26657"', f'laddr = "tcp://127.0.0.1:{rpc}"', c)
c = re.sub(r'laddr = "tcp://0.0.0.0:26656"', f'laddr = "tcp://127.0.0.1:{p2p}"', c)
c = re.sub(r'proxy_app = "tcp://127.0.0.1:26658"', f'proxy_app = "tcp://127.0.0.1:{proxy}"', c)
c = re.sub(r'timeout_commit = "[^"]*"', 'timeout_commit = "1s"', c)
c = re.sub(r'pprof_laddr = "[^"]*"', 'pprof_laddr = ""', c)
c = re.sub(r'prometheus = true', 'prometheus = false', c)
open(f"{home}/config/config.toml", "w").write(c)
PY
  simd_app_config "$home" "$grpc" "$api" 0stake
}

# ensure_simd: ibc-go v8.8.0's simapp, the Cosmos SDK chain of the IBC network and of the
# benchmark (localnet/install-ibc.sh --only simd builds it when missing).
ensure_simd() {
  "$LOCALNET/install-ibc.sh" --only simd
  SIMD="${SIMD:-$HOME/go/bin/simd}"; export SIMD
}

# rehrp_accounts HRP: reads dev-accounts' JSON array and prints it with each address spelt
# under another bech32 prefix (the same key, so the same 20 bytes: a simd chain's accounts).
rehrp_accounts() {
  python3 -c '
import json, sys
CH = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
def polymod(v):
    c = 1
    for x in v:
        b = c >> 25; c = (c & 0x1FFFFFF) << 5 ^ x
        for i, g in enumerate((0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)):
            c ^= g if (b >> i) & 1 else 0
    return c
def rehrp(addr, hrp):  # BIP-173: the data part without its checksum, checksummed under hrp
    data = [CH.index(ch) for ch in addr[addr.rindex("1") + 1:]][:-6]
    m = polymod([ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp] + data + [0] * 6) ^ 1
    return hrp + "1" + "".join(CH[d] for d in data) + "".join(CH[(m >> 5 * (5 - i)) & 31] for i in range(6))
accounts = json.load(sys.stdin)
for a in accounts:
    a["address"] = rehrp(a["address"], sys.argv[1])
print(json.dumps(accounts))
' "$1"
}

# make_simd_validators RUN N CHAIN ACCOUNTS_JSON: the genesis of an N-validator simd network in
# RUN/node0..: each node's validator key (keyring "test" in its home) funded and self-bonded by
# a gentx (100,000 stake of 1,000,000, as gliad's operators), and every account in ACCOUNTS_JSON
# (cosmos addresses) funded like a Glia development account. Configs are left to the caller.
make_simd_validators() {
  local run=$1 n=$2 chain=$3 accounts=$4 i home addr h0="$1/node0"
  for ((i = 0; i < n; i++)); do
    home="$run/node$i"
    "$SIMD" init "node$i" --chain-id "$chain" --default-denom stake --home "$home" >/dev/null 2>&1 \
      || die "simd init failed in $(rel "$home")"
    "$SIMD" keys add validator --keyring-backend test --home "$home" >/dev/null 2>&1
    addr="$("$SIMD" keys show validator -a --keyring-backend test --home "$home")"
    "$SIMD" genesis add-genesis-account "$addr" 1000000000000stake --home "$h0"
  done
  for addr in $(python3 -c 'import json,sys; print(" ".join(a["address"] for a in json.loads(sys.argv[1])))' "$accounts"); do
    "$SIMD" genesis add-genesis-account "$addr" 1000000000000stake --home "$h0"
  done
  mkdir -p "$h0/config/gentx"
  for ((i = 0; i < n; i++)); do
    home="$run/node$i"
    ((i == 0)) || cp "$h0/config/genesis.json" "$home/config/genesis.json"
    "$SIMD" genesis gentx validator 100000000000stake --chain-id "$chain" --keyring-backend test \
      --home "$home" --output-document "$h0/config/gentx/gentx-node$i.json" >/dev/null 2>&1 \
      || die "simd genesis gentx failed for node$i"
  done
  "$SIMD" genesis collect-gentxs --home "$h0" >/dev/null 2>&1 || die "simd genesis collect-gentxs failed"
}

# simd_app_config HOME GRPC API MIN_GAS_PRICE: a simd node's app.toml: gRPC and REST (on, with
# CORS) on the given ports, the minimum gas price its mempool asks.
simd_app_config() {
  python3 - "$@" <<'PY'
import re, sys
home, grpc, api, gas = sys.argv[1:]
a = open(f"{home}/config/app.toml").read()
a = re.sub(r'minimum-gas-prices = "[^"]*"', f'minimum-gas-prices = "{gas}"', a)
a = re.sub(r'address = "localhost:9090"', f'address = "127.0.0.1:{grpc}"', a)
a = re.sub(r'address = "tcp://localhost:1317"', f'address = "tcp://127.0.0.1:{api}"', a)
a = re.sub(r'(\[api\][^\[]*?enable = )false', r'\1true', a, flags=re.S)
a = re.sub(r'enabled-unsafe-cors = false', 'enabled-unsafe-cors = true', a)
open(f"{home}/config/app.toml", "w").write(a)
PY
}

# print_endpoints: human summary of network.json.
print_endpoints() {
  python3 - "$NETJSON" "$(rel "$RUN_DIR")" <<'PY'
import json, sys
n = json.load(open(sys.argv[1])); run = sys.argv[2]
print(f"\nchain {n['chain_id']}   app {n['app']}   validators {n['validators']}   profile {run}/network.json")
rows = [("node", "rpc", "grpc", "rest", "metrics")]
for i in range(n["validators"]):
    g = lambda k: n[k][i] if i < len(n[k]) else "-"
    rows.append((str(i), g("rpc"), g("grpc"), g("rest"), g("metrics")))
w = [max(len(r[c]) for r in rows) for c in range(5)]
for r in rows: print("  ".join(x.ljust(w[c]) for c, x in enumerate(r)).rstrip())
if n.get("web"): print(f"web      {n['web']}   blobs {n['blobs'][0]} ...   gas price {n['gas_price']}")
if n["app"] == "gliad": print(f"keplr    {run}/keplr.json (chain info for experimentalSuggestChain; also {n['rest'][0]}/keplr.json)")
for a in n["accounts"]: print(f"account  {a['name']:6} {a['address']}")
print(f"logs     {run}/nodeI/simd.log" if n["app"] == "simd" else
      f"logs     {run}/nodeI/cometbft.log" + (f", {run}/nodeI/gliad.log" if n["app"] == "gliad" else ""))
print(f"stop     localnet/down.sh" + ("" if run == "localnet/.run" else f" --run-dir {run}"))
PY
}

# Builds proto/ts (the TypeScript client @glia/proto) into proto/ts/dist when Node 20+ and npm
# are on PATH and dist is missing or older than a source; says why when it cannot.
build_ts_client() {
  local ts="$LOCALNET/../proto/ts" major
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    log "TypeScript client not built: Node.js 20+ with npm is not installed (only the TypeScript examples need it)"
    return 0
  fi
  major="$(node -p 'process.versions.node.split(".")[0]')"
  if ((major < 20)); then
    log "TypeScript client not built: Node.js $(node --version) is older than 20"
    return 0
  fi
  if [[ -f $ts/dist/index.js ]] && [[ -z "$(find "$ts/src" "$ts/package-lock.json" "$ts/../glia" -newer "$ts/dist/index.js" \( -name '*.ts' -o -name '*.proto' -o -name package-lock.json \) -not -path '*/src/glia/*' -not -path '*/src/cosmos/*' -print -quit)" ]]; then
    return 0
  fi
  log "building the TypeScript client (proto/ts → proto/ts/dist)"
  (
    cd "$ts"
    if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
      npm ci --no-audit --no-fund
    fi
    npm run --silent build
  ) >"$RUN_DIR/ts-client-build.log" 2>&1 || die "building proto/ts failed; see $(rel "$RUN_DIR/ts-client-build.log")"
}
