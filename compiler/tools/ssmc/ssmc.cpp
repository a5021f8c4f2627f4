// ssmc: the command-line driver. Reads a script, runs the pipeline to the stage asked for and
// prints it, or builds an .ssmpack.
#include "ssmc/Compiler.h"
#include "ssmc/CudaTarget.h"
#include "ssmc/HostRun.h"
#include "ssmc/Reference.h"
#include "ssmrt/ssmrt.h"
#include "ssmc/MLIRGen.h"
#include "ssmc/Sema.h"

#include "ssm/EmitC.h"
#include "ssm/Passes.h"

#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <algorithm>
#include <sstream>

#ifdef SSMC_SANITIZED
// LLVM's BumpPtrAllocator poisons its slabs when the code that inlines it is built with ASan;
// Debian's MLIR libraries are not, so memory they take from an allocator ours created stays
// poisoned and reads as a false use-after-poison. User poisoning off; the rest of ASan stays.
extern "C" const char *__asan_default_options() { return "allow_user_poisoning=0"; }
#endif

namespace {

const char *kUsage = R"(usage: ssmc FILE.ssm [options]
       ssmc build FILE.ssm -o FILE.ssmpack [options]
       ssmc run FILE.ssm [--batch=B] [--seqlen=L] [options]

Compiles state-space-model layers written in the ssmc language.

Without --emit, prints a summary of every layer in FILE: its dims, tensors and their roles,
its states and what the compiler found (selective or LTI, scalar decay per head).

'build' compiles to an .ssmpack: cubins for --arch, PTX for the newest, the CUDA source and
the manifest (runtime/FORMAT.md). 'run' runs the first layer on random inputs with the
params' default initializers: always with the float64 reference on the CPU, and, where a GPU
and driver are present, JIT-compiled on the GPU through the runtime, compared with the
reference.

options:
  --emit=STAGE        print one stage of the pipeline and stop:
                        ast      the typed AST (dims and dtype on every node)
                        ssm      the ssm dialect as MLIRGen emits it (one op per concept)
                        fused    after the pass pipeline: classify, fuse, derive-step,
                                 select-strategy
                        emitc    the fused regions lowered to EmitC
                        cpp      the C++ that EmitC prints for the fused regions
                        cuda     the whole CUDA source: layer structs and kernels
                        ptx      PTX for the newest --arch, compiled with NVRTC (no GPU needed)
                        manifest the manifest an .ssmpack carries (layers, tensors, launches)
  -o FILE             with 'build': the .ssmpack to write
  --arch=LIST         with 'build' and --emit=ptx: architectures, e.g. sm_80,sm_90 (default);
                      'none' builds a source-only pack that the runtime compiles on first use
  --batch=B, --seqlen=L  with 'run': the input shape (default 2 and 64)
  --strategy=NAME     force the kernel strategy of every fused op (lane, chunked, ssd, dense)
  --assume-batch=N    batch size the strategy cost model assumes (default 1)
  -I DIR              add DIR to the directories searched by import (repeatable)
  --dim NAME=SIZE     set (or override) the size of a dim, e.g. --dim N=16 (repeatable)
  --dtype=DTYPE       storage dtype of ins and outs declared without one: f32 (default), f16, bf16
  --time              print the time each phase took, to stderr
  --max-errors=N      stop printing after N errors (default 50)
  -h, --help          print this help
  --version           print the version
)";

/// `v` is all digits and its value is between 1 and `max`.
bool positiveUpTo(const std::string &v, long long max, long long &out) {
  if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos)
    return false;
  long long n = std::strtoll(v.c_str(), nullptr, 10);
  if (n < 1 || n > max)
    return false;
  out = n;
  return true;
}

struct Args {
  std::string command; // "" or "build"
  std::string file;
  std::string emit = "summary";
  std::string output;
  bool time = false;
  std::string strategy;
  long long assumeBatch = 1;
  std::vector<std::string> archs = {"sm_80", "sm_90"};
  long long batch = 2, seqlen = 64;
  unsigned maxErrors = 50;
  ssmc::sema::Options sema;
};

int usageError(const std::string &msg) {
  std::cerr << "ssmc: error: " << msg << "\n(run 'ssmc --help' for usage)\n";
  return 2;
}

