// --ssm-fuse: folds discretize -> scan -> project and the elementwise ops of a layer into ssm.fused.
//
// The layer body is a DAG of tensor ops over named dims. With the state's dims
// split into row dims and the inner dim N, every value lives at one level:
//   pre     does not depend on the state sequence (prologue: decay, input, ...)
//   contrib depends on the state sequence and has N (terms summed over N)
//   out     depends on the state sequence, no N (sums and what outs compute)
// Each region of the fused op is filled by "scalarizing" the DAG at that level:
// a tensor value becomes the scalar at the current index, computed by cloning
// the slice of its map/discretize region that produces it. Broadcasting by name
// makes this exact: a value is a function of its own dims only.
#include "ssm/Passes.h"
#include "ssm/SsmOps.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::ssm {
#define GEN_PASS_DEF_SSMFUSE
#include "ssm/Passes.h.inc"
} // namespace mlir::ssm

using namespace mlir;
using namespace mlir::ssm;

namespace {

/// Why a layer is not fused: where, and a sentence.
struct Refusal {
  Location loc;
  std::string why;
};

/// A reduction over the inner dim, folded into the contrib region.
struct Term {
  Operation *op;   // ssm.project or ssm.reduce
  Value stateSide; // the operand that depends on the state sequence
  Value coeff;     // C of ssm.project, null for ssm.reduce
};

/// Element type of a product, promoting a real operand to complex.
static Value multiply(OpBuilder &b, Location loc, Value x, Value y) {
  bool cx = isComplexF32(x.getType()), cy = isComplexF32(y.getType());
  if (!cx && !cy)
    return arith::MulFOp::create(b, loc, x, y);
  auto promote = [&](Value v) -> Value {
    if (isComplexF32(v.getType()))
      return v;
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
    return complex::CreateOp::create(
        b, loc, ComplexType::get(b.getF32Type()), v, zero);
  };
  return complex::MulOp::create(b, loc, promote(x), promote(y));
}

/// `v` as `type` (f32 -> complex<f32> when the state is complex).
static Value convertTo(OpBuilder &b, Location loc, Value v, Type type) {
  if (v.getType() == type)
    return v;
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  return complex::CreateOp::create(b, loc, type, v, zero);
}

/// Builds the scalar form of tensor values inside one region block.
class Scalarizer {
public:
  Scalarizer(Block *block, const DenseMap<Value, unsigned> &inputIndex)
      : block(block), inputIndex(inputIndex),
        builder(OpBuilder::atBlockEnd(block)) {}

  void seed(Value tensor, Value scalar) { scalars[tensor] = scalar; }
  OpBuilder &getBuilder() { return builder; }

  /// The scalar of `tensor` at the block's index.
  Value get(Value tensor) {
    if (Value s = scalars.lookup(tensor))
      return s;
    Value result;
    if (auto it = inputIndex.find(tensor); it != inputIndex.end()) {
      result = block->getArgument(it->second);
    } else if (auto group = tensor.getDefiningOp<GroupOp>()) {
      // The kernel indexes the group axis from the head index (`groups`).
      result = get(group.getInput());
    } else {
      // The planner only lets map/discretize results reach here.
      Operation *op = tensor.getDefiningOp();
      assert((op && isa<MapOp, DiscretizeOp>(op)) && "unexpected producer");
      result = cloneSlice(op, cast<OpResult>(tensor).getResultNumber());
    }
    scalars[tensor] = result;
    return result;
  }

private:
  /// Clones the ops of `op`'s region that compute its result `r`.
  Value cloneSlice(Operation *op, unsigned r) {
    Block &body = op->getRegion(0).front();
    Value yielded = cast<YieldOp>(body.getTerminator()).getValues()[r];
    llvm::SetVector<Operation *> slice;
    BackwardSliceOptions options;
    options.inclusive = true;
    options.omitBlockArguments = true;
    options.omitUsesFromAbove = false;
    options.filter = [&](Operation *o) { return o->getBlock() == &body; };
    if (yielded.getDefiningOp())
      (void)getBackwardSlice(yielded, &slice, options);
    // One mapping per producer: results of the same op share what they have
    // in common (decay and input of a discretize).
    IRMapping &mapping = cloned[op];
    auto mapArg = [&](Value v) {
      if (auto arg = dyn_cast<BlockArgument>(v))
        if (arg.getOwner() == &body && !mapping.contains(arg))
          mapping.map(arg, get(op->getOperand(arg.getArgNumber())));
    };
    mapArg(yielded);
    for (Operation &inner : body.without_terminator()) {
      if (!slice.contains(&inner) || mapping.contains(&inner))
        continue;
      for (Value v : inner.getOperands())
        mapArg(v);
      inner.walk([&](Operation *nested) {
        for (Value v : nested->getOperands())
          mapArg(v);
      });
      builder.clone(inner, mapping);
    }
    return mapping.lookupOrDefault(yielded);
  }

