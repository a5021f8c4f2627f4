// Choosing a pack's binaries for a device, and checking cubin images (see kernel_select.h).
#include "kernel_select.h"

#include <algorithm>
#include <cstdint>

namespace ssmrt {
namespace {

bool parseArchEntry(const std::string &name, const std::string &prefix, BinaryEntry *out) {
  if (name.compare(0, prefix.size(), prefix) != 0) return false;
  size_t i = prefix.size(), start = i;
  int arch = 0;
  while (i < name.size() && name[i] >= '0' && name[i] <= '9' && i - start < 4) arch = arch * 10 + (name[i++] - '0');
  if (i == start) return false;
  bool suffix = false;
  if (i < name.size()) {
    if (i + 1 != name.size() || (name[i] != 'a' && name[i] != 'f')) return false;
    suffix = true;
  }
  out->arch = arch;
  out->archSpecific = suffix;
  return true;
}

uint64_t le(std::string_view b, size_t pos, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t(static_cast<unsigned char>(b[pos + size_t(i)])) << (8 * i);
  return v;
}

// [offset, offset + count * size) inside [0, total), without overflow.
bool inside(uint64_t offset, uint64_t count, uint64_t size, uint64_t total) {
  if (offset > total) return false;
  if (size != 0 && count > (total - offset) / size) return false;
  return true;
}

}  // namespace

KernelCandidates selectKernels(const std::vector<PackEntry> &entries, int dev) {
  KernelCandidates c;
  for (const PackEntry &e : entries) {
    BinaryEntry b{&e, 0, false};
    if (parseArchEntry(e.name, "cubin.sm_", &b)) {
      // A cubin runs on its own major version at an equal or higher minor; an 'a'/'f'
      // cubin on exactly its architecture (conservative for 'f').
      bool runs = b.archSpecific ? b.arch == dev : (b.arch / 10 == dev / 10 && b.arch <= dev);
      if (runs) c.cubins.push_back(b);
    } else if (parseArchEntry(e.name, "ptx.sm_", &b)) {
      bool runs = b.archSpecific ? b.arch == dev : b.arch <= dev;
      if (runs) c.ptxs.push_back(b);
    } else if (e.name == "source.cu") {
      c.source = &e;
    }
  }
  auto newestFirst = [](const BinaryEntry &a, const BinaryEntry &b) {
    return a.arch != b.arch ? a.arch > b.arch : a.archSpecific > b.archSpecific;
  };
  std::stable_sort(c.cubins.begin(), c.cubins.end(), newestFirst);
  std::stable_sort(c.ptxs.begin(), c.ptxs.end(), newestFirst);
  return c;
}

std::string noKernelsMessage(const std::vector<PackEntry> &entries, int dev, const std::string &origin) {
  const std::string devArch = "sm_" + std::to_string(dev);
  std::string m = "module '" + origin + "' has no kernels this " + devArch + " device can run: no cubin for sm_" +
                  std::to_string(dev / 10) + "x (x <= " + std::to_string(dev % 10) + "), no PTX for " + devArch +
                  " or older, and no source.cu";
  std::string held;
  for (const PackEntry &e : entries)
    if (e.name.rfind("cubin.", 0) == 0 || e.name.rfind("ptx.", 0) == 0) held += (held.empty() ? "" : ", ") + e.name;
  if (!held.empty()) m += " (the pack has " + held + ")";
  return m;
}

std::string checkCubinImage(std::string_view b) {
  const uint64_t n = b.size();
  if (n < 64) return "truncated: " + std::to_string(n) + " bytes, shorter than an ELF header";
  if (b.substr(0, 4) != std::string_view("\x7f" "ELF", 4)) return "no ELF magic";
  if (b[4] != 2 || b[5] != 1) return "not a 64-bit little-endian ELF";
  const uint64_t phoff = le(b, 0x20, 8), shoff = le(b, 0x28, 8);
  const uint64_t ehsize = le(b, 0x34, 2), phentsize = le(b, 0x36, 2), phnum = le(b, 0x38, 2);
  const uint64_t shentsize = le(b, 0x3A, 2), shnum = le(b, 0x3C, 2), shstrndx = le(b, 0x3E, 2);
  if (ehsize < 64 || ehsize > n) return "bad ELF header size";
  if (phnum && (phentsize < 56 || !inside(phoff, phnum, phentsize, n)))
    return "program headers lie outside the image";
  if (shnum && (shentsize < 64 || !inside(shoff, shnum, shentsize, n)))
    return "section headers lie outside the image";
  if (shnum && shstrndx >= shnum && shstrndx != 0xffff) return "section name table index out of range";
  for (uint64_t i = 0; i < shnum; ++i) {
    const size_t h = size_t(shoff + i * shentsize);
    const uint64_t type = le(b, h + 4, 4), offset = le(b, h + 0x18, 8), size = le(b, h + 0x20, 8);
    if (type == 8 /* SHT_NOBITS */ || type == 0 /* SHT_NULL */) continue;
    if (!inside(offset, 1, size, n))
      return "section " + std::to_string(i) + " (bytes " + std::to_string(offset) + " + " + std::to_string(size) +
             ") lies outside the " + std::to_string(n) + "-byte image";
  }
  for (uint64_t i = 0; i < phnum; ++i) {
    const size_t h = size_t(phoff + i * phentsize);
    const uint64_t offset = le(b, h + 0x08, 8), filesz = le(b, h + 0x20, 8);
    if (!inside(offset, 1, filesz, n))
      return "segment " + std::to_string(i) + " lies outside the " + std::to_string(n) + "-byte image";
  }
  return "";
}

}  // namespace ssmrt