// Returns -1 to continue, else an exit code.
int parseArgs(int argc, char **argv, Args &a) {
  auto value = [&](int &i, const std::string &flag, std::string &out) -> bool {
    std::string s = argv[i];
    if (s.size() > flag.size() && s.compare(0, flag.size(), flag) == 0 && s[flag.size()] == '=') {
      out = s.substr(flag.size() + 1);
      return true;
    }
    if (s == flag) {
      if (i + 1 >= argc)
        return false;
      out = argv[++i];
      return true;
    }
    return false;
  };
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    std::string v;
    if (s == "-h" || s == "--help") {
      std::cout << kUsage;
      return 0;
    }
    if (s == "--version") {
      std::cout << "ssmc 0.1.0\n";
      return 0;
    }
    if (s == "--time") {
      a.time = true;
    } else if (s.rfind("--emit", 0) == 0) {
      if (!value(i, "--emit", v))
        return usageError("--emit needs a stage, e.g. --emit=ast");
      a.emit = v;
    } else if (s.rfind("-I", 0) == 0) {
      if (s.size() > 2)
        a.sema.includeDirs.push_back(s.substr(2));
      else if (i + 1 < argc)
        a.sema.includeDirs.push_back(argv[++i]);
      else
        return usageError("-I needs a directory");
    } else if (s.rfind("--dim", 0) == 0) {
      if (!value(i, "--dim", v))
        return usageError("--dim needs NAME=SIZE");
      auto eq = v.find('=');
      char *end = nullptr;
      long long n = eq == std::string::npos ? 0 : std::strtoll(v.c_str() + eq + 1, &end, 10);
      if (eq == std::string::npos || eq == 0 || !end || *end || n <= 0 || n > (1ll << 31))
        return usageError("--dim " + v + ": expected NAME=SIZE with SIZE between 1 and 2^31");
      a.sema.dimOverrides[v.substr(0, eq)] = n;
    } else if (s.rfind("--dtype", 0) == 0) {
      if (!value(i, "--dtype", v))
        return usageError("--dtype needs f32, f16 or bf16");
      auto dt = ssmc::sema::parseDType(v);
      if (!dt || *dt == ssmc::sema::DType::C64)
        return usageError("--dtype " + v + ": expected f32, f16 or bf16");
      a.sema.defaultDType = *dt;
    } else if (s.rfind("--strategy", 0) == 0) {
      if (!value(i, "--strategy", v) || (v != "lane" && v != "chunked" && v != "ssd" && v != "dense"))
        return usageError("--strategy needs lane, chunked, ssd or dense");
      a.strategy = v;
    } else if (s.rfind("--arch", 0) == 0) {
      if (!value(i, "--arch", v) || v.empty())
        return usageError("--arch needs a list such as sm_80,sm_90");
      a.archs.clear();
      if (v == "none")
        continue; // a source-only pack: the runtime compiles it for its device (JIT)
      std::stringstream ss(v);
      std::string item;
      while (std::getline(ss, item, ',')) {
        if (item.size() < 5 || item.compare(0, 3, "sm_") != 0 ||
            item.find_first_not_of("0123456789", 3) != std::string::npos)
          return usageError("--arch " + item + ": expected sm_XY, e.g. sm_90");
        a.archs.push_back(item);
      }
    } else if (s.rfind("--batch", 0) == 0 || s.rfind("--seqlen", 0) == 0) {
      // Bounded so that batch * seqlen * elements cannot overflow where it is multiplied.
      std::string flag = s.rfind("--batch", 0) == 0 ? "--batch" : "--seqlen";
      long long n = 0;
      if (!value(i, flag, v) || !positiveUpTo(v, 1ll << 31, n))
        return usageError(flag + " needs a number between 1 and 2^31");
      (flag == "--batch" ? a.batch : a.seqlen) = n;
    } else if (s.rfind("--assume-batch", 0) == 0) {
      long long n = 0;
      if (!value(i, "--assume-batch", v) || !positiveUpTo(v, 1ll << 20, n))
        return usageError("--assume-batch needs a number between 1 and 2^20");
      a.assumeBatch = n;
    } else if (s.rfind("--max-errors", 0) == 0) {
      if (!value(i, "--max-errors", v))
        return usageError("--max-errors needs a number");
      a.maxErrors = static_cast<unsigned>(std::strtoul(v.c_str(), nullptr, 10));
    } else if (s == "-o") {
      if (i + 1 >= argc)
        return usageError("-o needs a file name");
      a.output = argv[++i];
    } else if ((s == "build" || s == "run") && a.command.empty() && a.file.empty()) {
      a.command = s;
    } else if (!s.empty() && s[0] == '-' && s != "-") {
      return usageError("unknown option '" + s + "'");
    } else if (a.file.empty()) {
      a.file = s;
    } else {
      return usageError("more than one input file ('" + a.file + "' and '" + s + "')");
    }
  }
  if (a.file.empty())
    return usageError("no input file");
  static const char *stages[] = {"summary", "ast", "ssm", "fused", "emitc", "cpp", "cuda", "ptx", "manifest"};
  bool known = false;
  for (const char *st : stages)
    known |= a.emit == st;
  if (!known)
    return usageError("unknown stage '" + a.emit + "' for --emit (known: ast, ssm, fused, emitc, cpp, cuda, ptx, manifest)");
  if (a.command == "build") {
    if (a.output.empty())
      return usageError("'ssmc build' needs -o FILE.ssmpack");
    a.emit = "build";
  }
  if (a.command == "run")
    a.emit = "run";
  return -1;
}

