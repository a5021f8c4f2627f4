// manifest.json: parsing the documented schema, round trip through the writer, and each
// malformed field reported by path.
#include <gtest/gtest.h>

#include "sample_pack.h"
#include "ssmrt/abi.h"
#include "ssmrt/manifest.h"

// The size abi.h documents (what every launch passes as kernel parameters).
static_assert(sizeof(void *) != 8 || sizeof(ssm_launch_args) == 1248, "abi.h states 1248 bytes");

using namespace ssmrt;

namespace {

// The example of runtime/FORMAT.md, completed.
const char *kDocExample = R"({
  "format": "ssmpack", "version": 1, "abi": 1,
  "compiler": "ssmc 0.1.0",
  "nvrtc_options": ["-std=c++17", "--use_fast_math"],
  "layers": [{
    "name": "s6",
    "source": {"file": "stdlib/mamba_s6.ssm", "line": 12, "col": 1},
    "dims": [["D", 1536], ["N", 16]],
    "tensors": [
      {"name": "x",  "role": "in",    "dtype": "bf16", "dims": ["D"]},
      {"name": "A",  "role": "param", "dtype": "f32",  "dims": ["D", "N"]},
      {"name": "y",  "role": "out",   "dtype": "bf16", "dims": ["D"]}
    ],
    "states": [{"name": "h", "dtype": "f32", "dims": ["D", "N"]}],
    "facts": {"selective": true, "lti": false, "scalar_decay": false},
    "strategy": "lane",
    "entries": {
      "forward": [{"kernel": "ssm_s6_fwd", "block": [128, 1, 1], "smem": 0,
                   "grid": [{"units": 1536, "batch": true, "seq_chunk": 0, "per_block": 128},
                            {"units": 1}, {"units": 1}],
                   "workspace": {"bytes": 64, "batch": true, "seq_chunk": 256}}],
      "step": [{"kernel": "ssm_s6_step", "block": [256, 1, 1],
                "grid": [{"units": 1536, "batch": true, "per_block": 256}, {"units": 1}, {"units": 1}]}]
    }
  }]
})";

// Parses kDocExample after replacing `from` with `to` (which must occur).
Status parseEdited(const std::string &from, const std::string &to) {
  std::string text = kDocExample;
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  Manifest m;
  return parseManifest(text, &m);
}

void expectError(const Status &s, const std::string &message) {
  EXPECT_EQ(s.code(), SSMRT_FORMAT_ERROR);
  EXPECT_EQ(s.message(), message);
}

}  // namespace

TEST(Manifest, ParsesTheDocumentedExample) {
  Manifest m;
  Status s = parseManifest(kDocExample, &m);
  ASSERT_TRUE(s) << s.message();
  EXPECT_EQ(m.version, 1);
  EXPECT_EQ(m.abi, SSM_ABI_VERSION);
  EXPECT_EQ(m.compiler, "ssmc 0.1.0");
  EXPECT_EQ(m.nvrtcOptions, (std::vector<std::string>{"-std=c++17", "--use_fast_math"}));
  ASSERT_EQ(m.layers.size(), 1u);
  const ManifestLayer &l = m.layers[0];
  EXPECT_EQ(l.name, "s6");
  EXPECT_EQ(l.locationString(), "stdlib/mamba_s6.ssm:12:1");
  EXPECT_EQ(l.dimValue("D"), 1536);
  EXPECT_EQ(l.dimValue("N"), 16);
  EXPECT_EQ(l.dimValue("Q"), -1);
  ASSERT_EQ(l.tensors.size(), 3u);
  EXPECT_EQ(l.tensors[1].role, SSMRT_ROLE_PARAM);
  EXPECT_EQ(l.tensors[2].dtype, SSMRT_DTYPE_BF16);
  EXPECT_EQ(l.tensors[1].dims, (std::vector<std::string>{"D", "N"}));
  ASSERT_EQ(l.states.size(), 1u);
  EXPECT_TRUE(l.facts.at("selective"));
  EXPECT_EQ(l.strategy, "lane");
  ASSERT_EQ(l.forward.size(), 1u);
  EXPECT_EQ(l.forward[0].kernel, "ssm_s6_fwd");
  EXPECT_EQ(l.forward[0].block[0], 128u);
  EXPECT_EQ(l.forward[0].grid[0].units, 1536);
  EXPECT_TRUE(l.forward[0].grid[0].batch);
  EXPECT_EQ(l.forward[0].grid[0].perBlock, 128);
  EXPECT_EQ(l.forward[0].grid[1].units, 1);
  EXPECT_FALSE(l.forward[0].grid[1].batch);
  EXPECT_EQ(l.forward[0].workspace.bytes, 64);
  EXPECT_EQ(l.forward[0].workspace.seqChunk, 256);
  ASSERT_EQ(l.step.size(), 1u);
  EXPECT_EQ(l.step[0].smem, 0u);  // optional, defaults to 0
}

