// kernels_bench_ssd.cu — Mamba-2 SSD benchmark instantiations (bf16 at every shape, f32 at H 24).
#include "kernels_bench.cuh"
SSMT_SSD_BENCH(b_ssd_bf16, ssm::bf16, "bf16", 24)
SSMT_SSD_BENCH(b_ssd_bf16, ssm::bf16, "bf16", 32)
SSMT_SSD_BENCH(b_ssd_bf16, ssm::bf16, "bf16", 80)
SSMT_SSD_BENCH(b_ssd_f32, float, "f32", 24)
