// A separate process for the cache race tests: waits for a start file, compiles one request
// through the disk cache, and prints "<compiled|cached> <fnv1a64 of the binary>".
//   ssmrt_cache_race_helper CACHE_DIR START_FILE [ARCH]
#include <chrono>
#include <cstdio>
#include <thread>
#include <unistd.h>

#include "ssmrt/cache.h"
#include "ssmrt/hash.h"
#include "ssmrt/nvrtc.h"

int main(int argc, char **argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s CACHE_DIR START_FILE [ARCH]\n", argv[0]);
    return 2;
  }
  // Start together: every helper is spawned first, then the test creates the start file.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (::access(argv[2], F_OK) != 0) {
    if (std::chrono::steady_clock::now() > deadline) return 3;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  ssmrt::NvrtcRequest r;
  r.source = "#include \"ssmrt/abi.h\"\n"
             "extern \"C\" __global__ void ssm_race(ssm_launch_args a) {\n"
             "  float *y = (float *)a.tensors[0].data;\n"
             "  if (threadIdx.x < a.batch) y[threadIdx.x] = 2.0f * a.seqlen;\n"
             "}\n";
  r.name = "race.cu";
  r.options = {"-std=c++17"};
  r.arch = argc > 3 ? argv[3] : "sm_90";
  ssmrt::DiskCache cache(argv[1]);
  ssmrt::NvrtcResult out;
  ssmrt::Status s = ssmrt::compileCudaCached(r, &cache, &out);
  if (!s) {
    std::fprintf(stderr, "%s\n", s.message().c_str());
    return 1;
  }
  std::printf("%s %s\n", out.fromCache ? "cached" : "compiled", ssmrt::hex64(ssmrt::fnv1a64(out.binary)).c_str());
  return 0;
}
