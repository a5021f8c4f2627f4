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
#include "ssmc/Reference.h"
#include "ssmc/Sema.h"
#include "ssmrt/ssmrt.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

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

#define CUDA_OK(x)                                                                                 \
  do {                                                                                             \
    cudaError_t e_ = (x);                                                                          \
    if (e_ != cudaSuccess) {                                                                       \
      std::fprintf(stderr, "CUDA error %s at line %d: %s\n", cudaGetErrorName(e_), __LINE__, #x);  \
      std::exit(2);                                                                                \
    }                                                                                              \
  } while (0)

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

/// Rounds a value through the storage dtype (what the GPU will read).
double quantize(double v, sema::DType t) {
  switch (t) {
  case sema::DType::BF16:
    return static_cast<double>(__bfloat162float(__float2bfloat16(static_cast<float>(v))));
  case sema::DType::F16:
    return static_cast<double>(__half2float(__float2half(static_cast<float>(v))));
  default:
    return static_cast<double>(static_cast<float>(v));
  }
}

size_t elemBytes(sema::DType t) { return t == sema::DType::F32 ? 4 : t == sema::DType::C64 ? 8 : 2; }

/// Host tensor -> device buffer in the storage dtype.
void *upload(const ref::HostTensor &h, sema::DType t) {
  size_t n = static_cast<size_t>(h.numel());
  std::vector<unsigned char> bytes(n * elemBytes(t));
  for (size_t i = 0; i < n; ++i) {
    switch (t) {
    case sema::DType::F32: {
      float f = static_cast<float>(h.re[i]);
      std::memcpy(&bytes[4 * i], &f, 4);
      break;
    }
    case sema::DType::C64: {
      float f[2] = {static_cast<float>(h.re[i]), h.im.empty() ? 0.0f : static_cast<float>(h.im[i])};
      std::memcpy(&bytes[8 * i], f, 8);
      break;
    }
    case sema::DType::BF16: {
      __nv_bfloat16 b = __float2bfloat16(static_cast<float>(h.re[i]));
      std::memcpy(&bytes[2 * i], &b, 2);
      break;
    }
    case sema::DType::F16: {
      __half b = __float2half(static_cast<float>(h.re[i]));
      std::memcpy(&bytes[2 * i], &b, 2);
      break;
    }
    }
  }
  void *d = nullptr;
  CUDA_OK(cudaMalloc(&d, std::max<size_t>(bytes.size(), 16)));
  CUDA_OK(cudaMemcpy(d, bytes.data(), bytes.size(), cudaMemcpyHostToDevice));
  return d;
}

std::vector<double> downloadRe(void *d, size_t n, sema::DType t, std::vector<double> *im) {
  std::vector<unsigned char> bytes(n * elemBytes(t));
  CUDA_OK(cudaMemcpy(bytes.data(), d, bytes.size(), cudaMemcpyDeviceToHost));
  std::vector<double> re(n);
  if (im)
    im->assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    switch (t) {
    case sema::DType::F32: {
      float f;
      std::memcpy(&f, &bytes[4 * i], 4);
      re[i] = f;
      break;
    }
    case sema::DType::C64: {
      float f[2];
      std::memcpy(f, &bytes[8 * i], 8);
      re[i] = f[0];
      if (im)
        (*im)[i] = f[1];
      break;
    }
    case sema::DType::BF16: {
      __nv_bfloat16 b;
      std::memcpy(&b, &bytes[2 * i], 2);
      re[i] = __bfloat162float(b);
      break;
    }
    case sema::DType::F16: {
      __half b;
      std::memcpy(&b, &bytes[2 * i], 2);
      re[i] = __half2float(b);
      break;
    }
    }
  }
  return re;
}

/// ||a - b|| / ||b|| over real and imaginary parts; NaN anywhere in a makes it infinite.
double relErr(const std::vector<double> &a, const std::vector<double> &b, size_t off = 0) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!std::isfinite(a[i]))
      return INFINITY;
    double d = a[i] - b[off + i];
    num += d * d;
    den += b[off + i] * b[off + i];
  }
  return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}

ssmrt_dtype rtDtype(sema::DType t) {
  switch (t) {
  case sema::DType::BF16:
    return SSMRT_DTYPE_BF16;
  case sema::DType::F16:
    return SSMRT_DTYPE_F16;
  case sema::DType::C64:
    return SSMRT_DTYPE_C64;
  default:
    return SSMRT_DTYPE_F32;
  }
}

