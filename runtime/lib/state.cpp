// State buffers: device memory holding a layer's recurrent states for one batch size, and
// the ssmrt_state_* C entry points (create, save, restore, reset, swap).
#include <algorithm>
#include <cstring>
#include <utility>

#include "c_boundary.h"
#include "objects.h"

namespace ssmrt {
namespace {

// Vector loads in the kernels want aligned state rows; 256 is what cuMemAlloc gives a
// whole allocation, so every state starts as if it had its own.
constexpr uint64_t kStateAlignment = 256;

std::string layerDescription(const LayerImpl &layer) { return "layer '" + layer.manifest->name + "'"; }

}  // namespace

Status stateLayout(const LayerImpl &layer, int64_t batch, StateLayout *out) {
  const ManifestLayer &ml = *layer.manifest;
  if (batch < 1) return invalidArgument("state batch size is " + std::to_string(batch) + "; it must be >= 1");
  StateLayout l;
  for (const ManifestState &st : ml.states) {
    uint64_t bytes = st.dtype == SSMRT_DTYPE_C64 ? 8 : 4;
    bool overflow = __builtin_mul_overflow(bytes, uint64_t(batch), &bytes);
    for (const std::string &d : st.dims) overflow |= __builtin_mul_overflow(bytes, uint64_t(ml.dimValue(d)), &bytes);
    uint64_t aligned = (l.deviceBytes + kStateAlignment - 1) / kStateAlignment * kStateAlignment;
    overflow |= aligned < l.deviceBytes;
    if (overflow || bytes > (uint64_t(1) << 62))
      return invalidArgument("state '" + st.name + "' of layer '" + ml.name + "' at batch " + std::to_string(batch) +
                             " is too large to address");
    l.deviceOffset.push_back(aligned);
    l.hostOffset.push_back(l.hostBytes);
    l.bytes.push_back(bytes);
    l.deviceBytes = aligned + bytes;
    l.hostBytes += bytes;
  }
  *out = std::move(l);
  return Status::ok();
}

Status checkStateFor(const StateImpl &state, const LayerImpl &layer, int64_t batch, const char *which) {
  if (state.layer != &layer) {
    std::string mine = layerDescription(*state.layer), theirs = layerDescription(layer);
    if (mine == theirs) {  // same name, different module: say which modules
      mine += " of module '" + state.layer->module->origin() + "'";
      theirs += " of module '" + layer.module->origin() + "'";
    }
    return invalidArgument(std::string(which) + " state was created for " + mine + " but is used with " + theirs);
  }
  if (state.batch != batch)
    return invalidArgument(std::string(which) + " state has batch " + std::to_string(state.batch) +
                           " but the tensors have batch " + std::to_string(batch));
  return Status::ok();
}

StateImpl::~StateImpl() {
  if (!device) return;
  ContextImpl &c = module->context();
  ScopedContext scope(c.cuContext());
  if (!scope.status()) return;
  // Kernels queued earlier may still read or write it.
  c.driver().streamSynchronize(c.stream());
  c.driver().memFree(device);
}

}  // namespace ssmrt

using namespace ssmrt;

namespace {

// Runs f with the state's CUDA context current; NO_DEVICE states never get here.
template <class F>
Status withContext(const StateImpl &state, F &&f) {
  ContextImpl &c = state.module->context();
  ScopedContext scope(c.cuContext());
  if (!scope.status()) return scope.status();
  return f(c, c.driver());
}

Status checkImageSize(const char *fn, const StateImpl &state, size_t bytes) {
  if (bytes == state.layout.hostBytes) return Status::ok();
  return invalidArgument(std::string(fn) + ": the host buffer is " + std::to_string(bytes) + " bytes but the state of " +
                         "layer '" + state.layer->manifest->name + "' at batch " + std::to_string(state.batch) + " is " +
                         std::to_string(state.layout.hostBytes) + " bytes");
}

}  // namespace

