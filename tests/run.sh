#!/usr/bin/env bash
# Runs every test of ssmc (lit and GoogleTest through CTest) and exits non-zero on any failure.
# Installs missing packages, configures and builds first; a second run reuses the build.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=$(tests/configure.sh)
cmake --build "$BUILD" -j"$(nproc)"
ctest --test-dir "$BUILD" --output-on-failure -j"$(nproc)"
