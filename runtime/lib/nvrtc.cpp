// NVRTC through dlopen: compiling CUDA source with the embedded device headers, and the
// cache key of a compilation.
#include "ssmrt/nvrtc.h"

#include <cstdlib>
#include <memory>
#include <mutex>

#include "dynlib.h"
#include "embedded_headers.h"
#include "ssmrt/cache.h"
#include "ssmrt/hash.h"

namespace ssmrt {
namespace {

// The few NVRTC types we need, declared here so the runtime builds without nvrtc.h; they
// match the C ABI NVRTC has kept since CUDA 7.
using nvrtcResult = int;
using nvrtcProgram = struct _nvrtcProgram *;
constexpr nvrtcResult kNvrtcSuccess = 0;

struct NvrtcApi {
  DynLib lib;
  std::string error;  // non-empty: NVRTC is unusable and this says why
  int major = 0, minor = 0;

  const char *(*getErrorString)(nvrtcResult) = nullptr;
  nvrtcResult (*version)(int *, int *) = nullptr;
  nvrtcResult (*createProgram)(nvrtcProgram *, const char *, const char *, int, const char *const *,
                               const char *const *) = nullptr;
  nvrtcResult (*destroyProgram)(nvrtcProgram *) = nullptr;
  nvrtcResult (*compileProgram)(nvrtcProgram, int, const char *const *) = nullptr;
  nvrtcResult (*getProgramLogSize)(nvrtcProgram, size_t *) = nullptr;
  nvrtcResult (*getProgramLog)(nvrtcProgram, char *) = nullptr;
  nvrtcResult (*getCUBINSize)(nvrtcProgram, size_t *) = nullptr;
  nvrtcResult (*getCUBIN)(nvrtcProgram, char *) = nullptr;
  nvrtcResult (*getPTXSize)(nvrtcProgram, size_t *) = nullptr;
  nvrtcResult (*getPTX)(nvrtcProgram, char *) = nullptr;
};

template <class F>
void bind(const DynLib &lib, F *&fn, const char *name, std::string *missing) {
  fn = reinterpret_cast<F *>(lib.symbol(name, missing));
}

const NvrtcApi &nvrtc() {
  static const NvrtcApi *api = [] {
    auto *a = new NvrtcApi();  // never freed: lives as long as the process may compile
    std::vector<std::string> names;
    if (const char *env = std::getenv("SSMRT_NVRTC_LIBRARY")) {
      names.push_back(env);  // an explicit choice is the only one tried
    } else {
      names = {"libnvrtc.so.13", "libnvrtc.so"};
      // Toolkits are often installed without registering with the loader.
      if (const char *home = std::getenv("CUDA_HOME")) names.push_back(std::string(home) + "/lib64/libnvrtc.so");
      names.push_back("/usr/local/cuda/lib64/libnvrtc.so");
    }
    a->lib = DynLib::open(names);
    if (!a->lib.handle) {
      a->error = "NVRTC not found (" + a->lib.error + ")";
      return a;
    }
    std::string missing;
    bind(a->lib, a->getErrorString, "nvrtcGetErrorString", &missing);
    bind(a->lib, a->version, "nvrtcVersion", &missing);
    bind(a->lib, a->createProgram, "nvrtcCreateProgram", &missing);
    bind(a->lib, a->destroyProgram, "nvrtcDestroyProgram", &missing);
    bind(a->lib, a->compileProgram, "nvrtcCompileProgram", &missing);
    bind(a->lib, a->getProgramLogSize, "nvrtcGetProgramLogSize", &missing);
    bind(a->lib, a->getProgramLog, "nvrtcGetProgramLog", &missing);
    bind(a->lib, a->getCUBINSize, "nvrtcGetCUBINSize", &missing);
    bind(a->lib, a->getCUBIN, "nvrtcGetCUBIN", &missing);
    bind(a->lib, a->getPTXSize, "nvrtcGetPTXSize", &missing);
    bind(a->lib, a->getPTX, "nvrtcGetPTX", &missing);
    if (!missing.empty()) {
      a->error = "NVRTC library '" + a->lib.path + "' lacks " + missing;
      return a;
    }
    if (a->version(&a->major, &a->minor) != kNvrtcSuccess)
      a->error = "nvrtcVersion failed in '" + a->lib.path + "'";
    return a;
  }();
  return *api;
}

Status requireNvrtc() {
  const NvrtcApi &api = nvrtc();
  if (!api.error.empty())
    return Status(SSMRT_UNSUPPORTED, "cannot compile CUDA source on this host: " + api.error);
  return Status::ok();
}

// The one checking helper for NVRTC calls: names the call and NVRTC's own words.
Status check(nvrtcResult r, const char *call, const std::string &name) {
  if (r == kNvrtcSuccess) return Status::ok();
  return Status(SSMRT_COMPILE_ERROR,
                std::string(call) + " failed for '" + name + "': " + nvrtc().getErrorString(r));
}

bool validArch(const std::string &arch) {
  // sm_XY with an optional feature suffix (sm_90a, sm_100f).
  if (arch.size() < 5 || arch.compare(0, 3, "sm_") != 0) return false;
  size_t i = 3;
  while (i < arch.size() && arch[i] >= '0' && arch[i] <= '9') ++i;
  if (i == 3) return false;
  return i == arch.size() || (i + 1 == arch.size() && (arch[i] == 'a' || arch[i] == 'f'));
}

// Frees the program on every path out of compileCuda.
struct ProgramGuard {
  nvrtcProgram prog = nullptr;
  ~ProgramGuard() {
    if (prog) nvrtc().destroyProgram(&prog);
  }
};

}  // namespace

const std::vector<std::pair<std::string, std::string>> &deviceHeaders() {
  static const auto *headers = [] {
    auto *v = new std::vector<std::pair<std::string, std::string>>();
    for (size_t i = 0; i < kEmbeddedHeaderCount; ++i)
      v->emplace_back(kEmbeddedHeaders[i].name,
                      std::string(kEmbeddedHeaders[i].contents, kEmbeddedHeaders[i].size));
    return v;
  }();
  return *headers;
}

Status nvrtcVersion(int *out_major, int *out_minor) {
  Status s = requireNvrtc();
  if (!s) return s;
  *out_major = nvrtc().major;
  *out_minor = nvrtc().minor;
  return Status::ok();
}

Status compileCuda(const NvrtcRequest &request, NvrtcResult *out_result) {
  if (!validArch(request.arch))
    return invalidArgument("NVRTC: arch '" + request.arch + "' is not of the form sm_XY");
  for (const std::string &o : request.options)
    if (o.rfind("-arch", 0) == 0 || o.rfind("--gpu-architecture", 0) == 0)
      return invalidArgument("NVRTC: option '" + o + "' names an arch; pass it as the request's arch");
  Status s = requireNvrtc();
  if (!s) return s;
  const NvrtcApi &api = nvrtc();

  const auto &headers = deviceHeaders();
  std::vector<const char *> headerSources, headerNames;
  for (const auto &[name, contents] : headers) {
    headerNames.push_back(name.c_str());
    headerSources.push_back(contents.c_str());
  }
  ProgramGuard guard;
  s = check(api.createProgram(&guard.prog, request.source.c_str(), request.name.c_str(),
                              int(headers.size()), headerSources.data(), headerNames.data()),
            "nvrtcCreateProgram", request.name);
  if (!s) return s;

  // A real arch yields a cubin; PTX is asked of the matching virtual arch.
  std::string archNumber = request.arch.substr(3);
  std::string archOption = request.output == NvrtcOutput::Cubin
                               ? "--gpu-architecture=sm_" + archNumber
                               : "--gpu-architecture=compute_" + archNumber;
  std::vector<const char *> options;
  for (const std::string &o : request.options) options.push_back(o.c_str());
  options.push_back(archOption.c_str());
  nvrtcResult compiled = api.compileProgram(guard.prog, int(options.size()), options.data());

  // The log is fetched whatever happened: warnings matter on success, and on failure it is
  // the only useful part of the message.
  std::string log;
  size_t logSize = 0;
  if (api.getProgramLogSize(guard.prog, &logSize) == kNvrtcSuccess && logSize > 1) {
    log.resize(logSize);
    if (api.getProgramLog(guard.prog, log.data()) != kNvrtcSuccess) log.clear();
    while (!log.empty() && log.back() == '\0') log.pop_back();
  }
  if (compiled != kNvrtcSuccess) {
    std::string m = "NVRTC " + std::to_string(api.major) + "." + std::to_string(api.minor) +
                    " failed to compile '" + request.name + "' for " + request.arch + " (" +
                    api.getErrorString(compiled) + ")";
    m += log.empty() ? " and gave no log" : ":\n" + log;
    return Status(SSMRT_COMPILE_ERROR, m);
  }

  NvrtcResult result;
  result.log = std::move(log);
  size_t size = 0;
  if (request.output == NvrtcOutput::Cubin) {
    s = check(api.getCUBINSize(guard.prog, &size), "nvrtcGetCUBINSize", request.name);
    if (!s) return s;
    result.binary.resize(size);
    s = check(api.getCUBIN(guard.prog, result.binary.data()), "nvrtcGetCUBIN", request.name);
  } else {
    s = check(api.getPTXSize(guard.prog, &size), "nvrtcGetPTXSize", request.name);
    if (!s) return s;
    result.binary.resize(size);
    s = check(api.getPTX(guard.prog, result.binary.data()), "nvrtcGetPTX", request.name);
    while (!result.binary.empty() && result.binary.back() == '\0') result.binary.pop_back();
  }
  if (!s) return s;
  *out_result = std::move(result);
  return Status::ok();
}

Status nvrtcCacheKey(const NvrtcRequest &request, std::string *out_key) {
  int major = 0, minor = 0;
  Status s = nvrtcVersion(&major, &minor);
  if (!s) return s;
  // The embedded headers are part of what is compiled: a runtime with different skeletons
  // must not reuse binaries built from the old ones.
  static const std::string headerDigest = [] {
    Fnv128 h;
    for (const auto &[name, contents] : deviceHeaders()) {
      h.addField(name);
      h.addField(contents);
    }
    return h.bytes();
  }();
  Fnv128 h;
  h.addField("ssmrt nvrtc cache key v1");
  h.addField(request.source);
  h.addField(std::to_string(request.options.size()));
  for (const std::string &o : request.options) h.addField(o);
  h.addField(request.arch);
  h.addField(request.output == NvrtcOutput::Cubin ? "cubin" : "ptx");
  h.addField(std::to_string(major) + "." + std::to_string(minor));
  h.addField(headerDigest);
  *out_key = h.hex();
  return Status::ok();
}

Status compileCudaCached(const NvrtcRequest &request, DiskCache *cache, NvrtcResult *out_result) {
  if (!cache || !cache->enabled()) return compileCuda(request, out_result);
  std::string key;
  Status s = nvrtcCacheKey(request, &key);
  if (!s) return s;
  NvrtcResult result;
  if (cache->load(key, &result.binary, &result.cacheNote)) {
    result.fromCache = true;
    *out_result = std::move(result);
    return Status::ok();
  }
  std::string note = std::move(result.cacheNote);
  // One builder per key among threads and processes: whoever waited here loads what the
  // holder stored instead of compiling it again.
  DiskCache::EntryLock lock = cache->lockEntry(key);
  std::string afterWait;
  if (cache->load(key, &result.binary, &afterWait)) {
    result.fromCache = true;
    result.cacheNote = note;
    *out_result = std::move(result);
    return Status::ok();
  }
  if (!afterWait.empty()) note += (note.empty() ? "" : "; ") + afterWait;
  s = compileCuda(request, &result);
  if (!s) return s;
  result.cacheNote = std::move(note);
  // A read-only or full cache directory only costs the next process a compile.
  Status stored = cache->store(key, result.binary);
  if (!stored) {
    if (!result.cacheNote.empty()) result.cacheNote += "; ";
    result.cacheNote += stored.message();
  }
  *out_result = std::move(result);
  return Status::ok();
}

}  // namespace ssmrt
