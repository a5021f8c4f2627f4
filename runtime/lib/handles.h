// The C API's handles: opaque values looked up in a process-wide table, so a released,
// foreign or corrupted handle is an error status instead of a use of freed memory.
//
// A handle is not an address. Its value is (generation << 32) | (slot << 3) | kind: the
// slot of the table that holds the object, a generation that the slot bumps whenever the
// handle in it is released, and the kind (context, module, layer, state) in the low bits.
// Lookup checks all three, so
//   - a released handle (its slot's generation has moved on) is "was released",
//   - a handle of another kind (a state passed as a module) is named as such,
//   - any other value (a stale pointer from elsewhere, garbage) is "not a handle",
// and never touches memory the value points at. A slot is reused only with a new
// generation, and is retired when its 32-bit generation would wrap, so a released handle
// never becomes valid again by accident.
//
// Lookup hands out a shared_ptr to the object: a call that resolved a handle keeps its
// object alive to its end even if another thread releases the handle meanwhile.
#ifndef SSMRT_LIB_HANDLES_H
#define SSMRT_LIB_HANDLES_H

#include <cstdint>
#include <memory>
#include <string>

#include "ssmrt/status.h"

namespace ssmrt {

enum class HandleKind : uint32_t { Context = 1, Module = 2, Layer = 3, State = 4 };

// "ssmrt_context", "ssmrt_module", ...
const char *handleKindName(HandleKind kind);

// Registers an object and returns its new handle (never 0). For a layer, `owner` is the
// module (held weakly: a layer lives as long as its module) and `object` the layer.
// Throws std::bad_alloc when the table cannot grow (the C boundary turns it into a status).
uintptr_t registerHandle(HandleKind kind, std::shared_ptr<void> object);
uintptr_t registerWeakHandle(HandleKind kind, std::weak_ptr<void> owner, void *object);

// Resolves a handle. On success *out_owner keeps the object alive (for a layer: its
// module) and *out_object is the object. On failure INVALID_ARGUMENT that says
// "<function>: <argument> <what is wrong>".
Status lookupHandle(uintptr_t handle, HandleKind kind, const char *function, const char *argument,
                    std::shared_ptr<void> *out_owner, void **out_object);

// Invalidates a handle and returns the table's reference to the object, for the caller to
// drop after the table's lock is released (the object's destructor may unregister other
// handles). Returns null for a handle that is not live or not of this kind.
std::shared_ptr<void> unregisterHandle(uintptr_t handle, HandleKind kind);

template <class T>
uintptr_t toHandleValue(const T *handle) {
  return reinterpret_cast<uintptr_t>(handle);
}

}  // namespace ssmrt

#endif  // SSMRT_LIB_HANDLES_H
