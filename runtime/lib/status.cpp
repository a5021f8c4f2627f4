// The per-thread last error of the C API, status and dtype names.
#include <string>

#include "c_boundary.h"
#include "enums.h"

namespace ssmrt {
namespace {
// One message per thread: a failed call on one thread never clobbers another's message.
thread_local std::string tLastError;
}  // namespace

ssmrt_status finish(const Status &status) {
  try {
    tLastError = status.message();
  } catch (...) {
    // Out of memory while copying the message: an empty message beats a crash.
    tLastError.clear();
  }
  if (!status.isOk() && tLastError.empty()) tLastError = ssmrt_status_string(status.code());
  return status.code();
}

}  // namespace ssmrt

extern "C" {

const char *ssmrt_last_error(void) { return ssmrt::tLastError.c_str(); }

const char *ssmrt_status_string(ssmrt_status status) {
  switch (ssmrt::rawEnum(status)) {
    case SSMRT_OK: return "SSMRT_OK";
    case SSMRT_INVALID_ARGUMENT: return "SSMRT_INVALID_ARGUMENT";
    case SSMRT_NO_DRIVER: return "SSMRT_NO_DRIVER";
    case SSMRT_NO_DEVICE: return "SSMRT_NO_DEVICE";
    case SSMRT_NOT_FOUND: return "SSMRT_NOT_FOUND";
    case SSMRT_FORMAT_ERROR: return "SSMRT_FORMAT_ERROR";
    case SSMRT_COMPILE_ERROR: return "SSMRT_COMPILE_ERROR";
    case SSMRT_LAUNCH_ERROR: return "SSMRT_LAUNCH_ERROR";
    case SSMRT_OUT_OF_MEMORY: return "SSMRT_OUT_OF_MEMORY";
    case SSMRT_UNSUPPORTED: return "SSMRT_UNSUPPORTED";
    case SSMRT_INTERNAL: return "SSMRT_INTERNAL";
  }
  return "SSMRT_UNKNOWN_STATUS";
}

size_t ssmrt_dtype_size(ssmrt_dtype dtype) {
  switch (ssmrt::rawEnum(dtype)) {
    case SSMRT_DTYPE_F32: return 4;
    case SSMRT_DTYPE_F16: return 2;
    case SSMRT_DTYPE_BF16: return 2;
    case SSMRT_DTYPE_C64: return 8;
  }
  return 0;
}

const char *ssmrt_dtype_name(ssmrt_dtype dtype) {
  switch (ssmrt::rawEnum(dtype)) {
    case SSMRT_DTYPE_F32: return "f32";
    case SSMRT_DTYPE_F16: return "f16";
    case SSMRT_DTYPE_BF16: return "bf16";
    case SSMRT_DTYPE_C64: return "c64";
  }
  return "invalid";
}

}  // extern "C"
