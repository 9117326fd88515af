#!/usr/bin/env bash
# validator-gpu/bench/gpu-prep.sh — builds, on this machine, what validator-gpu/bench/gpu.sh runs
# on a lent GPU machine (which has CUDA's libraries and PyTorch, but no Rust, no diffusers and no
# network), into validator-gpu/bench/.gpu/ (git-ignored, ~30 MB):
#   glia-gpu-bench   built with the `cuda` feature (candle's CUDA backend; the solver's kernels),
#                    for compute capability $CUDA_COMPUTE_CAP (default 90: H100/H200), stripped
#   glia-gpu-bench-cudnn   the same with the `cudnn` feature (cuDNN's convolutions)
#   wheels/          diffusers and importlib_metadata, for the PyTorch side of the comparison
# Then, with the device tool: run(command="validator-gpu/bench/gpu.sh sd", carry=["validator-gpu/bench/.gpu"])
# and the same with "dmm" (each stage fits one 10-minute call; see gpu.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
out=validator-gpu/bench/.gpu
mkdir -p "$out/wheels"
eval "$(validator-gpu/cuda/toolkit.sh --cudnn)"
# The build dir every entry point shares (localnet/lib.sh): $CARGO_TARGET_DIR, else target/.
export CARGO_TARGET_DIR="$(realpath -m "${CARGO_TARGET_DIR:-$root/target}")"
for variant in cuda cudnn; do
  cargo build -p glia-validator-gpu --features "$variant" --bin glia-gpu-bench --locked
  name=glia-gpu-bench; [[ $variant == cudnn ]] && name=glia-gpu-bench-cudnn
  cp "$CARGO_TARGET_DIR/debug/glia-gpu-bench" "$out/$name"
  strip "$out/$name"
done
# Leave the CPU build of the same binary in place for whoever runs it here next.
cargo build -q -p glia-validator-gpu --bin glia-gpu-bench --locked
# The GPU machine's Python is 3.12 with PyTorch, transformers, huggingface_hub and safetensors.
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform any -d "$out/wheels" diffusers==0.42.1 importlib_metadata==10.2.0
du -sh "$out"
echo "ready: carry $out and run validator-gpu/bench/gpu.sh agree|sd|dmm on the GPU machine"
