/* The ssmrt C API: load ssmc-compiled SSM layers and run them on a CUDA device.
 *
 * Conventions (the same for every function below):
 *  - Every function that can fail returns an ssmrt_status; SSMRT_OK is 0. When a call fails,
 *    ssmrt_last_error() on the same thread returns a message that says what was wrong and
 *    with which values. Outputs are the last parameters and are named out_*; on failure they
 *    are left untouched (or set to NULL for out handles) and nothing else was written.
 *  - Handles are opaque. A handle returned through out_* is owned by the caller and is given
 *    back with the matching *_release function (which accepts NULL and never fails).
 *    Objects keep what they depend on alive: a module keeps its context alive, a state keeps
 *    its module alive, so handles may be released in any order.
 *  - Handles are checked on every call. A handle is a value the library looks up in a table,
 *    not an address: a NULL, released, foreign or corrupted handle, or a handle of another
 *    type (a state passed as a module), gives SSMRT_INVALID_ARGUMENT naming the argument
 *    ("ssmrt_state_save: state is an ssmrt_state handle that was already released"), never
 *    a use of freed memory. Releasing a handle twice, or releasing a value that is not a
 *    live handle, does nothing. A released handle's value is not handed out again (each
 *    table slot counts 2^32 generations and is then retired). If one thread releases a
 *    handle while another is inside a call with it, that call finishes normally and the
 *    object ends after it.
 *  - Borrowed pointers (layer handles, names, dim lists) stay valid while the module they
 *    came from is alive.
 *  - Threads: contexts, modules and layers may be used from any number of threads at once;
 *    a state may be used by one call at a time (it is the data the call reads and writes).
 *  - The library opens libcuda.so.1 and NVRTC with dlopen on first use: a host without a GPU
 *    links and starts, and calls that need the driver return SSMRT_NO_DRIVER.
 */
#ifndef SSMRT_SSMRT_H
#define SSMRT_SSMRT_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define SSMRT_API
#else
#define SSMRT_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------
 * Status and errors
 * ------------------------------------------------------------------------------------- */

typedef enum ssmrt_status {
  SSMRT_OK = 0,
  SSMRT_INVALID_ARGUMENT = 1, /* a caller's value is wrong: null, shape, dtype, state, ... */
  SSMRT_NO_DRIVER = 2,        /* libcuda.so.1 could not be opened or initialised */
  SSMRT_NO_DEVICE = 3,        /* no such CUDA device, or the context has none */
  SSMRT_NOT_FOUND = 4,        /* a file, layer or kernel that was named does not exist */
  SSMRT_FORMAT_ERROR = 5,     /* an .ssmpack or its manifest is damaged or malformed */
  SSMRT_COMPILE_ERROR = 6,    /* NVRTC or the PTX JIT rejected the kernel source */
  SSMRT_LAUNCH_ERROR = 7,     /* the driver refused or failed a launch or a copy */
  SSMRT_OUT_OF_MEMORY = 8,    /* host or device allocation failed */
  SSMRT_UNSUPPORTED = 9,      /* the request is valid but this build/host/layer cannot do it */
  SSMRT_INTERNAL = 10,        /* a bug in ssmrt; the message says where */
} ssmrt_status;

/* The message of the most recent failed ssmrt call on the calling thread, or "" when the
 * most recent call succeeded. The string is owned by the library and stays valid until the
 * next ssmrt call on the same thread. Thread-safe (each thread has its own). Never NULL. */
SSMRT_API const char *ssmrt_last_error(void);

/* A static name for a status ("SSMRT_NO_DRIVER"), or "SSMRT_UNKNOWN_STATUS". Thread-safe. */
SSMRT_API const char *ssmrt_status_string(ssmrt_status status);

/* ---------------------------------------------------------------------------------------
 * Values
 * ------------------------------------------------------------------------------------- */

typedef enum ssmrt_dtype {
  SSMRT_DTYPE_F32 = 0,
  SSMRT_DTYPE_F16 = 1,
  SSMRT_DTYPE_BF16 = 2,
  SSMRT_DTYPE_C64 = 3, /* complex64: interleaved re/im f32 */
} ssmrt_dtype;

typedef enum ssmrt_role {
  SSMRT_ROLE_IN = 0,    /* varies per step: [batch, seqlen, dims...] (step: [batch, dims...]) */
  SSMRT_ROLE_PARAM = 1, /* fixed across steps and batch: [dims...] */
  SSMRT_ROLE_OUT = 2,   /* written per step, same axes as an input */
} ssmrt_role;

typedef enum ssmrt_entry {
  SSMRT_ENTRY_FORWARD = 0, /* the whole sequence (prefill) */
  SSMRT_ENTRY_STEP = 1,    /* one time step (decode) */
} ssmrt_entry;

