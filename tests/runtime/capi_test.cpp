// The C API without a GPU: every entry point gives NO_DRIVER (or INVALID_ARGUMENT for null
// arguments) with a message and never crashes; on an SSMRT_DEVICE_NONE context, modules
// load, layers are inspected, calls are validated, and states save/restore/swap.
#include <cstddef>
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>

#include "sample_pack.h"
#include "ssmrt/ssmrt.h"

namespace {

// Forces the no-driver path even on a host with a GPU; set before the first driver use,
// which happens only inside a test.
[[maybe_unused]] const bool kNoDriver = [] {
  ::setenv("SSMRT_CUDA_LIBRARY", "/nonexistent/libcuda.so.1", 1);
  return true;
}();

std::string lastError() { return ssmrt_last_error(); }

bool contains(const std::string &haystack, const std::string &needle) {
  return haystack.find(needle) != std::string::npos;
}

#define EXPECT_STATUS(call, status, text)                                                        \
  do {                                                                                           \
    ssmrt_status got_ = (call);                                                                  \
    EXPECT_EQ(got_, status) << #call << ": " << ssmrt_status_string(got_) << ": " << lastError(); \
    EXPECT_TRUE(contains(lastError(), text)) << #call << ": '" << lastError() << "' lacks '" << text << "'"; \
  } while (0)

// A context with no device, a module of the sample pack, and its layers.
class Inspect : public ::testing::Test {
 protected:
  void SetUp() override {
    ssmrt_context_options o;
    ssmrt_context_options_init(&o);
    o.device_ordinal = SSMRT_DEVICE_NONE;
    o.cache_dir = "";
    ASSERT_EQ(ssmrt_context_create(&o, &ctx), SSMRT_OK) << lastError();
    pack = ssmrt_test::samplePackBytes();
    ASSERT_EQ(ssmrt_module_load_memory(ctx, pack.data(), pack.size(), &module), SSMRT_OK) << lastError();
    ASSERT_EQ(ssmrt_module_layer_by_name(module, "s6", &s6), SSMRT_OK) << lastError();
    ASSERT_EQ(ssmrt_module_layer_by_name(module, "lti", &lti), SSMRT_OK) << lastError();
  }
  void TearDown() override {
    ssmrt_module_release(module);
    ssmrt_context_release(ctx);
  }

  // Valid forward tensors for s6 (fake device addresses: nothing is dereferenced).
  std::vector<ssmrt_tensor> s6Tensors(int64_t batch, int64_t seqlen) {
    std::vector<ssmrt_tensor> t;
    const int64_t last[5] = {1536, 1536, 16, 0, 1536};
    const ssmrt_dtype dt[5] = {SSMRT_DTYPE_BF16, SSMRT_DTYPE_BF16, SSMRT_DTYPE_BF16, SSMRT_DTYPE_F32,
                               SSMRT_DTYPE_BF16};
    for (int i = 0; i < 5; ++i) {
      ssmrt_tensor x{};
      x.data = reinterpret_cast<void *>(uintptr_t(i + 1) << 28);
      x.dtype = dt[i];
      if (i == 3) {
        x.rank = 2;
        x.sizes[0] = 1536, x.sizes[1] = 16;
        x.strides[0] = 16, x.strides[1] = 1;
      } else {
        x.rank = 3;
        x.sizes[0] = batch, x.sizes[1] = seqlen, x.sizes[2] = last[i];
        x.strides[0] = seqlen * last[i], x.strides[1] = last[i], x.strides[2] = 1;
      }
      t.push_back(x);
    }
    return t;
  }

  ssmrt_context *ctx = nullptr;
  ssmrt_module *module = nullptr;
  ssmrt_layer *s6 = nullptr, *lti = nullptr;
  std::string pack;
};

}  // namespace

