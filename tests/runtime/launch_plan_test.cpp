// The manifest's grid and workspace formulas evaluated for a call's batch and seqlen.
#include <gtest/gtest.h>

#include "launch_plan.h"
#include "sample_pack.h"

using namespace ssmrt;

namespace {

ManifestLayer layerWith(std::vector<ManifestLaunch> forward) {
  ManifestLayer l = ssmrt_test::sampleManifest().layers[0];
  l.forward = std::move(forward);
  return l;
}

}  // namespace

TEST(LaunchPlan, GridFormula) {
  ManifestLaunch l = ssmrt_test::sampleLaunch("k");
  l.grid[0] = GridRule{1536, true, 0, 128};    // ceil(1536 * B / 128)
  l.grid[1] = GridRule{3, false, 256, 1};      // 3 * ceil(L / 256)
  l.grid[2] = GridRule{10, true, 100, 7};      // ceil(10 * B * ceil(L / 100) / 7)
  ManifestLayer layer = layerWith({l});
  LaunchPlan plan;
  ASSERT_TRUE(planLaunches(layer, SSMRT_ENTRY_FORWARD, CallShape{3, 1000}, &plan));
  ASSERT_EQ(plan.launches.size(), 1u);
  EXPECT_EQ(plan.launches[0].grid[0], 36u);       // 4608 / 128
  EXPECT_EQ(plan.launches[0].grid[1], 12u);       // 3 * 4
  EXPECT_EQ(plan.launches[0].grid[2], 43u);       // ceil(300 / 7)
  EXPECT_EQ(plan.launches[0].launch, &layer.forward[0]);
  EXPECT_EQ(plan.workspaceBytes, 0u);
}

TEST(LaunchPlan, WorkspaceIsTheLargestOverLaunches) {
  ManifestLaunch a = ssmrt_test::sampleLaunch("a"), b = ssmrt_test::sampleLaunch("b");
  a.workspace = WorkspaceRule{16, true, 64};   // 16 * B * ceil(L / 64)
  b.workspace = WorkspaceRule{1000, false, 0};
  ManifestLayer layer = layerWith({a, b});
  LaunchPlan plan;
  ASSERT_TRUE(planLaunches(layer, SSMRT_ENTRY_FORWARD, CallShape{4, 1000}, &plan));
  EXPECT_EQ(plan.workspaceBytes, 16u * 4 * 16);  // 1024 > 1000
  ASSERT_TRUE(planLaunches(layer, SSMRT_ENTRY_FORWARD, CallShape{1, 64}, &plan));
  EXPECT_EQ(plan.workspaceBytes, 1000u);
  ASSERT_EQ(plan.launches.size(), 2u);
  EXPECT_EQ(plan.launches[1].launch->kernel, "b");
}

TEST(LaunchPlan, MissingEntryIsUnsupported) {
  ManifestLayer layer = ssmrt_test::sampleManifest().layers[1];  // "lti": forward only
  LaunchPlan plan;
  Status s = planLaunches(layer, SSMRT_ENTRY_STEP, CallShape{1, 1}, &plan);
  EXPECT_EQ(s.code(), SSMRT_UNSUPPORTED);
  EXPECT_EQ(s.message(), "layer 'lti' has no step entry in this module");
}

TEST(LaunchPlan, GridLimits) {
  ManifestLaunch l = ssmrt_test::sampleLaunch("k");
  l.grid[1] = GridRule{1, true, 0, 1};  // y = B
  ManifestLayer layer = layerWith({l});
  LaunchPlan plan;
  EXPECT_TRUE(planLaunches(layer, SSMRT_ENTRY_FORWARD, CallShape{65535, 1}, &plan));
  Status s = planLaunches(layer, SSMRT_ENTRY_FORWARD, CallShape{65536, 1}, &plan);
  EXPECT_EQ(s.code(), SSMRT_UNSUPPORTED);
  EXPECT_EQ(s.message(), "layer 's6' forward kernel 'k': grid y would be 65536 blocks at batch 65536, seqlen 1, "
                         "over CUDA's limit of 65535");
}

