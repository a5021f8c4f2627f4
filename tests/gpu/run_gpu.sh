#!/usr/bin/env bash
# run_gpu.sh — on the GPU machine: build the harness with nvcc, check the skeletons' numerics
# against a float64 reference, benchmark every ANCHORS shape, write JSON and logs under $OUT.
#
#   tests/gpu/run_gpu.sh [harness args]       (default: --check --bench)
#
# Environment: OUT (default build-gpu/out), JOBS (parallel nvcc, default nproc),
# SSMC_NCU="family:kernel ..." (also profile those kernels once with Nsight Compute),
# SSMC_GPU_PREBUILT=DIR to run the ssm_gpu_harness / ssm_nvrtc_check found there instead of
# building (a build made elsewhere with the same nvcc, to save time on the GPU machine).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-$ROOT/build-gpu/out}
BUILD=${SSMC_GPU_BUILD:-$ROOT/build-gpu}
JOBS=${JOBS:-$(nproc)}
NVCC=${NVCC:-nvcc}
command -v "$NVCC" >/dev/null || NVCC=/usr/local/cuda/bin/nvcc
mkdir -p "$OUT" "$BUILD"
[[ $# -eq 0 ]] && set -- --check --bench

SRC=$ROOT/tests/gpu
FLAGS=(-std=c++17 -arch=sm_90 -O3 -I"$ROOT/runtime/device/include" -I"$ROOT/runtime/include" -I"$SRC")
UNITS=(harness kernels_test kernels_bench_s6_f32 kernels_bench_s6_bf16 kernels_bench_ssd)

build() {
  local t0=$SECONDS pids=() u rc=0
  for u in "${UNITS[@]}"; do
    while (( $(jobs -rp | wc -l) >= JOBS )); do wait -n; done
    "$NVCC" "${FLAGS[@]}" -Xcompiler -fopenmp -Xptxas -v -c "$SRC/$u.cu" -o "$BUILD/$u.o" \
      >"$BUILD/$u.log" 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  cat "$BUILD"/*.log > "$OUT/build.log"
  if (( rc )); then echo "nvcc failed; see $OUT/build.log"; grep -m20 error "$OUT/build.log"; return 1; fi
  local objs=()
  for u in "${UNITS[@]}"; do objs+=("$BUILD/$u.o"); done
  "$NVCC" -arch=sm_90 "${objs[@]}" -o "$BUILD/ssm_gpu_harness" -Xcompiler -fopenmp \
    >>"$OUT/build.log" 2>&1 || { echo "link failed"; return 1; }
  "$NVCC" -std=c++17 -O1 "$SRC/nvrtc_check.cpp" -o "$BUILD/ssm_nvrtc_check" -lnvrtc \
    -Xlinker -rpath -Xlinker "$(dirname "$(dirname "$(command -v "$NVCC")")")/lib64" \
    >>"$OUT/build.log" 2>&1 || return 1
  grep -c "spill stores [1-9]" "$OUT/build.log" | sed 's/^/kernels with spills: /'
  echo "build: $((SECONDS - t0)) s with $JOBS jobs"
}

if [[ -n "${SSMC_GPU_PREBUILT:-}" ]]; then
  BIN=$SSMC_GPU_PREBUILT
  echo "using prebuilt binaries in $BIN"
else
  build || exit 1
  BIN=$BUILD
fi

nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,clocks.mem,temperature.gpu,power.draw,power.limit \
  --format=csv > "$OUT/nvidia-smi.txt" 2>&1 || true
cat "$OUT/nvidia-smi.txt"
"$BIN/ssm_nvrtc_check" "$ROOT" sm_90 > "$OUT/nvrtc.log" 2>&1
nv=$?
head -3 "$OUT/nvrtc.log"
"$BIN/ssm_gpu_harness" --out "$OUT" "$@" > "$OUT/stdout.log" 2>&1
rc=$?
# SSMC_NCU="family:kernel ...": one Nsight Compute profile of each kernel (pipes, stall reasons)
if [[ -n "${SSMC_NCU:-}" ]] && command -v ncu >/dev/null; then
  mkdir -p /tmp/ssm_ncu
  : > "$OUT/ncu.txt"
  for spec in $SSMC_NCU; do
    fam=${spec%%:*} k=${spec#*:}
    timeout 150 ncu -k "regex:^${k}\$" -s 2 -c 1 --print-details all \
      --section SpeedOfLight --section ComputeWorkloadAnalysis --section SchedulerStats \
      --section WarpStateStats --section InstructionStats --section Occupancy \
      --section MemoryWorkloadAnalysis \
      "$BIN/ssm_gpu_harness" --bench --kernel "$k" --only "$fam" --out /tmp/ssm_ncu \
      >> "$OUT/ncu.txt" 2>&1
    echo "ncu $k exit $?"
  done
fi
(( rc > 1 )) && tail -20 "$OUT/stdout.log"
# the harness log holds everything; show failures, then the table (last)
grep -E "^FAIL|failed:" "$OUT/harness.log" | head -40
sed -n '/^layer /,$p' "$OUT/harness.log"
grep -E "^checks:" "$OUT/harness.log" | tail -1
echo "harness exit $rc, nvrtc exit $nv"
exit $(( rc || nv ))
