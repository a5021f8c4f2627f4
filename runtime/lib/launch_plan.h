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

struct LaunchPlan {
  std::vector<PlannedLaunch> launches;
  uint64_t workspaceBytes = 0;  // largest over the launches; one buffer shared by all
};

// Evaluates the GRIDDIM and workspace formulas of runtime/FORMAT.md for batch B and
// sequence length L. UNSUPPORTED when the entry is missing or a grid exceeds what CUDA can
// launch (x < 2^31, y and z <= 65535) or a size overflows 64 bits; the message names the
// kernel and the shape.
Status planLaunches(const ManifestLayer &layer, ssmrt_entry entry, const CallShape &shape,
                    LaunchPlan *out_plan);

}  // namespace ssmrt

#endif  // SSMRT_LIB_LAUNCH_PLAN_H