TEST(CApi, StatusAndDtypeNames) {
  EXPECT_STREQ(ssmrt_status_string(SSMRT_OK), "SSMRT_OK");
  EXPECT_STREQ(ssmrt_status_string(SSMRT_NO_DRIVER), "SSMRT_NO_DRIVER");
  EXPECT_STREQ(ssmrt_status_string(SSMRT_INTERNAL), "SSMRT_INTERNAL");
  EXPECT_STREQ(ssmrt_status_string(static_cast<ssmrt_status>(77)), "SSMRT_UNKNOWN_STATUS");
  EXPECT_EQ(ssmrt_dtype_size(SSMRT_DTYPE_BF16), 2u);
  EXPECT_EQ(ssmrt_dtype_size(SSMRT_DTYPE_C64), 8u);
  EXPECT_EQ(ssmrt_dtype_size(static_cast<ssmrt_dtype>(9)), 0u);
  EXPECT_STREQ(ssmrt_dtype_name(SSMRT_DTYPE_F16), "f16");
  EXPECT_EQ(SSMRT_OK, 0);
}

TEST(CApi, NoDriverIsACleanStatus) {
  ssmrt_context *ctx = reinterpret_cast<ssmrt_context *>(0x1);
  EXPECT_STATUS(ssmrt_context_create(nullptr, &ctx), SSMRT_NO_DRIVER,
                "no CUDA driver found (/nonexistent/libcuda.so.1): ");
  EXPECT_EQ(ctx, nullptr) << "out_ctx is cleared on failure";
  EXPECT_TRUE(contains(lastError(), "No such file or directory")) << lastError();
  // Asking again gives the same answer (the failed dlopen is remembered, not retried).
  ssmrt_context_options o = SSMRT_CONTEXT_OPTIONS_INIT;
  o.device_ordinal = 3;
  EXPECT_STATUS(ssmrt_context_create(&o, &ctx), SSMRT_NO_DRIVER, "no CUDA driver found");
}

TEST(CApi, ContextOptionChecks) {
  ssmrt_context *ctx = nullptr;
  EXPECT_STATUS(ssmrt_context_create(nullptr, nullptr), SSMRT_INVALID_ARGUMENT,
                "ssmrt_context_create: out_ctx is NULL");
  ssmrt_context_options o;
  ssmrt_context_options_init(&o);
  EXPECT_EQ(o.struct_size, sizeof(ssmrt_context_options));
  EXPECT_EQ(o.device_ordinal, 0);
  EXPECT_EQ(o.stream, nullptr);
  EXPECT_EQ(o.cache_dir, nullptr);
  o.struct_size = 4;
  EXPECT_STATUS(ssmrt_context_create(&o, &ctx), SSMRT_INVALID_ARGUMENT, "options->struct_size is 4");
  // A caller built before `flags` existed: its fields are read, flags defaults to 0.
  ssmrt_context_options_init(&o);
  o.struct_size = uint32_t(offsetof(ssmrt_context_options, flags));
  o.device_ordinal = SSMRT_DEVICE_NONE;
  o.flags = 0xdead;  // past its struct: must not be read
  ASSERT_EQ(ssmrt_context_create(&o, &ctx), SSMRT_OK) << ssmrt_last_error();
  ssmrt_context_release(ctx);
  ctx = nullptr;
  ssmrt_context_options_init(&o);
  EXPECT_EQ(o.flags, 0u);
  o.device_ordinal = SSMRT_DEVICE_NONE;
  o.flags = SSMRT_CONTEXT_PARAMS_FIXED;
  ASSERT_EQ(ssmrt_context_create(&o, &ctx), SSMRT_OK) << ssmrt_last_error();
  ssmrt_context_release(ctx);
  ctx = nullptr;
  o.flags = 6;
  EXPECT_STATUS(ssmrt_context_create(&o, &ctx), SSMRT_INVALID_ARGUMENT, "options->flags has unknown bits 6");
  ssmrt_context_options_init(&o);
  o.device_ordinal = -5;
  EXPECT_STATUS(ssmrt_context_create(&o, &ctx), SSMRT_INVALID_ARGUMENT, "device ordinal -5 is negative");
  ssmrt_context_options_init(nullptr);  // must not crash
}

