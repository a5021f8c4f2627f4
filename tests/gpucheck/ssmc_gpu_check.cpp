// ssmc-gpu-check: runs compiled layers (.ssmpack) on the GPU through the runtime's C API and
// checks them against the float64 reference evaluated from the same script. Three modes:
//
// --mode numerics (default):
//   * forward over whole sequences (outputs poisoned first) vs the reference, per seqlen/batch;
//   * prefill of the first half, then prefill of the second half from the carried state;
//   * prefill of a prefix, then single decode steps;
//   Inputs are rounded to the storage dtype before the reference sees them, so the comparison
//   measures the kernel, not the input rounding.
// --mode extreme: NaN, +inf and -inf in one element of each in; for a layer with an in named dt:
//   dt large enough that exp(dt A) underflows, dt = +-100 (softplus at its extremes), dt uniform
//   in [-100, 100]. Forward and decode steps: every output must be NaN/inf exactly where the
//   reference's is (after rounding to the out's storage dtype) and close to it elsewhere; the
//   final state likewise. Outputs are poisoned with 0x7f bytes (large, finite), so an output the
//   kernel never wrote cannot pass as an expected NaN.
// --mode long: one long forward (64-bit offsets; state accumulated over the whole length) with
//   inputs generated in the storage dtype straight into device memory (no float64 copy of the
//   whole tensors), checked against the reference on a few channels of --channel-dim (each
//   channel is evaluated alone, on slices of the inputs, one CPU thread per channel; the layer's
//   rows along that dim must be independent, as in Mamba S6). Reports, per channel, the relative
//   error over the whole length and over the first and the last 65536 steps, and the final state.
// Exit status 1 on any failed check, 2 on a setup error.
//
// usage: ssmc-gpu-check SCRIPT.ssm PACK.ssmpack [--mode numerics|extreme|long]
//        [--seqlens 1,7,127] [--batches 1,3] [--tol X] [--steps K]
//        [--channels 0,1,-1] [--channel-dim D] [--threads T]     (long mode)
//        ssmc-gpu-check SCRIPT.ssm D=37,N=16 --mode selftest [--seqlens ..] [--batches ..]
//        (CPU only: the long mode's channel-slice reference against the whole-tensor one)
#include "ssmc/HostRun.h"
#include "ssmc/Reference.h"
#include "ssmc/RuntimeTypes.h"
#include "ssmc/Sema.h"
#include "ssmrt/ssmrt.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace ssmc;

namespace {

#define RT_OK(x)                                                                                   \
  do {                                                                                             \
    ssmrt_status s_ = (x);                                                                         \
    if (s_ != SSMRT_OK) {                                                                          \
      std::fprintf(stderr, "ssmrt error %s at line %d: %s\n", ssmrt_status_string(s_), __LINE__,   \
                   ssmrt_last_error());                                                            \
      std::exit(2);                                                                                \
    }                                                                                              \
  } while (0)

std::vector<long long> parseList(const char *s) {
  std::vector<long long> v;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    v.push_back(std::atoll(item.c_str()));
  return v;
}

struct Checker {
  const sema::Layer &L;
  ssmrt_layer *layer;
  double tol;
  int failures = 0;
  std::vector<std::string> table;

  using Outs = std::map<std::string, std::vector<double>>;

  Outs call(const ref::TensorMap &vals, int64_t batch, int64_t seq, bool step, int64_t t, const ssmrt_state *initial,
            ssmrt_state *final) {
    Outs o;
    std::string err;
    if (!host::run(L, layer, vals, batch, seq, step, t, initial, final, o, &err)) {
      std::fprintf(stderr, "%s: %s\n", L.name.c_str(), err.c_str());
      std::exit(2);
    }
    return o;
  }

  void record(const std::string &what, int64_t batch, int64_t seq, double err, const std::string &dtype) {
    bool ok = err <= tol;
    failures += !ok;
    char line[256];
    std::snprintf(line, sizeof line, "%-14s %-5s %-22s batch %-2lld seq %-6lld rel.err %.3e  %s", L.name.c_str(),
                  dtype.c_str(), what.c_str(), (long long)batch, (long long)seq, err, ok ? "ok" : "FAIL");
    std::printf("%s\n", line);
    std::fflush(stdout);
    table.push_back(line);
  }

