// kernels_bench_s6_bf16.cu — Mamba S6 benchmark instantiations, bf16 storage, and the decode step.
#include "kernels_bench.cuh"
SSMT_S6_BENCH(b_s6_bf16, ssm::bf16, "bf16")

namespace step_l { using D5120 = layers::MambaS6<ssm::bf16, 5120, 16, int>; }
SSMT_STEP(b_step_bf16_d5120_s2w4, step_l::D5120, bcfg::St2W4, "s6", "bf16", "bench", 0, 0, true)
SSMT_STEP(b_step_bf16_d5120_s4w4, step_l::D5120, bcfg::St4W4, "s6", "bf16", "bench", 0, 0, true)
SSMT_STEP(b_step_bf16_d5120_s4w8, step_l::D5120, bcfg::St4W8, "s6", "bf16", "bench", 0, 0, true)
SSMT_STEP(b_step_bf16_d5120_s8w4, step_l::D5120, bcfg::St8W4, "s6", "bf16", "bench", 0, 0, true)
SSMT_STEP(b_step_bf16_d5120_s4w16, step_l::D5120, bcfg::St4W16, "s6", "bf16", "bench", 0, 0, true)
SSMT_STEP(b_step_bf16_d5120_s8w8, step_l::D5120, bcfg::St8W8, "s6", "bf16", "bench", 0, 0, true)
