// The runtime on a real GPU: several host threads, each with its own context on its own
// stream, load one pack, compile its source on a cold cache and run it; hostile calls with a
// device leave the context usable. Every test skips (GTEST_SKIP, with the reason) on a host
// without a CUDA driver or device, so this binary is built and run everywhere.
//
// The layer is a toy written here by hand against ssmrt/abi.h: h = a * h + x, y = h, with
// D = 256, in f32; its reference is exact in f32 on the CPU.
#include <gtest/gtest.h>

#include <dirent.h>
#include <dlfcn.h>

#include <cmath>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>

#include "sample_pack.h"
#include "ssmrt/ssmrt.h"

namespace {

constexpr int64_t kD = 256;

// The few driver calls the test itself needs (memory and streams), opened like the runtime
// opens them, so the binary starts on hosts without libcuda.
struct Driver {
  using R = int;
  R (*init)(unsigned) = nullptr;
  R (*deviceGetCount)(int *) = nullptr;
  R (*deviceGet)(int *, int) = nullptr;
  R (*primaryCtxRetain)(void **, int) = nullptr;
  R (*ctxSetCurrent)(void *) = nullptr;
  R (*streamCreate)(void **, unsigned) = nullptr;
  R (*streamDestroy)(void *) = nullptr;
  R (*memAlloc)(unsigned long long *, size_t) = nullptr;
  R (*memFree)(unsigned long long) = nullptr;
  R (*memcpyHtoD)(unsigned long long, const void *, size_t) = nullptr;
  R (*memcpyDtoH)(void *, unsigned long long, size_t) = nullptr;
  R (*streamSynchronize)(void *) = nullptr;
  R (*streamBeginCapture)(void *, int) = nullptr;
  R (*streamEndCapture)(void *, void **) = nullptr;
  R (*graphInstantiate)(void **, void *, unsigned long long) = nullptr;
  R (*graphLaunch)(void *, void *) = nullptr;
  R (*graphExecDestroy)(void *) = nullptr;
  R (*graphDestroy)(void *) = nullptr;
  void *context = nullptr;
  std::string why;  // non-empty: no GPU here, and why

  static Driver &get() {
    static Driver d = [] {
      Driver d;
      void *lib = ::dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
      if (!lib) {
        d.why = std::string("no CUDA driver: ") + ::dlerror();
        return d;
      }
      auto bind = [&](auto &fn, const char *name) {
        fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(lib, name));
        if (!fn) d.why = std::string("the CUDA driver lacks ") + name;
      };
      bind(d.init, "cuInit");
      bind(d.deviceGetCount, "cuDeviceGetCount");
      bind(d.deviceGet, "cuDeviceGet");
      bind(d.primaryCtxRetain, "cuDevicePrimaryCtxRetain");
      bind(d.ctxSetCurrent, "cuCtxSetCurrent");
      bind(d.streamCreate, "cuStreamCreate");
      bind(d.streamDestroy, "cuStreamDestroy_v2");
      bind(d.memAlloc, "cuMemAlloc_v2");
      bind(d.memFree, "cuMemFree_v2");
      bind(d.memcpyHtoD, "cuMemcpyHtoD_v2");
      bind(d.memcpyDtoH, "cuMemcpyDtoH_v2");
      bind(d.streamSynchronize, "cuStreamSynchronize");
      bind(d.streamBeginCapture, "cuStreamBeginCapture_v2");
      bind(d.streamEndCapture, "cuStreamEndCapture");
      bind(d.graphInstantiate, "cuGraphInstantiateWithFlags");
      bind(d.graphLaunch, "cuGraphLaunch");
      bind(d.graphExecDestroy, "cuGraphExecDestroy");
      bind(d.graphDestroy, "cuGraphDestroy");
      if (!d.why.empty()) return d;
      int count = 0, dev = 0;
      if (d.init(0) != 0 || d.deviceGetCount(&count) != 0 || count == 0) {
        d.why = "the CUDA driver reports no device";
        return d;
      }
      if (d.deviceGet(&dev, 0) != 0 || d.primaryCtxRetain(&d.context, dev) != 0) d.why = "cannot open device 0";
      return d;
    }();
    if (d.why.empty()) d.ctxSetCurrent(d.context);  // per thread
    return d;
  }
};

#define REQUIRE_GPU()                                                             \
  do {                                                                            \
    if (!Driver::get().why.empty()) GTEST_SKIP() << "needs a GPU: " << Driver::get().why; \
  } while (0)

