// Host-side running of compiled layers through the runtime's C API (CUDA runtime for memory).
#include "ssmc/HostRun.h"
#include "ssmc/RuntimeTypes.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstring>

namespace ssmc::host {
namespace {

size_t elemBytes(sema::DType t) { return t == sema::DType::F32 ? 4 : t == sema::DType::C64 ? 8 : 2; }

std::vector<unsigned char> encode(const ref::HostTensor &h, sema::DType t) {
  size_t n = static_cast<size_t>(h.numel());
  std::vector<unsigned char> bytes(n * elemBytes(t));
  for (size_t i = 0; i < n; ++i) {
    float re = static_cast<float>(h.re[i]);
    switch (t) {
    case sema::DType::F32:
      std::memcpy(&bytes[4 * i], &re, 4);
      break;
    case sema::DType::C64: {
      float f[2] = {re, h.im.empty() ? 0.0f : static_cast<float>(h.im[i])};
      std::memcpy(&bytes[8 * i], f, 8);
      break;
    }
    case sema::DType::BF16: {
      __nv_bfloat16 b = __float2bfloat16(re);
      std::memcpy(&bytes[2 * i], &b, 2);
      break;
    }
    case sema::DType::F16: {
      __half b = __float2half(re);
      std::memcpy(&bytes[2 * i], &b, 2);
      break;
    }
    }
  }
  return bytes;
}

double decodeRe(const unsigned char *p, sema::DType t) {
  switch (t) {
  case sema::DType::BF16: {
    __nv_bfloat16 b;
    std::memcpy(&b, p, 2);
    return __bfloat162float(b);
  }
  case sema::DType::F16: {
    __half b;
    std::memcpy(&b, p, 2);
    return __half2float(b);
  }
  default: {
    float f;
    std::memcpy(&f, p, 4);
    return f;
  }
  }
}

ssmrt_tensor describe(void *data, sema::DType t, const std::vector<int64_t> &shape) {
  ssmrt_tensor d{};
  d.data = data;
  d.dtype = runtimeDtype(t);
  d.rank = static_cast<int32_t>(shape.size());
  int64_t stride = 1;
  for (size_t k = shape.size(); k-- > 0;) {
    d.sizes[k] = shape[k];
    d.strides[k] = stride;
    stride *= shape[k];
  }
  return d;
}

struct Buffers {
  std::vector<void *> ptrs;
  ~Buffers() {
    for (void *p : ptrs)
      cudaFree(p);
  }
};

} // namespace

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

void quantizeAll(const sema::Layer &L, ref::TensorMap &vals) {
  for (const sema::Tensor &t : L.tensors) {
    auto it = vals.find(t.name);
    if (it == vals.end())
      continue;
    for (auto &v : it->second.re)
      v = quantize(v, t.dtype);
    for (auto &v : it->second.im)
      v = quantize(v, t.dtype);
  }
}

ref::HostTensor slice(const ref::HostTensor &h, int64_t t0, int64_t t1) {
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

double relErr(const std::vector<double> &a, const std::vector<double> &b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (!std::isfinite(a[i]))
      return INFINITY;
    double d = a[i] - b[i];
    num += d * d;
    den += b[i] * b[i];
  }
  if (a.size() != b.size())
    return INFINITY;
  return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}

bool run(const sema::Layer &L, ssmrt_layer *layer, const ref::TensorMap &vals, int64_t batch, int64_t seq, bool step,
         int64_t t, const ssmrt_state *initial, ssmrt_state *final, std::map<std::string, std::vector<double>> &outs,
         std::string *error, double *ms, unsigned char poison) {
  auto cudaFail = [&](cudaError_t e, const char *what) {
    if (error)
      *error = std::string(what) + ": " + cudaGetErrorString(e);
    return false;
  };
  Buffers bufs;
  std::vector<ssmrt_tensor> ts;
  std::vector<std::pair<size_t, size_t>> outSlots; // tensor index, element count
  for (size_t k = 0; k < L.tensors.size(); ++k) {
    const sema::Tensor &tn = L.tensors[k];
    std::vector<int64_t> shape;
    if (tn.role != ast::Role::Param) {
      shape.push_back(batch);
      if (!step)
        shape.push_back(seq);
    }
    for (int d : tn.dims)
      shape.push_back(*L.dims[d].size);
    size_t n = 1;
    for (int64_t s : shape)
      n *= static_cast<size_t>(s);
    void *d = nullptr;
    cudaError_t e = cudaMalloc(&d, std::max<size_t>(n * elemBytes(tn.dtype), 16));
    if (e != cudaSuccess)
      return cudaFail(e, "cudaMalloc");
    bufs.ptrs.push_back(d);
    if (tn.role == ast::Role::Out) {
      e = cudaMemset(d, poison, n * elemBytes(tn.dtype));
      outSlots.push_back({k, n});
    } else {
      auto it = vals.find(tn.name);
      if (it == vals.end()) {
        if (error)
          *error = "no value for tensor '" + tn.name + "'";
        return false;
      }
      std::vector<unsigned char> bytes =
          step && tn.role == ast::Role::In ? encode(slice(it->second, t, t + 1), tn.dtype) : encode(it->second, tn.dtype);
      e = cudaMemcpy(d, bytes.data(), bytes.size(), cudaMemcpyHostToDevice);
    }
    if (e != cudaSuccess)
      return cudaFail(e, "cudaMemcpy");
    ts.push_back(describe(d, tn.dtype, shape));
  }
  cudaEvent_t start, stop;
  cudaEventCreate(&start);
  cudaEventCreate(&stop);
  cudaEventRecord(start, nullptr);
  ssmrt_status st = step ? ssmrt_layer_step(layer, ts.data(), static_cast<int32_t>(ts.size()), final)
                         : ssmrt_layer_forward(layer, ts.data(), static_cast<int32_t>(ts.size()), initial, final);
  cudaEventRecord(stop, nullptr);
  if (st != SSMRT_OK) {
    if (error)
      *error = std::string(ssmrt_status_string(st)) + ": " + ssmrt_last_error();
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
    return false;
  }
  cudaError_t e = cudaDeviceSynchronize();
  float elapsed = 0;
  cudaEventElapsedTime(&elapsed, start, stop);
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  if (ms)
    *ms = elapsed;
  if (e != cudaSuccess)
    return cudaFail(e, "kernel");
  for (auto [k, n] : outSlots) {
    const sema::Tensor &tn = L.tensors[k];
    std::vector<unsigned char> bytes(n * elemBytes(tn.dtype));
    e = cudaMemcpy(bytes.data(), bufs.ptrs[k], bytes.size(), cudaMemcpyDeviceToHost);
    if (e != cudaSuccess)
      return cudaFail(e, "cudaMemcpy");
    std::vector<double> v(n);
    for (size_t i = 0; i < n; ++i)
      v[i] = decodeRe(&bytes[i * elemBytes(tn.dtype)], tn.dtype);
    outs[tn.name] = std::move(v);
  }
  return true;
}

} // namespace ssmc::host
