// The reference evaluator's plan: each node of a layer as a dense float64 buffer over its dims,
// with the strides each operand is read by, worked out once so the step loop only does
// arithmetic (no maps, no allocation).
#ifndef SSMC_REFERENCE_ENGINE_H
#define SSMC_REFERENCE_ENGINE_H

#include "ssmc/Sema.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ssmc::ref::detail {

using cplx = std::complex<double>;

/// Values the evaluator holds have at most this many axes (the layer's dims, plus the repeats
/// of matrices).
constexpr int kMaxRank = 16;
/// The most elements one value may have; past it the evaluator reports an error instead of
/// trying to allocate.
constexpr int64_t kMaxElements = int64_t(1) << 30;

/// One axis of a value: a dim and which of its occurrences (a matrix [N, N] has (N, 0), the
/// row, and (N, 1), the column).
struct Axis {
  int dim;
  int occ;
  bool operator==(const Axis &o) const { return dim == o.dim && occ == o.occ; }
};

/// The axes of a dims list, numbering the occurrences of each dim in list order.
std::vector<Axis> axesOf(const sema::Dims &dims);

/// A dense value, row-major over its axes. `im` null means a zero imaginary part (a real value,
/// or a complex in given without one).
struct Value {
  std::vector<Axis> axes;
  std::vector<int64_t> shape, strides;
  int64_t size = 1;
  bool complex = false;
  double *re = nullptr;
  double *im = nullptr;

  int find(const Axis &a) const {
    for (size_t i = 0; i < axes.size(); ++i)
      if (axes[i] == a)
        return static_cast<int>(i);
    return -1;
  }
};

inline cplx load(const Value &v, int64_t o) { return {v.re[o], v.im ? v.im[o] : 0.0}; }

// Scalar functions shared by the vector kernels and the init interpreter. softplus is exact in
// float64 (PyTorch's returns x itself past x = 20, a difference below 2e-9 relative).
inline double softplus(double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }
inline double sigmoid(double x) {
  if (x >= 0)
    return 1 / (1 + std::exp(-x));
  double e = std::exp(x);
  return e / (1 + e);
}
inline double silu(double x) { return x * sigmoid(x); }
// min and max propagate NaN from either side (the semantics of arith.minimumf/maximumf, which
// MLIRGen emits for them); std::min/std::max would drop a NaN in one argument position and
// keep it in the other.
inline double minProp(double a, double b) { return std::isnan(a) || std::isnan(b) ? NAN : std::min(a, b); }
inline double maxProp(double a, double b) { return std::isnan(a) || std::isnan(b) ? NAN : std::max(a, b); }

enum class Fn { Exp, Log, Log1p, Sqrt, Abs, Min, Max, Softplus, Silu, Sigmoid, Tanh, Re, Im, Conj, Complex, Eye, Inv, Group, Unknown };
Fn builtinOf(const std::string &name);
/// A real builtin of one or two real arguments (Fn::Exp ... Fn::Tanh).
double applyReal(Fn f, double a, double b);
bool compare(ast::BinOp op, double a, double b);

enum class Kind { Leaf, Const, Map, Reduce, MatMul, Group, Eye, Inv };

struct PlanNode {
  const sema::Node *node = nullptr;
  Kind kind = Kind::Map;
  Fn fn = Fn::Unknown;
  bool step = false; // varies per step: reads an in or a state
  Value v;
  std::vector<double> ownRe, ownIm, scratch;
  std::vector<int> operands;
  std::vector<std::vector<int64_t>> strides; // per operand: its stride along each axis of v
  int64_t contractLen = 0;                   // Reduce, MatMul: the length summed over
  std::vector<int64_t> contractStride;       // per operand: its stride along the summed axis
  int groupAxis = -1;                        // Group: the axis of v over H
  int64_t groupRatio = 1;                    // H / G
  int64_t groupStride = 0;                   // the operand's stride along G
};

