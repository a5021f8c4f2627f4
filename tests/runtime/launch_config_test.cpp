// Programmatic dependent launch without a GPU: when a context asks for it, and the
// cuLaunchKernelEx configuration it builds (CUDA 13's CUlaunchConfig / CUlaunchAttribute).
#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>

#include "cuda_driver.h"

using namespace ssmrt;

TEST(ProgrammaticLaunch, WantedOnSm90AndNewerUnlessSwitchedOff) {
  EXPECT_TRUE(wantProgrammaticLaunch(90, true, nullptr));
  EXPECT_TRUE(wantProgrammaticLaunch(100, true, nullptr));
  EXPECT_TRUE(wantProgrammaticLaunch(90, true, ""));   // set but empty: not switched off
  EXPECT_TRUE(wantProgrammaticLaunch(90, true, "0"));
  EXPECT_FALSE(wantProgrammaticLaunch(90, true, "1"));  // SSMRT_NO_PDL=1
  EXPECT_FALSE(wantProgrammaticLaunch(90, true, "yes"));
  EXPECT_FALSE(wantProgrammaticLaunch(89, true, nullptr));  // Ada has no PDL
  EXPECT_FALSE(wantProgrammaticLaunch(80, true, nullptr));
  EXPECT_FALSE(wantProgrammaticLaunch(90, false, nullptr));  // driver without cuLaunchKernelEx
}

TEST(ProgrammaticLaunch, ConfigCarriesTheLaunchAndOneAttribute) {
  // The layout cuLaunchKernelEx reads (cuda.h): the attribute's value at offset 8.
  static_assert(offsetof(CUlaunchAttribute, value) == 8, "CUlaunchAttribute layout");
  static_assert(CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION == 6, "the driver's attribute id");
  const uint32_t grid[3] = {40, 2, 3}, block[3] = {128, 1, 2};
  CUstream stream = reinterpret_cast<CUstream>(uintptr_t(0x1234));
  CUlaunchAttribute attr;
  CUlaunchConfig config;
  std::memset(&attr, 0xab, sizeof attr);
  std::memset(&config, 0xab, sizeof config);
  programmaticLaunchConfig(grid, block, 4096, stream, &attr, &config);
  EXPECT_EQ(config.gridDimX, 40u);
  EXPECT_EQ(config.gridDimY, 2u);
  EXPECT_EQ(config.gridDimZ, 3u);
  EXPECT_EQ(config.blockDimX, 128u);
  EXPECT_EQ(config.blockDimY, 1u);
  EXPECT_EQ(config.blockDimZ, 2u);
  EXPECT_EQ(config.sharedMemBytes, 4096u);
  EXPECT_EQ(config.hStream, stream);
  EXPECT_EQ(config.attrs, &attr);
  EXPECT_EQ(config.numAttrs, 1u);
  EXPECT_EQ(attr.id, CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION);
  EXPECT_EQ(attr.value.programmaticStreamSerializationAllowed, 1);
  // Nothing else in the value union is left over from before (the driver reads 64 bytes).
  const unsigned char *v = reinterpret_cast<const unsigned char *>(&attr.value);
  for (size_t i = sizeof(int); i < sizeof attr.value; ++i) EXPECT_EQ(v[i], 0) << "byte " << i;
}
