#!/usr/bin/env bash
# localnet/ibc-up.sh — Glia's localnet, a Cosmos SDK chain (ibc-go v8.8.0's simd) beside it, and
# Hermes relaying between them: clients, a connection, an ICS-20 channel and interchain-account
# channels both ways (simd's user controls an account on Glia, Glia's on simd), then `hermes start`. Resumes what is already there. See localnet/README.md ("IBC").
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<'USAGE'
usage: localnet/ibc-up.sh [up.sh options]

Starts (or resumes) Glia's localnet with localnet/up.sh (options go to it), installs simd and
Hermes when missing (localnet/install-ibc.sh), starts a one-validator simd chain
`simd-local-1`, opens a Glia <-> simd connection and a transfer channel with Hermes, starts
Hermes, and registers interchain accounts both ways (ICS-27, unordered channels). Writes the endpoints into network.json's `ibc` section and prints them.
Stop with localnet/ibc-down.sh (the Glia localnet keeps running; localnet/down.sh stops it).

Accounts: the relayer is the last development account (dev<N-1>) on Glia and the same key on
simd; the second-to-last (dev<N-2>) is funded on simd too, as a user of both chains.

environment:
  SIMD, HERMES       use these binaries instead of the installed ones
  GLIA_IBC_TIMEOUT   seconds to wait for the channel (default 300)
USAGE
}
[[ ${1:-} == -h || ${1:-} == --help ]] && { usage; exit 0; }

"$LOCALNET/up.sh" "$@"
"$LOCALNET/install-ibc.sh"
add_tool_dirs
SIMD="${SIMD:-$(command -v simd || echo "$HOME/go/bin/simd")}"
HERMES="${HERMES:-$(command -v hermes || echo "$HOME/.cargo/bin/hermes")}"
GLIA_NET="$NETJSON"
GLIA_RPC="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rpc"][0])' "$GLIA_NET")"
GLIA_GRPC="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["grpc"][0])' "$GLIA_NET")"
read -r RELAYER_MN < <(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["accounts"][-1]["mnemonic"])' "$GLIA_NET")
read -r USER_MN < <(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["accounts"][-2]["mnemonic"])' "$GLIA_NET")

# The IBC side keeps its own run dir (pids, logs) inside the localnet's.
set_run_dir "$RUN_DIR/ibc"
mkdir -p "$RUN_DIR"
exec 9>"$RUN_DIR/lock"
flock -n 9 || die "another ibc-up.sh is running for $(rel "$RUN_DIR")"

SIMD_CHAIN=simd-local-1
SIMD_HOME="$RUN_DIR/simd"
SIMD_RPC_PORT=27657 SIMD_P2P_PORT=27656 SIMD_GRPC_PORT=9290 SIMD_API_PORT=1417
HERMES_HOME="$RUN_DIR/hermes"
HCFG="$HERMES_HOME/config.toml"
S() { "$SIMD" --home "$SIMD_HOME" "$@"; }

make_simd_chain "$SIMD_HOME" "$SIMD_CHAIN" "$SIMD_RPC_PORT" "$SIMD_P2P_PORT" 27658 "$SIMD_GRPC_PORT" \
  "$SIMD_API_PORT" "$RELAYER_MN" "$USER_MN"

running() { [[ -f $PIDS ]] && grep -q "^$1 " "$PIDS" && pid_ours "$(awk -v n="$1" '$1==n{print $2}' "$PIDS" | tail -1)"; }
if ! running simd; then
  log "starting simd ($SIMD_CHAIN, RPC :$SIMD_RPC_PORT)"
  start_proc simd "$RUN_DIR/simd.log" "$SIMD" start --home "$SIMD_HOME"
fi
for _ in $(seq 120); do [[ -n "$(height "$SIMD_RPC_PORT")" && "$(height "$SIMD_RPC_PORT")" -ge 2 ]] && break; sleep 0.5; done
[[ "$(height "$SIMD_RPC_PORT")" -ge 2 ]] || die "simd commits no blocks; see $(rel "$RUN_DIR/simd.log")"

if [[ ! -f $HCFG ]]; then
  mkdir -p "$HERMES_HOME"
  SPECS="$("$GLIA_TARGET/debug/gliad" ibc-proof-specs 2>/dev/null || "$LOCALNET/gliad" ibc-proof-specs)"
  cat >"$HCFG" <<TOML
# Hermes between Glia's localnet and simd. Glia's store is a Jellyfish Merkle tree, not IAVL:
# its proofs need the proof_specs below (from \`gliad ibc-proof-specs\`) and the 'ibc' prefix.
[global]
log_level = 'info'
[mode.clients]
enabled = true
refresh = true
misbehaviour = false
[mode.connections]
enabled = true
[mode.channels]
enabled = true
[mode.packets]
enabled = true
clear_interval = 20
clear_on_start = true
tx_confirmation = true
[rest]
enabled = false
host = '127.0.0.1'
port = 3000
[telemetry]
enabled = false
host = '127.0.0.1'
port = 3001

