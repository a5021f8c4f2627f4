// How a C API call ends: the status is recorded as the thread's last error, and no C++
// exception ever crosses into the caller.
#ifndef SSMRT_LIB_C_BOUNDARY_H
#define SSMRT_LIB_C_BOUNDARY_H

#include <exception>
#include <new>
#include <string>

#include "ssmrt/status.h"

namespace ssmrt {

// Records status as the calling thread's last error ("" for OK) and returns its code.
ssmrt_status finish(const Status &status);

// Runs body (returning Status) and finishes with its result; an exception becomes
// OUT_OF_MEMORY or INTERNAL naming the function, instead of unwinding through C frames.
template <class Body>
ssmrt_status guarded(const char *function, Body &&body) noexcept {
  try {
    return finish(body());
  } catch (const std::bad_alloc &) {
    return finish(Status(SSMRT_OUT_OF_MEMORY, std::string(function) + ": out of host memory"));
  } catch (const std::exception &e) {
    return finish(internalError(std::string(function) + ": unexpected exception: " + e.what()));
  } catch (...) {
    return finish(internalError(std::string(function) + ": unexpected exception"));
  }
}

// The INVALID_ARGUMENT status for a null pointer argument of a C function.
inline Status nullArgument(const char *function, const char *argument) {
  return invalidArgument(std::string(function) + ": " + argument + " is NULL");
}

}  // namespace ssmrt

#endif  // SSMRT_LIB_C_BOUNDARY_H