  Block *block;
  const DenseMap<Value, unsigned> &inputIndex;
  OpBuilder builder;
  DenseMap<Value, Value> scalars;
  DenseMap<Operation *, IRMapping> cloned;
};

class LayerFuser {
public:
  explicit LayerFuser(LayerOp layer) : layer(layer), ctx(layer.getContext()) {}

  /// Fuses the layer, or returns why not.
  std::optional<Refusal> run() {
    if (std::optional<Refusal> r = plan())
      return r;
    build();
    return std::nullopt;
  }

private:
  Refusal refuse(Location loc, const Twine &why) { return Refusal{loc, why.str()}; }

  /// The dims a value is indexed by in the kernel: a group dim counts as its
  /// head dim. A value with both is not indexable: it gets one pseudo dim
  /// that no level contains.
  SmallVector<StringAttr> indexedDims(Type type) const {
    SmallVector<StringAttr> dims = getDimNames(type);
    for (StringAttr &d : dims) {
      auto it = groups.find(d);
      if (it == groups.end())
        continue;
      if (llvm::is_contained(dims, it->second))
        return {StringAttr::get(ctx, "<" + d.getValue() + " and " +
                                         it->second.getValue() + ">")};
      d = it->second;
    }
    return dims;
  }

  bool isContribLevel(Value v) const {
    return seqDep.contains(v) && hasDim(v.getType(), inner.getValue());
  }
  bool isOutLevel(Value v) const {
    return seqDep.contains(v) && !hasDim(v.getType(), inner.getValue());
  }