TEST(Manifest, WriterOutputParsesBackUnchanged) {
  Manifest m = ssmrt_test::sampleManifest();
  ASSERT_TRUE(checkManifest(m));
  std::string text = writeManifest(m);
  Manifest back;
  Status s = parseManifest(text, &back);
  ASSERT_TRUE(s) << s.message() << "\n" << text;
  EXPECT_EQ(writeManifest(back), text);
  EXPECT_EQ(back.layers[1].states[0].dtype, SSMRT_DTYPE_C64);
  EXPECT_TRUE(back.layers[1].step.empty());
}

TEST(Manifest, NotJson) {
  Manifest m;
  Status s = parseManifest("{\"format\": ", &m);
  EXPECT_EQ(s.code(), SSMRT_FORMAT_ERROR);
  EXPECT_EQ(s.message().rfind("manifest: not valid JSON: ", 0), 0u) << s.message();
}

TEST(Manifest, TopLevelChecks) {
  expectError(parseEdited("\"format\": \"ssmpack\"", "\"format\": \"zip\""),
              "manifest: format: is 'zip', expected 'ssmpack'");
  expectError(parseEdited("\"version\": 1", "\"version\": 3"),
              "manifest: version 3 is newer than this runtime reads (1)");
  expectError(parseEdited("\"abi\": 1", "\"abi\": 2"),
              "manifest: the kernels use ABI version 2 but this runtime provides 1");
  expectError(parseEdited("\"abi\": 1,", ""), "manifest: missing \"abi\"");
}

TEST(Manifest, LayerFieldErrorsNameTheirPath) {
  expectError(parseEdited("\"dims\": [\"D\"]}", "\"dims\": [\"Q\"]}"),
              "manifest: layers[0] 's6': tensors[0] 'x': dim 'Q' is not a dim of the layer");
  expectError(parseEdited("\"dtype\": \"bf16\", \"dims\": [\"D\"]}", "\"dtype\": \"f64\", \"dims\": [\"D\"]}"),
              "manifest: layers[0] 's6': tensors[0].dtype: unknown dtype 'f64' (expected f32, f16, bf16 or c64)");
}

TEST(Manifest, SlotOrderMustBeInsParamsOuts) {
  Manifest m = ssmrt_test::sampleManifest();
  std::swap(m.layers[0].tensors[0], m.layers[0].tensors[4]);
  Status s = checkManifest(m);
  EXPECT_EQ(s.code(), SSMRT_FORMAT_ERROR);
  EXPECT_EQ(s.message(), "manifest: layers[0] 's6': tensors[1] 'dt': an in after an out: tensors must be ins, "
                         "then params, then outs (the ABI slot order)");
}

TEST(Manifest, LimitsOfTheAbi) {
  Manifest m = ssmrt_test::sampleManifest();
  for (int i = 0; i < SSM_MAX_TENSORS; ++i)
    m.layers[0].tensors.push_back({"o" + std::to_string(i), SSMRT_ROLE_OUT, SSMRT_DTYPE_F32, {"D"}});
  EXPECT_EQ(checkManifest(m).message(), "manifest: layers[0] 's6': 21 tensors exceed the ABI's 16");

  m = ssmrt_test::sampleManifest();
  m.layers[0].tensors[0].dims = {"D", "D", "D", "D", "D", "D", "D"};
  EXPECT_EQ(checkManifest(m).message(),
            "manifest: layers[0] 's6': tensors[0] 'x': rank 9 exceeds the ABI's 8 (batch and seqlen count)");

  m = ssmrt_test::sampleManifest();
  m.layers[0].states[0].dtype = SSMRT_DTYPE_BF16;
  EXPECT_EQ(checkManifest(m).message(),
            "manifest: layers[0] 's6': states[0] 'h': dtype bf16: states are stored as f32 or c64");

  m = ssmrt_test::sampleManifest();
  m.layers[0].forward[0].block[1] = 16;  // 128 * 16 threads
  EXPECT_EQ(checkManifest(m).message(),
            "manifest: layers[0] 's6': entries.forward[0]: block [128, 16, 1] is not 1 to 1024 threads");
}

