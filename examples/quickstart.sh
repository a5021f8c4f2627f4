#!/usr/bin/env bash
# The main job on an example: installs what is missing, builds ssmc, and compiles Mamba's
# selective SSM layer from stdlib/: what the compiler found, the .ssmpack it builds (CUDA
# kernels compiled with NVRTC, no GPU needed), and the layer run on a small input — with the
# float64 reference on the CPU, and on the GPU as well where one is present. A second run
# reuses the build. Pass another script as $1 to compile that instead.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=$(tests/configure.sh)
cmake --build "$BUILD" -j"$(nproc)" --target ssmc embed_s6
LAYER=${1:-stdlib/mamba_s6.ssm}
NAME=$(basename "$LAYER" .ssm)
echo
echo "== ssmc $LAYER   (what the compiler found)"
"$BUILD/bin/ssmc" "$LAYER"
echo
echo "== ssmc build $LAYER -o $BUILD/$NAME.ssmpack   (kernels for sm_80 and sm_90, PTX, manifest)"
"$BUILD/bin/ssmc" build "$LAYER" -o "$BUILD/$NAME.ssmpack" --time
echo
echo "== ssmc run $LAYER --batch 2 --seqlen 64"
"$BUILD/bin/ssmc" run "$LAYER" --batch 2 --seqlen 64
if [ "$NAME" = mamba_s6 ] && command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  echo
  echo "== embed_s6: prefill + decode steps through the runtime's C API"
  "$BUILD/bin/embed_s6" "$BUILD/$NAME.ssmpack" "$LAYER" --prompt 2048 --decode 64
fi
