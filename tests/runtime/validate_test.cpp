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
  uint64_t stride = 1;  // unsigned: hostile sizes wrap instead of overflowing a signed value
  for (int i = t.rank - 1; i >= 0; --i) {
    t.sizes[i] = sizes[size_t(i)];
    t.strides[i] = int64_t(stride);
    stride *= uint64_t(sizes[size_t(i)]);
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
  t[2].data = reinterpret_cast<void *>(~uintptr_t(0) - 101);  // the end address wraps (2-aligned)
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

// Hostile inputs: element alignment, and outputs whose non-zero strides still alias.

TEST_F(Validate, MisalignedDataIsRefused) {
  auto t = forwardTensors();
  t[3].data = static_cast<char *>(t[3].data) + 2;  // f32 at a 2-byte boundary
  expectError(t, "tensor 'A': data 0x40000002 is not aligned to its 4-byte f32 elements");
  t = forwardTensors();
  t[0].data = static_cast<char *>(t[0].data) + 1;
  expectError(t, "tensor 'x': data 0x10000001 is not aligned to its 2-byte bf16 elements");
}

TEST_F(Validate, OutputWhoseStridesOverlapIsRefused) {
  auto t = forwardTensors();
  t[4].strides[1] = 1;  // y[b, l, d] at l + d: steps overlap along D
  expectError(t,
              "tensor 'y': stride of D is 1 with size 1536 but the axes with smaller strides already reach offset "
              "63: an output's elements must not alias");
  t = forwardTensors();
  t[4].strides[1] = 1000;  // rows of 1536 elements 1000 apart
  expectError(t,
              "tensor 'y': stride of seqlen is 1000 with size 64 but the axes with smaller strides already reach "
              "offset 1535: an output's elements must not alias");
  t = forwardTensors();
  t[4].strides[0] = 63 * 1536;  // the batch stride lands inside the previous sequence
  expectError(t,
              "tensor 'y': stride of batch is 96768 with size 8 but the axes with smaller strides already reach "
              "offset 98303: an output's elements must not alias");
  // The same strides on an input are fine (it is only read).
  t = forwardTensors();
  t[0].strides[1] = 1;
  EXPECT_TRUE(run(t)) << run(t).message();
}

TEST_F(Validate, PermutedAndPaddedOutputsAreAccepted) {
  auto t = forwardTensors();
  // y stored [seqlen, batch, D] with padded rows: injective, accepted.
  t[4].strides[2] = 1;
  t[4].strides[0] = 2048;
  t[4].strides[1] = 8 * 2048;
  EXPECT_TRUE(run(t)) << run(t).message();
  // Size-1 axes may have any stride, even one inside another axis.
  t = forwardTensors(1, 64);
  t[4].strides[0] = 3;
  EXPECT_TRUE(run(t)) << run(t).message();
}

TEST_F(Validate, NegativeAndHugeNamedDimsAreRefused) {
  auto t = forwardTensors();
  t[3].sizes[0] = -1536;
  expectError(t, "tensor 'A': dim D is -1536 but the layer was compiled with D = 1536");
  t = forwardTensors();
  t[0].sizes[2] = INT64_MAX;
  expectError(t, "tensor 'x': dim D is 9223372036854775807 but the layer was compiled with D = 1536");
  t = forwardTensors();
  t[0].rank = -1;
  expectError(t, "tensor 'x': rank is -1 but forward takes 3 axes [batch, seqlen, D]");
}

TEST_F(Validate, ByteCountOverflowOfHugeBatchAndSeqlen) {
  // batch * seqlen * D * 2 bytes passes 2^64 with contiguous strides that are each < 2^63.
  const int64_t batch = int64_t(1) << 40, seqlen = int64_t(1) << 20;
  auto t = forwardTensors(batch, seqlen);
  // forwardTensors' contiguous strides wrap for these sizes; set them explicitly.
  for (int i : {0, 1, 2, 4}) {
    int64_t last = t[size_t(i)].sizes[2];
    t[size_t(i)].strides[1] = last;
    t[size_t(i)].strides[0] = INT64_MAX / 2;
  }
  expectError(t, "tensor 'x': its byte extent (from its sizes and strides) overflows 64 bits");
  // At the edge: (size - 1) * stride and + 1 fit in 64 bits, * elem does not.
  t = forwardTensors(2, 1);
  t[0].strides[0] = INT64_MAX;
  expectError(t, "tensor 'x': its byte extent (from its sizes and strides) overflows 64 bits");
}

TEST_F(Validate, InvalidEntryAndEmptyTensorList) {
  auto t = forwardTensors();
  Status s = validateTensors(layer, static_cast<ssmrt_entry>(7), t.data(), 5, &shape);
  EXPECT_EQ(s.code(), SSMRT_INVALID_ARGUMENT);
  EXPECT_EQ(s.message(), "entry 7 is not an ssmrt_entry");
  s = validateTensors(layer, SSMRT_ENTRY_FORWARD, t.data(), -1, &shape);
  EXPECT_EQ(s.message(), "layer 's6' forward takes 5 tensors (x, dt, B, A, y) but -1 were passed");
  s = validateTensors(layer, SSMRT_ENTRY_FORWARD, nullptr, 0, &shape);
  EXPECT_EQ(s.message(), "layer 's6' forward takes 5 tensors (x, dt, B, A, y) but 0 were passed");
}

TEST_F(Validate, FailedValidationLeavesTheShapeUntouched) {
  shape.batch = 77;
  shape.seqlen = 78;
  auto t = forwardTensors();
  t[4].sizes[0] = 3;
  EXPECT_FALSE(run(t));
  EXPECT_EQ(shape.batch, 77);
  EXPECT_EQ(shape.seqlen, 78);
}

TEST_F(Validate, ReportsTheLargestElementOffset) {
  auto t = forwardTensors(8, 64);
  ASSERT_TRUE(run(t));
  EXPECT_EQ(shape.largestOffset, uint64_t(8 * 64 * 1536 - 1));  // x, dt, y: contiguous
  t[1].strides[0] = int64_t(1) << 31;  // dt: batch 7 starts at 7 * 2^31
  t[4].data = reinterpret_cast<void *>(uintptr_t(1) << 40);  // y clear of dt's 28 GiB
  ASSERT_TRUE(run(t)) << run(t).message();
  EXPECT_EQ(shape.largestOffset, (uint64_t(7) << 31) + 63 * 1536 + 1535);
  // A step has no seqlen axis; broadcast (stride 0) axes add nothing.
  std::vector<ssmrt_tensor> s = {
      contiguous(1 << 28, SSMRT_DTYPE_BF16, {1, 1536}), contiguous(2 << 28, SSMRT_DTYPE_BF16, {1, 1536}),
      contiguous(3 << 28, SSMRT_DTYPE_BF16, {1, 16}), contiguous(4 << 28, SSMRT_DTYPE_F32, {1536, 16}),
      contiguous(5 << 28, SSMRT_DTYPE_BF16, {1, 1536})};
  s[0].sizes[0] = 4, s[1].sizes[0] = 4, s[2].sizes[0] = 4, s[4].sizes[0] = 4;
  s[0].strides[0] = 0;
  s[1].strides[0] = 1536, s[2].strides[0] = 16, s[4].strides[0] = 1536;
  ASSERT_TRUE(run(s, SSMRT_ENTRY_STEP)) << run(s, SSMRT_ENTRY_STEP).message();
  EXPECT_EQ(shape.largestOffset, uint64_t(1536 * 16 - 1));  // A is the largest
}

TEST_F(Validate, RevalidateAcceptsOnlyTheShapesItWasMadeFrom) {
  auto t = forwardTensors();
  ValidatedCall known;
  ASSERT_TRUE(validateTensors(layer, SSMRT_ENTRY_FORWARD, t.data(), int32_t(t.size()), &shape, &known));
  EXPECT_EQ(known.shape.batch, 8);
  EXPECT_EQ(known.shape.seqlen, 64);
  auto again = [&](const std::vector<ssmrt_tensor> &u, ssmrt_entry entry = SSMRT_ENTRY_FORWARD) {
    return revalidate(layer, known, entry, u.data(), int32_t(u.size()));
  };
  EXPECT_TRUE(again(t));
  // New addresses, same shapes: still valid without a full validation.
  auto moved = t;
  for (size_t i = 0; i < moved.size(); ++i)
    moved[i].data = static_cast<char *>(moved[i].data) + (uintptr_t(1) << 40) + 64 * i;
  EXPECT_TRUE(again(moved));
  // Garbage beyond the rank is not part of the shape.
  moved[3].sizes[5] = -7;
  EXPECT_TRUE(again(moved));

  // Any shape-only change, entry or count: not this call.
  EXPECT_FALSE(again(t, SSMRT_ENTRY_STEP));
  EXPECT_FALSE(revalidate(layer, known, SSMRT_ENTRY_FORWARD, t.data(), 4));
  EXPECT_FALSE(revalidate(layer, known, SSMRT_ENTRY_FORWARD, nullptr, 5));
  auto u = t;
  u[1].dtype = SSMRT_DTYPE_F16;
  EXPECT_FALSE(again(u));
  u = t, u[2].rank = 2;
  EXPECT_FALSE(again(u));
  u = t, u[4].sizes[1] = 63;
  EXPECT_FALSE(again(u));
  u = t, u[0].strides[2] = 2;
  EXPECT_FALSE(again(u));
  // The address checks validateTensors makes: NULL, misaligned, an output overlapping.
  u = t, u[3].data = nullptr;
  EXPECT_FALSE(again(u));
  u = t, u[3].data = static_cast<char *>(u[3].data) + 2;  // f32 at 2 bytes
  EXPECT_FALSE(again(u));
  u = t, u[4].data = static_cast<char *>(u[0].data) + 4096;
  EXPECT_FALSE(again(u));
  u = t, u[0].data = reinterpret_cast<void *>(UINTPTR_MAX - 1);  // the extent wraps
  EXPECT_FALSE(again(u));
}

TEST_F(Validate, RevalidateNeverAcceptsWhatValidationRefuses) {
  // Random address changes on a known shape: whenever revalidate accepts, so does the full
  // validation, with the same shape.
  auto t = forwardTensors();
  ValidatedCall known;
  ASSERT_TRUE(validateTensors(layer, SSMRT_ENTRY_FORWARD, t.data(), int32_t(t.size()), &shape, &known));
  uint64_t seed = 12345;
  auto next = [&] { return seed = seed * 6364136223846793005ull + 1442695040888963407ull, seed >> 33; };
  int accepted = 0, refused = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    auto u = t;
    for (auto &x : u) {
      switch (next() % 4) {
        case 0: break;
        case 1: x.data = reinterpret_cast<void *>((uintptr_t(next() % 64) << 22) | (next() % 4 * 2)); break;
        case 2: x.data = static_cast<char *>(x.data) + (next() % 3) * (uintptr_t(1) << 20); break;
        default: x.data = static_cast<char *>(x.data) + ((next() % 2) ? 0 : (uintptr_t(1) << 28)); break;
      }
    }
    CallShape full;
    const bool quick = revalidate(layer, known, SSMRT_ENTRY_FORWARD, u.data(), int32_t(u.size()));
    const bool slow = bool(validateTensors(layer, SSMRT_ENTRY_FORWARD, u.data(), int32_t(u.size()), &full));
    ASSERT_EQ(quick, slow) << "iteration " << iter;
    if (slow) {
      EXPECT_EQ(full.batch, known.shape.batch);
      EXPECT_EQ(full.largestOffset, known.shape.largestOffset);
    }
    (slow ? accepted : refused) += 1;
  }
  EXPECT_GT(accepted, 100);
  EXPECT_GT(refused, 100);
}