ssmrt_tensor describe(void *data, sema::DType t, const std::vector<int64_t> &shape) {
  ssmrt_tensor d{};
  d.data = data;
  d.dtype = rtDtype(t);
  d.rank = static_cast<int32_t>(shape.size());
  int64_t stride = 1;
  for (size_t k = shape.size(); k-- > 0;) {
    d.sizes[k] = shape[k];
    d.strides[k] = stride;
    stride *= shape[k];
  }
  return d;
}

struct Checker {
  const sema::Layer &L;
  ssmrt_layer *layer;
  double tol;
  int failures = 0;
  std::vector<std::string> table;

  /// Slices [t0, t1) of a [batch, seq, ...] host tensor.
  static ref::HostTensor slice(const ref::HostTensor &h, int64_t t0, int64_t t1) {
    std::vector<int64_t> shape = h.shape;
    int64_t inner = 1;
    for (size_t k = 2; k < shape.size(); ++k)
      inner *= shape[k];
    shape[1] = t1 - t0;
    ref::HostTensor r(shape, h.isComplex());
    for (int64_t b = 0; b < h.shape[0]; ++b)
      for (int64_t t = t0; t < t1; ++t)
        for (int64_t i = 0; i < inner; ++i) {
          size_t src = static_cast<size_t>((b * h.shape[1] + t) * inner + i);
          size_t dst = static_cast<size_t>((b * (t1 - t0) + (t - t0)) * inner + i);
          r.re[dst] = h.re[src];
          if (h.isComplex())
            r.im[dst] = h.im[src];
        }
    return r;
  }

  /// Runs forward over `ins` (already quantized) from `state` (may be null); returns each out
  /// (host, real part) in L.tensors order.
  std::map<std::string, std::vector<double>> forward(const ref::TensorMap &vals, int64_t batch, int64_t seq,
                                                     ssmrt_state *initial, ssmrt_state *final) {
    std::vector<ssmrt_tensor> ts;
    std::vector<void *> bufs;
    std::vector<std::pair<std::string, size_t>> outs;
    for (const sema::Tensor &t : L.tensors) {
      std::vector<int64_t> shape;
      if (t.role != ast::Role::Param) {
        shape.push_back(batch);
        shape.push_back(seq);
      }
      for (int d : t.dims)
        shape.push_back(*L.dims[d].size);
      if (t.role == ast::Role::Out) {
        size_t n = 1;
        for (auto s : shape)
          n *= static_cast<size_t>(s);
        void *d = nullptr;
        CUDA_OK(cudaMalloc(&d, n * elemBytes(t.dtype)));
        CUDA_OK(cudaMemset(d, 0xff, n * elemBytes(t.dtype))); // poison: NaN in every dtype
        bufs.push_back(d);
        outs.push_back({t.name, n});
        ts.push_back(describe(d, t.dtype, shape));
      } else {
        void *d = upload(vals.at(t.name), t.dtype);
        bufs.push_back(d);
        ts.push_back(describe(d, t.dtype, shape));
      }
    }
    RT_OK(ssmrt_layer_forward(layer, ts.data(), static_cast<int32_t>(ts.size()), initial, final));
    CUDA_OK(cudaDeviceSynchronize());
    std::map<std::string, std::vector<double>> r;
    size_t oi = 0;
    for (size_t k = 0; k < L.tensors.size(); ++k)
      if (L.tensors[k].role == ast::Role::Out)
        r[L.tensors[k].name] = downloadRe(bufs[k], outs[oi++].second, L.tensors[k].dtype, nullptr);
    for (void *b : bufs)
      CUDA_OK(cudaFree(b));
    return r;
  }

