// The context: a device's primary CUDA context, the stream, the kernel cache and the shared
// workspace; and the ssmrt_context_* C entry points.
#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "c_boundary.h"
#include "objects.h"

namespace ssmrt {

Status ContextImpl::create(const ssmrt_context_options &options, std::shared_ptr<ContextImpl> *out) {
  std::shared_ptr<ContextImpl> ctx(new ContextImpl());
  ctx->cache_ = DiskCache(options.cache_dir ? std::string(options.cache_dir) : DiskCache::defaultDirectory());
  ctx->info_.ordinal = options.device_ordinal;
  ctx->paramsFixed_ = (options.flags & SSMRT_CONTEXT_PARAMS_FIXED) != 0;
  if (options.device_ordinal == SSMRT_DEVICE_NONE) {
    std::snprintf(ctx->info_.name, sizeof ctx->info_.name, "none");
    *out = std::move(ctx);
    return Status::ok();
  }
  if (options.device_ordinal < 0)
    return invalidArgument("device ordinal " + std::to_string(options.device_ordinal) +
                           " is negative (SSMRT_DEVICE_NONE is -1)");

  const CudaDriver *d = nullptr;
  Status s = cudaDriver(&d);
  if (!s) return s;
  ctx->driver_ = d;
  int count = 0;
  s = cuCheck(d->deviceGetCount(&count), "cuDeviceGetCount", SSMRT_NO_DEVICE);
  if (!s) return s;
  if (options.device_ordinal >= count)
    return Status(SSMRT_NO_DEVICE, "CUDA device " + std::to_string(options.device_ordinal) +
                                       " does not exist (this host has " + std::to_string(count) +
                                       (count == 1 ? " device)" : " devices)"));
  s = cuCheck(d->deviceGet(&ctx->device_, options.device_ordinal), "cuDeviceGet", SSMRT_NO_DEVICE);
  if (!s) return s;

  ssmrt_device_info &info = ctx->info_;
  int major = 0, minor = 0, sms = 0, threadsPerSm = 0;
  size_t mem = 0;
  if (!(s = cuCheck(d->deviceGetName(info.name, sizeof info.name, ctx->device_), "cuDeviceGetName", SSMRT_NO_DEVICE)) ||
      !(s = cuCheck(d->deviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, ctx->device_),
                    "cuDeviceGetAttribute", SSMRT_NO_DEVICE)) ||
      !(s = cuCheck(d->deviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, ctx->device_),
                    "cuDeviceGetAttribute", SSMRT_NO_DEVICE)) ||
      !(s = cuCheck(d->deviceGetAttribute(&sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, ctx->device_),
                    "cuDeviceGetAttribute", SSMRT_NO_DEVICE)) ||
      !(s = cuCheck(d->deviceGetAttribute(&threadsPerSm, CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR,
                                          ctx->device_),
                    "cuDeviceGetAttribute", SSMRT_NO_DEVICE)) ||
      !(s = cuCheck(d->deviceTotalMem(&mem, ctx->device_), "cuDeviceTotalMem", SSMRT_NO_DEVICE)))
    return s;
  info.name[sizeof info.name - 1] = '\0';
  info.sm_arch = major * 10 + minor;
  info.multiprocessor_count = sms;
  // $SSMRT_NO_SMALL_GRID: never a launch's small_grid_kernel, for comparison.
  ctx->waveThreads_ =
      envSwitchOn(std::getenv("SSMRT_NO_SMALL_GRID")) ? 0 : uint64_t(sms) * uint64_t(threadsPerSm);
  info.total_memory_bytes = mem;

  // The primary context is the one the CUDA runtime API (and so most frameworks) uses:
  // pointers and streams from the host application are valid in it.
  s = cuCheck(d->primaryCtxRetain(&ctx->cuContext_, ctx->device_), "cuDevicePrimaryCtxRetain", SSMRT_NO_DEVICE);
  if (!s) return s;
  ctx->hasDevice_ = true;
  ctx->stream_ = static_cast<CUstream>(options.stream);
  ctx->programmaticLaunch_ =
      wantProgrammaticLaunch(info.sm_arch, d->launchKernelEx != nullptr, std::getenv("SSMRT_NO_PDL"));
  *out = std::move(ctx);
  return Status::ok();
}

ContextImpl::~ContextImpl() {
  if (!hasDevice_) return;
  {
    ScopedContext scope(cuContext_);
    if (scope.status() && workspace_) {
      // Kernels queued earlier may still use the workspace.
      driver_->streamSynchronize(stream_);
      driver_->memFree(workspace_);
    }
  }
  driver_->primaryCtxRelease(device_);
}

