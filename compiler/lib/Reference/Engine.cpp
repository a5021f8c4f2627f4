// The reference evaluator's plan and kernels: one dense float64 buffer per node, operands read
// through precomputed strides (broadcast by dim name and occurrence).
#include "Engine.h"

#include <algorithm>

namespace ssmc::ref::detail {

using sema::Node;
using sema::Op;

std::vector<Axis> axesOf(const sema::Dims &dims) {
  std::vector<Axis> axes;
  for (size_t i = 0; i < dims.size(); ++i) {
    int occ = static_cast<int>(std::count(dims.begin(), dims.begin() + static_cast<long>(i), dims[i]));
    axes.push_back({dims[i], occ});
  }
  return axes;
}

Fn builtinOf(const std::string &name) {
  static const std::map<std::string, Fn> fns = {
      {"exp", Fn::Exp},         {"log", Fn::Log},         {"log1p", Fn::Log1p},     {"sqrt", Fn::Sqrt},
      {"abs", Fn::Abs},         {"min", Fn::Min},         {"max", Fn::Max},         {"softplus", Fn::Softplus},
      {"silu", Fn::Silu},       {"sigmoid", Fn::Sigmoid}, {"tanh", Fn::Tanh},       {"re", Fn::Re},
      {"im", Fn::Im},           {"conj", Fn::Conj},       {"complex", Fn::Complex}, {"eye", Fn::Eye},
      {"inv", Fn::Inv},         {"group", Fn::Group},
  };
  auto it = fns.find(name);
  return it == fns.end() ? Fn::Unknown : it->second;
}

double applyReal(Fn f, double a, double b) {
  switch (f) {
  case Fn::Exp:
    return std::exp(a);
  case Fn::Log:
    return std::log(a);
  case Fn::Log1p:
    return std::log1p(a);
  case Fn::Sqrt:
    return std::sqrt(a);
  case Fn::Abs:
    return std::fabs(a);
  case Fn::Min:
    return minProp(a, b);
  case Fn::Max:
    return maxProp(a, b);
  case Fn::Softplus:
    return softplus(a);
  case Fn::Silu:
    return silu(a);
  case Fn::Sigmoid:
    return sigmoid(a);
  case Fn::Tanh:
    return std::tanh(a);
  case Fn::Re:
  case Fn::Conj:
    return a;
  case Fn::Im:
    return 0;
  default:
    return std::nan("");
  }
}

bool compare(ast::BinOp op, double a, double b) {
  switch (op) {
  case ast::BinOp::Lt:
    return a < b;
  case ast::BinOp::Le:
    return a <= b;
  case ast::BinOp::Gt:
    return a > b;
  case ast::BinOp::Ge:
    return a >= b;
  case ast::BinOp::Eq:
    return a == b;
  case ast::BinOp::Ne:
    return a != b;
  default:
    return false;
  }
}

Engine::Engine(const sema::Layer &layer) : layer_(layer) {}

std::string Engine::describe(const Node *n) const {
  if (!n)
    return "a missing value";
  std::string what;
  switch (n->op) {
  case Op::In:
  case Op::Param:
    what = n->name;
    break;
  case Op::StatePrev:
  case Op::StateCur:
    what = "state " + n->name;
    break;
  case Op::Builtin:
  case Op::Reduce:
    what = n->name + "(...)";
    break;
  case Op::MatMul:
    what = "a @ product";
    break;
  case Op::CallResult:
    what = "a call of " + (n->call ? n->call->fn : std::string("?"));
    break;
  default:
    what = "an expression";
  }
  what += " " + layer_.dimsString(n->dims);
  if (n->loc.valid())
    what += " at line " + std::to_string(n->loc.line) + ":" + std::to_string(n->loc.col);
  return what;
}

bool Engine::shapeOf(const sema::Dims &dims, std::vector<int64_t> &shape, int64_t &size) {
  shape.clear();
  size = 1;
  if (dims.size() > static_cast<size_t>(kMaxRank))
    return fail("a value over " + layer_.dimsString(dims) + " has more than " + std::to_string(kMaxRank) +
                " axes, more than the reference evaluator holds");
  for (int d : dims) {
    if (d < 0 || static_cast<size_t>(d) >= layer_.dims.size())
      return fail("internal error: dim index " + std::to_string(d) + " out of range in layer " + layer_.name);
    const sema::DimInfo &info = layer_.dims[d];
    if (!info.size)
      return fail("dim " + info.name + " of layer " + layer_.name + " has no size; give it in the layer (dims " +
                  info.name + " = ...) or with --dim " + info.name + "=...");
    if (*info.size <= 0)
      return fail("dim " + info.name + " of layer " + layer_.name + " is " + std::to_string(*info.size) +
                  "; sizes must be positive");
    if (*info.size > kMaxElements / size)
      return fail("a value over " + layer_.dimsString(dims) + " has more than " + std::to_string(kMaxElements) +
                  " elements, more than the reference evaluator holds");
    shape.push_back(*info.size);
    size *= *info.size;
  }
  return true;
}

bool Engine::layoutOf(const sema::Dims &dims, bool complex, Value &v) {
  if (!shapeOf(dims, v.shape, v.size))
    return false;
  v.axes = axesOf(dims);
  v.strides.assign(v.shape.size(), 1);
  for (int a = static_cast<int>(v.shape.size()) - 2; a >= 0; --a)
    v.strides[a] = v.strides[a + 1] * v.shape[a + 1];
  v.complex = complex;
  v.re = v.im = nullptr;
  return true;
}

int Engine::findLeaf(Op op, const std::string &name) const {
  auto it = leaves_.find({static_cast<int>(op), name});
  return it == leaves_.end() ? -1 : it->second;
}

bool Engine::allocate(const sema::Dims &dims, bool complex, PlanNode &owner) {
  Value &v = owner.v;
  if (!layoutOf(dims, complex, v))
    return false;
  owner.ownRe.assign(static_cast<size_t>(v.size), 0.0);
  v.re = owner.ownRe.data();
  if (complex) {
    owner.ownIm.assign(static_cast<size_t>(v.size), 0.0);
    v.im = owner.ownIm.data();
  }
  return true;
}

bool Engine::broadcastStrides(const Value &operand, const Value &result, std::vector<int64_t> &strides,
                              const Node *where) {
  strides.assign(result.axes.size(), 0);
  for (size_t a = 0; a < operand.axes.size(); ++a) {
    int r = result.find(operand.axes[a]);
    if (r < 0)
      return fail("internal error: an operand of " + describe(where) + " has dim " +
                  layer_.dims[operand.axes[a].dim].name + " that its result lacks");
    strides[r] += operand.strides[a];
  }
  return true;
}

bool Engine::matmulStrides(const Value &a, const Value &b, const Value &result, std::vector<int64_t> &sa,
                           std::vector<int64_t> &sb, int64_t &len, int64_t &ca, int64_t &cb, const Node *where) {
  if (a.axes.size() < 2)
    return fail("internal error: the matrix of " + describe(where) + " has fewer than two axes");
  const Axis k = a.axes.back();
  int bk = b.find(Axis{k.dim, 0});
  if (bk < 0)
    return fail("internal error: the right side of " + describe(where) + " lacks dim " + layer_.dims[k.dim].name);
  sa.assign(result.axes.size(), 0);
  sb.assign(result.axes.size(), 0);
  for (size_t i = 0; i + 1 < a.axes.size(); ++i) {
    int r = result.find(a.axes[i]);
    if (r < 0)
      return fail("internal error: the result of " + describe(where) + " lacks an axis of its matrix");
    sa[r] += a.strides[i];
  }
  for (size_t i = 0; i < b.axes.size(); ++i) {
    if (static_cast<int>(i) == bk)
      continue;
    int r = result.find(b.axes[i]);
    if (r < 0)
      return fail("internal error: the result of " + describe(where) + " lacks an axis of its right side");
    sb[r] += b.strides[i];
  }
  len = a.shape.back();
  ca = a.strides.back();
  cb = b.strides[bk];
  return true;
}

int Engine::plan(const sema::NodeRef &n) {
  if (!n) {
    fail("the layer has a missing value (did sema report errors?)");
    return -1;
  }
  auto it = index_.find(n.get());
  if (it != index_.end())
    return it->second;
  int i = planImpl(n);
  if (i >= 0)
    index_[n.get()] = i;
  return i;
}

int Engine::planImpl(const sema::NodeRef &np) {
  const Node &n = *np;
  if (n.op == Op::CallResult) {
    if (n.operands.empty())
      return fail("internal error: a call result without a value"), -1;
    return plan(n.operands[0]); // the inlined value itself: no copy
  }
  bool leaf = n.op == Op::In || n.op == Op::Param || n.op == Op::StatePrev || n.op == Op::StateCur;
  if (leaf) {
    auto key = std::make_pair(static_cast<int>(n.op), n.name);
    auto lt = leaves_.find(key);
    if (lt != leaves_.end())
      return lt->second;
  }
  if (n.op == Op::IndexVar || n.op == Op::DimSize)
    return fail("an init index or size() outside a param initializer: " + describe(&n)), -1;

  auto p = std::make_unique<PlanNode>();
  p->node = &n;
  if (leaf) {
    p->kind = Kind::Leaf;
    p->step = n.op != Op::Param;
    if (!layoutOf(n.dims, n.complex, p->v))
      return -1;
    nodes_.push_back(std::move(p));
    int idx = count() - 1;
    leaves_[{static_cast<int>(n.op), n.name}] = idx;
    return idx;
  }

  // Operands first. eye() reads only its argument's dims, so its argument is not planned.
  bool isEye = n.op == Op::Builtin && n.name == "eye";
  if (!isEye)
    for (const sema::NodeRef &o : n.operands) {
      int oi = plan(o);
      if (oi < 0)
        return -1;
      p->operands.push_back(oi);
      p->step |= nodes_[oi]->step;
    }
  auto operand = [&](size_t k) -> const Value & { return nodes_[p->operands[k]]->v; };
  auto need = [&](size_t count) {
    if (p->operands.size() == count)
      return true;
    return fail("internal error: " + describe(&n) + " has " + std::to_string(p->operands.size()) + " operands, not " +
                std::to_string(count));
  };

  if (n.op == Op::Builtin && n.name == "group") {
    if (!need(1) || !allocate(n.dims, n.complex, *p))
      return -1;
    int g = n.reduceDim, h = static_cast<int>(n.value);
    const Value &x = operand(0);
    int xg = x.find(Axis{g, 0});
    p->groupAxis = p->v.find(Axis{h, 0});
    if (xg < 0 || p->groupAxis < 0 || g < 0 || h < 0)
      return fail("internal error: group() without its dims in " + describe(&n)), -1;
    int64_t gs = x.shape[xg], hs = p->v.shape[p->groupAxis];
    if (hs % gs != 0)
      return fail("group(): " + layer_.dims[h].name + " = " + std::to_string(hs) + " is not a multiple of " +
                  layer_.dims[g].name + " = " + std::to_string(gs)),
             -1;
    p->groupRatio = hs / gs;
    p->groupStride = x.strides[xg];
    // The operand's other axes: a later occurrence of G moves down by one, the rest keep theirs.
    std::vector<int64_t> s(p->v.axes.size(), 0);
    for (size_t a = 0; a < x.axes.size(); ++a) {
      if (static_cast<int>(a) == xg)
        continue;
      Axis ax = x.axes[a];
      if (ax.dim == g)
        --ax.occ;
      int r = p->v.find(ax);
      if (r < 0)
        return fail("internal error: group() result lacks an axis of " + describe(&n)), -1;
      s[r] += x.strides[a];
    }
    p->kind = Kind::Group;
    p->strides.push_back(std::move(s));
  } else if (isEye) {
    p->kind = Kind::Eye;
    if (!allocate(n.dims, false, *p))
      return -1;
    if (p->v.shape.size() != 2)
      return fail("internal error: eye() over " + layer_.dimsString(n.dims)), -1;
    int64_t k = p->v.shape[0];
    for (int64_t r = 0; r < k; ++r)
      p->ownRe[static_cast<size_t>(r * k + r)] = 1;
  } else if (n.op == Op::Builtin && n.name == "inv") {
    p->kind = Kind::Inv;
    if (!need(1) || !allocate(n.dims, n.complex, *p))
      return -1;
    const Value &a = operand(0);
    size_t r = a.shape.size();
    if (r < 2 || a.shape[r - 1] != a.shape[r - 2] || a.axes != p->v.axes)
      return fail("internal error: inv() of a value that is not a stack of square matrices: " + describe(&n)), -1;
    int64_t k = a.shape[r - 1];
    p->scratch.assign(n.complex ? 0 : static_cast<size_t>(2 * k * k), 0.0);
  } else {
    if (!allocate(n.dims, n.complex, *p))
      return -1;
    switch (n.op) {
    case Op::Const:
      p->kind = Kind::Const;
      p->ownRe[0] = n.value;
      break;
    case Op::Reduce: {
      if (!need(1))
        return -1;
      p->kind = Kind::Reduce;
      const Value &x = operand(0);
      int last = -1;
      for (size_t a = 0; a < x.axes.size(); ++a)
        if (x.axes[a].dim == n.reduceDim)
          last = static_cast<int>(a);
      if (last < 0)
        return fail("internal error: sum over a dim its operand lacks: " + describe(&n)), -1;
      std::vector<int64_t> s(p->v.axes.size(), 0);
      for (size_t a = 0; a < x.axes.size(); ++a) {
        if (static_cast<int>(a) == last)
          continue;
        int r = p->v.find(x.axes[a]);
        if (r < 0)
          return fail("internal error: sum result lacks an axis of " + describe(&n)), -1;
        s[r] += x.strides[a];
      }
      p->strides.push_back(std::move(s));
      p->contractLen = x.shape[last];
      p->contractStride = {x.strides[last]};
      break;
    }
    case Op::MatMul: {
      if (!need(2))
        return -1;
      p->kind = Kind::MatMul;
      std::vector<int64_t> sa, sb;
      int64_t len = 0, ca = 0, cb = 0;
      if (!matmulStrides(operand(0), operand(1), p->v, sa, sb, len, ca, cb, &n))
        return -1;
      p->strides = {std::move(sa), std::move(sb)};
      p->contractLen = len;
      p->contractStride = {ca, cb};
      break;
    }
    case Op::Neg:
    case Op::Add:
    case Op::Sub:
    case Op::Mul:
    case Op::Div:
    case Op::Cmp:
    case Op::Select:
    case Op::Builtin: {
      p->kind = Kind::Map;
      size_t want = n.op == Op::Neg ? 1 : n.op == Op::Select ? 3 : 2;
      if (n.op == Op::Builtin) {
        p->fn = builtinOf(n.name);
        if (p->fn == Fn::Unknown)
          return fail("the reference evaluator does not know builtin '" + n.name + "' (" + describe(&n) + ")"), -1;
        want = p->fn == Fn::Min || p->fn == Fn::Max || p->fn == Fn::Complex ? 2 : 1;
      }
      if (!need(want))
        return -1;
      for (size_t k = 0; k < p->operands.size(); ++k) {
        std::vector<int64_t> s;
        if (!broadcastStrides(operand(k), p->v, s, &n))
          return -1;
        p->strides.push_back(std::move(s));
      }
      break;
    }
    default:
      return fail("internal error: the reference evaluator cannot plan " + describe(&n)), -1;
    }
  }
  nodes_.push_back(std::move(p));
  return count() - 1;
}

namespace {

// Kernels over a planned node: R, A, B, C are the result's and operands' buffers, read through
// the node's strides.

template <int K, class F>
void sweepNode(PlanNode &p, F &&f) {
  const int64_t *st[K > 0 ? K : 1];
  for (int k = 0; k < K; ++k)
    st[k] = p.strides[k].data();
  sweep<K>(p.v.shape, st, std::forward<F>(f));
}

template <class F>
void real1(PlanNode &p, const Value &a, F f) {
  double *R = p.v.re;
  const double *A = a.re;
  sweepNode<1>(p, [&](int64_t i, const int64_t *o) { R[i] = f(A[o[0]]); });
}

template <class F>
void real2(PlanNode &p, const Value &a, const Value &b, F f) {
  double *R = p.v.re;
  const double *A = a.re, *B = b.re;
  sweepNode<2>(p, [&](int64_t i, const int64_t *o) { R[i] = f(A[o[0]], B[o[1]]); });
}

inline void store(const Value &v, int64_t i, cplx z) {
  v.re[i] = z.real();
  v.im[i] = z.imag();
}

template <class F>
void cplx1(PlanNode &p, const Value &a, F f) {
  sweepNode<1>(p, [&](int64_t i, const int64_t *o) { store(p.v, i, f(load(a, o[0]))); });
}

template <class F>
void cplx2(PlanNode &p, const Value &a, const Value &b, F f) {
  sweepNode<2>(p, [&](int64_t i, const int64_t *o) { store(p.v, i, f(load(a, o[0]), load(b, o[1]))); });
}

/// Inverts each k x k block of `in` into `out` by Gauss-Jordan elimination with partial
/// pivoting; false on a zero (or non-finite) pivot.
template <class T>
bool gaussJordan(int64_t k, std::vector<T> &aug) {
  const int64_t w = 2 * k;
  for (int64_t c = 0; c < k; ++c) {
    int64_t piv = c;
    double best = std::abs(aug[c * w + c]);
    for (int64_t r = c + 1; r < k; ++r)
      if (std::abs(aug[r * w + c]) > best) {
        best = std::abs(aug[r * w + c]);
        piv = r;
      }
    if (!(best > 0) || !std::isfinite(best))
      return false;
    if (piv != c)
      for (int64_t j = 0; j < w; ++j)
        std::swap(aug[c * w + j], aug[piv * w + j]);
    T inv = T(1) / aug[c * w + c];
    for (int64_t j = 0; j < w; ++j)
      aug[c * w + j] *= inv;
    for (int64_t r = 0; r < k; ++r) {
      if (r == c)
        continue;
      T f = aug[r * w + c];
      if (f == T(0))
        continue;
      for (int64_t j = 0; j < w; ++j)
        aug[r * w + j] -= f * aug[c * w + j];
    }
  }
  return true;
}

} // namespace

bool Engine::runInv(PlanNode &p) {
  const Value &a = nodes_[p.operands[0]]->v;
  const int64_t k = a.shape.back(), kk = k * k, blocks = a.size / kk;
  const int64_t w = 2 * k;
  std::vector<cplx> caug(p.v.complex ? static_cast<size_t>(k * w) : 0);
  for (int64_t blk = 0; blk < blocks; ++blk) {
    const int64_t base = blk * kk;
    bool ok;
    if (p.v.complex) {
      std::vector<cplx> &aug = caug;
      for (int64_t r = 0; r < k; ++r)
        for (int64_t c = 0; c < k; ++c) {
          aug[r * w + c] = load(a, base + r * k + c);
          aug[r * w + k + c] = r == c ? 1.0 : 0.0;
        }
      ok = gaussJordan(k, aug);
      for (int64_t r = 0; ok && r < k; ++r)
        for (int64_t c = 0; c < k; ++c)
          store(p.v, base + r * k + c, aug[r * w + k + c]);
    } else {
      std::vector<double> &aug = p.scratch;
      for (int64_t r = 0; r < k; ++r)
        for (int64_t c = 0; c < k; ++c) {
          aug[r * w + c] = a.re[base + r * k + c];
          aug[r * w + k + c] = r == c ? 1.0 : 0.0;
        }
      ok = gaussJordan(k, aug);
      for (int64_t r = 0; ok && r < k; ++r)
        for (int64_t c = 0; c < k; ++c)
          p.v.re[base + r * k + c] = aug[r * w + k + c];
    }
    if (!ok)
      return fail("inv(): the matrix of " + describe(p.node) + " is singular (or not finite) at block " +
                  std::to_string(blk));
  }
  return true;
}

bool Engine::run(int i) {
  PlanNode &p = *nodes_[i];
  switch (p.kind) {
  case Kind::Leaf:
  case Kind::Const:
  case Kind::Eye:
    return true;
  case Kind::Inv:
    return runInv(p);
  case Kind::Group: {
    const Value &x = nodes_[p.operands[0]]->v;
    const int64_t hStride = p.v.strides[p.groupAxis], hSize = p.v.shape[p.groupAxis];
    const int64_t ratio = p.groupRatio, gStride = p.groupStride;
    sweepNode<1>(p, [&](int64_t i, const int64_t *o) {
      int64_t h = (i / hStride) % hSize;
      int64_t src = o[0] + (h / ratio) * gStride;
      p.v.re[i] = x.re[src];
      if (p.v.complex)
        p.v.im[i] = x.im ? x.im[src] : 0.0;
    });
    return true;
  }
  case Kind::Reduce: {
    const Value &x = nodes_[p.operands[0]]->v;
    const int64_t len = p.contractLen, cs = p.contractStride[0];
    if (p.v.complex)
      sweepNode<1>(p, [&](int64_t i, const int64_t *o) {
        cplx s = 0;
        for (int64_t k = 0; k < len; ++k)
          s += load(x, o[0] + k * cs);
        store(p.v, i, s);
      });
    else
      sweepNode<1>(p, [&](int64_t i, const int64_t *o) {
        double s = 0;
        for (int64_t k = 0; k < len; ++k)
          s += x.re[o[0] + k * cs];
        p.v.re[i] = s;
      });
    return true;
  }
  case Kind::MatMul: {
    const Value &a = nodes_[p.operands[0]]->v, &b = nodes_[p.operands[1]]->v;
    const int64_t len = p.contractLen, ca = p.contractStride[0], cb = p.contractStride[1];
    if (p.v.complex)
      sweepNode<2>(p, [&](int64_t i, const int64_t *o) {
        cplx s = 0;
        for (int64_t k = 0; k < len; ++k)
          s += load(a, o[0] + k * ca) * load(b, o[1] + k * cb);
        store(p.v, i, s);
      });
    else
      sweepNode<2>(p, [&](int64_t i, const int64_t *o) {
        double s = 0;
        for (int64_t k = 0; k < len; ++k)
          s += a.re[o[0] + k * ca] * b.re[o[1] + k * cb];
        p.v.re[i] = s;
      });
    return true;
  }
  case Kind::Map:
    return runMap(p);
  }
  return true;
}

bool Engine::runMap(PlanNode &p) {
  const Node &n = *p.node;
  auto operand = [&](size_t k) -> const Value & { return nodes_[p.operands[k]]->v; };
  const bool c = p.v.complex;
  switch (n.op) {
  case Op::Neg:
    if (c)
      cplx1(p, operand(0), [](cplx a) { return -a; });
    else
      real1(p, operand(0), [](double a) { return -a; });
    return true;
  case Op::Add:
    if (c)
      cplx2(p, operand(0), operand(1), [](cplx a, cplx b) { return a + b; });
    else
      real2(p, operand(0), operand(1), [](double a, double b) { return a + b; });
    return true;
  case Op::Sub:
    if (c)
      cplx2(p, operand(0), operand(1), [](cplx a, cplx b) { return a - b; });
    else
      real2(p, operand(0), operand(1), [](double a, double b) { return a - b; });
    return true;
  case Op::Mul:
    if (c)
      cplx2(p, operand(0), operand(1), [](cplx a, cplx b) { return a * b; });
    else
      real2(p, operand(0), operand(1), [](double a, double b) { return a * b; });
    return true;
  case Op::Div:
    if (c)
      cplx2(p, operand(0), operand(1), [](cplx a, cplx b) { return a / b; });
    else
      real2(p, operand(0), operand(1), [](double a, double b) { return a / b; });
    return true;
  case Op::Cmp: {
    ast::BinOp op = n.cmp;
    real2(p, operand(0), operand(1), [op](double a, double b) { return compare(op, a, b) ? 1.0 : 0.0; });
    return true;
  }
  case Op::Select: {
    const Value &cond = operand(0), &t = operand(1), &f = operand(2);
    if (c)
      sweepNode<3>(p, [&](int64_t i, const int64_t *o) {
        store(p.v, i, cond.re[o[0]] != 0 ? load(t, o[1]) : load(f, o[2]));
      });
    else
      sweepNode<3>(p, [&](int64_t i, const int64_t *o) {
        p.v.re[i] = cond.re[o[0]] != 0 ? t.re[o[1]] : f.re[o[2]];
      });
    return true;
  }
  case Op::Builtin:
    break;
  default:
    return fail("internal error: not an elementwise node: " + describe(&n));
  }

  const Value &a = operand(0);
  switch (p.fn) {
  case Fn::Exp:
    if (c)
      cplx1(p, a, [](cplx z) { return std::exp(z); });
    else
      real1(p, a, [](double x) { return std::exp(x); });
    return true;
  case Fn::Log:
    real1(p, a, [](double x) { return std::log(x); });
    return true;
  case Fn::Log1p:
    real1(p, a, [](double x) { return std::log1p(x); });
    return true;
  case Fn::Sqrt:
    real1(p, a, [](double x) { return std::sqrt(x); });
    return true;
  case Fn::Abs:
    real1(p, a, [](double x) { return std::fabs(x); });
    return true;
  case Fn::Softplus:
    real1(p, a, [](double x) { return softplus(x); });
    return true;
  case Fn::Silu:
    real1(p, a, [](double x) { return silu(x); });
    return true;
  case Fn::Sigmoid:
    real1(p, a, [](double x) { return sigmoid(x); });
    return true;
  case Fn::Tanh:
    real1(p, a, [](double x) { return std::tanh(x); });
    return true;
  case Fn::Min:
    real2(p, a, operand(1), [](double x, double y) { return minProp(x, y); });
    return true;
  case Fn::Max:
    real2(p, a, operand(1), [](double x, double y) { return maxProp(x, y); });
    return true;
  case Fn::Re:
    real1(p, a, [](double x) { return x; });
    return true;
  case Fn::Im:
    if (!a.im) {
      real1(p, a, [](double) { return 0.0; });
      return true;
    }
    {
      double *R = p.v.re;
      const double *I = a.im;
      sweepNode<1>(p, [&](int64_t i, const int64_t *o) { R[i] = I[o[0]]; });
    }
    return true;
  case Fn::Conj:
    if (c)
      cplx1(p, a, [](cplx z) { return std::conj(z); });
    else
      real1(p, a, [](double x) { return x; });
    return true;
  case Fn::Complex: {
    const Value &b = operand(1);
    sweepNode<2>(p, [&](int64_t i, const int64_t *o) {
      p.v.re[i] = a.re[o[0]];
      p.v.im[i] = b.re[o[1]];
    });
    return true;
  }
  default:
    return fail("internal error: builtin " + n.name + " is not elementwise (" + describe(&n) + ")");
  }
}

} // namespace ssmc::ref::detail
