#!/usr/bin/env bash
# fuzz/run.sh [SECONDS]: a bounded cargo-fuzz (libFuzzer + AddressSanitizer) run over tx
# decoding, the ante checks and message execution (default 60 s). Installs cargo-fuzz from
# crates.io when missing; uses a nightly toolchain if one is installed, else the stable one
# with RUSTC_BOOTSTRAP=1 (cargo-fuzz passes -Z flags). The corpus starts from valid txs so the
# fuzzer begins past the protobuf framing. Builds only the tx pipeline (gliad without its
# `node` feature), not the storage engine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
secs=${1:-60}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  fuzz=(cargo +nightly fuzz)
else
  export RUSTC_BOOTSTRAP=1
  fuzz=(cargo fuzz)
fi
mkdir -p corpus/tx_decode_ante
cargo run -q --manifest-path ../Cargo.toml -p gliad --no-default-features --example fuzz_seeds -- corpus/tx_decode_ante
"${fuzz[@]}" run tx_decode_ante corpus/tx_decode_ante -- \
  -max_total_time="$secs" -max_len=70000 -rss_limit_mb=2048 -print_final_stats=1
