// A test hook that stands in for the driver's launch, so that the host work of
// ssmrt_layer_forward / ssmrt_layer_step (handles, validation, launch plan, arguments) can
// be driven and timed on a machine without a GPU. Internal: not part of the C API, and not
// exported from libssmrt.so; the tests link the static library.
#ifndef SSMRT_LIB_LAUNCH_HOOK_H
#define SSMRT_LIB_LAUNCH_HOOK_H

#include <cstdint>

#include "ssmrt/abi.h"

namespace ssmrt {

// One launch as the runtime would hand it to the driver.
struct HookedLaunch {
  const char *kernel = nullptr;
  uint32_t grid[3] = {1, 1, 1};
  uint32_t block[3] = {1, 1, 1};
  uint32_t smem = 0;
  bool index32 = false;                   // from the entry's index32 list
  const ssm_launch_args *args = nullptr;  // valid during the call only
};

using LaunchHook = void (*)(void *user, const HookedLaunch &launch);

// While a hook is set, a call on a context created with SSMRT_DEVICE_NONE does every host
// step of a real call and passes each launch to the hook instead of returning NO_DEVICE
// (device pointers of states and workspace are offsets from 0). Null removes the hook.
// Not thread-safe against calls in flight: set it before, remove it after.
void setLaunchHookForTesting(LaunchHook hook, void *user);

}  // namespace ssmrt

#endif  // SSMRT_LIB_LAUNCH_HOOK_H