#define CU(call) ASSERT_EQ((call), 0) << #call

// The toy kernel follows the device contract (runtime/device/CONTRACT.md): it waits for
// the previous kernel at griddepcontrol.wait before reading anything, since the runtime
// launches with programmatic dependent launch on sm_90 and newer. toy_scan_i32 is the same
// with 32-bit offsets, for the index32 lists.
const char *kToySource = R"(#include "ssmrt/abi.h"
template <class I>
__device__ void toy(const ssm_launch_args &a) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
  const I D = 256;
  I i = I(blockIdx.x) * I(blockDim.x) + I(threadIdx.x);
  if (i >= I(a.batch) * D) return;
  I b = i / D, d = i % D;
  const ssm_tensor_arg &x = a.tensors[0], &p = a.tensors[1], &y = a.tensors[2];
  float h = (a.flags & SSM_FLAG_HAS_H0) ? ((const float *)a.h0[0])[b * D + d] : 0.0f;
  float coef = ((const float *)p.data)[d * I(p.strides[0])];
  for (I l = 0; l < I(a.seqlen); ++l) {
    float xv = ((const float *)x.data)[b * I(x.strides[0]) + l * I(x.strides[1]) + d * I(x.strides[2])];
    h = __fmaf_rn(coef, h, xv);
    ((float *)y.data)[b * I(y.strides[0]) + l * I(y.strides[1]) + d * I(y.strides[2])] = h;
  }
  if (a.flags & SSM_FLAG_WRITE_HT) ((float *)a.hT[0])[b * D + d] = h;
}
extern "C" __global__ void toy_scan(ssm_launch_args a) { toy<long long>(a); }
extern "C" __global__ void toy_scan_i32(ssm_launch_args a) { toy<int>(a); }
)";

std::string toyPack(std::vector<ssmrt::PackEntry> extra = {}, bool withSource = true, bool index32 = false) {
  using namespace ssmrt;
  Manifest m;
  m.compiler = "gpu_test";
  m.nvrtcOptions = {"-std=c++17"};
  ManifestLayer l;
  l.name = "toy";
  l.dims = {{"D", kD}};
  l.tensors = {{"x", SSMRT_ROLE_IN, SSMRT_DTYPE_F32, {"D"}},
               {"a", SSMRT_ROLE_PARAM, SSMRT_DTYPE_F32, {"D"}},
               {"y", SSMRT_ROLE_OUT, SSMRT_DTYPE_F32, {"D"}}};
  l.states = {{"h", SSMRT_DTYPE_F32, {"D"}}};
  ManifestLaunch launch;
  launch.kernel = "toy_scan";
  launch.block[0] = 128;
  launch.grid[0] = GridRule{kD, true, 0, 128};
  l.forward = {launch};
  l.step = {launch};
  if (index32) {
    launch.kernel = "toy_scan_i32";
    l.forwardIndex32 = {launch};
    l.stepIndex32 = {launch};
  }
  m.layers = {l};
  std::vector<PackEntry> entries = {{"manifest.json", writeManifest(m)}};
  if (withSource) entries.push_back({"source.cu", kToySource});
  for (auto &e : extra) entries.push_back(e);
  std::string bytes;
  writePack(entries, &bytes);
  return bytes;
}

// The CPU reference: the same fused multiply-add in the same order.
std::vector<float> reference(const std::vector<float> &x, const std::vector<float> &a, std::vector<float> &h,
                             int64_t batch, int64_t seqlen) {
  std::vector<float> y(x.size());
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t d = 0; d < kD; ++d) {
      float hv = h[size_t(b * kD + d)];
      for (int64_t l = 0; l < seqlen; ++l) {
        size_t i = size_t((b * seqlen + l) * kD + d);
        hv = std::fma(a[size_t(d)], hv, x[i]);
        y[i] = hv;
      }
      h[size_t(b * kD + d)] = hv;
    }
  return y;
}

size_t countFiles(const std::string &dir, const std::string &suffix) {
  size_t n = 0;
  if (DIR *d = ::opendir(dir.c_str())) {
    while (dirent *e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) ++n;
    }
    ::closedir(d);
  }
  return n;
}

// One worker: its own stream and context, the shared pack and cache; a forward from a
// restored state, then 3 steps; returns y of the forward and the final state image.
struct RunOut {
  std::vector<float> y, h;
  std::string error;
};

