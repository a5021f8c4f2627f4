// Canonicalization of ssm ops: merging map chains, pruning unused operands.
#include "ssm/SsmOps.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace mlir::ssm;

namespace {

/// map(map(a, b), c) -> map(a, b, c): a producer map whose results are only
/// used by this map is inlined into its region. Broadcasting by name makes this
/// always valid: the producer's dims are within the consumer's.
struct MergeProducerMap : public OpRewritePattern<MapOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MapOp op, PatternRewriter &rewriter) const override {
    MapOp producer;
    for (Value v : op.getInputs()) {
      auto p = v.getDefiningOp<MapOp>();
      if (p && llvm::all_of(p->getUsers(), [&](Operation *u) { return u == op; })) {
        producer = p;
        break;
      }
    }
    if (!producer)
      return rewriter.notifyMatchFailure(op, "no producer map used only here");

    SmallVector<Value> inputs;
    for (Value v : op.getInputs())
      if (v.getDefiningOp() != producer)
        inputs.push_back(v);
    unsigned firstProducerInput = inputs.size();
    llvm::append_range(inputs, producer.getInputs());

    auto merged = MapOp::create(rewriter, op.getLoc(), op.getResultTypes(), inputs);
    Block *block = &merged.getBody().front();
    IRMapping mapping;
    for (auto [i, arg] : llvm::enumerate(producer.getBody().getArguments()))
      mapping.map(arg, block->getArgument(firstProducerInput + i));
    rewriter.setInsertionPointToStart(block);
    for (Operation &inner : producer.getBody().front().without_terminator())
      rewriter.clone(inner, mapping);
    auto producerYield = cast<YieldOp>(producer.getBody().front().getTerminator());
    unsigned kept = 0;
    for (auto [i, v] : llvm::enumerate(op.getInputs())) {
      Value arg = op.getBody().getArgument(i);
      if (v.getDefiningOp() == producer) {
        unsigned r = cast<OpResult>(v).getResultNumber();
        mapping.map(arg, mapping.lookup(producerYield.getValues()[r]));
      } else {
        mapping.map(arg, block->getArgument(kept++));
      }
    }
    for (Operation &inner : op.getBody().front())
      rewriter.clone(inner, mapping);
    rewriter.replaceOp(op, merged.getResults());
    rewriter.eraseOp(producer);
    return success();
  }
};

/// Drops repeated operands and operands whose element is unused.
struct PruneMapOperands : public OpRewritePattern<MapOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MapOp op, PatternRewriter &rewriter) const override {
    Block &block = op.getBody().front();
    llvm::BitVector erase(op.getInputs().size());
    DenseMap<Value, unsigned> first;
    for (auto [i, v] : llvm::enumerate(op.getInputs())) {
      BlockArgument arg = block.getArgument(i);
      auto [it, inserted] = first.try_emplace(v, i);
      if (!inserted || arg.use_empty())
        erase.set(i);
    }
    if (erase.none())
      return rewriter.notifyMatchFailure(op, "operands are unique and used");
    rewriter.modifyOpInPlace(op, [&] {
      for (auto [i, v] : llvm::enumerate(op.getInputs())) {
        unsigned j = first.lookup(v);
        if (j != i)
          rewriter.replaceAllUsesWith(block.getArgument(i), block.getArgument(j));
      }
      block.eraseArguments(erase);
      op->eraseOperands(erase);
    });
    return success();
  }
};

/// A result that yields an operand's element unchanged is that operand.
struct ForwardMapOperand : public OpRewritePattern<MapOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MapOp op, PatternRewriter &rewriter) const override {
    auto yield = cast<YieldOp>(op.getBody().front().getTerminator());
    bool changed = false;
    for (auto [r, v] : llvm::enumerate(yield.getValues())) {
      auto arg = dyn_cast<BlockArgument>(v);
      Value result = op.getResult(r);
      if (!arg || result.use_empty())
        continue;
      Value input = op.getInputs()[arg.getArgNumber()];
      if (input.getType() != result.getType())
        continue;
      rewriter.replaceAllUsesWith(result, input);
      changed = true;
    }
    return success(changed);
  }
};

/// Drops inputs of a fused op that no region uses.
struct PruneFusedInputs : public OpRewritePattern<FusedOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(FusedOp op, PatternRewriter &rewriter) const override {
    unsigned n = op.getInputs().size();
    llvm::BitVector erase(n);
    std::optional<uint64_t> dense = op.getDenseDecay();
    for (unsigned i = 0; i < n; ++i)
      if (i != dense && llvm::all_of(op->getRegions(), [&](Region &r) {
            return r.front().getArgument(i).use_empty();
          }))
        erase.set(i);
    if (erase.none())
      return rewriter.notifyMatchFailure(op, "every input is used");
    rewriter.modifyOpInPlace(op, [&] {
      // The dense decay is read by the kernel, not by a region: it stays, and
      // its index moves down past the inputs dropped before it.
      if (dense) {
        uint64_t before = 0;
        for (unsigned i = 0; i < *dense; ++i)
          before += erase.test(i);
        op.setDenseDecay(*dense - before);
      }
      for (Region &r : op->getRegions())
        r.front().eraseArguments([&](BlockArgument a) {
          return a.getArgNumber() < n && erase.test(a.getArgNumber());
        });
      for (int i = n - 1; i >= 0; --i)
        if (erase.test(i))
          op.getInputsMutable().erase(i);
    });
    return success();
  }
};

} // namespace

void MapOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                        MLIRContext *context) {
  results.add<MergeProducerMap, PruneMapOperands, ForwardMapOperand>(context);
}

void FusedOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                          MLIRContext *context) {
  results.add<PruneFusedInputs>(context);
}
