// embed_s6: a host program that embeds the ssmc runtime. It loads a Mamba S6 layer compiled
// ahead of time (.ssmpack), runs a prefill over a prompt, then a loop of single-token decode
// steps from the carried state, checks both against the float64 reference evaluated from the
// layer's script, and prints timings.
//
// usage: embed_s6 LAYER.ssmpack SCRIPT.ssm [--prompt 512] [--decode 64] [--batch 1]
//   e.g. ssmc build stdlib/mamba_s6.ssm -o s6.ssmpack && embed_s6 s6.ssmpack stdlib/mamba_s6.ssm
#include "ssmc/HostRun.h"
#include "ssmc/Reference.h"
#include "ssmc/Sema.h"
#include "ssmrt/ssmrt.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

using namespace ssmc;

static int fail(const char *what) {
  std::fprintf(stderr, "embed_s6: %s: %s\n", what, ssmrt_last_error());
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: embed_s6 LAYER.ssmpack SCRIPT.ssm [--prompt N] [--decode N] [--batch B]\n");
    return 2;
  }
  int64_t prompt = 512, decode = 64, batch = 1;
  for (int i = 3; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--prompt"))
      prompt = std::atoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--decode"))
      decode = std::atoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--batch"))
      batch = std::atoll(argv[i + 1]);
  }

  // 1. The runtime: a context on device 0, the module, its layer.
  ssmrt_context_options opts = SSMRT_CONTEXT_OPTIONS_INIT;
  ssmrt_context *ctx = nullptr;
  if (ssmrt_context_create(&opts, &ctx) != SSMRT_OK)
    return fail("no GPU to run on");
  auto t0 = std::chrono::steady_clock::now();
  ssmrt_module *mod = nullptr;
  ssmrt_layer *layer = nullptr;
  if (ssmrt_module_load_file(ctx, argv[1], &mod) != SSMRT_OK || ssmrt_module_prepare(mod) != SSMRT_OK ||
      ssmrt_module_layer(mod, 0, &layer) != SSMRT_OK)
    return fail("loading the pack");
  double loadMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();

  // 2. The same layer's script, analysed with the pack's dims and storage dtype, for the reference.
  sema::Options so;
  int32_t ndims = 0;
  ssmrt_layer_dim_count(layer, &ndims);
  for (int32_t i = 0; i < ndims; ++i) {
    const char *name;
    int64_t v;
    ssmrt_layer_dim(layer, i, &name, &v);
    so.dimOverrides[name] = v;
  }
  ssmrt_tensor_info ti{};
  ssmrt_layer_tensor_info(layer, 0, &ti);
  so.defaultDType = ti.dtype == SSMRT_DTYPE_BF16 ? sema::DType::BF16
                    : ti.dtype == SSMRT_DTYPE_F16 ? sema::DType::F16
                                                  : sema::DType::F32;
  SourceManager sm;
  DiagEngine diags(sm);
  sema::Program prog = sema::analyze(argv[2], std::nullopt, so, sm, diags);
  if (diags.hasErrors() || prog.layers.empty()) {
    diags.print(std::cerr);
    return 1;
  }
  const sema::Layer &L = prog.layers[0];
  int64_t total = prompt + decode;
  ref::TensorMap vals, outs, hT;
  std::string err;
  if (!ref::defaultParams(L, vals, &err) || !ref::randomInputs(L, batch, total, 7, vals, &err) ||
      (host::quantizeAll(L, vals), !ref::evaluate(L, vals, batch, total, nullptr, outs, &hT, &err))) {
    std::fprintf(stderr, "embed_s6: reference: %s\n", err.c_str());
    return 1;
  }
  double tol = so.defaultDType == sema::DType::F32 ? 1e-5 : 1e-2;

  // 3. Prefill over the prompt into a state, then decode steps from it.
  ssmrt_state *state = nullptr;
  if (ssmrt_state_create(layer, batch, &state) != SSMRT_OK)
    return fail("state");
  ref::TensorMap promptVals = vals;
  for (const sema::Tensor &t : L.tensors)
    if (t.role == ast::Role::In)
      promptVals.at(t.name) = host::slice(vals.at(t.name), 0, prompt);
  std::map<std::string, std::vector<double>> got;
  double prefillMs = 0;
  // Once to warm up (module load, first launch), then timed.
  if (!host::run(L, layer, promptVals, batch, prompt, false, 0, nullptr, state, got, &err) ||
      !host::run(L, layer, promptVals, batch, prompt, false, 0, nullptr, state, got, &err, &prefillMs)) {
    std::fprintf(stderr, "embed_s6: prefill: %s\n", err.c_str());
    return 1;
  }
  double prefillErr = 0;
  for (auto &[name, v] : got)
    prefillErr = std::max(prefillErr, host::relErr(v, host::slice(outs.at(name), 0, prompt).re));
  double stepErr = 0;
  for (int64_t t = prompt; t < total; ++t) {
    if (!host::run(L, layer, vals, batch, total, true, t, nullptr, state, got, &err)) {
      std::fprintf(stderr, "embed_s6: step %lld: %s\n", (long long)t, err.c_str());
      return 1;
    }
    for (auto &[name, v] : got)
      stepErr = std::max(stepErr, host::relErr(v, host::slice(outs.at(name), t, t + 1).re));
  }

  // 4. Per-call cost of a decode step through the C API, tensors already on the device.
  std::vector<ssmrt_tensor> ts;
  std::vector<void *> bufs;
  for (const sema::Tensor &t : L.tensors) {
    ssmrt_tensor d{};
    d.dtype = t.dtype == sema::DType::BF16 ? SSMRT_DTYPE_BF16 : t.dtype == sema::DType::F16 ? SSMRT_DTYPE_F16 : SSMRT_DTYPE_F32;
    size_t elem = t.dtype == sema::DType::F32 ? 4 : 2, n = 1;
    if (t.role != ast::Role::Param)
      d.sizes[d.rank++] = batch;
    for (int dim : t.dims)
      d.sizes[d.rank++] = *L.dims[dim].size;
    for (int k = d.rank - 1, s = 1; k >= 0; --k) {
      d.strides[k] = s;
      s *= static_cast<int>(d.sizes[k]);
    }
    for (int k = 0; k < d.rank; ++k)
      n *= static_cast<size_t>(d.sizes[k]);
    cudaMalloc(&d.data, n * elem);
    cudaMemset(d.data, 0, n * elem);
    bufs.push_back(d.data);
    ts.push_back(d);
  }
  const int iters = 2000;
  for (int i = 0; i < 50; ++i)
    ssmrt_layer_step(layer, ts.data(), static_cast<int32_t>(ts.size()), state);
  cudaDeviceSynchronize();
  auto s0 = std::chrono::steady_clock::now();
  for (int i = 0; i < iters; ++i)
    if (ssmrt_layer_step(layer, ts.data(), static_cast<int32_t>(ts.size()), state) != SSMRT_OK)
      return fail("step");
  cudaDeviceSynchronize();
  double stepUs = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - s0).count() / iters;
  for (void *b : bufs)
    cudaFree(b);

  std::printf("layer %s (", L.name.c_str());
  for (auto &d : L.dims)
    std::printf("%s=%lld ", d.name.c_str(), (long long)*d.size);
  std::printf("%s), batch %lld\n", ssmrt_dtype_name(ti.dtype), (long long)batch);
  std::printf("  load + prepare the pack    %8.2f ms\n", loadMs);
  std::printf("  prefill of %5lld tokens    %8.3f ms   rel. error vs reference %.2e  %s\n", (long long)prompt,
              prefillMs, prefillErr, prefillErr <= tol ? "ok" : "FAIL");
  std::printf("  %lld decode steps           rel. error vs reference %.2e  %s\n", (long long)decode, stepErr,
              stepErr <= tol ? "ok" : "FAIL");
  std::printf("  decode step, per C API call %7.2f us (wall clock, %d calls, no graph)\n", stepUs, iters);
  ssmrt_state_release(state);
  ssmrt_module_release(mod);
  ssmrt_context_release(ctx);
  return prefillErr <= tol && stepErr <= tol ? 0 : 1;
}