TEST(CApi, NullArgumentsAreInvalidArguments) {
  ssmrt_module *m = nullptr;
  ssmrt_layer *l = nullptr;
  ssmrt_state *s = nullptr;
  int32_t n = 0;
  int64_t v = 0;
  size_t bytes = 0;
  const char *str = nullptr;
  ssmrt_tensor_info info;
  ssmrt_device_info dev;
  unsigned char buf[4];

  EXPECT_STATUS(ssmrt_context_device_info(nullptr, &dev), SSMRT_INVALID_ARGUMENT, "ctx is NULL");
  EXPECT_STATUS(ssmrt_context_synchronize(nullptr), SSMRT_INVALID_ARGUMENT, "ctx is NULL");
  EXPECT_STATUS(ssmrt_module_load_file(nullptr, "x.ssmpack", &m), SSMRT_INVALID_ARGUMENT,
                "ssmrt_module_load_file: ctx is NULL");
  EXPECT_STATUS(ssmrt_module_load_file(nullptr, "x.ssmpack", nullptr), SSMRT_INVALID_ARGUMENT, "out_module is NULL");
  EXPECT_STATUS(ssmrt_module_load_memory(nullptr, buf, 4, &m), SSMRT_INVALID_ARGUMENT,
                "ssmrt_module_load_memory: ctx is NULL");
  EXPECT_STATUS(ssmrt_module_prepare(nullptr), SSMRT_INVALID_ARGUMENT, "module is NULL");
  EXPECT_STATUS(ssmrt_module_layer_count(nullptr, &n), SSMRT_INVALID_ARGUMENT, "module is NULL");
  EXPECT_STATUS(ssmrt_module_layer(nullptr, 0, &l), SSMRT_INVALID_ARGUMENT, "module is NULL");
  EXPECT_STATUS(ssmrt_module_layer_by_name(nullptr, "s6", &l), SSMRT_INVALID_ARGUMENT, "module is NULL");
  EXPECT_STATUS(ssmrt_layer_name(nullptr, &str), SSMRT_INVALID_ARGUMENT, "ssmrt_layer_name: layer is NULL");
  EXPECT_STATUS(ssmrt_layer_source_location(nullptr, &str, &n, &n), SSMRT_INVALID_ARGUMENT, "layer is NULL");
  EXPECT_STATUS(ssmrt_layer_dim_count(nullptr, &n), SSMRT_INVALID_ARGUMENT, "layer is NULL");
  EXPECT_STATUS(ssmrt_layer_dim(nullptr, 0, &str, &v), SSMRT_INVALID_ARGUMENT, "layer is NULL");
  EXPECT_STATUS(ssmrt_layer_tensor_count(nullptr, &n), SSMRT_INVALID_ARGUMENT, "layer is NULL");
  EXPECT_STATUS(ssmrt_layer_tensor_info(nullptr, 0, &info), SSMRT_INVALID_ARGUMENT, "layer is NULL");
  EXPECT_STATUS(ssmrt_layer_state_count(nullptr, &n), SSMRT_INVALID_ARGUMENT, "layer is NULL");
  EXPECT_STATUS(ssmrt_layer_state_info(nullptr, 0, &info), SSMRT_INVALID_ARGUMENT, "layer is NULL");
  EXPECT_STATUS(ssmrt_layer_has_entry(nullptr, SSMRT_ENTRY_STEP, &n), SSMRT_INVALID_ARGUMENT, "layer is NULL");
  EXPECT_STATUS(ssmrt_layer_forward(nullptr, nullptr, 0, nullptr, nullptr), SSMRT_INVALID_ARGUMENT,
                "ssmrt_layer_forward: layer is NULL");
  EXPECT_STATUS(ssmrt_layer_step(nullptr, nullptr, 0, nullptr), SSMRT_INVALID_ARGUMENT,
                "ssmrt_layer_step: layer is NULL");
  EXPECT_STATUS(ssmrt_state_create(nullptr, 1, &s), SSMRT_INVALID_ARGUMENT, "ssmrt_state_create: layer is NULL");
  EXPECT_STATUS(ssmrt_state_batch(nullptr, &v), SSMRT_INVALID_ARGUMENT, "state is NULL");
  EXPECT_STATUS(ssmrt_state_byte_size(nullptr, &bytes), SSMRT_INVALID_ARGUMENT, "state is NULL");
  EXPECT_STATUS(ssmrt_state_save(nullptr, buf, 4), SSMRT_INVALID_ARGUMENT, "state is NULL");
  EXPECT_STATUS(ssmrt_state_restore(nullptr, buf, 4), SSMRT_INVALID_ARGUMENT, "state is NULL");
  EXPECT_STATUS(ssmrt_state_reset(nullptr), SSMRT_INVALID_ARGUMENT, "state is NULL");
  EXPECT_STATUS(ssmrt_state_swap(nullptr, nullptr), SSMRT_INVALID_ARGUMENT, "ssmrt_state_swap: a is NULL");
  // Releasing nothing is a no-op.
  ssmrt_context_release(nullptr);
  ssmrt_module_release(nullptr);
  ssmrt_state_release(nullptr);
}