[[chains]]
id = '$CHAIN_ID'
type = 'CosmosSdk'
rpc_addr = '$GLIA_RPC'
grpc_addr = 'http://$GLIA_GRPC'
# Pull mode reads each block's block_results, FinalizeBlock's events included: Glia writes the
# acknowledgements of interchain-account requests when they settle, in FinalizeBlock, and
# Hermes 1.10's websocket source takes only send_packet and channel events from block events.
event_source = { mode = 'pull', interval = '500ms', max_retries = 4 }
rpc_timeout = '10s'
account_prefix = 'glia'
key_name = 'relayer'
store_prefix = 'ibc'
default_gas = 400000
max_gas = 20000000
gas_price = { price = 0.025, denom = 'uglia' }
gas_multiplier = 1.5
max_msg_num = 20
max_tx_size = 180000
clock_drift = '5s'
max_block_time = '30s'
trust_threshold = { numerator = '1', denominator = '3' }
address_type = { derivation = 'cosmos' }
compat_mode = '0.38'
proof_specs = '$SPECS'

[[chains]]
id = '$SIMD_CHAIN'
type = 'CosmosSdk'
rpc_addr = 'http://127.0.0.1:$SIMD_RPC_PORT'
grpc_addr = 'http://127.0.0.1:$SIMD_GRPC_PORT'
event_source = { mode = 'push', url = 'ws://127.0.0.1:$SIMD_RPC_PORT/websocket', batch_delay = '200ms' }
rpc_timeout = '10s'
account_prefix = 'cosmos'
key_name = 'relayer'
store_prefix = 'ibc'
default_gas = 400000
max_gas = 20000000
gas_price = { price = 0, denom = 'stake' }
gas_multiplier = 1.5
max_msg_num = 20
max_tx_size = 180000
clock_drift = '5s'
max_block_time = '30s'
trust_threshold = { numerator = '1', denominator = '3' }
address_type = { derivation = 'cosmos' }
compat_mode = '0.38'
TOML
  "$HERMES" --config "$HCFG" config validate >/dev/null || die "hermes config validate refused $(rel "$HCFG")"
  printf '%s\n' "$RELAYER_MN" >"$HERMES_HOME/relayer.mnemonic"
  for c in "$CHAIN_ID" "$SIMD_CHAIN"; do
    "$HERMES" --config "$HCFG" keys add --chain "$c" --mnemonic-file "$HERMES_HOME/relayer.mnemonic" --key-name relayer --overwrite >/dev/null
  done
fi
H() { "$HERMES" --config "$HCFG" "$@"; }

STATE="$RUN_DIR/channels.json"
if [[ ! -f $STATE ]]; then
  log "opening a connection and an ICS-20 channel Glia <-> simd (hermes create channel)"
  running hermes && stop_group "$(awk '$1=="hermes"{print $2}' "$PIDS" | tail -1)"
  H --json create channel --a-chain "$CHAIN_ID" --b-chain "$SIMD_CHAIN" --a-port transfer --b-port transfer \
    --new-client-connection --yes >"$RUN_DIR/create-channel.json" 2>>"$RUN_DIR/hermes-setup.log" ||
    die "hermes create channel failed; see $(rel "$RUN_DIR/hermes-setup.log") and $(rel "$RUN_DIR/create-channel.json")"
  python3 - "$RUN_DIR/create-channel.json" "$STATE" <<'PY'
import json, sys
res = None
for line in open(sys.argv[1]):
    try:
        j = json.loads(line)
    except ValueError:
        continue
    if j.get("status") == "success" and isinstance(j.get("result"), dict) and "a_side" in j["result"]:
        res = j["result"]
assert res, "no channel in hermes's output"
a, b = res["a_side"], res["b_side"]
out = {"glia": {"client": a["client_id"], "connection": a["connection_id"], "channel": a["channel_id"]},
       "simd": {"client": b["client_id"], "connection": b["connection_id"], "channel": b["channel_id"]}}
json.dump(out, open(sys.argv[2], "w"), indent=2)
PY
fi
if ! running hermes; then
  log "starting hermes (log $(rel "$RUN_DIR/hermes.log"))"
  start_proc hermes "$RUN_DIR/hermes.log" "$HERMES" --config "$HCFG" start
fi

