// Writing and verifying the .ssmpack container (layout in runtime/FORMAT.md).
#include "ssmrt/pack.h"

#include <algorithm>
#include <set>

#include "bytes.h"
#include "file_io.h"
#include "ssmrt/hash.h"

namespace ssmrt {
namespace {

constexpr size_t kHeaderSize = 24;
constexpr size_t kEntryFixedSize = 4 + 8 + 8 + 8;  // name length, offset, size, hash
constexpr size_t kBlobAlignment = 16;  // lets a loader use a blob in place as a cubin image

std::string quoted(std::string_view name) { return "'" + std::string(name) + "'"; }

}  // namespace

Status writePack(const std::vector<PackEntry> &entries, std::string *out_bytes) {
  std::set<std::string_view> names;
  size_t tableSize = 0;
  for (const PackEntry &e : entries) {
    if (e.name.empty()) return invalidArgument("pack entry with an empty name");
    if (e.name.size() > UINT32_MAX) return invalidArgument("pack entry name too long");
    if (!names.insert(e.name).second)
      return invalidArgument("pack entry name " + quoted(e.name) + " appears twice");
    tableSize += kEntryFixedSize + e.name.size();
  }
  if (entries.size() > UINT32_MAX) return invalidArgument("too many pack entries");

  // Lay the blobs out after the table, each aligned.
  std::vector<uint64_t> offsets;
  uint64_t pos = kHeaderSize + tableSize;
  for (const PackEntry &e : entries) {
    pos = (pos + kBlobAlignment - 1) / kBlobAlignment * kBlobAlignment;
    offsets.push_back(pos);
    pos += e.bytes.size();
  }

  std::string out;
  out.reserve(pos);
  out.append(kPackMagic, sizeof kPackMagic);
  putU32(out, kPackFormatVersion);
  putU32(out, uint32_t(entries.size()));
  putU64(out, 0);  // header hash, filled in below
  for (size_t i = 0; i < entries.size(); ++i) {
    const PackEntry &e = entries[i];
    putU32(out, uint32_t(e.name.size()));
    out.append(e.name);
    putU64(out, offsets[i]);
    putU64(out, e.bytes.size());
    putU64(out, fnv1a64(e.bytes));
  }
  for (size_t i = 0; i < entries.size(); ++i) {
    out.resize(offsets[i], '\0');
    out.append(entries[i].bytes);
  }
  uint64_t h = fnv1a64(std::string_view(out).substr(kHeaderSize));
  for (int i = 0; i < 8; ++i) out[16 + i] = char((h >> (8 * i)) & 0xff);
  *out_bytes = std::move(out);
  return Status::ok();
}

Status writePackFile(const std::string &path, const std::vector<PackEntry> &entries) {
  std::string bytes;
  Status s = writePack(entries, &bytes);
  if (!s) return s;
  return writeFileAtomic(path, bytes);
}

Status readPack(std::string_view bytes, std::vector<PackEntry> *out_entries) {
  const size_t fileSize = bytes.size();
  if (fileSize < kHeaderSize)
    return formatError("truncated: the pack has " + std::to_string(fileSize) +
                       " bytes but its header alone needs " + std::to_string(kHeaderSize));
  if (bytes.substr(0, 8) != std::string_view(kPackMagic, 8)) {
    std::string seen;
    for (unsigned char c : bytes.substr(0, 8)) seen += (c >= 32 && c < 127) ? char(c) : '.';
    return formatError("bad magic: not an .ssmpack (it starts with \"" + seen +
                       "\", expected \"SSMPACK\\0\")");
  }
  uint32_t version = getU32(bytes, 8);
  if (version > kPackFormatVersion)
    return formatError("format version " + std::to_string(version) +
                       " is newer than this runtime reads (" +
                       std::to_string(kPackFormatVersion) + ")");
  if (version == 0) return formatError("format version 0 is not a valid version");
  const uint32_t count = getU32(bytes, 12);
  const uint64_t headerHash = getU64(bytes, 16);
  const uint64_t actualHash = fnv1a64(bytes.substr(kHeaderSize));

  // A structural failure may be the visible symptom of damage elsewhere; saying whether the
  // hash matched tells the reader whether to suspect the writer or the transport.
  auto structural = [&](const std::string &what) {
    std::string m = what;
    if (actualHash != headerHash)
      m += " (the pack's hash does not match its header either: the file is damaged or "
           "truncated)";
    return formatError(m);
  };

  if (uint64_t(count) * kEntryFixedSize > fileSize - kHeaderSize)
    return structural("truncated: " + std::to_string(count) + " entries need at least " +
                      std::to_string(uint64_t(count) * kEntryFixedSize) +
                      " bytes of entry table but only " + std::to_string(fileSize - kHeaderSize) +
                      " bytes follow the header");

  struct Raw {
    std::string_view name;
    uint64_t offset, size, hash;
  };
  std::vector<Raw> raw;
  size_t pos = kHeaderSize;
  for (uint32_t i = 0; i < count; ++i) {
    if (fileSize - pos < 4)
      return structural("truncated: the entry table ends inside entry " + std::to_string(i));
    uint32_t nameLen = getU32(bytes, pos);
    pos += 4;
    if (fileSize - pos < uint64_t(nameLen) + 24)
      return structural("truncated: the entry table ends inside entry " + std::to_string(i) +
                        " (name of " + std::to_string(nameLen) + " bytes)");
    Raw r;
    r.name = bytes.substr(pos, nameLen);
    pos += nameLen;
    r.offset = getU64(bytes, pos);
    r.size = getU64(bytes, pos + 8);
    r.hash = getU64(bytes, pos + 16);
    pos += 24;
    if (r.name.empty()) return structural("entry " + std::to_string(i) + " has an empty name");
    raw.push_back(r);
  }
  const size_t tableEnd = pos;

  std::set<std::string_view> names;
  for (const Raw &r : raw) {
    if (!names.insert(r.name).second)
      return structural("entry name " + quoted(r.name) + " appears twice");
    // offset + size may overflow 64 bits in a damaged table: compare without adding.
    if (r.offset > fileSize || r.size > fileSize - r.offset)
      return structural("entry " + quoted(r.name) + " is out of bounds: bytes [" +
                        std::to_string(r.offset) + ", " + std::to_string(r.offset) + " + " +
                        std::to_string(r.size) + ") but the pack has " +
                        std::to_string(fileSize) + " bytes");
    if (r.size > 0 && r.offset < tableEnd)
      return structural("entry " + quoted(r.name) + " is out of bounds: it starts at byte " +
                        std::to_string(r.offset) + ", inside the header and entry table (which end at " +
                        std::to_string(tableEnd) + ")");
  }

  // The entry count is outside the hashed bytes; requiring the entries to account for the
  // file's end catches a count that was damaged downwards.
  uint64_t usedEnd = tableEnd;
  for (const Raw &r : raw) usedEnd = std::max<uint64_t>(usedEnd, r.offset + r.size);
  if (usedEnd != fileSize)
    return structural("trailing bytes: the entries end at byte " + std::to_string(usedEnd) + " but the pack has " +
                      std::to_string(fileSize) + " bytes");

  if (actualHash != headerHash)
    return formatError("hash mismatch: the pack's bytes hash to " + hex64(actualHash) +
                       " but its header says " + hex64(headerHash) + " (the file is damaged)");

  std::vector<PackEntry> entries;
  entries.reserve(raw.size());
  for (const Raw &r : raw) {
    std::string_view blob = bytes.substr(r.offset, r.size);
    uint64_t h = fnv1a64(blob);
    if (h != r.hash)
      return formatError("hash mismatch in entry " + quoted(r.name) + ": its bytes hash to " +
                         hex64(h) + " but the entry table says " + hex64(r.hash));
    entries.push_back(PackEntry{std::string(r.name), std::string(blob)});
  }
  *out_entries = std::move(entries);
  return Status::ok();
}

const PackEntry *findPackEntry(const std::vector<PackEntry> &entries, std::string_view name) {
  for (const PackEntry &e : entries)
    if (e.name == name) return &e;
  return nullptr;
}

}  // namespace ssmrt
