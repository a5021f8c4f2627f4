// kernels_bench.cuh — the benchmark instantiations: every shape of shared/ANCHORS.md with several
// launch configurations each, so that one device run measures what the cost model should pick.
// Included by kernels_bench_*.cu, one dtype per translation unit (parallel builds).
#ifndef SSM_TESTS_GPU_KERNELS_BENCH_CUH
#define SSM_TESTS_GPU_KERNELS_BENCH_CUH

#include "instantiate.cuh"

namespace bcfg {
using ssm::LaneCfg;
using ssm::StepCfg;
using S8T16W2 = LaneCfg<8, 16, 2>;
using S8T16W4 = LaneCfg<8, 16, 4>;
using S4T16W2 = LaneCfg<4, 16, 2>;
using S4T16W1 = LaneCfg<4, 16, 1>;
using S4T16W4 = LaneCfg<4, 16, 4>;
using S4T32W2 = LaneCfg<4, 32, 2>;
using S4T32W1 = LaneCfg<4, 32, 1>;
using S4T32W4 = LaneCfg<4, 32, 4>;
using S4T8W2 = LaneCfg<4, 8, 2>;
using S2T16W2 = LaneCfg<2, 16, 2>;
using S4T16W2C1024 = LaneCfg<4, 16, 2, 0, 1024>;
using S4T16W2C2048 = LaneCfg<4, 16, 2, 0, 2048>;
using S8T16W2C512 = LaneCfg<8, 16, 2, 0, 512>;
using S8T16W2C1024 = LaneCfg<8, 16, 2, 0, 1024>;
using S16R2T16W2 = LaneCfg<16, 16, 2, 0, 0, 2>;
using S8T16W4C1024 = LaneCfg<8, 16, 4, 0, 1024>;
using S4R2T16W2 = LaneCfg<4, 16, 2, 0, 0, 2>;
using S8R2T16W2 = LaneCfg<8, 16, 2, 0, 0, 2>;
using S32T8W4 = LaneCfg<32, 8, 4>;
using S16R2T8W4 = LaneCfg<16, 8, 4, 0, 0, 2>;
using S16R4T8W4 = LaneCfg<16, 8, 4, 0, 0, 4>;
using S16R2T8W2 = LaneCfg<16, 8, 2, 0, 0, 2>;
using S8R4T16W4 = LaneCfg<8, 16, 4, 0, 0, 4>;
using S32R2T8W4 = LaneCfg<32, 8, 4, 0, 0, 2>;
using St2W4 = StepCfg<2, 4>;
using St4W4 = StepCfg<4, 4>;
using St4W8 = StepCfg<4, 8>;
using St8W4 = StepCfg<8, 4>;
using St4W16 = StepCfg<4, 16>;
using St8W8 = StepCfg<8, 8>;
}  // namespace bcfg

