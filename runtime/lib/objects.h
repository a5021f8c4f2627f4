// What the C handles are: the context, module, layer and state objects behind ssmrt.h.
//
// Ownership: the handle table (handles.h) holds a shared_ptr to each context, module and
// state that has a live handle; modules hold their context and states hold their module
// the same way, which is why handles may be released in any order. Layers are owned by
// their module, and their handles refer to the module weakly.
#ifndef SSMRT_LIB_OBJECTS_H
#define SSMRT_LIB_OBJECTS_H

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cuda_driver.h"
#include "handles.h"
#include "launch_plan.h"
#include "ssmrt/cache.h"
#include "ssmrt/manifest.h"
#include "ssmrt/pack.h"
#include "validate.h"

namespace ssmrt {

class ContextImpl {
 public:
  // SSMRT_DEVICE_NONE gives a context with no device that never touches the driver.
  static Status create(const ssmrt_context_options &options, std::shared_ptr<ContextImpl> *out);
  ~ContextImpl();

  bool hasDevice() const { return hasDevice_; }
  // NO_DEVICE with a message naming `what` when the context has no device.
  Status requireDevice(const std::string &what) const;

  const CudaDriver &driver() const { return *driver_; }
  CUcontext cuContext() const { return cuContext_; }
  CUstream stream() const { return stream_; }
  int smArch() const { return info_.sm_arch; }
  // Threads the device runs at once: multiprocessors x resident threads per multiprocessor.
  uint64_t waveThreads() const { return waveThreads_; }
  const ssmrt_device_info &info() const { return info_; }
  DiskCache &cache() { return cache_; }

  // Holds the context's workspace for one call: launches of one call share it, and calls
  // on the context's one stream are ordered, so one buffer serves every call.
  std::mutex &workspaceMutex() { return workspaceMutex_; }
  // A device buffer of at least `bytes` (null when 0). Call with workspaceMutex() held
  // and the CUDA context current.
  Status workspace(uint64_t bytes, CUdeviceptr *out);

  // Whether launches use programmatic dependent launch (cuLaunchKernelEx with
  // CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION): decided at create
  // (wantProgrammaticLaunch, cuda_driver.h), and turned off for good if the driver refuses
  // such a launch that it accepts without the attribute.
  bool programmaticLaunch() const { return programmaticLaunch_.load(std::memory_order_relaxed); }
  // SSMRT_CONTEXT_PARAMS_FIXED: decode steps are told they may read params before the wait.
  bool paramsFixed() const { return paramsFixed_; }
  void disableProgrammaticLaunch() { programmaticLaunch_.store(false, std::memory_order_relaxed); }

 private:
  ContextImpl() : cache_("") {}

  bool hasDevice_ = false;
  const CudaDriver *driver_ = nullptr;
  CUdevice device_ = 0;
  CUcontext cuContext_ = nullptr;
  CUstream stream_ = nullptr;
  ssmrt_device_info info_{};
  uint64_t waveThreads_ = 0;
  DiskCache cache_;
  std::mutex workspaceMutex_;
  CUdeviceptr workspace_ = 0;
  uint64_t workspaceBytes_ = 0;
  std::atomic<bool> programmaticLaunch_{false};
  bool paramsFixed_ = false;
};

class ModuleImpl;

// What a successful forward or step call established from its tensors' dtypes, ranks,
// sizes and strides and its state sizes: the next call that has the same ones reuses it
// (revalidate, validate.h) instead of validating and planning again. Immutable once made.
struct CachedCall {
  ValidatedCall validated;  // validated.shape includes largestStateBytes
  LaunchPlan plan;          // points into the layer's manifest
};

// A layer: the manifest entry plus the arrays the introspection calls hand out.
struct LayerImpl {
  ModuleImpl *module = nullptr;
  const ManifestLayer *manifest = nullptr;
  uintptr_t handle = 0;  // its ssmrt_layer handle, the same for every lookup
  struct DimList {
    std::vector<const char *> names;
    std::vector<int64_t> values;
  };
  std::vector<DimList> tensorDims, stateDims;

  // What the module's load resolved for one launch: its kernel, its small_grid_kernel (null
  // where it has none) and that kernel's wave in blocks (useSmallGridKernel; 0: never).
  struct LaunchFunctions {
    CUfunction kernel = nullptr;
    CUfunction small = nullptr;
    uint64_t smallWaveBlocks = 0;
  };
  // Per launch list, in the order of ManifestLayer::entryLists(), one per launch. Written by
  // the module's load before it is marked loaded; read after.
  std::array<std::vector<LaunchFunctions>, 4> functions;
  // Those of a planned launch; null before the module's kernels are loaded.
  const LaunchFunctions *launchFunctions(ssmrt_entry entry, const LaunchPlan &plan, const PlannedLaunch &p) const;

