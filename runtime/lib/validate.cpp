// Tensor validation against the manifest (see validate.h), and the ABI view of the tensors.
#include "validate.h"

#include "enums.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>

namespace ssmrt {

const char *entryName(ssmrt_entry entry) {
  return entry == SSMRT_ENTRY_STEP ? "step" : "forward";
}

namespace {

// The name of axis k of a tensor in a call: the implicit batch (and, for forward, seqlen)
// axes of an in/out tensor, then its named dims. k < the rank the call takes.
std::string_view axisName(const ManifestTensor &t, ssmrt_entry entry, int32_t k) {
  if (t.role != SSMRT_ROLE_PARAM) {
    if (k == 0) return "batch";
    if (entry == SSMRT_ENTRY_FORWARD && k == 1) return "seqlen";
    k -= entry == SSMRT_ENTRY_FORWARD ? 2 : 1;
  }
  return t.dims[size_t(k)];
}

size_t rankOf(const ManifestTensor &t, ssmrt_entry entry) {
  return t.dims.size() + (t.role == SSMRT_ROLE_PARAM ? 0 : entry == SSMRT_ENTRY_FORWARD ? 2 : 1);
}

// "batch, seqlen, D" for messages.
std::string joinedAxes(const ManifestTensor &t, ssmrt_entry entry) {
  std::string s;
  for (size_t k = 0; k < rankOf(t, entry); ++k) {
    if (k) s += ", ";
    s += axisName(t, entry, int32_t(k));
  }
  return s;
}

std::string tensorPrefix(const ManifestTensor &t) { return "tensor '" + t.name + "': "; }

std::string hexAddress(const void *p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(reinterpret_cast<uintptr_t>(p)));
  return buf;
}

// That no two index tuples of a tensor address one element, for outputs (written by
// independent threads). Sufficient rule: ordered by stride, each axis of size > 1 strides
// past everything the smaller-strided axes reach. Layouts that interleave axes in stranger
// injective ways are refused too; no ordinary (permuted, padded, sliced) layout is. The
// extent was checked first, so nothing here overflows.
Status checkNoSelfAlias(const ssmrt_tensor &t, const ManifestTensor &mt, ssmrt_entry entry) {
  int32_t order[SSMRT_MAX_RANK];
  int32_t n = 0;
  for (int32_t k = 0; k < t.rank; ++k)
    if (t.sizes[k] > 1) order[n++] = k;
  std::stable_sort(order, order + n, [&](int32_t a, int32_t b) { return t.strides[a] < t.strides[b]; });
  uint64_t reach = 0;  // the largest offset the axes before this one reach
  for (int32_t i = 0; i < n; ++i) {
    const int32_t k = order[i];
    const uint64_t stride = uint64_t(t.strides[k]);
    if (stride <= reach || stride == 0)
      return invalidArgument("stride of " + std::string(axisName(mt, entry, k)) + " is " + std::to_string(stride) +
                             " with size " + std::to_string(t.sizes[k]) +
                             (i == 0 ? std::string()
                                     : " but the axes with smaller strides already reach offset " +
                                           std::to_string(reach)) +
                             ": an output's elements must not alias");
    reach += uint64_t(t.sizes[k] - 1) * stride;
  }
  return Status::ok();
}

struct ByteRange {
  uintptr_t begin = 0, end = 0;  // [begin, end)
};

bool overlaps(const ByteRange &a, const ByteRange &b) { return a.begin < b.end && b.begin < a.end; }

}  // namespace

