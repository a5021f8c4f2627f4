// --ssm-classify: finds out whether a layer is selective, LTI, and has a scalar decay.
#include "ssm/Passes.h"
#include "ssm/SsmOps.h"

#include "mlir/IR/BuiltinOps.h"

namespace mlir::ssm {
#define GEN_PASS_DEF_SSMCLASSIFY
#include "ssm/Passes.h.inc"
} // namespace mlir::ssm

using namespace mlir;
using namespace mlir::ssm;

namespace {

/// One multiplicative factor of a scan input: does it depend on an `in`
/// (which one), and over which dims does it vary.
struct Factor {
  BlockArgument in; // the first `in` tensor it depends on, or null
  SmallVector<StringAttr> dims;
};

class LayerClassifier {
public:
  explicit LayerClassifier(LayerOp layer) : layer(layer) {
    for (BlockArgument arg : layer.getBody().getArguments())
      if (layer.getArgRole(arg.getArgNumber()) == kRoleIn)
        inOf[arg] = arg;
    // The body is in SSA order: one forward sweep propagates "depends on in".
    for (Operation &op : layer.getBody().front())
      for (Value operand : op.getOperands())
        if (BlockArgument in = inOf.lookup(operand)) {
          for (Value r : op.getResults())
            inOf.try_emplace(r, in);
        }
  }

  /// The `in` a tensor value depends on, or null.
  BlockArgument dependsOnIn(Value v) const { return inOf.lookup(v); }

  StringRef nameOf(BlockArgument in) {
    return layer.getArgName(in.getArgNumber());
  }

  /// Splits tensor value `v` into multiplicative factors, looking through the
  /// regions of maps and discretize ops.
  void factorize(Value v, SmallVectorImpl<Factor> &out) {
    Operation *def = v.getDefiningOp();
    if (def && isa<MapOp, DiscretizeOp>(def)) {
      auto yield = cast<YieldOp>(def->getRegion(0).front().getTerminator());
      Value scalar = yield.getValues()[cast<OpResult>(v).getResultNumber()];
      factorizeScalar(def, scalar, out);
      return;
    }
    out.push_back(Factor{dependsOnIn(v), getDimNames(v.getType())});
  }

private:
  void factorizeScalar(Operation *op, Value s, SmallVectorImpl<Factor> &out) {
    ValueRange inputs = op->getOperands();
    if (auto arg = dyn_cast<BlockArgument>(s)) {
      factorize(inputs[arg.getArgNumber()], out);
      return;
    }
    Operation *def = s.getDefiningOp();
    if (isa<arith::MulFOp, complex::MulOp>(def)) {
      factorizeScalar(op, def->getOperand(0), out);
      factorizeScalar(op, def->getOperand(1), out);
      return;
    }
    // complex(x, 0) is a real factor promoted to complex.
    if (auto create = dyn_cast<complex::CreateOp>(def)) {
      auto im = create.getImaginary().getDefiningOp<arith::ConstantOp>();
      auto zero = im ? dyn_cast<FloatAttr>(im.getValue()) : FloatAttr();
      if (zero && zero.getValue().isZero()) {
        factorizeScalar(op, create.getReal(), out);
        return;
      }
    }
    // Any other scalar is one factor: it varies with the operands it uses.
    Block &body = op->getRegion(0).front();
    if (!deps.count(&body))
      deps[&body] = computeBlockArgDeps(body);
    Factor f;
    // A named copy: set_bits() of the temporary lookup() returns would dangle.
    llvm::BitVector used = deps[&body].lookup(s);
    for (unsigned i : used.set_bits()) {
      Value input = inputs[i];
      if (!f.in)
        f.in = dependsOnIn(input);
      for (StringAttr d : getDimNames(input.getType()))
        if (!llvm::is_contained(f.dims, d))
          f.dims.push_back(d);
    }
    out.push_back(std::move(f));
  }

  LayerOp layer;
  DenseMap<Value, BlockArgument> inOf;
  DenseMap<Block *, DenseMap<Value, llvm::BitVector>> deps;
};

struct SsmClassifyPass : public ssm::impl::SsmClassifyBase<SsmClassifyPass> {
  void runOnOperation() override {
    for (auto layer : getOperation().getOps<LayerOp>())
      if (failed(classify(layer)))
        return signalPassFailure();
  }

  LogicalResult classify(LayerOp layer) {
    SmallVector<ScanOp> scans(layer.getBody().getOps<ScanOp>());
    if (scans.empty())
      return success();
    LayerClassifier classifier(layer);
    MLIRContext *ctx = layer.getContext();
    StringAttr seq = StringAttr::get(ctx, kSeqDim);

    bool selective = false, scalarDecay = true;
    std::string why; // why the layer is selective
    for (ScanOp scan : scans) {
      SmallVector<StringAttr> stateDims = scan.getStateDims();
      if (BlockArgument in = classifier.dependsOnIn(scan.getDecay())) {
        if (!selective)
          why = ("the decay of state '" + scan.getState() + "' depends on in '" +
                 classifier.nameOf(in) + "'")
                    .str();
        selective = true;
      }
      // The signal part of the input (factors that depend on an `in`) must not
      // vary along the inner dim, else the input coefficient is per step.
      SmallVector<StringAttr> signalDims{seq};
      signalDims.append(stateDims.begin(), stateDims.end() - 1);
      SmallVector<Factor> factors;
      classifier.factorize(scan.getInput(), factors);
      for (const Factor &f : factors) {
        if (!f.in || isSubset(f.dims, signalDims))
          continue;
        if (!selective)
          why = ("the input of state '" + scan.getState() +
                 "' has a factor with dims " + formatDims(f.dims) +
                 " that depends on in '" + classifier.nameOf(f.in) + "'")
                    .str();
        selective = true;
      }
      // One decay per head: no dim other than L and the state's head dims.
      SmallVector<StringAttr> headDims{seq};
      if (stateDims.size() >= 2)
        headDims.append(stateDims.begin(), stateDims.end() - 2);
      if (scan.getDense() ||
          !isSubset(getDimNames(scan.getDecay().getType()), headDims))
        scalarDecay = false;
    }

    auto facts = FactsAttr::get(ctx, selective, !selective, scalarDecay);
    if (std::optional<FactsAttr> given = layer.getFacts()) {
      auto check = [&](StringRef name, bool claimed, bool found) -> LogicalResult {
        if (claimed == found)
          return success();
        auto diag = layer.emitError()
                    << "layer @" << layer.getSymName() << " is "
                    << (claimed ? "" : "not ") << "marked " << name
                    << " but classification finds it "
                    << (found ? "is" : "is not");
        if (name != "scalar_decay")
          diag << (selective ? ": " + why : std::string(": no decay or input "
                                                        "coefficient depends on an in"));
        return diag;
      };
      if (failed(check("selective", given->getSelective(), selective)) ||
          failed(check("lti", given->getLti(), !selective)) ||
          failed(check("scalar_decay", given->getScalarDecay(), scalarDecay)))
        return failure();
    }
    layer.setFactsAttr(facts);
    return success();
  }
};

} // namespace
