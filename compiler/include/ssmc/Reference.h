// The float64 CPU reference evaluator: runs a typed layer step by step, with no MLIR and no GPU,
// to check generated kernels against and to let `ssmc run` print results on any machine.
#ifndef SSMC_REFERENCE_H
#define SSMC_REFERENCE_H

#include "ssmc/Sema.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ssmc::ref {

/// A dense float64 tensor, row-major and contiguous. `im` is empty for a real tensor; for a
/// complex one it has as many elements as `re`.
///
/// Layouts (runtime/FORMAT.md, runtime/include/ssmrt/abi.h): an in or out is
/// [batch, seq, dims...], a param [dims...], a state [batch, dims...], each tensor's dims in the
/// order its declaration names them.
struct HostTensor {
  std::vector<int64_t> shape;
  std::vector<double> re;
  std::vector<double> im;

  HostTensor() = default;
  /// A zero tensor of `shape`, complex when `complex`.
  HostTensor(std::vector<int64_t> shape, bool complex);
  int64_t numel() const;
  bool isComplex() const { return !im.empty(); }
};

using TensorMap = std::map<std::string, HostTensor>;

/// The default value of every param that has an initializer: an init (`param A: [D, N] =
/// s4d_real`) evaluated at every index, or an expression of constants and earlier params
/// (`= 1`, `= 2 * B`) broadcast to the param's dims. A param already in `params` is kept, and
/// feeds the initializers of the params after it. Fills `params` with each param it can;
/// returns false, with a message in `*error` naming each param that has no initializer or whose
/// initializer cannot be evaluated (a dim without a size, a reduction inside an init, or an init
/// over a repeated dim that reads only some of its indices: sema does not record which).
bool defaultParams(const sema::Layer &layer, TensorMap &params, std::string *error);

/// Deterministic random ins for a run of `batch` sequences of `seqlen` steps (the same seed
/// gives the same values on every platform; each in draws from its own stream, keyed by its
/// name, so adding an in changes no other). Values are uniform in [-1, 1], both parts for a
/// complex in, except an in named `dt` or `delta`, which is uniform in [-4, -1] so that
/// softplus(dt + dt_bias) with the stdlib's dt_bias = 0 lies in [0.018, 0.31]: steps small
/// enough that exp(delta * A) neither vanishes nor stays at 1 for A in [-16, -1].
bool randomInputs(const sema::Layer &layer, int64_t batch, int64_t seqlen, uint64_t seed, TensorMap &ins,
                  std::string *error);

/// Runs `layer` over `batch` sequences of `seqlen` steps in float64 (complex values as
/// std::complex<double>).
///
/// `insAndParams` holds every in, shaped [batch, seqlen, dims...], and any params, shaped
/// [dims...]; a param it lacks takes its default (defaultParams, computed from the params given:
/// with `param B: [D] = 2 * A`, B is twice the A given). A name that is neither an in
/// nor a param of the layer is an error. `h0`, when given, holds initial states [batch, dims...];
/// a state it lacks, or every state when `h0` is null, starts at zero. On success `outs` holds
/// every out [batch, seqlen, dims...] and `hT`, when given, every state after the last step, in
/// the layout of h0. Returns false with a message in `*error` (when non-null) on bad shapes, a
/// dim without a size, a singular matrix in inv(), or a layer sema rejected; never throws.
///
/// Values with a repeated dim (a matrix [N, N]) keep one axis per occurrence: the first is the
/// row, the second the column. Broadcasting matches occurrences in order, so a [N] operand of
/// an [N, N] value is indexed by the row ((A * v)[n, k] = A[n, k] v[n]); `A @ v` sums A's last
/// axis against v's first occurrence of that dim (for a matrix v, its row); `sum[N]` over a
/// matrix sums its last occurrence (row sums).
///
/// Threads: every call is independent; `layer` is only read.
bool evaluate(const sema::Layer &layer, const TensorMap &insAndParams, int64_t batch, int64_t seqlen,
              const TensorMap *h0, TensorMap &outs, TensorMap *hT, std::string *error);

/// A few lines per tensor of `tensors` that names an out or a state of `layer` (others are
/// skipped): dtype and shape with dim names, min, max, mean, the count of NaN and Inf when
/// there are any, and the first `maxValues` values. Complex tensors show min and max of |z|.
std::string summarize(const sema::Layer &layer, const TensorMap &tensors, int maxValues = 6);

} // namespace ssmc::ref

#endif