  void run(int64_t batch, int64_t seq, int steps, const std::string &dtype) {
    std::string err;
    ref::TensorMap vals;
    if (!ref::defaultParams(L, vals, &err) || !ref::randomInputs(L, batch, seq, 1234 + seq * 7 + batch, vals, &err)) {
      std::fprintf(stderr, "reference inputs: %s\n", err.c_str());
      std::exit(2);
    }
    host::quantizeAll(L, vals);
    ref::TensorMap outs, hT;
    if (!ref::evaluate(L, vals, batch, seq, nullptr, outs, &hT, &err)) {
      std::fprintf(stderr, "reference: %s\n", err.c_str());
      std::exit(2);
    }
    // 1. the whole sequence, and the final state
    ssmrt_state *fin = nullptr;
    RT_OK(ssmrt_state_create(layer, batch, &fin));
    double worst = 0;
    for (auto &[name, v] : call(vals, batch, seq, false, 0, nullptr, fin))
      worst = std::max(worst, host::relErr(v, outs.at(name).re));
    record("forward", batch, seq, worst, dtype);
    size_t sbytes = 0;
    RT_OK(ssmrt_state_byte_size(fin, &sbytes));
    std::vector<float> hs(sbytes / 4);
    RT_OK(ssmrt_state_save(fin, hs.data(), sbytes));
    const ref::HostTensor &href = hT.at(L.states[0].name);
    bool cx = href.isComplex();
    std::vector<double> got, want;
    for (size_t i = 0; i < hs.size(); ++i) {
      got.push_back(hs[i]);
      want.push_back(cx ? (i % 2 ? href.im[i / 2] : href.re[i / 2]) : href.re[i]);
    }
    record("final state", batch, seq, host::relErr(got, want), dtype);

    if (seq >= 2) {
      // 2. the first half, then the second half from the carried state
      int64_t k = seq / 2;
      ref::TensorMap a = vals, b = vals;
      for (const sema::Tensor &t : L.tensors)
        if (t.role == ast::Role::In) {
          a.at(t.name) = host::slice(vals.at(t.name), 0, k);
          b.at(t.name) = host::slice(vals.at(t.name), k, seq);
        }
      ssmrt_state *mid = nullptr;
      RT_OK(ssmrt_state_create(layer, batch, &mid));
      call(a, batch, k, false, 0, nullptr, mid);
      double w = 0;
      for (auto &[name, v] : call(b, batch, seq - k, false, 0, mid, nullptr))
        w = std::max(w, host::relErr(v, host::slice(outs.at(name), k, seq).re));
      record("halves (carried)", batch, seq, w, dtype);
      // 3. a prefill of the prefix, then single decode steps
      int64_t nsteps = std::min<int64_t>(steps, seq - 1), p = seq - nsteps;
      ref::TensorMap pre = vals;
      for (const sema::Tensor &t : L.tensors)
        if (t.role == ast::Role::In)
          pre.at(t.name) = host::slice(vals.at(t.name), 0, p);
      RT_OK(ssmrt_state_reset(mid));
      call(pre, batch, p, false, 0, nullptr, mid);
      double ws = 0;
      for (int64_t t = p; t < seq; ++t)
        for (auto &[name, v] : call(vals, batch, seq, true, t, nullptr, mid))
          ws = std::max(ws, host::relErr(v, host::slice(outs.at(name), t, t + 1).re));
      record("prefill+" + std::to_string(nsteps) + " steps", batch, seq, ws, dtype);
      ssmrt_state_release(mid);
    }
    ssmrt_state_release(fin);
  }
};


// ---------------------------------------------------------------------------------------------
// Shared helpers of the extreme and long modes.

double secondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

size_t storageBytes(sema::DType t) { return t == sema::DType::F32 ? 4 : t == sema::DType::C64 ? 8 : 2; }

/// `v` (already rounded to `t`) in `t`'s storage bits at `dst`. Real dtypes only.
void encodeOne(double v, sema::DType t, unsigned char *dst) {
  float f = static_cast<float>(v);
  switch (t) {
  case sema::DType::BF16: {
    __nv_bfloat16 b = __float2bfloat16(f);
    std::memcpy(dst, &b, 2);
    break;
  }
  case sema::DType::F16: {
    __half h = __float2half(f);
    std::memcpy(dst, &h, 2);
    break;
  }
  default:
    std::memcpy(dst, &f, 4);
  }
}

double decodeOne(const unsigned char *p, sema::DType t) {
  switch (t) {
  case sema::DType::BF16: {
    uint16_t b;
    std::memcpy(&b, p, 2);
    uint32_t u = uint32_t(b) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
  case sema::DType::F16: {
    __half h;
    std::memcpy(&h, p, 2);
    return __half2float(h);
  }
  default: {
    float f;
    std::memcpy(&f, p, 4);
    return f;
  }
  }
}

/// f(begin, end) over [0, n) split into `threads` contiguous ranges.
void parallelFor(int64_t n, int threads, const std::function<void(int64_t, int64_t)> &f) {
  threads = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, n / 4096 + 1)));
  if (threads == 1) {
    f(0, n);
    return;
  }
  std::vector<std::thread> pool;
  int64_t per = (n + threads - 1) / threads;
  for (int k = 0; k < threads; ++k) {
    int64_t b = k * per, e = std::min(n, b + per);
    if (b < e)
      pool.emplace_back(f, b, e);
  }
  for (auto &th : pool)
    th.join();
}

/// Outputs (or states) of the GPU against the reference's, element by element: NaN where the
/// reference has NaN, the same infinity where it has one, finite where it is finite (the
/// reference rounded to the storage dtype first, so that a value past the dtype's range counts
/// as the infinity the storage holds), and the relative error ||gpu - ref|| / ||ref|| over the
/// finite positions.
struct ClassMatch {
  int64_t n = 0, refNonFinite = 0, gpuNonFinite = 0;
  int64_t born = 0;   // non-finite on the GPU where the reference is finite
  int64_t lost = 0;   // the reference is NaN, the GPU is not
  int64_t wrong = 0;  // the reference is +-inf, the GPU has something else
  int64_t firstBad = -1;
  double num = 0, den = 0;
  // Complex layers: NaN and inf count as one class. The reference multiplies std::complex
  // values (C99 Annex G: an infinite operand gives an infinite product where the plain formula
  // gives inf - inf = NaN); the kernels use the plain formula.
  bool oneNonFiniteClass = false;
  double err() const { return den > 0 ? std::sqrt(num / den) : std::sqrt(num); }
  bool ok(double tol) const { return born == 0 && lost == 0 && wrong == 0 && err() <= tol; }
  void add(double gpu, double ref, int64_t i) {
    ++n;
    bool rf = std::isfinite(ref), gf = std::isfinite(gpu);
    refNonFinite += !rf;
    gpuNonFinite += !gf;
    bool bad = false;
    if (rf) {
      if (!gf) {
        ++born;
        bad = true;
      } else {
        num += (gpu - ref) * (gpu - ref);
        den += ref * ref;
      }
    } else if (oneNonFiniteClass) {
      if (gf) {
        ++lost;
        bad = true;
      }
    } else if (std::isnan(ref)) {
      if (!std::isnan(gpu)) {
        ++lost;
        bad = true;
      }
    } else if (gpu != ref) {
      ++wrong;
      bad = true;
    }
    if (bad && firstBad < 0)
      firstBad = i;
  }
  void merge(const ClassMatch &o) {
    n += o.n;
    refNonFinite += o.refNonFinite;
    gpuNonFinite += o.gpuNonFinite;
    born += o.born;
    lost += o.lost;
    wrong += o.wrong;
    num += o.num;
    den += o.den;
    if (firstBad < 0)
      firstBad = o.firstBad;
  }
  std::string describe() const {
    char b[200];
    std::snprintf(b, sizeof b, "non-finite ref %lld gpu %lld, born %lld lost %lld wrong %lld", (long long)refNonFinite,
                  (long long)gpuNonFinite, (long long)born, (long long)lost, (long long)wrong);
    return b;
  }
};

struct Table {
  int failures = 0;
  std::vector<std::string> lines;
  void add(const std::string &line, bool ok) {
    failures += !ok;
    std::printf("%s  %s\n", line.c_str(), ok ? "ok" : "FAIL");
    std::fflush(stdout);
    lines.push_back(line);
  }
};

// ---------------------------------------------------------------------------------------------
// --mode extreme

struct Extreme {
  const sema::Layer &L;
  ssmrt_layer *layer;
  std::string dtype;
  double tol;
  Table &table;
  int64_t batch = 3, seq = 37;

  /// Row-major element (b, t, k) of an in [batch, seq, inner].
  static double &at(ref::HostTensor &h, int64_t b, int64_t t, int64_t k) {
    int64_t inner = 1;
    for (size_t a = 2; a < h.shape.size(); ++a)
      inner *= h.shape[a];
    return h.re[static_cast<size_t>((b * h.shape[1] + t) * inner + k)];
  }
  static int64_t innerOf(const ref::HostTensor &h) {
    int64_t inner = 1;
    for (size_t a = 2; a < h.shape.size(); ++a)
      inner *= h.shape[a];
    return inner;
  }