TEST(CApi, LastErrorIsPerThreadAndClearedBySuccess) {
  int32_t n = 0;
  ASSERT_EQ(ssmrt_module_layer_count(nullptr, &n), SSMRT_INVALID_ARGUMENT);
  std::string other = "unset";
  std::thread([&] { other = ssmrt_last_error(); }).join();
  EXPECT_EQ(other, "") << "another thread's failure must not show here";
  EXPECT_TRUE(contains(lastError(), "module is NULL"));
  ssmrt_context_options o = SSMRT_CONTEXT_OPTIONS_INIT;
  o.device_ordinal = SSMRT_DEVICE_NONE;
  ssmrt_context *ctx = nullptr;
  ASSERT_EQ(ssmrt_context_create(&o, &ctx), SSMRT_OK);
  EXPECT_EQ(lastError(), "");
  ssmrt_context_release(ctx);
}

TEST_F(Inspect, DeviceNoneContextHasNoDevice) {
  ssmrt_device_info info;
  EXPECT_STATUS(ssmrt_context_device_info(ctx, &info), SSMRT_NO_DEVICE, "SSMRT_DEVICE_NONE");
  EXPECT_EQ(ssmrt_context_synchronize(ctx), SSMRT_OK);
  EXPECT_STATUS(ssmrt_module_prepare(module), SSMRT_NO_DEVICE, "the context has no device");
}