TEST(Manifest, NamesMustBeUnique) {
  Manifest m = ssmrt_test::sampleManifest();
  m.layers[1].name = "s6";
  EXPECT_EQ(checkManifest(m).message(), "manifest: layers[1]: layer name 's6' is used twice");
  m = ssmrt_test::sampleManifest();
  m.layers[0].dims.push_back({"D", 4});
  EXPECT_EQ(checkManifest(m).message(), "manifest: layers[0] 's6': dims: dim 'D' is declared twice");
  m = ssmrt_test::sampleManifest();
  m.layers[0].states[0].name = "x";
  EXPECT_EQ(checkManifest(m).message(), "manifest: layers[0] 's6': states[0] 'x': the name 'x' is used twice");
}

TEST(Manifest, NumbersAreRangeChecked) {
  expectError(parseEdited("[\"N\", 16]", "[\"N\", 0]"),
              "manifest: layers[0] 's6': dims[1]: 0 is out of range [1, 9223372036854775807]");
  expectError(parseEdited("\"per_block\": 128", "\"per_block\": 0"),
              "manifest: layers[0] 's6': entries.forward[0].grid[0].per_block: 0 is out of range [1, "
              "9223372036854775807]");
  expectError(parseEdited("[\"N\", 16]", "[\"N\", 1.5]"),
              "manifest: layers[0] 's6': dims[1]: expected an integer, got 1.5");
  expectError(parseEdited("\"block\": [128, 1, 1]", "\"block\": [128, 1]"),
              "manifest: layers[0] 's6': entries.forward[0].block: expected 3 numbers, got [128,1]");
}

TEST(Manifest, Index32ListsAreOptionalAndRoundTrip) {
  // Absent: empty lists, and the writer does not emit the keys.
  Manifest m;
  ASSERT_TRUE(parseManifest(kDocExample, &m));
  EXPECT_TRUE(m.layers[0].forwardIndex32.empty());
  EXPECT_TRUE(m.layers[0].stepIndex32.empty());
  std::string text = writeManifest(m);
  EXPECT_EQ(text.find("index32"), std::string::npos) << text;

  // Present: parsed like forward/step and written back unchanged.
  const std::string index32 =
      "\"forward_index32\": [{\"kernel\": \"ssm_s6_fwd_i32\", \"block\": [64, 1, 1], \"smem\": 16,"
      "  \"grid\": [{\"units\": 1536, \"batch\": true, \"per_block\": 64}, {\"units\": 1}, {\"units\": 1}],"
      "  \"workspace\": {\"bytes\": 32, \"batch\": true, \"seq_chunk\": 128}}],"
      "\"step_index32\": [{\"kernel\": \"ssm_s6_step_i32\", \"block\": [256, 1, 1],"
      "  \"grid\": [{\"units\": 1536, \"batch\": true, \"per_block\": 256}, {\"units\": 1}, {\"units\": 1}]}],";
  std::string edited = kDocExample;
  edited.replace(edited.find("\"step\": ["), 0, index32);
  ASSERT_TRUE(parseManifest(edited, &m));
  const ManifestLayer &l = m.layers[0];
  ASSERT_EQ(l.forwardIndex32.size(), 1u);
  EXPECT_EQ(l.forwardIndex32[0].kernel, "ssm_s6_fwd_i32");
  EXPECT_EQ(l.forwardIndex32[0].block[0], 64u);
  EXPECT_EQ(l.forwardIndex32[0].smem, 16u);
  EXPECT_EQ(l.forwardIndex32[0].grid[0].perBlock, 64);
  EXPECT_EQ(l.forwardIndex32[0].workspace.bytes, 32);
  EXPECT_EQ(l.forwardIndex32[0].workspace.seqChunk, 128);
  ASSERT_EQ(l.stepIndex32.size(), 1u);
  EXPECT_EQ(l.stepIndex32[0].kernel, "ssm_s6_step_i32");
  EXPECT_EQ(l.forward[0].kernel, "ssm_s6_fwd");  // the 64-bit lists are untouched
  EXPECT_EQ(l.step[0].kernel, "ssm_s6_step");

  text = writeManifest(m);
  EXPECT_NE(text.find("\"forward_index32\""), std::string::npos);
  EXPECT_NE(text.find("\"step_index32\""), std::string::npos);
  Manifest back;
  ASSERT_TRUE(parseManifest(text, &back));
  EXPECT_EQ(writeManifest(back), text);
  EXPECT_EQ(back.layers[0].stepIndex32[0].kernel, "ssm_s6_step_i32");

  // Built in memory: checkManifest and the writer take them too.
  Manifest built = ssmrt_test::sampleManifest();
  built.layers[0].stepIndex32 = {ssmrt_test::sampleLaunch("ssm_s6_step_i32")};
  ASSERT_TRUE(checkManifest(built));
  ASSERT_TRUE(parseManifest(writeManifest(built), &back));
  ASSERT_EQ(back.layers[0].stepIndex32.size(), 1u);
  EXPECT_TRUE(back.layers[0].forwardIndex32.empty());
}

