#!/usr/bin/env bash
# On a GPU machine: the benchmark over .carry/bench (tests/bench/make_bench.sh). JSON and the
# log under $OUT, the table last.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/ssmc-bench-out}
mkdir -p "$OUT"
.carry/bench/ssmc-bench .carry/bench/cases.txt "$OUT/bench.json" 2>&1 | tee "$OUT/bench.log"
