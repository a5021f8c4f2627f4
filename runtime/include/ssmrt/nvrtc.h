// Compiling CUDA C++ to cubin or PTX with NVRTC, which is opened with dlopen on first use.
//
// The runtime's device headers (runtime/device/include/ssm/*.cuh and ssmrt/abi.h) are
// embedded in the library at build time and handed to every compilation as "ssm/<file>"
// and "ssmrt/abi.h", so generated source compiles the same way in the compiler and on a
// host that has only the NVRTC library.
#ifndef SSMRT_NVRTC_H
#define SSMRT_NVRTC_H

#include <string>
#include <utility>
#include <vector>

#include "ssmrt/status.h"

namespace ssmrt {

class DiskCache;

enum class NvrtcOutput { Cubin, Ptx };

struct NvrtcRequest {
  std::string source;
  std::string name = "ssm_kernels.cu";  // the file name NVRTC puts in diagnostics
  std::vector<std::string> options;     // e.g. {"-std=c++17"}; must not name an arch
  std::string arch = "sm_90";           // "sm_XY": real arch for cubin, virtual compute_XY for PTX
  NvrtcOutput output = NvrtcOutput::Cubin;
};

struct NvrtcResult {
  std::string binary;    // the cubin or the PTX text (without a trailing NUL)
  std::string log;       // NVRTC's log, also on success (warnings)
  bool fromCache = false;  // compileCudaCached found it in the disk cache
  std::string cacheNote;   // what compileCudaCached found wrong with the cache, if anything
};

// Compiles. On a compile failure the code is SSMRT_COMPILE_ERROR and the message holds the
// whole NVRTC log; UNSUPPORTED when NVRTC cannot be opened. The NVRTC program is destroyed
// on every path. Thread-safe.
SSMRT_API Status compileCuda(const NvrtcRequest &request, NvrtcResult *out_result);

// compileCuda through a disk cache (which may be null or disabled), keyed by
// nvrtcCacheKey. Failures of the cache itself are not errors: the source is compiled.
// On a miss it takes the key's entry lock (DiskCache::lockEntry) and looks again before
// compiling, so threads and processes that miss one key at once compile it once; the
// others get the stored binary (fromCache true). Thread- and process-safe.
SSMRT_API Status compileCudaCached(const NvrtcRequest &request, DiskCache *cache,
                                   NvrtcResult *out_result);

// The cache key of a request: FNV-1a 128 over the source, the options, the arch, the output
// kind, the NVRTC version and the embedded device headers, as 32 hex digits.
SSMRT_API Status nvrtcCacheKey(const NvrtcRequest &request, std::string *out_key);

// The version of the NVRTC library that compileCuda uses (opens it if needed).
SSMRT_API Status nvrtcVersion(int *out_major, int *out_minor);

// The embedded device headers: (include name, contents), e.g. ("ssmrt/abi.h", "...").
SSMRT_API const std::vector<std::pair<std::string, std::string>> &deviceHeaders();

}  // namespace ssmrt

#endif  // SSMRT_NVRTC_H
