#!/usr/bin/env bash
# Runs ssmc-fuzz from the hardening build (tests/configure.sh asan).
#
#   tests/fuzz/run_fuzz.sh BUILD               CI: the regression inputs, then a bounded and
#                                              deterministic run from the seed corpus (fixed
#                                              -seed, -runs=$SSMC_FUZZ_RUNS, ASLR off), so that
#                                              it fails only when a change breaks something
#   tests/fuzz/run_fuzz.sh BUILD -max_total_time=1800 [more libFuzzer flags]
#                                              explore: flags replace -seed/-runs; new inputs
#                                              accumulate in BUILD/fuzz/corpus across runs
#
# The seed corpus is every .ssm of stdlib/, examples/ and tests/lit/, plus the regressions. A
# finding is written to BUILD/fuzz/artifacts/ (crash-*, timeout-*, leak-*, oom-*): fix it, then
# add it to tests/fuzz/regressions/ (README, "Hardening").
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:?usage: tests/fuzz/run_fuzz.sh BUILD_DIR [libFuzzer flags]}
shift
FUZZ=$BUILD/bin/ssmc-fuzz
[ -x "$FUZZ" ] || { echo "run_fuzz.sh: $FUZZ not built (configure with -DSSMC_FUZZ=ON)" >&2; exit 1; }

work=$BUILD/fuzz
rm -rf "$work/seeds" "$work/artifacts"
mkdir -p "$work/seeds" "$work/artifacts" "$work/corpus"
# Flattened names, so that inputs from different directories never collide.
while IFS= read -r f; do
  cp "$f" "$work/seeds/$(echo "$f" | tr '/' '_')"
done < <(find stdlib examples tests/lit -name '*.ssm' | sort)
# The stdlib layers again with the driver's options (the `//!` line, tests/fuzz/ssmc_fuzz.cpp).
for f in stdlib/mamba_s6.ssm stdlib/mamba2_ssd.ssm stdlib/s4d_real.ssm stdlib/s4d_complex.ssm stdlib/s4_legs.ssm; do
  for o in "strategy=lane dtype=bf16" "strategy=chunked dtype=f16 batch=64" "strategy=ssd dim:N=8"; do
    { echo "//! $o"; cat "$f"; } > "$work/seeds/opt_${o//[ =:]/_}_$(basename "$f")"
  done
done

common=(-timeout=10 -rss_limit_mb=4096 -artifact_prefix="$work/artifacts/")

echo "== fuzz: regression inputs"
"$FUZZ" -runs=0 "${common[@]}" tests/fuzz/regressions
common+=(-max_len=8192 -dict=tests/fuzz/ssm.dict -print_final_stats=1)

if [ $# -gt 0 ]; then
  echo "== fuzz: exploring ($*)"
  exec "$FUZZ" "${common[@]}" "$@" "$work/corpus" "$work/seeds" tests/fuzz/regressions
fi

# Deterministic: an empty output corpus each time, one process, a fixed seed and run count, no
# periodic corpus reload (it is timed), no address-space randomization (pointer-keyed maps in
# MLIR would vary the coverage). Two runs of the same tree find the same inputs. 50,000 runs
# take about 2.5 minutes on 2 cores.
runs=${SSMC_FUZZ_RUNS:-50000}
rm -rf "$work/ci-corpus"
mkdir -p "$work/ci-corpus"
norand=()
if setarch "$(uname -m)" -R true 2>/dev/null; then
  norand=(setarch "$(uname -m)" -R)
fi
echo "== fuzz: -seed=1 -runs=$runs from $(ls "$work/seeds" | wc -l) seeds"
"${norand[@]}" "$FUZZ" -seed=1 -runs="$runs" -reload=0 "${common[@]}" "$work/ci-corpus" "$work/seeds" tests/fuzz/regressions
