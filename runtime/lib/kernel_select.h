// Which of a pack's binaries a device can run, best first, and a bounds check of cubin
// images before the driver parses them. Pure functions: tested without a GPU.
#ifndef SSMRT_LIB_KERNEL_SELECT_H
#define SSMRT_LIB_KERNEL_SELECT_H

#include <string>
#include <string_view>
#include <vector>

#include "ssmrt/pack.h"

namespace ssmrt {

// A binary entry of the pack: "cubin.sm_90" -> {90, false}; "ptx.sm_90a" -> {90, true}.
struct BinaryEntry {
  const PackEntry *entry = nullptr;
  int arch = 0;
  bool archSpecific = false;  // an 'a'/'f' suffix: runs on exactly that arch only
};

struct KernelCandidates {
  std::vector<BinaryEntry> cubins;  // same major, minor <= the device's; newest first
  std::vector<BinaryEntry> ptxs;    // arch <= the device's; newest first
  const PackEntry *source = nullptr;  // source.cu, if the pack has one
};

// The candidates of `entries` for a device of architecture `deviceArch` (10 * major + minor),
// in the order runtime/FORMAT.md gives. Entries for other architectures are left out.
KernelCandidates selectKernels(const std::vector<PackEntry> &entries, int deviceArch);

// The message when selectKernels found nothing for a device: names what was looked for and
// what the pack holds instead ("the pack has cubin.sm_100a, ptx.sm_100").
std::string noKernelsMessage(const std::vector<PackEntry> &entries, int deviceArch, const std::string &origin);

// "" when `image` is a 64-bit little-endian ELF whose headers, program headers and section
// contents all lie inside it; otherwise why not. The driver trusts those offsets, so an
// image that fails this is never handed to it.
std::string checkCubinImage(std::string_view image);

}  // namespace ssmrt

#endif  // SSMRT_LIB_KERNEL_SELECT_H
