// NVRTC without a GPU: cubin for sm_80 and sm_90, PTX, the embedded headers, compile errors
// with their log, and compiles through the disk cache.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <unistd.h>

#include "sample_pack.h"
#include "ssmrt/cache.h"
#include "ssmrt/nvrtc.h"

using namespace ssmrt;

namespace {

const char *kKernel = R"(#include "ssmrt/abi.h"
extern "C" __global__ void ssm_tiny(ssm_launch_args a) {
  float *y = (float *)a.tensors[0].data;
  long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (i < a.batch) y[i * a.tensors[0].strides[0]] = (float)a.seqlen;
}
)";

NvrtcRequest tinyRequest(const std::string &arch, NvrtcOutput output) {
  NvrtcRequest r;
  r.source = kKernel;
  r.name = "tiny.cu";
  r.options = {"-std=c++17"};
  r.arch = arch;
  r.output = output;
  return r;
}

bool isElf(const std::string &b) { return b.size() > 4 && b.compare(0, 4, "\x7f" "ELF") == 0; }

}  // namespace

TEST(Nvrtc, ReportsItsVersion) {
  int major = 0, minor = -1;
  Status s = nvrtcVersion(&major, &minor);
  ASSERT_TRUE(s) << s.message();
  EXPECT_GE(major, 12);
  EXPECT_GE(minor, 0);
}

TEST(Nvrtc, CompilesCubinForSm80AndSm90) {
  for (const char *arch : {"sm_80", "sm_90"}) {
    NvrtcResult r;
    Status s = compileCuda(tinyRequest(arch, NvrtcOutput::Cubin), &r);
    ASSERT_TRUE(s) << arch << ": " << s.message();
    EXPECT_TRUE(isElf(r.binary)) << arch;
    EXPECT_FALSE(r.fromCache);
  }
}

TEST(Nvrtc, CompilesPtx) {
  NvrtcResult r;
  Status s = compileCuda(tinyRequest("sm_90", NvrtcOutput::Ptx), &r);
  ASSERT_TRUE(s) << s.message();
  EXPECT_NE(r.binary.find(".target sm_90"), std::string::npos);
  EXPECT_NE(r.binary.find(".entry ssm_tiny"), std::string::npos);
  EXPECT_NE(r.binary.back(), '\0');
}

