#!/usr/bin/env bash
# Runs every test of ssmc (lit and GoogleTest through CTest) and exits non-zero on any failure.
# Installs missing packages, configures and builds first; a second run reuses the build.
set -euo pipefail
cd "$(dirname "$0")/.."
tests/deps.sh
BUILD=${SSMC_BUILD_DIR:-build}
if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -G Ninja -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
fi
cmake --build "$BUILD" -j"$(nproc)"
ctest --test-dir "$BUILD" --output-on-failure -j"$(nproc)"
