// instantiate.cuh — macros that write one kernel wrapper the way ssmc emits it and record its
// launch traits in the harness registry. Only the registry call is harness-specific: the
// wrapper line is exactly the generated source.
#ifndef SSM_TESTS_GPU_INSTANTIATE_CUH
#define SSM_TESTS_GPU_INSTANTIATE_CUH

#include "layers.cuh"
#include "registry.h"

namespace ssmt {

template <class L, class Cfg>
KernelEntry lane_entry(const char* name, const char* layer, const char* dtype, const char* kind,
                       const char* cfg, const char* use, int H, int P, bool i32, const void* fn,
                       const void* fn_summary) {
  using T = ssm::DiagLane<L, Cfg>;
  KernelEntry e;
  e.name = name; e.layer = layer; e.dtype = dtype; e.kind = kind; e.cfg = cfg; e.use = use;
  e.rows = L::kRows; e.N = L::kN; e.H = H; e.P = P; e.index32 = i32;
  e.fn = fn; e.fn_summary = fn_summary;
  e.block = T::kBlock;
  e.units = T::kRowBlocks;
  e.per_block = 1;
  e.chunk = T::kChunk;
  e.ws_per_chunk = T::kChunk ? T::kWorkspacePerChunk : 0;
  return e;
}

template <class L, class Cfg>
KernelEntry step_entry(const char* name, const char* layer, const char* dtype, const char* cfg,
                       const char* use, int H, int P, bool i32, const void* fn) {
  using T = ssm::DiagStepTraits<L, Cfg>;
  KernelEntry e;
  e.name = name; e.layer = layer; e.dtype = dtype; e.kind = "step"; e.cfg = cfg; e.use = use;
  e.rows = L::kRows; e.N = L::kN; e.H = H; e.P = P; e.index32 = i32;
  e.fn = fn;
  e.block = T::kBlock;
  e.units = T::kUnits;
  e.per_block = T::kBlock;
  return e;
}

}  // namespace ssmt

// LAYER and CFG are type aliases (template arguments with commas do not pass through macros).
#define SSMT_LANE(NAME, LAYER, CFG, LNAME, DTYPE, USE, H, P, I32)                                \
  extern "C" __global__ void __launch_bounds__(ssm::DiagLane<LAYER, CFG>::kBlock)              \
      NAME(ssm_launch_args a) {                                                                \
    ssm::diag_lane_forward<LAYER, CFG>(a);                                                     \
  }                                                                                            \
  static ssmt::Reg reg_##NAME(ssmt::lane_entry<LAYER, CFG>(#NAME, LNAME, DTYPE, "lane", #CFG,  \
                                                           USE, H, P, I32, (const void*)NAME,  \
                                                           nullptr));

#define SSMT_CHUNK(NAME, LAYER, CFG, LNAME, DTYPE, USE, H, P, I32)                               \
  extern "C" __global__ void __launch_bounds__(ssm::DiagLane<LAYER, CFG>::kBlock)              \
      NAME##_sum(ssm_launch_args a) {                                                          \
    ssm::diag_chunk_summary<LAYER, CFG>(a);                                                    \
  }                                                                                            \
  extern "C" __global__ void __launch_bounds__(ssm::DiagLane<LAYER, CFG>::kBlock)              \
      NAME##_fwd(ssm_launch_args a) {                                                          \
    ssm::diag_chunk_forward<LAYER, CFG>(a);                                                    \
  }                                                                                            \
  static ssmt::Reg reg_##NAME(ssmt::lane_entry<LAYER, CFG>(                                    \
      #NAME, LNAME, DTYPE, "chunk", #CFG, USE, H, P, I32, (const void*)NAME##_fwd,             \
      (const void*)NAME##_sum));

#define SSMT_STEP(NAME, LAYER, CFG, LNAME, DTYPE, USE, H, P, I32)                                \
  extern "C" __global__ void __launch_bounds__(ssm::DiagStepTraits<LAYER, CFG>::kBlock)        \
      NAME(ssm_launch_args a) {                                                                \
    ssm::diag_step<LAYER, CFG>(a);                                                             \
  }                                                                                            \
  static ssmt::Reg reg_##NAME(ssmt::step_entry<LAYER, CFG>(#NAME, LNAME, DTYPE, #CFG, USE, H,  \
                                                           P, I32, (const void*)NAME));

#endif
