#!/usr/bin/env bash
# localnet/down.sh — stop a local network started by up.sh; keeps its state (resume with up.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
while (($#)); do
  case $1 in
    --run-dir) set_run_dir "${2:?--run-dir needs a directory}"; shift 2 ;;
    -h | --help) echo "usage: $0 [--run-dir DIR]   (default \$GLIA_RUN_DIR or localnet/.run)"; exit 0 ;;
    *) die "unknown argument: $1" ;;
  esac
done
stop_network
