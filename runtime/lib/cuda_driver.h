// The CUDA driver API, opened with dlopen on first use, and the one helper that turns a
// CUresult into a message naming the call.
//
// Nothing in ssmrt links libcuda: a host without a GPU starts, and the first call that
// needs the driver gets SSMRT_NO_DRIVER with dlerror's words.
#ifndef SSMRT_LIB_CUDA_DRIVER_H
#define SSMRT_LIB_CUDA_DRIVER_H

#include <cuda.h>  // types and enums only; every function is called through CudaDriver

#include <cstdint>
#include <string>

#include "ssmrt/status.h"

namespace ssmrt {

struct CudaDriver {
  CUresult (*init)(unsigned) = nullptr;
  CUresult (*driverGetVersion)(int *) = nullptr;
  CUresult (*getErrorName)(CUresult, const char **) = nullptr;
  CUresult (*getErrorString)(CUresult, const char **) = nullptr;
  CUresult (*deviceGetCount)(int *) = nullptr;
  CUresult (*deviceGet)(CUdevice *, int) = nullptr;
  CUresult (*deviceGetName)(char *, int, CUdevice) = nullptr;
  CUresult (*deviceGetAttribute)(int *, CUdevice_attribute, CUdevice) = nullptr;
  CUresult (*deviceTotalMem)(size_t *, CUdevice) = nullptr;
  CUresult (*primaryCtxRetain)(CUcontext *, CUdevice) = nullptr;
  CUresult (*primaryCtxRelease)(CUdevice) = nullptr;
  CUresult (*ctxPushCurrent)(CUcontext) = nullptr;
  CUresult (*ctxPopCurrent)(CUcontext *) = nullptr;
  CUresult (*moduleLoadData)(CUmodule *, const void *) = nullptr;
  CUresult (*moduleLoadDataEx)(CUmodule *, const void *, unsigned, CUjit_option *, void **) = nullptr;
  CUresult (*moduleUnload)(CUmodule) = nullptr;
  CUresult (*moduleGetFunction)(CUfunction *, CUmodule, const char *) = nullptr;
  CUresult (*funcSetAttribute)(CUfunction, CUfunction_attribute, int) = nullptr;
  CUresult (*launchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                           unsigned, CUstream, void **, void **) = nullptr;
  // Optional (CUDA 11.8+ drivers): null when the driver lacks it; launches then use
  // launchKernel without programmatic dependent launch.
  CUresult (*launchKernelEx)(const CUlaunchConfig *, CUfunction, void **, void **) = nullptr;
  // Optional: null when absent; launches then never use programmatic dependent launch.
  CUresult (*streamIsCapturing)(CUstream, CUstreamCaptureStatus *) = nullptr;
  // Optional: null when absent; a small-grid kernel then counts the device's resident threads
  // as its wave (launch_plan.h).
  CUresult (*occupancyMaxActiveBlocksPerMultiprocessor)(int *, CUfunction, int, size_t) = nullptr;
  CUresult (*memAlloc)(CUdeviceptr *, size_t) = nullptr;
  CUresult (*memFree)(CUdeviceptr) = nullptr;
  CUresult (*memcpyHtoDAsync)(CUdeviceptr, const void *, size_t, CUstream) = nullptr;
  CUresult (*memcpyDtoHAsync)(void *, CUdeviceptr, size_t, CUstream) = nullptr;
  CUresult (*memcpyDtoDAsync)(CUdeviceptr, CUdeviceptr, size_t, CUstream) = nullptr;
  CUresult (*memsetD8Async)(CUdeviceptr, unsigned char, size_t, CUstream) = nullptr;
  CUresult (*streamSynchronize)(CUstream) = nullptr;

  std::string libraryPath;  // the library that was opened
};

// The driver, opened and initialised (cuInit) once per process. NO_DRIVER when libcuda
// cannot be opened, lacks a function or fails cuInit for want of a driver; NO_DEVICE when
// cuInit reports that there is no device. $SSMRT_CUDA_LIBRARY overrides the library name
// (tests point it at a missing file to force the no-driver path on a GPU host).
Status cudaDriver(const CudaDriver **out_driver);

// The message of a failed driver call: "cuLaunchKernel failed: CUDA_ERROR_INVALID_VALUE
// (invalid argument)". OK when result is CUDA_SUCCESS. The code is `code` unless the
// result says memory ran out (OUT_OF_MEMORY).
Status cuCheck(CUresult result, const char *call, ssmrt_status code = SSMRT_LAUNCH_ERROR);

// Whether a context launches with programmatic dependent launch (PDL): the device is
// sm_90 or newer, the driver has cuLaunchKernelEx, and $SSMRT_NO_PDL (passed as no_pdl_env,
// null when unset) is unset, empty or "0".
bool wantProgrammaticLaunch(int sm_arch, bool has_launch_kernel_ex, const char *no_pdl_env);

// Whether an environment switch such as $SSMRT_NO_PDL is on: set, and neither empty nor "0"
// (`value` is getenv's result, null when unset).
bool envSwitchOn(const char *value);

// The cuLaunchKernelEx configuration of one launch with
// CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION = 1 in *attr (which *config points
// at): the kernel may start before the previous kernel on the stream has finished, and
// waits for it at its griddepcontrol.wait.
void programmaticLaunchConfig(const uint32_t grid[3], const uint32_t block[3], uint32_t smem, CUstream stream,
                              CUlaunchAttribute *attr, CUlaunchConfig *config);

// Makes a CUDA context current on this thread for a scope, restoring the previous one.
class ScopedContext {
 public:
  explicit ScopedContext(CUcontext ctx);
  ~ScopedContext();
  const Status &status() const { return status_; }
  ScopedContext(const ScopedContext &) = delete;
  ScopedContext &operator=(const ScopedContext &) = delete;

 private:
  Status status_;
  bool pushed_ = false;
};

}  // namespace ssmrt

#endif  // SSMRT_LIB_CUDA_DRIVER_H