TEST(Manifest, SmallGridKernelIsOptionalAndRoundTrips) {
  Manifest m;
  ASSERT_TRUE(parseManifest(kDocExample, &m));
  EXPECT_TRUE(m.layers[0].step[0].smallGridKernel.empty());
  EXPECT_EQ(writeManifest(m).find("small_grid_kernel"), std::string::npos);

  std::string edited = kDocExample;
  const std::string key = "\"kernel\": \"ssm_s6_step\",";
  ASSERT_NE(edited.find(key), std::string::npos);
  edited.replace(edited.find(key), key.size(), key + " \"small_grid_kernel\": \"ssm_s6_step_small\",");
  ASSERT_TRUE(parseManifest(edited, &m));
  EXPECT_EQ(m.layers[0].step[0].smallGridKernel, "ssm_s6_step_small");
  EXPECT_TRUE(m.layers[0].forward[0].smallGridKernel.empty());
  const std::string text = writeManifest(m);
  Manifest back;
  ASSERT_TRUE(parseManifest(text, &back));
  EXPECT_EQ(back.layers[0].step[0].smallGridKernel, "ssm_s6_step_small");
  EXPECT_EQ(writeManifest(back), text);

  expectError(parseEdited(key, key + " \"small_grid_kernel\": \"\","),
              "manifest: layers[0] 's6': entries.step[0].small_grid_kernel: empty kernel name");
  expectError(parseEdited(key, key + " \"small_grid_kernel\": 3,"),
              "manifest: layers[0] 's6': entries.step[0].small_grid_kernel: expected a string, got 3");
  expectError(parseEdited(key, key + " \"small_grid_kernel\": \"ssm_s6_step\","),
              "manifest: layers[0] 's6': entries.step[0].small_grid_kernel: names the launch's own kernel");
}

TEST(Manifest, Index32ListsAreCheckedLikeTheirEntries) {
  expectError(parseEdited("\"step\": [", "\"step_index32\": [{\"kernel\": \"k\", \"block\": [2048, 1, 1], "
                                         "\"grid\": [{\"units\": 1}, {\"units\": 1}, {\"units\": 1}]}], \"step\": ["),
              "manifest: layers[0] 's6': entries.step_index32[0].block[0]: 2048 is out of range [1, 1024]");
  expectError(parseEdited("\"step\": [", "\"forward_index32\": {}, \"step\": ["),
              "manifest: layers[0] 's6': entries.forward_index32: expected an array, got {}");

  Manifest m = ssmrt_test::sampleManifest();
  m.layers[0].forwardIndex32 = {ssmrt_test::sampleLaunch("")};
  EXPECT_EQ(checkManifest(m).message(), "manifest: layers[0] 's6': entries.forward_index32[0]: empty kernel name");
  m = ssmrt_test::sampleManifest();
  m.layers[0].stepIndex32 = {ssmrt_test::sampleLaunch("k")};
  m.layers[0].stepIndex32[0].grid[2].perBlock = 0;
  EXPECT_EQ(checkManifest(m).message(),
            "manifest: layers[0] 's6': entries.step_index32[0].grid[2]: units and per_block must be >= 1, "
            "seq_chunk >= 0");
  // The 64-bit list must be there to fall back on.
  m = ssmrt_test::sampleManifest();
  m.layers[1].stepIndex32 = {ssmrt_test::sampleLaunch("k")};  // "lti" has no step
  EXPECT_EQ(checkManifest(m).message(),
            "manifest: layers[1] 'lti': entries.step_index32: given without \"step\" (the 64-bit entry it "
            "stands in for)");
}
