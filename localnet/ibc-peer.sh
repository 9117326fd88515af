#!/usr/bin/env bash
# localnet/ibc-peer.sh [--down]
# The peer of localnet/ibc-bench.sh's ICS-20 figure: a second simd chain (simd-local-2, RPC
# :28657) beside ibc-up.sh's simd-local-1, a transfer channel between the two, and a Hermes of
# its own with the settings ibc-up.sh gives Glia's (same version, same packet and batch
# settings; both simd chains on the push source, as Cosmos SDK chains are relayed). The main
# Hermes is stopped meanwhile so the two relays do not share the CPU; --down stops the peer and
# starts the main Hermes again (localnet/ibc-up.sh). Prints one JSON line: the channels, the
# second chain's RPC and its user's address.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
add_tool_dirs
SIMD="${SIMD:-$(command -v simd || echo "$HOME/go/bin/simd")}"
HERMES="${HERMES:-$(command -v hermes || echo "$HOME/.cargo/bin/hermes")}"
MAIN_RUN="$RUN_DIR" MAIN_NET="$NETJSON"
set_run_dir "$RUN_DIR/ibc"   # the peer's processes belong to the IBC side (ibc-down.sh stops them)
IBC_RUN="$RUN_DIR"
[[ -d $IBC_RUN/simd ]] || die "no simd-local-1 in $(rel "$IBC_RUN"): run localnet/ibc-up.sh first"
PEER="$IBC_RUN/peer"
HOME2="$PEER/simd2" HCFG2="$PEER/hermes/config.toml"
CHAIN1=simd-local-1 CHAIN2=simd-local-2
S1() { "$SIMD" --home "$IBC_RUN/simd" "$@"; }
S2() { "$SIMD" --home "$HOME2" "$@"; }

stop_peer() {
  [[ -f $PEER/pids ]] || return 0
  while read -r _ pid; do stop_group "$pid" || true; done <"$PEER/pids"
  rm -f "$PEER/pids"
}
main_hermes_pid() { awk '$1=="hermes"{print $2}' "$IBC_RUN/pids" 2>/dev/null | tail -1; }

if [[ ${1:-} == --down ]]; then
  stop_peer
  GLIA_RUN_DIR="$MAIN_RUN" "$LOCALNET/ibc-up.sh" >/dev/null
  exit 0
fi

mkdir -p "$PEER"
relayer_mn="$(cat "$IBC_RUN/hermes/relayer.mnemonic")"
user_mn="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["accounts"][-2]["mnemonic"])' "$MAIN_NET")"
# simd-local-1's ports (ibc-up.sh) shifted by 1000.
make_simd_chain "$HOME2" "$CHAIN2" 28657 28656 28658 9390 1517 "$relayer_mn" "$user_mn"

stop_peer
main="$(main_hermes_pid)"
[[ -n $main ]] && stop_group "$main" || true
SET_PIDS="$PEER/pids"
PIDS="$SET_PIDS" start_proc simd2 "$PEER/simd2.log" "$SIMD" start --home "$HOME2"
for _ in $(seq 120); do [[ "$(height 28657)" -ge 2 ]] 2>/dev/null && break; sleep 0.5; done
[[ "$(height 28657)" -ge 2 ]] || die "simd-local-2 commits no blocks; see $(rel "$PEER/simd2.log")"

if [[ ! -f $HCFG2 ]]; then
  mkdir -p "$(dirname "$HCFG2")"
  # The main config's global and mode sections, then the two simd chains as it describes
  # simd-local-1.
  python3 - "$IBC_RUN/hermes/config.toml" "$HCFG2" <<'PY'
import re, sys
src, dst = sys.argv[1:]
text = open(src).read()
head = text[: text.index("[[chains]]")]
chains = text.split("[[chains]]")[1:]
simd = "[[chains]]" + next(c for c in chains if "simd-local-1" in c)
simd2 = (simd.replace("simd-local-1", "simd-local-2").replace(":27657", ":28657").replace(":9290", ":9390"))
open(dst, "w").write(head + simd + "\n" + simd2)
PY
  "$HERMES" --config "$HCFG2" config validate >/dev/null || die "hermes refused $(rel "$HCFG2")"
  for c in "$CHAIN1" "$CHAIN2"; do
    "$HERMES" --config "$HCFG2" keys add --chain "$c" --mnemonic-file "$IBC_RUN/hermes/relayer.mnemonic" --key-name relayer --overwrite >/dev/null
  done
fi
if [[ ! -f $PEER/channels.json ]]; then
  "$HERMES" --config "$HCFG2" --json create channel --a-chain "$CHAIN1" --b-chain "$CHAIN2" --a-port transfer \
    --b-port transfer --new-client-connection --yes >"$PEER/create-channel.json" 2>>"$PEER/hermes-setup.log" ||
    die "hermes create channel (simd <-> simd) failed; see $(rel "$PEER/hermes-setup.log")"
  python3 - "$PEER/create-channel.json" "$PEER/channels.json" <<'PY'
import json, sys
res = None
for line in open(sys.argv[1]):
    try:
        j = json.loads(line)
    except ValueError:
        continue
    if j.get("status") == "success" and isinstance(j.get("result"), dict) and "a_side" in j["result"]:
        res = j["result"]
json.dump({"channel_a": res["a_side"]["channel_id"], "channel_b": res["b_side"]["channel_id"]}, open(sys.argv[2], "w"))
PY
fi
PIDS="$SET_PIDS" start_proc hermes-peer "$PEER/hermes.log" "$HERMES" --config "$HCFG2" start
sleep 3
python3 - "$PEER/channels.json" "$(S2 keys show user -a --keyring-backend test)" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c.update({"rpc_b": "http://127.0.0.1:28657", "receiver_b": sys.argv[2]})
print(json.dumps(c))
PY
