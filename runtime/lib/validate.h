// Checking the tensors of a forward or step call against a layer's manifest, before
// anything is launched.
#ifndef SSMRT_LIB_VALIDATE_H
#define SSMRT_LIB_VALIDATE_H

#include <cstdint>

#include "ssmrt/abi.h"
#include "ssmrt/manifest.h"
#include "ssmrt/ssmrt.h"

namespace ssmrt {

// The batch size and sequence length a call runs with (seqlen is 1 for a step).
struct CallShape {
  int64_t batch = 0;
  int64_t seqlen = 0;
  // The largest element offset of the call's tensors: per tensor the sum over its axes of
  // (size - 1) * stride, c64 counted in f32 halves (2 * offset + 1). Decides, with the
  // state and workspace sizes, whether the index32 kernels may run. UINT64_MAX: unknown.
  uint64_t largestOffset = UINT64_MAX;
  // The largest state buffer (one of h0[i] / hT[i]) the call passes, in bytes; 0 for none.
  uint64_t largestStateBytes = 0;
};

// What validating one call established that depends only on the tensors' dtypes, ranks,
// sizes and strides, not on their addresses: the key of the per-layer call cache. Filled by
// validateTensors; checked against a later call's tensors by revalidate.
struct ValidatedCall {
  int32_t entry = 0;  // ssmrt_entry as an int
  int32_t count = 0;
  struct Tensor {
    int32_t dtype = 0;  // ssmrt_dtype as an int
    int32_t rank = 0;
    uint32_t elemBytes = 0;
    uint64_t extentBytes = 0;  // first element to one past the last
    int64_t sizes[SSMRT_MAX_RANK] = {};
    int64_t strides[SSMRT_MAX_RANK] = {};
  };
  Tensor tensors[SSM_MAX_TENSORS];
  CallShape shape;
};

// Checks count, dtype, rank, every named dim, batch/seqlen agreement, sizes >= 1, strides
// >= 0, non-null data aligned to its element size, that byte extents fit in 64 bits, that
// no output aliases itself (a zero stride, or strides whose axes overlap: ordered by
// stride, each axis must stride past the reach of the smaller ones), and that no output's
// byte range meets another tensor's. On
// failure (INVALID_ARGUMENT) the message names the tensor and the dim:
//   "tensor 'x': dim D is 1024 but the layer was compiled with D = 1536".
// With out_call, a success also records what the call's shapes established.
Status validateTensors(const ManifestLayer &layer, ssmrt_entry entry, const ssmrt_tensor *tensors,
                       int32_t count, CallShape *out_shape, ValidatedCall *out_call = nullptr);

// True when the tensors have exactly the dtypes, ranks, sizes and strides `known` was made
// from (for this layer and entry) and pass the checks that depend on addresses: data not
// NULL, aligned, byte extent not wrapping, no output overlapping another tensor. Then
// validateTensors would accept them with known.shape, so the call may skip it. False does
// not mean invalid: run validateTensors for the verdict and its message. Allocates nothing.
bool revalidate(const ManifestLayer &layer, const ValidatedCall &known, ssmrt_entry entry,
                const ssmrt_tensor *tensors, int32_t count);

// The kernel's view of validated tensors: data and element strides per ABI slot, with the
// step entry's missing seqlen axis given stride 0 (abi.h).
void fillTensorArgs(const ManifestLayer &layer, ssmrt_entry entry, const ssmrt_tensor *tensors,
                    ssm_launch_args *args);

const char *entryName(ssmrt_entry entry);  // "forward", "step"

}  // namespace ssmrt

#endif  // SSMRT_LIB_VALIDATE_H