// Mamba S6 at every ANCHORS shape: D in {1536, 2048, 5120} with N 16, D 2048 with N 64.
// (Run 1 also measured S16, Poly 2 and 64-bit-index variants: all slower, see PERF.md.)
#define SSMT_S6_BENCH(P, T, DT)                                                                 \
  namespace P##_l {                                                                            \
  using D1536 = layers::MambaS6<T, 1536, 16, int>;                                             \
  using D2048 = layers::MambaS6<T, 2048, 16, int>;                                             \
  using D5120 = layers::MambaS6<T, 5120, 16, int>;                                             \
  using D2048N64 = layers::MambaS6<T, 2048, 64, int>;                                          \
  }                                                                                            \
  SSMT_LANE(P##_d1536_s8t16w2, P##_l::D1536, bcfg::S8T16W2, "s6", DT, "bench", 0, 0, true)     \
  SSMT_LANE(P##_d1536_s4t16w2, P##_l::D1536, bcfg::S4T16W2, "s6", DT, "bench", 0, 0, true)     \
  SSMT_LANE(P##_d1536_s4r2t16w2, P##_l::D1536, bcfg::S4R2T16W2, "s6", DT, "bench", 0, 0, true) \
  SSMT_LANE(P##_d1536_s4t16w1, P##_l::D1536, bcfg::S4T16W1, "s6", DT, "bench", 0, 0, true)     \
  SSMT_LANE(P##_d1536_s4t16w4, P##_l::D1536, bcfg::S4T16W4, "s6", DT, "bench", 0, 0, true)     \
  SSMT_LANE(P##_d1536_s4t32w2, P##_l::D1536, bcfg::S4T32W2, "s6", DT, "bench", 0, 0, true)     \
  SSMT_LANE(P##_d2048_s8t16w2, P##_l::D2048, bcfg::S8T16W2, "s6", DT, "bench", 0, 0, true)     \
  SSMT_LANE(P##_d2048_s4t16w2, P##_l::D2048, bcfg::S4T16W2, "s6", DT, "bench", 0, 0, true)     \
  SSMT_LANE(P##_d2048_s4t16w4, P##_l::D2048, bcfg::S4T16W4, "s6", DT, "bench", 0, 0, true)     \
  SSMT_LANE(P##_d2048_s4t32w2, P##_l::D2048, bcfg::S4T32W2, "s6", DT, "bench", 0, 0, true)     \
  SSMT_LANE(P##_d2048_s4t8w2, P##_l::D2048, bcfg::S4T8W2, "s6", DT, "bench", 0, 0, true)       \
  SSMT_LANE(P##_d2048_s2t16w2, P##_l::D2048, bcfg::S2T16W2, "s6", DT, "bench", 0, 0, true)     \
  SSMT_LANE(P##_d5120_s8t16w2, P##_l::D5120, bcfg::S8T16W2, "s6", DT, "bench", 0, 0, true)     \
  SSMT_LANE(P##_d5120_s4t16w2, P##_l::D5120, bcfg::S4T16W2, "s6", DT, "bench", 0, 0, true)     \
  SSMT_CHUNK(P##_d5120_s8t16w2c1024, P##_l::D5120, bcfg::S8T16W2C1024, "s6", DT, "bench", 0,   \
             0, true)                                                                          \
  SSMT_CHUNK(P##_d5120_s4t16w2c1024, P##_l::D5120, bcfg::S4T16W2C1024, "s6", DT, "bench", 0,   \
             0, true)                                                                          \
  SSMT_LANE(P##_d5120_s4t32w2, P##_l::D5120, bcfg::S4T32W2, "s6", DT, "bench", 0, 0, true)     \
  SSMT_LANE(P##_d5120_s4t32w1, P##_l::D5120, bcfg::S4T32W1, "s6", DT, "bench", 0, 0, true)     \
  SSMT_LANE(P##_d5120_s4t32w4, P##_l::D5120, bcfg::S4T32W4, "s6", DT, "bench", 0, 0, true)     \
  SSMT_LANE(P##_d5120_s2t16w2, P##_l::D5120, bcfg::S2T16W2, "s6", DT, "bench", 0, 0, true)     \
  SSMT_LANE(P##_d2048n64_s8t16w2, P##_l::D2048N64, bcfg::S8T16W2, "s6", DT, "bench", 0, 0,     \
            true)                                                                              \
  SSMT_LANE(P##_d2048n64_s8t16w4, P##_l::D2048N64, bcfg::S8T16W4, "s6", DT, "bench", 0, 0,     \
            true)                                                                              \
  SSMT_LANE(P##_d2048n64_s8r2t16w2, P##_l::D2048N64, bcfg::S8R2T16W2, "s6", DT, "bench", 0, 0, \
            true)

// Mamba-2 SSD, P 64, N 128, H in {24, 32, 80}.
#define SSMT_SSD_BENCH(P, T, DT, H)                                                              \
  namespace P##_h##H { using L = layers::Mamba2SSD<T, H, 64, 128, int>; }                      \
  SSMT_LANE(P##_h##H##_s32t8w4, P##_h##H::L, bcfg::S32T8W4, "ssd", DT, "bench", H, 64, true)    \
  SSMT_LANE(P##_h##H##_s16r2t8w4, P##_h##H::L, bcfg::S16R2T8W4, "ssd", DT, "bench", H, 64, true) \
  SSMT_LANE(P##_h##H##_s16r4t8w4, P##_h##H::L, bcfg::S16R4T8W4, "ssd", DT, "bench", H, 64, true) \
  SSMT_LANE(P##_h##H##_s16r2t8w2, P##_h##H::L, bcfg::S16R2T8W2, "ssd", DT, "bench", H, 64, true) \
  SSMT_LANE(P##_h##H##_s32r2t8w4, P##_h##H::L, bcfg::S32R2T8W4, "ssd", DT, "bench", H, 64, true)

#endif
