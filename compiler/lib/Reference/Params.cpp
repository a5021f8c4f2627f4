// defaultParams(): each param's initializer evaluated at every index of the param, in float64.
#include "ssmc/Reference.h"

#include "Engine.h"

#include <algorithm>
#include <exception>
#include <new>
#include <tuple>

namespace ssmc::ref {

using namespace detail;
using sema::Node;
using sema::Op;

namespace {

/// An init body (`init hippo_legs[n, k] = ...`) as a flat program run once per element of the
/// param. It cannot run on the Engine: sema gives an index the dims of the dim it ranges over,
/// so the two indices of a [N, N] init both have dims [N], and `n > k` would have dims [N] too.
/// Here each index is bound to its position in the param instead.
class InitProgram {
public:
  InitProgram(const sema::Layer &L, const sema::Tensor &t) : L_(L), t_(t) {}

  bool build(std::string &err) {
    if (!flatten(t_.value, err))
      return false;
    return bindIndices(err);
  }

  /// Fills `out` (the param's layout) by running the program at every index.
  void run(HostTensor &out) {
    std::vector<cplx> val(steps_.size());
    const size_t rank = out.shape.size();
    std::vector<int64_t> idx(rank, 0);
    const int64_t n = out.numel();
    for (int64_t e = 0; e < n; ++e) {
      for (size_t s = 0; s < steps_.size(); ++s)
        val[s] = step(steps_[s], val, idx);
      const cplx &r = val.back();
      out.re[e] = r.real();
      if (!out.im.empty())
        out.im[e] = r.imag();
      for (size_t a = rank; a-- > 0;) {
        if (++idx[a] < out.shape[a])
          break;
        idx[a] = 0;
      }
    }
  }

private:
  struct Step {
    const Node *n;
    Fn fn = Fn::Unknown;
    int position = -1; // IndexVar: which index of the param
    std::vector<int> ops;
  };

  bool flatten(const sema::NodeRef &root, std::string &err) {
    // Iterative post-order, so a deeply nested body cannot overflow the stack.
    std::vector<std::pair<const Node *, size_t>> stack = {{root.get(), 0}};
    while (!stack.empty()) {
      auto &[n, next] = stack.back();
      if (!n) {
        err = "the initializer of " + t_.name + " has a missing value (did sema report errors?)";
        return false;
      }
      if (index_.count(n)) {
        stack.pop_back();
        continue;
      }
      if (next < n->operands.size()) {
        const Node *o = n->operands[next++].get();
        stack.push_back({o, 0});
        continue;
      }
      Step s;
      s.n = n;
      switch (n->op) {
      case Op::Const:
      case Op::IndexVar:
      case Op::DimSize:
      case Op::Neg:
      case Op::Add:
      case Op::Sub:
      case Op::Mul:
      case Op::Div:
      case Op::Cmp:
      case Op::Select:
      case Op::CallResult:
        break;
      case Op::Builtin:
        s.fn = builtinOf(n->name);
        if (s.fn == Fn::Unknown || s.fn == Fn::Eye || s.fn == Fn::Inv || s.fn == Fn::Group) {
          err = "init " + t_.init + " (of param " + t_.name + ") uses " + n->name +
                "(), which the reference evaluator runs only outside inits";
          return false;
        }
        break;
      default:
        err = "init " + t_.init + " (of param " + t_.name + ") uses " +
              (n->op == Op::Reduce ? "sum[...]" : n->op == Op::MatMul ? "@" : "a layer value") +
              ", which the reference evaluator does not support inside an init";
        return false;
      }
      for (const sema::NodeRef &o : n->operands)
        s.ops.push_back(index_.at(o.get()));
      index_[n] = static_cast<int>(steps_.size());
      steps_.push_back(std::move(s));
      stack.pop_back();
    }
    return true;
  }

  /// Binds each index of the init to its position in the param. Sema keeps no position, but it
  /// does keep each index's dim and where it was declared: indices over distinct dims bind by
  /// dim, and indices over one repeated dim bind in the order the init declares them.
  bool bindIndices(std::string &err) {
    std::map<int, std::vector<Step *>> byDim;
    for (Step &s : steps_)
      if (s.n->op == Op::IndexVar) {
        if (s.n->dims.size() != 1) {
          err = "internal error: an index of init " + t_.init + " without one dim";
          return false;
        }
        byDim[s.n->dims[0]].push_back(&s);
      }
    for (auto &[dim, vars] : byDim) {
      std::vector<int> positions;
      for (size_t i = 0; i < t_.dims.size(); ++i)
        if (t_.dims[i] == dim)
          positions.push_back(static_cast<int>(i));
      std::sort(vars.begin(), vars.end(), [](const Step *a, const Step *b) {
        const Loc &x = a->n->loc, &y = b->n->loc;
        return std::tie(x.file, x.begin, x.line, x.col) < std::tie(y.file, y.begin, y.line, y.col);
      });
      if (positions.size() != 1 && positions.size() != vars.size()) {
        err = "init " + t_.init + " (of param " + t_.name + ") reads " + std::to_string(vars.size()) + " of the " +
              std::to_string(positions.size()) + " indices over dim " + L_.dims[dim].name +
              "; sema does not record which, so the reference evaluator cannot tell them apart";
        return false;
      }
      if (positions.size() == 1 && vars.size() != 1) {
        err = "internal error: init " + t_.init + " has several indices over dim " + L_.dims[dim].name;
        return false;
      }
      for (size_t v = 0; v < vars.size(); ++v)
        vars[v]->position = positions[v];
    }
    return true;
  }