#define SSMRT_MAX_RANK 8

/* A strided view of device memory (any pointer the device can address: cuMemAlloc,
 * cudaMalloc, managed memory). Sizes and strides are in elements; strides must be >= 0 and
 * data aligned to the element size (c64: 8 bytes). An output's elements must not alias one
 * another (no zero stride on an axis of size > 1, and, ordered by stride, each axis must
 * stride past everything the axes with smaller strides reach), and its bytes must not meet
 * any other tensor's. Inputs and params may alias each other freely. The byte extent
 * (elem * (1 + sum (size - 1) * stride)) must fit in 64 bits. Each violation is
 * SSMRT_INVALID_ARGUMENT naming the tensor and axis, and nothing is queued.
 * The library reads the struct during the call only and never keeps the pointer. */
typedef struct ssmrt_tensor {
  void *data;
  ssmrt_dtype dtype;
  int32_t rank;
  int64_t sizes[SSMRT_MAX_RANK];
  int64_t strides[SSMRT_MAX_RANK];
} ssmrt_tensor;

/* Bytes of one element of a dtype (f32 4, f16 2, bf16 2, c64 8), or 0 for an invalid value. */
SSMRT_API size_t ssmrt_dtype_size(ssmrt_dtype dtype);

/* The manifest's spelling of a dtype ("f32", "f16", "bf16", "c64") or "invalid". */
SSMRT_API const char *ssmrt_dtype_name(ssmrt_dtype dtype);

/* ---------------------------------------------------------------------------------------
 * Context: one CUDA device, one stream, one kernel cache directory
 * ------------------------------------------------------------------------------------- */

typedef struct ssmrt_context ssmrt_context;

/* A device ordinal that opens no device and never touches the driver: modules load and
 * layers can be inspected and calls validated, but nothing runs (such calls return
 * SSMRT_NO_DEVICE after validation). Meant for tools and for tests on hosts with no GPU. */
#define SSMRT_DEVICE_NONE (-1)

typedef struct ssmrt_context_options {
  /* sizeof(ssmrt_context_options), so later versions can add fields. */
  uint32_t struct_size;
  /* CUDA device ordinal, or SSMRT_DEVICE_NONE. */
  int32_t device_ordinal;
  /* The CUstream every launch and copy of this context goes to. NULL means the device's
   * default (legacy NULL) stream. The stream must belong to the device's primary context
   * (what the CUDA runtime API and most frameworks use) and outlive the context. */
  void *stream;
  /* Directory of the on-disk kernel cache. NULL: $SSMRT_CACHE_DIR, else
   * $XDG_CACHE_HOME/ssmc, else $HOME/.cache/ssmc. "": no disk cache. Copied at create. */
  const char *cache_dir;
  /* SSMRT_CONTEXT_* flags, 0 by default. (Added after the first version: a caller whose
   * struct_size ends before this field gets 0.) */
  uint32_t flags;
} ssmrt_context_options;

/* The params of every layer of this context are not written by device work on the context's
 * stream while calls are queued (weights are uploaded, synchronized, then used). Decode
 * steps launched with programmatic dependent launch (see ssmrt_layer_step) then read them
 * before waiting for the previous kernel: at batch 1 in a CUDA graph about a fifth of a
 * step's time (runtime/device/PERF.md, "g7"). A kernel of yours that writes params on the
 * same stream between steps would race with this; leave the flag off then. */
#define SSMRT_CONTEXT_PARAMS_FIXED 1u

#define SSMRT_CONTEXT_OPTIONS_INIT \
  { (uint32_t)sizeof(ssmrt_context_options), 0, NULL, NULL, 0u }

/* Fills *options with the defaults above (device 0, default stream, default cache dir). */
SSMRT_API void ssmrt_context_options_init(ssmrt_context_options *options);

/* Opens the device: retains its primary context (shared with the CUDA runtime API).
 * options may be NULL for the defaults. The caller owns *out_ctx and releases it with
 * ssmrt_context_release. Thread-safe. */
SSMRT_API ssmrt_status ssmrt_context_create(const ssmrt_context_options *options,
                                            ssmrt_context **out_ctx);

/* Drops the caller's reference; the context ends when no module or state uses it. */
SSMRT_API void ssmrt_context_release(ssmrt_context *ctx);

typedef struct ssmrt_device_info {
  char name[256];
  int32_t ordinal;
  int32_t sm_arch; /* 10 * major + minor compute capability: 90 for an H100 */
  int32_t multiprocessor_count;
  uint64_t total_memory_bytes;
} ssmrt_device_info;

/* Describes the context's device. SSMRT_NO_DEVICE for an SSMRT_DEVICE_NONE context.
 * Thread-safe. */