Status validateTensors(const ManifestLayer &layer, ssmrt_entry entry, const ssmrt_tensor *tensors,
                       int32_t count, CallShape *out_shape, ValidatedCall *out_call) {
  const int32_t rawEntry = rawEnum(entry);
  if (rawEntry != SSMRT_ENTRY_FORWARD && rawEntry != SSMRT_ENTRY_STEP)
    return invalidArgument("entry " + std::to_string(rawEntry) + " is not an ssmrt_entry");
  const char *en = entryName(entry);
  if (count != int32_t(layer.tensors.size()) || (count > 0 && !tensors)) {
    std::string expected;
    for (size_t i = 0; i < layer.tensors.size(); ++i) expected += (i ? ", " : "") + layer.tensors[i].name;
    return invalidArgument("layer '" + layer.name + "' " + en + " takes " +
                           std::to_string(layer.tensors.size()) + " tensors (" + expected +
                           ") but " + (count > 0 && !tensors ? "tensors is NULL" : std::to_string(count) + " were passed"));
  }

  CallShape shape;
  const ManifestTensor *shapeSource = nullptr;  // the tensor batch/seqlen were taken from
  // The manifest check bounds the tensor count by SSM_MAX_TENSORS.
  ByteRange ranges[SSM_MAX_TENSORS];
  uint64_t largestOffset = 0;
  ValidatedCall known;
  known.entry = rawEntry;
  known.count = count;

  for (size_t i = 0; i < layer.tensors.size(); ++i) {
    const ManifestTensor &mt = layer.tensors[i];
    const ssmrt_tensor &t = tensors[i];
    auto p = [&] { return tensorPrefix(mt); };
    const size_t rank = rankOf(mt, entry);

    if (!t.data) return invalidArgument(p() + "data is NULL");
    const int32_t rawDtype = rawEnum(t.dtype);  // checked before t.dtype is read as an enum
    if (rawDtype < SSMRT_DTYPE_F32 || rawDtype > SSMRT_DTYPE_C64)
      return invalidArgument(p() + "dtype " + std::to_string(rawDtype) + " is not an ssmrt_dtype");
    size_t elem = ssmrt_dtype_size(t.dtype);
    // A misaligned element faults on the device, and a fault ends the CUDA context.
    if (reinterpret_cast<uintptr_t>(t.data) % elem != 0)
      return invalidArgument(p() + "data " + hexAddress(t.data) + " is not aligned to its " + std::to_string(elem) +
                             "-byte " + ssmrt_dtype_name(t.dtype) + " elements");
    if (t.dtype != mt.dtype)
      return invalidArgument(p() + "dtype is " + ssmrt_dtype_name(t.dtype) + " but the layer was compiled with " +
                             ssmrt_dtype_name(mt.dtype));
    if (t.rank != int32_t(rank))
      return invalidArgument(p() + "rank is " + std::to_string(t.rank) + " but " + en + " takes " +
                             std::to_string(rank) + " axes [" + joinedAxes(mt, entry) + "]");

    for (int32_t k = 0; k < t.rank; ++k) {
      const std::string_view axis = axisName(mt, entry, k);
      const int64_t size = t.sizes[k];
      bool isBatch = mt.role != SSMRT_ROLE_PARAM && k == 0;
      bool isSeq = mt.role != SSMRT_ROLE_PARAM && entry == SSMRT_ENTRY_FORWARD && k == 1;
      if (isBatch || isSeq) {
        if (size < 1)
          return invalidArgument(p() + std::string(axis) + " is " + std::to_string(size) +
                                 (isSeq ? "; forward needs at least one step" : "; it must be >= 1"));
        int64_t &known = isBatch ? shape.batch : shape.seqlen;
        if (shapeSource && known != size)
          return invalidArgument(p() + std::string(axis) + " is " + std::to_string(size) + " but tensor '" +
                                 shapeSource->name + "' has " + std::string(axis) + " " + std::to_string(known));
        known = size;
      } else {
        int64_t want = layer.dimValue(axis);
        if (size != want)
          return invalidArgument(p() + "dim " + std::string(axis) + " is " + std::to_string(size) +
                                 " but the layer was compiled with " + std::string(axis) + " = " +
                                 std::to_string(want));
      }
      if (t.strides[k] < 0)
        return invalidArgument(p() + "stride of " + std::string(axis) + " is " + std::to_string(t.strides[k]) +
                               "; strides must be >= 0");
      // Two elements of an output at one address would be written by two threads.
      if (mt.role == SSMRT_ROLE_OUT && t.strides[k] == 0 && size > 1)
        return invalidArgument(p() + "stride of " + std::string(axis) + " is 0 with size " + std::to_string(size) +
                               ": an output's elements must not alias");
    }
    if (mt.role != SSMRT_ROLE_PARAM && !shapeSource) shapeSource = &mt;

    // Bytes from the first element to one past the last: elem * (1 + sum (size-1)*stride).
    uint64_t last = 0;
    bool overflow = false;
    for (int32_t k = 0; k < t.rank && !overflow; ++k) {
      uint64_t term;
      overflow |= __builtin_mul_overflow(uint64_t(t.sizes[k] - 1), uint64_t(t.strides[k]), &term);
      overflow |= __builtin_add_overflow(last, term, &last);
    }
    uint64_t scalarOffset = 0;  // in f32 halves for c64: what a kernel indexing floats reaches
    overflow |= __builtin_mul_overflow(last, uint64_t(t.dtype == SSMRT_DTYPE_C64 ? 2 : 1), &scalarOffset);
    overflow |= __builtin_add_overflow(scalarOffset, uint64_t(t.dtype == SSMRT_DTYPE_C64 ? 1 : 0), &scalarOffset);
    uint64_t bytes = 0;
    overflow |= __builtin_add_overflow(last, uint64_t(1), &last);
    overflow |= __builtin_mul_overflow(last, uint64_t(elem), &bytes);
    uintptr_t begin = reinterpret_cast<uintptr_t>(t.data), end = 0;
    overflow |= __builtin_add_overflow(begin, uintptr_t(bytes), &end);
    if (overflow)
      return invalidArgument(p() + "its byte extent (from its sizes and strides) overflows 64 bits");
    ranges[i] = ByteRange{begin, end};
    largestOffset = std::max(largestOffset, scalarOffset);
    if (mt.role == SSMRT_ROLE_OUT) {
      Status a = checkNoSelfAlias(t, mt, entry);
      if (!a) return a.prefixed(p());
    }
    ValidatedCall::Tensor &kt = known.tensors[i];
    kt.dtype = rawDtype;
    kt.rank = t.rank;
    kt.elemBytes = uint32_t(elem);
    kt.extentBytes = bytes;
    for (int32_t k = 0; k < t.rank; ++k) kt.sizes[k] = t.sizes[k], kt.strides[k] = t.strides[k];
  }

  // An output must not share a byte with any other tensor: the kernels read inputs after
  // writing outputs of earlier steps, and outputs are written by independent threads.
  for (size_t j = 0; j < layer.tensors.size(); ++j) {
    if (layer.tensors[j].role != SSMRT_ROLE_OUT) continue;
    for (size_t i = 0; i < layer.tensors.size(); ++i) {
      if (i == j || (layer.tensors[i].role == SSMRT_ROLE_OUT && i > j)) continue;
      if (overlaps(ranges[i], ranges[j]))
        return invalidArgument("tensor '" + layer.tensors[j].name + "' overlaps tensor '" +
                               layer.tensors[i].name + "'");
    }
  }

  if (entry == SSMRT_ENTRY_STEP) shape.seqlen = 1;
  shape.largestOffset = largestOffset;
  *out_shape = shape;
  if (out_call) {
    known.shape = shape;
    *out_call = known;
  }
  return Status::ok();
}

