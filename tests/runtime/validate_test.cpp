// Tensor validation against a manifest layer, without a GPU: each rule and its message.
#include <gtest/gtest.h>

#include "sample_pack.h"
#include "validate.h"

using namespace ssmrt;

namespace {

ssmrt_tensor contiguous(uintptr_t address, ssmrt_dtype dtype, std::vector<int64_t> sizes) {
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

class Validate : public ::testing::Test {
 protected:
  Validate() : manifest(ssmrt_test::sampleManifest()), layer(manifest.layers[0]) {}

  // Valid forward tensors of layer s6 at batch 8, seqlen 64; each 256 MiB apart.
  std::vector<ssmrt_tensor> forwardTensors(int64_t batch = 8, int64_t seqlen = 64) {
    const uintptr_t gap = uintptr_t(1) << 28;
    return {
        contiguous(1 * gap, SSMRT_DTYPE_BF16, {batch, seqlen, 1536}),  // x
        contiguous(2 * gap, SSMRT_DTYPE_BF16, {batch, seqlen, 1536}),  // dt
        contiguous(3 * gap, SSMRT_DTYPE_BF16, {batch, seqlen, 16}),    // B
        contiguous(4 * gap, SSMRT_DTYPE_F32, {1536, 16}),              // A
        contiguous(5 * gap, SSMRT_DTYPE_BF16, {batch, seqlen, 1536}),  // y
    };
  }

  Status run(const std::vector<ssmrt_tensor> &t, ssmrt_entry entry = SSMRT_ENTRY_FORWARD) {
    return validateTensors(layer, entry, t.data(), int32_t(t.size()), &shape);
  }

  void expectError(const std::vector<ssmrt_tensor> &t, const std::string &message,
                   ssmrt_entry entry = SSMRT_ENTRY_FORWARD) {
    Status s = run(t, entry);
    EXPECT_EQ(s.code(), SSMRT_INVALID_ARGUMENT);
    EXPECT_EQ(s.message(), message);
  }

  Manifest manifest;
  const ManifestLayer &layer;
  CallShape shape;
};

}  // namespace

TEST_F(Validate, AcceptsValidForwardTensors) {
  Status s = run(forwardTensors());
  ASSERT_TRUE(s) << s.message();
  EXPECT_EQ(shape.batch, 8);
  EXPECT_EQ(shape.seqlen, 64);
}

TEST_F(Validate, AcceptsStridedAndBroadcastInputs) {
  auto t = forwardTensors();
  t[0].strides[0] = 0;         // x broadcast over batch: fine for an input
  t[2].strides[1] = 0;         // B constant along the sequence
  t[1].strides[2] = 2;         // dt every other element
  t[1].strides[1] = 2 * 1536;
  t[1].strides[0] = 64 * 2 * 1536;
  EXPECT_TRUE(run(t)) << run(t).message();
}

TEST_F(Validate, CountMismatch) {
  auto t = forwardTensors();
  t.pop_back();
  expectError(t, "layer 's6' forward takes 5 tensors (x, dt, B, A, y) but 4 were passed");
  Status s = validateTensors(layer, SSMRT_ENTRY_FORWARD, nullptr, 5, &shape);
  EXPECT_EQ(s.message(), "layer 's6' forward takes 5 tensors (x, dt, B, A, y) but tensors is NULL");
}

TEST_F(Validate, NullData) {
  auto t = forwardTensors();
  t[3].data = nullptr;
  expectError(t, "tensor 'A': data is NULL");
}

TEST_F(Validate, WrongDtype) {
  auto t = forwardTensors();
  t[0].dtype = SSMRT_DTYPE_F32;
  expectError(t, "tensor 'x': dtype is f32 but the layer was compiled with bf16");
  t = forwardTensors();
  t[0].dtype = static_cast<ssmrt_dtype>(42);
  expectError(t, "tensor 'x': dtype 42 is not an ssmrt_dtype");
}

TEST_F(Validate, WrongRank) {
  auto t = forwardTensors();
  t[4].rank = 2;
  expectError(t, "tensor 'y': rank is 2 but forward takes 3 axes [batch, seqlen, D]");
  t = forwardTensors();
  t[3].rank = 99;
  expectError(t, "tensor 'A': rank is 99 but forward takes 2 axes [D, N]");
}

TEST_F(Validate, WrongDim) {
  auto t = forwardTensors();
  t[0] = contiguous(uintptr_t(1) << 28, SSMRT_DTYPE_BF16, {8, 64, 1024});
  expectError(t, "tensor 'x': dim D is 1024 but the layer was compiled with D = 1536");
  t = forwardTensors();
  t[3].sizes[1] = 32;
  expectError(t, "tensor 'A': dim N is 32 but the layer was compiled with N = 16");
}

TEST_F(Validate, BatchAndSeqlenMustAgree) {
  auto t = forwardTensors();
  t[4].sizes[0] = 4;
  expectError(t, "tensor 'y': batch is 4 but tensor 'x' has batch 8");
  t = forwardTensors();
  t[2].sizes[1] = 63;
  expectError(t, "tensor 'B': seqlen is 63 but tensor 'x' has seqlen 64");
}

TEST_F(Validate, ZeroSeqlenAndBatch) {
  expectError(forwardTensors(8, 0), "tensor 'x': seqlen is 0; forward needs at least one step");
  expectError(forwardTensors(0, 64), "tensor 'x': batch is 0; it must be >= 1");
  auto t = forwardTensors();
  t[1].sizes[0] = -3;
  expectError(t, "tensor 'dt': batch is -3; it must be >= 1");
}

TEST_F(Validate, NegativeStride) {
  auto t = forwardTensors();
  t[1].strides[2] = -1;
  expectError(t, "tensor 'dt': stride of D is -1; strides must be >= 0");
}

TEST_F(Validate, OutputMustNotAliasItself) {
  auto t = forwardTensors();
  t[4].strides[0] = 0;
  expectError(t, "tensor 'y': stride of batch is 0 with size 8: an output's elements must not alias");
  // Size 1 along that axis: a zero stride is harmless.
  t = forwardTensors(1, 64);
  t[4].strides[0] = 0;
  EXPECT_TRUE(run(t));
}

TEST_F(Validate, ByteExtentOverflow) {
  auto t = forwardTensors();
  t[2].strides[0] = int64_t(1) << 62;  // (8 - 1) * 2^62 elements overflows 64 bits
  expectError(t, "tensor 'B': its byte extent (from its sizes and strides) overflows 64 bits");
  t = forwardTensors();
  t[2].data = reinterpret_cast<void *>(~uintptr_t(0) - 100);  // the end address wraps
  expectError(t, "tensor 'B': its byte extent (from its sizes and strides) overflows 64 bits");
}

TEST_F(Validate, OutputOverlappingAnInput) {
  auto t = forwardTensors();
  t[4].data = static_cast<char *>(t[0].data) + 2 * 1536 * 64 * 8 - 2;  // last element of x
  expectError(t, "tensor 'y' overlaps tensor 'x'");
  // One byte further, the ranges only touch: allowed.
  t[4].data = static_cast<char *>(t[0].data) + 2 * 1536 * 64 * 8;
  EXPECT_TRUE(run(t)) << run(t).message();
  // A param inside the output's range.
  t = forwardTensors();
  t[3].data = static_cast<char *>(t[4].data) + 4096;
  expectError(t, "tensor 'y' overlaps tensor 'A'");
}

TEST_F(Validate, InputsMayOverlapEachOther) {
  auto t = forwardTensors();
  t[1].data = t[0].data;  // x and dt the same buffer: only read
  EXPECT_TRUE(run(t));
}

TEST_F(Validate, OutputsMustNotOverlapEachOther) {
  ManifestLayer two = layer;
  two.tensors.push_back({"y2", SSMRT_ROLE_OUT, SSMRT_DTYPE_BF16, {"D"}});
  auto t = forwardTensors();
  t.push_back(t[4]);
  t[5].data = static_cast<char *>(t[4].data) + 100;
  Status s = validateTensors(two, SSMRT_ENTRY_FORWARD, t.data(), 6, &shape);
  EXPECT_EQ(s.message(), "tensor 'y2' overlaps tensor 'y'");
}

TEST_F(Validate, StepTakesNoSeqlenAxis) {
  const uintptr_t gap = uintptr_t(1) << 28;
  std::vector<ssmrt_tensor> t = {
      contiguous(1 * gap, SSMRT_DTYPE_BF16, {4, 1536}), contiguous(2 * gap, SSMRT_DTYPE_BF16, {4, 1536}),
      contiguous(3 * gap, SSMRT_DTYPE_BF16, {4, 16}), contiguous(4 * gap, SSMRT_DTYPE_F32, {1536, 16}),
      contiguous(5 * gap, SSMRT_DTYPE_BF16, {4, 1536})};
  Status s = run(t, SSMRT_ENTRY_STEP);
  ASSERT_TRUE(s) << s.message();
  EXPECT_EQ(shape.batch, 4);
  EXPECT_EQ(shape.seqlen, 1);
  expectError(forwardTensors(), "tensor 'x': rank is 3 but step takes 2 axes [batch, D]", SSMRT_ENTRY_STEP);

  // The kernel sees [batch, seq, dims...] with seq stride 0 for a step.
  ssm_launch_args args{};
  fillTensorArgs(layer, SSMRT_ENTRY_STEP, t.data(), &args);
  EXPECT_EQ(args.tensors[0].data, t[0].data);
  EXPECT_EQ(args.tensors[0].strides[0], 1536);
  EXPECT_EQ(args.tensors[0].strides[1], 0);
  EXPECT_EQ(args.tensors[0].strides[2], 1);
  EXPECT_EQ(args.tensors[3].strides[0], 16);  // params keep their own axes
  EXPECT_EQ(args.tensors[3].strides[1], 1);
}

TEST_F(Validate, ForwardArgsKeepStrides) {
  auto t = forwardTensors();
  ssm_launch_args args{};
  fillTensorArgs(layer, SSMRT_ENTRY_FORWARD, t.data(), &args);
  EXPECT_EQ(args.tensors[4].data, t[4].data);
  EXPECT_EQ(args.tensors[4].strides[0], 64 * 1536);
  EXPECT_EQ(args.tensors[4].strides[1], 1536);
  EXPECT_EQ(args.tensors[4].strides[2], 1);
  EXPECT_EQ(args.tensors[4].strides[3], 0);
}
