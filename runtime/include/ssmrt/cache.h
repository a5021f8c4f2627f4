// The on-disk kernel cache: compiled binaries stored under a key, safe against concurrent
// writers and damaged files.
//
// An entry is one file, <dir>/<key>.bin: a 40-byte little-endian header (magic "SSMCACHE",
// u32 version, u32 reserved (0), u64 payload size, u64 FNV-1a 64 of the payload, u64 FNV-1a 64
// of the key, so a file renamed to another key is not believed) and the payload. It is written to a temporary file in
// the same directory and renamed into place, so a reader sees a whole entry or none. A
// reader that finds a short, long or damaged entry removes it (only if the file at the path
// is still the one it read, so a fresh entry renamed in meanwhile survives) and reports a
// miss, so the caller rebuilds it.
//
// Builders of one key take <dir>/<key>.lock (flock, advisory) around "load again, build,
// store" with lockEntry, so threads and processes that miss at once build it once and the
// others load the result. The lock files stay in the directory (empty; removing them would
// race with a waiting builder).
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

  // An exclusive lock on one key among threads and processes, held until destroyed.
  class SSMRT_API EntryLock {
   public:
    EntryLock() = default;
    ~EntryLock();
    EntryLock(EntryLock &&other) noexcept;
    EntryLock &operator=(EntryLock &&other) noexcept;
    EntryLock(const EntryLock &) = delete;
    EntryLock &operator=(const EntryLock &) = delete;
    bool held() const { return fd_ >= 0; }

   private:
    friend class DiskCache;
    int fd_ = -1;
  };

  // Takes the key's lock, waiting up to timeout_ms for another holder. Best effort: with the
  // cache disabled, an invalid key, a lock file that cannot be created, a file system
  // without flock, or on timeout, the lock returned holds nothing (held() is false) and
  // the caller builds anyway: stores are atomic, so that costs a duplicate build only.
  // A holder that dies releases the lock with its file descriptor.
  EntryLock lockEntry(std::string_view key, int timeout_ms = 10 * 60 * 1000) const;

 private:
  std::string dir_;
};

}  // namespace ssmrt

#endif  // SSMRT_CACHE_H