void printSummary(const ssmc::sema::Program &p, std::ostream &os) {
  using namespace ssmc::sema;
  for (const Layer &l : p.layers) {
    os << "layer " << l.name << "\n  dims:";
    for (auto &d : l.dims)
      os << " " << d.name << "=" << (d.size ? std::to_string(*d.size) : "?");
    os << "\n";
    for (const Tensor &t : l.tensors)
      os << "  " << ssmc::ast::roleName(t.role) << " " << t.name << ": " << dtypeName(t.dtype)
         << l.dimsString(t.dims) << (t.init.empty() ? "" : "  (init " + t.init + ")") << "\n";
    for (const State &s : l.states)
      os << "  state " << s.name << ": " << (s.complex ? "c64" : "f32") << l.dimsString(s.dims) << "  "
         << (s.dense ? "dense (A @ h + b)" : "diagonal (a * h + b)") << ", decay over "
         << l.dimsString(s.decay ? s.decay->dims : Dims{}) << "\n";
    os << "  facts: " << (l.facts.selective ? "selective (decay/input depend on ins)" : "LTI (time-invariant)")
       << (l.facts.scalarDecay ? ", scalar decay per head" : "") << "\n";
  }
}

int runMlirStages(const Args &args, const ssmc::sema::Program &prog, const ssmc::SourceManager &sm,
                  ssmc::DiagEngine &diags);

ssmc::CompileOptions compileOptions(const Args &a) {
  ssmc::CompileOptions o;
  o.includeDirs = a.sema.includeDirs;
  o.dims = a.sema.dimOverrides;
  o.dtype = a.sema.defaultDType;
  o.strategy = a.strategy;
  return o;
}

int buildPack(const Args &args) {
  ssmc::CompileOptions o = compileOptions(args);
  o.archs = args.archs;
  ssmc::CompileResult r;
  bool ok = ssmc::compileScript(args.file, std::nullopt, o, r);
  std::cerr << r.diagnostics;
  if (!ok)
    return 1;
  if (args.time)
    std::cerr << "ssmc: time: front end " << r.msFrontEnd << " ms, mlir " << r.msMlir << " ms, cuda " << r.msCuda
              << " ms, nvrtc " << r.msNvrtc << " ms\n";
  std::vector<ssmrt::PackEntry> entries;
  ssmrt::Status st = ssmrt::readPack(r.pack, &entries);
  if (st.isOk())
    st = ssmrt::writePackFile(args.output, entries);
  if (!st.isOk()) {
    std::cerr << "ssmc: error: cannot write " << args.output << ": " << st.message() << "\n";
    return 1;
  }
  std::cout << "ssmc: wrote " << args.output << " (" << r.pack.size() / 1024 << " KiB:";
  for (auto &e : entries)
    std::cout << " " << e.name;
  std::cout << ")\n";
  return 0;
}

