// ssm-opt: runs ssm passes (and canonicalize/cse) over .mlir files, for lit tests and debugging.
#include "ssm/EmitC.h"
#include "ssm/Passes.h"
#include "ssm/SsmDialect.h"

#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

namespace {
/// --ssm-print-cpp: prints the region functions as C++ to stdout (tests of the
/// C++ the CUDA target receives; run with -o /dev/null).
struct PrintCppPass
    : public mlir::PassWrapper<PrintCppPass, mlir::OperationPass<mlir::ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(PrintCppPass)
  llvm::StringRef getArgument() const final { return "ssm-print-cpp"; }
  llvm::StringRef getDescription() const final {
    return "Print the region functions of fused layers as C++ to stdout";
  }
  void getDependentDialects(mlir::DialectRegistry &registry) const override {
    registry.insert<mlir::emitc::EmitCDialect>();
  }
  void runOnOperation() override {
    if (mlir::failed(mlir::ssm::emitRegionFunctions(getOperation(), llvm::outs())))
      signalPassFailure();
  }
};
} // namespace

int main(int argc, char **argv) {
  mlir::ssm::registerSsmPasses();
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::PassRegistration<PrintCppPass>();

  mlir::DialectRegistry registry;
  registry.insert<mlir::ssm::SsmDialect, mlir::arith::ArithDialect,
                  mlir::math::MathDialect, mlir::complex::ComplexDialect,
                  mlir::emitc::EmitCDialect, mlir::func::FuncDialect,
                  mlir::scf::SCFDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "ssm dialect optimizer\n", registry));
}
