// Hostile input to every C API entry point, without a GPU (the no-driver path and
// SSMRT_DEVICE_NONE contexts): NULL, released, mistyped and foreign handles; NULL out
// pointers; bad indices, enums, sizes and byte counts; damaged packs. Each call returns a
// status whose message names the problem, writes nothing, and leaves the context usable.
// Also several threads loading, inspecting, validating and releasing at once.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>
#include <cstring>
#include <thread>

#include "sample_pack.h"
#include "ssmrt/ssmrt.h"

namespace {

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

template <class T>
T *fake(uintptr_t v) {
  return reinterpret_cast<T *>(v);
}

class Hostile : public ::testing::Test {
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
    expectUsable();
    ssmrt_module_release(module);
    ssmrt_context_release(ctx);
  }

  // The context and module still work after whatever the test did to them.
  void expectUsable() {
    ssmrt_module *m = nullptr;
    ASSERT_EQ(ssmrt_module_load_memory(ctx, pack.data(), pack.size(), &m), SSMRT_OK) << lastError();
    ssmrt_layer *l = nullptr;
    ASSERT_EQ(ssmrt_module_layer(m, 0, &l), SSMRT_OK) << lastError();
    ssmrt_state *st = nullptr;
    ASSERT_EQ(ssmrt_state_create(l, 2, &st), SSMRT_OK) << lastError();
    auto t = s6Tensors(2, 4);
    EXPECT_EQ(ssmrt_layer_forward(l, t.data(), 5, st, st), SSMRT_NO_DEVICE) << lastError();
    ssmrt_state_release(st);
    ssmrt_module_release(m);
    if (module) {
      int32_t n = 0;
      EXPECT_EQ(ssmrt_module_layer_count(module, &n), SSMRT_OK);
      EXPECT_EQ(n, 2);
    }
  }

