// The header-only C++ wrapper: RAII handles and ssmrt::Error carrying status and message.
#include <gtest/gtest.h>

#include <cstdlib>

#include "sample_pack.h"
#include "ssmrt/ssmrt.hpp"

namespace {

[[maybe_unused]] const bool kNoDriver = [] {
  ::setenv("SSMRT_CUDA_LIBRARY", "/nonexistent/libcuda.so.1", 1);
  return true;
}();

ssmrt::Context inspectionContext() {
  ssmrt_context_options o = ssmrt::Context::defaultOptions();
  o.device_ordinal = SSMRT_DEVICE_NONE;
  o.cache_dir = "";
  return ssmrt::Context(o);
}

}  // namespace

TEST(CxxWrapper, NoDriverThrowsErrorWithStatusAndMessage) {
  try {
    ssmrt::Context ctx;
    FAIL() << "a context without a driver must not be created";
  } catch (const ssmrt::Error &e) {
    EXPECT_EQ(e.status(), SSMRT_NO_DRIVER);
    EXPECT_NE(e.message().find("no CUDA driver found"), std::string::npos) << e.message();
    EXPECT_EQ(std::string(e.what()).rfind("SSMRT_NO_DRIVER: no CUDA driver found", 0), 0u) << e.what();
  }
}

TEST(CxxWrapper, InspectValidateAndStates) {
  ssmrt::Context ctx = inspectionContext();
  std::string pack = ssmrt_test::samplePackBytes();
  ssmrt::Module module = ctx.loadMemory(pack.data(), pack.size());
  EXPECT_EQ(module.layerCount(), 2);
  ssmrt::Layer s6 = module.layer("s6");
  EXPECT_EQ(s6.name(), "s6");
  EXPECT_EQ(s6.dims(), (std::vector<std::pair<std::string, int64_t>>{{"D", 1536}, {"N", 16}}));
  EXPECT_EQ(s6.tensors().size(), 5u);
  EXPECT_EQ(s6.states().size(), 1u);
  EXPECT_TRUE(s6.hasEntry(SSMRT_ENTRY_STEP));
  EXPECT_EQ(module.layer(1).name(), "lti");

  try {
    module.layer("nope");
    FAIL();
  } catch (const ssmrt::Error &e) {
    EXPECT_EQ(e.status(), SSMRT_NOT_FOUND);
    EXPECT_NE(e.message().find("has no layer 'nope'"), std::string::npos);
  }

  // A contiguous x of the wrong D, built with the helper.
  char *base = reinterpret_cast<char *>(uintptr_t(1) << 30);
  std::vector<ssmrt_tensor> t = {
      ssmrt::contiguousTensor(base, SSMRT_DTYPE_BF16, {2, 8, 1000}),
      ssmrt::contiguousTensor(base + (1 << 24), SSMRT_DTYPE_BF16, {2, 8, 1536}),
      ssmrt::contiguousTensor(base + (2 << 24), SSMRT_DTYPE_BF16, {2, 8, 16}),
      ssmrt::contiguousTensor(base + (3 << 24), SSMRT_DTYPE_F32, {1536, 16}),
      ssmrt::contiguousTensor(base + (4 << 24), SSMRT_DTYPE_BF16, {2, 8, 1536})};
  try {
    s6.forward(t);
    FAIL();
  } catch (const ssmrt::Error &e) {
    EXPECT_EQ(e.status(), SSMRT_INVALID_ARGUMENT);
    EXPECT_NE(e.message().find("tensor 'x': dim D is 1000 but the layer was compiled with D = 1536"),
              std::string::npos)
        << e.message();
  }

  ssmrt::State a = s6.createState(2), b = s6.createState(2);
  std::vector<unsigned char> image = a.save();
  EXPECT_EQ(image.size(), a.byteSize());
  image[5] = 42;
  a.restore(image);
  a.swap(b);
  EXPECT_EQ(b.save()[5], 42);
  EXPECT_EQ(a.save()[5], 0);
  ssmrt::State moved = std::move(b);
  EXPECT_EQ(moved.batch(), 2);
  EXPECT_EQ(b.get(), nullptr);
}
