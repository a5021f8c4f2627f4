// randomInputs(): deterministic random ins for the reference evaluator and `ssmc run`.
#include "ssmc/Reference.h"

#include "Engine.h"

#include <exception>
#include <new>

namespace ssmc::ref {

namespace {

/// SplitMix64: the same stream on every platform, unlike <random>'s distributions.
struct SplitMix64 {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  /// Uniform in [lo, hi), from the top 53 bits.
  double uniform(double lo, double hi) { return lo + (hi - lo) * static_cast<double>(next() >> 11) * 0x1.0p-53; }
};

uint64_t fnv1a(const std::string &s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s)
    h = (h ^ c) * 0x100000001b3ull;
  return h;
}

bool randomInputsImpl(const sema::Layer &L, int64_t batch, int64_t seqlen, uint64_t seed, TensorMap &ins,
                      std::string &err) {
  if (batch < 0 || seqlen < 0) {
    err = "batch and seqlen must not be negative (got batch " + std::to_string(batch) + ", seqlen " +
          std::to_string(seqlen) + ")";
    return false;
  }
  detail::Engine shapes(L);
  for (const sema::Tensor &t : L.tensors) {
    if (t.role != ast::Role::In)
      continue;
    std::vector<int64_t> shape;
    int64_t size = 0;
    if (!shapes.shapeOf(t.dims, shape, size)) {
      err = "in " + t.name + ": " + shapes.error();
      return false;
    }
    if (batch * seqlen > 0 && size > detail::kMaxElements / (batch * seqlen)) {
      err = "in " + t.name + " would have more than " + std::to_string(detail::kMaxElements) + " elements";
      return false;
    }
    shape.insert(shape.begin(), {batch, seqlen});
    bool complex = t.dtype == sema::DType::C64;
    HostTensor h(shape, complex);
    bool step = t.name == "dt" || t.name == "delta";
    double lo = step ? -4.0 : -1.0, hi = step ? -1.0 : 1.0;
    SplitMix64 rng{seed ^ fnv1a(t.name)};
    for (size_t i = 0; i < h.re.size(); ++i) {
      h.re[i] = rng.uniform(lo, hi);
      if (complex)
        h.im[i] = rng.uniform(lo, hi);
    }
    ins[t.name] = std::move(h);
  }
  return true;
}

} // namespace

bool randomInputs(const sema::Layer &layer, int64_t batch, int64_t seqlen, uint64_t seed, TensorMap &ins,
                  std::string *error) {
  std::string err;
  bool ok = false;
  try {
    ok = randomInputsImpl(layer, batch, seqlen, seed, ins, err);
  } catch (const std::bad_alloc &) {
    err = "out of memory drawing the ins of layer " + layer.name;
  } catch (const std::exception &e) {
    err = std::string("random ins of layer ") + layer.name + ": " + e.what();
  }
  if (!ok && error)
    *error = err;
  return ok;
}

} // namespace ssmc::ref
