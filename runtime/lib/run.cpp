// Running a layer: validate everything, plan the launches, fill ssm_launch_args and queue
// the entry's kernels on the context's stream (ssmrt_layer_forward / ssmrt_layer_step).
#include <algorithm>
#include <cstring>
#include <optional>

#include "c_boundary.h"
#include "enums.h"
#include "launch_hook.h"
#include "launch_plan.h"
#include "objects.h"
#include "validate.h"

namespace ssmrt {
namespace {

LaunchHook gLaunchHook = nullptr;
void *gLaunchHookUser = nullptr;

constexpr uint64_t kWorkspaceAlignment = 256;

std::string dims3(const uint32_t v[3]) {
  return "[" + std::to_string(v[0]) + ", " + std::to_string(v[1]) + ", " + std::to_string(v[2]) + "]";
}

// Whether the context's stream is being captured into a CUDA graph.
bool capturing(const ContextImpl &ctx) {
  const CudaDriver &d = ctx.driver();
  CUstreamCaptureStatus st = CU_STREAM_CAPTURE_STATUS_NONE;
  return d.streamIsCapturing && d.streamIsCapturing(ctx.stream(), &st) == CUDA_SUCCESS &&
         st == CU_STREAM_CAPTURE_STATUS_ACTIVE;
}

// Queues one launch: with programmatic dependent launch where the context uses it and the
// stream is being captured into a graph (every kernel ssmc generates waits for its predecessor
// at griddepcontrol.wait, so it may start early; runtime/device/CONTRACT.md), else plainly.
// Measured on the H100 (runtime/device/PERF.md, g6): the batch-1 decode step in a graph 2.21
// us with PDL, 2.43 without; called one by one through the C API 7.39 us with, 5.43 without.
// If the driver refuses the attribute but takes the plain launch, the context stops asking.
CUresult launchOne(ContextImpl &ctx, CUfunction f, const uint32_t grid[3], const uint32_t block[3], uint32_t smem,
                   void **params) {
  const CudaDriver &d = ctx.driver();
  if (ctx.programmaticLaunch() && capturing(ctx)) {
    CUlaunchAttribute attr;
    CUlaunchConfig config;
    programmaticLaunchConfig(grid, block, smem, ctx.stream(), &attr, &config);
    CUresult r = d.launchKernelEx(&config, f, params, nullptr);
    if (r == CUDA_SUCCESS) return r;
    r = d.launchKernel(f, grid[0], grid[1], grid[2], block[0], block[1], block[2], smem, ctx.stream(), params,
                       nullptr);
    if (r == CUDA_SUCCESS) ctx.disableProgrammaticLaunch();
    return r;
  }
  return d.launchKernel(f, grid[0], grid[1], grid[2], block[0], block[1], block[2], smem, ctx.stream(), params,
                        nullptr);
}

Status runEntry(const LayerImpl &layer, ssmrt_entry entry, const ssmrt_tensor *tensors, int32_t count,
                const StateImpl *initial, StateImpl *final) {
  const ManifestLayer &ml = *layer.manifest;
  // Words for messages, built only when a call fails: this path runs once per decode step.
  auto who = [&] { return "layer '" + ml.name + "' " + entryName(entry); };
  const int32_t rawEntry = rawEnum(entry);
  const bool knownEntry = rawEntry == SSMRT_ENTRY_FORWARD || rawEntry == SSMRT_ENTRY_STEP;

  // The index32 kernels index state buffers from h0[i] / hT[i] too.
  uint64_t largestStateBytes = 0;
  for (const StateImpl *st : {initial, static_cast<const StateImpl *>(final)})
    for (size_t i = 0; st && i < st->layout.bytes.size(); ++i)
      largestStateBytes = std::max(largestStateBytes, st->layout.bytes[i]);

  // Everything the caller passed is checked before anything is queued. A call whose
  // tensors have the shapes of the last good call only needs their addresses checked; its
  // shape and launch plan are that call's.
  std::shared_ptr<const CachedCall> call = knownEntry ? layer.lastCall(entry) : nullptr;
  const bool reuse = call && call->validated.shape.largestStateBytes == largestStateBytes &&
                     revalidate(ml, call->validated, entry, tensors, count);
  std::shared_ptr<CachedCall> fresh;
  Status s;
  if (!reuse) {
    fresh = std::make_shared<CachedCall>();
    s = validateTensors(ml, entry, tensors, count, &fresh->validated.shape, &fresh->validated);
    if (!s) return s.prefixed(who() + ": ");
    fresh->validated.shape.largestStateBytes = largestStateBytes;
  }
  const CallShape &shape = reuse ? call->validated.shape : fresh->validated.shape;
  const char *initialName = entry == SSMRT_ENTRY_STEP ? "the" : "the initial";
  if (initial && !(s = checkStateFor(*initial, layer, shape.batch, initialName))) return s.prefixed(who() + ": ");
  if (final && !(s = checkStateFor(*final, layer, shape.batch, entry == SSMRT_ENTRY_STEP ? "the" : "the final")))
    return s.prefixed(who() + ": ");
  if (!reuse) {
    s = planLaunches(ml, entry, shape, &fresh->plan);
    if (!s) return s;
    call = fresh;
    layer.setLastCall(entry, std::move(fresh));
  }
  const LaunchPlan &plan = call->plan;

  ModuleImpl &module = *layer.module;
  ContextImpl &ctx = module.context();
  const LaunchHook hook = ctx.hasDevice() ? nullptr : gLaunchHook;
  if (!ctx.hasDevice() && !hook) return ctx.requireDevice(who() + " was validated but cannot run");
  std::optional<ScopedContext> scope;
  if (!hook) {
    s = module.ensureLoaded();
    if (!s) return s;
    scope.emplace(ctx.cuContext());
    if (!scope->status()) return scope->status();
  }

  ssm_launch_args args;
  std::memset(&args, 0, sizeof args);
  args.batch = shape.batch;
  args.seqlen = shape.seqlen;
  fillTensorArgs(ml, entry, tensors, &args);
  const StateLayout *layout = initial ? &initial->layout : final ? &final->layout : nullptr;
  for (size_t i = 0; layout && i < layout->bytes.size(); ++i) {
    if (initial) args.h0[i] = reinterpret_cast<void *>(initial->device + layout->deviceOffset[i]);
    if (final) args.hT[i] = reinterpret_cast<void *>(final->device + layout->deviceOffset[i]);
  }
  if (initial) args.flags |= SSM_FLAG_HAS_H0;
  if (final) args.flags |= SSM_FLAG_WRITE_HT;
  if (entry == SSMRT_ENTRY_STEP && ctx.paramsFixed()) args.flags |= SSM_FLAG_PARAMS_FIXED;

  // One call at a time fills the shared workspace; the stream orders the kernels.
  std::lock_guard<std::mutex> lock(ctx.workspaceMutex());
  // A forward whose initial and final state are one buffer reads a copy of the initial
  // state, so a kernel that writes hT early cannot clobber h0 that another block still
  // reads. (A step reads and writes each element in the same thread: no copy needed.)
  uint64_t copyBytes = entry == SSMRT_ENTRY_FORWARD && initial && initial == final ? layout->deviceBytes : 0;
  // Rounding up and adding the copy must not wrap: a wrapped size would allocate a small
  // buffer that the kernels then overrun.
  uint64_t wsBytes = 0, total = 0;
  if (__builtin_add_overflow(plan.workspaceBytes, kWorkspaceAlignment - 1, &wsBytes) ||
      __builtin_add_overflow(wsBytes / kWorkspaceAlignment * kWorkspaceAlignment, copyBytes, &total))
    return Status(SSMRT_UNSUPPORTED, who() + ": the workspace of " + std::to_string(plan.workspaceBytes) +
                                         " bytes at batch " + std::to_string(shape.batch) + ", seqlen " +
                                         std::to_string(shape.seqlen) + " cannot be addressed");
  wsBytes = wsBytes / kWorkspaceAlignment * kWorkspaceAlignment;
  CUdeviceptr base = 0;
  if (!hook) {
    s = ctx.workspace(total, &base);
    if (!s) return s.prefixed(who() + ": ");
  }
  args.workspace = plan.workspaceBytes ? reinterpret_cast<void *>(base) : nullptr;
  if (copyBytes) {
    CUdeviceptr copy = base + wsBytes;
    if (!hook) {
      s = cuCheck(ctx.driver().memcpyDtoDAsync(copy, initial->device, size_t(copyBytes), ctx.stream()),
                  "cuMemcpyDtoDAsync (initial state)");
      if (!s) return s.prefixed(who() + ": ");
    }
    for (size_t i = 0; i < layout->bytes.size(); ++i)
      args.h0[i] = reinterpret_cast<void *>(copy + layout->deviceOffset[i]);
  }

  for (const PlannedLaunch &p : plan.launches) {
    const ManifestLaunch &l = *p.launch;
    const LayerImpl::LaunchFunctions *lf = layer.launchFunctions(entry, plan, p);
    const bool small = useSmallGridKernel(l, p.grid, lf ? lf->smallWaveBlocks : 0);
    const std::string &kernel = small ? l.smallGridKernel : l.kernel;
    if (hook) {
      HookedLaunch h;
      h.kernel = kernel.c_str();
      for (int k = 0; k < 3; ++k) h.grid[k] = p.grid[k], h.block[k] = l.block[k];
      h.smem = l.smem;
      h.index32 = plan.index32;
      h.args = &args;
      hook(gLaunchHookUser, h);
      continue;
    }
    void *params[] = {&args};
    CUresult r = launchOne(ctx, lf ? (small ? lf->small : lf->kernel) : nullptr, p.grid, l.block, l.smem, params);
    if (r != CUDA_SUCCESS)
      return cuCheck(r, "cuLaunchKernel")
          .prefixed("launch of kernel '" + kernel + "' (grid " + dims3(p.grid) + ", block " + dims3(l.block) +
                    ", smem " + std::to_string(l.smem) + ") for " + who() + " (" + ml.locationString() +
                    ") at batch " + std::to_string(shape.batch) + ", seqlen " + std::to_string(shape.seqlen) +
                    " failed: ");
  }
  return Status::ok();
}

}  // namespace

const LayerImpl::LaunchFunctions *LayerImpl::launchFunctions(ssmrt_entry entry, const LaunchPlan &plan,
                                                             const PlannedLaunch &p) const {
  // functions[] follows ManifestLayer::entryLists(): forward, step, forward_index32, step_index32.
  const size_t list = (entry == SSMRT_ENTRY_STEP ? 1 : 0) + (plan.index32 ? 2 : 0);
  const std::vector<ManifestLaunch> &launches = *manifest->entryLists()[list].launches;
  const size_t index = size_t(p.launch - launches.data());
  return index < functions[list].size() ? &functions[list][index] : nullptr;
}

std::shared_ptr<const CachedCall> LayerImpl::lastCall(ssmrt_entry entry) const {
  std::lock_guard<std::mutex> lock(callMutex_);
  return lastCall_[entry == SSMRT_ENTRY_STEP ? 1 : 0];
}

void LayerImpl::setLastCall(ssmrt_entry entry, std::shared_ptr<const CachedCall> call) const {
  std::shared_ptr<const CachedCall> old;  // released after the lock
  std::lock_guard<std::mutex> lock(callMutex_);
  old = std::move(lastCall_[entry == SSMRT_ENTRY_STEP ? 1 : 0]);
  lastCall_[entry == SSMRT_ENTRY_STEP ? 1 : 0] = std::move(call);
}

void setLaunchHookForTesting(LaunchHook hook, void *user) {
  gLaunchHook = hook;
  gLaunchHookUser = user;
}

}  // namespace ssmrt