TEST(LaunchPlan, OverflowIsReportedNotWrapped) {
  ManifestLaunch l = ssmrt_test::sampleLaunch("k");
  l.grid[0] = GridRule{int64_t(1) << 40, true, 1, 1};
  ManifestLayer layer = layerWith({l});
  LaunchPlan plan;
  Status s = planLaunches(layer, SSMRT_ENTRY_FORWARD, CallShape{int64_t(1) << 20, int64_t(1) << 20}, &plan);
  EXPECT_EQ(s.code(), SSMRT_UNSUPPORTED);
  EXPECT_NE(s.message().find("grid x overflows 64 bits"), std::string::npos) << s.message();
}

TEST(LaunchPlan, WorkspaceNearTwoToTheSixtyFourIsRefusedNotRoundedToZero) {
  // bytes * B * ceil(L / chunk) = 2^64 - 1 fits 64 bits, but rounding it up to the
  // workspace alignment would wrap to a tiny allocation that the kernels overrun.
  ManifestLaunch l = ssmrt_test::sampleLaunch("k");
  l.workspace = WorkspaceRule{int64_t(0x7fffffffffffffff), true, 0};
  ManifestLayer layer = layerWith({l});
  LaunchPlan plan;
  Status s = planLaunches(layer, SSMRT_ENTRY_FORWARD, CallShape{2, 1}, &plan);
  EXPECT_EQ(s.code(), SSMRT_UNSUPPORTED);
  EXPECT_NE(s.message().find("workspace size overflows 64 bits (or passes 2^62 bytes) at batch 2, seqlen 1"),
            std::string::npos)
      << s.message();
  l.workspace = WorkspaceRule{int64_t(1) << 61, true, 0};
  layer = layerWith({l});
  EXPECT_TRUE(planLaunches(layer, SSMRT_ENTRY_FORWARD, CallShape{2, 1}, &plan));
  EXPECT_EQ(plan.workspaceBytes, uint64_t(1) << 62);
  EXPECT_FALSE(planLaunches(layer, SSMRT_ENTRY_FORWARD, CallShape{3, 1}, &plan));
}

namespace {

// Layer s6 with a 64-bit and an index32 list for both entries.
ManifestLayer layerWithIndex32() {
  ManifestLayer l = ssmrt_test::sampleManifest().layers[0];
  l.forward = {ssmrt_test::sampleLaunch("fwd64")};
  l.forwardIndex32 = {ssmrt_test::sampleLaunch("fwd32")};
  l.step = {ssmrt_test::sampleLaunch("step64")};
  l.stepIndex32 = {ssmrt_test::sampleLaunch("step32")};
  return l;
}

CallShape shapeWith(uint64_t largestOffset, uint64_t stateBytes = 0) {
  CallShape s{1, 1};
  s.largestOffset = largestOffset;
  s.largestStateBytes = stateBytes;
  return s;
}

}  // namespace

TEST(LaunchPlan, FitsIndex32AtTheBoundaries) {
  const uint64_t limit = uint64_t(1) << 31;
  EXPECT_TRUE(fitsIndex32(shapeWith(0), 0));
  EXPECT_TRUE(fitsIndex32(shapeWith(limit - 1), 0));
  EXPECT_FALSE(fitsIndex32(shapeWith(limit), 0));
  EXPECT_FALSE(fitsIndex32(shapeWith(UINT64_MAX), 0));  // unknown offsets: 64-bit
  // States and the workspace count in 4-byte elements: 2^31 of them is offsets < 2^31.
  EXPECT_TRUE(fitsIndex32(shapeWith(0, 4 * limit), 4 * limit));
  EXPECT_FALSE(fitsIndex32(shapeWith(0, 4 * limit + 1), 0));
  EXPECT_FALSE(fitsIndex32(shapeWith(0), 4 * limit + 4));
  EXPECT_FALSE(fitsIndex32(shapeWith(0), UINT64_MAX));
}

