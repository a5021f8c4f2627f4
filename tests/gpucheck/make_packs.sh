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
LAYERS="mamba_s6:--dim=D=64,--dim=N=16 s4d_real:--dim=D=32,--dim=N=64 s4d_complex:--dim=D=32,--dim=N=32 mamba2_ssd:--dim=H=4,--dim=P=16,--dim=N=32 s4_legs:--dim=D=4,--dim=N=64"
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
# Odd sizes for the sanitizers (racecheck, synccheck, memcheck) and the numerics at odd shapes:
# odd row counts leave lanes of the last block idle; N = 16/64/32 splits a row over several
# lanes (shuffles, shared memory), N = 5/7/3 keeps it in one. Named LAYER__TAG_DTYPE.
mkdir -p .carry/odd .carry/long .carry/edge
ODD="mamba_s6:D37_N16:--dim=D=37,--dim=N=16:f32,bf16 mamba_s6:D37_N5:--dim=D=37,--dim=N=5:f32
s4d_real:D33_N64:--dim=D=33,--dim=N=64:f32 s4d_real:D33_N7:--dim=D=33,--dim=N=7:f32
s4d_complex:D33_N32:--dim=D=33,--dim=N=32:f32 s4d_complex:D33_N3:--dim=D=33,--dim=N=3:f32
mamba2_ssd:H3_P17_N32:--dim=H=3,--dim=P=17,--dim=N=32:f32,bf16 mamba2_ssd:H3_P17_N5:--dim=H=3,--dim=P=17,--dim=N=5:f32
s4_legs:D5_N37:--dim=D=5,--dim=N=37:f32,bf16"
for spec in $ODD; do
  IFS=: read -r layer tag dims dts <<<"$spec"
  for dt in ${dts//,/ }; do
    "$BUILD/bin/ssmc" build "stdlib/$layer.ssm" ${dims//,/ } --dtype=$dt --arch=sm_90 \
      -o ".carry/odd/${layer}__${tag}_$dt.ssmpack" >/dev/null &
  done
done
wait
# The SSD skeleton where the cost model does not pick it (f32: tf32x3 products; f16: B and C
# staged through registers), forced with SSMC_SSD=1, and with segments of 128 steps (9 of them
# at L 1025: the summary launch and the fold), a partial slice (P 17) and N 16 (the output tile
# after the others, runtime/device/CONTRACT.md), P 8 (8 rows per block: the head factor's
# shuffle groups of 8 lanes), and tests/gpucheck/ssd_plain.ssm (no head factor: the plain row
# step): the odd-size numerics, the sanitizers and (f32) the extreme values below run them too.
SSDF="mamba2_ssd:ssdseg128_H3_P17_N32:--dim=H=3,--dim=P=17,--dim=N=32:f32,bf16,f16
mamba2_ssd:ssdseg128_H2_P16_N16:--dim=H=2,--dim=P=16,--dim=N=16:f32,bf16
mamba2_ssd:ssdseg128_H3_P8_N32:--dim=H=3,--dim=P=8,--dim=N=32:bf16
ssd_plain:ssdseg128_H3_P17_N32:--dim=H=3,--dim=P=17,--dim=N=32:f32,bf16"
for spec in $SSDF; do
  IFS=: read -r layer tag dims dts <<<"$spec"
  script=stdlib/$layer.ssm
  [ -f "$script" ] || script=tests/gpucheck/$layer.ssm
  for dt in ${dts//,/ }; do
    SSMC_SSD=1 SSMC_SSD_SEG=128 "$BUILD/bin/ssmc" build "$script" ${dims//,/ } --dtype=$dt --arch=sm_90 \
      -o ".carry/odd/${layer}__${tag}_$dt.ssmpack" >/dev/null &
  done
done
wait
# Long sequences: Mamba S6 with D 2048, so that [1, L, 2048] passes 2^31 elements for L > 2^20
# (D 1536 at L = 2^20 uses .carry/full).
for dt in f32 bf16; do
  "$BUILD/bin/ssmc" build stdlib/mamba_s6.ssm --dim=D=2048 --dtype=$dt --arch=sm_90 -o .carry/long/mamba_s6_D2048_$dt.ssmpack >/dev/null &
done
# A layer with min/max, for NaN propagation through them (tests/gpucheck/edge_minmax.ssm).
"$BUILD/bin/ssmc" build tests/gpucheck/edge_minmax.ssm --arch=sm_90 -o .carry/edge/edge_minmax_f32.ssmpack >/dev/null &
wait
ls -la "$OUTDIR" .carry/full .carry/odd .carry/long .carry/edge