RunOut runToy(const std::string &pack, const std::string &cacheDir, unsigned seed, int64_t batch, int64_t seqlen) {
  RunOut out;
  Driver &d = Driver::get();
  auto fail = [&](const std::string &what) {
    out.error = what + ": " + ssmrt_last_error();
    return out;
  };
  void *stream = nullptr;
  if (d.streamCreate(&stream, 1 /* non-blocking */) != 0) return fail("cuStreamCreate");
  ssmrt_context_options o;
  ssmrt_context_options_init(&o);
  o.stream = stream;
  o.cache_dir = cacheDir.c_str();
  ssmrt_context *ctx = nullptr;
  ssmrt_module *m = nullptr;
  ssmrt_layer *l = nullptr;
  ssmrt_state *st = nullptr;
  if (ssmrt_context_create(&o, &ctx) != SSMRT_OK) return fail("context");
  if (ssmrt_module_load_memory(ctx, pack.data(), pack.size(), &m) != SSMRT_OK) return fail("load");
  if (ssmrt_module_layer(m, 0, &l) != SSMRT_OK || ssmrt_state_create(l, batch, &st) != SSMRT_OK) return fail("state");

  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f), decay(0.5f, 0.99f);
  std::vector<float> x(size_t(batch * seqlen * kD)), a(kD), h0(size_t(batch * kD));
  for (float &v : x) v = u(rng);
  for (float &v : a) v = decay(rng);
  for (float &v : h0) v = u(rng);
  unsigned long long dx = 0, da = 0, dy = 0;
  d.memAlloc(&dx, x.size() * 4);
  d.memAlloc(&da, a.size() * 4);
  d.memAlloc(&dy, x.size() * 4);
  d.memcpyHtoD(dx, x.data(), x.size() * 4);
  d.memcpyHtoD(da, a.data(), a.size() * 4);
  if (ssmrt_state_restore(st, h0.data(), h0.size() * 4) != SSMRT_OK) return fail("restore");
  auto tensor = [](unsigned long long p, std::initializer_list<int64_t> sizes) {
    ssmrt_tensor t{};
    t.data = reinterpret_cast<void *>(p);
    t.dtype = SSMRT_DTYPE_F32;
    t.rank = int32_t(sizes.size());
    int k = 0;
    for (int64_t s : sizes) t.sizes[k++] = s;
    int64_t stride = 1;
    for (int i = t.rank - 1; i >= 0; --i) t.strides[i] = stride, stride *= t.sizes[i];
    return t;
  };
  ssmrt_tensor fwd[3] = {tensor(dx, {batch, seqlen, kD}), tensor(da, {kD}), tensor(dy, {batch, seqlen, kD})};
  if (ssmrt_layer_forward(l, fwd, 3, st, st) != SSMRT_OK) return fail("forward");
  if (ssmrt_context_synchronize(ctx) != SSMRT_OK) return fail("synchronize");
  out.y.resize(x.size());
  d.memcpyDtoH(out.y.data(), dy, x.size() * 4);
  // Three decode steps on the first step's inputs.
  ssmrt_tensor step[3] = {tensor(dx, {batch, kD}), tensor(da, {kD}), tensor(dy, {batch, kD})};
  step[0].strides[0] = seqlen * kD;
  step[2].strides[0] = seqlen * kD;
  for (int i = 0; i < 3; ++i)
    if (ssmrt_layer_step(l, step, 3, st) != SSMRT_OK) return fail("step");
  out.h.resize(h0.size());
  if (ssmrt_state_save(st, out.h.data(), out.h.size() * 4) != SSMRT_OK) return fail("save");

  // The CPU reference of the same work.
  std::vector<float> href = h0;
  std::vector<float> yref = reference(x, a, href, batch, seqlen);
  if (yref != out.y) out.error = "forward differs from the CPU reference";
  for (int i = 0; i < 3; ++i)
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t dd = 0; dd < kD; ++dd) {
        float &hv = href[size_t(b * kD + dd)];
        hv = std::fma(a[size_t(dd)], hv, x[size_t(b * seqlen * kD + dd)]);
      }
  if (out.error.empty() && href != out.h) out.error = "steps differ from the CPU reference";

  ssmrt_state_release(st);
  ssmrt_module_release(m);
  ssmrt_context_release(ctx);
  d.memFree(dx);
  d.memFree(da);
  d.memFree(dy);
  d.streamDestroy(stream);
  return out;
}

}  // namespace