/// Calls f(i, offs) for every element i of a row-major index space of `shape`, where offs[k] is
/// the offset of operand k (the sum of index times strides[k] over the axes).
template <int K, class F>
void sweep(const std::vector<int64_t> &shape, const int64_t *const *strides, F &&f) {
  const int rank = static_cast<int>(shape.size());
  for (int a = 0; a < rank; ++a)
    if (shape[a] == 0)
      return;
  int64_t off[K > 0 ? K : 1] = {};
  if (rank == 0) {
    f(int64_t(0), static_cast<const int64_t *>(off));
    return;
  }
  int64_t idx[kMaxRank] = {};
  const int last = rank - 1;
  const int64_t inner = shape[last];
  int64_t innerStride[K > 0 ? K : 1] = {};
  for (int k = 0; k < K; ++k)
    innerStride[k] = strides[k][last];
  int64_t out = 0;
  for (;;) {
    int64_t o[K > 0 ? K : 1];
    for (int k = 0; k < K; ++k)
      o[k] = off[k];
    for (int64_t i = 0; i < inner; ++i) {
      f(out++, static_cast<const int64_t *>(o));
      for (int k = 0; k < K; ++k)
        o[k] += innerStride[k];
    }
    int a = last - 1;
    for (; a >= 0; --a) {
      ++idx[a];
      for (int k = 0; k < K; ++k)
        off[k] += strides[k][a];
      if (idx[a] < shape[a])
        break;
      for (int k = 0; k < K; ++k)
        off[k] -= strides[k][a] * shape[a];
      idx[a] = 0;
    }
    if (a < 0)
      return;
  }
}

/// Plans nodes of one layer and runs them. Nodes are appended after their operands, so index
/// order is a topological order.
class Engine {
public:
  explicit Engine(const sema::Layer &layer);

  /// Plans `n` and what it reads; returns its index, or -1 with error() saying why.
  int plan(const sema::NodeRef &n);
  /// Computes node i from its operands (a no-op for leaves); false on a singular inv().
  bool run(int i);

  PlanNode &at(int i) { return *nodes_[i]; }
  int count() const { return static_cast<int>(nodes_.size()); }
  const std::string &error() const { return error_; }
  bool fail(std::string msg) {
    if (error_.empty())
      error_ = std::move(msg);
    return false;
  }

  /// Shape of `dims` from the layer's dim sizes; false (with an error) when a dim has no size
  /// or the value would be too large.
  bool shapeOf(const sema::Dims &dims, std::vector<int64_t> &shape, int64_t &size);
  /// The row-major layout of a value over `dims`, without storage.
  bool layoutOf(const sema::Dims &dims, bool complex, Value &v);
  /// A value over `dims` with its own storage in `owner`.
  bool allocate(const sema::Dims &dims, bool complex, PlanNode &owner);
  /// Strides of `operand` along the axes of `result` when each operand axis is the result
  /// axis with the same dim and occurrence (broadcast by name); false when one is missing.
  bool broadcastStrides(const Value &operand, const Value &result, std::vector<int64_t> &strides,
                        const sema::Node *where);
  /// Strides for `a @ b` into `result`: a's last axis sums against b's first occurrence of
  /// that dim; a's other axes and b's remaining ones are result axes of the same dim and
  /// occurrence.
  bool matmulStrides(const Value &a, const Value &b, const Value &result, std::vector<int64_t> &sa,
                     std::vector<int64_t> &sb, int64_t &len, int64_t &ca, int64_t &cb, const sema::Node *where);

  /// The node planned for an in, param or state read (`op` In, Param, StatePrev, StateCur), or
  /// -1 when nothing planned reads it.
  int findLeaf(sema::Op op, const std::string &name) const;

  std::string describe(const sema::Node *n) const;
  const sema::Layer &layer() const { return layer_; }

private:
  int planImpl(const sema::NodeRef &n);
  bool runMap(PlanNode &p);
  bool runInv(PlanNode &p);

  const sema::Layer &layer_;
  std::vector<std::unique_ptr<PlanNode>> nodes_;
  std::unordered_map<const sema::Node *, int> index_;
  std::map<std::pair<int, std::string>, int> leaves_; // (op, name): one node per in, param, state read
  std::string error_;
};

} // namespace ssmc::ref::detail

#endif
