#!/usr/bin/env bash
# Installs what is missing and configures the build (once; later runs reuse it). Shared by the
# README's two commands. Prints the build directory.
#   tests/configure.sh          the normal build ($SSMC_BUILD_DIR, default build/)
#   tests/configure.sh asan     the hardening build ($SSMC_ASAN_BUILD_DIR, default build-asan/):
#                               clang-22, AddressSanitizer + UndefinedBehaviorSanitizer on
#                               everything, and the libFuzzer target ssmc-fuzz
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = asan ]; then tests/deps.sh hardening >&2; else tests/deps.sh >&2; fi
common=(-G Ninja -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit
        -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
if [ "${1:-}" = asan ]; then
  BUILD=${SSMC_ASAN_BUILD_DIR:-build-asan}
  if [ ! -f "$BUILD/build.ninja" ]; then
    # -O1 with line tables: quick to build, fast enough to fuzz, readable sanitizer stacks.
    cmake "${common[@]}" -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
      -DCMAKE_C_FLAGS_RELEASE="-O1 -g1 -DNDEBUG" -DCMAKE_CXX_FLAGS_RELEASE="-O1 -g1 -DNDEBUG" \
      -DSSMC_SANITIZE=ON -DSSMC_FUZZ=ON >&2
  fi
else
  BUILD=${SSMC_BUILD_DIR:-build}
  if [ ! -f "$BUILD/build.ninja" ]; then
    cmake "${common[@]}" -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >&2
  fi
fi
echo "$BUILD"
