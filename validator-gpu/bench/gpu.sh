#!/usr/bin/env bash
# validator-gpu/bench/gpu.sh STAGE... — the GPU benchmarks, on a machine with an NVIDIA GPU,
# from the repo root, with validator-gpu/bench/.gpu made by gpu-prep.sh. Stages:
#   agree  the tiny model's images on the GPU within the phash threshold of the CPU's, and
#          planted 3-SAT (N = 2000) solved on the CPU and on every GPU           (~30 s)
#   sd     Stable Diffusion 1.5's architecture at 512×512, 20 DDIM steps, guidance 7.5, random
#          weights of the real size: candle (glia-gpu-bench; f16 also with cuDNN's convolutions)
#          against PyTorch/diffusers on the same GPU, f16 and f32, per-image latency and
#          images/s; seeds over every GPU                                            (~4 min)
#   dmm    the memcomputing solver on the GPU against the CPU (every core): planted 3-SAT at
#          ratio 4.3, N = 10^4 and 10^5, time to solution; Max-Cut G(2000, 24000), best cut in
#          10 s                                                                     (~6 min)
# Results: one JSON object per run in $OUT/gpu.jsonl (OUT defaults to target/bench-gpu), and a
# summary table at the end. GLIA_GPU_DRY=1 runs every stage on the CPU at toy sizes (a check
# of this script on a machine without a GPU).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
G=validator-gpu/bench/.gpu
OUT="${OUT:-$PWD/target/bench-gpu}"
mkdir -p "$OUT"
LOG="$OUT/gpu.jsonl"
DRY="${GLIA_GPU_DRY:-0}"
BENCH="${GLIA_GPU_BENCH:-$G/glia-gpu-bench}"
PY="${GLIA_GPU_PYTHON:-python3}"
[[ -x $BENCH ]] || { echo "error: $BENCH is missing: run validator-gpu/bench/gpu-prep.sh first" >&2; exit 1; }

# CUDA's libraries come with PyTorch's wheels (cuBLAS, cuRAND, NVRTC, the runtime) and the driver.
nvlibs=$("$PY" - <<'PY'
import glob, os, site
dirs = set()
for sp in site.getsitepackages():
    dirs.update(glob.glob(os.path.join(sp, "nvidia", "*", "lib")))
print(":".join(sorted(dirs)))
PY
)
export LD_LIBRARY_PATH="$nvlibs:/usr/local/nvidia/lib64:/usr/local/nvidia/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if ! "$PY" -c "import diffusers" 2>/dev/null; then
  "$PY" -m pip install -q --no-index --no-deps --target /tmp/glia-site "$G"/wheels/*.whl || exit 1
  export PYTHONPATH="/tmp/glia-site${PYTHONPATH:+:$PYTHONPATH}"
fi
if [[ $DRY == 1 ]]; then
  DEV=cpu DMMDEV=cpu SIZE=64 STEPS=2 SEEDS=1 DTYPES=f32 NS="2000" T1=10 CUT_N=200 CUT_T=2 AGREE=0
else
  DEV=cuda DMMDEV=cuda:0 SIZE=512 STEPS=20 SEEDS=4 DTYPES="f16 f32" NS="10000 100000" T1=120 CUT_N=2000 CUT_T=10 AGREE=1
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
fi

run() { # label, command...
  local label=$1; shift
  echo "--- $label: $*" >&2
  local t0=$SECONDS line
  if line=$("$@" 2>"$OUT/last.err" | tail -n 1) && [[ $line == \{* ]]; then
    echo "$line" | tee -a "$LOG"
  else
    echo "{\"bench\": \"failed\", \"label\": \"$label\", \"error\": $(tail -n 5 "$OUT/last.err" | "$PY" -c 'import json,sys; print(json.dumps(sys.stdin.read()))')}" | tee -a "$LOG"
  fi
  echo "    ($((SECONDS - t0)) s)" >&2
}

stages=("$@"); ((${#stages[@]})) || stages=(agree sd dmm)
for stage in "${stages[@]}"; do
  case $stage in
    agree)
      ((AGREE)) && run "agree" "$BENCH" agree ;;
    sd)
      for dt in $DTYPES; do
        run "candle $dt" "$BENCH" sd --family sd15 --width "$SIZE" --height "$SIZE" --steps "$STEPS" \
          --seeds "$SEEDS" --device "$DEV" --dtype "$dt"
        [[ $dt == f16 && -x $BENCH-cudnn ]] && run "candle+cudnn $dt" "$BENCH-cudnn" sd --family sd15 \
          --width "$SIZE" --height "$SIZE" --steps "$STEPS" --seeds "$SEEDS" --device "$DEV" --dtype "$dt"
        run "pytorch $dt" "$PY" validator-gpu/bench/sd_torch.py --width "$SIZE" --height "$SIZE" \
          --steps "$STEPS" --seeds "$SEEDS" --device "$DEV" --dtype "$dt"
      done ;;
    dmm)
      for n in $NS; do
        for d in "$DMMDEV" cpu; do
          run "dmm $n $d" "$BENCH" dmm --vars "$n" --seed 1 --device "$d" --time-limit "$T1"
        done
      done
      for d in "$DMMDEV" cpu; do
        run "maxcut $CUT_N $d" "$BENCH" dmm --maxcut --vars "$CUT_N" --seed 1 --device "$d" --time-limit "$CUT_T"
      done ;;
    *) echo "unknown stage $stage (agree, sd, dmm)" >&2; exit 2 ;;
  esac
done

"$PY" - "$LOG" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
sd = [r for r in rows if r.get("bench") == "sd"]
for dt in sorted({r["dtype"] for r in sd}):
    t = [r for r in sd if r["dtype"] == dt and r["impl"] == "pytorch"]
    for impl in ("candle", "candle+cudnn"):
        c = [r for r in sd if r["dtype"] == dt and r["impl"] == impl]
        if c and t:
            c, p = c[-1], t[-1]
            print(f"sd-1.5 {c['width']}x{c['height']} {c['steps']} steps {dt}: {impl} {c['latency_p50_s']:.3f} s/image "
                  f"({c['images_per_s_one_device']:.2f}/s), pytorch {p['latency_p50_s']:.3f} s/image "
                  f"({p['images_per_s_one_device']:.2f}/s), {impl}/pytorch throughput "
                  f"{c['images_per_s_one_device'] / p['images_per_s_one_device']:.2f}; "
                  f"{c['devices']} device(s): {c['images_per_s_all_devices']:.2f} images/s")
dmm = [r for r in rows if r.get("bench") == "dmm"]
for r in dmm:
    what = f"cut {r['cut']}" if r["problem"] == "maxcut" else ("solved" if r["solved"] else f"unsolved, {r['energy']} clauses left")
    print(f"dmm {r['problem']} {r['size']} on {r['device']} ({r['chips']} chips): {what} in {r['time_to_best_s']:.2f} s")
for r in rows:
    if r.get("bench") == "failed":
        print(f"FAILED {r['label']}: {r['error'][-300:]}")
PY
