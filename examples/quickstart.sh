#!/usr/bin/env bash
# The main job on an example: installs what is missing, builds ssmc, and compiles Mamba's
# selective SSM layer from stdlib/, showing what the compiler made of it. A second run reuses
# the build. Pass another script as $1 to compile that instead.
set -euo pipefail
cd "$(dirname "$0")/.."
tests/deps.sh
BUILD=${SSMC_BUILD_DIR:-build}
if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -G Ninja -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
fi
cmake --build "$BUILD" -j"$(nproc)" --target ssmc
LAYER=${1:-stdlib/mamba_s6.ssm}
echo
echo "== ssmc $LAYER   (what the compiler found)"
"$BUILD/bin/ssmc" "$LAYER" --time
