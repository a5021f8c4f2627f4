// MLIRGen: the typed layer model -> the ssm dialect (one op per concept, locations from the script).
#ifndef SSMC_MLIRGEN_H
#define SSMC_MLIRGEN_H

#include "ssmc/Sema.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

namespace ssmc {

/// Registers the dialects MLIRGen emits into `ctx`.
void loadDialects(mlir::MLIRContext &ctx);

/// Emits one `ssm.layer` per layer of `prog` into a new module and verifies it. Constructs the
/// dialect cannot express yet are reported to `diags` at their source location; the result is
/// null when anything was reported.
mlir::OwningOpRef<mlir::ModuleOp> mlirGen(mlir::MLIRContext &ctx, const sema::Program &prog,
                                          const SourceManager &sm, DiagEngine &diags);

/// An MLIR location the way the front end prints its own: "file:line:col" (the first
/// file location inside a fused, name or call-site location), or "<unknown location>".
std::string formatLocation(mlir::Location loc);

} // namespace ssmc

#endif