TEST_F(Inspect, LayersAndTheirDescription) {
  int32_t n = 0;
  ASSERT_EQ(ssmrt_module_layer_count(module, &n), SSMRT_OK);
  EXPECT_EQ(n, 2);
  ssmrt_layer *first = nullptr;
  ASSERT_EQ(ssmrt_module_layer(module, 0, &first), SSMRT_OK);
  EXPECT_EQ(first, s6);
  EXPECT_STATUS(ssmrt_module_layer(module, 2, &first), SSMRT_INVALID_ARGUMENT, "layer index 2 is out of range");
  EXPECT_EQ(first, nullptr);
  EXPECT_STATUS(ssmrt_module_layer_by_name(module, "s4", &first), SSMRT_NOT_FOUND,
                "module '<memory>' has no layer 's4' (it has 's6', 'lti')");

  const char *name = nullptr;
  ASSERT_EQ(ssmrt_layer_name(s6, &name), SSMRT_OK);
  EXPECT_STREQ(name, "s6");
  const char *file = nullptr;
  int32_t line = 0, col = 0;
  ASSERT_EQ(ssmrt_layer_source_location(s6, &file, &line, &col), SSMRT_OK);
  EXPECT_STREQ(file, "stdlib/mamba_s6.ssm");
  EXPECT_EQ(line, 12);
  EXPECT_EQ(col, 1);

  ASSERT_EQ(ssmrt_layer_dim_count(s6, &n), SSMRT_OK);
  EXPECT_EQ(n, 2);
  int64_t value = 0;
  ASSERT_EQ(ssmrt_layer_dim(s6, 1, &name, &value), SSMRT_OK);
  EXPECT_STREQ(name, "N");
  EXPECT_EQ(value, 16);
  EXPECT_STATUS(ssmrt_layer_dim(s6, -1, &name, &value), SSMRT_INVALID_ARGUMENT, "dim index -1 is out of range");

  ASSERT_EQ(ssmrt_layer_tensor_count(s6, &n), SSMRT_OK);
  EXPECT_EQ(n, 5);
  ssmrt_tensor_info info;
  ASSERT_EQ(ssmrt_layer_tensor_info(s6, 3, &info), SSMRT_OK);
  EXPECT_STREQ(info.name, "A");
  EXPECT_EQ(info.role, SSMRT_ROLE_PARAM);
  EXPECT_EQ(info.dtype, SSMRT_DTYPE_F32);
  ASSERT_EQ(info.dim_count, 2);
  EXPECT_STREQ(info.dim_names[0], "D");
  EXPECT_STREQ(info.dim_names[1], "N");
  EXPECT_EQ(info.dim_values[0], 1536);
  EXPECT_EQ(info.dim_values[1], 16);
  ASSERT_EQ(ssmrt_layer_tensor_info(s6, 4, &info), SSMRT_OK);
  EXPECT_EQ(info.role, SSMRT_ROLE_OUT);

  ASSERT_EQ(ssmrt_layer_state_count(lti, &n), SSMRT_OK);
  EXPECT_EQ(n, 1);
  ASSERT_EQ(ssmrt_layer_state_info(lti, 0, &info), SSMRT_OK);
  EXPECT_STREQ(info.name, "h");
  EXPECT_EQ(info.dtype, SSMRT_DTYPE_C64);
  EXPECT_EQ(info.dim_values[0], 8);

  int32_t has = -1;
  ASSERT_EQ(ssmrt_layer_has_entry(s6, SSMRT_ENTRY_STEP, &has), SSMRT_OK);
  EXPECT_EQ(has, 1);
  ASSERT_EQ(ssmrt_layer_has_entry(lti, SSMRT_ENTRY_STEP, &has), SSMRT_OK);
  EXPECT_EQ(has, 0);
}