  std::map<std::string, std::vector<double>> step(const ref::TensorMap &vals, int64_t batch, int64_t t,
                                                  ssmrt_state *state) {
    std::vector<ssmrt_tensor> ts;
    std::vector<void *> bufs;
    for (const sema::Tensor &tn : L.tensors) {
      std::vector<int64_t> shape;
      if (tn.role != ast::Role::Param)
        shape.push_back(batch);
      for (int d : tn.dims)
        shape.push_back(*L.dims[d].size);
      if (tn.role == ast::Role::Out) {
        size_t n = 1;
        for (auto s : shape)
          n *= static_cast<size_t>(s);
        void *d = nullptr;
        CUDA_OK(cudaMalloc(&d, n * elemBytes(tn.dtype)));
        CUDA_OK(cudaMemset(d, 0xff, n * elemBytes(tn.dtype)));
        bufs.push_back(d);
        ts.push_back(describe(d, tn.dtype, shape));
      } else if (tn.role == ast::Role::In) {
        ref::HostTensor one = slice(vals.at(tn.name), t, t + 1);
        void *d = upload(one, tn.dtype);
        bufs.push_back(d);
        ts.push_back(describe(d, tn.dtype, shape));
      } else {
        void *d = upload(vals.at(tn.name), tn.dtype);
        bufs.push_back(d);
        ts.push_back(describe(d, tn.dtype, shape));
      }
    }
    RT_OK(ssmrt_layer_step(layer, ts.data(), static_cast<int32_t>(ts.size()), state));
    CUDA_OK(cudaDeviceSynchronize());
    std::map<std::string, std::vector<double>> r;
    for (size_t k = 0; k < L.tensors.size(); ++k)
      if (L.tensors[k].role == ast::Role::Out) {
        size_t n = static_cast<size_t>(batch);
        for (int d : L.tensors[k].dims)
          n *= static_cast<size_t>(*L.dims[d].size);
        r[L.tensors[k].name] = downloadRe(bufs[k], n, L.tensors[k].dtype, nullptr);
      }
    for (void *b : bufs)
      CUDA_OK(cudaFree(b));
    return r;
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
    for (const sema::Tensor &t : L.tensors) {
      auto it = vals.find(t.name);
      if (it == vals.end())
        continue;
      for (auto &v : it->second.re)
        v = quantize(v, t.dtype);
      for (auto &v : it->second.im)
        v = quantize(v, t.dtype);
    }
    ref::TensorMap outs, hT;
    if (!ref::evaluate(L, vals, batch, seq, nullptr, outs, &hT, &err)) {
      std::fprintf(stderr, "reference: %s\n", err.c_str());
      std::exit(2);
    }
    // 1. whole sequence
    ssmrt_state *fin = nullptr;
    RT_OK(ssmrt_state_create(layer, batch, &fin));
    auto got = forward(vals, batch, seq, nullptr, fin);
    double worst = 0;
    for (auto &[name, v] : got)
      worst = std::max(worst, relErr(v, outs.at(name).re));
    record("forward", batch, seq, worst, dtype);
    // final state vs reference
    size_t sbytes = 0;
    RT_OK(ssmrt_state_byte_size(fin, &sbytes));
    std::vector<float> hs(sbytes / 4);
    RT_OK(ssmrt_state_save(fin, hs.data(), sbytes));
    const ref::HostTensor &href = hT.at(L.states[0].name);
    std::vector<double> hgot, href2;
    bool cx = href.isComplex();
    for (size_t i = 0; i < hs.size(); i += cx ? 2 : 1) {
      hgot.push_back(hs[i]);
      href2.push_back(href.re[cx ? i / 2 : i]);
    }
    record("final state", batch, seq, relErr(hgot, href2), dtype);

    if (seq >= 2) {
      // 2. first half, then second half from the carried state
      int64_t k = seq / 2;
      ref::TensorMap a = vals, b = vals;
      for (const sema::Tensor &t : L.tensors)
        if (t.role == ast::Role::In) {
          a.at(t.name) = slice(vals.at(t.name), 0, k);
          b.at(t.name) = slice(vals.at(t.name), k, seq);
        }
      ssmrt_state *mid = nullptr;
      RT_OK(ssmrt_state_create(layer, batch, &mid));
      forward(a, batch, k, nullptr, mid);
      auto second = forward(b, batch, seq - k, mid, nullptr);
      double w = 0;
      for (auto &[name, v] : second) {
        ref::HostTensor full = outs.at(name);
        ref::HostTensor tail = slice(full, k, seq);
        w = std::max(w, relErr(v, tail.re));
      }
      record("halves (carried)", batch, seq, w, dtype);
      // 3. prefix prefill, then single steps
      int64_t nsteps = std::min<int64_t>(steps, seq - 1);
      int64_t p = seq - nsteps;
      ref::TensorMap pre = vals;
      for (const sema::Tensor &t : L.tensors)
        if (t.role == ast::Role::In)
          pre.at(t.name) = slice(vals.at(t.name), 0, p);
      RT_OK(ssmrt_state_reset(mid));
      forward(pre, batch, p, nullptr, mid);
      double ws = 0;
      for (int64_t t = p; t < seq; ++t) {
        auto o = step(vals, batch, t, mid);
        for (auto &[name, v] : o) {
          ref::HostTensor one = slice(outs.at(name), t, t + 1);
          ws = std::max(ws, relErr(v, one.re));
        }
      }
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
