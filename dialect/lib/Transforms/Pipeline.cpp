// Registration of the ssm passes and the pipelines the compiler runs.
#include "ssm/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::ssm;

namespace {
struct PipelineCliOptions : public PassPipelineOptions<PipelineCliOptions> {
  Option<std::string> force{*this, "force",
                            llvm::cl::desc("Strategy for every fused op: lane, chunked or ssd"),
                            llvm::cl::init("")};
  Option<int64_t> batch{*this, "batch",
                        llvm::cl::desc("Batch size the cost model assumes"),
                        llvm::cl::init(1)};
  Option<int64_t> lanes{*this, "lanes",
                        llvm::cl::desc("Lanes that fill the GPU"),
                        llvm::cl::init(270336)};
};
} // namespace

void mlir::ssm::buildSsmPipeline(OpPassManager &pm, const PipelineOptions &options) {
  // MLIRGen emits one map per expression node: merge them before analysing.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createSsmClassify());
  pm.addPass(createSsmFuse());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createSsmDeriveStep());
  SsmSelectStrategyOptions strategy;
  strategy.force = options.forceStrategy;
  strategy.batch = options.batch;
  strategy.lanes = options.lanes;
  pm.addPass(createSsmSelectStrategy(strategy));
}

void mlir::ssm::buildSsmLoweringPipeline(OpPassManager &pm) {
  pm.addPass(createSsmLowerToEmitC());
}

void mlir::ssm::registerSsmPasses() {
  registerSsmGenPasses();
  PassPipelineRegistration<PipelineCliOptions>(
      "ssm-pipeline",
      "classify, fuse, derive the step layer and pick a strategy (what ssmc runs)",
      [](OpPassManager &pm, const PipelineCliOptions &cli) {
        PipelineOptions options;
        options.forceStrategy = cli.force;
        options.batch = cli.batch;
        options.lanes = cli.lanes;
        buildSsmPipeline(pm, options);
      });
  PassPipelineRegistration<>("ssm-lowering",
                             "lower fused/step regions to emitc.func",
                             [](OpPassManager &pm) { buildSsmLoweringPipeline(pm); });
}