using namespace ssmrt;

extern "C" {

ssmrt_status ssmrt_layer_forward(const ssmrt_layer *layer, const ssmrt_tensor *tensors, int32_t tensor_count,
                                 const ssmrt_state *initial, ssmrt_state *final_state) {
  const char *fn = __func__;
  return guarded(fn, [&]() -> Status {
    LayerRef ref;
    Status s = resolve(layer, fn, "layer", &ref);
    if (!s) return s;
    // Each state resolved holds its own reference for the call.
    std::shared_ptr<StateImpl> h0, hT;
    if (initial && !(s = resolve(initial, fn, "initial", &h0))) return s;
    if (final_state && !(s = resolve(final_state, fn, "final_state", &hT))) return s;
    return runEntry(*ref.layer, SSMRT_ENTRY_FORWARD, tensors, tensor_count, h0.get(), hT.get());
  });
}

ssmrt_status ssmrt_layer_step(const ssmrt_layer *layer, const ssmrt_tensor *tensors, int32_t tensor_count,
                              ssmrt_state *state) {
  const char *fn = __func__;
  return guarded(fn, [&]() -> Status {
    LayerRef ref;
    Status s = resolve(layer, fn, "layer", &ref);
    if (!s) return s;
    if (!state && !ref.layer->manifest->states.empty())
      return nullArgument(fn, "state").prefixed("layer '" + ref.layer->manifest->name + "' step: ");
    std::shared_ptr<StateImpl> h;
    if (state && !(s = resolve(state, fn, "state", &h))) return s;
    return runEntry(*ref.layer, SSMRT_ENTRY_STEP, tensors, tensor_count, h.get(), h.get());
  });
}

}  // extern "C"