TEST_F(Inspect, LoadFromFileAndDamagedPacks) {
  ssmrt_test::ScratchDir dir;
  const std::string path = dir.path() + "/layer.ssmpack";
  std::ofstream(path, std::ios::binary) << pack;
  ssmrt_module *m = nullptr;
  ASSERT_EQ(ssmrt_module_load_file(ctx, path.c_str(), &m), SSMRT_OK) << lastError();
  ssmrt_module_release(m);

  EXPECT_STATUS(ssmrt_module_load_file(ctx, (dir.path() + "/none.ssmpack").c_str(), &m), SSMRT_NOT_FOUND,
                "none.ssmpack");
  EXPECT_EQ(m, nullptr);

  std::string bad = pack;
  bad[bad.size() - 1] ^= 1;
  EXPECT_STATUS(ssmrt_module_load_memory(ctx, bad.data(), bad.size(), &m), SSMRT_FORMAT_ERROR,
                "module '<memory>': hash mismatch");
  EXPECT_STATUS(ssmrt_module_load_memory(ctx, pack.data(), 12, &m), SSMRT_FORMAT_ERROR, "truncated");
  EXPECT_STATUS(ssmrt_module_load_memory(ctx, nullptr, 0, &m), SSMRT_FORMAT_ERROR, "truncated");
  bad = pack;
  bad[8] = 7;
  EXPECT_STATUS(ssmrt_module_load_memory(ctx, bad.data(), bad.size(), &m), SSMRT_FORMAT_ERROR,
                "format version 7 is newer than this runtime reads (1)");

  // A well-formed pack whose manifest is wrong, or that has no code at all.
  std::vector<ssmrt::PackEntry> entries = ssmrt_test::sampleEntries();
  entries[0].bytes = "{\"format\": \"ssmpack\", \"version\": 1, \"abi\": 9, \"layers\": []}";
  std::string bytes;
  ASSERT_TRUE(ssmrt::writePack(entries, &bytes));
  EXPECT_STATUS(ssmrt_module_load_memory(ctx, bytes.data(), bytes.size(), &m), SSMRT_FORMAT_ERROR,
                "manifest: the kernels use ABI version 9 but this runtime provides 1");
  entries = ssmrt_test::sampleEntries();
  entries.resize(1);
  ASSERT_TRUE(ssmrt::writePack(entries, &bytes));
  EXPECT_STATUS(ssmrt_module_load_memory(ctx, bytes.data(), bytes.size(), &m), SSMRT_FORMAT_ERROR,
                "the pack has no cubin, no PTX and no source.cu");
  ASSERT_TRUE(ssmrt::writePack({{"source.cu", "x"}}, &bytes));
  EXPECT_STATUS(ssmrt_module_load_memory(ctx, bytes.data(), bytes.size(), &m), SSMRT_FORMAT_ERROR,
                "the pack has no manifest.json");
}

TEST_F(Inspect, ForwardIsValidatedBeforeTheMissingDeviceIsReported) {
  auto t = s6Tensors(2, 32);
  t[0].sizes[2] = 1024;
  EXPECT_STATUS(ssmrt_layer_forward(s6, t.data(), 5, nullptr, nullptr), SSMRT_INVALID_ARGUMENT,
                "layer 's6' forward: tensor 'x': dim D is 1024 but the layer was compiled with D = 1536");
  t = s6Tensors(2, 32);
  t[4].data = t[0].data;
  EXPECT_STATUS(ssmrt_layer_forward(s6, t.data(), 5, nullptr, nullptr), SSMRT_INVALID_ARGUMENT,
                "tensor 'y' overlaps tensor 'x'");
  EXPECT_STATUS(ssmrt_layer_forward(s6, t.data(), 3, nullptr, nullptr), SSMRT_INVALID_ARGUMENT,
                "takes 5 tensors (x, dt, B, A, y) but 3 were passed");
  t = s6Tensors(2, 32);
  EXPECT_STATUS(ssmrt_layer_forward(s6, t.data(), 5, nullptr, nullptr), SSMRT_NO_DEVICE,
                "layer 's6' forward was validated but cannot run");
}

