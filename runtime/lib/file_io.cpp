// Whole-file reads and atomic writes (see file_io.h).
#include "file_io.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ssmrt/pack.h"

namespace ssmrt {
namespace {

std::string errnoText(int err) { return std::strerror(err); }

std::string dirName(const std::string &path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

Status readFileBytes(const std::string &path, std::string *out_bytes) {
  // O_NONBLOCK: opening a FIFO with no writer must not block (regular files ignore it).
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    int err = errno;
    return Status(err == ENOENT ? SSMRT_NOT_FOUND : SSMRT_INVALID_ARGUMENT,
                  "cannot open '" + path + "': " + errnoText(err));
  }
  // A directory, FIFO or device (/dev/zero) is no pack: reading it could fail late, block
  // or never end.
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return invalidArgument("cannot read '" + path + "': not a regular file");
  }
  std::string bytes;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return invalidArgument("cannot read '" + path + "': " + errnoText(err));
    }
    if (n == 0) break;
    bytes.append(buf, size_t(n));
  }
  ::close(fd);
  *out_bytes = std::move(bytes);
  return Status::ok();
}

Status makeDirectories(const std::string &dir) {
  if (dir.empty()) return invalidArgument("empty directory name");
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return Status::ok();
    return invalidArgument("'" + dir + "' exists and is not a directory");
  }
  std::string parent = dirName(dir);
  if (parent != dir) {
    Status s = makeDirectories(parent);
    if (!s) return s;
  }
  // Another process may create it between the stat and here; that is success too.
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    return invalidArgument("cannot create directory '" + dir + "': " + errnoText(errno));
  return Status::ok();
}

Status writeFileAtomic(const std::string &path, std::string_view bytes) {
  static std::atomic<unsigned long long> counter{0};
  // pid + a process-wide counter: unique among threads and processes writing concurrently.
  std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." +
                    std::to_string(counter.fetch_add(1));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    return invalidArgument("cannot create '" + tmp + "': " + errnoText(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return invalidArgument("cannot write '" + tmp + "': " + errnoText(err));
    }
    done += size_t(n);
  }
  // Without the fsync a crash after the rename could leave a named file with no data.
  int syncResult = ::fsync(fd);
  int syncErr = errno;
  int closeResult = ::close(fd);
  if (syncResult != 0 || closeResult != 0) {
    int err = syncResult != 0 ? syncErr : errno;
    ::unlink(tmp.c_str());
    return invalidArgument("cannot flush '" + tmp + "': " + errnoText(err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return invalidArgument("cannot rename '" + tmp + "' to '" + path + "': " + errnoText(err));
  }
  return Status::ok();
}

}  // namespace ssmrt