int runLayer(const Args &args, const ssmc::sema::Program &prog) {
  using namespace ssmc;
  if (prog.layers.empty()) {
    std::cerr << "ssmc: error: " << args.file << " has no layer to run\n";
    return 1;
  }
  const sema::Layer &L = prog.layers[0];
  std::string err;
  ref::TensorMap vals, outs, hT;
  if (!ref::defaultParams(L, vals, &err) || !ref::randomInputs(L, args.batch, args.seqlen, 1, vals, &err)) {
    std::cerr << "ssmc: error: " << err << "\n";
    return 1;
  }
  host::quantizeAll(L, vals);
  auto t0 = std::chrono::steady_clock::now();
  if (!ref::evaluate(L, vals, args.batch, args.seqlen, nullptr, outs, &hT, &err)) {
    std::cerr << "ssmc: error: " << err << "\n";
    return 1;
  }
  double refMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "layer " << L.name << ": batch " << args.batch << ", seqlen " << args.seqlen
            << ", random ins, params from their initializers\n";
  std::cout << "float64 reference on the CPU (" << static_cast<int>(refMs) << " ms):\n";
  std::cout << ref::summarize(L, outs);

  ssmrt_context_options opts = SSMRT_CONTEXT_OPTIONS_INIT;
  ssmrt_context *ctx = nullptr;
  if (ssmrt_context_create(&opts, &ctx) != SSMRT_OK) {
    std::cout << "GPU: not run (" << ssmrt_last_error() << ")\n";
    return 0;
  }
  ssmrt_device_info info{};
  ssmrt_context_device_info(ctx, &info);
  ssmc::CompileOptions o = compileOptions(args); // no archs: the runtime JIT-compiles for this GPU
  ssmc::CompileResult r;
  bool ok = ssmc::compileScript(args.file, std::nullopt, o, r);
  std::cerr << r.diagnostics;
  ssmrt_module *mod = nullptr;
  ssmrt_layer *layer = nullptr;
  if (!ok || ssmrt_module_load_memory(ctx, r.pack.data(), r.pack.size(), &mod) != SSMRT_OK ||
      ssmrt_module_layer(mod, 0, &layer) != SSMRT_OK) {
    std::cerr << "ssmc: error: " << (ok ? ssmrt_last_error() : "compilation failed") << "\n";
    ssmrt_context_release(ctx);
    return 1;
  }
  auto t1 = std::chrono::steady_clock::now();
  int rc = 0;
  if (ssmrt_module_prepare(mod) != SSMRT_OK) {
    std::cerr << "ssmc: error: " << ssmrt_last_error() << "\n";
    rc = 1;
  } else {
    double jitMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count();
    std::map<std::string, std::vector<double>> got;
    double ms = 0;
    if (!host::run(L, layer, vals, args.batch, args.seqlen, false, 0, nullptr, nullptr, got, &err, &ms)) {
      std::cerr << "ssmc: error: " << err << "\n";
      rc = 1;
    } else {
      std::cout << "GPU " << info.name << ": compiled in " << static_cast<int>(r.msFrontEnd + r.msMlir + r.msCuda)
                << " ms + " << static_cast<int>(jitMs) << " ms NVRTC/load, forward " << ms << " ms\n";
      for (auto &[name, v] : got) {
        double e = host::relErr(v, outs.at(name).re);
        bool pass = e <= (L.tensor(name)->dtype == sema::DType::F32 ? 1e-5 : 1e-2);
        std::cout << "  out " << name << ": relative error vs the reference " << e << (pass ? "  ok" : "  TOO LARGE")
                  << "\n";
        rc |= pass ? 0 : 1;
      }
    }
  }
  ssmrt_module_release(mod);
  ssmrt_context_release(ctx);
  return rc;
}

} // namespace

int main(int argc, char **argv) {
  Args args;
  int rc = parseArgs(argc, argv, args);
  if (rc >= 0)
    return rc;

  // build goes through the library call, which analyses the script itself.
  if (args.emit == "build")
    return buildPack(args);

  using clock = std::chrono::steady_clock;
  auto t0 = clock::now();
  ssmc::SourceManager sm;
  ssmc::DiagEngine diags(sm);
  diags.setErrorLimit(args.maxErrors);
  ssmc::sema::Program prog = ssmc::sema::analyze(args.file, std::nullopt, args.sema, sm, diags);
  auto t1 = clock::now();
  diags.print(std::cerr);
  if (args.time)
    std::cerr << "ssmc: time: parse+sema "
              << std::chrono::duration<double, std::milli>(t1 - t0).count() << " ms\n";
  if (diags.hasErrors()) {
    std::cerr << diags.errorCount() << " error" << (diags.errorCount() == 1 ? "" : "s") << " generated.\n";
    return 1;
  }
  if (args.emit == "ast") {
    ssmc::sema::printTyped(prog, std::cout);
    return 0;
  }
  if (args.emit == "summary") {
    printSummary(prog, std::cout);
    return 0;
  }
  if (args.emit == "run")
    return runLayer(args, prog);
  return runMlirStages(args, prog, sm, diags);
}

