#!/usr/bin/env bash
# Installs what ssmc needs to build on Debian 12 (skipped when everything is already there).
# Sourced or run by examples/quickstart.sh and tests/run.sh (through tests/configure.sh).
set -euo pipefail

PKGS=(llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools zlib1g-dev libzstd-dev libedit-dev
      libxml2-dev antlr4 libantlr4-runtime-dev ninja-build libgtest-dev libgmock-dev
      libbenchmark-dev nlohmann-json3-dev cmake g++ ccache)
# `tests/deps.sh hardening`: also what the sanitizer build and the fuzzer need (tests/run.sh
# runs them): clang 22 with its runtimes (libFuzzer, ASan, UBSan, LSan), llvm-symbolizer for
# readable reports, python3 for the generated lit inputs.
if [ "${1:-}" = hardening ]; then
  PKGS+=(clang-22 libclang-rt-22-dev llvm-22 python3)
fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "ssmc: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -f /usr/local/cuda/include/nvrtc.h ] && ! command -v nvcc >/dev/null 2>&1; then
  echo "ssmc: the CUDA Toolkit (13.x, for NVRTC and cuda.h) is not at /usr/local/cuda;" >&2
  echo "      install it from NVIDIA (no GPU is needed to build or to run the tests)." >&2
  exit 1
fi
