// The layer manifest of an .ssmpack (manifest.json, runtime/FORMAT.md) as C++ values.
//
// The compiler builds a Manifest and serialises it with writeManifest; the runtime parses
// it with parseManifest, which also checks everything the runtime later relies on (dims
// referenced by tensors exist, ABI slot order, limits of abi.h), so a launch never meets a
// malformed manifest.
#ifndef SSMRT_MANIFEST_H
#define SSMRT_MANIFEST_H

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ssmrt/status.h"

namespace ssmrt {

constexpr int kManifestVersion = 1;

struct ManifestTensor {
  std::string name;
  ssmrt_role role = SSMRT_ROLE_IN;
  ssmrt_dtype dtype = SSMRT_DTYPE_F32;
  std::vector<std::string> dims;  // names of the layer's dims, outermost first
};

struct ManifestState {
  std::string name;
  ssmrt_dtype dtype = SSMRT_DTYPE_F32;  // f32 or c64: states are stored in f32
  std::vector<std::string> dims;
};

// ceil_div(units * (batch ? B : 1) * (seq_chunk > 0 ? ceil_div(L, seq_chunk) : 1), per_block)
struct GridRule {
  int64_t units = 1;
  bool batch = false;
  int64_t seqChunk = 0;
  int64_t perBlock = 1;
};

// bytes * (batch ? B : 1) * (seq_chunk > 0 ? ceil_div(L, seq_chunk) : 1)
struct WorkspaceRule {
  int64_t bytes = 0;
  bool batch = false;
  int64_t seqChunk = 0;
};

struct ManifestLaunch {
  std::string kernel;
  // Optional ("small_grid_kernel"): the same launch compiled for grids the device runs in one
  // wave (latency-bound); the runtime takes it when the grid's threads fit on the device at
  // once (FORMAT.md, "Launches"). Empty: none.
  std::string smallGridKernel;
  uint32_t block[3] = {1, 1, 1};
  uint32_t smem = 0;  // dynamic shared memory, bytes
  GridRule grid[3];
  WorkspaceRule workspace;
};

struct SourceLocation {
  std::string file;
  int32_t line = 0;
  int32_t col = 0;
};

struct ManifestLayer {
  std::string name;
  SourceLocation source;
  std::vector<std::pair<std::string, int64_t>> dims;  // declaration order
  std::vector<ManifestTensor> tensors;                // ABI slot order: ins, params, outs
  std::vector<ManifestState> states;                  // order of h0[i] / hT[i]
  std::map<std::string, bool> facts;                  // "selective", "lti", "scalar_decay"
  std::string strategy;
  std::vector<ManifestLaunch> forward;  // empty: the pack has no forward entry
  std::vector<ManifestLaunch> step;     // empty: the pack has no step entry
  // The same entries compiled with 32-bit element offsets ("forward_index32",
  // "step_index32"); empty when the pack has none. The runtime runs one of these instead of
  // forward/step when every element offset of the call is below 2^31 (runtime/FORMAT.md).
  std::vector<ManifestLaunch> forwardIndex32;
  std::vector<ManifestLaunch> stepIndex32;

  // Every launch list with its manifest key, for code that walks them all.
  struct EntryList {
    const char *key;  // "forward", "step", "forward_index32", "step_index32"
    const std::vector<ManifestLaunch> *launches;
  };
  std::array<EntryList, 4> entryLists() const {
    return {{{"forward", &forward}, {"step", &step}, {"forward_index32", &forwardIndex32},
             {"step_index32", &stepIndex32}}};
  }

  // The value of a dim, or -1 when the layer has no dim of that name.
  int64_t dimValue(std::string_view dim) const;
  // "stdlib/mamba_s6.ssm:12:1", or "<unknown location>".
  std::string locationString() const;
};

struct Manifest {
  int version = kManifestVersion;
  int abi = 1;  // SSM_ABI_VERSION of the kernels
  std::string compiler;
  std::vector<std::string> nvrtcOptions;  // used when the runtime compiles source.cu
  std::vector<ManifestLayer> layers;
};

// Parses manifest.json and checks it; FORMAT_ERROR names the field
// ("manifest: layers[0] 's6': tensors[2] 'y': dim 'Q' is not a dim of the layer").
SSMRT_API Status parseManifest(std::string_view json, Manifest *out_manifest);

// Checks a manifest built in memory the same way parseManifest checks a parsed one.
SSMRT_API Status checkManifest(const Manifest &manifest);

// Serialises a manifest as JSON that parseManifest reads back unchanged.
SSMRT_API std::string writeManifest(const Manifest &manifest);

// "f32", "f16", "bf16", "c64" <-> ssmrt_dtype. parseDtype returns false on other text.
SSMRT_API bool parseDtype(std::string_view text, ssmrt_dtype *out_dtype);
SSMRT_API const char *roleName(ssmrt_role role);  // "in", "param", "out"

}  // namespace ssmrt

#endif  // SSMRT_MANIFEST_H
