#!/usr/bin/env bash
# localnet/up.sh — start (or resume) a local Glia network. See localnet/README.md.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<'USAGE'
usage: localnet/up.sh [options]

Starts a local Glia network (default: 4 validators, each a cometbft and a gliad on this
machine), or resumes the one in the run dir. The first run installs what is missing (Debian's
clang, libclang-dev, curl and python3; CometBFT v0.38.26 with go install) and builds gliad.
It returns once every node commits blocks and every executor has registered, then prints the
endpoints and what to try next. Stop it with localnet/down.sh; state is kept.

options:
  --validators N     validators of a new network (default 4; ignored when resuming)
  --accounts N       funded development accounts dev0..dev(N-1) of a new network (default 4;
                     ignored when resuming)
  --reset            delete the existing network in the run dir and make a new one
  --app APP          gliad (default); the benchmark peers: simd (ibc-go v8.8.0's simapp, a
                     Cosmos SDK chain: validators bonded by gentxs, the development accounts
                     funded in stake, bech32 prefix cosmos), kvstore (CometBFT's built-in app)
                     or kvstore-socket (the same app over the ABCI socket)
  --test-fixtures    tests/run.sh's faults: node 3's executor inverts its images, a model
                     tiny-unserved is held only by nodes 2 and 3, and slashing watches a
                     20-block window (half signed) and jails for 20 s
  --install-only     install the missing tools, then stop (tests/run.sh uses it)
  -h, --help         this help

environment:
  GLIA_RUN_DIR       run dir (default localnet/.run): homes, logs, pids, network.json
  CARGO_TARGET_DIR   build dir (default target/), shared with tests/run.sh and the benchmarks
  GLIAD, COMETBFT    use these binaries instead of building/installing them
  GLIA_CARGO_FLAGS   extra flags for cargo build, e.g. --timings (a report of where the time goes)
  GLIA_UP_TIMEOUT    seconds to wait for blocks (default 90)
  See localnet/README.md for the rest (GLIA_TX_INDEXER, GLIA_INDEX_EVENTS, GLIA_BLOCK_MAX_BYTES...).
USAGE
}
bad_usage() { echo "error: $*; see localnet/up.sh --help" >&2; exit 2; }
N=4 ACCOUNTS=4 APP=gliad RESET=0 NSET=0 ASET=0 FIXTURES=0 INSTALL_ONLY=0 STOPPED=0
while (($#)); do
  case $1 in
    --validators) [[ $# -ge 2 ]] || bad_usage "--validators needs a number"; N=$2; NSET=1; shift 2 ;;
    --accounts) [[ $# -ge 2 ]] || bad_usage "--accounts needs a number"; ACCOUNTS=$2; ASET=1; shift 2 ;;
    --app) [[ $# -ge 2 ]] || bad_usage "--app needs gliad, simd, kvstore or kvstore-socket"; APP=$2; shift 2 ;;
    --reset) RESET=1; shift ;;
    --test-fixtures) FIXTURES=1; shift ;;
    --install-only) INSTALL_ONLY=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) bad_usage "unknown option '$1'" ;;
  esac
done
# kvstore: CometBFT's built-in app, inside the cometbft process; kvstore-socket: the same app
# served by CometBFT's abci-cli over the ABCI socket, as gliad is (both are benchmark peers).
[[ $APP == gliad || $APP == simd || $APP == kvstore || $APP == kvstore-socket ]] || bad_usage "--app must be gliad, simd, kvstore or kvstore-socket, not '$APP'"
# simd: a chain of its own, in its own denom and address prefix.
[[ $APP != simd ]] || { CHAIN_ID=simd-local-1 DENOM=stake GAS_PRICE=0.025stake; }
[[ $N =~ ^[1-9][0-9]*$ ]] || bad_usage "--validators takes a number from 1, not '$N'"
[[ $ACCOUNTS =~ ^[0-9]+$ ]] || bad_usage "--accounts takes a number, not '$ACCOUNTS'"

# Everything the network needs, installed when missing (tests/run.sh gets its tools here too).
"$LOCALNET/install-deps.sh"
((INSTALL_ONLY == 0)) || exit 0
# install-deps may have found the toolchains outside PATH.
add_tool_dirs
[[ $APP != gliad && -z ${GLIA_RUN_DIR:-} ]] && set_run_dir "$LOCALNET/.run-$APP"

# One up.sh at a time (both networks share the same ports).
exec 9<"$LOCALNET"; flock -n 9 || die "another localnet/up.sh is running"

MODE=fresh
if [[ -f $NETJSON && $RESET == 0 ]]; then
  MODE=resume
  read -r NAPP N FIXTURES NFORMAT < <(python3 -c 'import json,sys; n=json.load(open(sys.argv[1])); print(n["app"], n["validators"], int(n.get("test_fixtures", False)), n.get("state_format", 1))' "$NETJSON")
  [[ $NAPP == "$APP" ]] || die "the network in $(rel "$RUN_DIR") runs app '$NAPP'; use --app $NAPP, or --reset to replace it"
  [[ $APP != gliad || $NFORMAT == "$STATE_FORMAT" ]] || die "the network in $(rel "$RUN_DIR") was written by a gliad of state format $NFORMAT; this gliad reads format $STATE_FORMAT and cannot resume it: localnet/up.sh --reset starts a new network (its state and accounts are replaced)"
  ((NSET == 0)) || log "resuming the existing $N-validator network; --validators is ignored (use --reset to rebuild)"
  ((ASET == 0)) || log "resuming the existing network; --accounts is ignored: its accounts are in $(rel "$NETJSON") (use --reset to rebuild)"
  read -r ALIVE TOTAL < <(count_alive)
  if ((TOTAL > 0 && ALIVE == TOTAL)); then
    log "network already running ($ALIVE processes)"; print_endpoints; exit 0
  fi
  ((ALIVE == 0)) || { log "network partly running ($ALIVE/$TOTAL processes); restarting it"; stop_network; STOPPED=1; }
elif [[ -f $PIDS ]]; then
  stop_network; STOPPED=1
fi
rm -f "$PIDS"

# Nothing else may hold our ports (e.g. the other network: gliad and kvstore modes share ports).
for ((i = 0; i < N; i++)); do
  b=$((26656 + 10 * i))
  for p in $b $((b + 1)) $((b + 2)) $((b + 4)) $((9090 + 10 * i)) $((1317 + 10 * i)); do
    [[ $APP == kvstore* ]] && ((p < 26000)) && continue
    [[ $APP == kvstore || $APP == simd ]] && ((p == b + 2)) && continue
    # Just after stopping our own network, give the kernel a moment to release its ports.
    for ((w = 0; w < 25 && STOPPED == 1; w++)); do port_open "$p" || break; sleep 0.2; done
    port_open "$p" && die "port 127.0.0.1:$p is in use: another network or program holds it (stop a network with localnet/down.sh [--run-dir DIR]; 'ss -ltnp' names the program)"
  done
done

ensure_cometbft
[[ $APP == gliad || $APP == simd ]] && ensure_gliad  # simd: for the development accounts
[[ $APP == simd ]] && ensure_simd
[[ $APP == kvstore-socket ]] && ensure_abci_cli

if [[ $MODE == fresh ]]; then
  log "creating a $N-validator $APP network in $(rel "$RUN_DIR")"
  rm -rf "$RUN_DIR"; mkdir -p "$(dirname "$RUN_DIR")"
  if [[ $APP == simd ]]; then
    # The same development accounts (same keys), spelt cosmos1...; simd makes its own homes.
    ACCOUNTS_JSON="$("$GLIAD" dev-accounts --count "$ACCOUNTS" | rehrp_accounts cosmos)" || die "dev-accounts failed"
    OPERATORS_JSON='[]' TINY_SHA256=''
    make_simd_validators "$RUN_DIR" "$N" "$CHAIN_ID" "$ACCOUNTS_JSON"
  else
    "$COMETBFT" testnet --v "$N" --o "$RUN_DIR" --populate-persistent-peers --starting-ip-address 127.0.0.1 >/dev/null
  fi
  if [[ $APP == gliad ]]; then
    ACCOUNTS_JSON="$("$GLIAD" dev-accounts --count "$ACCOUNTS")" || die "'$GLIAD dev-accounts --count $ACCOUNTS' failed"
    # Each validator's operator account: registers its executor and is paid for its work.
    OPERATORS_JSON="$("$GLIAD" dev-accounts --count "$N" --first 1000 --prefix operator)" || die "dev-accounts failed"
    # The embedded tiny model: weights generated from a fixed seed, registered in genesis.
    TINY_SHA256="$("$GLIAD" tiny-model --out "$RUN_DIR/models/tiny")" || die "writing the tiny model failed"
  elif [[ $APP == kvstore* ]]; then
    ACCOUNTS_JSON='[]' OPERATORS_JSON='[]' TINY_SHA256=''
  fi
  IDS=(); for ((i = 0; i < N; i++)); do IDS+=("$("$COMETBFT" show-node-id --home "$RUN_DIR/node$i")"); done
  export ACCOUNTS_JSON OPERATORS_JSON TINY_SHA256 FIXTURES CHAIN_ID DENOM STATE_FORMAT
  python3 - "$RUN_DIR" "$N" "$APP" "${IDS[@]}" <<'PY'
import json, os, re, sys
run, n, app, ids = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
q = json.dumps  # a JSON string of ASCII text is a valid TOML basic string

def set_keys(path, edits):
    out, sec, seen = [], "", set()
    for line in open(path):
        m = re.match(r"\s*\[([^\]]+)\]\s*$", line)
        if m:
            sec = m.group(1)
        else:
            m = re.match(r"\s*([A-Za-z0-9_]+)\s*=", line)
            if m and (sec, m.group(1)) in edits:
                line = f"{m.group(1)} = {edits[(sec, m.group(1))]}\n"
                seen.add((sec, m.group(1)))
        out.append(line)
    if set(edits) - seen:
        sys.exit(f"{path}: keys not found: {sorted(set(edits) - seen)}")
    open(path, "w").writelines(out)

for i in range(n):
    b = 26656 + 10 * i
    set_keys(f"{run}/node{i}/config/config.toml", {
        ("", "moniker"): q(f"node{i}"),
        ("", "proxy_app"): q(f"tcp://127.0.0.1:{b + 2}"),
        ("rpc", "laddr"): q(f"tcp://127.0.0.1:{b + 1}"),
        ("rpc", "cors_allowed_origins"): '["*"]',
        ("p2p", "laddr"): q(f"tcp://127.0.0.1:{b}"),
        ("p2p", "persistent_peers"): q(",".join(f"{ids[j]}@127.0.0.1:{26656 + 10 * j}" for j in range(n) if j != i)),
        ("p2p", "allow_duplicate_ip"): "true",
        ("p2p", "addr_book_strict"): "false",
        ("mempool", "size"): "50000",
        ("mempool", "max_txs_bytes"): str(1 << 30),
        ("mempool", "cache_size"): "100000",
        ("consensus", "timeout_commit"): '"1s"',
        # "null" turns CometBFT's tx indexer off (no tx_search), as validators that serve no
        # queries run; benchmarks use it to measure what indexing costs.
        ("tx_index", "indexer"): q(os.environ.get("GLIA_TX_INDEXER", "kv")),
        # CometBFT's log filter, e.g. "mempool:debug,*:info" (GLIA_COMET_LOG_LEVEL).
        ("", "log_level"): q(os.environ.get("GLIA_COMET_LOG_LEVEL", "info")),
        ("instrumentation", "prometheus"): "true",
        ("instrumentation", "prometheus_listen_addr"): q(f"127.0.0.1:{b + 4}"),
        # Go's pprof endpoint, for profiling CometBFT under load (GLIA_PPROF=1).
        ("rpc", "pprof_laddr"): q(f"127.0.0.1:{b + 5}") if os.environ.get("GLIA_PPROF") == "1" else '""',
    })

g = json.load(open(f"{run}/node0/config/genesis.json"))
g["chain_id"] = os.environ["CHAIN_ID"]
# The Cosmos SDK's genesis (simd) keeps CometBFT's consensus params under consensus.params.
cparams = g["consensus"]["params"] if app == "simd" else g["consensus_params"]
# GLIA_BLOCK_MAX_BYTES shrinks blocks (tests/full-blocks.sh: every proposal is full); evidence
# must fit in a block, so its budget shrinks with it.
max_bytes = int(os.environ.get("GLIA_BLOCK_MAX_BYTES", "4194304"))
# A block asks at most 1e9 gas (20 txs at max_tx_gas): FinalizeBlock's work is bounded, and
# every node enforces it in ProcessProposal.
cparams["block"].update(max_bytes=str(max_bytes), max_gas="1000000000")
if "GLIA_BLOCK_MAX_BYTES" in os.environ:
    ev = cparams["evidence"]
    ev["max_bytes"] = str(min(int(ev["max_bytes"]), max_bytes // 8))
if app == "gliad":
    cparams.setdefault("abci", {})["vote_extensions_enable_height"] = "1"
accounts = json.loads(os.environ["ACCOUNTS_JSON"])
assert isinstance(accounts, list) and all({"name", "address", "mnemonic"} <= set(a) for a in accounts), \
    "dev-accounts must print a JSON array of {name, address, mnemonic}"
operators = json.loads(os.environ["OPERATORS_JSON"])
def tiny(model_id, min_replicas=2):
    return {"id": model_id, "family": "tiny", "weights_sha256": os.environ["TINY_SHA256"],
            "phash_threshold": 10, "price_per_step_megapixel": 1000000,
            "max_steps": 50, "max_width": 512, "max_height": 512, "min_replicas": min_replicas}
# Neuromorphic jobs above 5000 units of size (literals + clauses) wait for a review committee:
# the last three development accounts, two approvals needed.
neuro_params = {"committee": [a["address"] for a in accounts[-3:]] if len(accounts) >= 3 else [],
                "quorum": 2 if len(accounts) >= 3 else 1, "review_size_threshold": 5000,
                "review_timeout_blocks": 200,
                # Jobs, like image requests, may pay in simd's stake from channel-0.
                "fee_denoms": [{"denom": "transfer/channel-0/stake", "units": 2, "uglia": 1}]}
# tiny-unserved (test fixtures) is held by two validators that never answer: one replica is
# enough to watch a silent slot be replaced and refunded.
models = [tiny("tiny")] + ([tiny("tiny-unserved", 1)] if os.environ["FIXTURES"] == "1" else [])
# Every block carries each validator's vote extension beside its txs; gliad refuses a genesis
# whose blocks cannot hold them and one tx. Small blocks get small extensions and txs.
small = {"params": {"max_tx_bytes": 4096}, "ext": {"max_vote_extension_bytes": 1024}} \
    if "GLIA_BLOCK_MAX_BYTES" in os.environ else {"params": {}, "ext": {}}
# 100,000 GLIA self-bonded by each operator (power 100,000); 10% commission, at most 20%,
# changed by at most 1% a day.
gentxs = [{"operator": op["address"],
           "consensus_pubkey": json.load(open(f"{run}/node{i}/config/priv_validator_key.json"))["pub_key"]["value"],
           "self_bond": "100000000000", "moniker": f"node{i}",
           "commission_rate": "0.1", "commission_max_rate": "0.2", "commission_max_change_rate": "0.01"}
          for i, op in enumerate(operators)]
# CometBFT takes the first validator set from InitChain's answer, as a Cosmos SDK chain's.
if app == "gliad":
    g["validators"] = []
# simd's app state is its own (made by make_simd_validators); kvstore has none.
g["app_state"] = g["app_state"] if app == "simd" else {} if app.startswith("kvstore") else {
    "params": small["params"],
    "bank": {"balances": [
        {"address": a["address"], "coins": [{"denom": os.environ["DENOM"], "amount": "1000000000000"}]}
        for a in sorted(accounts + operators, key=lambda a: a["address"])]},
    # Requests may pay in simd's stake as it arrives over Glia's first channel (localnet/ibc-up.sh
    # opens it as channel-0): 2 stake for 1 uglia.
    "inference": {"models": models, "params": {**small["ext"], "fee_denoms": [
        {"denom": "transfer/channel-0/stake", "units": 2, "uglia": 1}]}},
    "neuro": {"params": neuro_params},
    # 4 minutes: undelegations in the tests complete within a run, and IBC light clients of
    # this chain (trusting period 2/3 of it, 160 s) stay fresh under a relayer's updates.
    # Each node's operator bonds its consensus key at genesis (gentx-like records: the same
    # path as MsgCreateValidator); gliad's InitChain returns the set they make. The set holds
    # at most as many validators as blocks have room for their vote extensions.
    "staking": {"params": {"unbonding_seconds": 240,
                           "max_validators": 5 if "GLIA_BLOCK_MAX_BYTES" in os.environ else 10},
                "validators": gentxs},
    # An emission in proportion to the localnet's few million GLIA (about 2% a year at first),
    # so the APR wallets show from Inflation looks like a chain's.
    "mint": {"emission_cap": "1000000000000"},
    # The useful-work pool closes an epoch every 30 blocks (about 30 s), so a localnet user
    # (and the e2e tests) see executors and solvers paid from it within a minute.
    "distribution": {"epoch_blocks": 30},
    # Test fixtures: a window short enough for the e2e tests to watch a stopped validator
    # jailed within a minute, and let back in 20 s later (tests/e2e/tests/localnet/
    # validators.rs); otherwise the SDK's defaults (100 blocks, half signed, 600 s jailed).
    **({"slashing": {"signed_blocks_window": 20, "min_signed_per_window": "0.5",
                     "downtime_jail_seconds": 20}} if os.environ["FIXTURES"] == "1" else {})}
for i, op in enumerate(operators):
    path = f"{run}/node{i}/glia/operator.mnemonic"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write(op["mnemonic"] + "\n")
for i in range(n):
    with open(f"{run}/node{i}/config/genesis.json", "w") as f:
        json.dump(g, f, indent=2)
PY
  if [[ $APP == gliad ]]; then
    for ((i = 0; i < N; i++)); do
      mkdir -p "$RUN_DIR/node$i/glia/models"
      cp -al "$RUN_DIR/models/tiny" "$RUN_DIR/node$i/glia/models/tiny"
      ((FIXTURES == 1 && i >= 2)) && cp -al "$RUN_DIR/models/tiny" "$RUN_DIR/node$i/glia/models/tiny-unserved"
    done
  fi
fi

# Start: apps first (each must accept ABCI connections), then CometBFT. On failure, stop what started.
trap 'rc=$?; if ((rc != 0)) && [[ -f $PIDS ]]; then log "start failed; stopping the processes started (state and logs kept)"; stop_network; fi' EXIT
log "starting $N nodes ($MODE)"
if [[ $APP == gliad ]]; then
  for ((i = 0; i < N; i++)); do
    home="$RUN_DIR/node$i"; mkdir -p "$home/glia"
    start_proc "gliad$i" "$home/gliad.log" "$GLIAD" start --home "$home/glia" --abci "127.0.0.1:$((26658 + 10 * i))" \
      --grpc "127.0.0.1:$((9090 + 10 * i))" --api "127.0.0.1:$((1317 + 10 * i))" --min-gas-price "$GAS_PRICE" \
      --rpc "http://127.0.0.1:$((26657 + 10 * i))" \
      --priv-validator-key "$home/config/priv_validator_key.json" --models "$home/glia/models" \
      --operator-mnemonic-file "$home/glia/operator.mnemonic" \
      --neuro-threads "${GLIA_NEURO_THREADS:-1}" --neuro-max-seconds "${GLIA_NEURO_MAX_SECONDS:-60}" \
      ${GLIA_INDEX_EVENTS:+--index-events "$GLIA_INDEX_EVENTS"} \
      $( ((FIXTURES == 1 && i == 3)) && echo --executor-fault perturb)
    GPIDS[i]=$LAST_PID
  done
  for ((i = 0; i < N; i++)); do wait_port $((26658 + 10 * i)) "${GPIDS[i]}" "$RUN_DIR/node$i/gliad.log" 120; done
fi
if [[ $APP == kvstore-socket ]]; then
  for ((i = 0; i < N; i++)); do
    home="$RUN_DIR/node$i"
    start_proc "kvstore$i" "$home/kvstore.log" "$ABCI_CLI" kvstore --address "tcp://127.0.0.1:$((26658 + 10 * i))" \
      --persist "$home/kvstore" --log_level error
    KPIDS[i]=$LAST_PID
  done
  # As for gliad: wait only once all are started (a process just forked is not yet marked ours).
  for ((i = 0; i < N; i++)); do wait_port $((26658 + 10 * i)) "${KPIDS[i]}" "$RUN_DIR/node$i/kvstore.log" 60; done
fi
EXTRA=(); [[ $APP == kvstore ]] && EXTRA=(--proxy_app=kvstore)
for ((i = 0; i < N; i++)); do
  home="$RUN_DIR/node$i"
  if [[ $APP == simd ]]; then  # CometBFT runs inside simd
    [[ $MODE == resume ]] || simd_app_config "$home" $((9090 + 10 * i)) $((1317 + 10 * i)) "$GAS_PRICE"
    start_proc "simd$i" "$home/simd.log" "$SIMD" start --home "$home"
  else
    start_proc "cometbft$i" "$home/cometbft.log" "$COMETBFT" start --home "$home" "${EXTRA[@]}"
  fi
done
wait_blocks "$N" "$MODE" "${GLIA_UP_TIMEOUT:-90}"
trap - EXIT

if [[ $MODE == fresh ]]; then
  python3 - "$NETJSON" "$N" "$APP" "$(rel "$RUN_DIR")" "$GAS_PRICE" <<'PY'
import json, os, sys
path, n, app, run, gas = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
g = app == "gliad"
sdk = g or app == "simd"  # the chains with gRPC and REST
net = {
    "chain_id": os.environ["CHAIN_ID"], "denom": os.environ["DENOM"],
    "bech32_prefix": "cosmos" if app == "simd" else "glia",
    "rpc": [f"http://127.0.0.1:{26657 + 10 * i}" for i in range(n)],
    "grpc": [f"127.0.0.1:{9090 + 10 * i}" for i in range(n)] if sdk else [],
    "rest": [f"http://127.0.0.1:{1317 + 10 * i}" for i in range(n)] if sdk else [],
    "blobs": [f"http://127.0.0.1:{1317 + 10 * i}/blobs" for i in range(n)] if g else [],
    "gas_price": gas, "web": "http://127.0.0.1:1317/" if g else "",
    "metrics": [f"http://127.0.0.1:{26660 + 10 * i}/metrics" for i in range(n)],
    "accounts": json.loads(os.environ["ACCOUNTS_JSON"]),
    "operators": json.loads(os.environ["OPERATORS_JSON"]),
    "models": {"tiny": os.environ["TINY_SHA256"]} if g else {},
    "test_fixtures": os.environ["FIXTURES"] == "1",
    "neuro": ({"committee": [a["name"] for a in json.loads(os.environ["ACCOUNTS_JSON"])[-3:]],
               "quorum": 2, "review_size_threshold": 5000}
              if g and len(json.loads(os.environ["ACCOUNTS_JSON"])) >= 3 else {}),
    "app": app, "validators": n, "homes": [f"{run}/node{i}" for i in range(n)],
    "state_format": int(os.environ["STATE_FORMAT"]),
}
with open(path + ".tmp", "w") as f:
    json.dump(net, f, indent=2); f.write("\n")
os.replace(path + ".tmp", path)
PY
fi
if [[ $APP == gliad && $MODE == fresh ]]; then
  # The development and operator accounts as keys of a test keyring (in clear: development
  # only), which localnet/gliad's --from reads: `localnet/gliad keys list` shows them.
  python3 -c 'import json,sys; n=json.load(open(sys.argv[1])); [print(a["name"], a["mnemonic"]) for a in n["accounts"] + n["operators"]]' "$NETJSON" |
    while read -r name mnemonic; do
      printf '%s\n' "$mnemonic" | "$GLIAD" keys add "$name" --recover --overwrite --keyring-backend test \
        --home "$RUN_DIR/cli" -o json >/dev/null || die "importing $name into the test keyring failed"
    done
fi
if [[ $APP == gliad ]]; then
  wait_executors "$N" "${GLIA_UP_TIMEOUT:-90}"
  # Keplr's chain info, as node 0 serves it (experimentalSuggestChain takes it as it is).
  curl -sf --max-time 10 http://127.0.0.1:1317/keplr.json >"$RUN_DIR/keplr.json.tmp" \
    && mv "$RUN_DIR/keplr.json.tmp" "$RUN_DIR/keplr.json" \
    || log "warning: node 0 did not serve /keplr.json; see $(rel "$RUN_DIR")/node0/gliad.log"
fi
if [[ $APP == gliad ]]; then
  # The TypeScript client (proto/ts: @glia/proto) that the README's examples and dApps import:
  # built here when Node 20+ is present and its build is older than its sources.
  build_ts_client
fi
log "network up; node0 at height $(height 26657)"
print_endpoints
if [[ $APP == gliad ]]; then print_next; fi
