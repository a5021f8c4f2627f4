// The CUDA target: fused ssm IR -> one CUDA C++ source per module (layer structs instantiating
// the runtime's kernel skeletons), the manifest, and an .ssmpack with NVRTC-compiled code.
#ifndef SSMC_CUDATARGET_H
#define SSMC_CUDATARGET_H

#include "ssmc/Sema.h"

#include "mlir/IR/BuiltinOps.h"
#include "ssmrt/manifest.h"
#include "ssmrt/pack.h"

#include <string>
#include <vector>

namespace ssmc {

struct CudaOutput {
  std::string source;       // the whole CUDA C++ source (includes only the runtime's headers)
  ssmrt::Manifest manifest; // layers, tensors, launch rules
};

struct CudaOptions {
  /// The source is compiled on first use (a source-only pack, `ssmc run`): leave out kernel
  /// variants whose compile time outweighs what they buy (the S6 small-grid forward doubles the
  /// NVRTC time for a few %, PERF.md g12). Packs with cubins keep them.
  bool jit = false;
};

/// Generates the CUDA source and manifest for every fused layer of `module` (after the ssm
/// pipeline). `prog` supplies tensor dims and dtypes as the script declared them. On failure
/// returns false with a message naming the layer and what is not supported.
bool emitCuda(mlir::ModuleOp module, const sema::Program &prog, const SourceManager &sm,
              CudaOutput &out, std::string &error, const CudaOptions &options = {});

/// The NVRTC options the generated source is compiled with (the runtime gets them in the
/// manifest so it compiles the same way).
std::vector<std::string> nvrtcOptions();

/// Compiles `out.source` with NVRTC: a cubin for every arch in `archs` ("sm_80", "sm_90") and
/// PTX for the newest, and returns the pack entries (manifest, source, cubins, PTX). A compile
/// error returns false with the NVRTC log and the path where the source was written.
bool buildPackEntries(const CudaOutput &out, const std::vector<std::string> &archs,
                      std::vector<ssmrt::PackEntry> &entries, std::string &error);

} // namespace ssmc

#endif
