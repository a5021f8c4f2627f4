#!/usr/bin/env bash
# Builds the .ssmpacks the GPU numerics check runs (small dims, so that the float64 reference is
# quick), plus the check binary, into .carry/ (git-ignored; carried to the GPU machine).
# usage: tests/gpucheck/make_packs.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
OUTDIR=.carry/packs
mkdir -p "$OUTDIR"
ninja -C "$BUILD" ssmc ssmc-gpu-check embed_s6 >/dev/null
cp "$BUILD/bin/ssmc-gpu-check" "$BUILD/bin/embed_s6" .carry/
# layer:dims for the numerics (the benchmark uses the full shapes)
LAYERS="mamba_s6:--dim=D=64,--dim=N=16 s4d_real:--dim=D=32,--dim=N=64 s4d_complex:--dim=D=32,--dim=N=32 mamba2_ssd:--dim=H=4,--dim=P=16,--dim=N=32"
for spec in $LAYERS; do
  layer=${spec%%:*}
  dims=$(echo "${spec#*:}" | tr ',' ' ')
  for dt in f32 bf16 f16; do
    "$BUILD/bin/ssmc" build "stdlib/$layer.ssm" $dims --dtype=$dt --arch=sm_90 -o "$OUTDIR/${layer}_$dt.ssmpack" >/dev/null &
  done
  wait
done
# Full-size Mamba S6 for the embedding example, and a source-only pack for the runtime's JIT.
mkdir -p .carry/full
"$BUILD/bin/ssmc" build stdlib/mamba_s6.ssm --arch=sm_90 -o .carry/full/mamba_s6_f32.ssmpack >/dev/null &
"$BUILD/bin/ssmc" build stdlib/mamba_s6.ssm --dtype=bf16 --arch=sm_90 -o .carry/full/mamba_s6_bf16.ssmpack >/dev/null &
"$BUILD/bin/ssmc" build stdlib/mamba_s6.ssm --dim=D=64 --arch=none -o .carry/full/mamba_s6_jit.ssmpack >/dev/null &
wait
ls -la "$OUTDIR" .carry/full
