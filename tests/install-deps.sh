#!/usr/bin/env bash
# Installs what building and testing Glia needs, only where missing: Debian's clang and
# libclang-dev (RocksDB's bindings run bindgen), the pinned CometBFT (go install), Node's
# packages for the cosmjs tests.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sudo_() { if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v clang >/dev/null || missing+=(clang)
ls /usr/lib/llvm-*/lib/libclang*.so* >/dev/null 2>&1 || missing+=(libclang-dev)
command -v curl >/dev/null || missing+=(curl)
command -v python3 >/dev/null || missing+=(python3)
if ((${#missing[@]})); then
  echo "installing Debian packages: ${missing[*]}"
  sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive sudo_ apt-get install -y -qq "${missing[@]}" >/dev/null
fi
for tool in cargo go node npm; do
  command -v "$tool" >/dev/null || { echo "error: $tool is required and not installed" >&2; exit 1; }
done
# shellcheck source=../localnet/lib.sh
source "$root/localnet/lib.sh"
ensure_cometbft
echo "cometbft: $COMETBFT ($("$COMETBFT" version))"
