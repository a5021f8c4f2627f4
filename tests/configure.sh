#!/usr/bin/env bash
# Installs what is missing and configures the build (once; later runs reuse it). Shared by the
# README's two commands. Prints the build directory.
set -euo pipefail
cd "$(dirname "$0")/.."
tests/deps.sh >&2
BUILD=${SSMC_BUILD_DIR:-build}
if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -G Ninja -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >&2
fi
echo "$BUILD"