TEST(Gpu, ThreadsOnTheirOwnStreamsMatchOneThreadAndCompileOnce) {
  REQUIRE_GPU();
  const std::string pack = toyPack();
  ssmrt_test::ScratchDir single, shared;
  RunOut one = runToy(pack, single.path(), 42, 3, 97);
  ASSERT_EQ(one.error, "");
  constexpr int kThreads = 6;
  std::vector<RunOut> outs(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] { outs[size_t(t)] = runToy(pack, shared.path() + "/cold", 42, 3, 97); });
  for (auto &th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(outs[size_t(t)].error, "") << "thread " << t;
    EXPECT_EQ(outs[size_t(t)].y, one.y) << "thread " << t << ": same results as one thread";
    EXPECT_EQ(outs[size_t(t)].h, one.h) << "thread " << t;
  }
  EXPECT_EQ(countFiles(shared.path() + "/cold", ".bin"), 1u) << "one compile entry for one layer";
  EXPECT_EQ(countFiles(shared.path() + "/cold", ".tmp"), 0u);
  // Different inputs per thread, concurrently: each matches its own reference.
  threads.clear();
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] { outs[size_t(t)] = runToy(pack, shared.path() + "/cold", 100 + unsigned(t), 1 + t, 33); });
  for (auto &th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(outs[size_t(t)].error, "") << "thread " << t;
}

// Decode steps with programmatic dependent launch (the default on sm_90 and newer),
// without it (SSMRT_NO_PDL=1), and captured into a CUDA graph on the context's stream and
// replayed (also on a context with SSMRT_CONTEXT_PARAMS_FIXED): each the CPU reference bit
// for bit. Each also with index32 lists in the pack.
TEST(Gpu, StepsWithAndWithoutPdlAndInAGraphMatchTheReference) {
  REQUIRE_GPU();
  Driver &d = Driver::get();
  constexpr int64_t kBatch = 3;
  constexpr int kSteps = 40;
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f), decay(0.5f, 0.99f);
  std::vector<float> x(size_t(kBatch * kD)), a(kD), h0(size_t(kBatch * kD));
  for (float &v : x) v = u(rng);
  for (float &v : a) v = decay(rng);
  for (float &v : h0) v = u(rng);
  std::vector<float> href = h0;
  for (int i = 0; i < kSteps; ++i)
    for (size_t k = 0; k < href.size(); ++k) href[k] = std::fma(a[k % kD], href[k], x[k]);

  unsigned long long dx = 0, da = 0, dy = 0;
  CU(d.memAlloc(&dx, x.size() * 4));
  CU(d.memAlloc(&da, a.size() * 4));
  CU(d.memAlloc(&dy, x.size() * 4));
  CU(d.memcpyHtoD(dx, x.data(), x.size() * 4));
  CU(d.memcpyHtoD(da, a.data(), a.size() * 4));
  auto tensor = [](unsigned long long p, std::initializer_list<int64_t> sizes) {
    ssmrt_tensor t{};
    t.data = reinterpret_cast<void *>(p);
    t.dtype = SSMRT_DTYPE_F32;
    t.rank = int32_t(sizes.size());
    int k = 0;
    for (int64_t v : sizes) t.sizes[k++] = v;
    int64_t stride = 1;
    for (int i = t.rank - 1; i >= 0; --i) t.strides[i] = stride, stride *= t.sizes[i];
    return t;
  };
  ssmrt_tensor step[3] = {tensor(dx, {kBatch, kD}), tensor(da, {kD}), tensor(dy, {kBatch, kD})};

  ssmrt_test::ScratchDir cache;
  const char *modes[] = {"default (PDL on sm_90+)", "SSMRT_NO_PDL=1", "CUDA graph",
                         "CUDA graph, SSMRT_CONTEXT_PARAMS_FIXED"};
  for (bool index32 : {false, true}) {
    const std::string pack = toyPack({}, true, index32);
    for (int mode = 0; mode < 4; ++mode) {
      SCOPED_TRACE(std::string(modes[mode]) + (index32 ? ", index32 lists" : ""));
      if (mode == 1) ::setenv("SSMRT_NO_PDL", "1", 1);  // read when the context is created
      else ::unsetenv("SSMRT_NO_PDL");
      void *stream = nullptr;
      CU(d.streamCreate(&stream, 1 /* non-blocking */));
      ssmrt_context_options o;
      ssmrt_context_options_init(&o);
      o.stream = stream;
      o.cache_dir = cache.path().c_str();
      if (mode == 3) o.flags = SSMRT_CONTEXT_PARAMS_FIXED;
      ssmrt_context *ctx = nullptr;
      ssmrt_module *m = nullptr;
      ssmrt_layer *l = nullptr;
      ssmrt_state *st = nullptr;
      ASSERT_EQ(ssmrt_context_create(&o, &ctx), SSMRT_OK) << ssmrt_last_error();
      ::unsetenv("SSMRT_NO_PDL");
      ASSERT_EQ(ssmrt_module_load_memory(ctx, pack.data(), pack.size(), &m), SSMRT_OK) << ssmrt_last_error();
      ASSERT_EQ(ssmrt_module_prepare(m), SSMRT_OK) << ssmrt_last_error();  // no compile during capture
      ASSERT_EQ(ssmrt_module_layer(m, 0, &l), SSMRT_OK);
      ASSERT_EQ(ssmrt_state_create(l, kBatch, &st), SSMRT_OK) << ssmrt_last_error();
      ASSERT_EQ(ssmrt_state_restore(st, h0.data(), h0.size() * 4), SSMRT_OK) << ssmrt_last_error();
      if (mode < 2) {
        for (int i = 0; i < kSteps; ++i) ASSERT_EQ(ssmrt_layer_step(l, step, 3, st), SSMRT_OK) << ssmrt_last_error();
      } else {
        ASSERT_EQ(ssmrt_context_synchronize(ctx), SSMRT_OK);
        CU(d.streamBeginCapture(stream, 1 /* CU_STREAM_CAPTURE_MODE_THREAD_LOCAL */));
        bool ok = true;
        for (int i = 0; ok && i < kSteps; ++i) ok = ssmrt_layer_step(l, step, 3, st) == SSMRT_OK;
        std::string error = ssmrt_last_error();
        void *graph = nullptr, *exec = nullptr;
        CU(d.streamEndCapture(stream, &graph));
        ASSERT_TRUE(ok) << error;
        CU(d.graphInstantiate(&exec, graph, 0));
        CU(d.graphLaunch(exec, stream));
        CU(d.streamSynchronize(stream));
        d.graphExecDestroy(exec);
        d.graphDestroy(graph);
      }
      std::vector<float> h(h0.size()), y(x.size());
      ASSERT_EQ(ssmrt_state_save(st, h.data(), h.size() * 4), SSMRT_OK) << ssmrt_last_error();
      CU(d.memcpyDtoH(y.data(), dy, y.size() * 4));
      EXPECT_EQ(h, href);
      EXPECT_EQ(y, href);  // y is the state after the last step
      ssmrt_state_release(st);
      ssmrt_module_release(m);
      ssmrt_context_release(ctx);
      d.streamDestroy(stream);
    }
  }
  d.memFree(dx);
  d.memFree(da);
  d.memFree(dy);
}

