// Running a compiled layer from host tensors: upload in the storage dtype, call the runtime,
// download. Shared by `ssmc run`, the GPU numerics check and the examples.
#ifndef SSMC_HOSTRUN_H
#define SSMC_HOSTRUN_H

#include "ssmc/Reference.h"
#include "ssmc/Sema.h"
#include "ssmrt/ssmrt.h"

#include <map>
#include <string>
#include <vector>

namespace ssmc::host {

/// Rounds a value through a storage dtype (what the GPU reads from a tensor of that dtype).
double quantize(double v, sema::DType t);

/// Rounds every in and param of `vals` to its tensor's storage dtype, in place.
void quantizeAll(const sema::Layer &L, ref::TensorMap &vals);

/// One call of forward (seq >= 1) or step (step = true: ins are [batch, dims...], taken from
/// time index `t` of the [batch, seq, ...] host tensors). Outputs are poisoned before the call:
/// every byte set to `poison` (0xff: NaN in every dtype; 0x7f: a large finite value, for checks
/// whose expected outputs contain NaN). `outs` gets each out's real parts, row-major.
/// Returns false with a message on any CUDA or runtime error.
bool run(const sema::Layer &L, ssmrt_layer *layer, const ref::TensorMap &vals, int64_t batch, int64_t seq,
         bool step, int64_t t, const ssmrt_state *initial, ssmrt_state *final,
         std::map<std::string, std::vector<double>> &outs, std::string *error, double *ms = nullptr,
         unsigned char poison = 0xff);

/// Copies [t0, t1) of a [batch, seq, ...] host tensor.
ref::HostTensor slice(const ref::HostTensor &h, int64_t t0, int64_t t1);

/// ||a - b|| / ||b||; infinite if a holds a NaN or an infinity.
double relErr(const std::vector<double> &a, const std::vector<double> &b);

} // namespace ssmc::host

#endif
