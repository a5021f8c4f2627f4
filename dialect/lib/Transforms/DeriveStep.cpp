// --ssm-derive-step: adds the single-step (decode) layer of each fused layer.
#include "ssm/Passes.h"
#include "ssm/SsmOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringSet.h"

#include <functional>

namespace mlir::ssm {
#define GEN_PASS_DEF_SSMDERIVESTEP
#include "ssm/Passes.h.inc"
} // namespace mlir::ssm

using namespace mlir;
using namespace mlir::ssm;

namespace {

/// `type` without its sequence axis.
static RankedTensorType dropSeq(Type type) {
  auto tensor = cast<RankedTensorType>(type);
  DimsAttr dims = getDims(type);
  if (!dims || !dims.hasSeq())
    return tensor;
  return RankedTensorType::get(
      tensor.getShape().drop_front(), tensor.getElementType(),
      DimsAttr::get(type.getContext(), dims.getNames().drop_front()));
}

static DictionaryAttr roleAndName(Builder &b, StringRef role, StringRef name) {
  return b.getDictionaryAttr({b.getNamedAttr(kRoleAttr, b.getStringAttr(role)),
                              b.getNamedAttr(kNameAttr, b.getStringAttr(name))});
}

struct SsmDeriveStepPass : public ssm::impl::SsmDeriveStepBase<SsmDeriveStepPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    llvm::StringSet<> haveStep;
    SmallVector<LayerOp> layers;
    for (auto layer : module.getOps<LayerOp>()) {
      if (std::optional<StringRef> of = layer.getStepOf())
        haveStep.insert(*of);
      else
        layers.push_back(layer);
    }
    for (LayerOp layer : layers) {
      if (haveStep.contains(layer.getSymName()))
        continue;
      SmallVector<FusedOp> fused(layer.getBody().getOps<FusedOp>());
      if (fused.size() != 1) {
        emitRemark(layer.getLoc())
            << "no step layer for @" << layer.getSymName()
            << ": it is not fused";
        continue;
      }
      deriveStep(layer, fused.front(), symbols);
    }
  }

  void deriveStep(LayerOp layer, FusedOp fused, SymbolTable &symbols) {
    OpBuilder b(layer.getContext());
    Location loc = fused.getLoc();
    KernelView k = *KernelView::get(fused);
    auto ret = cast<ReturnOp>(layer.getBody().front().getTerminator());

    // The ops computing fused inputs that are not layer arguments (the dense
    // form's time-invariant setup: ssm.eye/inv/matmul/map over params) are
    // cloned into the step layer; its arguments are the layer arguments they
    // and the fused op read, in the layer's order.
    Block &layerBody = layer.getBody().front();
    llvm::SetVector<Operation *> setup;
    llvm::SmallSetVector<unsigned, 8> argsUsed;
    std::function<void(Value)> collect = [&](Value v) {
      if (auto arg = dyn_cast<BlockArgument>(v)) {
        if (arg.getOwner() == &layerBody)
          argsUsed.insert(arg.getArgNumber());
        return;
      }
      Operation *def = v.getDefiningOp();
      if (!def || setup.contains(def))
        return;
      for (Value o : def->getOperands())
        collect(o);
      setup.insert(def); // after its producers: a valid order
    };
    for (Value v : fused.getInputs())
      collect(v);
    SmallVector<unsigned> argOrder(argsUsed.begin(), argsUsed.end());
    llvm::sort(argOrder);

    // Arguments: the inputs' layer arguments without L, then the state.
    SmallVector<Type> argTypes;
    SmallVector<Attribute> argAttrs;
    for (unsigned a : argOrder) {
      argTypes.push_back(dropSeq(layerBody.getArgument(a).getType()));
      argAttrs.push_back(layer.getArgAttrDict(a));
    }
    SmallVector<StringAttr> stateDims(k.rows);
    stateDims.push_back(k.inner);
    Type stateType = layer.getTensorType(stateDims, k.stateElementType());
    argTypes.push_back(stateType);
    argAttrs.push_back(roleAndName(b, kRoleStateInit, k.state.getValue()));

    // Results: the outs without L, then the next state.
    SmallVector<Type> resultTypes;
    SmallVector<Attribute> resultAttrs;
    for (Value out : fused.getOuts()) {
      unsigned i = 0;
      while (ret.getOperand(i) != out)
        ++i;
      resultTypes.push_back(dropSeq(layer.getResultTypes()[i]));
      resultAttrs.push_back(layer.getResultAttrDict(i));
    }
    resultTypes.push_back(stateType);
    resultAttrs.push_back(roleAndName(b, kRoleStateFinal, k.state.getValue()));

    b.setInsertionPointAfter(layer);
    auto step = LayerOp::create(
        b, layer.getLoc(), (layer.getSymName() + "_step").str(),
        b.getFunctionType(argTypes, resultTypes), layer.getDims(),
        layer.getFactsAttr(), FlatSymbolRefAttr::get(layer.getSymNameAttr()),
        b.getArrayAttr(argAttrs), b.getArrayAttr(resultAttrs));
    symbols.insert(step); // renames on a clash

    Block *body = new Block();
    step.getBody().push_back(body);
    for (Type t : argTypes)
      body->addArgument(t, loc);
    b.setInsertionPointToStart(body);
    IRMapping setupMap;
    for (auto [i, a] : llvm::enumerate(argOrder))
      setupMap.map(layerBody.getArgument(a), body->getArgument(i));
    for (Operation *op : setup)
      b.clone(*op, setupMap);
    SmallVector<Value> stepInputs;
    for (Value v : fused.getInputs())
      stepInputs.push_back(setupMap.lookup(v));
    SmallVector<Type> outTypes(resultTypes.begin(), resultTypes.end() - 1);
    auto stepOp = StepOp::create(
        b, loc, outTypes, stateType, fused.getStateAttr(), fused.getRows(),
        fused.getInnerAttr(), fused.getFactsAttr(), fused.getGroupsAttr(),
        fused.getDenseDecayAttr(), stepInputs, body->getArguments().back());
    for (unsigned r = 0; r < kNumKernelRegions; ++r) {
      IRMapping mapping;
      fused->getRegion(r).cloneInto(&stepOp->getRegion(r), mapping);
    }
    SmallVector<Value> results(stepOp.getOuts());
    results.push_back(stepOp.getHNext());
    ReturnOp::create(b, loc, results);
  }
};

} // namespace