  void runCase(const std::string &what, const ref::TensorMap &base, const std::function<void(ref::TensorMap &)> &mutate) {
    ref::TensorMap vals = base;
    mutate(vals);
    host::quantizeAll(L, vals);
    ref::TensorMap outs, hT;
    std::string err;
    char line[320];
    if (!ref::evaluate(L, vals, batch, seq, nullptr, outs, &hT, &err)) {
      std::snprintf(line, sizeof line, "%-14s %-5s extreme %-30s reference failed: %s", L.name.c_str(), dtype.c_str(),
                    what.c_str(), err.c_str());
      table.add(line, false);
      return;
    }
    // forward over the whole sequence, with the final state
    ssmrt_state *fin = nullptr, *st = nullptr;
    if (ssmrt_state_create(layer, batch, &fin) != SSMRT_OK || ssmrt_state_create(layer, batch, &st) != SSMRT_OK) {
      std::snprintf(line, sizeof line, "%-14s %-5s extreme %-30s state: %s", L.name.c_str(), dtype.c_str(), what.c_str(),
                    ssmrt_last_error());
      table.add(line, false);
      return;
    }
    ClassMatch fwd, state, steps;
    for (ClassMatch *m : {&fwd, &state, &steps})
      for (const sema::State &S : L.states)
        m->oneNonFiniteClass = m->oneNonFiniteClass || S.complex;
    std::map<std::string, std::vector<double>> got;
    bool ran = host::run(L, layer, vals, batch, seq, false, 0, nullptr, fin, got, &err, nullptr, 0x7f);
    if (ran) {
      for (auto &[name, v] : got) {
        const sema::Tensor *tn = L.tensor(name);
        const std::vector<double> &r = outs.at(name).re;
        for (size_t i = 0; i < v.size() && i < r.size(); ++i)
          fwd.add(v[i], host::quantize(r[i], tn->dtype), static_cast<int64_t>(i));
        if (v.size() != r.size())
          fwd.wrong += 1;
      }
      size_t sbytes = 0;
      ssmrt_state_byte_size(fin, &sbytes);
      std::vector<float> hs(sbytes / 4);
      if (ssmrt_state_save(fin, hs.data(), sbytes) == SSMRT_OK) {
        const ref::HostTensor &href = hT.at(L.states[0].name);
        bool cx = href.isComplex();
        for (size_t i = 0; i < hs.size(); ++i) {
          double want = cx ? (i % 2 ? href.im[i / 2] : href.re[i / 2]) : href.re[i];
          state.add(hs[i], static_cast<double>(static_cast<float>(want)), static_cast<int64_t>(i));
        }
      } else {
        ran = false;
        err = std::string("state save: ") + ssmrt_last_error();
      }
    }
    // the same sequence as decode steps from a zero state (the step kernel's own softplus etc.)
    if (ran && ssmrt_state_reset(st) != SSMRT_OK) {
      ran = false;
      err = std::string("state reset: ") + ssmrt_last_error();
    }
    if (ran) {
      for (int64_t t = 0; t < seq && ran; ++t) {
        std::map<std::string, std::vector<double>> o;
        ran = host::run(L, layer, vals, batch, seq, true, t, nullptr, st, o, &err, nullptr, 0x7f);
        for (auto &[name, v] : o) {
          const sema::Tensor *tn = L.tensor(name);
          ref::HostTensor r = host::slice(outs.at(name), t, t + 1);
          for (size_t i = 0; i < v.size() && i < r.re.size(); ++i)
            steps.add(v[i], host::quantize(r.re[i], tn->dtype), static_cast<int64_t>(t * 1000000 + i));
        }
      }
    }
    ssmrt_state_release(fin);
    ssmrt_state_release(st);
    if (!ran) {
      std::snprintf(line, sizeof line, "%-14s %-5s extreme %-30s run failed: %s", L.name.c_str(), dtype.c_str(),
                    what.c_str(), err.c_str());
      table.add(line, false);
      return;
    }
    struct {
      const char *part;
      const ClassMatch *m;
    } parts[] = {{"forward", &fwd}, {"final state", &state}, {"steps", &steps}};
    for (auto &p : parts) {
      std::snprintf(line, sizeof line, "%-14s %-5s extreme %-30s %-11s rel.err %.3e  %s", L.name.c_str(), dtype.c_str(),
                    what.c_str(), p.part, p.m->err(), p.m->describe().c_str());
      table.add(line, p.m->ok(tol));
    }
  }

  void run() {
    ref::TensorMap base;
    std::string err;
    if (!ref::defaultParams(L, base, &err) || !ref::randomInputs(L, batch, seq, 4321, base, &err)) {
      std::fprintf(stderr, "reference inputs: %s\n", err.c_str());
      std::exit(2);
    }
    const double inf = INFINITY;
    for (const sema::Tensor &t : L.tensors) {
      if (t.role != ast::Role::In)
        continue;
      const std::string n = t.name;
      int64_t inner = innerOf(base.at(n));
      runCase("NaN in " + n, base, [&](ref::TensorMap &v) { at(v.at(n), 1, seq / 3, inner / 2) = NAN; });
      runCase("+inf in " + n, base, [&](ref::TensorMap &v) { at(v.at(n), 2, seq / 2, inner - 1) = inf; });
      runCase("-inf in " + n, base, [&](ref::TensorMap &v) { at(v.at(n), 0, 2 * seq / 3, 0) = -inf; });
    }
    if (L.tensor("dt") && L.tensor("dt")->role == ast::Role::In) {
      int64_t inner = innerOf(base.at("dt"));
      // exp(delta A) far below f32's smallest normal (A <= -1 in the stdlib inits): the state
      // restarts from delta B x; batch 2 at 1e4, where it is exactly 0 in float64 too.
      runCase("dt in [90,110] (exp underflow)", base, [&](ref::TensorMap &v) {
        for (int64_t b = 0; b < batch; ++b)
          for (int64_t t = seq / 4; t < seq / 2; ++t)
            for (int64_t k = 0; k < inner; ++k)
              at(v.at("dt"), b, t, k) = b == 2 ? 1e4 : 90.0 + 20.0 * double((t * 7 + k * 3) % 11) / 10.0;
      });
      runCase("dt = +-100 (softplus ends)", base, [&](ref::TensorMap &v) {
        for (int64_t b = 0; b < batch; ++b)
          for (int64_t t = seq / 3; t < seq; ++t)
            for (int64_t k = 0; k < inner; ++k)
              at(v.at("dt"), b, t, k) = (t + k + b) % 2 ? 100.0 : -100.0;
      });
      runCase("dt uniform in [-100,100]", base, [&](ref::TensorMap &v) {
        ref::HostTensor &d = v.at("dt");
        for (size_t i = 0; i < d.re.size(); ++i)
          d.re[i] = -100.0 + 200.0 * double((i * 2654435761u) % 10007) / 10006.0;
      });
    }
  }
};

