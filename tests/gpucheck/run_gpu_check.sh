#!/usr/bin/env bash
# On a GPU machine: every stdlib layer x {f32, bf16, f16} x seqlens x batches against the float64
# reference, split prefills and decode steps, then compute-sanitizer memcheck on one run of every
# kernel; then the hardening checks (issue 6): the numerics and compute-sanitizer memcheck,
# racecheck and synccheck at odd sizes (.carry/odd, which also holds the SSD skeleton forced on
# f32 and f16 with segments of 128 steps), extreme values (NaN/inf in every in, dt that
# underflows exp(dt A), softplus at +-100), and Mamba S6 at L = 2^20 (D 1536) and past 2^31
# elements (D 2048, f32 and bf16) against the reference on channel slices; the S6 packs again with
# SSMRT_NO_SMALL_GRID=1 (the plain forward and step kernels, which small batches never take).
# Needs .carry/ from tests/gpucheck/make_packs.sh. Logs under $OUT; a table last; exit 1 on any
# failure.
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

# ---- hardening (issue 6) ------------------------------------------------------------------------
script_of() {  # the script of a pack named LAYER[__TAG]_DTYPE.ssmpack
  local base layer
  base=$(basename "$1" .ssmpack)
  layer=${base%_*}
  layer=${layer%%__*}
  if [ -f "stdlib/$layer.ssm" ]; then echo "stdlib/$layer.ssm"; else echo "tests/gpucheck/$layer.ssm"; fi
}
export -f script_of
# Each hardening step writes one line per run to a file: "... rc=N ..." (and FAIL where the run's
# own verdict failed); the table counts them per step and lists the failing ones.
t_hard=$(date +%s)
echo "== odd sizes: numerics (seq 1,2,3,17,33,1025; batch 1,3)"
odd_one() {
  pack=$1; base=$(basename "$pack" .ssmpack)
  timeout 300 .carry/ssmc-gpu-check "$(script_of "$pack")" "$pack" --seqlens 1,2,3,17,33,1025 --batches 1,3 \
    > "$OUT/odd_$base.log" 2>&1
  echo "odd numerics $base: rc=$? $(tail -1 "$OUT/odd_$base.log")"
}
export -f odd_one
ls .carry/odd/*.ssmpack | xargs -P 10 -I{} bash -c 'odd_one {}' | sort | tee "$OUT/odd.txt"

echo "== compute-sanitizer memcheck, racecheck, synccheck at odd sizes (seq 1,7,33; batch 3; forward, halves, steps)"
san_one() {
  tool=$1; pack=$2; base=$(basename "$pack" .ssmpack)
  log="$OUT/${tool}_odd_$base.log"
  timeout 300 compute-sanitizer --tool "$tool" --error-exitcode 9 .carry/ssmc-gpu-check "$(script_of "$pack")" "$pack" \
    --seqlens 1,7,33 --batches 3 --steps 3 > "$log" 2>&1
  rc=$?
  n=$(grep -h -m1 -E '(ERROR|RACECHECK|SYNCCHECK) SUMMARY' "$log" | grep -o -E '[0-9]+' | head -1)
  verdict=ok
  { [ "$rc" = 0 ] && [ "${n:-x}" = 0 ]; } || verdict=FAIL
  echo "$tool $base: rc=$rc $(grep -h -m1 -E '(ERROR|RACECHECK|SYNCCHECK) SUMMARY' "$log" | sed 's/^=* *//') $verdict"
}
export -f san_one
for tool in memcheck racecheck synccheck; do for p in .carry/odd/*.ssmpack; do echo "$tool $p"; done; done \
  | xargs -P 8 -L 1 bash -c 'san_one "$0" "$1"' | sort | tee "$OUT/sanitizers_odd.txt"

echo "== extreme values (NaN/+inf/-inf in one element of each in; dt in [90,110], 1e4, +-100, [-100,100]; forward, final state, steps)"
ext_one() {
  pack=$1; base=$(basename "$pack" .ssmpack)
  timeout 300 .carry/ssmc-gpu-check "$(script_of "$pack")" "$pack" --mode extreme > "$OUT/extreme_$base.log" 2>&1
  echo "extreme $base: rc=$? $(tail -1 "$OUT/extreme_$base.log")"
}
export -f ext_one
# .carry/edge/edge_minmax: min/max must pass a NaN on as the reference (and arith.minimumf /
# maximumf) do; the kernels print fminf/fmaxf, which drop it, so this pack fails until the EmitC
# lowering prints NaN-propagating calls.
ls .carry/packs/*.ssmpack .carry/odd/*_f32.ssmpack .carry/edge/*.ssmpack | xargs -P 12 -I{} bash -c 'ext_one {}' | sort \
  | tee "$OUT/extreme.txt"

echo "== the plain kernels: SSMRT_NO_SMALL_GRID=1 (the checks above take the small-grid forward and step)"
for pack in .carry/packs/mamba_s6_*.ssmpack; do
  base=$(basename "$pack" .ssmpack)
  SSMRT_NO_SMALL_GRID=1 timeout 300 .carry/ssmc-gpu-check stdlib/mamba_s6.ssm "$pack" --seqlens 1,7,127,2048 \
    --batches 1,3 > "$OUT/nosmall_$base.log" 2>&1
  echo "no small grid $base: rc=$? $(tail -1 "$OUT/nosmall_$base.log")"
done | tee "$OUT/nosmall.txt"

echo "== long sequences: Mamba S6, channels 0, 1, 767, D-2, D-1 against the reference on channel slices"
long_one() {  # name pack seqlen
  timeout 240 .carry/ssmc-gpu-check stdlib/mamba_s6.ssm "$2" --mode long --seqlens "$3" --batches 1 \
    --channels 0,1,767,-2,-1 > "$OUT/long_$1.log" 2>&1
  echo "long $1: rc=$? $(tail -1 "$OUT/long_$1.log")"
}
nvidia-smi --query-gpu=memory.total,memory.used --format=csv,noheader | sed 's/^/GPU memory (total, used): /'
{
  long_one f32_D1536_L1048576 .carry/full/mamba_s6_f32.ssmpack 1048576
  long_one f32_D2048_L1048583 .carry/long/mamba_s6_D2048_f32.ssmpack 1048583
  long_one bf16_D2048_L1048583 .carry/long/mamba_s6_D2048_bf16.ssmpack 1048583
} | tee "$OUT/long.txt"
grep -h -E " long .*(ch |kernel )" "$OUT"/long_*.log > "$OUT/long_table.txt"
t_hard=$(( $(date +%s) - t_hard ))

echo
echo "== numerics (details in $OUT/*.log)"
for s in "${summary[@]}"; do echo "$s"; done
for f in "$OUT"/*.summary; do grep -h FAIL "${f%.summary}.log"; done | head -20
echo "failed packs: $fails"
echo
echo "== hardening (issue 6; ${t_hard} s; details in $OUT/{odd,memcheck,racecheck,synccheck,extreme,long}_*.log)"
hfails=0
step_line() {  # label file [filter]
  local all b1 b2 bad
  all=$(grep -c -E "${3:-.}" "$2")
  b1=$(grep -E "${3:-.}" "$2" | grep -c -v -E 'rc=0 ')
  b2=$(grep -E "${3:-.}" "$2" | grep -E 'rc=0 ' | grep -c FAIL)
  bad=$((b1 + b2))
  printf '%-44s %3d runs, %d failed\n' "$1" "$all" "$bad"
  grep -E "${3:-.}" "$2" | grep -E -v 'rc=0 ' | sed 's/^/    /'
  grep -E "${3:-.}" "$2" | grep -E 'rc=0 ' | grep FAIL | sed 's/^/    /'
  hfails=$((hfails + bad))
}
step_line "numerics at odd sizes" "$OUT/odd.txt"
step_line "compute-sanitizer memcheck, odd sizes" "$OUT/sanitizers_odd.txt" '^memcheck'
step_line "compute-sanitizer racecheck, odd sizes" "$OUT/sanitizers_odd.txt" '^racecheck'
step_line "compute-sanitizer synccheck, odd sizes" "$OUT/sanitizers_odd.txt" '^synccheck'
step_line "the plain kernels (SSMRT_NO_SMALL_GRID=1)" "$OUT/nosmall.txt"
step_line "extreme values (NaN, inf, dt underflow, +-100)" "$OUT/extreme.txt"
grep -h FAIL "$OUT"/extreme_*.log | head -10 | sed 's/^/    /'
step_line "long sequences (S6, 64-bit offsets)" "$OUT/long.txt"
cat "$OUT/long_table.txt"
echo "failed hardening checks: $hfails"
[ "$fails" = 0 ] && [ "$hfails" = 0 ]
