// The host work of ssmrt_layer_step / ssmrt_layer_forward, without a GPU: the launch hook
// (runtime/lib/launch_hook.h) stands in for the driver, so these tests check what a call
// would launch (kernel, grid, the ssm_launch_args the kernel would see) and time the whole
// per-call path through the C API up to the launch. The timings are printed, never
// asserted: they depend on the machine.
//
//   build-rt/bin/ssmrt_host_path_tests --gtest_filter='HostPath.Timing*'
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "launch_hook.h"
#include "sample_pack.h"
#include "ssmrt/ssmrt.h"

using namespace ssmrt;

namespace {

// Never open a driver: the hook only runs on SSMRT_DEVICE_NONE contexts anyway.
[[maybe_unused]] const bool kNoDriver = [] {
  ::setenv("SSMRT_CUDA_LIBRARY", "/nonexistent/libcuda.so.1", 1);
  return true;
}();

std::string lastError() { return ssmrt_last_error(); }

// Mamba S6 as ssmc compiles it from stdlib/ (9 tensors), at the decode benchmark's size:
// D 5120, N 16, bf16 ins and outs, f32 params; one step kernel, one forward kernel, and
// index32 twins of both.
Manifest mambaManifest() {
  Manifest m;
  m.compiler = "ssmc test";
  ManifestLayer l;
  l.name = "mamba_s6";
  l.source = SourceLocation{"stdlib/mamba_s6.ssm", 1, 1};
  l.dims = {{"D", 5120}, {"N", 16}};
  const ssmrt_dtype bf = SSMRT_DTYPE_BF16, f = SSMRT_DTYPE_F32;
  l.tensors = {{"x", SSMRT_ROLE_IN, bf, {"D"}},         {"dt", SSMRT_ROLE_IN, bf, {"D"}},
               {"B", SSMRT_ROLE_IN, bf, {"N"}},         {"C", SSMRT_ROLE_IN, bf, {"N"}},
               {"z", SSMRT_ROLE_IN, bf, {"D"}},         {"A", SSMRT_ROLE_PARAM, f, {"D", "N"}},
               {"Dskip", SSMRT_ROLE_PARAM, f, {"D"}},   {"dt_bias", SSMRT_ROLE_PARAM, f, {"D"}},
               {"y", SSMRT_ROLE_OUT, bf, {"D"}}};
  l.states = {{"h", f, {"D", "N"}}};
  ManifestLaunch fwd;
  fwd.kernel = "ssm_mamba_s6_fwd";
  fwd.block[0] = 128;
  fwd.grid[0] = GridRule{160, true, 0, 1};
  ManifestLaunch step;
  step.kernel = "ssm_mamba_s6_step";
  step.block[0] = 128;
  step.grid[0] = GridRule{5120 * 4, true, 0, 128};
  l.forward = {fwd};
  l.step = {step};
  fwd.kernel += "_i32";
  step.kernel += "_i32";
  l.forwardIndex32 = {fwd};
  l.stepIndex32 = {step};
  m.layers = {l};
  return m;
}

std::string packOf(const Manifest &m) {
  std::string bytes;
  writePack({{"manifest.json", writeManifest(m)}, {"source.cu", "// not compiled: no device\n"}}, &bytes);
  return bytes;
}

ssmrt_tensor tensor(uintptr_t address, ssmrt_dtype dtype, std::vector<int64_t> sizes) {
  ssmrt_tensor t{};
  t.data = reinterpret_cast<void *>(address);
  t.dtype = dtype;
  t.rank = int32_t(sizes.size());
  int64_t stride = 1;
  for (int i = t.rank - 1; i >= 0; --i) {
    t.sizes[i] = sizes[size_t(i)];
    t.strides[i] = stride;
    stride *= sizes[size_t(i)];
  }
  return t;
}

// The tensors of one call at batch B (and seqlen L for forward), at fake device addresses
// 1 GiB apart starting at `base` (nothing is dereferenced).
std::vector<ssmrt_tensor> mambaTensors(int64_t batch, int64_t seqlen, bool step, uintptr_t base = uintptr_t(1) << 40) {
  std::vector<int64_t> lead = step ? std::vector<int64_t>{batch} : std::vector<int64_t>{batch, seqlen};
  auto io = [&](int64_t last) {
    std::vector<int64_t> s = lead;
    s.push_back(last);
    return s;
  };
  const uintptr_t gap = uintptr_t(1) << 30;
  const ssmrt_dtype bf = SSMRT_DTYPE_BF16, f = SSMRT_DTYPE_F32;
  return {tensor(base + 0 * gap, bf, io(5120)), tensor(base + 1 * gap, bf, io(5120)),
          tensor(base + 2 * gap, bf, io(16)),   tensor(base + 3 * gap, bf, io(16)),
          tensor(base + 4 * gap, bf, io(5120)), tensor(base + 5 * gap, f, {5120, 16}),
          tensor(base + 6 * gap, f, {5120}),    tensor(base + 7 * gap, f, {5120}),
          tensor(base + 8 * gap, bf, io(5120))};
}

// What the hook saw.
struct Seen {
  int launches = 0;
  std::string kernel;
  uint32_t grid[3] = {0, 0, 0};
  bool index32 = false;
  ssm_launch_args args{};
};

void recordLaunch(void *user, const HookedLaunch &l) {
  Seen *seen = static_cast<Seen *>(user);
  seen->launches += 1;
  seen->kernel = l.kernel;
  std::memcpy(seen->grid, l.grid, sizeof seen->grid);
  seen->index32 = l.index32;
  seen->args = *l.args;
}

void countLaunch(void *user, const HookedLaunch &) { ++*static_cast<uint64_t *>(user); }

class HostPath : public ::testing::Test {
 protected:
  void SetUp() override {
    pack = packOf(mambaManifest());
    open(0, &ctx, &module, &layer);
  }
  // A device-less context with the given SSMRT_CONTEXT_* flags, the pack loaded, its layer.
  void open(uint32_t flags, ssmrt_context **c, ssmrt_module **m, ssmrt_layer **l) {
    ssmrt_context_options o;
    ssmrt_context_options_init(&o);
    o.device_ordinal = SSMRT_DEVICE_NONE;
    o.cache_dir = "";
    o.flags = flags;
    ASSERT_EQ(ssmrt_context_create(&o, c), SSMRT_OK) << lastError();
    ASSERT_EQ(ssmrt_module_load_memory(*c, pack.data(), pack.size(), m), SSMRT_OK) << lastError();
    ASSERT_EQ(ssmrt_module_layer(*m, 0, l), SSMRT_OK) << lastError();
  }
  void TearDown() override {
    setLaunchHookForTesting(nullptr, nullptr);
    ssmrt_module_release(module);
    ssmrt_context_release(ctx);
  }