extern "C" {

ssmrt_status ssmrt_state_create(const ssmrt_layer *layer, int64_t batch, ssmrt_state **out_state) {
  const char *fn = __func__;
  return guarded(fn, [&]() -> Status {
    if (!out_state) return nullArgument(fn, "out_state");
    *out_state = nullptr;
    LayerRef ref;
    Status s = resolve(layer, fn, "layer", &ref);
    if (!s) return s;
    auto state = std::make_shared<StateImpl>();
    // The state shares ownership of the module, so the layer outlives it.
    state->module = ref.module;
    state->layer = ref.layer;
    state->batch = batch;
    s = stateLayout(*ref.layer, batch, &state->layout);
    if (!s) return s.prefixed(std::string(fn) + ": ");
    ContextImpl &c = ref.module->context();
    // No device: the state lives in host memory, allocated on the first restore (an empty
    // image reads as zeros), so save/restore/swap still work and a state too large for
    // this host can still be created to validate calls with.
    if (c.hasDevice() && state->layout.deviceBytes > 0) {
      s = withContext(*state, [&](ContextImpl &ctx, const CudaDriver &d) -> Status {
        CUdeviceptr p = 0;
        Status r = cuCheck(d.memAlloc(&p, size_t(state->layout.deviceBytes)),
                           ("cuMemAlloc of a " + std::to_string(state->layout.deviceBytes) + "-byte state").c_str(),
                           SSMRT_OUT_OF_MEMORY);
        if (!r) return r;
        r = cuCheck(d.memsetD8Async(p, 0, size_t(state->layout.deviceBytes), ctx.stream()), "cuMemsetD8Async");
        if (!r) {
          d.memFree(p);
          return r;
        }
        state->device = p;
        return Status::ok();
      });
      if (!s) return s.prefixed(std::string(fn) + ": ");
    }
    *out_state = handleOf<ssmrt_state>(registerHandle(HandleKind::State, std::move(state)));
    return Status::ok();
  });
}

void ssmrt_state_release(ssmrt_state *state) {
  try {
    // The buffer is freed once no call that resolved the handle still uses it.
    unregisterHandle(toHandleValue(state), HandleKind::State);
  } catch (...) {
  }
}

ssmrt_status ssmrt_state_batch(const ssmrt_state *state, int64_t *out_batch) {
  const char *fn = __func__;
  return guarded(fn, [&]() -> Status {
    std::shared_ptr<StateImpl> st;
    Status s = resolve(state, fn, "state", &st);
    if (!s) return s;
    if (!out_batch) return nullArgument(fn, "out_batch");
    *out_batch = st->batch;
    return Status::ok();
  });
}

ssmrt_status ssmrt_state_byte_size(const ssmrt_state *state, size_t *out_bytes) {
  const char *fn = __func__;
  return guarded(fn, [&]() -> Status {
    std::shared_ptr<StateImpl> st;
    Status s = resolve(state, fn, "state", &st);
    if (!s) return s;
    if (!out_bytes) return nullArgument(fn, "out_bytes");
    *out_bytes = size_t(st->layout.hostBytes);
    return Status::ok();
  });
}

ssmrt_status ssmrt_state_save(const ssmrt_state *state, void *host, size_t bytes) {
  const char *fn = __func__;
  return guarded(fn, [&]() -> Status {
    std::shared_ptr<StateImpl> st;
    Status s = resolve(state, fn, "state", &st);
    if (!s) return s;
    if (!host && bytes > 0) return nullArgument(fn, "host");
    s = checkImageSize(fn, *st, bytes);
    if (!s) return s;
    const StateLayout &l = st->layout;
    auto *out = static_cast<unsigned char *>(host);
    if (!st->module->context().hasDevice()) {
      for (size_t i = 0; i < l.bytes.size(); ++i) {
        if (!l.bytes[i]) continue;
        if (st->host.empty()) std::memset(out + l.hostOffset[i], 0, size_t(l.bytes[i]));
        else std::memcpy(out + l.hostOffset[i], st->host.data() + l.deviceOffset[i], size_t(l.bytes[i]));
      }
      return Status::ok();
    }
    return withContext(*st, [&](ContextImpl &ctx, const CudaDriver &d) -> Status {
      for (size_t i = 0; i < l.bytes.size(); ++i) {
        Status r = cuCheck(d.memcpyDtoHAsync(out + l.hostOffset[i], st->device + l.deviceOffset[i],
                                             size_t(l.bytes[i]), ctx.stream()),
                           "cuMemcpyDtoHAsync");
        if (!r) return r;
      }
      return cuCheck(d.streamSynchronize(ctx.stream()), "cuStreamSynchronize (state save)");
    });
  });
}

ssmrt_status ssmrt_state_restore(ssmrt_state *state, const void *host, size_t bytes) {
  const char *fn = __func__;
  return guarded(fn, [&]() -> Status {
    std::shared_ptr<StateImpl> st;
    Status s = resolve(state, fn, "state", &st);
    if (!s) return s;
    if (!host && bytes > 0) return nullArgument(fn, "host");
    s = checkImageSize(fn, *st, bytes);
    if (!s) return s;
    const StateLayout &l = st->layout;
    const auto *in = static_cast<const unsigned char *>(host);
    if (!st->module->context().hasDevice()) {
      if (st->host.empty()) st->host.assign(size_t(l.deviceBytes), 0);  // bad_alloc: OUT_OF_MEMORY
      for (size_t i = 0; i < l.bytes.size(); ++i)
        if (l.bytes[i]) std::memcpy(st->host.data() + l.deviceOffset[i], in + l.hostOffset[i], size_t(l.bytes[i]));
      return Status::ok();
    }
    return withContext(*st, [&](ContextImpl &ctx, const CudaDriver &d) -> Status {
      for (size_t i = 0; i < l.bytes.size(); ++i) {
        Status r = cuCheck(d.memcpyHtoDAsync(st->device + l.deviceOffset[i], in + l.hostOffset[i],
                                             size_t(l.bytes[i]), ctx.stream()),
                           "cuMemcpyHtoDAsync");
        if (!r) return r;
      }
      // The caller may reuse host as soon as we return.
      return cuCheck(d.streamSynchronize(ctx.stream()), "cuStreamSynchronize (state restore)");
    });
  });
}

ssmrt_status ssmrt_state_reset(ssmrt_state *state) {
  const char *fn = __func__;
  return guarded(fn, [&]() -> Status {
    std::shared_ptr<StateImpl> st;
    Status s = resolve(state, fn, "state", &st);
    if (!s) return s;
    if (!st->module->context().hasDevice()) {
      std::vector<unsigned char>().swap(st->host);  // empty reads as zeros
      return Status::ok();
    }
    return withContext(*st, [&](ContextImpl &ctx, const CudaDriver &d) -> Status {
      return cuCheck(d.memsetD8Async(st->device, 0, size_t(st->layout.deviceBytes), ctx.stream()),
                     "cuMemsetD8Async");
    });
  });
}

ssmrt_status ssmrt_state_swap(ssmrt_state *a, ssmrt_state *b) {
  const char *fn = __func__;
  return guarded(fn, [&]() -> Status {
    std::shared_ptr<StateImpl> sa, sb;
    Status s = resolve(a, fn, "a", &sa);
    if (!s) return s;
    if (!(s = resolve(b, fn, "b", &sb))) return s;
    if (sa->layer != sb->layer || sa->batch != sb->batch) {
      s = checkStateFor(*sb, *sa->layer, sa->batch, "the second");
      return s.prefixed(std::string(fn) + ": the first state is of layer '" + sa->layer->manifest->name +
                        "' at batch " + std::to_string(sa->batch) + "; ");
    }
    std::swap(sa->device, sb->device);
    std::swap(sa->host, sb->host);
    return Status::ok();
  });
}

}  // extern "C"
