#!/usr/bin/env bash
# validator-gpu/cuda/toolkit.sh — a CUDA 13.0 build toolkit from NVIDIA's PyPI wheels, for
# building the `cuda` feature (candle's CUDA backend) on a machine without a GPU or a system
# CUDA install. Prints the environment to build with:
#
#   eval "$(validator-gpu/cuda/toolkit.sh)"
#   cargo build --release -p gliad --features glia-validator-gpu/cuda
#
# What it sets up in $GLIA_CUDA_HOME (default ~/.cache/glia/cuda-13.0; downloaded once):
# nvcc with its front end (nvvm, crt, cccl headers) and the CUDA runtime headers, which candle's
# kernels are compiled with; cuBLAS(Lt), cuRAND and NVRTC, which candle links; and a link-time
# stand-in for the driver library libcuda.so.1 (the real one comes with the GPU's driver and is
# loaded when the binary runs). CUDA 13.0 matches driver 580, the driver of the GPU machines
# this project is lent (PTX from a newer nvcc would not load there). CUDA_COMPUTE_CAP picks the
# GPU generation candle compiles for: 90 (Hopper, H100/H200) unless set.
set -euo pipefail
CUDNN=0; [[ ${1:-} == --cudnn ]] && CUDNN=1
DEST="${GLIA_CUDA_HOME:-$HOME/.cache/glia/cuda-13.0}"
CU="$DEST/nvidia/cu13"
WHEELS=(
  nvidia-cuda-nvcc==13.0.88 nvidia-nvvm==13.0.88 nvidia-cuda-crt==13.0.88 nvidia-cuda-cccl==13.0.85
  nvidia-cuda-runtime==13.0.96 nvidia-cuda-nvrtc==13.0.88 nvidia-cublas==13.0.2.14 nvidia-curand==10.4.5.25
)
log() { echo "==> $*" >&2; }

if [[ ! -x $CU/bin/nvcc || ! -f $DEST/.complete ]]; then
  command -v python3 >/dev/null || { echo "error: python3 is needed to fetch the CUDA wheels" >&2; exit 1; }
  log "downloading CUDA 13.0 build tools from PyPI into $DEST (~1 GB, once)"
  rm -rf "$DEST"; mkdir -p "$DEST/wheels"
  python3 -m pip download -q --no-deps --only-binary=:all: -d "$DEST/wheels" "${WHEELS[@]}" >&2
  for w in "$DEST"/wheels/*.whl; do python3 -m zipfile -e "$w" "$DEST"; done
  rm -rf "$DEST/wheels"
  chmod +x "$CU"/bin/* "$CU"/nvvm/bin/* 2>/dev/null || true
  # The wheels carry versioned libraries only; the linker looks for the plain names.
  for l in cublas cublasLt curand nvrtc cudart; do
    f=$(cd "$CU/lib" && ls "lib$l.so".* | head -n 1)
    ln -sf "$f" "$CU/lib/lib$l.so"
  done
  # libcuda.so.1 belongs to the GPU driver, not to any wheel. At link time a stand-in exporting
  # the driver API's names (every cu* name that cuda.h declares) is enough; its SONAME makes the
  # binary load the real driver library at run time. Each stand-in answers
  # CUDA_ERROR_NO_DEVICE (100), so with stubs/ on LD_LIBRARY_PATH a CUDA build can be smoke-run
  # here and finds no GPU, as on any machine without one.
  mkdir -p "$CU/lib/stubs"
  grep -ohE '\bcu[A-Z][A-Za-z0-9_]*\b' "$CU/include/cuda.h" | sort -u \
    | awk '{print "int " $1 "(void) { return 100; }"}' >"$CU/lib/stubs/libcuda_stub.c"
  cc -shared -fPIC -w -Wl,-soname,libcuda.so.1 -o "$CU/lib/stubs/libcuda.so" "$CU/lib/stubs/libcuda_stub.c"
  ln -sf libcuda.so "$CU/lib/stubs/libcuda.so.1"
  touch "$DEST/.complete"
fi
# cuDNN (for the `cudnn` feature), ~0.5 GB more, only when asked for.
if ((CUDNN)) && [[ ! -f $DEST/.cudnn ]]; then
  log "downloading cuDNN 9 from PyPI into $DEST"
  mkdir -p "$DEST/wheels"
  python3 -m pip download -q --no-deps --only-binary=:all: -d "$DEST/wheels" nvidia-cudnn-cu13==9.28.1.4 >&2
  python3 -m zipfile -e "$DEST"/wheels/nvidia_cudnn*.whl "$DEST"
  rm -rf "$DEST/wheels"
  # The cu13 cuDNN wheel keeps its own folder; give its library and headers the toolkit's.
  for f in "$DEST"/nvidia/cudnn/lib/*.so.*; do ln -sf "$f" "$CU/lib/"; done
  ln -sf "$(cd "$CU/lib" && ls libcudnn.so.* | head -n 1)" "$CU/lib/libcudnn.so"
  for f in "$DEST"/nvidia/cudnn/include/*.h; do ln -sf "$f" "$CU/include/"; done
  touch "$DEST/.cudnn"
fi
"$CU/bin/nvcc" --version >/dev/null || { echo "error: $CU/bin/nvcc does not run" >&2; exit 1; }
cat <<EOF
export CUDA_HOME="$CU" CUDA_PATH="$CU"
export PATH="$CU/bin:\$PATH"
export LIBRARY_PATH="$CU/lib:$CU/lib/stubs\${LIBRARY_PATH:+:\$LIBRARY_PATH}"
export CUDA_COMPUTE_CAP="\${CUDA_COMPUTE_CAP:-90}"
EOF