  std::optional<Refusal> plan() {
    Block &body = layer.getBody().front();
    SmallVector<ScanOp> scans(body.getOps<ScanOp>());
    if (scans.empty())
      return refuse(layer.getLoc(), "layer @" + layer.getSymName() +
                                        " has no state (no ssm.scan)");
    if (scans.size() > 1) {
      std::string names;
      for (ScanOp s : scans)
        names += (names.empty() ? "'" : ", '") + s.getState().str() + "'";
      return refuse(scans[1].getLoc(),
                    "layer @" + layer.getSymName() + " has " +
                        Twine(scans.size()) + " states (" + names +
                        "); the diagonal kernel family carries one state");
    }
    scan = scans.front();
    dense = scan.getDense();
    if (Value init = scan.getInit()) {
      auto arg = dyn_cast<BlockArgument>(init);
      if (!arg || layer.getArgRole(arg.getArgNumber()) != kRoleStateInit)
        return refuse(scan.getLoc(), "the initial value of state '" +
                                         scan.getState() +
                                         "' is computed; it must be a "
                                         "state_init argument");
    }
    stateDims = scan.getStateDims();
    inner = stateDims.back();
    rows.assign(stateDims.begin(), stateDims.end() - 1);
    StringAttr seq = StringAttr::get(ctx, kSeqDim);
    SmallVector<StringAttr> allDims{seq};
    allDims.append(stateDims);
    rowLevel.assign({seq});
    rowLevel.append(rows);

    // Group dims (Mamba-2's ngroups) are indexed from their head dim.
    for (GroupOp group : body.getOps<GroupOp>()) {
      StringAttr head = group.getHeadAttr();
      if (!llvm::is_contained(rows, head))
        return refuse(group.getLoc(), "ssm.group maps " + group.getGroup() +
                                          " to " + head.getValue() +
                                          ", which is not a row dim of state '" +
                                          scan.getState() + "' " +
                                          formatDims(rows));
      auto [it, inserted] = groups.try_emplace(group.getGroupAttr(), head);
      if (!inserted && it->second != head)
        return refuse(group.getLoc(), "group dim " + group.getGroup() +
                                          " is mapped to both " +
                                          it->second.getValue() + " and " +
                                          head.getValue());
    }

    seqDep.insert(scan.getStates());
    for (Operation &op : body.without_terminator()) {
      if (&op == scan.getOperation())
        continue;
      if (llvm::is_contained(op.getOperands(), scan.getFinal()))
        return refuse(op.getLoc(), "the final value of state '" +
                                       scan.getState() + "' is used by " +
                                       op.getName().getStringRef() +
                                       "; it can only be a result");
      for (Value r : op.getResults())
        if (!isSubset(indexedDims(r.getType()), allDims))
          return refuse(op.getLoc(),
                        op.getName().getStringRef() + " computes a value with dims " +
                            formatDims(r.getType()) +
                            "; the fused kernel only indexes L and the dims of "
                            "state '" +
                            scan.getState() + "' " + formatDims(stateDims));
      bool dep = llvm::any_of(op.getOperands(),
                              [&](Value v) { return seqDep.contains(v); });
      if (std::optional<Refusal> r = checkOp(op, dep))
        return r;
      if (dep)
        for (Value r : op.getResults())
          seqDep.insert(r);
    }
    return checkResults(cast<ReturnOp>(body.getTerminator()));
  }

  std::optional<Refusal> checkOp(Operation &op, bool dep) {
    StringRef n = inner.getValue();
    if (isa<MapOp, DiscretizeOp>(op)) {
      if (!dep)
        return std::nullopt;
      bool usesSum = llvm::any_of(op.getOperands(),
                                  [&](Value v) { return isOutLevel(v); });
      bool keepsN = llvm::any_of(op.getResults(), [&](Value v) {
        return hasDim(v.getType(), n);
      });
      if (usesSum && keepsN)
        return refuse(op.getLoc(),
                      "a value combines a sum over " + n + " with the state '" +
                          scan.getState() +
                          "' again; the kernel sums over " + n +
                          " after all terms are known");
      return std::nullopt;
    }
    if (isa<EyeOp, InvOp, MatMulOp>(op)) {
      // Time-invariant setup of the dense form: it stays before the fused op,
      // which takes its results as inputs.
      if (dep)
        return refuse(op.getLoc(), op.getName().getStringRef() +
                                       " of a value that depends on the state '" +
                                       scan.getState() + "' is not fusable");
      if (!dense)
        return refuse(op.getLoc(),
                      op.getName().getStringRef() +
                          " computes a matrix, but state '" + scan.getState() +
                          "' has a diagonal decay; matrix ops are supported "
                          "for a dense decay (A @ h) only");
      return std::nullopt;
    }
    if (isa<GroupOp>(op)) {
      if (dep)
        return refuse(op.getLoc(), "grouping a value that depends on the state '" +
                                       scan.getState() + "' is not fusable");
      return std::nullopt;
    }
    auto checkReduction = [&](Value stateSide, Value coeff,
                              StringRef dim) -> std::optional<Refusal> {
      if (!seqDep.contains(stateSide))
        return refuse(op.getLoc(),
                      "a reduction over " + dim +
                          " before the scan (of values that do not depend on "
                          "the state) is not fusable");
      if (dim != n)
        return refuse(op.getLoc(),
                      "reduction over " + dim +
                          ", which is not the last dim " + n + " of state '" +
                          scan.getState() + "' " + formatDims(stateDims));
      if (coeff && seqDep.contains(coeff))
        return refuse(op.getLoc(), "both operands of the contraction depend "
                                   "on the state '" +
                                       scan.getState() + "'");
      if (isOutLevel(stateSide))
        return refuse(op.getLoc(), "a reduction over " + dim +
                                       " of a value already summed over " + n);
      terms.push_back(Term{&op, stateSide, coeff});
      return std::nullopt;
    };
    if (auto project = dyn_cast<ProjectOp>(op)) {
      // Either operand may carry the state; the other is the coefficient.
      Value s = project.getState(), c = project.getCoeff();
      if (!seqDep.contains(s) && seqDep.contains(c))
        std::swap(s, c);
      return checkReduction(s, c, project.getDim());
    }
    if (auto reduce = dyn_cast<ReduceOp>(op))
      return checkReduction(reduce.getInput(), Value(), reduce.getDim());
    return refuse(op.getLoc(), op.getName().getStringRef() +
                                   " cannot be part of a fused layer");
  }