TEST_F(Inspect, StepNeedsAStateAndAStepEntry) {
  auto t = s6Tensors(2, 1);
  for (int i : {0, 1, 2, 4}) {  // [batch, dims...] for a step
    t[size_t(i)].rank = 2;
    t[size_t(i)].sizes[1] = t[size_t(i)].sizes[2];
    t[size_t(i)].strides[1] = 1;
  }
  EXPECT_STATUS(ssmrt_layer_step(s6, t.data(), 5, nullptr), SSMRT_INVALID_ARGUMENT, "state is NULL");
  ssmrt_state *state = nullptr;
  ASSERT_EQ(ssmrt_state_create(s6, 2, &state), SSMRT_OK) << lastError();
  EXPECT_STATUS(ssmrt_layer_step(s6, t.data(), 5, state), SSMRT_NO_DEVICE, "layer 's6' step was validated");
  ssmrt_state *wrongBatch = nullptr;
  ASSERT_EQ(ssmrt_state_create(s6, 3, &wrongBatch), SSMRT_OK);
  EXPECT_STATUS(ssmrt_layer_step(s6, t.data(), 5, wrongBatch), SSMRT_INVALID_ARGUMENT,
                "the state has batch 3 but the tensors have batch 2");
  ssmrt_state_release(wrongBatch);
  ssmrt_state_release(state);

  // lti has no step entry.
  ssmrt_state *ltiState = nullptr;
  ASSERT_EQ(ssmrt_state_create(lti, 1, &ltiState), SSMRT_OK);
  ssmrt_tensor io[2] = {};
  for (int i = 0; i < 2; ++i) {
    io[i].data = reinterpret_cast<void *>(uintptr_t(i + 1) << 20);
    io[i].dtype = SSMRT_DTYPE_F32;
    io[i].rank = 2;
    io[i].sizes[0] = 1, io[i].sizes[1] = 8;
    io[i].strides[0] = 8, io[i].strides[1] = 1;
  }
  EXPECT_STATUS(ssmrt_layer_step(lti, io, 2, ltiState), SSMRT_UNSUPPORTED, "layer 'lti' has no step entry");
  ssmrt_state_release(ltiState);
}

TEST_F(Inspect, StatesBelongToOneLayerAndOneBatch) {
  ssmrt_state *a = nullptr, *b = nullptr, *other = nullptr;
  ASSERT_EQ(ssmrt_state_create(s6, 2, &a), SSMRT_OK);
  ASSERT_EQ(ssmrt_state_create(s6, 2, &b), SSMRT_OK);
  ASSERT_EQ(ssmrt_state_create(lti, 2, &other), SSMRT_OK);
  ssmrt_state *none = nullptr;
  EXPECT_STATUS(ssmrt_state_create(s6, 0, &none), SSMRT_INVALID_ARGUMENT, "state batch size is 0");
  EXPECT_EQ(none, nullptr);

  auto t = s6Tensors(2, 32);
  EXPECT_STATUS(ssmrt_layer_forward(s6, t.data(), 5, other, nullptr), SSMRT_INVALID_ARGUMENT,
                "the initial state was created for layer 'lti' but is used with layer 's6'");
  EXPECT_STATUS(ssmrt_layer_forward(s6, t.data(), 5, a, other), SSMRT_INVALID_ARGUMENT,
                "the final state was created for layer 'lti' but is used with layer 's6'");
  EXPECT_STATUS(ssmrt_state_swap(a, other), SSMRT_INVALID_ARGUMENT,
                "the first state is of layer 's6' at batch 2; the second state was created for layer 'lti'");
  // Same layer, same batch: forward is validated (and then finds no device); the same
  // state as initial and final is allowed.
  EXPECT_STATUS(ssmrt_layer_forward(s6, t.data(), 5, a, a), SSMRT_NO_DEVICE, "validated but cannot run");

  // A layer of the same name in another module is still another layer.
  ssmrt_module *m2 = nullptr;
  ASSERT_EQ(ssmrt_module_load_memory(ctx, pack.data(), pack.size(), &m2), SSMRT_OK);
  ssmrt_layer *s6b = nullptr;
  ASSERT_EQ(ssmrt_module_layer_by_name(m2, "s6", &s6b), SSMRT_OK);
  EXPECT_STATUS(ssmrt_layer_forward(s6b, t.data(), 5, a, nullptr), SSMRT_INVALID_ARGUMENT,
                "was created for layer 's6' of module '<memory>' but is used with layer 's6' of module '<memory>'");
  ssmrt_module_release(m2);

  ssmrt_state_release(a);
  ssmrt_state_release(b);
  ssmrt_state_release(other);
}

