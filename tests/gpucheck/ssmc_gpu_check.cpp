// ssmc-gpu-check: runs compiled layers (.ssmpack) on the GPU through the runtime's C API and
// checks them against the float64 reference evaluated from the same script:
//   * forward over whole sequences (outputs poisoned first) vs the reference, per seqlen/batch;
//   * prefill of the first half, then prefill of the second half from the carried state;
//   * prefill of a prefix, then single decode steps;
// Inputs are rounded to the storage dtype before the reference sees them, so the comparison
// measures the kernel, not the input rounding. Exit status 1 on any failure.
//
// usage: ssmc-gpu-check SCRIPT.ssm PACK.ssmpack [--seqlens 1,7,127] [--batches 1,3] [--tol X]
//        [--steps K]
#include "ssmc/HostRun.h"
#include "ssmc/Reference.h"
#include "ssmc/Sema.h"
#include "ssmrt/ssmrt.h"


#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
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

} // namespace

int main(int argc, char **argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: ssmc-gpu-check SCRIPT.ssm PACK.ssmpack [--seqlens 1,7] [--batches 1,3] "
                         "[--tol X] [--steps K]\n");
    return 2;
  }
  std::vector<long long> seqlens = {1, 7, 127, 2048, 2049}, batches = {1, 3};
  double tol = -1;
  int steps = 4;
  for (int i = 3; i + 1 < argc; i += 2) {
    std::string f = argv[i];
    if (f == "--seqlens")
      seqlens = parseList(argv[i + 1]);
    else if (f == "--batches")
      batches = parseList(argv[i + 1]);
    else if (f == "--tol")
      tol = std::atof(argv[i + 1]);
    else if (f == "--steps")
      steps = std::atoi(argv[i + 1]);
  }
  ssmrt_context_options opts = SSMRT_CONTEXT_OPTIONS_INIT;
  opts.cache_dir = "";
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
  if (tol < 0)
    tol = so.defaultDType == sema::DType::F32 ? 1e-5 : 1e-2;
  SourceManager sm;
  DiagEngine diags(sm);
  sema::Program prog = sema::analyze(argv[1], std::nullopt, so, sm, diags);
  if (diags.hasErrors() || prog.layers.empty()) {
    diags.print(std::cerr);
    return 2;
  }
  Checker c{prog.layers[0], layer, tol};
  for (long long b : batches)
    for (long long s : seqlens)
      c.run(b, s, steps, dtype);
  ssmrt_module_release(mod);
  ssmrt_context_release(ctx);
  std::printf("%s %s: %zu checks, %d failed (tolerance %.0e)\n", prog.layers[0].name.c_str(), dtype.c_str(),
              c.table.size(), c.failures, tol);
  return c.failures ? 1 : 0;
}
