// The ssm dialect definition and the base class of its ops.
#ifndef SSM_DIALECT_TD
#define SSM_DIALECT_TD

include "mlir/IR/OpBase.td"

def Ssm_Dialect : Dialect {
  let name = "ssm";
  let cppNamespace = "::mlir::ssm";
  let summary = "State-space-model layers: discretize, scan, project, and their fused form";
  let description = [{
    The `ssm` dialect describes one SSM layer as a function of named-dim tensors
    (`ssm.layer`). The front end emits one op per concept (`ssm.map`,
    `ssm.discretize`, `ssm.scan`, `ssm.project`, `ssm.reduce`); passes classify
    the layer, fuse it into one `ssm.fused` op whose regions hold the per-element
    math at the level it is computed (row, element, contribution, output), derive
    the single-step `ssm.step` op and pick a kernel strategy.

    Values are builtin ranked tensors whose encoding names every axis:
    `tensor<?x1536xf32, #ssm.dims<["L", "D"]>>`. `L` is the sequence axis; it is
    always first and always dynamic. Batch is implicit and never an axis.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::complex::ComplexDialect"
  ];
  let useDefaultAttributePrinterParser = 1;
  let hasRegionArgAttrVerify = 1;
  let hasRegionResultAttrVerify = 1;
  let extraClassDeclaration = [{
    void registerAttributes();
  }];
}

class Ssm_Op<string mnemonic, list<Trait> traits = []>
    : Op<Ssm_Dialect, mnemonic, traits>;

#endif // SSM_DIALECT_TD