  ssmrt_state *newState(int64_t batch) {
    ssmrt_state *s = nullptr;
    EXPECT_EQ(ssmrt_state_create(layer, batch, &s), SSMRT_OK) << lastError();
    return s;
  }

  // Runs `call` n times after a warm-up and prints the mean wall time per call.
  template <class F>
  double timeCalls(const char *what, F &&call, int n = 100000) {
    uint64_t launches = 0;
    setLaunchHookForTesting(countLaunch, &launches);
    for (int i = 0; i < 1000; ++i) call();
    // Best of 3 rounds: the least disturbed by whatever else the machine runs.
    double best = 1e30;
    for (int round = 0; round < 3; ++round) {
      auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < n; ++i) call();
      double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / n;
      best = std::min(best, ns);
    }
    EXPECT_EQ(launches, uint64_t(n) * 3 + 1000) << what;
    std::printf("[ host path ] %-58s %8.1f ns/call\n", what, best);
    std::fflush(stdout);
    return best;
  }

  ssmrt_context *ctx = nullptr;
  ssmrt_module *module = nullptr;
  ssmrt_layer *layer = nullptr;
  std::string pack;
};

}  // namespace

TEST_F(HostPath, StepLaunchesWhatTheKernelExpects) {
  Seen seen;
  setLaunchHookForTesting(recordLaunch, &seen);
  ssmrt_state *state = newState(2);
  auto t = mambaTensors(2, 1, true);
  ASSERT_EQ(ssmrt_layer_step(layer, t.data(), int32_t(t.size()), state), SSMRT_OK) << lastError();
  EXPECT_EQ(lastError(), "");
  EXPECT_EQ(seen.launches, 1);
  EXPECT_EQ(seen.kernel, "ssm_mamba_s6_step_i32");
  EXPECT_TRUE(seen.index32);
  EXPECT_EQ(seen.grid[0], 2u * 5120 * 4 / 128);
  EXPECT_EQ(seen.args.batch, 2);
  EXPECT_EQ(seen.args.seqlen, 1);
  EXPECT_EQ(seen.args.flags, uint32_t(SSM_FLAG_HAS_H0 | SSM_FLAG_WRITE_HT));
  EXPECT_EQ(seen.args.h0[0], seen.args.hT[0]);  // in place
  EXPECT_EQ(seen.args.workspace, nullptr);
  EXPECT_EQ(seen.args.tensors[0].data, t[0].data);
  EXPECT_EQ(seen.args.tensors[0].strides[0], 5120);  // batch
  EXPECT_EQ(seen.args.tensors[0].strides[1], 0);     // the step's missing seqlen axis
  EXPECT_EQ(seen.args.tensors[0].strides[2], 1);
  EXPECT_EQ(seen.args.tensors[5].strides[0], 16);    // A [D, N]
  EXPECT_EQ(seen.args.tensors[8].data, t[8].data);

  // The same shapes at new addresses: the new pointers reach the kernel.
  auto u = mambaTensors(2, 1, true, uintptr_t(1) << 44);
  ASSERT_EQ(ssmrt_layer_step(layer, u.data(), int32_t(u.size()), state), SSMRT_OK) << lastError();
  EXPECT_EQ(seen.args.tensors[3].data, u[3].data);
  EXPECT_EQ(seen.args.tensors[8].data, u[8].data);
  ssmrt_state_release(state);
}

