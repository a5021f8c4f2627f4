// Evaluating the manifest's launch rules for one call (see launch_plan.h).
#include "launch_plan.h"

#include <string>

namespace ssmrt {
namespace {

constexpr uint64_t kMaxWorkspaceBytes = uint64_t(1) << 62;

// ceil(a / b) for a >= 0, b >= 1, without the overflow of (a + b - 1) / b.
uint64_t ceilDiv(uint64_t a, uint64_t b) { return a / b + (a % b != 0); }

// units * (batch ? B : 1) * (chunk > 0 ? ceil(L / chunk) : 1); false on 64-bit overflow.
bool scaled(uint64_t units, bool batch, int64_t chunk, const CallShape &shape, uint64_t *out) {
  uint64_t v = units;
  if (batch && __builtin_mul_overflow(v, uint64_t(shape.batch), &v)) return false;
  if (chunk > 0 && __builtin_mul_overflow(v, ceilDiv(uint64_t(shape.seqlen), uint64_t(chunk)), &v))
    return false;
  *out = v;
  return true;
}

// The grids and workspace of one launch list; the list is not empty.
Status planList(const ManifestLayer &layer, const char *en, const std::vector<ManifestLaunch> &launches,
                const CallShape &shape, LaunchPlan *out_plan) {
  // Messages are built only on failure: a plan is made for every call whose shapes changed.
  auto shapeText = [&] {
    return "batch " + std::to_string(shape.batch) + ", seqlen " + std::to_string(shape.seqlen);
  };
  static const uint64_t kGridLimit[3] = {0x7fffffffull, 65535, 65535};
  static const char kAxis[3] = {'x', 'y', 'z'};

  LaunchPlan plan;
  plan.launches.reserve(launches.size());
  for (const ManifestLaunch &l : launches) {
    PlannedLaunch p;
    p.launch = &l;
    auto who = [&] { return "layer '" + layer.name + "' " + en + " kernel '" + l.kernel + "'"; };
    for (int k = 0; k < 3; ++k) {
      const GridRule &g = l.grid[k];
      uint64_t work;
      if (!scaled(uint64_t(g.units), g.batch, g.seqChunk, shape, &work))
        return Status(SSMRT_UNSUPPORTED, who() + ": grid " + kAxis[k] + " overflows 64 bits at " + shapeText());
      uint64_t blocks = ceilDiv(work, uint64_t(g.perBlock));
      if (blocks > kGridLimit[k])
        return Status(SSMRT_UNSUPPORTED, who() + ": grid " + kAxis[k] + " would be " + std::to_string(blocks) +
                                             " blocks at " + shapeText() + ", over CUDA's limit of " +
                                             std::to_string(kGridLimit[k]));
      p.grid[k] = uint32_t(blocks);
    }
    uint64_t ws;
    // Bounded well below 2^64 so that rounding and the state copy added later cannot wrap.
    if (!scaled(uint64_t(l.workspace.bytes), l.workspace.batch, l.workspace.seqChunk, shape, &ws) ||
        ws > kMaxWorkspaceBytes)
      return Status(SSMRT_UNSUPPORTED,
                    who() + ": workspace size overflows 64 bits (or passes 2^62 bytes) at " + shapeText());
    if (ws > plan.workspaceBytes) plan.workspaceBytes = ws;
    plan.launches.push_back(p);
  }
  *out_plan = std::move(plan);
  return Status::ok();
}

}  // namespace

bool useSmallGridKernel(const ManifestLaunch &launch, const uint32_t grid[3], uint64_t waveBlocks) {
  if (launch.smallGridKernel.empty()) return false;
  return uint64_t(grid[0]) * grid[1] * grid[2] <= waveBlocks;
}

bool fitsIndex32(const CallShape &shape, uint64_t workspaceBytes) {
  // A buffer of n 4-byte elements has offsets up to n - 1; the byte counts are rounded up.
  auto fits = [](uint64_t bytes) { return bytes / 4 + (bytes % 4 != 0) <= kIndex32Limit; };
  return shape.largestOffset < kIndex32Limit && fits(shape.largestStateBytes) && fits(workspaceBytes);
}

Status planLaunches(const ManifestLayer &layer, ssmrt_entry entry, const CallShape &shape,
                    LaunchPlan *out_plan) {
  const bool step = entry == SSMRT_ENTRY_STEP;
  const std::vector<ManifestLaunch> &launches = step ? layer.step : layer.forward;
  const std::vector<ManifestLaunch> &narrow = step ? layer.stepIndex32 : layer.forwardIndex32;
  const char *en = entryName(entry);
  if (launches.empty())
    return Status(SSMRT_UNSUPPORTED, "layer '" + layer.name + "' has no " + en + " entry in this module");
  if (!narrow.empty() && shape.largestOffset < kIndex32Limit) {
    LaunchPlan plan;
    // A failure here (a grid the 32-bit kernels cannot launch) falls back to the 64-bit
    // list, which reports its own failure.
    if (planList(layer, en, narrow, shape, &plan) && fitsIndex32(shape, plan.workspaceBytes)) {
      plan.index32 = true;
      *out_plan = std::move(plan);
      return Status::ok();
    }
  }
  return planList(layer, en, launches, shape, out_plan);
}

}  // namespace ssmrt