TEST_F(Inspect, StateSaveRestoreResetSwap) {
  ssmrt_state *a = nullptr, *b = nullptr;
  ASSERT_EQ(ssmrt_state_create(s6, 2, &a), SSMRT_OK);
  ASSERT_EQ(ssmrt_state_create(s6, 2, &b), SSMRT_OK);
  int64_t batch = 0;
  ASSERT_EQ(ssmrt_state_batch(a, &batch), SSMRT_OK);
  EXPECT_EQ(batch, 2);
  size_t bytes = 0;
  ASSERT_EQ(ssmrt_state_byte_size(a, &bytes), SSMRT_OK);
  EXPECT_EQ(bytes, 2u * 1536 * 16 * 4);  // [batch, D, N] f32

  std::vector<unsigned char> zero(bytes, 0xAA), image(bytes), back(bytes);
  ASSERT_EQ(ssmrt_state_save(a, zero.data(), bytes), SSMRT_OK);
  EXPECT_EQ(zero, std::vector<unsigned char>(bytes, 0)) << "a new state is zero";
  for (size_t i = 0; i < bytes; ++i) image[i] = static_cast<unsigned char>(i * 13);
  ASSERT_EQ(ssmrt_state_restore(a, image.data(), bytes), SSMRT_OK);
  ASSERT_EQ(ssmrt_state_save(a, back.data(), bytes), SSMRT_OK);
  EXPECT_EQ(back, image);

  EXPECT_STATUS(ssmrt_state_save(a, back.data(), bytes - 1), SSMRT_INVALID_ARGUMENT,
                "the host buffer is 196607 bytes but the state of layer 's6' at batch 2 is 196608 bytes");
  EXPECT_STATUS(ssmrt_state_restore(a, nullptr, bytes), SSMRT_INVALID_ARGUMENT, "host is NULL");

  ASSERT_EQ(ssmrt_state_swap(a, b), SSMRT_OK);
  ASSERT_EQ(ssmrt_state_save(b, back.data(), bytes), SSMRT_OK);
  EXPECT_EQ(back, image) << "b now holds what a held";
  ASSERT_EQ(ssmrt_state_save(a, back.data(), bytes), SSMRT_OK);
  EXPECT_EQ(back, zero);

  ASSERT_EQ(ssmrt_state_reset(b), SSMRT_OK);
  ASSERT_EQ(ssmrt_state_save(b, back.data(), bytes), SSMRT_OK);
  EXPECT_EQ(back, zero);
  ssmrt_state_release(a);
  ssmrt_state_release(b);
}

TEST(CApi, HandlesMayBeReleasedInAnyOrder) {
  ssmrt_context_options o = SSMRT_CONTEXT_OPTIONS_INIT;
  o.device_ordinal = SSMRT_DEVICE_NONE;
  ssmrt_context *ctx = nullptr;
  ASSERT_EQ(ssmrt_context_create(&o, &ctx), SSMRT_OK);
  std::string pack = ssmrt_test::samplePackBytes();
  ssmrt_module *m = nullptr;
  ASSERT_EQ(ssmrt_module_load_memory(ctx, pack.data(), pack.size(), &m), SSMRT_OK);
  pack.assign(pack.size(), '\0');  // the module copied the bytes
  ssmrt_layer *layer = nullptr;
  ASSERT_EQ(ssmrt_module_layer(m, 1, &layer), SSMRT_OK);
  ssmrt_state *state = nullptr;
  ASSERT_EQ(ssmrt_state_create(layer, 3, &state), SSMRT_OK);
  ssmrt_context_release(ctx);
  ssmrt_module_release(m);
  // The state keeps the module (and so the layer) alive.
  const char *name = nullptr;
  ASSERT_EQ(ssmrt_layer_name(layer, &name), SSMRT_OK);
  EXPECT_STREQ(name, "lti");
  size_t bytes = 0;
  ASSERT_EQ(ssmrt_state_byte_size(state, &bytes), SSMRT_OK);
  EXPECT_EQ(bytes, 3u * 8 * 8);  // [batch, D] c64
  ssmrt_state_release(state);
}
