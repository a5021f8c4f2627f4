// kernels_test.cu — small instantiations for the correctness matrix: rows that are not a multiple
// of any block's rows, 64-bit and 32-bit indexing, every skeleton entry point, both dtypes.
#include "instantiate.cuh"

using ssm::bf16;
using ssm::LaneCfg;
using ssm::StepCfg;

// Mamba S6, D = 200, N = 16
using S6F = layers::MambaS6<float, 200, 16>;          // 64-bit indices
using S6B = layers::MambaS6<bf16, 200, 16, int>;      // index32
using S8T16W2 = LaneCfg<8, 16, 2>;
using S4T16W2 = LaneCfg<4, 16, 2>;
using S16T16W2 = LaneCfg<16, 16, 2>;
using S8T16W2P2 = LaneCfg<8, 16, 2, 2>;
using S8T16W2C256 = LaneCfg<8, 16, 2, 0, 256>;
using S4T16W2P2 = LaneCfg<4, 16, 2, 2>;
using St4W4 = StepCfg<4, 4>;
using St16W4 = StepCfg<16, 4>;
SSMT_LANE(t_s6_f32_s8t16w2, S6F, S8T16W2, "s6", "f32", "test", 0, 0, false)
SSMT_LANE(t_s6_f32_s4t16w2, S6F, S4T16W2, "s6", "f32", "test", 0, 0, false)
SSMT_LANE(t_s6_f32_s16t16w2, S6F, S16T16W2, "s6", "f32", "test", 0, 0, false)
SSMT_LANE(t_s6_f32_s8t16w2p2, S6F, S8T16W2P2, "s6", "f32", "test", 0, 0, false)
SSMT_CHUNK(t_s6_f32_chunk256, S6F, S8T16W2C256, "s6", "f32", "test", 0, 0, false)
SSMT_STEP(t_s6_f32_step4, S6F, St4W4, "s6", "f32", "test", 0, 0, false)
SSMT_STEP(t_s6_f32_step16, S6F, St16W4, "s6", "f32", "test", 0, 0, false)
SSMT_LANE(t_s6_bf16_s8t16w2, S6B, S8T16W2, "s6", "bf16", "test", 0, 0, true)
SSMT_LANE(t_s6_bf16_s4t16w2p2, S6B, S4T16W2P2, "s6", "bf16", "test", 0, 0, true)
SSMT_CHUNK(t_s6_bf16_chunk256, S6B, S8T16W2C256, "s6", "bf16", "test", 0, 0, true)
SSMT_STEP(t_s6_bf16_step4, S6B, St4W4, "s6", "bf16", "test", 0, 0, true)
using S4R2T16W2 = LaneCfg<4, 16, 2, 0, 0, 2>;
using S8R2T16W2C256 = LaneCfg<8, 16, 2, 0, 256, 2>;
SSMT_LANE(t_s6_f32_s4r2t16w2, S6F, S4R2T16W2, "s6", "f32", "test", 0, 0, false)
SSMT_CHUNK(t_s6_bf16_r2chunk256, S6B, S8R2T16W2C256, "s6", "bf16", "test", 0, 0, true)

// Mamba S6, D = 72, N = 64 (8 lanes per row)
using S6F64 = layers::MambaS6<float, 72, 64, int>;
using S8T16W4 = LaneCfg<8, 16, 4>;
using S8T16W4C256 = LaneCfg<8, 16, 4, 0, 256>;
using St8W4 = StepCfg<8, 4>;
SSMT_LANE(t_s6n64_f32_s8t16w4, S6F64, S8T16W4, "s6", "f32", "test", 0, 0, true)
SSMT_CHUNK(t_s6n64_f32_chunk256, S6F64, S8T16W4C256, "s6", "f32", "test", 0, 0, true)
SSMT_STEP(t_s6n64_f32_step8, S6F64, St8W4, "s6", "f32", "test", 0, 0, true)

// Mamba-2 SSD, H = 3, P = 20, N = 128 (rows 60)
using SSDF = layers::Mamba2SSD<float, 3, 20, 128>;
using SSDB = layers::Mamba2SSD<bf16, 3, 20, 128, int>;
using S16T8W4 = LaneCfg<16, 8, 4>;
using S32T8W4 = LaneCfg<32, 8, 4>;
using S16T8W4C256 = LaneCfg<16, 8, 4, 0, 256>;
SSMT_LANE(t_ssd_f32_s16t8w4, SSDF, S16T8W4, "ssd", "f32", "test", 3, 20, false)
SSMT_LANE(t_ssd_f32_s32t8w4, SSDF, S32T8W4, "ssd", "f32", "test", 3, 20, false)
SSMT_CHUNK(t_ssd_f32_chunk256, SSDF, S16T8W4C256, "ssd", "f32", "test", 3, 20, false)
SSMT_STEP(t_ssd_f32_step16, SSDF, St16W4, "ssd", "f32", "test", 3, 20, false)
using S16R4T8W4 = LaneCfg<16, 8, 4, 0, 0, 4>;
using S16R2T8W2 = LaneCfg<16, 8, 2, 0, 0, 2>;
using S16R4T8W4C256 = LaneCfg<16, 8, 4, 0, 256, 4>;
SSMT_LANE(t_ssd_f32_s16r4t8w4, SSDF, S16R4T8W4, "ssd", "f32", "test", 3, 20, false)
SSMT_LANE(t_ssd_bf16_s16r2t8w2, SSDB, S16R2T8W2, "ssd", "bf16", "test", 3, 20, true)
SSMT_CHUNK(t_ssd_f32_r4chunk256, SSDF, S16R4T8W4C256, "ssd", "f32", "test", 3, 20, false)
SSMT_LANE(t_ssd_bf16_s16t8w4, SSDB, S16T8W4, "ssd", "bf16", "test", 3, 20, true)
SSMT_CHUNK(t_ssd_bf16_chunk256, SSDB, S16T8W4C256, "ssd", "bf16", "test", 3, 20, true)
SSMT_STEP(t_ssd_bf16_step16, SSDB, St16W4, "ssd", "bf16", "test", 3, 20, true)

// exp2 accuracy over long sequences: ex2.approx with pre-scaled A vs expf
using S6Acc = layers::MambaS6<float, 200, 16, int>;
using S6AccX = layers::MambaS6Exact<float, 200, 16, int>;
SSMT_LANE(a_s6_f32_fast, S6Acc, S8T16W2, "s6", "f32", "acc", 0, 0, true)
SSMT_LANE(a_s6_f32_exact, S6AccX, S8T16W2, "s6exact", "f32", "acc", 0, 0, true)