  // The last successful call of each entry (forward, step), shared with calls in flight.
  std::shared_ptr<const CachedCall> lastCall(ssmrt_entry entry) const;
  void setLastCall(ssmrt_entry entry, std::shared_ptr<const CachedCall> call) const;

 private:
  mutable std::mutex callMutex_;
  mutable std::shared_ptr<const CachedCall> lastCall_[2];
};

class ModuleImpl : public std::enable_shared_from_this<ModuleImpl> {
 public:
  static Status create(std::shared_ptr<ContextImpl> ctx, std::string_view bytes, const std::string &origin,
                       std::shared_ptr<ModuleImpl> *out);
  ~ModuleImpl();

  ContextImpl &context() { return *ctx_; }
  const Manifest &manifest() const { return manifest_; }
  const std::vector<std::unique_ptr<LayerImpl>> &layers() const { return layers_; }
  const std::string &origin() const { return origin_; }

  // Loads the kernels for the context's device on first call (cubin, else PTX, else
  // NVRTC through the disk cache) and resolves every kernel the manifest names.
  // Thread-safe; a compile error is remembered, other failures are retried next call.
  // Once loaded, costs one atomic load.
  Status ensureLoaded();
  // The function of a kernel; valid after ensureLoaded succeeded.
  CUfunction function(const std::string &kernel) const;

 private:
  ModuleImpl() = default;
  Status loadFromPack();  // the three-way choice; mutex_ held

  std::shared_ptr<ContextImpl> ctx_;
  std::string origin_;  // the file name, or "<memory>", for messages
  std::vector<PackEntry> entries_;
  Manifest manifest_;
  std::vector<std::unique_ptr<LayerImpl>> layers_;

  std::mutex mutex_;
  std::atomic<bool> loaded_{false};  // set (release) after cuModule_ and the functions
  Status stickyError_;  // a compile error, returned again without recompiling
  CUmodule cuModule_ = nullptr;
  std::string loadedFrom_;  // the pack entry the binary came from, for messages
  std::map<std::string, CUfunction> functions_;
};

// Where each of a layer's states lies in a state buffer of `batch` elements: offsets are
// 256-byte aligned in device memory; the host image packs them with no gaps.
struct StateLayout {
  std::vector<uint64_t> deviceOffset, hostOffset, bytes;
  uint64_t deviceBytes = 0, hostBytes = 0;
};
Status stateLayout(const LayerImpl &layer, int64_t batch, StateLayout *out);

// INVALID_ARGUMENT unless the state was created for this layer and this batch size; `which`
// names the argument in the message ("initial", "final", "state").
struct StateImpl;
Status checkStateFor(const StateImpl &state, const LayerImpl &layer, int64_t batch, const char *which);

// A state buffer. Its destructor frees the device memory after the work queued on the
// context's stream.
struct StateImpl {
  ~StateImpl();
  std::shared_ptr<ModuleImpl> module;  // keeps the layer alive
  const LayerImpl *layer = nullptr;
  int64_t batch = 0;
  StateLayout layout;
  CUdeviceptr device = 0;           // with a device
  std::vector<unsigned char> host;  // on an SSMRT_DEVICE_NONE context, same layout
};

// The objects behind C handles, for the duration of one call: each holds a reference that
// keeps its object alive even if another thread releases the handle meanwhile. On failure
// (NULL, released, of another kind, not a handle) INVALID_ARGUMENT names the function and
// the argument.
Status resolve(const ssmrt_context *handle, const char *function, const char *argument,
               std::shared_ptr<ContextImpl> *out);
Status resolve(const ssmrt_module *handle, const char *function, const char *argument,
               std::shared_ptr<ModuleImpl> *out);
Status resolve(const ssmrt_state *handle, const char *function, const char *argument,
               std::shared_ptr<StateImpl> *out);
struct LayerRef {
  std::shared_ptr<ModuleImpl> module;  // keeps the layer alive
  const LayerImpl *layer = nullptr;
};
Status resolve(const ssmrt_layer *handle, const char *function, const char *argument, LayerRef *out);

// The handle values the C API hands out.
template <class Handle>
Handle *handleOf(uintptr_t value) {
  return reinterpret_cast<Handle *>(value);
}

}  // namespace ssmrt

#endif  // SSMRT_LIB_OBJECTS_H