SSMRT_API ssmrt_status ssmrt_context_device_info(const ssmrt_context *ctx,
                                                 ssmrt_device_info *out_info);

/* Waits until all work this library queued on the context's stream has finished, and
 * reports a kernel fault that happened meanwhile as SSMRT_LAUNCH_ERROR. Thread-safe. */
SSMRT_API ssmrt_status ssmrt_context_synchronize(const ssmrt_context *ctx);

/* ---------------------------------------------------------------------------------------
 * Module: a loaded .ssmpack
 * ------------------------------------------------------------------------------------- */

typedef struct ssmrt_module ssmrt_module;
typedef struct ssmrt_layer ssmrt_layer;

/* Reads and verifies an .ssmpack file (runtime/FORMAT.md). Kernels are not compiled or
 * loaded yet: that happens on the first call that needs them (or ssmrt_module_prepare).
 * The caller owns *out_module. Thread-safe. */
SSMRT_API ssmrt_status ssmrt_module_load_file(ssmrt_context *ctx, const char *path,
                                              ssmrt_module **out_module);

/* Same as ssmrt_module_load_file, from bytes in memory. The bytes are copied: the caller
 * may free them when the call returns. */
SSMRT_API ssmrt_status ssmrt_module_load_memory(ssmrt_context *ctx, const void *data,
                                                size_t size, ssmrt_module **out_module);

/* Drops the caller's reference; layer handles of the module stay valid while a state of
 * one of its layers is alive, and become invalid after that (calls with them then return
 * SSMRT_INVALID_ARGUMENT: "... whose module was released"). */
SSMRT_API void ssmrt_module_release(ssmrt_module *module);

/* Loads (compiling if the pack has no usable binary) the module's kernels for the
 * context's device now instead of on first use. Thread-safe. */
SSMRT_API ssmrt_status ssmrt_module_prepare(ssmrt_module *module);

/* Number of layers in the module. Thread-safe. */
SSMRT_API ssmrt_status ssmrt_module_layer_count(const ssmrt_module *module,
                                                int32_t *out_count);

/* The layer at index (0 <= index < count), borrowed from the module. Thread-safe. */
SSMRT_API ssmrt_status ssmrt_module_layer(const ssmrt_module *module, int32_t index,
                                          ssmrt_layer **out_layer);

/* The layer with this name, borrowed from the module; SSMRT_NOT_FOUND lists the names
 * that exist. Thread-safe. */
SSMRT_API ssmrt_status ssmrt_module_layer_by_name(const ssmrt_module *module, const char *name,
                                                  ssmrt_layer **out_layer);

/* ---------------------------------------------------------------------------------------
 * Layer introspection (all borrowed from the module; all thread-safe)
 * ------------------------------------------------------------------------------------- */

SSMRT_API ssmrt_status ssmrt_layer_name(const ssmrt_layer *layer, const char **out_name);

/* Where the layer was defined in its .ssm script (file may be ""). */
SSMRT_API ssmrt_status ssmrt_layer_source_location(const ssmrt_layer *layer,
                                                   const char **out_file, int32_t *out_line,
                                                   int32_t *out_col);

/* The dims the layer was compiled with, in declaration order: ("D", 1536), ("N", 16). */
SSMRT_API ssmrt_status ssmrt_layer_dim_count(const ssmrt_layer *layer, int32_t *out_count);
SSMRT_API ssmrt_status ssmrt_layer_dim(const ssmrt_layer *layer, int32_t index,
                                       const char **out_name, int64_t *out_value);

/* A tensor or state as the manifest declares it. dim_names/dim_values have dim_count
 * entries: the named dims only (an in/out tensor also has the implicit batch and seqlen
 * axes in front of them). */
typedef struct ssmrt_tensor_info {
  const char *name;
  ssmrt_role role; /* SSMRT_ROLE_IN for states, which have no role */
  ssmrt_dtype dtype;
  int32_t dim_count;
  const char *const *dim_names;
  const int64_t *dim_values;
} ssmrt_tensor_info;

/* Tensors in ABI order: ins, then params, then outs, each in declaration order. This is the
 * order ssmrt_layer_forward and ssmrt_layer_step take them in. */
SSMRT_API ssmrt_status ssmrt_layer_tensor_count(const ssmrt_layer *layer, int32_t *out_count);
SSMRT_API ssmrt_status ssmrt_layer_tensor_info(const ssmrt_layer *layer, int32_t index,
                                               ssmrt_tensor_info *out_info);

