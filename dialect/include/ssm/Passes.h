// The ssm passes, their registration and the pipelines the compiler runs.
#ifndef SSM_PASSES_H
#define SSM_PASSES_H

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassOptions.h"

#include <memory>
#include <string>

namespace mlir {
namespace emitc {
class EmitCDialect;
} // namespace emitc

namespace ssm {

#define GEN_PASS_DECL
#include "ssm/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "ssm/Passes.h.inc"

/// Registers every ssm pass and the `ssm-pipeline` / `ssm-lowering` pipelines
/// (for ssm-opt and for ssmc's pass-manager command-line options).
void registerSsmPasses();

/// Options of the ssm pipeline (what `ssmc` exposes).
struct PipelineOptions {
  /// Strategy for every fused op ("" = cost model): lane, chunked, ssd.
  std::string forceStrategy;
  /// Batch size the cost model assumes.
  int64_t batch = 1;
  /// Lanes that fill the target GPU.
  int64_t lanes = 270336;
};

/// canonicalize/cse -> classify -> fuse -> canonicalize/cse -> derive-step ->
/// select-strategy -> canonicalize/cse.
void buildSsmPipeline(OpPassManager &pm, const PipelineOptions &options = {});

/// The lowering of fused/step regions to emitc.func (after buildSsmPipeline).
void buildSsmLoweringPipeline(OpPassManager &pm);

} // namespace ssm
} // namespace mlir

#endif // SSM_PASSES_H