TEST(LaunchPlan, ChoosesIndex32WhenEveryOffsetFits) {
  ManifestLayer layer = layerWithIndex32();
  LaunchPlan plan;
  ASSERT_TRUE(planLaunches(layer, SSMRT_ENTRY_STEP, shapeWith(1535 * 16), &plan));
  EXPECT_TRUE(plan.index32);
  EXPECT_EQ(plan.launches[0].launch, &layer.stepIndex32[0]);
  ASSERT_TRUE(planLaunches(layer, SSMRT_ENTRY_FORWARD, shapeWith((uint64_t(1) << 31) - 1), &plan));
  EXPECT_TRUE(plan.index32);
  EXPECT_EQ(plan.launches[0].launch->kernel, "fwd32");

  // One offset at 2^31, a state or the workspace past 2^31 elements: the 64-bit list.
  ASSERT_TRUE(planLaunches(layer, SSMRT_ENTRY_FORWARD, shapeWith(uint64_t(1) << 31), &plan));
  EXPECT_FALSE(plan.index32);
  EXPECT_EQ(plan.launches[0].launch, &layer.forward[0]);
  ASSERT_TRUE(planLaunches(layer, SSMRT_ENTRY_STEP, shapeWith(0, (uint64_t(1) << 33) + 4), &plan));
  EXPECT_FALSE(plan.index32);
  EXPECT_EQ(plan.launches[0].launch->kernel, "step64");
  ASSERT_TRUE(planLaunches(layer, SSMRT_ENTRY_STEP, CallShape{1, 1}, &plan));  // offsets unknown
  EXPECT_FALSE(plan.index32);

  layer.stepIndex32[0].workspace = WorkspaceRule{int64_t(1) << 32, true, 0};  // 2^32 * B bytes
  ASSERT_TRUE(planLaunches(layer, SSMRT_ENTRY_STEP, shapeWith(0), &plan));
  EXPECT_TRUE(plan.index32);
  EXPECT_EQ(plan.workspaceBytes, uint64_t(1) << 32);
  CallShape big = shapeWith(0);
  big.batch = 3;  // 3 * 2^32 bytes = 3 * 2^30 elements of 4 bytes
  ASSERT_TRUE(planLaunches(layer, SSMRT_ENTRY_STEP, big, &plan));
  EXPECT_FALSE(plan.index32);
  EXPECT_EQ(plan.workspaceBytes, 0u);  // the 64-bit list's own workspace
}

TEST(LaunchPlan, WithoutIndex32ListsThe64BitListRuns) {
  ManifestLayer layer = ssmrt_test::sampleManifest().layers[0];
  LaunchPlan plan;
  ASSERT_TRUE(planLaunches(layer, SSMRT_ENTRY_STEP, shapeWith(0), &plan));
  EXPECT_FALSE(plan.index32);
  EXPECT_EQ(plan.launches[0].launch, &layer.step[0]);
}

TEST(LaunchPlan, AnIndex32GridPastCudasLimitFallsBackTo64Bit) {
  ManifestLayer layer = layerWithIndex32();
  layer.forwardIndex32[0].grid[1] = GridRule{1, true, 0, 1};  // y = B
  LaunchPlan plan;
  CallShape s = shapeWith(0);
  s.batch = 70000;
  ASSERT_TRUE(planLaunches(layer, SSMRT_ENTRY_FORWARD, s, &plan));
  EXPECT_FALSE(plan.index32);
  EXPECT_EQ(plan.launches[0].launch->kernel, "fwd64");
}

TEST(LaunchPlan, SmallGridKernelOnlyWhenTheGridFitsInOneWave) {
  ManifestLaunch l = ssmrt_test::sampleLaunch("k");
  l.block[0] = 256;
  const uint32_t b1[3] = {80, 1, 1};      // batch 1 of S6 D 5120 at 4 lanes a row
  const uint32_t b64[3] = {5120, 1, 1};   // batch 64
  const uint64_t h100 = 132ull * 6;       // multiprocessors x resident blocks of the small kernel
  EXPECT_FALSE(useSmallGridKernel(l, b1, h100));  // none named
  l.smallGridKernel = "k_small";
  EXPECT_TRUE(useSmallGridKernel(l, b1, h100));
  EXPECT_FALSE(useSmallGridKernel(l, b64, h100));
  const uint32_t wave[3] = {792, 1, 1};  // exactly one wave; one block more is two
  const uint32_t more[3] = {793, 1, 1};
  EXPECT_TRUE(useSmallGridKernel(l, wave, h100));
  EXPECT_FALSE(useSmallGridKernel(l, more, h100));
  const uint32_t threeD[3] = {4, 4, 4};  // every grid axis counts
  EXPECT_FALSE(useSmallGridKernel(l, threeD, 63));
  EXPECT_TRUE(useSmallGridKernel(l, threeD, 64));
  EXPECT_FALSE(useSmallGridKernel(l, b1, 0));  // no device, or SSMRT_NO_SMALL_GRID
}
