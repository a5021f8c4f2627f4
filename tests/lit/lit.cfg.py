# lit configuration for ssmc: one suite over tests/lit (frontend/, dialect/, pipeline/, ...).
import os
import lit.formats

config.name = "ssmc"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".ssm", ".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.ssmc_obj_root, "tests", "lit")
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py.in"]

llvm_bin = config.llvm_tools_dir if os.path.isdir(config.llvm_tools_dir) else "/usr/lib/llvm-22/bin"
config.environment["PATH"] = os.pathsep.join(
    [config.ssmc_tools_dir, llvm_bin, config.environment.get("PATH", os.environ.get("PATH", ""))])

config.substitutions.append(("%stdlib", os.path.join(config.ssmc_src_root, "stdlib")))
config.substitutions.append(("%inputs", os.path.join(config.test_source_root, "frontend", "Inputs")))
if os.path.exists(os.path.join(config.ssmc_tools_dir, "ssm-opt")):
    config.available_features.add("ssm-opt")

# The sanitizer build (SSMC_SANITIZE): a report must abort, because `not ssmc` accepts any
# non-zero exit but not a signal; so a memory error, UB or leak fails a test that expects an
# error too. allow_user_poisoning=0: LLVM's BumpPtrAllocator, inlined into our instrumented code,
# poisons slabs that Debian's uninstrumented MLIR then allocates from (a false use-after-poison
# in ssm-opt and ssmc). Options from the environment are appended (they win).
if getattr(config, "ssmc_sanitize", False):
    config.available_features.add("sanitizer")
    for k, v in (("ASAN_OPTIONS", "abort_on_error=1:detect_leaks=1:allow_user_poisoning=0"),
                 ("UBSAN_OPTIONS", "abort_on_error=1:halt_on_error=1:print_stacktrace=1")):
        config.environment[k] = v + (":" + os.environ[k] if os.environ.get(k) else "")
