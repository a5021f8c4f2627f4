// Header-only C++ RAII wrapper over the ssmrt C API: owning handles that release
// themselves, and ssmrt::Error (status + message) thrown instead of returned statuses.
//
// Ownership and threading are exactly those of ssmrt.h: Context, Module and State own one
// reference each and are move-only; Layer is a borrowed view that is valid while its
// Module (or a State of it) is alive.
#ifndef SSMRT_SSMRT_HPP
#define SSMRT_SSMRT_HPP

#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "ssmrt/ssmrt.h"

namespace ssmrt {

class Error : public std::runtime_error {
 public:
  Error(ssmrt_status status, const std::string &message)
      : std::runtime_error(std::string(ssmrt_status_string(status)) + ": " + message), status_(status),
        message_(message) {}
  ssmrt_status status() const noexcept { return status_; }
  const std::string &message() const noexcept { return message_; }  // without the status name

 private:
  ssmrt_status status_;
  std::string message_;
};

// Throws Error for a failed status, with this thread's last error message.
inline void check(ssmrt_status status) {
  if (status != SSMRT_OK) throw Error(status, ssmrt_last_error());
}

namespace detail {
// A move-only owner of one C handle.
template <class T, void (*Release)(T *)>
class Handle {
 public:
  Handle() = default;
  explicit Handle(T *raw) : raw_(raw) {}
  ~Handle() { Release(raw_); }
  Handle(Handle &&o) noexcept : raw_(std::exchange(o.raw_, nullptr)) {}
  Handle &operator=(Handle &&o) noexcept {
    if (this != &o) {
      Release(raw_);
      raw_ = std::exchange(o.raw_, nullptr);
    }
    return *this;
  }
  Handle(const Handle &) = delete;
  Handle &operator=(const Handle &) = delete;
  T *get() const { return raw_; }
  explicit operator bool() const { return raw_ != nullptr; }

 private:
  T *raw_ = nullptr;
};
}  // namespace detail

// A contiguous (row-major) tensor view of device memory.
inline ssmrt_tensor contiguousTensor(void *data, ssmrt_dtype dtype, std::initializer_list<int64_t> sizes) {
  ssmrt_tensor t{};
  t.data = data;
  t.dtype = dtype;
  t.rank = int32_t(sizes.size());
  if (sizes.size() > SSMRT_MAX_RANK) throw Error(SSMRT_INVALID_ARGUMENT, "rank above SSMRT_MAX_RANK");
  int k = 0;
  for (int64_t s : sizes) t.sizes[k++] = s;
  int64_t stride = 1;
  for (int i = t.rank - 1; i >= 0; --i) {
    t.strides[i] = stride;
    stride *= t.sizes[i];
  }
  return t;
}

class State;

class Layer {
 public:
  Layer() = default;
  explicit Layer(ssmrt_layer *raw) : raw_(raw) {}
  ssmrt_layer *get() const { return raw_; }

  std::string name() const {
    const char *n = nullptr;
    check(ssmrt_layer_name(raw_, &n));
    return n;
  }
  std::vector<std::pair<std::string, int64_t>> dims() const {
    int32_t n = 0;
    check(ssmrt_layer_dim_count(raw_, &n));
    std::vector<std::pair<std::string, int64_t>> out;
    for (int32_t i = 0; i < n; ++i) {
      const char *name = nullptr;
      int64_t value = 0;
      check(ssmrt_layer_dim(raw_, i, &name, &value));
      out.emplace_back(name, value);
    }
    return out;
  }
  std::vector<ssmrt_tensor_info> tensors() const {
    int32_t n = 0;
    check(ssmrt_layer_tensor_count(raw_, &n));
    std::vector<ssmrt_tensor_info> out(static_cast<size_t>(n));
    for (int32_t i = 0; i < n; ++i) check(ssmrt_layer_tensor_info(raw_, i, &out[size_t(i)]));
    return out;
  }
  std::vector<ssmrt_tensor_info> states() const {
    int32_t n = 0;
    check(ssmrt_layer_state_count(raw_, &n));
    std::vector<ssmrt_tensor_info> out(static_cast<size_t>(n));
    for (int32_t i = 0; i < n; ++i) check(ssmrt_layer_state_info(raw_, i, &out[size_t(i)]));
    return out;
  }
  bool hasEntry(ssmrt_entry entry) const {
    int32_t has = 0;
    check(ssmrt_layer_has_entry(raw_, entry, &has));
    return has != 0;
  }

