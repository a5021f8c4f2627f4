// compileScript: the whole pipeline in process (front end, MLIR passes, CUDA target, NVRTC).
#include "ssmc/Compiler.h"
#include "ssmc/CudaTarget.h"
#include "ssmc/MLIRGen.h"

#include "ssm/Passes.h"

#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

namespace ssmc {

bool compileScript(const std::string &path, const std::optional<std::string> &text, const CompileOptions &options,
                   CompileResult &result) {
  using clock = std::chrono::steady_clock;
  auto ms = [](clock::time_point a, clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
  result = CompileResult();
  auto t0 = clock::now();
  SourceManager sm;
  DiagEngine diags(sm);
  sema::Options so;
  so.includeDirs = options.includeDirs;
  so.defaultDType = options.dtype;
  so.dimOverrides = options.dims;
  sema::Program prog = sema::analyze(path, text, so, sm, diags);
  auto t1 = clock::now();
  result.msFrontEnd = ms(t0, t1);
  auto flush = [&] {
    for (const Diagnostic &d : diags.all())
      result.diagnostics += diags.format(d);
  };
  if (diags.hasErrors()) {
    flush();
    return false;
  }

  mlir::MLIRContext ctx(mlir::MLIRContext::Threading::DISABLED);
  ctx.loadDialect<mlir::emitc::EmitCDialect, mlir::func::FuncDialect, mlir::scf::SCFDialect>();
  bool mlirErrors = false;
  std::string mlirDiags;
  mlir::ScopedDiagnosticHandler handler(&ctx, [&](mlir::Diagnostic &d) {
    llvm::raw_string_ostream os(mlirDiags);
    const char *sev = d.getSeverity() == mlir::DiagnosticSeverity::Error     ? "error"
                      : d.getSeverity() == mlir::DiagnosticSeverity::Warning ? "warning"
                      : d.getSeverity() == mlir::DiagnosticSeverity::Remark  ? "remark"
                                                                             : "note";
    mlirErrors |= d.getSeverity() == mlir::DiagnosticSeverity::Error;
    os << formatLocation(d.getLocation()) << ": " << sev << ": " << d.str() << "\n";
    return mlir::success();
  });
  mlir::OwningOpRef<mlir::ModuleOp> module = mlirGen(ctx, prog, sm, diags);
  flush();
  if (!module)
    return false;
  mlir::PassManager pm(&ctx);
  mlir::ssm::PipelineOptions po;
  po.forceStrategy = options.strategy;
  mlir::ssm::buildSsmPipeline(pm, po);
  bool ok = mlir::succeeded(pm.run(*module)) && !mlirErrors;
  result.diagnostics += mlirDiags;
  auto t2 = clock::now();
  result.msMlir = ms(t1, t2);
  if (!ok)
    return false;

  CudaOutput cuda;
  std::string err;
  CudaOptions co;
  co.jit = options.archs.empty(); // a source-only pack: the runtime compiles it on first use
  if (!emitCuda(*module, prog, sm, cuda, err, co)) {
    result.diagnostics += "ssmc: error: " + err + "\n";
    return false;
  }
  auto t3 = clock::now();
  result.msCuda = ms(t2, t3);
  std::vector<ssmrt::PackEntry> entries;
  if (options.archs.empty()) {
    entries.push_back({"manifest.json", ssmrt::writeManifest(cuda.manifest)});
    entries.push_back({"source.cu", cuda.source});
  } else if (!buildPackEntries(cuda, options.archs, entries, err)) {
    result.diagnostics += "ssmc: error: " + err + "\n";
    return false;
  }
  result.msNvrtc = ms(t3, clock::now());
  ssmrt::Status st = ssmrt::writePack(entries, &result.pack);
  if (!st.isOk()) {
    result.diagnostics += "ssmc: error: writing the pack: " + st.message() + "\n";
    return false;
  }
  return true;
}

} // namespace ssmc
