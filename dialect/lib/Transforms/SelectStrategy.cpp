// --ssm-select-strategy: picks lane / chunked / ssd for each fused op from its dims.
#include "ssm/Passes.h"
#include "ssm/SsmOps.h"

#include "mlir/IR/BuiltinOps.h"

namespace mlir::ssm {
#define GEN_PASS_DEF_SSMSELECTSTRATEGY
#include "ssm/Passes.h.inc"
} // namespace mlir::ssm

using namespace mlir;
using namespace mlir::ssm;

namespace {

struct SsmSelectStrategyPass
    : public ssm::impl::SsmSelectStrategyBase<SsmSelectStrategyPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (!force.empty() && force != "lane" && force != "chunked" && force != "ssd" &&
        force != "dense") {
      module.emitError() << "--ssm-select-strategy: unknown strategy \"" << force
                         << "\", expected lane, chunked, ssd or dense";
      return signalPassFailure();
    }
    if (batch <= 0 || lanes <= 0) {
      module.emitError() << "--ssm-select-strategy: batch (" << batch
                         << ") and lanes (" << lanes << ") must be positive";
      return signalPassFailure();
    }
    WalkResult result = module.walk([&](FusedOp op) {
      if (failed(select(op)))
        return WalkResult::interrupt();
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }

  static bool ssdFits(FusedOp op, LayerOp layer, std::optional<FactsAttr> facts) {
    if (!facts || !facts->getScalarDecay())
      return false;
    int64_t n = layer.getDimSize(op.getInnerAttr().getValue()).value_or(0);
    if (n < 16 || n % 16 != 0)
      return false;
    bool any = false;
    for (Value v : op.getInputs()) {
      auto t = dyn_cast<RankedTensorType>(v.getType());
      if (!t || t.hasStaticShape())
        continue; // params and other time-invariant operands
      if (!t.getElementType().isBF16())
        return false;
      any = true;
    }
    return any;
  }

  LogicalResult select(FusedOp op) {
    auto layer = op->getParentOfType<LayerOp>();
    std::optional<FactsAttr> facts = op.getFacts();
    StringRef strategy;
    if (op.getDenseDecay()) {
      // The dense form has one kernel shape: a block per (batch, row) holding
      // the matrix (forcing a diagonal strategy onto it is an error).
      if (!force.empty() && force != "dense")
        return op.emitError() << "strategy \"" << force << "\" was forced but state '"
                              << op.getState()
                              << "' has a dense decay; only \"dense\" applies";
      strategy = "dense";
    } else if (force == "dense") {
      return op.emitError() << "strategy \"dense\" was forced but state '"
                            << op.getState() << "' has a diagonal decay";
    } else if (!force.empty()) {
      if (force == "ssd" && !(facts && facts->getScalarDecay()))
        return op.emitError() << "strategy \"ssd\" was forced but state '"
                              << op.getState()
                              << "' does not have a scalar decay per head";
      strategy = force;
    } else if (ssdFits(op, layer, facts)) {
      // One decay per head and step, N in tensor-core tiles, bf16 per-step
      // inputs: the chunked matrix form on tensor cores (ssm/ssd.cuh). With
      // f32 inputs its products need three tf32 passes and the lane form is
      // faster (runtime/device/PERF.md, s3).
      strategy = "ssd";
    } else {
      // One lane per (batch, row, n): enough of them fill the GPU without a
      // second pass; otherwise cut L into chunks to get more parallel work.
      int64_t work = batch;
      SmallVector<StringAttr> dims;
      for (Attribute r : op.getRows())
        dims.push_back(cast<StringAttr>(r));
      dims.push_back(op.getInnerAttr());
      for (StringAttr d : dims)
        work *= layer.getDimSize(d.getValue()).value_or(1);
      strategy = work >= lanes ? "lane" : "chunked";
    }
    op.setStrategyAttr(StringAttr::get(op.getContext(), strategy));
    return success();
  }
};

} // namespace
