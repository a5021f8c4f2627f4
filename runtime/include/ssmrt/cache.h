// The on-disk kernel cache: compiled binaries stored under a key, safe against concurrent
// writers and damaged files.
//
// An entry is one file, <dir>/<key>.bin: a 40-byte little-endian header (magic "SSMCACHE",
// u32 version, u32 reserved (0), u64 payload size, u64 FNV-1a 64 of the payload, u64 FNV-1a 64
// of the key, so a file renamed to another key is not believed) and the payload. It is written to a temporary file in
// the same directory and renamed into place, so a reader sees a whole entry or none. A
// reader that finds a short, long or damaged entry removes it and reports a miss, so the
// caller rebuilds it.
#ifndef SSMRT_CACHE_H
#define SSMRT_CACHE_H

#include <string>
#include <string_view>

#include "ssmrt/status.h"

namespace ssmrt {

class SSMRT_API DiskCache {
 public:
  // dir "" disables the cache (every lookup misses, every store does nothing). The
  // directory is created on the first store.
  explicit DiskCache(std::string dir);

  // $SSMRT_CACHE_DIR, else $XDG_CACHE_HOME/ssmc, else $HOME/.cache/ssmc, else "".
  static std::string defaultDirectory();

  bool enabled() const { return !dir_.empty(); }
  const std::string &directory() const { return dir_; }

  // The file of a key. Keys are file-name safe: [0-9a-zA-Z_-], 1 to 128 characters.
  std::string pathFor(std::string_view key) const;

  // True and the payload when a whole, undamaged entry exists. A damaged entry is removed
  // and *out_note (if given) says what was wrong with it. Thread-safe.
  bool load(std::string_view key, std::string *out_payload, std::string *out_note = nullptr) const;

  // Writes an entry atomically (temporary file + rename). Thread- and process-safe: of
  // concurrent writers of one key, one whole entry wins.
  Status store(std::string_view key, std::string_view payload) const;

 private:
  std::string dir_;
};

}  // namespace ssmrt

#endif  // SSMRT_CACHE_H
