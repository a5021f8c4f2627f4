// registry.h — the table of kernel instantiations the GPU harness checks and times. Each
// kernels_*.cu adds its `extern "C" __global__` wrappers (written as ssmc emits them) together
// with the launch traits the compiler would copy into the manifest's LAUNCH rules.
#ifndef SSM_TESTS_GPU_REGISTRY_H
#define SSM_TESTS_GPU_REGISTRY_H

#include <string>
#include <vector>

namespace ssmt {

struct KernelEntry {
  std::string name;    // the extern "C" symbol
  std::string layer;   // "s6", "s6exact" (decay through expf), "ssd"
  std::string dtype;   // storage of in/out tensors: "f32" or "bf16"
  std::string kind;    // "lane", "chunk" (two launches) or "step"
  std::string cfg;     // human-readable configuration
  std::string use;     // "test" (correctness matrix) or "bench"
  long long rows = 0;  // D for S6, H * P for SSD
  int N = 0, H = 0, P = 0;
  bool index32 = false;
  const void* fn = nullptr;          // lane / step kernel, or the chunked forward (launch 2)
  const void* fn_summary = nullptr;  // chunked launch 1
  // LAUNCH rule (runtime/FORMAT.md): grid.x = ceil(units * B * (chunk ? ceil(L/chunk) : 1) / per_block)
  int block = 0;
  long long units = 0;
  long long per_block = 1;
  int chunk = 0;
  long long ws_per_chunk = 0;  // workspace bytes per (batch item, chunk)
  int regs = 0;                // filled in at run time from cudaFuncGetAttributes
};

std::vector<KernelEntry>& registry();

struct Reg {
  explicit Reg(const KernelEntry& e) { registry().push_back(e); }
};

}  // namespace ssmt

#endif
