#!/usr/bin/env bash
# localnet/ibc-down.sh — stop Hermes and simd started by ibc-up.sh (their state is kept; the
# Glia localnet keeps running: localnet/down.sh stops it).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n 2,3p "$0" | sed 's/^# \{0,1\}//'; exit 0; }
set_run_dir "$RUN_DIR/ibc"
# The benchmark's peer (localnet/ibc-peer.sh), if one is running.
if [[ -f $RUN_DIR/peer/pids ]]; then
  (PIDS="$RUN_DIR/peer/pids" stop_network)
fi
stop_network
