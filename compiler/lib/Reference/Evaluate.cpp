// evaluate(): the step loop of the reference evaluator. Time-invariant nodes run once; per
// batch row and step, each state's decay and input, then its update, then the outs.
#include "ssmc/Reference.h"

#include "Engine.h"

#include <algorithm>
#include <exception>
#include <new>

namespace ssmc::ref {

using namespace detail;
using sema::Op;

namespace {

std::string shapeString(const std::vector<int64_t> &s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i)
    r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}

/// Checks a caller's tensor against the shape and dtype the layer expects.
bool checkTensor(const std::string &what, const HostTensor &t, const std::vector<int64_t> &shape, bool complex,
                 std::string &err) {
  if (t.shape != shape) {
    err = what + " has shape " + shapeString(t.shape) + " but the layer expects " + shapeString(shape);
    return false;
  }
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  if (static_cast<int64_t>(t.re.size()) != n) {
    err = what + " has " + std::to_string(t.re.size()) + " real values but its shape " + shapeString(shape) +
          " holds " + std::to_string(n);
    return false;
  }
  if (!t.im.empty() && static_cast<int64_t>(t.im.size()) != n) {
    err = what + " has " + std::to_string(t.im.size()) + " imaginary values but its shape " + shapeString(shape) +
          " holds " + std::to_string(n);
    return false;
  }
  if (!complex && !t.im.empty()) {
    err = what + " has an imaginary part but the layer declares it real (declare it c64)";
    return false;
  }
  return true;
}

/// Every node a root reads that varies per step and no earlier phase computed, in index
/// (topological) order.
std::vector<int> stepNodes(Engine &eng, const std::vector<int> &roots, std::vector<char> &done) {
  std::vector<int> list, stack(roots.begin(), roots.end());
  while (!stack.empty()) {
    int i = stack.back();
    stack.pop_back();
    if (i < 0 || done[i] || !eng.at(i).step)
      continue;
    done[i] = 1;
    if (eng.at(i).kind != Kind::Leaf)
      list.push_back(i);
    for (int o : eng.at(i).operands)
      stack.push_back(o);
  }
  std::sort(list.begin(), list.end());
  return list;
}

struct StateRun {
  const sema::State *s = nullptr;
  int decay = -1, input = -1;
  int prevLeaf = -1, curLeaf = -1;
  std::vector<int> nodes; // step nodes its decay and input need
  Value layout;           // [dims...] of one batch row
  std::vector<int64_t> sDecay, sPrev, sInput;
  int64_t len = 0, cDecay = 0, cPrev = 0; // dense: the contraction
  std::vector<double> prevRe, prevIm, curRe, curIm;
};

struct OutRun {
  const sema::Tensor *t = nullptr;
  int value = -1;
  Value layout;
  std::vector<int64_t> strides;
  HostTensor *dst = nullptr;
};

bool evaluateImpl(const sema::Layer &L, const TensorMap &given, int64_t batch, int64_t seqlen, const TensorMap *h0,
                  TensorMap &outs, TensorMap *hT, std::string &err) {
  if (batch < 0 || seqlen < 0) {
    err = "batch and seqlen must not be negative (got batch " + std::to_string(batch) + ", seqlen " +
          std::to_string(seqlen) + ")";
    return false;
  }
  for (const sema::Tensor &t : L.tensors)
    if (t.role == ast::Role::Out && !t.value) {
      err = "out " + t.name + " of layer " + L.name + " has no value (did sema report errors?)";
      return false;
    }
  for (const sema::State &s : L.states)
    if (!s.decay || !s.input) {
      err = "state " + s.name + " of layer " + L.name + " has no update (did sema report errors?)";
      return false;
    }
  for (const auto &[name, t] : given) {
    const sema::Tensor *lt = L.tensor(name);
    if (!lt || lt->role == ast::Role::Out) {
      err = "'" + name + "' is not an in or a param of layer " + L.name;
      return false;
    }
  }

  // Params the caller left out take their defaults.
  TensorMap defaults;
  std::string defaultsError;
  bool missingParam = false;
  for (const sema::Tensor &t : L.tensors)
    missingParam |= t.role == ast::Role::Param && !given.count(t.name);
  if (missingParam) {
    // Given params feed the initializers of the missing ones (`param B: [D] = 2 * A`).
    for (const auto &[name, t] : given)
      if (L.tensor(name)->role == ast::Role::Param)
        defaults[name] = t;
    defaultParams(L, defaults, &defaultsError);
  }

  Engine eng(L);
  auto tensorFor = [&](const sema::Tensor &t) -> const HostTensor * {
    auto it = given.find(t.name);
    if (it != given.end())
      return &it->second;
    auto d = defaults.find(t.name);
    return d == defaults.end() ? nullptr : &d->second;
  };
  const int64_t B = batch, T = seqlen;
  for (const sema::Tensor &t : L.tensors) {
    if (t.role == ast::Role::Out)
      continue;
    std::vector<int64_t> shape;
    int64_t size = 0;
    if (!eng.shapeOf(t.dims, shape, size)) {
      err = eng.error();
      return false;
    }
    if (t.role == ast::Role::In)
      shape.insert(shape.begin(), {B, T});
    const HostTensor *ht = tensorFor(t);
    if (!ht) {
      if (t.role == ast::Role::In) {
        std::string inner = L.dimsString(t.dims);
        inner = inner.substr(1, inner.size() - 2);
        err = "in " + t.name + " of layer " + L.name + " is not given (its shape is [batch, seqlen" +
              (inner.empty() ? "" : ", " + inner) + "])";
      } else {
        err = "param " + t.name + " is not given and has no default (" + defaultsError + ")";
      }
      return false;
    }
    std::string what = (t.role == ast::Role::In ? "in " : "param ") + t.name;
    if (!checkTensor(what, *ht, shape, t.dtype == sema::DType::C64, err))
      return false;
  }

  // Plan every state's update and every out.
  std::vector<StateRun> states(L.states.size());
  for (size_t j = 0; j < L.states.size(); ++j) {
    StateRun &r = states[j];
    r.s = &L.states[j];
    r.decay = eng.plan(r.s->decay);
    r.input = eng.plan(r.s->input);
    if (r.decay < 0 || r.input < 0 || !eng.layoutOf(r.s->dims, r.s->complex, r.layout)) {
      err = eng.error();
      return false;
    }
  }
  std::vector<OutRun> outRuns;
  for (const sema::Tensor &t : L.tensors) {
    if (t.role != ast::Role::Out)
      continue;
    OutRun o;
    o.t = &t;
    o.value = eng.plan(t.value);
    if (o.value < 0 || !eng.layoutOf(t.dims, t.dtype == sema::DType::C64, o.layout)) {
      err = eng.error();
      return false;
    }
    outRuns.push_back(std::move(o));
  }
  for (StateRun &r : states) {
    r.prevLeaf = eng.findLeaf(Op::StatePrev, r.s->name);
    r.curLeaf = eng.findLeaf(Op::StateCur, r.s->name);
    const Value &d = eng.at(r.decay).v, &in = eng.at(r.input).v;
    bool ok = eng.broadcastStrides(in, r.layout, r.sInput, r.s->input.get());
    if (r.s->dense)
      ok = ok && eng.matmulStrides(d, r.layout, r.layout, r.sDecay, r.sPrev, r.len, r.cDecay, r.cPrev, r.s->decay.get());
    else
      ok = ok && eng.broadcastStrides(d, r.layout, r.sDecay, r.s->decay.get());
    r.sPrev = r.s->dense ? r.sPrev : r.layout.strides;
    if (!ok) {
      err = "state " + r.s->name + ": " + eng.error();
      return false;
    }
  }
  for (OutRun &o : outRuns)
    if (!eng.broadcastStrides(eng.at(o.value).v, o.layout, o.strides, o.t->value.get())) {
      err = "out " + o.t->name + ": " + eng.error();
      return false;
    }

  // Bind params, then run what does not vary per step once.
  for (const sema::Tensor &t : L.tensors) {
    if (t.role != ast::Role::Param)
      continue;
    int leaf = eng.findLeaf(Op::Param, t.name);
    if (leaf < 0)
      continue;
    const HostTensor *ht = tensorFor(t);
    eng.at(leaf).v.re = const_cast<double *>(ht->re.data());
    eng.at(leaf).v.im = ht->im.empty() ? nullptr : const_cast<double *>(ht->im.data());
  }
  std::vector<char> done(static_cast<size_t>(eng.count()), 0);
  for (int i = 0; i < eng.count(); ++i)
    if (!eng.at(i).step) {
      done[i] = 1;
      if (!eng.run(i)) {
        err = eng.error();
        return false;
      }
    }
  for (StateRun &r : states)
    r.nodes = stepNodes(eng, {r.decay, r.input}, done);
  std::vector<int> outRoots;
  for (OutRun &o : outRuns)
    outRoots.push_back(o.value);
  std::vector<int> outNodes = stepNodes(eng, outRoots, done);

  struct InBind {
    int leaf;
    const HostTensor *t;
    int64_t size;
  };
  std::vector<InBind> ins;
  for (const sema::Tensor &t : L.tensors)
    if (t.role == ast::Role::In) {
      int leaf = eng.findLeaf(Op::In, t.name);
      if (leaf >= 0)
        ins.push_back({leaf, tensorFor(t), eng.at(leaf).v.size});
    }

  outs.clear();
  for (OutRun &o : outRuns) {
    std::vector<int64_t> shape = o.layout.shape;
    shape.insert(shape.begin(), {B, T});
    o.dst = &(outs[o.t->name] = HostTensor(shape, o.layout.complex));
  }
  if (hT) {
    hT->clear();
    for (StateRun &r : states) {
      std::vector<int64_t> shape = r.layout.shape;
      shape.insert(shape.begin(), B);
      (*hT)[r.s->name] = HostTensor(shape, r.s->complex);
    }
  }
  for (StateRun &r : states) {
    size_t n = static_cast<size_t>(r.layout.size);
    r.prevRe.assign(n, 0.0);
    r.curRe.assign(n, 0.0);
    if (r.s->complex) {
      r.prevIm.assign(n, 0.0);
      r.curIm.assign(n, 0.0);
    }
    if (h0 && h0->count(r.s->name)) {
      std::vector<int64_t> shape = r.layout.shape;
      shape.insert(shape.begin(), B);
      if (!checkTensor("initial state " + r.s->name, h0->at(r.s->name), shape, r.s->complex, err))
        return false;
    }
  }
  for (const auto &entry : h0 ? *h0 : TensorMap{}) {
    bool known = false;
    for (const sema::State &s : L.states)
      known |= s.name == entry.first;
    if (!known) {
      err = "h0 names '" + entry.first + "', which is not a state of layer " + L.name;
      return false;
    }
  }

  for (int64_t b = 0; b < B; ++b) {
    for (StateRun &r : states) {
      const HostTensor *init = h0 && h0->count(r.s->name) ? &h0->at(r.s->name) : nullptr;
      const size_t n = r.prevRe.size(), base = static_cast<size_t>(b) * n;
      for (size_t i = 0; i < n; ++i) {
        r.prevRe[i] = init ? init->re[base + i] : 0.0;
        if (r.s->complex)
          r.prevIm[i] = init && !init->im.empty() ? init->im[base + i] : 0.0;
      }
    }
    for (int64_t t = 0; t < T; ++t) {
      const int64_t row = b * T + t;
      for (const InBind &in : ins) {
        Value &v = eng.at(in.leaf).v;
        v.re = const_cast<double *>(in.t->re.data()) + row * in.size;
        v.im = in.t->im.empty() ? nullptr : const_cast<double *>(in.t->im.data()) + row * in.size;
      }
      for (StateRun &r : states) {
        double *pim = r.s->complex ? r.prevIm.data() : nullptr, *cim = r.s->complex ? r.curIm.data() : nullptr;
        if (r.prevLeaf >= 0) {
          eng.at(r.prevLeaf).v.re = r.prevRe.data();
          eng.at(r.prevLeaf).v.im = pim;
        }
        if (r.curLeaf >= 0) {
          eng.at(r.curLeaf).v.re = r.curRe.data();
          eng.at(r.curLeaf).v.im = cim;
        }
      }
      for (StateRun &r : states) {
        for (int i : r.nodes)
          if (!eng.run(i)) {
            err = eng.error();
            return false;
          }
        const Value &D = eng.at(r.decay).v, &I = eng.at(r.input).v;
        Value P = r.layout;
        P.re = r.prevRe.data();
        P.im = r.s->complex ? r.prevIm.data() : nullptr;
        double *cre = r.curRe.data(), *cim = r.s->complex ? r.curIm.data() : nullptr;
        const int64_t *st[3] = {r.sDecay.data(), r.sPrev.data(), r.sInput.data()};
        const int64_t len = r.len, cd = r.cDecay, cp = r.cPrev;
        if (!r.s->dense && !r.s->complex)
          sweep<3>(r.layout.shape, st, [&](int64_t i, const int64_t *o) {
            cre[i] = D.re[o[0]] * P.re[o[1]] + I.re[o[2]];
          });
        else if (!r.s->dense)
          sweep<3>(r.layout.shape, st, [&](int64_t i, const int64_t *o) {
            cplx z = load(D, o[0]) * load(P, o[1]) + load(I, o[2]);
            cre[i] = z.real();
            cim[i] = z.imag();
          });
        else if (!r.s->complex)
          sweep<3>(r.layout.shape, st, [&](int64_t i, const int64_t *o) {
            double s = I.re[o[2]];
            for (int64_t k = 0; k < len; ++k)
              s += D.re[o[0] + k * cd] * P.re[o[1] + k * cp];
            cre[i] = s;
          });
        else
          sweep<3>(r.layout.shape, st, [&](int64_t i, const int64_t *o) {
            cplx s = load(I, o[2]);
            for (int64_t k = 0; k < len; ++k)
              s += load(D, o[0] + k * cd) * load(P, o[1] + k * cp);
            cre[i] = s.real();
            cim[i] = s.imag();
          });
      }
      for (int i : outNodes)
        if (!eng.run(i)) {
          err = eng.error();
          return false;
        }
      for (OutRun &o : outRuns) {
        const Value &V = eng.at(o.value).v;
        const int64_t base = row * o.layout.size;
        double *dre = o.dst->re.data() + base;
        double *dim = o.layout.complex ? o.dst->im.data() + base : nullptr;
        const int64_t *st[1] = {o.strides.data()};
        sweep<1>(o.layout.shape, st, [&](int64_t i, const int64_t *off) {
          dre[i] = V.re[off[0]];
          if (dim)
            dim[i] = V.im ? V.im[off[0]] : 0.0;
        });
      }
      for (StateRun &r : states) {
        r.prevRe.swap(r.curRe);
        r.prevIm.swap(r.curIm);
      }
    }
    if (hT)
      for (StateRun &r : states) {
        HostTensor &dst = hT->at(r.s->name);
        std::copy(r.prevRe.begin(), r.prevRe.end(), dst.re.begin() + b * r.layout.size);
        if (r.s->complex)
          std::copy(r.prevIm.begin(), r.prevIm.end(), dst.im.begin() + b * r.layout.size);
      }
  }
  return true;
}

} // namespace

bool evaluate(const sema::Layer &layer, const TensorMap &insAndParams, int64_t batch, int64_t seqlen,
              const TensorMap *h0, TensorMap &outs, TensorMap *hT, std::string *error) {
  std::string err;
  bool ok = false;
  try {
    ok = evaluateImpl(layer, insAndParams, batch, seqlen, h0, outs, hT, err);
  } catch (const std::bad_alloc &) {
    err = "out of memory evaluating layer " + layer.name + " at batch " + std::to_string(batch) + ", seqlen " +
          std::to_string(seqlen);
  } catch (const std::exception &e) {
    err = std::string("evaluating layer ") + layer.name + ": " + e.what();
  }
  if (!ok && error)
    *error = err.empty() ? "evaluation of layer " + layer.name + " failed" : err;
  return ok;
}

} // namespace ssmc::ref
