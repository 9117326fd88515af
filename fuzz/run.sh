#!/usr/bin/env bash
# fuzz/run.sh [SECONDS]: bounded cargo-fuzz (libFuzzer + AddressSanitizer) runs, SECONDS each
# (default 60): `tx_decode_ante` over tx decoding, the ante checks and message execution, and
# `problem_parse` over the neuro CNF/WCNF/QUBO parsers and the solution verifier. Installs cargo-fuzz from
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
mkdir -p corpus/problem_parse
printf '\x00p cnf 3 2\n1 -2 0\n2 3 0\n' > corpus/problem_parse/cnf
printf '\x01p wcnf 2 3 10\n10 1 2 0\n3 -1 0\n4 -2 0\n' > corpus/problem_parse/wcnf
printf '\x01h 1 2 0\n3 -1 0\n' > corpus/problem_parse/wcnf22
printf '\x02p qubo 3 3 1.5\n0 0 -1\n0 1 2\n1 2 -3e-1\n' > corpus/problem_parse/qubo
printf '\x02p qubo 2 2 0\n0 0 2e29\n1 1 1e-9\n' > corpus/problem_parse/qubo_scaling
"${fuzz[@]}" run problem_parse corpus/problem_parse -- \
  -max_total_time="$secs" -max_len=4096 -rss_limit_mb=2048 -print_final_stats=1
