// Printing the per-element region functions of fused layers as C++ (through EmitC).
#ifndef SSM_EMITC_H
#define SSM_EMITC_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace mlir::ssm {

/// The name of the emitted function for region `regionName` of layer `layer`:
/// "<layer>_<region>", e.g. "s6_elem".
std::string getRegionFunctionName(StringRef layer, StringRef regionName);

/// The name of the emitted function for the `index`-th setup map (in body
/// order) of a dense layer: "<layer>_setup<index>".
std::string getSetupFunctionName(StringRef layer, unsigned index);

/// Lowers a clone of `module` with --ssm-lower-to-emitc and prints every region
/// function as C++ to `os` (the ssm.fused / ssm.step ops of `module` must have
/// been produced by the ssm pipeline). `module` itself is not changed. Errors
/// are reported through the context's diagnostic handler.
LogicalResult emitRegionFunctions(ModuleOp module, llvm::raw_ostream &os);

} // namespace mlir::ssm

#endif // SSM_EMITC_H
