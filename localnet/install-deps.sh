#!/usr/bin/env bash
# localnet/install-deps.sh — what building and running a Glia localnet needs, installed only
# where missing. localnet/up.sh runs it before anything else, and tests/run.sh gets its tools
# through that same step (`localnet/up.sh --install-only`), so a step missing here fails CI.
#   - toolchains: cargo/rustc (Rust >= 1.85), and go when CometBFT must be installed; each
#     missing one stops here with one line that says what to do;
#   - Debian packages: clang and libclang-dev (RocksDB's bindings run bindgen), curl, python3;
#   - the pinned CometBFT, with `go install`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Toolchains installed per user (rustup, Go's tarball) are often not on a non-login shell's PATH.
add_tool_dirs

RUST_MIN=1.85
if ! command -v cargo >/dev/null || ! command -v rustc >/dev/null; then
  die "cargo not found: Glia builds with Rust $RUST_MIN or newer; install it with rustup (or put cargo on PATH), then run this again"
fi
rv="$(rustc --version | awk '{print $2}')"
if [[ "$(printf '%s\n' "$RUST_MIN" "${rv%%-*}" | sort -V | head -1)" != "$RUST_MIN" ]]; then
  die "rustc $rv is too old: Glia needs Rust $RUST_MIN or newer ('rustup update stable'), then run this again"
fi

sudo_() { if [[ $(id -u) == 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
  die "installing Debian packages needs root: run 'apt-get install -y $*' as root, then this again"; fi; }
missing=()
command -v clang >/dev/null || missing+=(clang)
# The unversioned libclang.so comes with the -dev package only (a runtime libclang may be there).
ls /usr/lib/llvm-*/lib/libclang.so >/dev/null 2>&1 || missing+=(libclang-dev)
command -v curl >/dev/null || missing+=(curl)
command -v python3 >/dev/null || missing+=(python3)
if ((${#missing[@]})); then
  command -v apt-get >/dev/null || die "missing ${missing[*]}: install them with your system's package manager, then run this again"
  log "installing Debian packages: ${missing[*]} (needed to build RocksDB's bindings and to run the localnet)"
  sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive sudo_ apt-get install -y -qq "${missing[@]}" >/dev/null
fi

ensure_cometbft