/* The recurrent states, [batch, dims...] each, stored as f32 (c64: re/im f32 pairs). */
SSMRT_API ssmrt_status ssmrt_layer_state_count(const ssmrt_layer *layer, int32_t *out_count);
SSMRT_API ssmrt_status ssmrt_layer_state_info(const ssmrt_layer *layer, int32_t index,
                                              ssmrt_tensor_info *out_info);

/* Whether the module has kernels for an entry (a pack may carry forward only). */
SSMRT_API ssmrt_status ssmrt_layer_has_entry(const ssmrt_layer *layer, ssmrt_entry entry,
                                             int32_t *out_has);

/* ---------------------------------------------------------------------------------------
 * State buffers
 * ------------------------------------------------------------------------------------- */

typedef struct ssmrt_state ssmrt_state;

/* Allocates device memory for all of the layer's states for a batch size, zeroed (in
 * stream order on the context's stream). The state belongs to this layer and this batch
 * size only. The caller owns *out_state; it keeps the layer's module alive. Thread-safe. */
SSMRT_API ssmrt_status ssmrt_state_create(const ssmrt_layer *layer, int64_t batch,
                                          ssmrt_state **out_state);

/* Frees the device memory (after the work queued on the stream that uses it). */
SSMRT_API void ssmrt_state_release(ssmrt_state *state);

/* The batch size the state was created for. */
SSMRT_API ssmrt_status ssmrt_state_batch(const ssmrt_state *state, int64_t *out_batch);

/* Size in bytes of the state's host image: the layer's states in manifest order, each a
 * row-major [batch, dims...] array of f32 (c64: interleaved re/im f32), with no padding. */
SSMRT_API ssmrt_status ssmrt_state_byte_size(const ssmrt_state *state, size_t *out_bytes);

/* Copies the state to host memory (bytes must equal ssmrt_state_byte_size). Waits for the
 * work queued before it on the context's stream. */
SSMRT_API ssmrt_status ssmrt_state_save(const ssmrt_state *state, void *host, size_t bytes);

/* Copies a host image (as written by ssmrt_state_save) into the state, in stream order;
 * returns once host may be reused. */
SSMRT_API ssmrt_status ssmrt_state_restore(ssmrt_state *state, const void *host,
                                           size_t bytes);

/* Sets the state to zero, in stream order. */
SSMRT_API ssmrt_status ssmrt_state_reset(ssmrt_state *state);

/* Exchanges the contents of two states of the same layer and batch size (no copy: the
 * buffers change owners). Neither may be in use by another thread during the call. */
SSMRT_API ssmrt_status ssmrt_state_swap(ssmrt_state *a, ssmrt_state *b);

/* ---------------------------------------------------------------------------------------
 * Running a layer
 * ------------------------------------------------------------------------------------- */

/* Runs the layer over whole sequences: tensors[0..tensor_count) in the layer's tensor order
 * (ins, params, outs); in/out tensors are [batch, seqlen, dims...], params [dims...].
 * initial (nullable) is the state before step 0, zero when NULL; final (nullable) receives
 * the state after the last step. initial and final may be the same state. Everything is
 * checked before anything is queued; a failed call writes nothing. Work is queued on the
 * context's stream and the call returns without waiting for it (see
 * ssmrt_context_synchronize). Thread-safe for distinct states. */
SSMRT_API ssmrt_status ssmrt_layer_forward(const ssmrt_layer *layer, const ssmrt_tensor *tensors,
                                           int32_t tensor_count, const ssmrt_state *initial,
                                           ssmrt_state *final_state);

/* Runs one time step: in/out tensors are [batch, dims...], params [dims...]; state is read
 * and updated in place. Queued on the context's stream like ssmrt_layer_forward.
 *
 * Both calls may be captured into a CUDA graph (stream capture on the context's stream).
 * On sm_90 and newer, kernels launched during stream capture use programmatic dependent
 * launch (CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION): a kernel may start while
 * the previous kernel on the stream finishes, and waits for it before reading memory
 * (runtime/FORMAT.md, "Launches"). The environment variable SSMRT_NO_PDL=1, read when a
 * context is created, turns this off for that context.
 *
 * A launch whose grid fits on the device at once runs the pack's small-grid kernel for it
 * when the manifest names one (ssmc does for decode steps and for S6's forward); the wave is
 * counted with that kernel's own occupancy. SSMRT_NO_SMALL_GRID=1, read when a context is
 * created, turns this off for that context.
 *
 * A call whose tensors have the dtypes, ranks, sizes and strides of the previous
 * successful call of the same layer and entry (and states of the same size) only has its
 * addresses checked; the rest of that call's validation and launch plan is reused. */
SSMRT_API ssmrt_status ssmrt_layer_step(const ssmrt_layer *layer, const ssmrt_tensor *tensors,
                                        int32_t tensor_count, ssmrt_state *state);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SSMRT_SSMRT_H */
