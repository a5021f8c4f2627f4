// Opening libcuda with dlopen and checking driver results (see cuda_driver.h).
#include "cuda_driver.h"

#include <cstdlib>
#include <cstring>

#include "dynlib.h"

namespace ssmrt {
namespace {

template <class F>
void bind(const DynLib &lib, F *&fn, const char *name, std::string *missing) {
  fn = reinterpret_cast<F *>(lib.symbol(name, missing));
}

struct DriverState {
  CudaDriver driver;
  Status status;
};

const DriverState &driverState() {
  // Opened once: dlopen and cuInit are not free, and their answer does not change while
  // the process runs.
  static const DriverState *state = [] {
    auto *s = new DriverState();  // never freed: function pointers must outlive every user
    const char *env = std::getenv("SSMRT_CUDA_LIBRARY");
    std::string name = env && *env ? env : "libcuda.so.1";
    DynLib lib = DynLib::open({name});
    if (!lib.handle) {
      s->status = Status(SSMRT_NO_DRIVER, "no CUDA driver found (" + name + "): " + lib.error);
      return s;
    }
    CudaDriver &d = s->driver;
    d.libraryPath = name;
    std::string missing;
    // Explicit _v2 names: these are what cuda.h's macros select for the 64-bit API, and
    // binding by exact name keeps us off the per-thread-default-stream variants.
    bind(lib, d.init, "cuInit", &missing);
    bind(lib, d.driverGetVersion, "cuDriverGetVersion", &missing);
    bind(lib, d.getErrorName, "cuGetErrorName", &missing);
    bind(lib, d.getErrorString, "cuGetErrorString", &missing);
    bind(lib, d.deviceGetCount, "cuDeviceGetCount", &missing);
    bind(lib, d.deviceGet, "cuDeviceGet", &missing);
    bind(lib, d.deviceGetName, "cuDeviceGetName", &missing);
    bind(lib, d.deviceGetAttribute, "cuDeviceGetAttribute", &missing);
    bind(lib, d.deviceTotalMem, "cuDeviceTotalMem_v2", &missing);
    bind(lib, d.primaryCtxRetain, "cuDevicePrimaryCtxRetain", &missing);
    bind(lib, d.primaryCtxRelease, "cuDevicePrimaryCtxRelease_v2", &missing);
    bind(lib, d.ctxPushCurrent, "cuCtxPushCurrent_v2", &missing);
    bind(lib, d.ctxPopCurrent, "cuCtxPopCurrent_v2", &missing);
    bind(lib, d.moduleLoadData, "cuModuleLoadData", &missing);
    bind(lib, d.moduleLoadDataEx, "cuModuleLoadDataEx", &missing);
    bind(lib, d.moduleUnload, "cuModuleUnload", &missing);
    bind(lib, d.moduleGetFunction, "cuModuleGetFunction", &missing);
    bind(lib, d.funcSetAttribute, "cuFuncSetAttribute", &missing);
    bind(lib, d.launchKernel, "cuLaunchKernel", &missing);
    bind(lib, d.memAlloc, "cuMemAlloc_v2", &missing);
    bind(lib, d.memFree, "cuMemFree_v2", &missing);
    bind(lib, d.memcpyHtoDAsync, "cuMemcpyHtoDAsync_v2", &missing);
    bind(lib, d.memcpyDtoHAsync, "cuMemcpyDtoHAsync_v2", &missing);
    bind(lib, d.memcpyDtoDAsync, "cuMemcpyDtoDAsync_v2", &missing);
    bind(lib, d.memsetD8Async, "cuMemsetD8Async", &missing);
    bind(lib, d.streamSynchronize, "cuStreamSynchronize", &missing);
    std::string optional;  // absent from old drivers: launches fall back to cuLaunchKernel
    bind(lib, d.launchKernelEx, "cuLaunchKernelEx", &optional);
    bind(lib, d.streamIsCapturing, "cuStreamIsCapturing", &optional);
    bind(lib, d.occupancyMaxActiveBlocksPerMultiprocessor, "cuOccupancyMaxActiveBlocksPerMultiprocessor", &optional);
    if (!missing.empty()) {
      s->status = Status(SSMRT_NO_DRIVER, "the CUDA driver '" + name + "' is too old: it lacks " + missing);
      return s;
    }
    CUresult r = d.init(0);
    if (r == CUDA_ERROR_NO_DEVICE) {
      s->status = Status(SSMRT_NO_DEVICE, "the CUDA driver found no device (cuInit: CUDA_ERROR_NO_DEVICE)");
    } else if (r != CUDA_SUCCESS) {
      s->status = cuCheck(r, "cuInit", SSMRT_NO_DRIVER).prefixed("the CUDA driver could not start: ");
    }
    return s;
  }();
  return *state;
}

}  // namespace

Status cudaDriver(const CudaDriver **out_driver) {
  const DriverState &s = driverState();
  if (!s.status) return s.status;
  *out_driver = &s.driver;
  return Status::ok();
}

Status cuCheck(CUresult result, const char *call, ssmrt_status code) {
  if (result == CUDA_SUCCESS) return Status::ok();
  const char *name = nullptr, *text = nullptr;
  const CudaDriver &d = driverState().driver;
  if (d.getErrorName) d.getErrorName(result, &name);
  if (d.getErrorString) d.getErrorString(result, &text);
  std::string m = std::string(call) + " failed: " + (name ? name : "CUresult " + std::to_string(int(result)));
  if (text) m += std::string(" (") + text + ")";
  if (result == CUDA_ERROR_OUT_OF_MEMORY) code = SSMRT_OUT_OF_MEMORY;
  return Status(code, m);
}

bool envSwitchOn(const char *value) { return value && *value && std::strcmp(value, "0") != 0; }

bool wantProgrammaticLaunch(int sm_arch, bool has_launch_kernel_ex, const char *no_pdl_env) {
  return sm_arch >= 90 && has_launch_kernel_ex && !envSwitchOn(no_pdl_env);
}

void programmaticLaunchConfig(const uint32_t grid[3], const uint32_t block[3], uint32_t smem, CUstream stream,
                              CUlaunchAttribute *attr, CUlaunchConfig *config) {
  std::memset(attr, 0, sizeof *attr);
  attr->id = CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION;
  attr->value.programmaticStreamSerializationAllowed = 1;
  std::memset(config, 0, sizeof *config);
  config->gridDimX = grid[0];
  config->gridDimY = grid[1];
  config->gridDimZ = grid[2];
  config->blockDimX = block[0];
  config->blockDimY = block[1];
  config->blockDimZ = block[2];
  config->sharedMemBytes = smem;
  config->hStream = stream;
  config->attrs = attr;
  config->numAttrs = 1;
}

ScopedContext::ScopedContext(CUcontext ctx) {
  const CudaDriver *d = nullptr;
  status_ = cudaDriver(&d);
  if (!status_) return;
  status_ = cuCheck(d->ctxPushCurrent(ctx), "cuCtxPushCurrent", SSMRT_INTERNAL);
  pushed_ = status_.isOk();
}

ScopedContext::~ScopedContext() {
  if (!pushed_) return;
  const CudaDriver *d = nullptr;
  if (cudaDriver(&d)) {
    CUcontext popped;
    d->ctxPopCurrent(&popped);
  }
}

}  // namespace ssmrt
