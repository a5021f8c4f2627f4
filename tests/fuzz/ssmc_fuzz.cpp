// ssmc-fuzz: a libFuzzer target over the whole compiler short of NVRTC. Each input is a script;
// it goes through parse, sema, MLIRGen, the ssm pass pipeline, the lowering to EmitC and the
// CUDA target's source printing, all in memory.
//
// What counts as a bug (libFuzzer reports it, with the input, as a crash):
//   - anything the sanitizers see (memory errors, leaks, undefined behaviour), a crash, a hang;
//   - a diagnostic that says "internal error";
//   - a stage that fails without an error diagnostic;
//   - a pass that succeeds but leaves IR that does not verify (checked after every pass).
// A located error diagnostic is the right answer to a bad script and is not a finding.
//
// A first line `//! strategy=ssd dtype=bf16 batch=8 dim:N=64` sets what the driver's flags would
// (--strategy, --dtype, --assume-batch, --dim), so the fuzzer reaches those paths too; dims are
// passed unchecked, as a host calling compileScript could.
//
// Imports never touch the disk: the input is /ssmc-fuzz/input.ssm, and the only other files are
// the stdlib's, read once at start-up and served from memory under /ssmc-fuzz-stdlib/. So
// `import "discretize.ssm"` works, `import "input.ssm"` is a cycle, and `import "/dev/zero"` is
// simply not found: every run is fast and depends on the input alone.
#include "ssmc/CudaTarget.h"
#include "ssmc/MLIRGen.h"
#include "ssmc/Sema.h"

#include "ssm/Passes.h"

#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassInstrumentation.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#ifndef SSMC_STDLIB_DIR
#error "SSMC_STDLIB_DIR must name the stdlib directory"
#endif

#ifdef SSMC_SANITIZED
// LLVM's BumpPtrAllocator poisons its slabs when the code that inlines it is built with ASan;
// Debian's MLIR libraries are not, so memory they take from an allocator ours created stays
// poisoned and reads as a false use-after-poison. User poisoning off; the rest of ASan stays.
extern "C" const char *__asan_default_options() { return "allow_user_poisoning=0"; }
#endif

namespace {

const char *const kInputPath = "/ssmc-fuzz/input.ssm";
const char *const kStdlibDir = "/ssmc-fuzz-stdlib";

std::map<std::string, std::string> &stdlibFiles() {
  static std::map<std::string, std::string> files;
  return files;
}

[[noreturn]] void bug(const std::string &what, const std::string &detail = "") {
  std::fprintf(stderr, "ssmc-fuzz: BUG: %s\n%s\n", what.c_str(), detail.c_str());
  std::fflush(stderr);
  std::abort();
}

/// Messages that say the compiler itself went wrong start so (a message may quote the script,
/// so only the start counts).
void checkNotInternal(const std::string &message) {
  if (message.rfind("internal error", 0) == 0 || message.rfind("internal parser failure", 0) == 0)
    bug("an internal error reached the user", message);
}

/// Verifies the IR after every pass that succeeded (the pass manager's own verifier cannot tell
/// a broken pass from one that reported an error), and requires a failing pass to have said why.
class VerifyEachPass : public mlir::PassInstrumentation {
public:
  explicit VerifyEachPass(const unsigned &errors) : errors_(errors) {}
  void runBeforePass(mlir::Pass *, mlir::Operation *) override { before_ = errors_; }
  void runAfterPass(mlir::Pass *pass, mlir::Operation *op) override {
    if (mlir::failed(mlir::verify(op))) {
      std::string ir;
      llvm::raw_string_ostream os(ir);
      op->print(os, mlir::OpPrintingFlags().printGenericOpForm());
      bug("IR does not verify after pass " + pass->getName().str(), ir);
    }
  }
  void runAfterPassFailed(mlir::Pass *pass, mlir::Operation *) override {
    if (errors_ == before_)
      bug("pass " + pass->getName().str() + " failed without an error diagnostic");
  }

private:
  const unsigned &errors_;
  unsigned before_ = 0;
};

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  const char *dir = std::getenv("SSMC_FUZZ_STDLIB");
  std::filesystem::path stdlib = dir ? dir : SSMC_STDLIB_DIR;
  std::error_code ec;
  for (const auto &e : std::filesystem::directory_iterator(stdlib, ec)) {
    if (e.path().extension() != ".ssm")
      continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    stdlibFiles()[std::string(kStdlibDir) + "/" + e.path().filename().string()] = ss.str();
  }
  if (stdlibFiles().empty()) {
    std::fprintf(stderr, "ssmc-fuzz: no .ssm files in %s (set SSMC_FUZZ_STDLIB)\n", stdlib.c_str());
    std::exit(1);
  }
  return 0;
}

