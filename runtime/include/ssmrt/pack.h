// Reading and writing the .ssmpack container (runtime/FORMAT.md): named blobs with checksums.
//
// The compiler writes packs with writePack*; the runtime reads them with readPack. Both
// live here so that the two sides cannot disagree about the bytes.
#ifndef SSMRT_PACK_H
#define SSMRT_PACK_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ssmrt/status.h"

namespace ssmrt {

constexpr uint32_t kPackFormatVersion = 1;  // the newest version this code reads and writes
constexpr char kPackMagic[8] = {'S', 'S', 'M', 'P', 'A', 'C', 'K', '\0'};

struct PackEntry {
  std::string name;   // "manifest.json", "source.cu", "cubin.sm_90", "ptx.sm_90"
  std::string bytes;  // the blob
};

// Serialises entries in the given order. Fails (INVALID_ARGUMENT) on an empty or
// duplicate name.
SSMRT_API Status writePack(const std::vector<PackEntry> &entries, std::string *out_bytes);

// writePack, then writes the file through a temporary file and a rename, so a reader never
// sees half a pack.
SSMRT_API Status writePackFile(const std::string &path, const std::vector<PackEntry> &entries);

// Parses and verifies a pack: magic, version, that the entry table and every blob lie
// inside the bytes, unique names, the header hash and every blob's hash. On failure the
// code is SSMRT_FORMAT_ERROR and the message names the check that failed
// ("format version 7 is newer than this runtime reads (1)").
SSMRT_API Status readPack(std::string_view bytes, std::vector<PackEntry> *out_entries);

// Reads a whole file (NOT_FOUND if it cannot be opened), for readPack.
SSMRT_API Status readFileBytes(const std::string &path, std::string *out_bytes);

// The entry with this name, or null.
SSMRT_API const PackEntry *findPackEntry(const std::vector<PackEntry> &entries,
                                         std::string_view name);

}  // namespace ssmrt

#endif  // SSMRT_PACK_H
