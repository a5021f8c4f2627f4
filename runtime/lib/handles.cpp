// The handle table (see handles.h).
#include "handles.h"

#include <mutex>
#include <shared_mutex>
#include <vector>

namespace ssmrt {
namespace {

constexpr uintptr_t kKindBits = 3;
constexpr uintptr_t kKindMask = (uintptr_t(1) << kKindBits) - 1;
constexpr uint64_t kMaxSlots = uint64_t(1) << (32 - kKindBits);

static_assert(sizeof(uintptr_t) == 8, "handles encode a 32-bit generation above a 29-bit slot");

struct Slot {
  uint32_t generation = 0;  // of the handle now in the slot, or of the last one released
  bool live = false;
  HandleKind kind = HandleKind::Context;
  std::shared_ptr<void> object;  // contexts, modules, states
  std::weak_ptr<void> owner;     // layers: their module
  void *raw = nullptr;           // layers: the layer
};

class Table {
 public:
  uintptr_t add(HandleKind kind, std::shared_ptr<void> object, std::weak_ptr<void> owner, void *raw) {
    std::unique_lock<std::shared_mutex> lock(mutex_);
    uint32_t index;
    if (!free_.empty()) {
      index = free_.back();
      free_.pop_back();
    } else {
      if (slots_.size() >= kMaxSlots) throw std::bad_alloc();
      slots_.emplace_back();
      index = uint32_t(slots_.size() - 1);
    }
    Slot &s = slots_[index];
    s.generation += 1;  // a fresh slot starts at generation 1: no handle is ever < 2^32
    s.live = true;
    s.kind = kind;
    s.raw = raw ? raw : object.get();
    s.object = std::move(object);
    s.owner = std::move(owner);
    return (uintptr_t(s.generation) << 32) | (uintptr_t(index) << kKindBits) | uintptr_t(kind);
  }

  Status lookup(uintptr_t handle, HandleKind kind, const char *function, const char *argument,
                std::shared_ptr<void> *out_owner, void **out_object) const {
    // The words of a failure, built only when there is one: lookup runs on every call.
    auto who = [&] { return std::string(function) + ": " + argument; };
    const char *want = handleKindName(kind);
    if (handle == 0) return invalidArgument(who() + " is NULL");
    const uint32_t generation = uint32_t(handle >> 32);
    const uint64_t index = (handle & 0xffffffffu) >> kKindBits;
    const uintptr_t kindBits = handle & kKindMask;
    std::shared_lock<std::shared_mutex> lock(mutex_);
    if (generation == 0 || index >= slots_.size() || kindBits < 1 || kindBits > 4 ||
        generation > slots_[index].generation)
      return invalidArgument(who() + " is not an " + want +
                             " handle (it was never returned by ssmrt, or the memory holding it was overwritten)");
    const Slot &s = slots_[index];
    // The slot must hold (or have held) a handle of the kind the value claims; a value
    // whose bits were altered can otherwise name another live object.
    if (s.kind != HandleKind(kindBits))
      return invalidArgument(who() + " is not an " + want +
                             " handle (it was never returned by ssmrt, or the memory holding it was overwritten)");
    if (HandleKind(kindBits) != kind)
      return invalidArgument(who() + " is an " + handleKindName(HandleKind(kindBits)) + " handle where an " + want +
                             " is expected");
    if (generation != s.generation || !s.live) {
      // Layer handles are only ever dropped by the end of their module.
      if (kind == HandleKind::Layer)
        return invalidArgument(who() + " is an " + want +
                               " handle whose module was released (layers live as long as their module or a "
                               "state of theirs)");
      return invalidArgument(who() + " is an " + want + " handle that was already released");
    }
    if (kind == HandleKind::Layer) {
      std::shared_ptr<void> module = s.owner.lock();
      if (!module)
        return invalidArgument(who() + " is an " + want +
                               " handle whose module was released (layers live as long as their module or a "
                               "state of theirs)");
      *out_owner = std::move(module);
    } else {
      *out_owner = s.object;
    }
    *out_object = s.raw;
    return Status::ok();
  }