namespace {

/// MLIR's diagnostics printed like the front end's: file:line:col: severity: message.
void printMlirDiagnostic(mlir::Diagnostic &d) {
  llvm::errs() << ssmc::formatLocation(d.getLocation()) << ": ";
  switch (d.getSeverity()) {
  case mlir::DiagnosticSeverity::Error:
    llvm::errs() << "error: ";
    break;
  case mlir::DiagnosticSeverity::Warning:
    llvm::errs() << "warning: ";
    break;
  case mlir::DiagnosticSeverity::Remark:
    llvm::errs() << "remark: ";
    break;
  default:
    llvm::errs() << "note: ";
  }
  llvm::errs() << d.str() << "\n";
}

int runMlirStages(const Args &args, const ssmc::sema::Program &prog, const ssmc::SourceManager &sm,
                  ssmc::DiagEngine &diags) {
  using clock = std::chrono::steady_clock;
  auto t0 = clock::now();
  mlir::MLIRContext ctx;
  ctx.loadDialect<mlir::emitc::EmitCDialect, mlir::func::FuncDialect, mlir::scf::SCFDialect>();
  bool errors = false;
  mlir::ScopedDiagnosticHandler handler(&ctx, [&](mlir::Diagnostic &d) {
    errors |= d.getSeverity() == mlir::DiagnosticSeverity::Error;
    // Remarks explain what was not fused; show them only where fusion is the stage asked for.
    if (d.getSeverity() != mlir::DiagnosticSeverity::Remark || args.emit != "ssm")
      printMlirDiagnostic(d);
    return mlir::success();
  });
  ssmc::DiagEngine genDiags(sm);
  mlir::OwningOpRef<mlir::ModuleOp> module = ssmc::mlirGen(ctx, prog, sm, genDiags);
  genDiags.print(std::cerr);
  if (!module)
    return 1;
  auto t1 = clock::now();
  if (args.emit == "ssm") {
    module->print(llvm::outs());
    llvm::outs() << "\n";
    return 0;
  }
  mlir::PassManager pm(&ctx);
  mlir::ssm::PipelineOptions opts;
  opts.forceStrategy = args.strategy;
  opts.batch = args.assumeBatch;
  mlir::ssm::buildSsmPipeline(pm, opts);
  if (args.emit == "emitc")
    mlir::ssm::buildSsmLoweringPipeline(pm);
  if (mlir::failed(pm.run(*module)) || errors)
    return 1;
  auto t2 = clock::now();
  if (args.time)
    std::cerr << "ssmc: time: mlirgen " << std::chrono::duration<double, std::milli>(t1 - t0).count()
              << " ms, passes " << std::chrono::duration<double, std::milli>(t2 - t1).count() << " ms\n";
  if (args.emit == "cpp") {
    if (mlir::failed(mlir::ssm::emitRegionFunctions(*module, llvm::outs())))
      return 1;
    return 0;
  }
  if (args.emit == "cuda" || args.emit == "ptx" || args.emit == "manifest") {
    ssmc::CudaOutput cuda;
    std::string err;
    if (!ssmc::emitCuda(*module, prog, sm, cuda, err)) {
      std::cerr << "ssmc: error: " << err << "\n";
      return 1;
    }
    if (args.emit == "cuda") {
      std::cout << cuda.source;
      return 0;
    }
    if (args.emit == "manifest") {
      std::cout << ssmrt::writeManifest(cuda.manifest) << "\n";
      return 0;
    }
    std::vector<std::string> archs = args.archs;
    if (args.emit == "ptx")
      archs = {archs.empty() ? std::string("sm_90") : *std::max_element(archs.begin(), archs.end())};
    std::vector<ssmrt::PackEntry> entries;
    auto t3 = clock::now();
    if (!ssmc::buildPackEntries(cuda, archs, entries, err)) {
      std::cerr << "ssmc: error: " << err << "\n";
      return 1;
    }
    if (args.time)
      std::cerr << "ssmc: time: nvrtc " << std::chrono::duration<double, std::milli>(clock::now() - t3).count()
                << " ms for " << archs.size() << " arch(s) + PTX\n";
    if (args.emit == "ptx") {
      for (auto &e : entries)
        if (e.name.rfind("ptx.", 0) == 0)
          std::cout << e.bytes;
      return 0;
    }
    return 0;
  }
  module->print(llvm::outs());
  llvm::outs() << "\n";
  return 0;
}

} // namespace
