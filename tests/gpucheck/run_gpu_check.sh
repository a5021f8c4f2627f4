#!/usr/bin/env bash
# On a GPU machine: every stdlib layer x {f32, bf16, f16} x seqlens x batches against the float64
# reference, split prefills and decode steps, then compute-sanitizer memcheck on one run of every
# kernel. Needs .carry/ from tests/gpucheck/make_packs.sh. Logs under $OUT; a table last.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/ssmc-gpu-out}
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
# Every pack in parallel (the float64 reference is the slow part; the machine has 16 cores).
check_one() {
  pack=$1
  base=$(basename "$pack" .ssmpack)
  layer=${base%_*}
  timeout 420 .carry/ssmc-gpu-check "stdlib/$layer.ssm" "$pack" --seqlens 1,7,127,2048,2049,65536 --batches 1,3 \
    > "$OUT/$base.log" 2>&1
  echo "$(tail -1 "$OUT/$base.log") [rc=$?]" > "$OUT/$base.summary"
}
export -f check_one
export OUT
ls .carry/packs/*.ssmpack | xargs -P 12 -I{} bash -c 'check_one {}'
summary=()
fails=0
for f in "$OUT"/*.summary; do
  summary+=("$(cat "$f")")
  grep -q "0 failed" "$f" || fails=$((fails + 1))
done
echo "== compute-sanitizer memcheck (seq 7 and 33, batch 3, forward + halves + steps)"
for pack in .carry/packs/*_f32.ssmpack .carry/packs/*_bf16.ssmpack; do
  base=$(basename "$pack" .ssmpack)
  layer=${base%_*}
  compute-sanitizer --tool memcheck --error-exitcode 9 .carry/ssmc-gpu-check "stdlib/$layer.ssm" "$pack" \
    --seqlens 7,33 --batches 3 > "$OUT/memcheck_$base.log" 2>&1
  echo "memcheck $base: rc=$? $(grep -m1 'ERROR SUMMARY' "$OUT/memcheck_$base.log")"
done | tee "$OUT/memcheck.txt"
echo "== JIT: a source-only pack, compiled by the runtime with NVRTC on first use (cold, then from the disk cache)"
export SSMRT_CACHE_DIR=/tmp/ssmc-cache
rm -rf "$SSMRT_CACHE_DIR"
for pass in cold warm; do
  s0=$(date +%s%N)
  .carry/ssmc-gpu-check stdlib/mamba_s6.ssm .carry/full/mamba_s6_jit.ssmpack --seqlens 127 --batches 1 > "$OUT/jit_$pass.log" 2>&1
  echo "jit $pass: rc=$? $(( ($(date +%s%N) - s0) / 1000000 )) ms for the whole check; $(tail -1 "$OUT/jit_$pass.log")"
done | tee "$OUT/jit.txt"
unset SSMRT_CACHE_DIR
echo "== embed_s6 (full Mamba-130m layer: D=1536, N=16)"
for dt in f32 bf16; do
  .carry/embed_s6 .carry/full/mamba_s6_$dt.ssmpack stdlib/mamba_s6.ssm --prompt 2048 --decode 64 --batch 1 2>&1 | tee "$OUT/embed_$dt.txt"
done
echo
echo "== numerics (details in $OUT/*.log)"
for s in "${summary[@]}"; do echo "$s"; done
grep -h FAIL "$OUT"/*.log | head -20
echo "failed packs: $fails"