Status ContextImpl::requireDevice(const std::string &what) const {
  if (hasDevice_) return Status::ok();
  return Status(SSMRT_NO_DEVICE, what + ": the context has no device (it was created with SSMRT_DEVICE_NONE)");
}

Status ContextImpl::workspace(uint64_t bytes, CUdeviceptr *out) {
  if (bytes <= workspaceBytes_) {
    *out = bytes ? workspace_ : 0;
    return Status::ok();
  }
  if (workspace_) {
    // The old buffer may be in use by kernels still queued on the stream.
    Status s = cuCheck(driver_->streamSynchronize(stream_), "cuStreamSynchronize (before growing the workspace)");
    if (!s) return s;
    driver_->memFree(workspace_);
    workspace_ = 0;
    workspaceBytes_ = 0;
  }
  CUdeviceptr p = 0;
  Status s = cuCheck(driver_->memAlloc(&p, size_t(bytes)),
                     ("cuMemAlloc of a " + std::to_string(bytes) + "-byte workspace").c_str(), SSMRT_OUT_OF_MEMORY);
  if (!s) return s;
  workspace_ = p;
  workspaceBytes_ = bytes;
  *out = p;
  return Status::ok();
}

}  // namespace ssmrt

using namespace ssmrt;

extern "C" {

void ssmrt_context_options_init(ssmrt_context_options *options) {
  if (!options) return;
  ssmrt_context_options defaults = SSMRT_CONTEXT_OPTIONS_INIT;
  *options = defaults;
}

ssmrt_status ssmrt_context_create(const ssmrt_context_options *options, ssmrt_context **out_ctx) {
  const char *fn = __func__;
  return guarded(fn, [&]() -> Status {
    if (!out_ctx) return nullArgument(fn, "out_ctx");
    *out_ctx = nullptr;
    ssmrt_context_options opts = SSMRT_CONTEXT_OPTIONS_INIT;
    if (options) {
      // A caller compiled against an older, smaller struct must not have us read past it:
      // the fields it has are copied, the later ones keep their defaults.
      const size_t first = offsetof(ssmrt_context_options, flags);
      if (options->struct_size < first)
        return invalidArgument(std::string(fn) + ": options->struct_size is " +
                               std::to_string(options->struct_size) + " but this library needs at least " +
                               std::to_string(first) + " (initialise options with ssmrt_context_options_init)");
      std::memcpy(&opts, options, std::min<size_t>(options->struct_size, sizeof opts));
      opts.struct_size = sizeof opts;
      if (opts.flags & ~uint32_t(SSMRT_CONTEXT_PARAMS_FIXED))
        return invalidArgument(std::string(fn) + ": options->flags has unknown bits " +
                               std::to_string(opts.flags & ~uint32_t(SSMRT_CONTEXT_PARAMS_FIXED)));
    }
    std::shared_ptr<ContextImpl> ctx;
    Status s = ContextImpl::create(opts, &ctx);
    if (!s) return s;
    *out_ctx = handleOf<ssmrt_context>(registerHandle(HandleKind::Context, std::move(ctx)));
    return Status::ok();
  });
}

void ssmrt_context_release(ssmrt_context *ctx) {
  try {
    // The context ends here unless a module still uses it; a handle that is not live is
    // ignored (release never fails).
    unregisterHandle(toHandleValue(ctx), HandleKind::Context);
  } catch (...) {
  }
}

ssmrt_status ssmrt_context_device_info(const ssmrt_context *ctx, ssmrt_device_info *out_info) {
  const char *fn = __func__;
  return guarded(fn, [&]() -> Status {
    std::shared_ptr<ContextImpl> c;
    Status s = resolve(ctx, fn, "ctx", &c);
    if (!s) return s;
    if (!out_info) return nullArgument(fn, "out_info");
    s = c->requireDevice(fn);
    if (!s) return s;
    *out_info = c->info();
    return Status::ok();
  });
}

ssmrt_status ssmrt_context_synchronize(const ssmrt_context *ctx) {
  const char *fn = __func__;
  return guarded(fn, [&]() -> Status {
    std::shared_ptr<ContextImpl> impl;
    Status s = resolve(ctx, fn, "ctx", &impl);
    if (!s) return s;
    ContextImpl &c = *impl;
    if (!c.hasDevice()) return Status::ok();  // nothing can have been queued
    ScopedContext scope(c.cuContext());
    if (!scope.status()) return scope.status();
    return cuCheck(c.driver().streamSynchronize(c.stream()), "cuStreamSynchronize")
        .prefixed("work queued earlier on the context's stream failed: ");
  });
}

}  // extern "C"