  inline State createState(int64_t batch) const;
  inline void forward(const std::vector<ssmrt_tensor> &tensors, const State *initial = nullptr,
                      State *final_state = nullptr) const;
  inline void step(const std::vector<ssmrt_tensor> &tensors, State &state) const;

 private:
  ssmrt_layer *raw_ = nullptr;
};

class State {
 public:
  State() = default;
  explicit State(ssmrt_state *raw) : h_(raw) {}
  ssmrt_state *get() const { return h_.get(); }

  int64_t batch() const {
    int64_t b = 0;
    check(ssmrt_state_batch(h_.get(), &b));
    return b;
  }
  size_t byteSize() const {
    size_t n = 0;
    check(ssmrt_state_byte_size(h_.get(), &n));
    return n;
  }
  std::vector<unsigned char> save() const {
    std::vector<unsigned char> image(byteSize());
    check(ssmrt_state_save(h_.get(), image.data(), image.size()));
    return image;
  }
  void restore(const std::vector<unsigned char> &image) {
    check(ssmrt_state_restore(h_.get(), image.data(), image.size()));
  }
  void reset() { check(ssmrt_state_reset(h_.get())); }
  void swap(State &other) { check(ssmrt_state_swap(h_.get(), other.h_.get())); }

 private:
  detail::Handle<ssmrt_state, ssmrt_state_release> h_;
};

inline State Layer::createState(int64_t batch) const {
  ssmrt_state *s = nullptr;
  check(ssmrt_state_create(raw_, batch, &s));
  return State(s);
}

inline void Layer::forward(const std::vector<ssmrt_tensor> &tensors, const State *initial, State *final_state) const {
  check(ssmrt_layer_forward(raw_, tensors.data(), int32_t(tensors.size()), initial ? initial->get() : nullptr,
                            final_state ? final_state->get() : nullptr));
}

inline void Layer::step(const std::vector<ssmrt_tensor> &tensors, State &state) const {
  check(ssmrt_layer_step(raw_, tensors.data(), int32_t(tensors.size()), state.get()));
}

class Context;

class Module {
 public:
  Module() = default;
  explicit Module(ssmrt_module *raw) : h_(raw) {}
  ssmrt_module *get() const { return h_.get(); }

  void prepare() { check(ssmrt_module_prepare(h_.get())); }
  int32_t layerCount() const {
    int32_t n = 0;
    check(ssmrt_module_layer_count(h_.get(), &n));
    return n;
  }
  Layer layer(int32_t index) const {
    ssmrt_layer *l = nullptr;
    check(ssmrt_module_layer(h_.get(), index, &l));
    return Layer(l);
  }
  Layer layer(const std::string &name) const {
    ssmrt_layer *l = nullptr;
    check(ssmrt_module_layer_by_name(h_.get(), name.c_str(), &l));
    return Layer(l);
  }

 private:
  detail::Handle<ssmrt_module, ssmrt_module_release> h_;
};

class Context {
 public:
  // Device 0, the default stream, the default cache directory.
  Context() : Context(defaultOptions()) {}
  explicit Context(const ssmrt_context_options &options) {
    ssmrt_context *c = nullptr;
    check(ssmrt_context_create(&options, &c));
    h_ = detail::Handle<ssmrt_context, ssmrt_context_release>(c);
  }
  static ssmrt_context_options defaultOptions() {
    ssmrt_context_options o;
    ssmrt_context_options_init(&o);
    return o;
  }
  ssmrt_context *get() const { return h_.get(); }

  ssmrt_device_info deviceInfo() const {
    ssmrt_device_info info;
    check(ssmrt_context_device_info(h_.get(), &info));
    return info;
  }
  void synchronize() const { check(ssmrt_context_synchronize(h_.get())); }

  Module loadFile(const std::string &path) {
    ssmrt_module *m = nullptr;
    check(ssmrt_module_load_file(h_.get(), path.c_str(), &m));
    return Module(m);
  }
  Module loadMemory(const void *data, size_t size) {
    ssmrt_module *m = nullptr;
    check(ssmrt_module_load_memory(h_.get(), data, size, &m));
    return Module(m);
  }

 private:
  detail::Handle<ssmrt_context, ssmrt_context_release> h_;
};

}  // namespace ssmrt

#endif  // SSMRT_SSMRT_HPP