// SSMRT_CONTEXT_PARAMS_FIXED reaches decode steps as SSM_FLAG_PARAMS_FIXED, and only them.
TEST_F(HostPath, ParamsFixedContextFlagsStepsOnly) {
  ssmrt_context *fixedCtx = nullptr;
  ssmrt_module *m = nullptr;
  ssmrt_layer *l = nullptr;
  open(SSMRT_CONTEXT_PARAMS_FIXED, &fixedCtx, &m, &l);
  if (HasFatalFailure()) return;
  Seen seen;
  setLaunchHookForTesting(recordLaunch, &seen);
  ssmrt_state *s = nullptr;
  ASSERT_EQ(ssmrt_state_create(l, 2, &s), SSMRT_OK) << lastError();
  auto t = mambaTensors(2, 1, true);
  ASSERT_EQ(ssmrt_layer_step(l, t.data(), int32_t(t.size()), s), SSMRT_OK) << lastError();
  EXPECT_EQ(seen.args.flags, uint32_t(SSM_FLAG_HAS_H0 | SSM_FLAG_WRITE_HT | SSM_FLAG_PARAMS_FIXED));
  auto f = mambaTensors(2, 64, false);
  ASSERT_EQ(ssmrt_layer_forward(l, f.data(), int32_t(f.size()), s, s), SSMRT_OK) << lastError();
  EXPECT_EQ(seen.args.flags, uint32_t(SSM_FLAG_HAS_H0 | SSM_FLAG_WRITE_HT));
  // The default context does not set it.
  ssmrt_state *s2 = newState(2);
  ASSERT_EQ(ssmrt_layer_step(layer, t.data(), int32_t(t.size()), s2), SSMRT_OK) << lastError();
  EXPECT_EQ(seen.args.flags, uint32_t(SSM_FLAG_HAS_H0 | SSM_FLAG_WRITE_HT));
  ssmrt_state_release(s2);
  ssmrt_state_release(s);
  ssmrt_module_release(m);
  ssmrt_context_release(fixedCtx);
}

TEST_F(HostPath, ForwardWithoutStatesAndPast2To31Elements) {
  Seen seen;
  setLaunchHookForTesting(recordLaunch, &seen);
  auto t = mambaTensors(8, 64, false);
  ASSERT_EQ(ssmrt_layer_forward(layer, t.data(), int32_t(t.size()), nullptr, nullptr), SSMRT_OK) << lastError();
  EXPECT_EQ(seen.kernel, "ssm_mamba_s6_fwd_i32");
  EXPECT_EQ(seen.args.seqlen, 64);
  EXPECT_EQ(seen.args.flags, 0u);
  EXPECT_EQ(seen.args.tensors[0].strides[1], 5120);

  // x strided so that its last element lies at 2^31: the 64-bit kernel.
  t[0].strides[0] = (int64_t(1) << 31) / 7 + 64 * 5120;
  ASSERT_GE(7 * t[0].strides[0] + 63 * 5120 + 5119, int64_t(1) << 31);
  ASSERT_EQ(ssmrt_layer_forward(layer, t.data(), int32_t(t.size()), nullptr, nullptr), SSMRT_OK) << lastError();
  EXPECT_EQ(seen.kernel, "ssm_mamba_s6_fwd");
  EXPECT_FALSE(seen.index32);
}