# Interchain accounts both ways, for the user account of both chains (dev<N-2> on Glia, `user`
# on simd): its account on Glia, controlled from simd, and its account on simd, from Glia.
ICA="$RUN_DIR/ica.json"
if [[ ! -f $ICA ]]; then
  GCONN="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["glia"]["connection"])' "$STATE")"
  SCONN="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["simd"]["connection"])' "$STATE")"
  USER_SIMD="$(S keys show user -a --keyring-backend test)"
  USER_GLIA="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["accounts"][-2]["address"])' "$GLIA_NET")"
  GREST="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rest"][0])' "$GLIA_NET")"
  addr_of() { python3 -c 'import json,sys; print(json.load(sys.stdin).get("address",""))' 2>/dev/null || true; }
  ica_on_glia() { S q interchain-accounts controller interchain-account "$USER_SIMD" "$SCONN" \
    --node "tcp://127.0.0.1:$SIMD_RPC_PORT" -o json 2>/dev/null | addr_of || true; }
  ica_on_simd() { curl -sf "$GREST/ibc/apps/interchain_accounts/controller/v1/owners/$USER_GLIA/connections/$GCONN" | addr_of || true; }
  on_glia="$(ica_on_glia)" on_simd="$(ica_on_simd)"
  log "registering interchain accounts: simd's user on Glia, Glia's $USER_GLIA on simd"
  # The metadata is given in full: simapp's controller stack has ICS-29's fee middleware above
  # it, which wraps an empty version in fee metadata that a host without fees (Glia) refuses;
  # and simd's CLI reads an empty --version as its own build version (0.38.x).
  MD="{\"version\":\"ics27-1\",\"controller_connection_id\":\"$SCONN\",\"host_connection_id\":\"$GCONN\",\"address\":\"\",\"encoding\":\"proto3\",\"tx_type\":\"sdk_multi_msg\"}"
  if [[ -z $on_glia ]]; then
    S tx interchain-accounts controller register "$SCONN" --version "$MD" --ordering ORDER_UNORDERED --from user \
      --keyring-backend test --chain-id "$SIMD_CHAIN" --node "tcp://127.0.0.1:$SIMD_RPC_PORT" --yes \
      --gas 400000 >>"$RUN_DIR/hermes-setup.log" 2>&1 || die "simd refused to register an interchain account; see $(rel "$RUN_DIR/hermes-setup.log")"
  fi
  if [[ -z $on_simd ]]; then
    GLIA_NETWORK="$GLIA_NET" "$LOCALNET/gliad" tx ica register --connection "$GCONN" --ordering unordered \
      --mnemonic-file <(printf '%s\n' "$USER_MN") >>"$RUN_DIR/hermes-setup.log" 2>&1 ||
      die "Glia refused to register an interchain account; see $(rel "$RUN_DIR/hermes-setup.log")"
  fi
  for _ in $(seq "${GLIA_IBC_TIMEOUT:-300}"); do
    [[ -z $on_glia ]] && on_glia="$(ica_on_glia)"
    [[ -z $on_simd ]] && on_simd="$(ica_on_simd)"
    [[ -n $on_glia && -n $on_simd ]] && break
    sleep 1
  done
  [[ -n $on_glia && -n $on_simd ]] || die "the interchain-account handshakes did not finish (Glia: ${on_glia:-none}, simd: ${on_simd:-none}); see $(rel "$RUN_DIR/hermes.log")"
  python3 - "$ICA" "$USER_SIMD" "$SCONN" "$on_glia" "$USER_GLIA" "$GCONN" "$on_simd" <<'PY'
import json, sys
f, so, sc, sa, go, gc, ga = sys.argv[1:]
json.dump({"on_glia": {"owner": so, "controller_connection": sc, "address": sa},
           "on_simd": {"owner": go, "controller_connection": gc, "address": ga}}, open(f, "w"), indent=2)
PY
fi

python3 - "$GLIA_NET" "$STATE" "$SIMD_CHAIN" "$SIMD_RPC_PORT" "$SIMD_GRPC_PORT" "$SIMD_API_PORT" "$HCFG" "$SIMD_HOME" "$ICA" <<'PY'
import json, sys
net, state, chain, rpc, grpc, api, hcfg, home, ica = sys.argv[1:]
n = json.load(open(net))
s = json.load(open(state))
i = json.load(open(ica))
n["ibc"] = {
    "counterparty": {"chain_id": chain, "rpc": f"http://127.0.0.1:{rpc}", "grpc": f"127.0.0.1:{grpc}",
                     "rest": f"http://127.0.0.1:{api}", "denom": "stake", "bech32_prefix": "cosmos",
                     "home": home, "keyring_backend": "test"},
    "transfer": {"glia": s["glia"], "simd": s["simd"]},
    "interchain_accounts": i,
    "relayer": {"hermes_config": hcfg, "glia_account": n["accounts"][-1]["address"]},
}
json.dump(n, open(net, "w"), indent=2)
print(f"""
IBC is up:
  simd ({chain})   RPC http://127.0.0.1:{rpc}   gRPC 127.0.0.1:{grpc}   REST http://127.0.0.1:{api}
  transfer channel  Glia {s['glia']['channel']} ({s['glia']['connection']})  <->  simd {s['simd']['channel']} ({s['simd']['connection']})
  ICS-27            {i['on_glia']['owner']} (simd) controls {i['on_glia']['address']} on Glia
                    {i['on_simd']['owner']} (Glia) controls {i['on_simd']['address']} on simd
  hermes            config {hcfg}
Written to network.json's "ibc" section. Stop with localnet/ibc-down.sh.""")
PY