  std::optional<Refusal> checkResults(ReturnOp ret) {
    for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
      StringRef name = layer.getResultName(i);
      if (layer.getResultRole(i) == kRoleStateFinal) {
        if (v != scan.getFinal())
          return refuse(ret.getLoc(), "result '" + name +
                                          "' (state_final) is not the final "
                                          "value of state '" +
                                          scan.getState() + "'");
        hasFinal = true;
        continue;
      }
      if (isContribLevel(v))
        return refuse(ret.getLoc(), "out '" + name + "' keeps the inner dim " +
                                        inner.getValue() + " of state '" +
                                        scan.getState() +
                                        "' (it is never reduced)");
      if (!isSameSet(getDimNames(v.getType()), rowLevel))
        return refuse(ret.getLoc(),
                      "out '" + name + "' has dims " + formatDims(v.getType()) +
                          " but the fused kernel writes one value per row and "
                          "step " +
                          formatDims(rowLevel));
      outs.push_back(v);
      outTypes.push_back(layer.getResultTypes()[i]);
    }
    return std::nullopt;
  }

  /// The matrix ops' results (time-invariant setup) that the elementwise
  /// trees under `root` read.
  void collectSetupLeaves(Value root, llvm::SmallPtrSetImpl<Value> &visited,
                          llvm::SetVector<Value> &leaves) {
    if (!visited.insert(root).second)
      return;
    Operation *def = root.getDefiningOp();
    if (!def)
      return;
    if (isa<EyeOp, InvOp, MatMulOp>(def)) {
      leaves.insert(root);
      return;
    }
    if (isa<MapOp, DiscretizeOp, GroupOp>(def))
      for (Value o : def->getOperands())
        collectSetupLeaves(o, visited, leaves);
  }

  /// Row values: computed values at row level that the elem and contrib
  /// regions need (computed once per row and step in the row region).
  void collectRowValues(Value root, llvm::SmallPtrSetImpl<Value> &visited) {
    if (!visited.insert(root).second)
      return;
    Operation *def = root.getDefiningOp();
    if (!def || !isa<MapOp, DiscretizeOp>(def))
      return; // layer arguments, the state sequence
    if (!seqDep.contains(root) && isSubset(indexedDims(root.getType()), rowLevel)) {
      rowValues.insert(root);
      return;
    }
    Block &body = def->getRegion(0).front();
    auto &deps = argDeps.try_emplace(&body).first->second;
    if (deps.empty())
      deps = computeBlockArgDeps(body);
    Value yielded = cast<YieldOp>(body.getTerminator())
                        .getValues()[cast<OpResult>(root).getResultNumber()];
    llvm::BitVector used = deps.lookup(yielded); // set_bits() of a temporary would dangle
    for (unsigned i : used.set_bits())
      collectRowValues(def->getOperand(i), visited);
  }