  std::shared_ptr<void> remove(uintptr_t handle, HandleKind kind) {
    const uint32_t generation = uint32_t(handle >> 32);
    const uint64_t index = (handle & 0xffffffffu) >> kKindBits;
    std::unique_lock<std::shared_mutex> lock(mutex_);
    if (handle == 0 || (handle & kKindMask) != uintptr_t(kind) || index >= slots_.size()) return nullptr;
    Slot &s = slots_[index];
    if (!s.live || s.generation != generation || s.kind != kind) return nullptr;
    std::shared_ptr<void> object = std::move(s.object);
    s.object.reset();
    s.owner.reset();
    s.raw = nullptr;
    s.live = false;
    // Reuse the slot with the next generation, unless that would wrap to an old value.
    if (s.generation != UINT32_MAX) free_.push_back(uint32_t(index));
    return object;
  }

 private:
  mutable std::shared_mutex mutex_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;
};

Table &table() {
  // Never destroyed: handles may be released by static destructors of the host.
  static Table *t = new Table();
  return *t;
}

}  // namespace

const char *handleKindName(HandleKind kind) {
  switch (kind) {
    case HandleKind::Context: return "ssmrt_context";
    case HandleKind::Module: return "ssmrt_module";
    case HandleKind::Layer: return "ssmrt_layer";
    case HandleKind::State: return "ssmrt_state";
  }
  return "unknown";
}

uintptr_t registerHandle(HandleKind kind, std::shared_ptr<void> object) {
  return table().add(kind, std::move(object), {}, nullptr);
}

uintptr_t registerWeakHandle(HandleKind kind, std::weak_ptr<void> owner, void *object) {
  return table().add(kind, nullptr, std::move(owner), object);
}

Status lookupHandle(uintptr_t handle, HandleKind kind, const char *function, const char *argument,
                    std::shared_ptr<void> *out_owner, void **out_object) {
  return table().lookup(handle, kind, function, argument, out_owner, out_object);
}

std::shared_ptr<void> unregisterHandle(uintptr_t handle, HandleKind kind) {
  return table().remove(handle, kind);
}

}  // namespace ssmrt

// The typed lookups of objects.h.
#include "objects.h"

namespace ssmrt {
namespace {

template <class Impl, class Handle>
Status resolveOwned(const Handle *handle, HandleKind kind, const char *function, const char *argument,
                    std::shared_ptr<Impl> *out) {
  std::shared_ptr<void> owner;
  void *object = nullptr;
  Status s = lookupHandle(toHandleValue(handle), kind, function, argument, &owner, &object);
  if (!s) return s;
  *out = std::shared_ptr<Impl>(std::move(owner), static_cast<Impl *>(object));
  return Status::ok();
}

}  // namespace

Status resolve(const ssmrt_context *handle, const char *function, const char *argument,
               std::shared_ptr<ContextImpl> *out) {
  return resolveOwned(handle, HandleKind::Context, function, argument, out);
}

Status resolve(const ssmrt_module *handle, const char *function, const char *argument,
               std::shared_ptr<ModuleImpl> *out) {
  return resolveOwned(handle, HandleKind::Module, function, argument, out);
}

Status resolve(const ssmrt_state *handle, const char *function, const char *argument,
               std::shared_ptr<StateImpl> *out) {
  return resolveOwned(handle, HandleKind::State, function, argument, out);
}

Status resolve(const ssmrt_layer *handle, const char *function, const char *argument, LayerRef *out) {
  std::shared_ptr<void> owner;
  void *object = nullptr;
  Status s = lookupHandle(toHandleValue(handle), HandleKind::Layer, function, argument, &owner, &object);
  if (!s) return s;
  out->module = std::static_pointer_cast<ModuleImpl>(std::move(owner));
  out->layer = static_cast<const LayerImpl *>(object);
  return Status::ok();
}

}  // namespace ssmrt
