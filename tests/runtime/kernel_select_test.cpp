// Hostile packs for the kernel loader, without a GPU: packs for another architecture only,
// arch-specific binaries, odd entry names, and cubin images whose ELF offsets point outside
// the image (the driver would trust them).
#include <gtest/gtest.h>

#include "kernel_select.h"
#include "ssmrt/nvrtc.h"

using namespace ssmrt;

namespace {

std::vector<PackEntry> entriesNamed(std::initializer_list<const char *> names) {
  std::vector<PackEntry> v;
  for (const char *n : names) v.push_back(PackEntry{n, "x"});
  return v;
}

std::vector<std::string> names(const std::vector<BinaryEntry> &v) {
  std::vector<std::string> out;
  for (const BinaryEntry &b : v) out.push_back(b.entry->name);
  return out;
}

using Names = std::vector<std::string>;

void putLe(std::string &b, size_t pos, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) b[pos + size_t(i)] = char((v >> (8 * i)) & 0xff);
}

// A minimal well-formed ELF64: header, one program header, two sections (null, one PROGBITS).
std::string tinyElf() {
  std::string b(64 + 56 + 16 + 2 * 64, '\0');
  b[0] = 0x7f, b[1] = 'E', b[2] = 'L', b[3] = 'F', b[4] = 2, b[5] = 1, b[6] = 1;
  putLe(b, 0x20, 64, 8);              // e_phoff
  putLe(b, 0x28, 64 + 56 + 16, 8);    // e_shoff
  putLe(b, 0x34, 64, 2);              // e_ehsize
  putLe(b, 0x36, 56, 2);              // e_phentsize
  putLe(b, 0x38, 1, 2);               // e_phnum
  putLe(b, 0x3A, 64, 2);              // e_shentsize
  putLe(b, 0x3C, 2, 2);               // e_shnum
  putLe(b, 0x3E, 0, 2);               // e_shstrndx
  putLe(b, 64 + 0x08, 120, 8);        // p_offset: the 16 data bytes
  putLe(b, 64 + 0x20, 16, 8);         // p_filesz
  const size_t sh1 = 64 + 56 + 16 + 64;
  putLe(b, sh1 + 4, 1, 4);            // SHT_PROGBITS
  putLe(b, sh1 + 0x18, 120, 8);       // sh_offset
  putLe(b, sh1 + 0x20, 16, 8);        // sh_size
  return b;
}

}  // namespace

TEST(KernelSelect, CubinsOfTheSameMajorAndLowerMinorNewestFirst) {
  auto e = entriesNamed({"manifest.json", "cubin.sm_80", "cubin.sm_86", "cubin.sm_90", "cubin.sm_89", "ptx.sm_80",
                         "ptx.sm_90", "ptx.sm_100", "source.cu"});
  KernelCandidates c = selectKernels(e, 86);
  EXPECT_EQ(names(c.cubins), (Names{"cubin.sm_86", "cubin.sm_80"}));
  EXPECT_EQ(names(c.ptxs), (Names{"ptx.sm_80"}));
  ASSERT_NE(c.source, nullptr);
  c = selectKernels(e, 90);
  EXPECT_EQ(names(c.cubins), (Names{"cubin.sm_90"}));
  EXPECT_EQ(names(c.ptxs), (Names{"ptx.sm_90", "ptx.sm_80"}));
}

TEST(KernelSelect, PackForAnotherArchitectureOnlyHasNoCandidates) {
  // Built for Blackwell only; the device is an H100.
  auto e = entriesNamed({"manifest.json", "cubin.sm_100", "cubin.sm_100a", "ptx.sm_100"});
  KernelCandidates c = selectKernels(e, 90);
  EXPECT_TRUE(c.cubins.empty());
  EXPECT_TRUE(c.ptxs.empty());
  EXPECT_EQ(c.source, nullptr);
  EXPECT_EQ(noKernelsMessage(e, 90, "b.ssmpack"),
            "module 'b.ssmpack' has no kernels this sm_90 device can run: no cubin for sm_9x (x <= 0), no PTX for "
            "sm_90 or older, and no source.cu (the pack has cubin.sm_100, cubin.sm_100a, ptx.sm_100)");
  // Older major: a cubin of sm_80 never runs on sm_90 (PTX would).
  e = entriesNamed({"cubin.sm_80"});
  EXPECT_TRUE(selectKernels(e, 90).cubins.empty());
}