TEST_F(HostPath, ErrorsAfterASuccessfulCallKeepTheirMessages) {
  uint64_t launches = 0;
  setLaunchHookForTesting(countLaunch, &launches);
  ssmrt_state *state = newState(1);
  auto t = mambaTensors(1, 1, true);
  ASSERT_EQ(ssmrt_layer_step(layer, t.data(), int32_t(t.size()), state), SSMRT_OK) << lastError();
  // Same shapes, one pointer now null / misaligned / overlapping an output.
  auto bad = t;
  bad[2].data = nullptr;
  EXPECT_EQ(ssmrt_layer_step(layer, bad.data(), int32_t(bad.size()), state), SSMRT_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "layer 'mamba_s6' step: tensor 'B': data is NULL");
  bad = t;
  bad[1].data = static_cast<char *>(bad[1].data) + 1;
  EXPECT_EQ(ssmrt_layer_step(layer, bad.data(), int32_t(bad.size()), state), SSMRT_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "layer 'mamba_s6' step: tensor 'dt': data 0x10040000001 is not "
                         "aligned to its 2-byte bf16 elements");
  bad = t;
  bad[8].data = static_cast<char *>(bad[0].data) + 2;
  EXPECT_EQ(ssmrt_layer_step(layer, bad.data(), int32_t(bad.size()), state), SSMRT_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "layer 'mamba_s6' step: tensor 'y' overlaps tensor 'x'");
  // A shape change after the good call.
  bad = t;
  bad[6].sizes[0] = 5119;
  EXPECT_EQ(ssmrt_layer_step(layer, bad.data(), int32_t(bad.size()), state), SSMRT_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "layer 'mamba_s6' step: tensor 'Dskip': dim D is 5119 but the layer "
                         "was compiled with D = 5120");
  // The good call still works, and leaves no message.
  ASSERT_EQ(ssmrt_layer_step(layer, t.data(), int32_t(t.size()), state), SSMRT_OK) << lastError();
  EXPECT_EQ(lastError(), "");
  EXPECT_EQ(launches, 2u);
  ssmrt_state_release(state);
}

TEST_F(HostPath, TimingStepBatch1) {
  ssmrt_state *state = newState(1);
  auto t = mambaTensors(1, 1, true);
  const int32_t n = int32_t(t.size());
  timeCalls("ssmrt_layer_step, S6 D 5120 N 16 bf16, batch 1", [&] {
    if (ssmrt_layer_step(layer, t.data(), n, state) != SSMRT_OK) std::abort();
  });
  ssmrt_state_release(state);
}

TEST_F(HostPath, TimingStepBatch64) {
  ssmrt_state *state = newState(64);
  auto t = mambaTensors(64, 1, true);
  const int32_t n = int32_t(t.size());
  timeCalls("ssmrt_layer_step, S6 D 5120 N 16 bf16, batch 64", [&] {
    if (ssmrt_layer_step(layer, t.data(), n, state) != SSMRT_OK) std::abort();
  });
  ssmrt_state_release(state);
}

TEST_F(HostPath, TimingStepRotatingBuffers) {
  ssmrt_state *state = newState(1);
  std::vector<std::vector<ssmrt_tensor>> sets;
  for (int s = 0; s < 4; ++s) sets.push_back(mambaTensors(1, 1, true, (uintptr_t(1) << 40) + (uintptr_t(s) << 36)));
  const int32_t n = int32_t(sets[0].size());
  int i = 0;
  timeCalls("ssmrt_layer_step, batch 1, 4 buffer sets rotated", [&] {
    if (ssmrt_layer_step(layer, sets[size_t(i++ & 3)].data(), n, state) != SSMRT_OK) std::abort();
  });
  ssmrt_state_release(state);
}

TEST_F(HostPath, TimingForward) {
  auto t = mambaTensors(8, 2048, false);
  const int32_t n = int32_t(t.size());
  timeCalls("ssmrt_layer_forward, batch 8, seqlen 2048, no state", [&] {
    if (ssmrt_layer_forward(layer, t.data(), n, nullptr, nullptr) != SSMRT_OK) std::abort();
  });
}

TEST_F(HostPath, TimingForwardShapeChangingEveryCall) {
  // Two sequence lengths alternated: every call validates and plans from scratch.
  std::vector<std::vector<ssmrt_tensor>> sets = {mambaTensors(8, 2048, false), mambaTensors(8, 2047, false)};
  const int32_t n = int32_t(sets[0].size());
  int i = 0;
  timeCalls("ssmrt_layer_forward, seqlen 2048 / 2047 alternated", [&] {
    if (ssmrt_layer_forward(layer, sets[size_t(i++ & 1)].data(), n, nullptr, nullptr) != SSMRT_OK) std::abort();
  });
}

TEST_F(HostPath, TimingRejectedCall) {
  // The failure path keeps its messages; it is timed only to see it stays reasonable.
  ssmrt_state *state = newState(1);
  auto t = mambaTensors(1, 1, true);
  t[6].sizes[0] = 5119;
  const int32_t n = int32_t(t.size());
  uint64_t unused = 0;
  setLaunchHookForTesting(countLaunch, &unused);
  auto t0 = std::chrono::steady_clock::now();
  const int iters = 20000;
  for (int i = 0; i < iters; ++i)
    if (ssmrt_layer_step(layer, t.data(), n, state) != SSMRT_INVALID_ARGUMENT) std::abort();
  double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / iters;
  std::printf("[ host path ] %-58s %8.1f ns/call\n", "ssmrt_layer_step rejected (wrong dim)", ns);
  EXPECT_EQ(unused, 0u);
  ssmrt_state_release(state);
}
