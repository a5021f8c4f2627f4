// The ops of the ssm dialect.
#ifndef SSM_SSMOPS_H
#define SSM_SSMOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/RegionKindInterface.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "ssm/SsmDialect.h"
#include "llvm/ADT/BitVector.h"

#define GET_OP_CLASSES
#include "ssm/SsmOps.h.inc"

namespace mlir::ssm {

/// For every value of `block`, the block arguments it depends on (bit i =
/// argument i), through the block's ops and values their regions use.
DenseMap<Value, llvm::BitVector> computeBlockArgDeps(Block &block);

/// The four regions of ssm.fused / ssm.step, in the order they appear.
enum class KernelRegion { Row = 0, Elem = 1, Contrib = 2, Out = 3 };
inline constexpr unsigned kNumKernelRegions = 4;
StringRef getKernelRegionName(KernelRegion kind);

/// Common view of ssm.fused and ssm.step (same regions, same conventions).
struct KernelView {
  Operation *op;
  StringAttr state;
  SmallVector<StringAttr> rows;
  StringAttr inner;
  ValueRange inputs;
  DictionaryAttr groups; // group dim -> head dim, may be null
  /// The dense form: the index of the input holding the square decay matrix
  /// (available in no region; `elem` yields only the input term).
  std::optional<unsigned> denseDecay;

  /// The dims of input `i` with each group dim replaced by its head dim.
  SmallVector<StringAttr> inputDims(unsigned i) const;

  static std::optional<KernelView> get(Operation *op);
  Region &region(KernelRegion kind) const;
  /// Dims an input may have to be available in a region of this kind.
  SmallVector<StringAttr> levelDims(KernelRegion kind) const;
  /// Indices of the inputs available in a region of this kind.
  SmallVector<unsigned> availableInputs(KernelRegion kind) const;
  /// Number of row values (yields of the row region) and of contrib terms.
  unsigned numRowValues() const;
  unsigned numTerms() const;
  /// The state's element type (f32 or complex<f32>).
  Type stateElementType() const;
};

/// Whether a fused/step region of this kind sees the inner dim.
inline bool isPerElement(KernelRegion kind) {
  return kind == KernelRegion::Elem || kind == KernelRegion::Contrib;
}

} // namespace mlir::ssm

#endif // SSM_SSMOPS_H