  void build() {
    Block &body = layer.getBody().front();
    auto ret = cast<ReturnOp>(body.getTerminator());
    OpBuilder b(ret);
    Location loc = scan.getLoc();

    SmallVector<Value> inputs;
    DenseMap<Value, unsigned> inputIndex;
    for (BlockArgument arg : body.getArguments()) {
      StringRef role = layer.getArgRole(arg.getArgNumber());
      if (role == kRoleIn || role == kRoleParam) {
        inputIndex[arg] = inputs.size();
        inputs.push_back(arg);
      }
    }
    if (dense) {
      // The dense form reads the decay matrix and any other setup value (a
      // matrix op's result under the elementwise trees) as inputs.
      llvm::SmallPtrSet<Value, 32> visited;
      llvm::SetVector<Value> leaves;
      collectSetupLeaves(scan.getInput(), visited, leaves);
      for (const Term &t : terms) {
        collectSetupLeaves(t.stateSide, visited, leaves);
        if (t.coeff)
          collectSetupLeaves(t.coeff, visited, leaves);
      }
      for (Value r : outs)
        collectSetupLeaves(r, visited, leaves);
      leaves.insert(scan.getDecay());
      for (Value v : leaves)
        if (!inputIndex.count(v)) {
          inputIndex[v] = inputs.size();
          inputs.push_back(v);
        }
    }
    {
      llvm::SmallPtrSet<Value, 32> visited;
      if (!dense)
        collectRowValues(scan.getDecay(), visited);
      collectRowValues(scan.getInput(), visited);
      for (const Term &t : terms) {
        collectRowValues(t.stateSide, visited);
        if (t.coeff)
          collectRowValues(t.coeff, visited);
      }
    }

    Type stateType = scan.getStates().getType().getElementType();
    Type finalType = hasFinal ? scan.getFinal().getType() : Type();
    SmallVector<Attribute> rowAttrs(rows.begin(), rows.end());
    DictionaryAttr groupsAttr;
    if (!groups.empty()) {
      SmallVector<NamedAttribute> entries;
      for (auto [g, h] : groups)
        entries.push_back(b.getNamedAttr(g, h));
      groupsAttr = b.getDictionaryAttr(entries);
    }
    auto fused = FusedOp::create(
        b, loc, outTypes, finalType, scan.getStateAttr(),
        b.getArrayAttr(rowAttrs), inner, layer.getFactsAttr(),
        /*strategy=*/StringAttr(), groupsAttr,
        dense ? b.getI64IntegerAttr(inputIndex.lookup(scan.getDecay())) : IntegerAttr(),
        inputs, scan.getInit());

    SmallVector<Type> inputTypes;
    SmallVector<Location> inputLocs;
    for (Value v : inputs) {
      inputTypes.push_back(getElementComputeType(v.getType()));
      inputLocs.push_back(v.getLoc());
    }
    SmallVector<Type> rowTypes;
    for (Value v : rowValues)
      rowTypes.push_back(getElementComputeType(v.getType()));

    auto makeBlock = [&](KernelRegion kind, ArrayRef<Type> extras) -> Block * {
      Region &region = fused->getRegion(static_cast<unsigned>(kind));
      Block *block = new Block();
      region.push_back(block);
      block->addArguments(inputTypes, inputLocs);
      for (Type t : extras)
        block->addArgument(t, loc);
      return block;
    };
    auto seedRowValues = [&](Scalarizer &s, Block *block) {
      for (auto [k, v] : llvm::enumerate(rowValues))
        s.seed(v, block->getArgument(inputs.size() + k));
    };

    // row: the row values.
    {
      Block *block = makeBlock(KernelRegion::Row, {});
      Scalarizer s(block, inputIndex);
      SmallVector<Value> yields;
      for (Value v : rowValues)
        yields.push_back(s.get(v));
      YieldOp::create(s.getBuilder(), loc, yields);
    }
    // elem: decay and input, both of the state's type.
    {
      Block *block = makeBlock(KernelRegion::Elem, rowTypes);
      Scalarizer s(block, inputIndex);
      seedRowValues(s, block);
      OpBuilder &eb = s.getBuilder();
      Value input = s.get(scan.getInput());
      if (dense) {
        YieldOp::create(eb, loc, ValueRange{input});
      } else {
        Value decay = convertTo(eb, loc, s.get(scan.getDecay()), stateType);
        YieldOp::create(eb, loc, ValueRange{decay, input});
      }
    }
    // contrib: one term per reduction over the inner dim.
    SmallVector<Type> termTypes;
    {
      SmallVector<Type> extras(rowTypes);
      extras.push_back(stateType);
      Block *block = makeBlock(KernelRegion::Contrib, extras);
      Scalarizer s(block, inputIndex);
      seedRowValues(s, block);
      s.seed(scan.getStates(), block->getArguments().back());
      OpBuilder &cb = s.getBuilder();
      SmallVector<Value> yields;
      for (const Term &t : terms) {
        Type resultType = getElementComputeType(t.op->getResult(0).getType());
        Value term = s.get(t.stateSide);
        if (t.coeff)
          term = multiply(cb, t.op->getLoc(), term, s.get(t.coeff));
        yields.push_back(convertTo(cb, t.op->getLoc(), term, resultType));
        termTypes.push_back(resultType);
      }
      YieldOp::create(cb, loc, yields);
    }
    // out: what the outs compute from the sums.
    {
      SmallVector<Type> extras(rowTypes);
      extras.append(termTypes);
      Block *block = makeBlock(KernelRegion::Out, extras);
      Scalarizer s(block, inputIndex);
      seedRowValues(s, block);
      for (auto [k, t] : llvm::enumerate(terms))
        s.seed(t.op->getResult(0),
               block->getArgument(inputs.size() + rowValues.size() + k));
      SmallVector<Value> yields;
      for (Value v : outs)
        yields.push_back(s.get(v));
      YieldOp::create(s.getBuilder(), loc, yields);
    }

    // The layer now returns the fused op's results; the rest is dead.
    unsigned nextOut = 0;
    SmallVector<Value> results;
    for (unsigned i = 0, e = ret.getNumOperands(); i < e; ++i)
      results.push_back(layer.getResultRole(i) == kRoleStateFinal
                            ? Value(fused.getFinal())
                            : Value(fused.getOuts()[nextOut++]));
    ret->setOperands(results);
    for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body)))
      if (&op != ret.getOperation() && op.use_empty())
        op.erase();
  }

  LayerOp layer;
  MLIRContext *ctx;
  ScanOp scan;
  SmallVector<StringAttr> stateDims, rows, rowLevel;
  StringAttr inner;
  llvm::SmallDenseSet<Value, 32> seqDep;
  SmallVector<Term> terms;
  SmallVector<Value> outs;
  SmallVector<Type> outTypes; // the layer's storage types of the outs
  bool hasFinal = false;
  bool dense = false; // h = A @ h + b (dense_decay)
  llvm::SetVector<Value> rowValues;
  llvm::MapVector<StringAttr, StringAttr> groups; // group dim -> head dim
  DenseMap<Block *, DenseMap<Value, llvm::BitVector>> argDeps;
};

struct SsmFusePass : public ssm::impl::SsmFuseBase<SsmFusePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    FusedOp::getCanonicalizationPatterns(patterns, &getContext());
    FrozenRewritePatternSet frozen(std::move(patterns));
    for (auto layer : getOperation().getOps<LayerOp>()) {
      if (layer.getStepOf() || !layer.getBody().getOps<FusedOp>().empty())
        continue;
      if (std::optional<Refusal> r = LayerFuser(layer).run()) {
        emitRemark(r->loc) << "not fused: " << r->why;
        continue;
      }
      // Drop inputs no region reads and the region ops cloned but not used.
      if (failed(applyPatternsGreedily(layer.getOperation(), frozen)))
        return signalPassFailure();
    }
  }
};

} // namespace
