#!/usr/bin/env bash
# validator-gpu/bench/dmm.sh — the memcomputing solver against its peers, side by side in one run.
#
#   validator-gpu/bench/dmm.sh [--sizes "500 1000 2000 5000 10000"] [--instances 3] [--timeout 60]
#                              [--maxcut "800 2000"] [--maxcut-seconds 10] [--maxcut-instances 3]
#                              [--threads N] [--out DIR]
#
# SAT: planted 3-SAT at clause ratio 4.3 (balanced hidden solution, `gliad gen planted-3sat`,
# seeds 1..instances) solved by `gliad solve`, CaDiCaL and MiniSat (Debian packages) and the
# spinsat crate (a Rust DMM); every reported assignment is checked. Prints median and PAR-2
# time to solution per N and the fitted scaling exponent of the median (time ∝ N^k).
# QUBO: random Max-Cut (`gliad gen maxcut`, seeds 1..maxcut-instances), best cut of `gliad solve`,
# of `gliad solve --random-starts` (ablation: what the circuit adds) and of dwave-samplers'
# SimulatedAnnealingSampler given the same wall time. `--sizes ""` runs only the Max-Cut part.
# Installs what is missing: the Debian packages, spinsat (cargo install into ~/.cache/glia/tools),
# dwave-samplers (pip, into ~/.cache/glia/bench-venv).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"

SIZES="500 1000 2000 5000 10000"; INSTANCES=3; TIMEOUT=60; MAXCUT="800 2000"; MAXCUT_SECONDS=10
MAXCUT_INSTANCES=3
THREADS=0; OUT="${TMPDIR:-/tmp}/glia-dmm-bench"
while (($#)); do
  case "$1" in
    --sizes) SIZES="$2"; shift 2 ;;
    --instances) INSTANCES="$2"; shift 2 ;;
    --timeout) TIMEOUT="$2"; shift 2 ;;
    --maxcut) MAXCUT="$2"; shift 2 ;;
    --maxcut-seconds) MAXCUT_SECONDS="$2"; shift 2 ;;
    --maxcut-instances) MAXCUT_INSTANCES="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    -h|--help) sed -n 2,16p "$0"; exit 0 ;;
    *) echo "dmm.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

log() { echo "==> $*" >&2; }
sudo_() { if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v cadical >/dev/null || missing+=(cadical)
command -v minisat >/dev/null || missing+=(minisat)
if ((${#missing[@]})); then
  log "installing ${missing[*]} (Debian)"
  sudo_ apt-get update -qq && sudo_ apt-get install -y -qq "${missing[@]}" >/dev/null
fi
tools="$HOME/.cache/glia/tools"
if [[ ! -x $tools/bin/spinsat ]]; then
  log "installing spinsat 0.5.3 (cargo install)"
  cargo install spinsat --version 0.5.3 --locked --root "$tools" >&2
fi
venv="$HOME/.cache/glia/bench-venv"
if [[ ! -x $venv/bin/python ]] || ! "$venv/bin/python" -c "import dwave.samplers" 2>/dev/null; then
  log "installing dwave-samplers (pip, $venv)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q dwave-samplers dimod >&2
fi
# The build dir every entry point shares (localnet/lib.sh): $CARGO_TARGET_DIR, else target/.
export CARGO_TARGET_DIR="$(realpath -m "${CARGO_TARGET_DIR:-$repo/target}")"
log "building gliad"
cargo build -q -p gliad --locked >&2
mkdir -p "$OUT"
exec "$venv/bin/python" "$here/dmm_bench.py" --gliad "$CARGO_TARGET_DIR/debug/gliad" \
  --spinsat "$tools/bin/spinsat" --sizes "$SIZES" --instances "$INSTANCES" --timeout "$TIMEOUT" \
  --maxcut "$MAXCUT" --maxcut-seconds "$MAXCUT_SECONDS" --maxcut-instances "$MAXCUT_INSTANCES" --threads "$THREADS" --out "$OUT"
