#!/usr/bin/env bash
# fuzz/run.sh [SECONDS]: a bounded cargo-fuzz run of tx decoding and the ante checks
# (default 60 s). Installs a nightly toolchain and cargo-fuzz when missing; seeds the corpus
# with valid txs so the fuzzer starts past the protobuf framing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
secs=${1:-60}
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
mkdir -p corpus/tx_decode_ante
cargo run -q --manifest-path ../Cargo.toml -p gliad --example fuzz_seeds -- corpus/tx_decode_ante
cargo +nightly fuzz run tx_decode_ante corpus/tx_decode_ante -- \
  -max_total_time="$secs" -max_len=70000 -rss_limit_mb=2048
