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
