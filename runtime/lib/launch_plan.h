// The launch rules of a manifest entry evaluated for one call: grids and workspace size.
#ifndef SSMRT_LIB_LAUNCH_PLAN_H
#define SSMRT_LIB_LAUNCH_PLAN_H

#include <cstdint>
#include <vector>

#include "ssmrt/manifest.h"
#include "validate.h"

namespace ssmrt {

struct PlannedLaunch {
  const ManifestLaunch *launch = nullptr;
  uint32_t grid[3] = {1, 1, 1};
};

// Whether a launch runs its small_grid_kernel: it has one and the grid's blocks fit on the
// device at once (`waveBlocks`: multiprocessors x the small kernel's resident blocks per
// multiprocessor at the launch's block and shared memory; 0: never).
bool useSmallGridKernel(const ManifestLaunch &launch, const uint32_t grid[3], uint64_t waveBlocks);

struct LaunchPlan {
  std::vector<PlannedLaunch> launches;
  uint64_t workspaceBytes = 0;  // largest over the launches; one buffer shared by all
  bool index32 = false;         // the launches are the entry's index32 list
};

// Element offsets below this fit the index32 kernels' `int` arithmetic.
constexpr uint64_t kIndex32Limit = uint64_t(1) << 31;

// Whether a call may run the index32 kernels: the largest tensor element offset, and the
// largest state buffer and the workspace counted in 4-byte units (their elements are f32
// or c64), all below 2^31 (runtime/FORMAT.md, "Index width").
bool fitsIndex32(const CallShape &shape, uint64_t workspaceBytes);

// Evaluates the GRIDDIM and workspace formulas of runtime/FORMAT.md for batch B and
// sequence length L. UNSUPPORTED when the entry is missing or a grid exceeds what CUDA can
// launch (x < 2^31, y and z <= 65535) or a size overflows 64 bits; the message names the
// kernel and the shape. Plans the entry's index32 list when it has one and fitsIndex32
// holds for the call (with that list's workspace), else the 64-bit list.
Status planLaunches(const ManifestLayer &layer, ssmrt_entry entry, const CallShape &shape,
                    LaunchPlan *out_plan);

}  // namespace ssmrt

#endif  // SSMRT_LIB_LAUNCH_PLAN_H
