#!/usr/bin/env bash
# tests/up-cli.sh — localnet/up.sh and down.sh answer a user's mistakes with one clear line:
# --help prints the options; an unknown option, a port in use and a missing toolchain (cargo,
# go) each stop with one `error:` line that says what to do, before anything is built or
# started. Needs the ports of node 0 free; takes seconds.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
pass=0 fail=0
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"; [[ -n ${holder:-} ]] && kill "$holder" 2>/dev/null || true' EXIT

# expect NAME WANT_RC REGEX CMD...: CMD exits WANT_RC, its stderr has exactly one line and it
# matches REGEX (stdout is free: --help prints there).
expect() {
  local name=$1 want=$2 re=$3 rc=0; shift 3
  "$@" >"$scratch/out" 2>"$scratch/err" || rc=$?
  local lines; lines=$(grep -c . "$scratch/err" || true)
  if [[ $rc == "$want" ]] && { [[ $want == 0 ]] || [[ $lines == 1 ]]; } \
    && grep -Eq -- "$re" "$scratch/err" "$scratch/out"; then
    pass=$((pass + 1)); echo "ok   $name"
  else
    fail=$((fail + 1))
    echo "FAIL $name: exit $rc (want $want), $lines stderr lines, want /$re/"
    sed 's/^/     out: /' "$scratch/out" | head -5; sed 's/^/     err: /' "$scratch/err" | head -5
  fi
}

expect "up.sh --help lists the options" 0 '--validators N.*' localnet/up.sh --help
expect "up.sh --help names --install-only" 0 '--install-only' localnet/up.sh --help
expect "down.sh --help lists --run-dir" 0 '--run-dir DIR' localnet/down.sh --help
expect "up.sh: unknown option" 2 "^error: unknown option '--validator'; see localnet/up.sh --help$" \
  localnet/up.sh --validator 3
expect "up.sh: option without its value" 2 '^error: --accounts needs a number' localnet/up.sh --accounts
expect "up.sh: not a number" 2 "^error: --validators takes a number from 1, not 'four'" \
  localnet/up.sh --validators four
expect "down.sh: unknown option" 2 "^error: unknown option '-x'; see localnet/down.sh --help$" \
  localnet/down.sh -x

# A toolchain missing: a PATH and HOME without cargo (the script also looks in ~/.cargo/bin).
nopath="$scratch/bin"; mkdir -p "$nopath"
for t in bash env python3 curl clang grep sed awk sort head cat dirname realpath ls id mkdir rm; do
  p="$(command -v "$t" || true)"; [[ -n $p ]] && ln -s "$p" "$nopath/$t"
done
expect "install step: cargo missing" 1 '^error: cargo not found: .*rustup' \
  env PATH="$nopath" HOME="$scratch" GLIA_TOOL_DIRS= localnet/install-deps.sh
# cargo present, but neither cometbft v0.38.26 nor go: CometBFT cannot be installed.
for t in cargo rustc; do ln -s "$(command -v $t)" "$nopath/$t"; done
expect "install step: go missing" 1 '^error: go not found: CometBFT v0\.38\.26 .*Go 1\.22' \
  env PATH="$nopath" HOME="$scratch" GLIA_TOOL_DIRS= RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" \
  CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" localnet/install-deps.sh

# A network written by a gliad of another state format: refused before any node starts.
mkdir -p "$scratch/old"
echo '{"app": "gliad", "validators": 4, "state_format": 1}' >"$scratch/old/network.json"
expect "up.sh: a network of an older state format" 1 \
  '^error: the network in .* state format 1; this gliad reads format [0-9]+ .*--reset' \
  env GLIA_RUN_DIR="$scratch/old" localnet/up.sh

# A port in use: something listens on node 0's RPC port.
python3 -c 'import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 26657)); s.listen(); time.sleep(120)' &
holder=$!
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/26657) 2>/dev/null && break; sleep 0.1; done
expect "up.sh: port in use" 1 '^error: port 127\.0\.0\.1:26657 is in use: .*localnet/down\.sh' \
  env GLIA_RUN_DIR="$scratch/run" localnet/up.sh
kill "$holder" 2>/dev/null || true; wait "$holder" 2>/dev/null || true; holder=

echo "up-cli: $pass passed, $fail failed"
((fail == 0))
