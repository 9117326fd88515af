#!/usr/bin/env bash
# localnet/down.sh — stop a local network started by up.sh; keeps its state (resume with up.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
usage() {
  cat <<'USAGE'
usage: localnet/down.sh [--run-dir DIR]

Stops every process localnet/up.sh started for one network: CometBFT first, then the apps
(SIGTERM, then SIGKILL after 10 s). State, logs and network.json are kept: localnet/up.sh
resumes the network where it stopped, localnet/up.sh --reset replaces it.

options:
  --run-dir DIR   the network's run dir (default $GLIA_RUN_DIR, else localnet/.run; the
                  benchmark peers use localnet/.run-kvstore and localnet/.run-kvstore-socket)
  -h, --help      this help
USAGE
}
while (($#)); do
  case $1 in
    --run-dir) [[ $# -ge 2 ]] || { echo "error: --run-dir needs a directory; see localnet/down.sh --help" >&2; exit 2; }
      set_run_dir "$2"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "error: unknown option '$1'; see localnet/down.sh --help" >&2; exit 2 ;;
  esac
done
stop_network
