// The layer introspection C entry points: names, dims, tensors and states of a layer.
#include "c_boundary.h"
#include "enums.h"
#include "objects.h"

using namespace ssmrt;

namespace {

Status indexCheck(const char *fn, const char *what, int32_t index, size_t count) {
  if (index >= 0 && size_t(index) < count) return Status::ok();
  return invalidArgument(std::string(fn) + ": " + what + " index " + std::to_string(index) +
                         " is out of range (the layer has " + std::to_string(count) + ")");
}

}  // namespace

extern "C" {

ssmrt_status ssmrt_layer_name(const ssmrt_layer *layer, const char **out_name) {
  const char *fn = __func__;
  return guarded(fn, [&]() -> Status {
    LayerRef ref;
    Status rs = resolve(layer, fn, "layer", &ref);
    if (!rs) return rs;
    const LayerImpl *l = ref.layer;
    if (!out_name) return nullArgument(fn, "out_name");
    *out_name = l->manifest->name.c_str();
    return Status::ok();
  });
}

ssmrt_status ssmrt_layer_source_location(const ssmrt_layer *layer, const char **out_file, int32_t *out_line,
                                         int32_t *out_col) {
  const char *fn = __func__;
  return guarded(fn, [&]() -> Status {
    LayerRef ref;
    Status rs = resolve(layer, fn, "layer", &ref);
    if (!rs) return rs;
    const LayerImpl *l = ref.layer;
    if (!out_file) return nullArgument(fn, "out_file");
    if (!out_line) return nullArgument(fn, "out_line");
    if (!out_col) return nullArgument(fn, "out_col");
    *out_file = l->manifest->source.file.c_str();
    *out_line = l->manifest->source.line;
    *out_col = l->manifest->source.col;
    return Status::ok();
  });
}

ssmrt_status ssmrt_layer_dim_count(const ssmrt_layer *layer, int32_t *out_count) {
  const char *fn = __func__;
  return guarded(fn, [&]() -> Status {
    LayerRef ref;
    Status rs = resolve(layer, fn, "layer", &ref);
    if (!rs) return rs;
    const LayerImpl *l = ref.layer;
    if (!out_count) return nullArgument(fn, "out_count");
    *out_count = int32_t(l->manifest->dims.size());
    return Status::ok();
  });
}

ssmrt_status ssmrt_layer_dim(const ssmrt_layer *layer, int32_t index, const char **out_name, int64_t *out_value) {
  const char *fn = __func__;
  return guarded(fn, [&]() -> Status {
    LayerRef ref;
    Status rs = resolve(layer, fn, "layer", &ref);
    if (!rs) return rs;
    const LayerImpl *l = ref.layer;
    if (!out_name) return nullArgument(fn, "out_name");
    if (!out_value) return nullArgument(fn, "out_value");
    Status s = indexCheck(fn, "dim", index, l->manifest->dims.size());
    if (!s) return s;
    const auto &dim = l->manifest->dims[size_t(index)];
    *out_name = dim.first.c_str();
    *out_value = dim.second;
    return Status::ok();
  });
}

ssmrt_status ssmrt_layer_tensor_count(const ssmrt_layer *layer, int32_t *out_count) {
  const char *fn = __func__;
  return guarded(fn, [&]() -> Status {
    LayerRef ref;
    Status rs = resolve(layer, fn, "layer", &ref);
    if (!rs) return rs;
    const LayerImpl *l = ref.layer;
    if (!out_count) return nullArgument(fn, "out_count");
    *out_count = int32_t(l->manifest->tensors.size());
    return Status::ok();
  });
}

ssmrt_status ssmrt_layer_tensor_info(const ssmrt_layer *layer, int32_t index, ssmrt_tensor_info *out_info) {
  const char *fn = __func__;
  return guarded(fn, [&]() -> Status {
    LayerRef ref;
    Status rs = resolve(layer, fn, "layer", &ref);
    if (!rs) return rs;
    const LayerImpl *l = ref.layer;
    if (!out_info) return nullArgument(fn, "out_info");
    Status s = indexCheck(fn, "tensor", index, l->manifest->tensors.size());
    if (!s) return s;
    const ManifestTensor &t = l->manifest->tensors[size_t(index)];
    const LayerImpl::DimList &dims = l->tensorDims[size_t(index)];
    *out_info = ssmrt_tensor_info{t.name.c_str(), t.role, t.dtype, int32_t(dims.names.size()), dims.names.data(),
                                  dims.values.data()};
    return Status::ok();
  });
}

ssmrt_status ssmrt_layer_state_count(const ssmrt_layer *layer, int32_t *out_count) {
  const char *fn = __func__;
  return guarded(fn, [&]() -> Status {
    LayerRef ref;
    Status rs = resolve(layer, fn, "layer", &ref);
    if (!rs) return rs;
    const LayerImpl *l = ref.layer;
    if (!out_count) return nullArgument(fn, "out_count");
    *out_count = int32_t(l->manifest->states.size());
    return Status::ok();
  });
}

ssmrt_status ssmrt_layer_state_info(const ssmrt_layer *layer, int32_t index, ssmrt_tensor_info *out_info) {
  const char *fn = __func__;
  return guarded(fn, [&]() -> Status {
    LayerRef ref;
    Status rs = resolve(layer, fn, "layer", &ref);
    if (!rs) return rs;
    const LayerImpl *l = ref.layer;
    if (!out_info) return nullArgument(fn, "out_info");
    Status s = indexCheck(fn, "state", index, l->manifest->states.size());
    if (!s) return s;
    const ManifestState &st = l->manifest->states[size_t(index)];
    const LayerImpl::DimList &dims = l->stateDims[size_t(index)];
    *out_info = ssmrt_tensor_info{st.name.c_str(), SSMRT_ROLE_IN, st.dtype, int32_t(dims.names.size()),
                                  dims.names.data(), dims.values.data()};
    return Status::ok();
  });
}

ssmrt_status ssmrt_layer_has_entry(const ssmrt_layer *layer, ssmrt_entry entry, int32_t *out_has) {
  const char *fn = __func__;
  return guarded(fn, [&]() -> Status {
    LayerRef ref;
    Status rs = resolve(layer, fn, "layer", &ref);
    if (!rs) return rs;
    const LayerImpl *l = ref.layer;
    if (!out_has) return nullArgument(fn, "out_has");
    const int32_t raw = rawEnum(entry);
    if (raw != SSMRT_ENTRY_FORWARD && raw != SSMRT_ENTRY_STEP)
      return invalidArgument(std::string(fn) + ": entry " + std::to_string(raw) + " is not an ssmrt_entry");
    *out_has = !(entry == SSMRT_ENTRY_STEP ? l->manifest->step : l->manifest->forward).empty();
    return Status::ok();
  });
}

}  // extern "C"
