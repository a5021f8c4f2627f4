// The compiler as a library: script (path or text) -> .ssmpack bytes the runtime loads with
// ssmrt_module_load_memory. This is the in-process JIT entry for host programs; `ssmc build`
// uses the same call.
#ifndef SSMC_COMPILER_H
#define SSMC_COMPILER_H

#include "ssmc/Sema.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ssmc {

struct CompileOptions {
  std::vector<std::string> includeDirs;
  std::map<std::string, int64_t> dims;       // dim sizes that override the script's
  sema::DType dtype = sema::DType::F32;      // storage of ins/outs declared without a dtype
  std::string strategy;                     // "" = the cost model's choice
  /// Architectures to compile cubins for now ("sm_90"). Empty: the pack carries the CUDA
  /// source only and the runtime compiles it for the device on first use (through its disk
  /// cache), which is the JIT path.
  std::vector<std::string> archs;
};

struct CompileResult {
  std::string pack;        // the .ssmpack bytes (empty on failure)
  std::string diagnostics; // every error, warning and remark, formatted as file:line:col: ...
  double msFrontEnd = 0, msMlir = 0, msCuda = 0, msNvrtc = 0;
};

/// Compiles `path` (or `text`, named `path` in diagnostics). Returns false on any error, with
/// the reasons in result.diagnostics. Thread-safe: every call has its own MLIR context.
bool compileScript(const std::string &path, const std::optional<std::string> &text, const CompileOptions &options,
                   CompileResult &result);

} // namespace ssmc

#endif