TEST(Nvrtc, BrokenSourceIsACompileErrorWithTheLog) {
  NvrtcRequest req = tinyRequest("sm_90", NvrtcOutput::Cubin);
  req.source = "extern \"C\" __global__ void broken() { undeclared_thing = 1; }\n";
  req.name = "broken.cu";
  NvrtcResult r;
  Status s = compileCuda(req, &r);
  EXPECT_EQ(s.code(), SSMRT_COMPILE_ERROR);
  EXPECT_NE(s.message().find("failed to compile 'broken.cu' for sm_90"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("broken.cu(1)"), std::string::npos) << s.message();  // the log's location
  EXPECT_NE(s.message().find("undeclared_thing"), std::string::npos) << s.message();
}

TEST(Nvrtc, BadOptionIsACompileErrorToo) {
  NvrtcRequest req = tinyRequest("sm_90", NvrtcOutput::Cubin);
  req.options.push_back("--no-such-option");
  NvrtcResult r;
  Status s = compileCuda(req, &r);
  EXPECT_EQ(s.code(), SSMRT_COMPILE_ERROR);
  EXPECT_NE(s.message().find("no-such-option"), std::string::npos) << s.message();
}

TEST(Nvrtc, RequestChecks) {
  NvrtcResult r;
  NvrtcRequest req = tinyRequest("90", NvrtcOutput::Cubin);
  EXPECT_EQ(compileCuda(req, &r).code(), SSMRT_INVALID_ARGUMENT);
  req = tinyRequest("sm_90", NvrtcOutput::Cubin);
  req.options.push_back("-arch=sm_80");
  Status s = compileCuda(req, &r);
  EXPECT_EQ(s.code(), SSMRT_INVALID_ARGUMENT);
  EXPECT_NE(s.message().find("names an arch"), std::string::npos);
  EXPECT_TRUE(compileCuda(tinyRequest("sm_90a", NvrtcOutput::Cubin), &r)) << "arch-specific targets are allowed";
}

TEST(Nvrtc, EmbedsAbiAndEveryDeviceHeader) {
  const auto &headers = deviceHeaders();
  ASSERT_EQ(headers.size(), size_t(1 + SSMRT_TEST_DEVICE_HEADER_COUNT));
  EXPECT_EQ(headers[0].first, "ssmrt/abi.h");
  EXPECT_NE(headers[0].second.find("SSM_ABI_VERSION"), std::string::npos);
  for (size_t i = 1; i < headers.size(); ++i) {
    EXPECT_EQ(headers[i].first.rfind("ssm/", 0), 0u) << headers[i].first;
    EXPECT_FALSE(headers[i].second.empty()) << headers[i].first;
  }
}

TEST(Nvrtc, EveryEmbeddedHeaderCompilesWhenIncluded) {
  // What generated code does: include the skeletons by their "ssm/..." names, no -I.
  std::string source;
  for (const auto &[name, contents] : deviceHeaders()) source += "#include \"" + name + "\"\n";
  source += "extern \"C\" __global__ void ssm_empty(ssm_launch_args a) {}\n";
  NvrtcRequest req = tinyRequest("sm_90", NvrtcOutput::Ptx);
  req.source = source;
  req.name = "all_headers.cu";
  NvrtcResult r;
  Status s = compileCuda(req, &r);
  EXPECT_TRUE(s) << s.message();
}

TEST(Nvrtc, CacheKeyCoversEveryInput) {
  NvrtcRequest base = tinyRequest("sm_90", NvrtcOutput::Cubin);
  std::string k0;
  ASSERT_TRUE(nvrtcCacheKey(base, &k0));
  EXPECT_EQ(k0.size(), 32u);
  std::string again;
  ASSERT_TRUE(nvrtcCacheKey(base, &again));
  EXPECT_EQ(again, k0);

  std::vector<NvrtcRequest> variants(4, base);
  variants[0].source += " ";
  variants[1].options.push_back("-lineinfo");
  variants[2].arch = "sm_80";
  variants[3].output = NvrtcOutput::Ptx;
  for (const NvrtcRequest &v : variants) {
    std::string k;
    ASSERT_TRUE(nvrtcCacheKey(v, &k));
    EXPECT_NE(k, k0);
  }
  // Options are separate fields: {"-a b"} and {"-a", "b"} differ.
  NvrtcRequest x = base, y = base;
  x.options = {"-Da b"};
  y.options = {"-Da", "b"};
  std::string kx, ky;
  ASSERT_TRUE(nvrtcCacheKey(x, &kx));
  ASSERT_TRUE(nvrtcCacheKey(y, &ky));
  EXPECT_NE(kx, ky);
}

TEST(Nvrtc, CompilesThroughTheDiskCacheAndRebuildsADamagedEntry) {
  ssmrt_test::ScratchDir dir;
  DiskCache cache(dir.path());
  NvrtcRequest req = tinyRequest("sm_80", NvrtcOutput::Cubin);
  NvrtcResult first, second, third;
  ASSERT_TRUE(compileCudaCached(req, &cache, &first));
  EXPECT_FALSE(first.fromCache);
  ASSERT_TRUE(compileCudaCached(req, &cache, &second));
  EXPECT_TRUE(second.fromCache);
  EXPECT_EQ(second.binary, first.binary);

  std::string key;
  ASSERT_TRUE(nvrtcCacheKey(req, &key));
  const std::string path = cache.pathFor(key);
  ASSERT_EQ(::truncate(path.c_str(), 100), 0);
  ASSERT_TRUE(compileCudaCached(req, &cache, &third));
  EXPECT_FALSE(third.fromCache);
  EXPECT_NE(third.cacheNote.find("was damaged"), std::string::npos) << third.cacheNote;
  EXPECT_EQ(third.binary, first.binary);
  std::string payload;
  EXPECT_TRUE(cache.load(key, &payload));  // rebuilt
  EXPECT_EQ(payload, first.binary);

  // A disabled cache or none at all compiles every time.
  DiskCache off("");
  NvrtcResult r;
  ASSERT_TRUE(compileCudaCached(req, &off, &r));
  EXPECT_FALSE(r.fromCache);
  ASSERT_TRUE(compileCudaCached(req, nullptr, &r));
  EXPECT_FALSE(r.fromCache);
}

// Runs in the death-test child: exits 0 when a missing NVRTC gives UNSUPPORTED everywhere.
[[noreturn]] void compileWithoutNvrtc() {
  ::setenv("SSMRT_NVRTC_LIBRARY", "/nonexistent/libnvrtc.so", 1);
  NvrtcResult r;
  Status s = compileCuda(tinyRequest("sm_90", NvrtcOutput::Cubin), &r);
  int major = 0, minor = 0;
  Status v = nvrtcVersion(&major, &minor);
  bool ok = s.code() == SSMRT_UNSUPPORTED && v.code() == SSMRT_UNSUPPORTED &&
            s.message().find("cannot compile CUDA source on this host: NVRTC not found "
                             "(/nonexistent/libnvrtc.so: ") == 0;
  std::fprintf(stderr, "%s\n", s.message().c_str());
  std::exit(ok ? 0 : 1);
}

TEST(Nvrtc, MissingLibraryIsUnsupportedNotACrash) {
  // NVRTC is opened once per process, so this runs in a fresh copy of the test binary.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(compileWithoutNvrtc(), ::testing::ExitedWithCode(0), "NVRTC not found");
}