// ---------------------------------------------------------------------------------------------
// --mode long

/// Counter-based uniform values: element i of an in is a function of (seed, name, i) alone, so
/// the GPU's inputs are generated in parallel chunks and the reference's channel slices are
/// regenerated from the same indices.
struct InGen {
  uint64_t key;
  double lo, hi;
  sema::DType dtype;
  static uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  InGen(const sema::Tensor &t, uint64_t seed) : dtype(t.dtype) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : t.name)
      h = (h ^ c) * 0x100000001b3ull;
    key = mix(seed ^ h);
    bool step = t.name == "dt" || t.name == "delta";
    lo = step ? -4.0 : -1.0;
    hi = step ? -1.0 : 1.0;
  }
  double at(uint64_t i) const {
    uint64_t z = mix(key + (i + 1) * 0x9e3779b97f4a7c15ull);
    return host::quantize(lo + (hi - lo) * static_cast<double>(z >> 11) * 0x1.0p-53, dtype);
  }
};

/// Where the channel dim sits in a tensor's full shape: elements are [outer][channel][inner].
struct ChannelSplit {
  int64_t outer = 1, channels = 1, inner = 1;
  bool has = false;
};

struct Long {
  const sema::Layer &L;   // the pack's dims
  const sema::Layer &L1;  // the same script with the channel dim of size 1
  ssmrt_layer *layer;
  std::string dtype;
  double tol;
  int threads;
  int chanDim;  // index into L.dims
  Table &table;

  std::vector<int64_t> fullShape(const sema::Tensor &t, int64_t batch, int64_t seq) const {
    std::vector<int64_t> s;
    if (t.role == ast::Role::In || t.role == ast::Role::Out)
      s = {batch, seq};
    for (int d : t.dims)
      s.push_back(*L.dims[d].size);
    return s;
  }
  ChannelSplit split(const sema::Dims &dims, int64_t lead) const {
    ChannelSplit c;
    c.outer = lead;
    bool after = false;
    for (int d : dims) {
      if (d == chanDim) {
        c.has = true;
        c.channels = *L.dims[d].size;
        after = true;
      } else if (after) {
        c.inner *= *L.dims[d].size;
      } else {
        c.outer *= *L.dims[d].size;
      }
    }
    return c;
  }

  struct RefResult {
    std::map<std::string, std::vector<double>> outs;  // [outer][inner] of this channel
    std::vector<double> stateRe, stateIm;
    std::string error;
    double seconds = 0;
  };

  /// The reference on channel `c` alone: every in and param gathered at c along the channel dim
  /// (ins from the generator, params from the full defaults), the layer with that dim of size 1.
  void reference(int64_t c, int64_t batch, int64_t seq, uint64_t seed, const ref::TensorMap &params, RefResult &r) const {
    auto t0 = std::chrono::steady_clock::now();
    try {
      ref::TensorMap vals;
      for (const sema::Tensor &t : L.tensors) {
        if (t.role == ast::Role::Out)
          continue;
        bool in = t.role == ast::Role::In;
        ChannelSplit sp = split(t.dims, in ? batch * seq : 1);
        std::vector<int64_t> shape = fullShape(t, batch, seq);
        if (sp.has)
          for (size_t a = in ? 2 : 0, k = 0; a < shape.size(); ++a, ++k)
            if (t.dims[k] == chanDim)
              shape[a] = 1;
        ref::HostTensor h(shape, false);
        const ref::HostTensor *full = in ? nullptr : &params.at(t.name);
        InGen gen(t, seed);
        for (int64_t o = 0; o < sp.outer; ++o)
          for (int64_t k = 0; k < sp.inner; ++k) {
            int64_t src = sp.has ? (o * sp.channels + c) * sp.inner + k : o * sp.inner + k;
            h.re[static_cast<size_t>(o * sp.inner + k)] = in ? gen.at(static_cast<uint64_t>(src)) : full->re[src];
          }
        vals[t.name] = std::move(h);
      }
      ref::TensorMap outs, hT;
      if (!ref::evaluate(L1, vals, batch, seq, nullptr, outs, &hT, &r.error))
        return;
      for (auto &[name, h] : outs)
        r.outs[name] = std::move(h.re);
      const ref::HostTensor &hs = hT.at(L.states[0].name);
      r.stateRe = hs.re;
      r.stateIm = hs.im;
    } catch (const std::exception &e) {
      r.error = std::string("reference: ") + e.what();
    }
    r.seconds = secondsSince(t0);
  }

  /// CPU only (no GPU, no pack): the reference on channel slices, built the way the long mode
  /// builds it, must equal the reference over the whole tensors bit for bit.
  bool selftest(int64_t batch, int64_t seq, std::vector<int64_t> channels, uint64_t seed) {
    const int64_t D = *L.dims[chanDim].size;
    ref::TensorMap vals, outs, hT;
    std::string err;
    if (!ref::defaultParams(L, vals, &err))
      return fail("selftest", "params: " + err);
    host::quantizeAll(L, vals);
    ref::TensorMap params = vals;
    for (const sema::Tensor &t : L.tensors)
      if (t.role == ast::Role::In) {
        ref::HostTensor h(fullShape(t, batch, seq), false);
        InGen gen(t, seed);
        for (size_t i = 0; i < h.re.size(); ++i)
          h.re[i] = gen.at(i);
        vals[t.name] = std::move(h);
      }
    if (!ref::evaluate(L, vals, batch, seq, nullptr, outs, &hT, &err))
      return fail("selftest", "reference: " + err);
    bool ok = true;
    for (int64_t &c : channels) {
      c = c < 0 ? D + c : c;
      RefResult r;
      reference(c, batch, seq, seed, params, r);
      if (!r.error.empty())
        return fail("selftest", r.error);
      int64_t diff = 0, n = 0;
      for (const sema::Tensor &t : L.tensors) {
        if (t.role != ast::Role::Out)
          continue;
        ChannelSplit sp = split(t.dims, batch * seq);
        const std::vector<double> &full = outs.at(t.name).re, &one = r.outs.at(t.name);
        for (int64_t o = 0; o < sp.outer; ++o)
          for (int64_t q = 0; q < sp.inner; ++q, ++n) {
            double a = full[static_cast<size_t>((o * sp.channels + c) * sp.inner + q)];
            double b = one[static_cast<size_t>(o * sp.inner + q)];
            diff += !(a == b || (std::isnan(a) && std::isnan(b)));
          }
      }
      ChannelSplit ssp = split(L.states[0].dims, batch);
      const ref::HostTensor &hf = hT.at(L.states[0].name);
      for (int64_t o = 0; o < ssp.outer; ++o)
        for (int64_t q = 0; q < ssp.inner; ++q, ++n)
          diff += hf.re[static_cast<size_t>((o * ssp.channels + c) * ssp.inner + q)] !=
                  r.stateRe[static_cast<size_t>(o * ssp.inner + q)];
      char line[200];
      std::snprintf(line, sizeof line, "%-14s selftest channel %lld of %lld: %lld of %lld values differ from the full reference",
                    L.name.c_str(), (long long)c, (long long)D, (long long)diff, (long long)n);
      table.add(line, diff == 0 && n > 0);
      ok = ok && diff == 0 && n > 0;
    }
    return ok;
  }

