// Test fixtures shared by the runtime tests: a Mamba-S6-shaped manifest and packs built
// from it with the library's own writer, plus a scratch directory per test.
#ifndef SSMRT_TESTS_SAMPLE_PACK_H
#define SSMRT_TESTS_SAMPLE_PACK_H

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include "ssmrt/manifest.h"
#include "ssmrt/pack.h"

namespace ssmrt_test {

// One launch whose grid is ceil_div(D * B, 128) blocks along x.
inline ssmrt::ManifestLaunch sampleLaunch(const std::string &kernel) {
  ssmrt::ManifestLaunch l;
  l.kernel = kernel;
  l.block[0] = 128;
  l.grid[0] = ssmrt::GridRule{1536, true, 0, 128};
  return l;
}

// Layer "s6": dims D = 1536, N = 16; ins x, dt [D] bf16, B [N] bf16; param A [D, N] f32;
// out y [D] bf16; state h [D, N] f32. Layer "lti": dims D = 8, forward only.
inline ssmrt::Manifest sampleManifest() {
  using namespace ssmrt;
  Manifest m;
  m.compiler = "ssmc test";
  m.nvrtcOptions = {"-std=c++17"};
  ManifestLayer s6;
  s6.name = "s6";
  s6.source = SourceLocation{"stdlib/mamba_s6.ssm", 12, 1};
  s6.dims = {{"D", 1536}, {"N", 16}};
  s6.tensors = {
      {"x", SSMRT_ROLE_IN, SSMRT_DTYPE_BF16, {"D"}},
      {"dt", SSMRT_ROLE_IN, SSMRT_DTYPE_BF16, {"D"}},
      {"B", SSMRT_ROLE_IN, SSMRT_DTYPE_BF16, {"N"}},
      {"A", SSMRT_ROLE_PARAM, SSMRT_DTYPE_F32, {"D", "N"}},
      {"y", SSMRT_ROLE_OUT, SSMRT_DTYPE_BF16, {"D"}},
  };
  s6.states = {{"h", SSMRT_DTYPE_F32, {"D", "N"}}};
  s6.facts = {{"selective", true}, {"lti", false}, {"scalar_decay", false}};
  s6.strategy = "lane";
  s6.forward = {sampleLaunch("ssm_s6_fwd")};
  s6.step = {sampleLaunch("ssm_s6_step")};

  ManifestLayer lti;
  lti.name = "lti";
  lti.dims = {{"D", 8}};
  lti.tensors = {{"u", SSMRT_ROLE_IN, SSMRT_DTYPE_F32, {"D"}}, {"v", SSMRT_ROLE_OUT, SSMRT_DTYPE_F32, {"D"}}};
  lti.states = {{"h", SSMRT_DTYPE_C64, {"D"}}};
  lti.forward = {sampleLaunch("ssm_lti_fwd")};
  m.layers = {s6, lti};
  return m;
}

inline std::vector<ssmrt::PackEntry> sampleEntries() {
  return {
      {"manifest.json", ssmrt::writeManifest(sampleManifest())},
      {"source.cu", "#include \"ssmrt/abi.h\"\nextern \"C\" __global__ void ssm_s6_fwd(ssm_launch_args a) {}\n"},
      {"cubin.sm_90", std::string("\x7f" "ELF\0\1\2\3 not a real cubin", 24)},
      {"ptx.sm_90", "// PTX placeholder\n"},
  };
}

inline std::string samplePackBytes() {
  std::string bytes;
  ssmrt::writePack(sampleEntries(), &bytes);
  return bytes;
}

// A fresh directory under the test temp dir, removed (with its files) at scope exit.
class ScratchDir {
 public:
  ScratchDir() {
    const char *base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/ssmrt_test_XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data())) path_ = buf.data();
  }
  ~ScratchDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  const std::string &path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace ssmrt_test

#endif  // SSMRT_TESTS_SAMPLE_PACK_H