  std::vector<ssmrt_tensor> s6Tensors(int64_t batch, int64_t seqlen) {
    std::vector<ssmrt_tensor> t;
    const int64_t last[5] = {1536, 1536, 16, 0, 1536};
    const ssmrt_dtype dt[5] = {SSMRT_DTYPE_BF16, SSMRT_DTYPE_BF16, SSMRT_DTYPE_BF16, SSMRT_DTYPE_F32,
                               SSMRT_DTYPE_BF16};
    for (int i = 0; i < 5; ++i) {
      ssmrt_tensor x{};
      x.data = reinterpret_cast<void *>(uintptr_t(i + 1) << 36);
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

TEST_F(Hostile, ReleasedStateIsAStatusOnEveryEntryPoint) {
  ssmrt_state *st = nullptr, *other = nullptr;
  ASSERT_EQ(ssmrt_state_create(s6, 2, &st), SSMRT_OK);
  ASSERT_EQ(ssmrt_state_create(s6, 2, &other), SSMRT_OK);
  ssmrt_state_release(st);
  ssmrt_state_release(st);  // twice: a no-op
  int64_t batch = -7;
  size_t bytes = 99;
  unsigned char buf[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  const char *why = "ssmrt_state handle that was already released";
  EXPECT_STATUS(ssmrt_state_batch(st, &batch), SSMRT_INVALID_ARGUMENT, "ssmrt_state_batch: state is an " + std::string(why));
  EXPECT_EQ(batch, -7);
  EXPECT_STATUS(ssmrt_state_byte_size(st, &bytes), SSMRT_INVALID_ARGUMENT, why);
  EXPECT_EQ(bytes, 99u);
  EXPECT_STATUS(ssmrt_state_save(st, buf, 8), SSMRT_INVALID_ARGUMENT, why);
  EXPECT_EQ(buf[0], 1);
  EXPECT_STATUS(ssmrt_state_restore(st, buf, 8), SSMRT_INVALID_ARGUMENT, why);
  EXPECT_STATUS(ssmrt_state_reset(st), SSMRT_INVALID_ARGUMENT, why);
  EXPECT_STATUS(ssmrt_state_swap(st, other), SSMRT_INVALID_ARGUMENT, "ssmrt_state_swap: a is an " + std::string(why));
  EXPECT_STATUS(ssmrt_state_swap(other, st), SSMRT_INVALID_ARGUMENT, "ssmrt_state_swap: b is an " + std::string(why));
  auto t = s6Tensors(2, 4);
  EXPECT_STATUS(ssmrt_layer_forward(s6, t.data(), 5, st, nullptr), SSMRT_INVALID_ARGUMENT,
                "ssmrt_layer_forward: initial is an " + std::string(why));
  EXPECT_STATUS(ssmrt_layer_forward(s6, t.data(), 5, nullptr, st), SSMRT_INVALID_ARGUMENT,
                "ssmrt_layer_forward: final_state is an " + std::string(why));
  EXPECT_STATUS(ssmrt_layer_step(s6, t.data(), 5, st), SSMRT_INVALID_ARGUMENT, "ssmrt_layer_step: state is an");
  // The other state was not disturbed, and a new state does not revive the old handle.
  ssmrt_state *fresh = nullptr;
  ASSERT_EQ(ssmrt_state_create(s6, 2, &fresh), SSMRT_OK);
  EXPECT_NE(fresh, st) << "a released handle's value is never handed out again";
  EXPECT_STATUS(ssmrt_state_batch(st, &batch), SSMRT_INVALID_ARGUMENT, why);
  EXPECT_EQ(ssmrt_state_swap(other, fresh), SSMRT_OK);
  ssmrt_state_release(fresh);
  ssmrt_state_release(other);
}

TEST_F(Hostile, ReleasedModuleAndItsLayers) {
  ssmrt_module *m = nullptr;
  ASSERT_EQ(ssmrt_module_load_memory(ctx, pack.data(), pack.size(), &m), SSMRT_OK);
  ssmrt_layer *l = nullptr;
  ASSERT_EQ(ssmrt_module_layer(m, 0, &l), SSMRT_OK);
  ssmrt_module_release(m);
  ssmrt_module_release(m);
  int32_t n = -3;
  ssmrt_layer *out = fake<ssmrt_layer>(0x5);
  const char *why = "ssmrt_module handle that was already released";
  EXPECT_STATUS(ssmrt_module_layer_count(m, &n), SSMRT_INVALID_ARGUMENT, why);
  EXPECT_EQ(n, -3);
  EXPECT_STATUS(ssmrt_module_layer(m, 0, &out), SSMRT_INVALID_ARGUMENT, why);
  EXPECT_EQ(out, nullptr) << "out handles are set to NULL on failure";
  EXPECT_STATUS(ssmrt_module_layer_by_name(m, "s6", &out), SSMRT_INVALID_ARGUMENT, why);
  EXPECT_STATUS(ssmrt_module_prepare(m), SSMRT_INVALID_ARGUMENT, why);
  // Its layer handles died with it.
  const char *name = "unchanged";
  const char *layerWhy = "ssmrt_layer handle whose module was released";
  EXPECT_STATUS(ssmrt_layer_name(l, &name), SSMRT_INVALID_ARGUMENT, "ssmrt_layer_name: layer is an " + std::string(layerWhy));
  EXPECT_STREQ(name, "unchanged");
  ssmrt_tensor_info info;
  std::memset(&info, 0x5A, sizeof info);
  EXPECT_STATUS(ssmrt_layer_tensor_info(l, 0, &info), SSMRT_INVALID_ARGUMENT, layerWhy);
  EXPECT_EQ(info.dim_count, 0x5A5A5A5A);
  ssmrt_state *st = fake<ssmrt_state>(0x9);
  EXPECT_STATUS(ssmrt_state_create(l, 1, &st), SSMRT_INVALID_ARGUMENT, layerWhy);
  EXPECT_EQ(st, nullptr);
  auto t = s6Tensors(1, 1);
  EXPECT_STATUS(ssmrt_layer_forward(l, t.data(), 5, nullptr, nullptr), SSMRT_INVALID_ARGUMENT, layerWhy);
}

TEST_F(Hostile, LayerOutlivesItsModuleWhileAStateHoldsIt) {
  ssmrt_module *m = nullptr;
  ASSERT_EQ(ssmrt_module_load_memory(ctx, pack.data(), pack.size(), &m), SSMRT_OK);
  ssmrt_layer *l = nullptr;
  ASSERT_EQ(ssmrt_module_layer(m, 1, &l), SSMRT_OK);
  ssmrt_state *st = nullptr;
  ASSERT_EQ(ssmrt_state_create(l, 1, &st), SSMRT_OK);
  ssmrt_module_release(m);
  const char *name = nullptr;
  ASSERT_EQ(ssmrt_layer_name(l, &name), SSMRT_OK) << lastError();
  EXPECT_STREQ(name, "lti");
  ssmrt_state_release(st);  // the module ends here, and the layer with it
  EXPECT_STATUS(ssmrt_layer_name(l, &name), SSMRT_INVALID_ARGUMENT, "whose module was released");
}

TEST_F(Hostile, ReleasedContext) {
  ssmrt_context_options o = SSMRT_CONTEXT_OPTIONS_INIT;
  o.device_ordinal = SSMRT_DEVICE_NONE;
  ssmrt_context *c = nullptr;
  ASSERT_EQ(ssmrt_context_create(&o, &c), SSMRT_OK);
  ssmrt_module *m = nullptr;
  ASSERT_EQ(ssmrt_module_load_memory(c, pack.data(), pack.size(), &m), SSMRT_OK);
  ssmrt_context_release(c);
  ssmrt_context_release(c);
  const char *why = "ssmrt_context handle that was already released";
  ssmrt_module *m2 = fake<ssmrt_module>(0x77);
  EXPECT_STATUS(ssmrt_module_load_memory(c, pack.data(), pack.size(), &m2), SSMRT_INVALID_ARGUMENT,
                "ssmrt_module_load_memory: ctx is an " + std::string(why));
  EXPECT_EQ(m2, nullptr);
  EXPECT_STATUS(ssmrt_module_load_file(c, "x.ssmpack", &m2), SSMRT_INVALID_ARGUMENT, why);
  ssmrt_device_info info;
  EXPECT_STATUS(ssmrt_context_device_info(c, &info), SSMRT_INVALID_ARGUMENT, why);
  EXPECT_STATUS(ssmrt_context_synchronize(c), SSMRT_INVALID_ARGUMENT, why);
  // The module keeps the context's object alive and still works.
  int32_t n = 0;
  EXPECT_EQ(ssmrt_module_layer_count(m, &n), SSMRT_OK);
  ssmrt_module_release(m);
}

TEST_F(Hostile, HandlesOfAnotherKindAreNamed) {
  ssmrt_state *st = nullptr;
  ASSERT_EQ(ssmrt_state_create(s6, 1, &st), SSMRT_OK);
  int32_t n = 0;
  EXPECT_STATUS(ssmrt_module_layer_count(reinterpret_cast<ssmrt_module *>(st), &n), SSMRT_INVALID_ARGUMENT,
                "ssmrt_module_layer_count: module is an ssmrt_state handle where an ssmrt_module is expected");
  EXPECT_STATUS(ssmrt_layer_dim_count(reinterpret_cast<ssmrt_layer *>(module), &n), SSMRT_INVALID_ARGUMENT,
                "layer is an ssmrt_module handle where an ssmrt_layer is expected");
  EXPECT_STATUS(ssmrt_state_reset(reinterpret_cast<ssmrt_state *>(s6)), SSMRT_INVALID_ARGUMENT,
                "state is an ssmrt_layer handle where an ssmrt_state is expected");
  EXPECT_STATUS(ssmrt_context_synchronize(reinterpret_cast<ssmrt_context *>(module)), SSMRT_INVALID_ARGUMENT,
                "ctx is an ssmrt_module handle where an ssmrt_context is expected");
  ssmrt_module *m = nullptr;
  EXPECT_STATUS(ssmrt_module_load_memory(reinterpret_cast<ssmrt_context *>(st), pack.data(), pack.size(), &m),
                SSMRT_INVALID_ARGUMENT, "ctx is an ssmrt_state handle");
  // Releasing through the wrong function does nothing.
  ssmrt_module_release(reinterpret_cast<ssmrt_module *>(st));
  ssmrt_context_release(reinterpret_cast<ssmrt_context *>(module));
  ssmrt_state_release(reinterpret_cast<ssmrt_state *>(s6));
  int64_t batch = 0;
  EXPECT_EQ(ssmrt_state_batch(st, &batch), SSMRT_OK);
  EXPECT_EQ(ssmrt_module_layer_count(module, &n), SSMRT_OK);
  ssmrt_state_release(st);
}

TEST_F(Hostile, ForeignPointersAreNotHandles) {
  int local = 0;
  std::vector<ssmrt_module *> bogus = {fake<ssmrt_module>(0x1), fake<ssmrt_module>(0x10),
                                       reinterpret_cast<ssmrt_module *>(&local),
                                       fake<ssmrt_module>(~uintptr_t(0)),
                                       fake<ssmrt_module>(reinterpret_cast<uintptr_t>(module) + 8),
                                       fake<ssmrt_module>(reinterpret_cast<uintptr_t>(module) + (uintptr_t(1) << 40))};
  for (ssmrt_module *b : bogus) {
    int32_t n = -1;
    EXPECT_EQ(ssmrt_module_layer_count(b, &n), SSMRT_INVALID_ARGUMENT) << b;
    EXPECT_EQ(n, -1);
    EXPECT_TRUE(contains(lastError(), "module is not an ssmrt_module handle") ||
                contains(lastError(), "where an ssmrt_module is expected"))
        << lastError();
    ssmrt_module_release(b);  // never crashes, never frees anything
  }
  EXPECT_STATUS(ssmrt_state_reset(fake<ssmrt_state>(0xdeadbeef)), SSMRT_INVALID_ARGUMENT,
                "state is not an ssmrt_state handle");
  EXPECT_STATUS(ssmrt_layer_name(fake<ssmrt_layer>(0x12345678), nullptr), SSMRT_INVALID_ARGUMENT,
                "layer is not an ssmrt_layer handle");
}

TEST_F(Hostile, NullOutPointersAreNamedAndNothingIsWritten) {
  ssmrt_state *st = nullptr;
  ASSERT_EQ(ssmrt_state_create(s6, 1, &st), SSMRT_OK);
  const char *s = nullptr;
  int32_t n = 0;
  int64_t v = 0;
  EXPECT_STATUS(ssmrt_context_device_info(ctx, nullptr), SSMRT_INVALID_ARGUMENT, "out_info is NULL");
  EXPECT_STATUS(ssmrt_module_load_memory(ctx, pack.data(), pack.size(), nullptr), SSMRT_INVALID_ARGUMENT,
                "out_module is NULL");
  EXPECT_STATUS(ssmrt_module_load_file(ctx, nullptr, nullptr), SSMRT_INVALID_ARGUMENT, "out_module is NULL");
  ssmrt_module *m = fake<ssmrt_module>(0x3);
  EXPECT_STATUS(ssmrt_module_load_file(ctx, nullptr, &m), SSMRT_INVALID_ARGUMENT, "ssmrt_module_load_file: path is NULL");
  EXPECT_EQ(m, nullptr);
  EXPECT_STATUS(ssmrt_module_load_memory(ctx, nullptr, 10, &m), SSMRT_INVALID_ARGUMENT,
                "ssmrt_module_load_memory: data is NULL");
  EXPECT_STATUS(ssmrt_module_layer_count(module, nullptr), SSMRT_INVALID_ARGUMENT, "out_count is NULL");
  EXPECT_STATUS(ssmrt_module_layer(module, 0, nullptr), SSMRT_INVALID_ARGUMENT, "out_layer is NULL");
  EXPECT_STATUS(ssmrt_module_layer_by_name(module, nullptr, &s6), SSMRT_INVALID_ARGUMENT, "name is NULL");
  EXPECT_EQ(s6, nullptr) << "out_layer cleared";
  ASSERT_EQ(ssmrt_module_layer_by_name(module, "s6", &s6), SSMRT_OK);
  EXPECT_STATUS(ssmrt_layer_name(s6, nullptr), SSMRT_INVALID_ARGUMENT, "out_name is NULL");
  EXPECT_STATUS(ssmrt_layer_source_location(s6, &s, &n, nullptr), SSMRT_INVALID_ARGUMENT, "out_col is NULL");
  EXPECT_STATUS(ssmrt_layer_source_location(s6, nullptr, &n, &n), SSMRT_INVALID_ARGUMENT, "out_file is NULL");
  EXPECT_STATUS(ssmrt_layer_dim_count(s6, nullptr), SSMRT_INVALID_ARGUMENT, "out_count is NULL");
  EXPECT_STATUS(ssmrt_layer_dim(s6, 0, nullptr, &v), SSMRT_INVALID_ARGUMENT, "out_name is NULL");
  EXPECT_STATUS(ssmrt_layer_dim(s6, 0, &s, nullptr), SSMRT_INVALID_ARGUMENT, "out_value is NULL");
  EXPECT_STATUS(ssmrt_layer_tensor_count(s6, nullptr), SSMRT_INVALID_ARGUMENT, "out_count is NULL");
  EXPECT_STATUS(ssmrt_layer_tensor_info(s6, 0, nullptr), SSMRT_INVALID_ARGUMENT, "out_info is NULL");
  EXPECT_STATUS(ssmrt_layer_state_count(s6, nullptr), SSMRT_INVALID_ARGUMENT, "out_count is NULL");
  EXPECT_STATUS(ssmrt_layer_state_info(s6, 0, nullptr), SSMRT_INVALID_ARGUMENT, "out_info is NULL");
  EXPECT_STATUS(ssmrt_layer_has_entry(s6, SSMRT_ENTRY_FORWARD, nullptr), SSMRT_INVALID_ARGUMENT, "out_has is NULL");
  EXPECT_STATUS(ssmrt_state_create(s6, 1, nullptr), SSMRT_INVALID_ARGUMENT, "out_state is NULL");
  EXPECT_STATUS(ssmrt_state_batch(st, nullptr), SSMRT_INVALID_ARGUMENT, "out_batch is NULL");
  EXPECT_STATUS(ssmrt_state_byte_size(st, nullptr), SSMRT_INVALID_ARGUMENT, "out_bytes is NULL");
  EXPECT_STATUS(ssmrt_state_save(st, nullptr, 1), SSMRT_INVALID_ARGUMENT, "host is NULL");
  EXPECT_STATUS(ssmrt_state_swap(st, nullptr), SSMRT_INVALID_ARGUMENT, "b is NULL");
  auto t = s6Tensors(1, 1);
  EXPECT_STATUS(ssmrt_layer_forward(s6, nullptr, 5, nullptr, nullptr), SSMRT_INVALID_ARGUMENT, "tensors is NULL");
  ssmrt_state_release(st);
}

TEST_F(Hostile, IndicesAndEnumsOutOfRange) {
  const char *name = "unchanged";
  int64_t value = -9;
  for (int32_t bad : {-1, 2, INT32_MIN, INT32_MAX}) {
    EXPECT_STATUS(ssmrt_layer_dim(s6, bad, &name, &value), SSMRT_INVALID_ARGUMENT,
                  "dim index " + std::to_string(bad) + " is out of range (the layer has 2)");
    ssmrt_layer *l = fake<ssmrt_layer>(0x4);
    EXPECT_STATUS(ssmrt_module_layer(module, bad, &l), SSMRT_INVALID_ARGUMENT, "is out of range");
    EXPECT_EQ(l, nullptr);
  }
  EXPECT_STREQ(name, "unchanged");
  EXPECT_EQ(value, -9);
  ssmrt_tensor_info info{};
  info.dim_count = 1234;
  EXPECT_STATUS(ssmrt_layer_tensor_info(s6, 5, &info), SSMRT_INVALID_ARGUMENT, "tensor index 5 is out of range");
  EXPECT_STATUS(ssmrt_layer_state_info(s6, 1, &info), SSMRT_INVALID_ARGUMENT, "state index 1 is out of range");
  EXPECT_EQ(info.dim_count, 1234);
  int32_t has = 7;
  EXPECT_STATUS(ssmrt_layer_has_entry(s6, static_cast<ssmrt_entry>(2), &has), SSMRT_INVALID_ARGUMENT,
                "entry 2 is not an ssmrt_entry");
  EXPECT_STATUS(ssmrt_layer_has_entry(s6, static_cast<ssmrt_entry>(-1), &has), SSMRT_INVALID_ARGUMENT,
                "entry -1 is not an ssmrt_entry");
  EXPECT_EQ(has, 7);
  ssmrt_layer *l = nullptr;
  EXPECT_STATUS(ssmrt_module_layer_by_name(module, "", &l), SSMRT_NOT_FOUND, "has no layer ''");
  const std::string huge(100000, 'q');
  EXPECT_STATUS(ssmrt_module_layer_by_name(module, huge.c_str(), &l), SSMRT_NOT_FOUND, "has no layer 'qqqq");
  EXPECT_EQ(ssmrt_dtype_size(static_cast<ssmrt_dtype>(-1)), 0u);
  EXPECT_STREQ(ssmrt_dtype_name(static_cast<ssmrt_dtype>(4)), "invalid");
  EXPECT_STREQ(ssmrt_status_string(static_cast<ssmrt_status>(-1)), "SSMRT_UNKNOWN_STATUS");
}

TEST_F(Hostile, StateSizesAndByteCounts) {
  ssmrt_state *st = fake<ssmrt_state>(0x8);
  for (int64_t bad : {int64_t(0), int64_t(-1), INT64_MIN}) {
    EXPECT_STATUS(ssmrt_state_create(s6, bad, &st), SSMRT_INVALID_ARGUMENT,
                  "state batch size is " + std::to_string(bad) + "; it must be >= 1");
    EXPECT_EQ(st, nullptr);
  }
  // 4 bytes * batch * 1536 * 16 overflows 64 bits.
  EXPECT_STATUS(ssmrt_state_create(s6, INT64_MAX, &st), SSMRT_INVALID_ARGUMENT,
                "state 'h' of layer 's6' at batch 9223372036854775807 is too large to address");
  EXPECT_STATUS(ssmrt_state_create(s6, int64_t(1) << 46, &st), SSMRT_INVALID_ARGUMENT, "too large to address");
  // Large but addressable: created (the device-less context allocates nothing until a
  // restore), and its byte size is exact.
  ASSERT_EQ(ssmrt_state_create(s6, int64_t(1) << 30, &st), SSMRT_OK) << lastError();
  size_t bytes = 0;
  ASSERT_EQ(ssmrt_state_byte_size(st, &bytes), SSMRT_OK);
  EXPECT_EQ(bytes, (size_t(1) << 30) * 1536 * 16 * 4);
  unsigned char small[16];
  std::memset(small, 0xEE, sizeof small);
  EXPECT_STATUS(ssmrt_state_save(st, small, sizeof small), SSMRT_INVALID_ARGUMENT,
                "the host buffer is 16 bytes but the state of layer 's6' at batch 1073741824 is 105553116266496 bytes");
  EXPECT_EQ(small[0], 0xEE) << "nothing written";
  EXPECT_STATUS(ssmrt_state_restore(st, small, SIZE_MAX), SSMRT_INVALID_ARGUMENT, "the host buffer is 18446744073709551615 bytes");
  ssmrt_state_release(st);

  // Swapping with a state of another batch size or layer changes nothing.
  ssmrt_state *a = nullptr, *b = nullptr;
  ASSERT_EQ(ssmrt_state_create(s6, 1, &a), SSMRT_OK);
  ASSERT_EQ(ssmrt_state_create(s6, 2, &b), SSMRT_OK);
  std::vector<unsigned char> image(1536 * 16 * 4, 3);
  ASSERT_EQ(ssmrt_state_restore(a, image.data(), image.size()), SSMRT_OK);
  EXPECT_STATUS(ssmrt_state_swap(a, b), SSMRT_INVALID_ARGUMENT, "the second state has batch 2 but the tensors have batch 1");
  std::vector<unsigned char> back(image.size());
  ASSERT_EQ(ssmrt_state_save(a, back.data(), back.size()), SSMRT_OK);
  EXPECT_EQ(back, image);
  EXPECT_EQ(ssmrt_state_swap(a, a), SSMRT_OK) << "swapping a state with itself is harmless";
  ASSERT_EQ(ssmrt_state_save(a, back.data(), back.size()), SSMRT_OK);
  EXPECT_EQ(back, image);
  ssmrt_state_release(a);
  ssmrt_state_release(b);
}

TEST_F(Hostile, HostileTensorsThroughTheCApi) {
  ssmrt_state *st = nullptr;
  ASSERT_EQ(ssmrt_state_create(s6, 2, &st), SSMRT_OK);
  auto t = s6Tensors(2, 4);
  t[0].dtype = SSMRT_DTYPE_F16;
  EXPECT_STATUS(ssmrt_layer_forward(s6, t.data(), 5, st, st), SSMRT_INVALID_ARGUMENT,
                "layer 's6' forward: tensor 'x': dtype is f16 but the layer was compiled with bf16");
  t = s6Tensors(2, 4);
  t[3].dtype = static_cast<ssmrt_dtype>(-5);
  EXPECT_STATUS(ssmrt_layer_forward(s6, t.data(), 5, st, st), SSMRT_INVALID_ARGUMENT, "dtype -5 is not an ssmrt_dtype");
  t = s6Tensors(2, 4);
  t[4].rank = SSMRT_MAX_RANK + 1;
  EXPECT_STATUS(ssmrt_layer_forward(s6, t.data(), 5, st, st), SSMRT_INVALID_ARGUMENT, "tensor 'y': rank is 9");
  t = s6Tensors(2, 4);
  t[1].sizes[1] = -4;
  EXPECT_STATUS(ssmrt_layer_forward(s6, t.data(), 5, st, st), SSMRT_INVALID_ARGUMENT, "tensor 'dt': seqlen is -4");
  t = s6Tensors(2, 4);
  t[2].strides[0] = INT64_MAX;
  EXPECT_STATUS(ssmrt_layer_forward(s6, t.data(), 5, st, st), SSMRT_INVALID_ARGUMENT,
                "tensor 'B': its byte extent (from its sizes and strides) overflows 64 bits");
  t = s6Tensors(2, 4);
  t[4].strides[2] = 0;
  EXPECT_STATUS(ssmrt_layer_forward(s6, t.data(), 5, st, st), SSMRT_INVALID_ARGUMENT,
                "tensor 'y': stride of D is 0 with size 1536: an output's elements must not alias");
  t = s6Tensors(2, 4);
  t[4].data = static_cast<char *>(t[1].data) + 64;  // y inside dt
  EXPECT_STATUS(ssmrt_layer_forward(s6, t.data(), 5, st, st), SSMRT_INVALID_ARGUMENT, "tensor 'y' overlaps tensor 'dt'");
  t = s6Tensors(2, 4);
  t[4].data = static_cast<char *>(t[4].data) + 1;
  EXPECT_STATUS(ssmrt_layer_forward(s6, t.data(), 5, st, st), SSMRT_INVALID_ARGUMENT, "is not aligned to its 2-byte");
  t = s6Tensors(2, 4);
  EXPECT_STATUS(ssmrt_layer_forward(s6, t.data(), -1, st, st), SSMRT_INVALID_ARGUMENT, "but -1 were passed");
  EXPECT_STATUS(ssmrt_layer_forward(s6, t.data(), INT32_MAX, st, st), SSMRT_INVALID_ARGUMENT,
                "but 2147483647 were passed");
  // A state of another layer, as initial, final or step state.
  ssmrt_state *ltiState = nullptr;
  ASSERT_EQ(ssmrt_state_create(lti, 2, &ltiState), SSMRT_OK);
  EXPECT_STATUS(ssmrt_layer_forward(s6, t.data(), 5, ltiState, st), SSMRT_INVALID_ARGUMENT,
                "the initial state was created for layer 'lti' but is used with layer 's6'");
  auto step = s6Tensors(2, 1);
  for (int i : {0, 1, 2, 4}) {
    step[size_t(i)].rank = 2;
    step[size_t(i)].sizes[1] = step[size_t(i)].sizes[2];
    step[size_t(i)].strides[1] = 1;
  }
  EXPECT_STATUS(ssmrt_layer_step(s6, step.data(), 5, ltiState), SSMRT_INVALID_ARGUMENT,
                "the state was created for layer 'lti' but is used with layer 's6'");
  // The state itself was not touched by any of this.
  size_t bytes = 0;
  ASSERT_EQ(ssmrt_state_byte_size(st, &bytes), SSMRT_OK);
  std::vector<unsigned char> back(bytes, 1);
  ASSERT_EQ(ssmrt_state_save(st, back.data(), bytes), SSMRT_OK);
  EXPECT_EQ(back, std::vector<unsigned char>(bytes, 0));
  ssmrt_state_release(ltiState);
  ssmrt_state_release(st);
}

TEST_F(Hostile, DamagedPacksLeaveNothingBehind) {
  // Every truncation and a bit flip in every 7th byte: a FORMAT_ERROR that names the check,
  // no module handle, and the context goes on loading good packs.
  for (size_t cut = 0; cut < pack.size(); cut += 5) {
    ssmrt_module *m = fake<ssmrt_module>(0x2);
    ASSERT_EQ(ssmrt_module_load_memory(ctx, pack.data(), cut, &m), SSMRT_FORMAT_ERROR) << "cut at " << cut;
    EXPECT_TRUE(contains(lastError(), "module '<memory>': ")) << lastError();
    ASSERT_EQ(m, nullptr);
  }
  for (size_t at = 0; at < pack.size(); at += 7) {
    std::string bad = pack;
    bad[at] = char(bad[at] ^ (1 << (at % 8)));
    ssmrt_module *m = fake<ssmrt_module>(0x2);
    ssmrt_status s = ssmrt_module_load_memory(ctx, bad.data(), bad.size(), &m);
    ASSERT_EQ(s, SSMRT_FORMAT_ERROR) << "flip at " << at << ": " << lastError();
    ASSERT_EQ(m, nullptr);
  }
  // From a newer format version, and a manifest from a newer version.
  std::string newer = pack;
  newer[8] = 2;
  ssmrt_module *m = nullptr;
  EXPECT_STATUS(ssmrt_module_load_memory(ctx, newer.data(), newer.size(), &m), SSMRT_FORMAT_ERROR,
                "format version 2 is newer than this runtime reads (1)");
  newer[8] = char(0xff), newer[9] = char(0xff), newer[10] = char(0xff), newer[11] = char(0xff);
  EXPECT_STATUS(ssmrt_module_load_memory(ctx, newer.data(), newer.size(), &m), SSMRT_FORMAT_ERROR,
                "format version 4294967295 is newer");
  std::vector<ssmrt::PackEntry> entries = ssmrt_test::sampleEntries();
  entries[0].bytes.replace(entries[0].bytes.find("\"version\": 1"), 12, "\"version\": 2");
  std::string bytes;
  ASSERT_TRUE(ssmrt::writePack(entries, &bytes));
  EXPECT_STATUS(ssmrt_module_load_memory(ctx, bytes.data(), bytes.size(), &m), SSMRT_FORMAT_ERROR,
                "manifest: version 2 is newer than this runtime reads (1)");
  // For another GPU architecture only: it loads (layers can be inspected), and running needs
  // a device, which this context does not have.
  entries = ssmrt_test::sampleEntries();
  entries.erase(entries.begin() + 1, entries.end());
  entries.push_back({"cubin.sm_100a", "x"});
  ASSERT_TRUE(ssmrt::writePack(entries, &bytes));
  ASSERT_EQ(ssmrt_module_load_memory(ctx, bytes.data(), bytes.size(), &m), SSMRT_OK) << lastError();
  EXPECT_STATUS(ssmrt_module_prepare(m), SSMRT_NO_DEVICE, "the context has no device");
  ssmrt_module_release(m);
  // A directory, and a file that is not a pack.
  ssmrt_test::ScratchDir dir;
  EXPECT_STATUS(ssmrt_module_load_file(ctx, dir.path().c_str(), &m), SSMRT_INVALID_ARGUMENT, "not a regular file");
  EXPECT_EQ(m, nullptr);
  // A device that never ends, and a FIFO nobody writes: refused, not read forever.
  EXPECT_STATUS(ssmrt_module_load_file(ctx, "/dev/zero", &m), SSMRT_INVALID_ARGUMENT,
                "cannot read '/dev/zero': not a regular file");
  const std::string fifo = dir.path() + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_STATUS(ssmrt_module_load_file(ctx, fifo.c_str(), &m), SSMRT_INVALID_ARGUMENT, "not a regular file");
  const std::string text = dir.path() + "/text.ssmpack";
  { std::ofstream(text) << "this is not a pack, but long enough to have a header"; }
  EXPECT_STATUS(ssmrt_module_load_file(ctx, text.c_str(), &m), SSMRT_FORMAT_ERROR, "bad magic");
}

TEST(HostileNoDriver, EveryDeviceContextFailsCleanly) {
  ssmrt_context_options o = SSMRT_CONTEXT_OPTIONS_INIT;
  for (int32_t ordinal : {0, 1, 1000, INT32_MAX}) {
    o.device_ordinal = ordinal;
    ssmrt_context *c = fake<ssmrt_context>(0x1);
    EXPECT_STATUS(ssmrt_context_create(&o, &c), SSMRT_NO_DRIVER, "no CUDA driver found (/nonexistent/libcuda.so.1)");
    EXPECT_EQ(c, nullptr);
  }
  for (int32_t ordinal : {-2, INT32_MIN}) {
    o.device_ordinal = ordinal;
    ssmrt_context *c = fake<ssmrt_context>(0x1);
    EXPECT_STATUS(ssmrt_context_create(&o, &c), SSMRT_INVALID_ARGUMENT, "is negative");
    EXPECT_EQ(c, nullptr);
  }
  o = SSMRT_CONTEXT_OPTIONS_INIT;
  o.struct_size = 0;
  ssmrt_context *c = nullptr;
  EXPECT_STATUS(ssmrt_context_create(&o, &c), SSMRT_INVALID_ARGUMENT, "options->struct_size is 0");
  // A larger struct from a newer header is accepted (the library reads its own fields only).
  struct Bigger {
    ssmrt_context_options base;
    uint64_t extra[4];
  } big{};
  big.base = SSMRT_CONTEXT_OPTIONS_INIT;
  big.base.struct_size = sizeof big;
  big.base.device_ordinal = SSMRT_DEVICE_NONE;
  ASSERT_EQ(ssmrt_context_create(&big.base, &c), SSMRT_OK) << lastError();
  ssmrt_context_release(c);
}

// Several threads load one pack, inspect it, create states and validate calls at once; a
// thread that releases handles while others use them makes those calls fail cleanly.
TEST(HostileConcurrency, ThreadsLoadInspectAndValidateTogether) {
  ssmrt_context_options o = SSMRT_CONTEXT_OPTIONS_INIT;
  o.device_ordinal = SSMRT_DEVICE_NONE;
  o.cache_dir = "";
  ssmrt_context *ctx = nullptr;
  ASSERT_EQ(ssmrt_context_create(&o, &ctx), SSMRT_OK);
  const std::string pack = ssmrt_test::samplePackBytes();
  ssmrt_module *shared = nullptr;
  ASSERT_EQ(ssmrt_module_load_memory(ctx, pack.data(), pack.size(), &shared), SSMRT_OK);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        ssmrt_module *m = nullptr;
        if (ssmrt_module_load_memory(ctx, pack.data(), pack.size(), &m) != SSMRT_OK) ++failures;
        ssmrt_layer *l = nullptr, *ls = nullptr;
        const char *name = nullptr;
        if (ssmrt_module_layer(m, t % 2, &l) != SSMRT_OK || ssmrt_layer_name(l, &name) != SSMRT_OK ||
            std::string(name) != (t % 2 ? "lti" : "s6"))
          ++failures;
        if (ssmrt_module_layer(shared, 0, &ls) != SSMRT_OK) ++failures;
        ssmrt_state *st = nullptr;
        if (ssmrt_state_create(ls, 1 + t, &st) != SSMRT_OK) ++failures;
        int64_t b = 0;
        if (ssmrt_state_batch(st, &b) != SSMRT_OK || b != 1 + t) ++failures;
        ssmrt_tensor bad[5] = {};
        if (ssmrt_layer_forward(ls, bad, 5, st, st) != SSMRT_INVALID_ARGUMENT ||
            std::string(ssmrt_last_error()).find("tensor 'x': data is NULL") == std::string::npos)
          ++failures;
        ssmrt_state_release(st);
        ssmrt_module_release(m);
      }
    });
  for (auto &th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);

  // Use while another thread releases: every call either works or says "released".
  for (int round = 0; round < 20; ++round) {
    ssmrt_module *m = nullptr;
    ASSERT_EQ(ssmrt_module_load_memory(ctx, pack.data(), pack.size(), &m), SSMRT_OK);
    ssmrt_layer *l = nullptr;
    ASSERT_EQ(ssmrt_module_layer(m, 0, &l), SSMRT_OK);
    std::atomic<bool> go{false};
    std::atomic<int> bad{0};
    std::vector<std::thread> users;
    for (int t = 0; t < 4; ++t)
      users.emplace_back([&] {
        while (!go) std::this_thread::yield();
        for (int i = 0; i < 200; ++i) {
          int32_t n = 0;
          ssmrt_status s1 = ssmrt_module_layer_count(m, &n);
          ssmrt_state *st = nullptr;
          ssmrt_status s2 = ssmrt_state_create(l, 1, &st);
          if ((s1 != SSMRT_OK && s1 != SSMRT_INVALID_ARGUMENT) || (s2 != SSMRT_OK && s2 != SSMRT_INVALID_ARGUMENT))
            ++bad;
          if (s1 == SSMRT_OK && n != 2) ++bad;
          ssmrt_state_release(st);
        }
      });
    go = true;
    ssmrt_module_release(m);
    for (auto &u : users) u.join();
    EXPECT_EQ(bad.load(), 0);
    int32_t n = 0;
    EXPECT_EQ(ssmrt_module_layer_count(m, &n), SSMRT_INVALID_ARGUMENT);
    EXPECT_EQ(ssmrt_layer_name(l, nullptr), SSMRT_INVALID_ARGUMENT);
  }
  ssmrt_module_release(shared);
  ssmrt_context_release(ctx);
}