  bool fail(const std::string &what, const std::string &msg) {
    char line[400];
    std::snprintf(line, sizeof line, "%-14s %-5s long %-28s %s", L.name.c_str(), dtype.c_str(), what.c_str(), msg.c_str());
    table.add(line, false);
    return false;
  }

  bool run(int64_t batch, int64_t seq, std::vector<int64_t> channels, uint64_t seed) {
    const int64_t D = *L.dims[chanDim].size;
    char shapeBuf[128];
    std::snprintf(shapeBuf, sizeof shapeBuf, "B%lld L%lld %s%lld", (long long)batch, (long long)seq,
                  L.dims[chanDim].name.c_str(), (long long)D);
    const std::string shape = shapeBuf;
    for (int64_t &c : channels)
      c = c < 0 ? D + c : c;
    std::sort(channels.begin(), channels.end());
    channels.erase(std::unique(channels.begin(), channels.end()), channels.end());
    for (int64_t c : channels)
      if (c < 0 || c >= D)
        return fail(shape, "channel " + std::to_string(c) + " is outside [0, " + std::to_string(D) + ")");
    for (const sema::Tensor &t : L.tensors)
      if (t.dtype == sema::DType::C64 && t.role != ast::Role::Param)
        return fail(shape, "complex ins and outs are not supported by the long mode (" + t.name + ")");
    for (const sema::Tensor &t : L.tensors)
      if (t.role == ast::Role::Out && !split(t.dims, 1).has)
        return fail(shape, "out " + t.name + " has no " + L.dims[chanDim].name + " dim: channels are not independent");
    if (L.states.size() != 1 || !split(L.states[0].dims, 1).has)
      return fail(shape, "the long mode needs one state with the channel dim");
    auto tStart = std::chrono::steady_clock::now();

    ref::TensorMap params;
    std::string err;
    if (!ref::defaultParams(L, params, &err))
      return fail(shape, "params: " + err);
    host::quantizeAll(L, params);

    // The reference on every channel, in the background while the GPU runs.
    std::vector<RefResult> refs(channels.size());
    std::vector<std::thread> refThreads;
    for (size_t i = 0; i < channels.size(); ++i)
      refThreads.emplace_back([&, i] { reference(channels[i], batch, seq, seed, params, refs[i]); });
    auto joinRefs = [&] {
      for (auto &th : refThreads)
        if (th.joinable())
          th.join();
    };

    // Device memory: check it fits before allocating.
    size_t need = 0;
    std::vector<size_t> bytes;
    for (const sema::Tensor &t : L.tensors) {
      size_t n = 1;
      for (int64_t s : fullShape(t, batch, seq))
        n *= static_cast<size_t>(s);
      bytes.push_back(std::max<size_t>(n * storageBytes(t.dtype), 16));
      need += bytes.back();
    }
    size_t freeB = 0, totalB = 0;
    cudaError_t e = cudaMemGetInfo(&freeB, &totalB);
    if (e != cudaSuccess) {
      joinRefs();
      return fail(shape, std::string("cudaMemGetInfo: ") + cudaGetErrorString(e));
    }
    char mem[200];
    std::snprintf(mem, sizeof mem, "needs %.1f GiB of device memory, %.1f GiB free of %.1f GiB", need / 1073741824.0,
                  freeB / 1073741824.0, totalB / 1073741824.0);
    std::printf("%s %s long %s: %s\n", L.name.c_str(), dtype.c_str(), shape.c_str(), mem);
    if (need + (size_t(1) << 30) > freeB) {
      joinRefs();
      return fail(shape, std::string("not run: ") + mem);
    }
    std::vector<void *> dev(L.tensors.size(), nullptr);
    auto freeAll = [&] {
      for (void *p : dev)
        if (p)
          cudaFree(p);
    };
    const size_t kChunk = size_t(256) << 20;
    void *pinned[2] = {nullptr, nullptr};
    cudaStream_t stream = nullptr;
    cudaEvent_t done[2] = {nullptr, nullptr};
    auto cleanup = [&] {
      cudaDeviceSynchronize();
      for (int k = 0; k < 2; ++k) {
        if (pinned[k])
          cudaFreeHost(pinned[k]);
        if (done[k])
          cudaEventDestroy(done[k]);
      }
      if (stream)
        cudaStreamDestroy(stream);
      freeAll();
    };
    auto cudaFail = [&](cudaError_t ce, const std::string &what) {
      cleanup();
      joinRefs();
      return fail(shape, what + ": " + cudaGetErrorString(ce));
    };
    for (size_t k = 0; k < L.tensors.size(); ++k)
      if ((e = cudaMalloc(&dev[k], bytes[k])) != cudaSuccess)
        return cudaFail(e, "cudaMalloc of " + L.tensors[k].name + " (" + std::to_string(bytes[k]) + " bytes)");
    for (int k = 0; k < 2; ++k) {
      if ((e = cudaHostAlloc(&pinned[k], kChunk, cudaHostAllocDefault)) != cudaSuccess)
        return cudaFail(e, "cudaHostAlloc");
      if ((e = cudaEventCreate(&done[k])) != cudaSuccess)
        return cudaFail(e, "cudaEventCreate");
    }
    if ((e = cudaStreamCreate(&stream)) != cudaSuccess)
      return cudaFail(e, "cudaStreamCreate");

    // Ins (generated in chunks into two pinned buffers, copied while the next is generated) and
    // params; outs poisoned with NaN.
    auto tUp = std::chrono::steady_clock::now();
    std::vector<ssmrt_tensor> ts;
    for (size_t k = 0; k < L.tensors.size(); ++k) {
      const sema::Tensor &t = L.tensors[k];
      std::vector<int64_t> s = fullShape(t, batch, seq);
      size_t eb = storageBytes(t.dtype), n = bytes[k] / eb;
      if (t.role == ast::Role::In) {
        InGen gen(t, seed);
        size_t per = kChunk / eb;
        for (size_t c0 = 0, it = 0; c0 < n; c0 += per, ++it) {
          int b = int(it & 1);
          if ((e = cudaEventSynchronize(done[b])) != cudaSuccess)
            return cudaFail(e, "upload of " + t.name);
          size_t cnt = std::min(per, n - c0);
          unsigned char *dst = static_cast<unsigned char *>(pinned[b]);
          parallelFor(static_cast<int64_t>(cnt), threads, [&](int64_t i0, int64_t i1) {
            for (int64_t i = i0; i < i1; ++i)
              encodeOne(gen.at(c0 + static_cast<size_t>(i)), t.dtype, dst + static_cast<size_t>(i) * eb);
          });
          if ((e = cudaMemcpyAsync(static_cast<unsigned char *>(dev[k]) + c0 * eb, dst, cnt * eb,
                                   cudaMemcpyHostToDevice, stream)) != cudaSuccess ||
              (e = cudaEventRecord(done[b], stream)) != cudaSuccess)
            return cudaFail(e, "upload of " + t.name);
        }
        if ((e = cudaStreamSynchronize(stream)) != cudaSuccess)
          return cudaFail(e, "upload of " + t.name);
      } else if (t.role == ast::Role::Param) {
        const ref::HostTensor &h = params.at(t.name);
        std::vector<unsigned char> host(h.re.size() * eb);
        for (size_t i = 0; i < h.re.size(); ++i) {
          if (t.dtype == sema::DType::C64) {
            float f[2] = {static_cast<float>(h.re[i]), h.im.empty() ? 0.0f : static_cast<float>(h.im[i])};
            std::memcpy(&host[8 * i], f, 8);
          } else {
            encodeOne(h.re[i], t.dtype, &host[i * eb]);
          }
        }
        if ((e = cudaMemcpy(dev[k], host.data(), host.size(), cudaMemcpyHostToDevice)) != cudaSuccess)
          return cudaFail(e, "upload of " + t.name);
      } else if ((e = cudaMemset(dev[k], 0xff, bytes[k])) != cudaSuccess) {
        return cudaFail(e, "poisoning " + t.name);
      }
      ssmrt_tensor d{};
      d.data = dev[k];
      d.dtype = ssmc::runtimeDtype(t.dtype);
      d.rank = static_cast<int32_t>(s.size());
      int64_t stride = 1;
      for (size_t a = s.size(); a-- > 0;) {
        d.sizes[a] = s[a];
        d.strides[a] = stride;
        stride *= s[a];
      }
      ts.push_back(d);
    }
    if ((e = cudaDeviceSynchronize()) != cudaSuccess)
      return cudaFail(e, "uploads");
    double upSeconds = secondsSince(tUp);

    ssmrt_state *fin = nullptr;
    if (ssmrt_state_create(layer, batch, &fin) != SSMRT_OK) {
      std::string m = ssmrt_last_error();
      cleanup();
      joinRefs();
      return fail(shape, "ssmrt_state_create: " + m);
    }
    cudaEvent_t k0, k1;
    cudaEventCreate(&k0);
    cudaEventCreate(&k1);
    cudaEventRecord(k0, nullptr);
    ssmrt_status st = ssmrt_layer_forward(layer, ts.data(), static_cast<int32_t>(ts.size()), nullptr, fin);
    cudaEventRecord(k1, nullptr);
    if (st != SSMRT_OK) {
      std::string m = std::string(ssmrt_status_string(st)) + ": " + ssmrt_last_error();
      ssmrt_state_release(fin);
      cleanup();
      joinRefs();
      return fail(shape, "ssmrt_layer_forward: " + m);
    }
    if ((e = cudaDeviceSynchronize()) != cudaSuccess) {
      ssmrt_state_release(fin);
      return cudaFail(e, "the forward kernel");
    }
    float kernelMs = 0;
    cudaEventElapsedTime(&kernelMs, k0, k1);
    cudaEventDestroy(k0);
    cudaEventDestroy(k1);

    // Outs back in chunks: non-finite values over the whole tensor, and the checked channels.
    auto tDown = std::chrono::steady_clock::now();
    std::map<std::string, std::vector<std::vector<double>>> got;  // name -> channel -> [outer][inner]
    int64_t nonFinite = 0, total = 0;
    for (size_t k = 0; k < L.tensors.size(); ++k) {
      const sema::Tensor &t = L.tensors[k];
      if (t.role != ast::Role::Out)
        continue;
      ChannelSplit sp = split(t.dims, batch * seq);
      size_t eb = storageBytes(t.dtype), rowBytes = static_cast<size_t>(sp.channels * sp.inner) * eb;
      int64_t rowsPer = std::max<int64_t>(1, static_cast<int64_t>(kChunk / rowBytes));
      auto &g = got[t.name];
      g.assign(channels.size(), std::vector<double>(static_cast<size_t>(sp.outer * sp.inner)));
      std::atomic<int64_t> bad{0};
      for (int64_t o0 = 0; o0 < sp.outer; o0 += rowsPer) {
        int64_t rows = std::min(rowsPer, sp.outer - o0);
        if ((e = cudaMemcpy(pinned[0], static_cast<unsigned char *>(dev[k]) + static_cast<size_t>(o0) * rowBytes,
                            static_cast<size_t>(rows) * rowBytes, cudaMemcpyDeviceToHost)) != cudaSuccess) {
          ssmrt_state_release(fin);
          return cudaFail(e, "download of " + t.name);
        }
        const unsigned char *src = static_cast<const unsigned char *>(pinned[0]);
        parallelFor(rows, threads, [&](int64_t r0, int64_t r1) {
          int64_t local = 0;
          for (int64_t r = r0; r < r1; ++r) {
            const unsigned char *row = src + static_cast<size_t>(r) * rowBytes;
            for (int64_t i = 0; i < sp.channels * sp.inner; ++i)
              local += !std::isfinite(decodeOne(row + static_cast<size_t>(i) * eb, t.dtype));
            for (size_t ci = 0; ci < channels.size(); ++ci)
              for (int64_t q = 0; q < sp.inner; ++q)
                g[ci][static_cast<size_t>((o0 + r) * sp.inner + q)] =
                    decodeOne(row + static_cast<size_t>(channels[ci] * sp.inner + q) * eb, t.dtype);
          }
          bad += local;
        });
      }
      nonFinite += bad;
      total += sp.outer * sp.channels * sp.inner;
    }
    size_t sbytes = 0;
    ssmrt_state_byte_size(fin, &sbytes);
    std::vector<float> hs(sbytes / 4);
    st = ssmrt_state_save(fin, hs.data(), sbytes);
    ssmrt_state_release(fin);
    double downSeconds = secondsSince(tDown);
    cleanup();
    auto tJoin = std::chrono::steady_clock::now();
    joinRefs();
    double waitRef = secondsSince(tJoin);
    if (st != SSMRT_OK)
      return fail(shape, std::string("ssmrt_state_save: ") + ssmrt_last_error());

    char line[400];
    std::snprintf(line, sizeof line, "%-14s %-5s long %-28s kernel %.1f ms; non-finite outputs %lld of %lld",
                  L.name.c_str(), dtype.c_str(), shape.c_str(), kernelMs, (long long)nonFinite, (long long)total);
    table.add(line, nonFinite == 0);

    const sema::State &S0 = L.states[0];
    ChannelSplit ssp = split(S0.dims, batch);
    const int w = S0.complex ? 2 : 1;
    if (hs.size() != static_cast<size_t>(ssp.outer * ssp.channels * ssp.inner * w))
      return fail(shape, "state has " + std::to_string(hs.size()) + " floats, expected " +
                             std::to_string(ssp.outer * ssp.channels * ssp.inner * w));
    bool allOk = nonFinite == 0;
    const int64_t window = std::min<int64_t>(65536, seq);
    for (size_t ci = 0; ci < channels.size(); ++ci) {
      const RefResult &r = refs[ci];
      char what[64];
      std::snprintf(what, sizeof what, "%s ch %lld", shape.c_str(), (long long)channels[ci]);
      if (!r.error.empty()) {
        allOk = fail(what, "reference: " + r.error);
        continue;
      }
      // whole length, first and last window of steps, worst element relative to the largest |ref|
      double whole = 0, first = 0, last = 0, maxAbs = 0, maxRef = 0;
      ClassMatch cls;
      for (const sema::Tensor &t : L.tensors) {
        if (t.role != ast::Role::Out)
          continue;
        const std::vector<double> &gv = got.at(t.name)[ci];
        const std::vector<double> &rv = r.outs.at(t.name);
        if (gv.size() != rv.size()) {
          allOk = fail(what, "out " + t.name + ": " + std::to_string(gv.size()) + " values, reference " +
                                 std::to_string(rv.size()));
          continue;
        }
        std::vector<double> rq(rv.size());
        for (size_t i = 0; i < rv.size(); ++i) {
          rq[i] = host::quantize(rv[i], t.dtype);
          cls.add(gv[i], rq[i], static_cast<int64_t>(i));
          if (std::isfinite(gv[i]) && std::isfinite(rq[i])) {
            maxAbs = std::max(maxAbs, std::fabs(gv[i] - rq[i]));
            maxRef = std::max(maxRef, std::fabs(rq[i]));
          }
        }
        whole = std::max(whole, cls.err());
        // per-batch-item windows of steps (outer = batch * seq rows, inner per row)
        ClassMatch f, l;
        const int64_t inner = static_cast<int64_t>(gv.size()) / (batch * seq);
        for (int64_t b = 0; b < batch; ++b)
          for (int64_t tt = 0; tt < window; ++tt)
            for (int64_t q = 0; q < inner; ++q) {
              size_t i0 = static_cast<size_t>((b * seq + tt) * inner + q);
              size_t i1 = static_cast<size_t>((b * seq + seq - window + tt) * inner + q);
              f.add(gv[i0], rq[i0], 0);
              l.add(gv[i1], rq[i1], 0);
            }
        first = std::max(first, f.err());
        last = std::max(last, l.err());
      }
      ClassMatch sc;
      for (int64_t o = 0; o < ssp.outer; ++o)
        for (int64_t q = 0; q < ssp.inner; ++q)
          for (int p = 0; p < w; ++p) {
            size_t gi = static_cast<size_t>(((o * ssp.channels + channels[ci]) * ssp.inner + q) * w + p);
            size_t ri = static_cast<size_t>(o * ssp.inner + q);
            double want = p ? r.stateIm[ri] : r.stateRe[ri];
            sc.add(hs[gi], static_cast<double>(static_cast<float>(want)), ri);
          }
      char l2[400];
      std::snprintf(l2, sizeof l2,
                    "%-14s %-5s long %-28s rel.err %.3e (first %lld steps %.3e, last %.3e) max|err|/max|ref| %.3e "
                    "state %.3e  [ref %.1f s]",
                    L.name.c_str(), dtype.c_str(), what, whole, (long long)window, first, last,
                    maxRef > 0 ? maxAbs / maxRef : maxAbs, sc.err(), r.seconds);
      bool ok = cls.ok(tol) && sc.ok(tol) && first <= tol && last <= tol;
      table.add(l2 + (cls.born + cls.lost + cls.wrong ? "  " + cls.describe() : std::string()), ok);
      allOk = allOk && ok;
    }
    std::printf("%s %s long %s: upload %.1f s, kernel %.1f ms, download %.1f s, waited %.1f s for the reference, "
                "%.1f s in all\n",
                L.name.c_str(), dtype.c_str(), shape.c_str(), upSeconds, kernelMs, downSeconds, waitRef,
                secondsSince(tStart));
    return allOk;
  }
};

} // namespace