  cplx step(const Step &s, const std::vector<cplx> &val, const std::vector<int64_t> &idx) const {
    const Node &n = *s.n;
    auto a = [&](size_t k) { return val[s.ops[k]]; };
    switch (n.op) {
    case Op::Const:
    case Op::DimSize:
      return n.value;
    case Op::IndexVar:
      return static_cast<double>(idx[s.position]);
    case Op::CallResult:
      return a(0);
    case Op::Neg:
      return -a(0);
    case Op::Add:
      return a(0) + a(1);
    case Op::Sub:
      return a(0) - a(1);
    case Op::Mul:
      return n.complex ? a(0) * a(1) : cplx(a(0).real() * a(1).real());
    case Op::Div:
      return n.complex ? a(0) / a(1) : cplx(a(0).real() / a(1).real());
    case Op::Cmp:
      return compare(n.cmp, a(0).real(), a(1).real()) ? 1.0 : 0.0;
    case Op::Select:
      return a(0).real() != 0 ? a(1) : a(2);
    case Op::Builtin:
      switch (s.fn) {
      case Fn::Exp:
        return n.complex ? std::exp(a(0)) : cplx(std::exp(a(0).real()));
      case Fn::Re:
        return a(0).real();
      case Fn::Im:
        return a(0).imag();
      case Fn::Conj:
        return std::conj(a(0));
      case Fn::Complex:
        return {a(0).real(), a(1).real()};
      default:
        return applyReal(s.fn, a(0).real(), s.ops.size() > 1 ? a(1).real() : 0.0);
      }
    default:
      return std::nan("");
    }
  }

  const sema::Layer &L_;
  const sema::Tensor &t_;
  std::vector<Step> steps_;
  std::map<const Node *, int> index_;
};

/// A param given by an expression of constants and earlier params: run on the Engine, then
/// broadcast to the param's dims.
bool evalExpression(const sema::Layer &L, const sema::Tensor &t, const TensorMap &earlier, HostTensor &out,
                    std::string &err) {
  Engine eng(L);
  int root = eng.plan(t.value);
  Value layout;
  if (root < 0 || !eng.layoutOf(t.dims, t.dtype == sema::DType::C64, layout)) {
    err = "param " + t.name + ": " + eng.error();
    return false;
  }
  for (int i = 0; i < eng.count(); ++i) {
    PlanNode &p = eng.at(i);
    if (p.step) {
      err = "the initializer of param " + t.name + " reads " + eng.describe(p.node) + ", which varies per step";
      return false;
    }
    if (p.kind == Kind::Leaf) {
      auto it = earlier.find(p.node->name);
      if (it == earlier.end()) {
        err = "the initializer of param " + t.name + " reads param " + p.node->name + ", which has no default";
        return false;
      }
      const HostTensor &given = it->second;
      if (given.numel() != p.v.size || static_cast<int64_t>(given.re.size()) != p.v.size ||
          (!given.im.empty() && static_cast<int64_t>(given.im.size()) != p.v.size)) {
        err = "the initializer of param " + t.name + " reads param " + p.node->name + ", given with " +
              std::to_string(given.re.size()) + " values where its dims hold " + std::to_string(p.v.size);
        return false;
      }
      p.v.re = const_cast<double *>(it->second.re.data());
      p.v.im = it->second.im.empty() ? nullptr : const_cast<double *>(it->second.im.data());
    }
  }
  for (int i = 0; i < eng.count(); ++i)
    if (!eng.run(i)) {
      err = "param " + t.name + ": " + eng.error();
      return false;
    }
  const Value &v = eng.at(root).v;
  std::vector<int64_t> strides;
  if (!eng.broadcastStrides(v, layout, strides, t.value.get())) {
    err = "param " + t.name + ": " + eng.error();
    return false;
  }
  const int64_t *st[1] = {strides.data()};
  sweep<1>(layout.shape, st, [&](int64_t i, const int64_t *o) {
    out.re[i] = v.re[o[0]];
    if (!out.im.empty())
      out.im[i] = v.im ? v.im[o[0]] : 0.0;
  });
  return true;
}

bool defaultParamsImpl(const sema::Layer &L, TensorMap &params, std::string &err) {
  std::vector<std::string> problems;
  Engine shapes(L);
  for (const sema::Tensor &t : L.tensors) {
    if (t.role != ast::Role::Param || params.count(t.name))
      continue;
    if (!t.value) {
      problems.push_back("param " + t.name + " has no initializer (give it one, e.g. `= 1`, or pass its value)");
      continue;
    }
    std::vector<int64_t> shape;
    int64_t size = 0;
    if (!shapes.shapeOf(t.dims, shape, size)) {
      problems.push_back("param " + t.name + ": " + shapes.error());
      continue;
    }
    HostTensor out(shape, t.dtype == sema::DType::C64);
    std::string why;
    bool ok;
    if (!t.init.empty()) {
      InitProgram prog(L, t);
      ok = prog.build(why);
      if (ok)
        prog.run(out);
    } else {
      ok = evalExpression(L, t, params, out, why);
    }
    if (!ok) {
      problems.push_back(why);
      continue;
    }
    params[t.name] = std::move(out);
  }
  for (const std::string &p : problems)
    err += (err.empty() ? "" : "; ") + p;
  return problems.empty();
}

} // namespace

bool defaultParams(const sema::Layer &layer, TensorMap &params, std::string *error) {
  std::string err;
  bool ok = false;
  try {
    ok = defaultParamsImpl(layer, params, err);
  } catch (const std::bad_alloc &) {
    err = "out of memory computing the default params of layer " + layer.name;
  } catch (const std::exception &e) {
    err = std::string("default params of layer ") + layer.name + ": " + e.what();
  }
  if (!ok && error)
    *error = err;
  return ok;
}

} // namespace ssmc::ref
