// The on-disk kernel cache (entry layout and guarantees in ssmrt/cache.h).
#include "ssmrt/cache.h"

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include "bytes.h"
#include "file_io.h"
#include "ssmrt/hash.h"
#include "ssmrt/pack.h"

namespace ssmrt {
namespace {

constexpr char kCacheMagic[8] = {'S', 'S', 'M', 'C', 'A', 'C', 'H', 'E'};
constexpr uint32_t kCacheVersion = 1;
constexpr size_t kCacheHeaderSize = 8 + 4 + 4 + 8 + 8 + 8;

bool validKey(std::string_view key) {
  if (key.empty() || key.size() > 128) return false;
  for (char c : key)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
          c == '-'))
      return false;
  return true;
}

// Why an entry cannot be used, or "" when it can.
std::string checkEntry(std::string_view key, std::string_view file) {
  if (file.size() < kCacheHeaderSize)
    return "truncated: " + std::to_string(file.size()) + " bytes, shorter than the header";
  if (file.substr(0, 8) != std::string_view(kCacheMagic, 8)) return "bad magic";
  if (getU32(file, 8) != kCacheVersion)
    return "entry version " + std::to_string(getU32(file, 8)) + " is not " + std::to_string(kCacheVersion);
  if (getU32(file, 12) != 0) return "unknown header flags";
  uint64_t size = getU64(file, 16);
  if (size != file.size() - kCacheHeaderSize)
    return "payload is " + std::to_string(file.size() - kCacheHeaderSize) + " bytes but the header says " +
           std::to_string(size) + " (truncated or overwritten)";
  if (getU64(file, 32) != fnv1a64(key)) return "the entry was written for another key";
  if (getU64(file, 24) != fnv1a64(file.substr(kCacheHeaderSize))) return "payload hash mismatch";
  return "";
}

}  // namespace

DiskCache::DiskCache(std::string dir) : dir_(std::move(dir)) {
  while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
}

std::string DiskCache::defaultDirectory() {
  auto env = [](const char *name) -> std::string {
    const char *v = std::getenv(name);
    return v ? v : "";
  };
  // An explicitly set but empty SSMRT_CACHE_DIR disables the cache, like an empty option.
  if (std::getenv("SSMRT_CACHE_DIR")) return env("SSMRT_CACHE_DIR");
  if (!env("XDG_CACHE_HOME").empty()) return env("XDG_CACHE_HOME") + "/ssmc";
  if (!env("HOME").empty()) return env("HOME") + "/.cache/ssmc";
  return "";
}

std::string DiskCache::pathFor(std::string_view key) const {
  return dir_ + "/" + std::string(key) + ".bin";
}

namespace {

// Reads a whole file through one descriptor and says which file it was (device, inode).
bool readIdentified(const std::string &path, std::string *out, struct stat *out_id) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::fstat(fd, out_id) == 0;
  std::string bytes;
  char buf[1 << 16];
  while (ok) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ok = false;
    if (n <= 0) break;
    bytes.append(buf, size_t(n));
  }
  ::close(fd);
  if (ok) *out = std::move(bytes);
  return ok;
}

}  // namespace

bool DiskCache::load(std::string_view key, std::string *out_payload, std::string *out_note) const {
  if (!enabled() || !validKey(key)) return false;
  std::string path = pathFor(key);
  std::string file;
  struct stat read {};
  if (!readIdentified(path, &file, &read)) return false;  // absent or unreadable: a plain miss
  std::string problem = checkEntry(key, file);
  if (!problem.empty()) {
    // Never load it, and remove it so the rebuilt entry replaces it, unless a writer has
    // renamed a fresh entry over it since we read it (then that one stays).
    struct stat now {};
    if (::stat(path.c_str(), &now) == 0 && now.st_dev == read.st_dev && now.st_ino == read.st_ino)
      ::unlink(path.c_str());
    if (out_note) *out_note = "cache entry '" + path + "' was damaged (" + problem + ") and was removed";
    return false;
  }
  *out_payload = file.substr(kCacheHeaderSize);
  return true;
}

Status DiskCache::store(std::string_view key, std::string_view payload) const {
  if (!enabled()) return Status::ok();
  if (!validKey(key)) return invalidArgument("cache key '" + std::string(key) + "' is not file-name safe");
  Status s = makeDirectories(dir_);
  if (!s) return s.prefixed("kernel cache: ");
  std::string file;
  file.reserve(kCacheHeaderSize + payload.size());
  file.append(kCacheMagic, 8);
  putU32(file, kCacheVersion);
  putU32(file, 0);
  putU64(file, payload.size());
  putU64(file, fnv1a64(payload));
  putU64(file, fnv1a64(key));
  file.append(payload);
  return writeFileAtomic(pathFor(key), file).prefixed("kernel cache: ");
}

DiskCache::EntryLock::~EntryLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the descriptor releases the flock
}

DiskCache::EntryLock::EntryLock(EntryLock &&other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

DiskCache::EntryLock &DiskCache::EntryLock::operator=(EntryLock &&other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

DiskCache::EntryLock DiskCache::lockEntry(std::string_view key, int timeout_ms) const {
  EntryLock lock;
  if (!enabled() || !validKey(key) || !makeDirectories(dir_)) return lock;
  const std::string path = dir_ + "/" + std::string(key) + ".lock";
  // Each call opens its own descriptor: flock locks belong to the open file description,
  // so two threads of one process exclude each other just as two processes do.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return lock;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
      lock.fd_ = fd;
      return lock;
    }
    if (errno != EWOULDBLOCK && errno != EINTR) break;  // no flock here: go unlocked
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(pause);
    if (pause < std::chrono::milliseconds(50)) pause *= 2;
  }
  ::close(fd);
  return lock;
}

}  // namespace ssmrt