int main(int argc, char **argv) {
  const char *usage = "usage: ssmc-gpu-check SCRIPT.ssm PACK.ssmpack [--mode numerics|extreme|long] [--seqlens 1,7] "
                      "[--batches 1,3] [--tol X] [--steps K] [--channels 0,1,-1] [--channel-dim D] [--threads T]\n";
  if (argc < 3) {
    std::fputs(usage, stderr);
    return 2;
  }
  std::vector<long long> seqlens = {1, 7, 127, 2048, 2049}, batches = {1, 3}, channels = {0, 1, -2, -1};
  double tol = -1;
  int steps = 4;
  std::string mode = "numerics", chanName = "D";
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  bool seqGiven = false, batchGiven = false;
  for (int i = 3; i < argc; i += 2) {
    std::string f = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s needs a value\n%s", f.c_str(), usage);
      return 2;
    }
    if (f == "--seqlens")
      seqlens = parseList(argv[i + 1]), seqGiven = true;
    else if (f == "--batches")
      batches = parseList(argv[i + 1]), batchGiven = true;
    else if (f == "--tol")
      tol = std::atof(argv[i + 1]);
    else if (f == "--steps")
      steps = std::atoi(argv[i + 1]);
    else if (f == "--mode")
      mode = argv[i + 1];
    else if (f == "--channels")
      channels = parseList(argv[i + 1]);
    else if (f == "--channel-dim")
      chanName = argv[i + 1];
    else if (f == "--threads")
      threads = std::max(1, std::atoi(argv[i + 1]));
    else {
      std::fprintf(stderr, "unknown option %s\n%s", f.c_str(), usage);
      return 2;
    }
  }
  if (mode == "selftest") {
    // CPU only, no GPU and no pack: the PACK argument gives dims instead ("D=37,N=16").
    sema::Options so;
    std::stringstream ds(argv[2]);
    std::string item;
    while (std::getline(ds, item, ','))
      if (item.find('=') != std::string::npos)
        so.dimOverrides[item.substr(0, item.find('='))] = std::atoll(item.substr(item.find('=') + 1).c_str());
    SourceManager sm, sm1;
    DiagEngine diags(sm), diags1(sm1);
    sema::Program prog = sema::analyze(argv[1], std::nullopt, so, sm, diags);
    sema::Options so1 = so;
    so1.dimOverrides[chanName] = 1;
    sema::Program prog1 = sema::analyze(argv[1], std::nullopt, so1, sm1, diags1);
    if (diags.hasErrors() || diags1.hasErrors() || prog.layers.empty() || prog1.layers.empty()) {
      diags.print(std::cerr);
      diags1.print(std::cerr);
      return 2;
    }
    const sema::Layer &L = prog.layers[0];
    int chanDim = -1;
    for (size_t d = 0; d < L.dims.size(); ++d)
      if (L.dims[d].name == chanName)
        chanDim = static_cast<int>(d);
    if (chanDim < 0) {
      std::fprintf(stderr, "layer %s has no dim %s\n", L.name.c_str(), chanName.c_str());
      return 2;
    }
    Table table;
    Long lg{L, prog1.layers[0], nullptr, "f32", 0, threads, chanDim, table};
    for (long long b : batches)
      for (long long s : seqlens)
        lg.selftest(b, s, std::vector<int64_t>(channels.begin(), channels.end()), 99);
    std::printf("%s selftest: %zu checks, %d failed\n", L.name.c_str(), table.lines.size(), table.failures);
    return table.failures ? 1 : 0;
  }
  if (mode != "numerics" && mode != "extreme" && mode != "long") {
    std::fprintf(stderr, "unknown mode %s\n%s", mode.c_str(), usage);
    return 2;
  }
  if (mode == "long") {
    if (!seqGiven)
      seqlens = {1048576};
    if (!batchGiven)
      batches = {1};
  }
  ssmrt_context_options opts = SSMRT_CONTEXT_OPTIONS_INIT;
  opts.cache_dir = "";
  // SSMC_CHECK_PARAMS_FIXED=1: the context option under which decode steps load params before
  // their dependency wait (the checks then cover that order of the step kernel).
  if (const char *e = std::getenv("SSMC_CHECK_PARAMS_FIXED"); e && std::string(e) == "1")
    opts.flags = SSMRT_CONTEXT_PARAMS_FIXED;
  ssmrt_context *ctx = nullptr;
  RT_OK(ssmrt_context_create(&opts, &ctx));
  ssmrt_module *mod = nullptr;
  RT_OK(ssmrt_module_load_file(ctx, argv[2], &mod));
  ssmrt_layer *layer = nullptr;
  RT_OK(ssmrt_module_layer(mod, 0, &layer));

  // The script analysed with the pack's dims and storage dtype.
  sema::Options so;
  int32_t ndims = 0;
  RT_OK(ssmrt_layer_dim_count(layer, &ndims));
  for (int32_t i = 0; i < ndims; ++i) {
    const char *name = nullptr;
    int64_t v = 0;
    RT_OK(ssmrt_layer_dim(layer, i, &name, &v));
    so.dimOverrides[name] = v;
  }
  ssmrt_tensor_info ti{};
  RT_OK(ssmrt_layer_tensor_info(layer, 0, &ti));
  so.defaultDType = ti.dtype == SSMRT_DTYPE_BF16 ? sema::DType::BF16
                    : ti.dtype == SSMRT_DTYPE_F16 ? sema::DType::F16
                                                  : sema::DType::F32;
  std::string dtype = ssmrt_dtype_name(ti.dtype);
  bool f32 = so.defaultDType == sema::DType::F32;
  if (tol < 0)
    tol = mode == "extreme" ? (f32 ? 1e-4 : 2e-2) : (f32 ? 1e-5 : 1e-2);
  SourceManager sm;
  DiagEngine diags(sm);
  sema::Program prog = sema::analyze(argv[1], std::nullopt, so, sm, diags);
  if (diags.hasErrors() || prog.layers.empty()) {
    diags.print(std::cerr);
    return 2;
  }
  const sema::Layer &L = prog.layers[0];
  int failures = 0;
  size_t checks = 0;
  if (mode == "numerics") {
    Checker c{L, layer, tol};
    for (long long b : batches)
      for (long long s : seqlens)
        c.run(b, s, steps, dtype);
    failures = c.failures;
    checks = c.table.size();
  } else if (mode == "extreme") {
    Table table;
    Extreme x{L, layer, dtype, tol, table};
    x.run();
    failures = table.failures;
    checks = table.lines.size();
  } else {
    int chanDim = -1;
    for (size_t d = 0; d < L.dims.size(); ++d)
      if (L.dims[d].name == chanName)
        chanDim = static_cast<int>(d);
    if (chanDim < 0) {
      std::fprintf(stderr, "layer %s has no dim %s (--channel-dim)\n", L.name.c_str(), chanName.c_str());
      return 2;
    }
    // the same script with one channel, for the reference on channel slices
    sema::Options so1 = so;
    so1.dimOverrides[chanName] = 1;
    SourceManager sm1;
    DiagEngine diags1(sm1);
    sema::Program prog1 = sema::analyze(argv[1], std::nullopt, so1, sm1, diags1);
    if (diags1.hasErrors() || prog1.layers.empty()) {
      diags1.print(std::cerr);
      return 2;
    }
    Table table;
    Long lg{L, prog1.layers[0], layer, dtype, tol, threads, chanDim, table};
    for (long long b : batches)
      for (long long s : seqlens)
        lg.run(b, s, std::vector<int64_t>(channels.begin(), channels.end()), 20240611ull + static_cast<uint64_t>(s));
    failures = table.failures;
    checks = table.lines.size();
  }
  ssmrt_module_release(mod);
  ssmrt_context_release(ctx);
  std::printf("%s %s%s: %zu checks, %d failed (tolerance %.0e)\n", L.name.c_str(), dtype.c_str(),
              mode == "numerics" ? "" : (" " + mode).c_str(), checks, failures, tol);
  return failures ? 1 : 0;
}