namespace {

/// Reads the `//!` options line (see the top of this file) into `so` and `po`.
void readOptions(const std::string &text, ssmc::sema::Options &so, mlir::ssm::PipelineOptions &po) {
  if (text.rfind("//!", 0) != 0)
    return;
  std::istringstream line(text.substr(3, text.find('\n') == std::string::npos ? std::string::npos : text.find('\n') - 3));
  std::string word;
  while (line >> word) {
    auto eq = word.find('=');
    if (eq == std::string::npos)
      continue;
    std::string key = word.substr(0, eq), value = word.substr(eq + 1);
    if (key == "strategy") {
      po.forceStrategy = value;
    } else if (key == "dtype") {
      if (auto dt = ssmc::sema::parseDType(value); dt && *dt != ssmc::sema::DType::C64)
        so.defaultDType = *dt;
    } else if (key == "batch") {
      long long b = std::strtoll(value.c_str(), nullptr, 10); // the driver's bound: 1 to 2^20
      po.batch = b >= 1 && b <= (1ll << 20) ? b : 1;
    } else if (key.rfind("dim:", 0) == 0 && key.size() > 4) {
      so.dimOverrides[key.substr(4)] = std::strtoll(value.c_str(), nullptr, 10);
    }
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string text(reinterpret_cast<const char *>(data), size);

  // Front end.
  ssmc::SourceManager sm;
  ssmc::DiagEngine diags(sm);
  ssmc::sema::Options so;
  mlir::ssm::PipelineOptions po;
  readOptions(text, so, po);
  so.includeDirs = {kStdlibDir};
  so.readImport = [&](const std::string &path) -> std::optional<std::string> {
    if (path == kInputPath)
      return text;
    auto it = stdlibFiles().find(path);
    if (it == stdlibFiles().end())
      return std::nullopt;
    return it->second;
  };
  ssmc::sema::Program prog = ssmc::sema::analyze(kInputPath, text, so, sm, diags);
  for (const ssmc::Diagnostic &d : diags.all()) {
    checkNotInternal(d.message);
    (void)diags.format(d); // the quoted line and the caret are fuzzed too
  }
  if (diags.hasErrors())
    return 0;

  // MLIRGen and the pass pipeline, in a context of their own (no threads: one input at a time).
  mlir::MLIRContext ctx(mlir::MLIRContext::Threading::DISABLED);
  ctx.loadDialect<mlir::emitc::EmitCDialect, mlir::func::FuncDialect, mlir::scf::SCFDialect>();
  unsigned mlirErrors = 0;
  std::string mlirLog;
  mlir::ScopedDiagnosticHandler handler(&ctx, [&](mlir::Diagnostic &d) {
    std::string msg = d.str();
    checkNotInternal(msg);
    if (d.getSeverity() == mlir::DiagnosticSeverity::Error) {
      ++mlirErrors;
      mlirLog += msg + "\n";
    }
    return mlir::success();
  });
  ssmc::DiagEngine genDiags(sm);
  mlir::OwningOpRef<mlir::ModuleOp> module = ssmc::mlirGen(ctx, prog, sm, genDiags);
  for (const ssmc::Diagnostic &d : genDiags.all()) {
    checkNotInternal(d.message);
    (void)genDiags.format(d);
  }
  if (!module) {
    if (!genDiags.hasErrors() && mlirErrors == 0)
      bug("MLIRGen returned no module and reported no error");
    return 0;
  }
  if (genDiags.hasErrors())
    bug("MLIRGen reported an error but returned a module");

  mlir::PassManager pm(&ctx);
  pm.enableVerifier(false); // VerifyEachPass does it, telling a broken pass from a failing one
  pm.addInstrumentation(std::make_unique<VerifyEachPass>(mlirErrors));
  mlir::ssm::buildSsmPipeline(pm, po);
  bool passed = mlir::succeeded(pm.run(*module));
  if (!passed && mlirErrors == 0)
    bug("the ssm pipeline failed without an error diagnostic");
  if (!passed || mlirErrors)
    return 0;

  // The CUDA target: lowering to EmitC, C++ printing, layer structs, the manifest. No NVRTC.
  ssmc::CudaOutput cuda;
  std::string err;
  if (!ssmc::emitCuda(*module, prog, sm, cuda, err)) {
    checkNotInternal(err);
    if (err.empty())
      bug("the CUDA target failed without a message", mlirLog);
    return 0;
  }
  if (cuda.source.empty())
    bug("the CUDA target succeeded with no source");
  return 0;
}