bool revalidate(const ManifestLayer &layer, const ValidatedCall &known, ssmrt_entry entry,
                const ssmrt_tensor *tensors, int32_t count) {
  if (rawEnum(entry) != known.entry || count != known.count || !tensors ||
      size_t(count) != layer.tensors.size())
    return false;
  ByteRange ranges[SSM_MAX_TENSORS];
  for (int32_t i = 0; i < count; ++i) {
    const ssmrt_tensor &t = tensors[i];
    const ValidatedCall::Tensor &k = known.tensors[i];
    // The shape-only facts: exactly those validated before.
    if (rawEnum(t.dtype) != k.dtype || t.rank != k.rank) return false;
    for (int32_t a = 0; a < k.rank; ++a)
      if (t.sizes[a] != k.sizes[a] || t.strides[a] != k.strides[a]) return false;
    // The address checks of validateTensors.
    const uintptr_t begin = reinterpret_cast<uintptr_t>(t.data);
    if (!begin || begin % k.elemBytes != 0) return false;
    uintptr_t end;
    if (__builtin_add_overflow(begin, uintptr_t(k.extentBytes), &end)) return false;
    ranges[i] = ByteRange{begin, end};
  }
  for (int32_t j = 0; j < count; ++j) {
    if (layer.tensors[size_t(j)].role != SSMRT_ROLE_OUT) continue;
    for (int32_t i = 0; i < count; ++i)
      if (i != j && overlaps(ranges[i], ranges[j])) return false;
  }
  return true;
}

void fillTensorArgs(const ManifestLayer &layer, ssmrt_entry entry, const ssmrt_tensor *tensors,
                    ssm_launch_args *args) {
  for (size_t i = 0; i < layer.tensors.size(); ++i) {
    const ssmrt_tensor &t = tensors[i];
    ssm_tensor_arg &a = args->tensors[i];
    a.data = t.data;
    for (int k = 0; k < SSM_MAX_RANK; ++k) a.strides[k] = 0;
    if (layer.tensors[i].role != SSMRT_ROLE_PARAM && entry == SSMRT_ENTRY_STEP) {
      // The kernel always sees [batch, seq, dims...]; one step has no seq axis to stride.
      a.strides[0] = t.strides[0];
      a.strides[1] = 0;
      for (int32_t k = 1; k < t.rank && k + 1 < SSM_MAX_RANK; ++k) a.strides[k + 1] = t.strides[k];
    } else {
      for (int32_t k = 0; k < t.rank; ++k) a.strides[k] = t.strides[k];
    }
  }
}

}  // namespace ssmrt