TEST(Gpu, HostileCallsWithADeviceLeaveTheContextUsable) {
  REQUIRE_GPU();
  ssmrt_test::ScratchDir cache;
  ssmrt_context_options o;
  ssmrt_context_options_init(&o);
  o.cache_dir = cache.path().c_str();
  ssmrt_context *ctx = nullptr;
  ASSERT_EQ(ssmrt_context_create(&o, &ctx), SSMRT_OK) << ssmrt_last_error();
  ssmrt_device_info info;
  ASSERT_EQ(ssmrt_context_device_info(ctx, &info), SSMRT_OK);
  // A pack for another architecture only: it loads, and prepare says what it has.
  const std::string foreign = toyPack({{"cubin.sm_" + std::to_string(info.sm_arch + 10) + "a", "x"}}, false);
  ssmrt_module *m = nullptr;
  ASSERT_EQ(ssmrt_module_load_memory(ctx, foreign.data(), foreign.size(), &m), SSMRT_OK) << ssmrt_last_error();
  EXPECT_EQ(ssmrt_module_prepare(m), SSMRT_UNSUPPORTED);
  EXPECT_NE(std::string(ssmrt_last_error()).find("has no kernels this sm_"), std::string::npos) << ssmrt_last_error();
  ssmrt_module_release(m);
  // A malformed cubin for this very architecture is skipped before the driver sees it; the
  // source is compiled instead.
  const std::string broken = toyPack({{"cubin.sm_" + std::to_string(info.sm_arch), "\x7f" "ELF garbage"}});
  ASSERT_EQ(ssmrt_module_load_memory(ctx, broken.data(), broken.size(), &m), SSMRT_OK);
  EXPECT_EQ(ssmrt_module_prepare(m), SSMRT_OK) << ssmrt_last_error();
  ssmrt_layer *l = nullptr;
  ASSERT_EQ(ssmrt_module_layer(m, 0, &l), SSMRT_OK);
  ssmrt_state *st = nullptr, *released = nullptr;
  ASSERT_EQ(ssmrt_state_create(l, 2, &st), SSMRT_OK);
  ASSERT_EQ(ssmrt_state_create(l, 2, &released), SSMRT_OK);
  ssmrt_state_release(released);

  Driver &d = Driver::get();
  unsigned long long buf = 0;
  CU(d.memAlloc(&buf, 3 * 2 * 8 * kD * 4 + 64));
  auto t3 = [&](size_t offsetBytes, int64_t b, int64_t s) {
    ssmrt_tensor t{};
    t.data = reinterpret_cast<void *>(buf + offsetBytes);
    t.dtype = SSMRT_DTYPE_F32;
    t.rank = 3;
    t.sizes[0] = b, t.sizes[1] = s, t.sizes[2] = kD;
    t.strides[0] = s * kD, t.strides[1] = kD, t.strides[2] = 1;
    return t;
  };
  ssmrt_tensor param{};
  param.data = reinterpret_cast<void *>(buf + 2 * 2 * 8 * kD * 4);
  param.dtype = SSMRT_DTYPE_F32;
  param.rank = 1;
  param.sizes[0] = kD;
  param.strides[0] = 1;
  const size_t ybase = 2 * 8 * kD * 4;
  std::vector<ssmrt_tensor> good = {t3(0, 2, 8), param, t3(ybase, 2, 8)};
  auto expectRefused = [&](std::vector<ssmrt_tensor> t, const ssmrt_state *h0, ssmrt_state *hT, const char *text) {
    EXPECT_EQ(ssmrt_layer_forward(l, t.data(), int32_t(t.size()), h0, hT), SSMRT_INVALID_ARGUMENT) << text;
    EXPECT_NE(std::string(ssmrt_last_error()).find(text), std::string::npos) << ssmrt_last_error();
  };
  auto t = good;
  t[2].data = reinterpret_cast<char *>(t[2].data) + 2;
  expectRefused(t, st, st, "is not aligned");
  t = good;
  t[2] = t3(4 * kD, 2, 8);  // y overlaps x
  expectRefused(t, st, st, "overlaps tensor 'x'");
  t = good;
  t[2].strides[1] = 1;
  expectRefused(t, st, st, "an output's elements must not alias");
  t = good;
  t[0].strides[0] = INT64_MAX;
  expectRefused(t, st, st, "overflows 64 bits");
  expectRefused(good, released, st, "already released");
  ssmrt_state *wrongBatch = nullptr;
  ASSERT_EQ(ssmrt_state_create(l, 3, &wrongBatch), SSMRT_OK);
  expectRefused(good, wrongBatch, st, "the initial state has batch 3");
  ssmrt_state_release(wrongBatch);
  // Nothing above queued anything; a good call runs and the context is healthy.
  EXPECT_EQ(ssmrt_layer_forward(l, good.data(), 3, st, st), SSMRT_OK) << ssmrt_last_error();
  EXPECT_EQ(ssmrt_context_synchronize(ctx), SSMRT_OK) << ssmrt_last_error();
  // Releasing a state right after queuing work on it: freed after that work, no fault.
  ssmrt_state *transient = nullptr;
  ASSERT_EQ(ssmrt_state_create(l, 2, &transient), SSMRT_OK);
  EXPECT_EQ(ssmrt_layer_forward(l, good.data(), 3, nullptr, transient), SSMRT_OK);
  ssmrt_state_release(transient);
  EXPECT_EQ(ssmrt_context_synchronize(ctx), SSMRT_OK) << ssmrt_last_error();
  d.memFree(buf);
  ssmrt_state_release(st);
  ssmrt_module_release(m);
  ssmrt_context_release(ctx);
}

TEST(Gpu, NoGpuSkipsWithAReason) {
  // Documents the skip: on a host without a GPU every test above says why it did not run.
  if (Driver::get().why.empty()) GTEST_SKIP() << "a GPU is present";
  EXPECT_FALSE(Driver::get().why.empty());
}