TEST(KernelSelect, ArchSpecificBinariesRunOnExactlyTheirArch) {
  auto e = entriesNamed({"cubin.sm_90a", "ptx.sm_90a", "cubin.sm_100f"});
  EXPECT_EQ(names(selectKernels(e, 90).cubins), (Names{"cubin.sm_90a"}));
  EXPECT_EQ(names(selectKernels(e, 90).ptxs), (Names{"ptx.sm_90a"}));
  EXPECT_TRUE(selectKernels(e, 91).cubins.empty());
  EXPECT_TRUE(selectKernels(e, 91).ptxs.empty());
  EXPECT_TRUE(selectKernels(e, 103).cubins.empty()) << "'f' is taken conservatively";
  EXPECT_EQ(names(selectKernels(e, 100).cubins), (Names{"cubin.sm_100f"}));
}

TEST(KernelSelect, OddEntryNamesAreIgnored) {
  auto e = entriesNamed({"cubin.sm_", "cubin.sm_9x", "cubin.sm_90ab", "cubin.sm_123456", "ptx.sm_-90", "cubin.SM_90",
                         "cubin.sm_90 ", "ptx.sm_90\n", "source.cu.bak"});
  KernelCandidates c = selectKernels(e, 90);
  EXPECT_TRUE(c.cubins.empty()) << names(c.cubins).size();
  EXPECT_TRUE(c.ptxs.empty());
  EXPECT_EQ(c.source, nullptr);
}

TEST(CubinImage, AcceptsAWellFormedImageAndNvrtcOutput) {
  EXPECT_EQ(checkCubinImage(tinyElf()), "");
  NvrtcRequest r;
  r.source = "extern \"C\" __global__ void k(float *p) { p[threadIdx.x] = 1.0f; }\n";
  r.arch = "sm_90";
  NvrtcResult out;
  Status s = compileCuda(r, &out);
  ASSERT_TRUE(s) << s.message();
  EXPECT_EQ(checkCubinImage(out.binary), "");
}

TEST(CubinImage, EveryTruncationIsRefused) {
  const std::string elf = tinyElf();
  for (size_t cut = 0; cut < elf.size(); ++cut)
    EXPECT_NE(checkCubinImage(elf.substr(0, cut)), "") << "cut at " << cut;
}

TEST(CubinImage, OffsetsOutsideTheImageAreRefused) {
  std::string b = tinyElf();
  putLe(b, 0x28, uint64_t(1) << 63, 8);  // e_shoff far away
  EXPECT_EQ(checkCubinImage(b), "section headers lie outside the image");
  b = tinyElf();
  putLe(b, 0x3C, 0xfffe, 2);  // e_shnum larger than the table
  EXPECT_EQ(checkCubinImage(b), "section headers lie outside the image");
  b = tinyElf();
  putLe(b, 64 + 56 + 16 + 64 + 0x20, ~uint64_t(0) - 100, 8);  // sh_size: offset + size wraps
  EXPECT_EQ(checkCubinImage(b), "section 1 (bytes 120 + 18446744073709551515) lies outside the 264-byte image");
  b = tinyElf();
  putLe(b, 64 + 0x20, 1000, 8);  // p_filesz
  EXPECT_EQ(checkCubinImage(b), "segment 0 lies outside the 264-byte image");
  b = tinyElf();
  b[4] = 1;  // 32-bit
  EXPECT_EQ(checkCubinImage(b), "not a 64-bit little-endian ELF");
  b = tinyElf();
  b[0] = 'x';
  EXPECT_EQ(checkCubinImage(b), "no ELF magic");
  // The sample packs' placeholder is refused before the driver sees it.
  EXPECT_NE(checkCubinImage(std::string("\x7f" "ELF\0\1\2\3 not a real cubin", 24)), "");
}
