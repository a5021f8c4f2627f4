// A loaded .ssmpack: its verified entries and manifest, the lazy per-device kernel load
// (cubin, else PTX, else NVRTC), and the ssmrt_module_* C entry points.
#include <algorithm>

#include "c_boundary.h"
#include "kernel_select.h"
#include "objects.h"
#include "ssmrt/nvrtc.h"

namespace ssmrt {

Status ModuleImpl::create(std::shared_ptr<ContextImpl> ctx, std::string_view bytes, const std::string &origin,
                      std::shared_ptr<ModuleImpl> *out) {
  std::shared_ptr<ModuleImpl> m(new ModuleImpl());
  m->ctx_ = std::move(ctx);
  m->origin_ = origin;
  const std::string where = "module '" + origin + "': ";
  Status s = readPack(bytes, &m->entries_);
  if (!s) return s.prefixed(where);
  const PackEntry *manifest = findPackEntry(m->entries_, "manifest.json");
  if (!manifest) return formatError(where + "the pack has no manifest.json");
  s = parseManifest(manifest->bytes, &m->manifest_);
  if (!s) return s.prefixed(where);

  bool hasCode = findPackEntry(m->entries_, "source.cu") != nullptr;
  for (const PackEntry &e : m->entries_)
    hasCode |= e.name.rfind("cubin.", 0) == 0 || e.name.rfind("ptx.", 0) == 0;
  if (!hasCode) return formatError(where + "the pack has no cubin, no PTX and no source.cu");

  // Layers point into manifest_, which is never modified or moved after this.
  for (const ManifestLayer &ml : m->manifest_.layers) {
    auto layer = std::make_unique<LayerImpl>();
    layer->module = m.get();
    layer->manifest = &ml;
    auto dimList = [&](const std::vector<std::string> &dims) {
      LayerImpl::DimList list;
      for (const std::string &d : dims) {
        list.names.push_back(d.c_str());
        list.values.push_back(ml.dimValue(d));
      }
      return list;
    };
    for (const ManifestTensor &t : ml.tensors) layer->tensorDims.push_back(dimList(t.dims));
    for (const ManifestState &st : ml.states) layer->stateDims.push_back(dimList(st.dims));
    m->layers_.push_back(std::move(layer));
  }
  // Layer handles refer to the module weakly: they stop resolving when it ends.
  for (auto &layer : m->layers_)
    layer->handle = registerWeakHandle(HandleKind::Layer, std::weak_ptr<void>(m), layer.get());
  *out = std::move(m);
  return Status::ok();
}

ModuleImpl::~ModuleImpl() {
  for (auto &layer : layers_)
    if (layer->handle) unregisterHandle(layer->handle, HandleKind::Layer);
  if (!cuModule_) return;
  ScopedContext scope(ctx_->cuContext());
  if (!scope.status()) return;
  // Unloading code that queued kernels still run is undefined: let them finish first.
  ctx_->driver().streamSynchronize(ctx_->stream());
  ctx_->driver().moduleUnload(cuModule_);
}

Status ModuleImpl::ensureLoaded() {
  if (loaded_.load(std::memory_order_acquire)) return Status::ok();
  Status s = ctx_->requireDevice("loading the kernels of module '" + origin_ + "'");
  if (!s) return s;
  std::lock_guard<std::mutex> lock(mutex_);
  if (loaded_.load(std::memory_order_relaxed)) return Status::ok();
  if (!stickyError_.isOk()) return stickyError_;
  s = loadFromPack();
  if (s.code() == SSMRT_COMPILE_ERROR) stickyError_ = s;
  return s;
}

CUfunction ModuleImpl::function(const std::string &kernel) const {
  auto it = functions_.find(kernel);
  return it == functions_.end() ? nullptr : it->second;
}

namespace {

// The blocks of a launch's small-grid kernel the device holds at once: multiprocessors x the
// kernel's occupancy at the launch's block and shared memory (the driver's calculator, which
// counts its registers); without the calculator, the device's resident threads over the block.
// 0 (never the small kernel) when $SSMRT_NO_SMALL_GRID is set.
uint64_t smallGridWaveBlocks(const CudaDriver &d, const ContextImpl &ctx, CUfunction f, const ManifestLaunch &l) {
  const uint64_t waveThreads = ctx.waveThreads();
  const uint64_t block = uint64_t(l.block[0]) * l.block[1] * l.block[2];
  if (!waveThreads || !f || !block) return 0;
  int perSm = 0;
  if (d.occupancyMaxActiveBlocksPerMultiprocessor &&
      d.occupancyMaxActiveBlocksPerMultiprocessor(&perSm, f, int(block), l.smem) == CUDA_SUCCESS)
    return uint64_t(perSm) * uint64_t(ctx.info().multiprocessor_count);
  return waveThreads / block;
}

}  // namespace

Status ModuleImpl::loadFromPack() {
  const CudaDriver &d = ctx_->driver();
  const int dev = ctx_->smArch();
  const std::string devArch = "sm_" + std::to_string(dev);
  ScopedContext scope(ctx_->cuContext());
  if (!scope.status()) return scope.status();

  // Best candidates first (runtime/FORMAT.md): cubins, then PTX, then source.cu.
  const KernelCandidates candidates = selectKernels(entries_, dev);
  const std::vector<BinaryEntry> &cubins = candidates.cubins, &ptxs = candidates.ptxs;

  std::vector<std::string> attempts;  // why each candidate failed, for the final message
  Status last(SSMRT_UNSUPPORTED, "");
  CUmodule mod = nullptr;

  for (const BinaryEntry &b : cubins) {
    // The driver trusts the ELF's offsets: a malformed image is never handed to it.
    std::string bad = checkCubinImage(b.entry->bytes);
    if (!bad.empty()) {
      attempts.push_back(b.entry->name + ": not a well-formed cubin (" + bad + ")");
      last = Status(SSMRT_FORMAT_ERROR, bad);
      continue;
    }
    Status s = cuCheck(d.moduleLoadData(&mod, b.entry->bytes.data()), "cuModuleLoadData", SSMRT_COMPILE_ERROR);
    if (s) {
      loadedFrom_ = b.entry->name;
      break;
    }
    mod = nullptr;
    attempts.push_back(b.entry->name + ": " + s.message());
    last = s;
  }
  for (size_t i = 0; !mod && i < ptxs.size(); ++i) {
    const BinaryEntry &b = ptxs[i];
    char log[8192] = {0};
    CUjit_option opts[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
    void *vals[] = {log, reinterpret_cast<void *>(uintptr_t(sizeof log - 1))};
    // c_str(): the JIT reads PTX as a NUL-terminated string.
    Status s = cuCheck(d.moduleLoadDataEx(&mod, b.entry->bytes.c_str(), 2, opts, vals), "cuModuleLoadDataEx (PTX JIT)",
                       SSMRT_COMPILE_ERROR);
    if (s) {
      loadedFrom_ = b.entry->name;
      break;
    }
    mod = nullptr;
    attempts.push_back(b.entry->name + ": " + s.message() + (log[0] ? std::string(":\n") + log : ""));
    last = s;
  }
  const PackEntry *source = candidates.source;
  if (!mod && source) {
    NvrtcRequest req;
    req.source = source->bytes;
    req.name = origin_ + ":source.cu";
    req.options = manifest_.nvrtcOptions;
    req.arch = devArch;
    req.output = NvrtcOutput::Cubin;
    NvrtcResult compiled;
    Status s = compileCudaCached(req, &ctx_->cache(), &compiled);
    if (s && !checkCubinImage(compiled.binary).empty())
      s = Status(SSMRT_COMPILE_ERROR, "NVRTC's output is not a well-formed cubin (" + checkCubinImage(compiled.binary) + ")");
    if (s) {
      s = cuCheck(d.moduleLoadData(&mod, compiled.binary.data()), "cuModuleLoadData (NVRTC output)", SSMRT_COMPILE_ERROR);
      if (s) loadedFrom_ = "source.cu compiled for " + devArch;
    }
    if (!s) {
      mod = nullptr;
      attempts.push_back("source.cu: " + s.message());
      last = s;
    }
  }
  if (!mod) {
    if (attempts.empty()) return Status(SSMRT_UNSUPPORTED, noKernelsMessage(entries_, dev, origin_));
    std::string m = "module '" + origin_ + "' has no kernels this " + devArch + " device can run";
    for (const std::string &a : attempts) m += "\n  " + a;
    return Status(last.code(), m);
  }

  // Resolve every kernel now, so a pack that names a missing kernel fails at load, and
  // raise the shared-memory limit where a launch asks for more than the default 48 KB.
  std::map<std::string, CUfunction> functions;
  std::map<std::string, uint32_t> smem;
  for (const ManifestLayer &layer : manifest_.layers) {
    for (const ManifestLayer::EntryList &list : layer.entryLists()) {
      for (const ManifestLaunch &l : *list.launches) {
        for (const std::string *kernel : {&l.kernel, &l.smallGridKernel}) {
          if (kernel->empty()) continue;
          smem[*kernel] = std::max(smem[*kernel], l.smem);
          if (functions.count(*kernel)) continue;
          CUfunction f = nullptr;
          Status s = cuCheck(d.moduleGetFunction(&f, mod, kernel->c_str()), "cuModuleGetFunction", SSMRT_NOT_FOUND);
          if (!s) {
            d.moduleUnload(mod);
            return Status(SSMRT_NOT_FOUND, "kernel '" + *kernel + "' of layer '" + layer.name + "' (" +
                                               layer.locationString() + ") is not in " + loadedFrom_ +
                                               " of module '" + origin_ + "': " + s.message());
          }
          functions[*kernel] = f;
        }
      }
    }
  }
  for (const auto &[kernel, bytes] : smem) {
    if (bytes <= 48 * 1024) continue;
    Status s = cuCheck(d.funcSetAttribute(functions[kernel], CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, int(bytes)),
                       "cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES)", SSMRT_UNSUPPORTED);
    if (!s) {
      d.moduleUnload(mod);
      return Status(s.code(), "kernel '" + kernel + "' asks for " + std::to_string(bytes) +
                                  " bytes of shared memory, which this device refuses: " + s.message());
    }
  }
  // Each launch's function, for calls to find by position instead of by name.
  for (size_t i = 0; i < layers_.size(); ++i) {
    const auto lists = manifest_.layers[i].entryLists();
    for (size_t k = 0; k < lists.size(); ++k) {
      std::vector<LayerImpl::LaunchFunctions> &fs = layers_[i]->functions[k];
      fs.clear();
      for (const ManifestLaunch &l : *lists[k].launches) {
        LayerImpl::LaunchFunctions lf;
        lf.kernel = functions[l.kernel];
        if (!l.smallGridKernel.empty()) {
          lf.small = functions[l.smallGridKernel];
          lf.smallWaveBlocks = smallGridWaveBlocks(d, *ctx_, lf.small, l);
        }
        fs.push_back(lf);
      }
    }
  }
  cuModule_ = mod;
  functions_ = std::move(functions);
  loaded_.store(true, std::memory_order_release);
  return Status::ok();
}

}  // namespace ssmrt

using namespace ssmrt;

namespace {

Status loadModule(std::shared_ptr<ContextImpl> ctx, std::string_view bytes, const std::string &origin,
                  ssmrt_module **out) {
  std::shared_ptr<ModuleImpl> m;
  Status s = ModuleImpl::create(std::move(ctx), bytes, origin, &m);
  if (!s) return s;
  *out = handleOf<ssmrt_module>(registerHandle(HandleKind::Module, std::move(m)));
  return Status::ok();
}

}  // namespace

extern "C" {

ssmrt_status ssmrt_module_load_file(ssmrt_context *ctx, const char *path, ssmrt_module **out_module) {
  const char *fn = __func__;
  return guarded(fn, [&]() -> Status {
    if (!out_module) return nullArgument(fn, "out_module");
    *out_module = nullptr;
    std::shared_ptr<ContextImpl> c;
    Status s = resolve(ctx, fn, "ctx", &c);
    if (!s) return s;
    if (!path) return nullArgument(fn, "path");
    std::string bytes;
    s = readFileBytes(path, &bytes);
    if (!s) return s.prefixed(std::string(fn) + ": ");
    return loadModule(std::move(c), bytes, path, out_module);
  });
}

ssmrt_status ssmrt_module_load_memory(ssmrt_context *ctx, const void *data, size_t size,
                                      ssmrt_module **out_module) {
  const char *fn = __func__;
  return guarded(fn, [&]() -> Status {
    if (!out_module) return nullArgument(fn, "out_module");
    *out_module = nullptr;
    std::shared_ptr<ContextImpl> c;
    Status s = resolve(ctx, fn, "ctx", &c);
    if (!s) return s;
    if (!data && size > 0) return nullArgument(fn, "data");
    return loadModule(std::move(c), std::string_view(static_cast<const char *>(data), data ? size : 0),
                      "<memory>", out_module);
  });
}

void ssmrt_module_release(ssmrt_module *module) {
  try {
    unregisterHandle(toHandleValue(module), HandleKind::Module);
  } catch (...) {
  }
}

ssmrt_status ssmrt_module_prepare(ssmrt_module *module) {
  const char *fn = __func__;
  return guarded(fn, [&]() -> Status {
    std::shared_ptr<ModuleImpl> m;
    Status s = resolve(module, fn, "module", &m);
    if (!s) return s;
    return m->ensureLoaded();
  });
}

ssmrt_status ssmrt_module_layer_count(const ssmrt_module *module, int32_t *out_count) {
  const char *fn = __func__;
  return guarded(fn, [&]() -> Status {
    std::shared_ptr<ModuleImpl> m;
    Status s = resolve(module, fn, "module", &m);
    if (!s) return s;
    if (!out_count) return nullArgument(fn, "out_count");
    *out_count = int32_t(m->layers().size());
    return Status::ok();
  });
}

ssmrt_status ssmrt_module_layer(const ssmrt_module *module, int32_t index, ssmrt_layer **out_layer) {
  const char *fn = __func__;
  return guarded(fn, [&]() -> Status {
    if (!out_layer) return nullArgument(fn, "out_layer");
    *out_layer = nullptr;
    std::shared_ptr<ModuleImpl> m;
    Status s = resolve(module, fn, "module", &m);
    if (!s) return s;
    const auto &layers = m->layers();
    if (index < 0 || size_t(index) >= layers.size())
      return invalidArgument(std::string(fn) + ": layer index " + std::to_string(index) + " is out of range (the module has " +
                             std::to_string(layers.size()) + " layers)");
    *out_layer = handleOf<ssmrt_layer>(layers[size_t(index)]->handle);
    return Status::ok();
  });
}

ssmrt_status ssmrt_module_layer_by_name(const ssmrt_module *module, const char *name, ssmrt_layer **out_layer) {
  const char *fn = __func__;
  return guarded(fn, [&]() -> Status {
    if (!out_layer) return nullArgument(fn, "out_layer");
    *out_layer = nullptr;
    std::shared_ptr<ModuleImpl> m;
    Status s = resolve(module, fn, "module", &m);
    if (!s) return s;
    if (!name) return nullArgument(fn, "name");
    std::string names;
    for (const auto &layer : m->layers()) {
      if (layer->manifest->name == name) {
        *out_layer = handleOf<ssmrt_layer>(layer->handle);
        return Status::ok();
      }
      names += (names.empty() ? "'" : ", '") + layer->manifest->name + "'";
    }
    return notFound("module '" + m->origin() + "' has no layer '" + name + "' (it has " + names + ")");
  });
}

}  // extern "C"
