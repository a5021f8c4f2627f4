// kernels_bench_s6_f32.cu — Mamba S6 benchmark instantiations, f32 storage.
#include "kernels_bench.cuh"
SSMT_S6_BENCH(b_s6_f32, float, "f32")
