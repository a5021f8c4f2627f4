// Disk cache: store/load, damaged entries detected, removed and rebuilt, and concurrent
// writers (threads and processes) never leaving a torn entry.
#include <gtest/gtest.h>

#include <atomic>
#include <dirent.h>
#include <fstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "sample_pack.h"
#include "ssmrt/cache.h"

using namespace ssmrt;
using ssmrt_test::ScratchDir;

namespace {

std::string readAll(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void writeAll(const std::string &path, const std::string &bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << bytes;
}

bool exists(const std::string &path) { return ::access(path.c_str(), F_OK) == 0; }

std::vector<std::string> listDir(const std::string &dir) {
  std::vector<std::string> names;
  if (DIR *d = ::opendir(dir.c_str())) {
    while (dirent *e = ::readdir(d))
      if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") names.push_back(e->d_name);
    ::closedir(d);
  }
  return names;
}

// A payload whose bytes all derive from `seed`, so a reader can tell a whole payload from a
// mix of two writers'.
std::string payloadFor(int seed, size_t size) {
  std::string p(size, '\0');
  for (size_t i = 0; i < size; ++i) p[i] = char((seed * 131 + i * 7) & 0xff);
  p[0] = char(seed);
  return p;
}

bool isWholePayload(const std::string &p, size_t size) {
  return p.size() == size && p == payloadFor(static_cast<unsigned char>(p[0]), size);
}

}  // namespace

TEST(DiskCache, StoreThenLoad) {
  ScratchDir dir;
  DiskCache cache(dir.path() + "/nested/cache/");  // created on first store; trailing slash ok
  std::string payload;
  EXPECT_FALSE(cache.load("k1", &payload));
  std::string binary("cubin\0bytes", 11);
  ASSERT_TRUE(cache.store("k1", binary));
  ASSERT_TRUE(cache.load("k1", &payload));
  EXPECT_EQ(payload, binary);
  EXPECT_EQ(cache.pathFor("k1"), dir.path() + "/nested/cache/k1.bin");
  EXPECT_EQ(readAll(cache.pathFor("k1")).size(), 40u + binary.size());
  // Overwriting replaces the entry whole.
  ASSERT_TRUE(cache.store("k1", "second"));
  ASSERT_TRUE(cache.load("k1", &payload));
  EXPECT_EQ(payload, "second");
  // An empty payload is a valid entry.
  ASSERT_TRUE(cache.store("empty", ""));
  payload = "x";
  ASSERT_TRUE(cache.load("empty", &payload));
  EXPECT_EQ(payload, "");
}

TEST(DiskCache, DisabledCacheStoresNothing) {
  DiskCache cache("");
  EXPECT_FALSE(cache.enabled());
  EXPECT_TRUE(cache.store("k", "v"));
  std::string payload;
  EXPECT_FALSE(cache.load("k", &payload));
}

TEST(DiskCache, KeysMustBeFileNameSafe) {
  ScratchDir dir;
  DiskCache cache(dir.path());
  EXPECT_EQ(cache.store("../escape", "v").code(), SSMRT_INVALID_ARGUMENT);
  EXPECT_EQ(cache.store("", "v").code(), SSMRT_INVALID_ARGUMENT);
  std::string payload;
  EXPECT_FALSE(cache.load("../escape", &payload));
  EXPECT_TRUE(listDir(dir.path()).empty());
}

TEST(DiskCache, TruncatedEntryIsRemovedAndRebuilt) {
  ScratchDir dir;
  DiskCache cache(dir.path());
  const std::string binary = payloadFor(3, 1000);
  ASSERT_TRUE(cache.store("key", binary));
  const std::string whole = readAll(cache.pathFor("key"));
  for (size_t cut : {size_t(0), size_t(10), size_t(40), whole.size() - 1}) {
    writeAll(cache.pathFor("key"), whole.substr(0, cut));
    std::string payload, note;
    EXPECT_FALSE(cache.load("key", &payload, &note)) << "cut at " << cut;
    EXPECT_FALSE(exists(cache.pathFor("key"))) << "a damaged entry must be removed";
    EXPECT_NE(note.find("was damaged"), std::string::npos) << note;
    EXPECT_NE(note.find(cut < 40 ? "truncated" : "payload is"), std::string::npos) << note;
    ASSERT_TRUE(cache.store("key", binary));  // the rebuild
    ASSERT_TRUE(cache.load("key", &payload));
    EXPECT_EQ(payload, binary);
  }
}

TEST(DiskCache, EveryBitFlipIsDetectedAndRebuilt) {
  ScratchDir dir;
  DiskCache cache(dir.path());
  const std::string binary = payloadFor(5, 64);
  ASSERT_TRUE(cache.store("key", binary));
  const std::string whole = readAll(cache.pathFor("key"));
  for (size_t byte = 0; byte < whole.size(); ++byte) {
    std::string bad = whole;
    bad[byte] = char(bad[byte] ^ (1 << (byte % 8)));
    writeAll(cache.pathFor("key"), bad);
    std::string payload;
    ASSERT_FALSE(cache.load("key", &payload)) << "flip in byte " << byte;
    ASSERT_FALSE(exists(cache.pathFor("key")));
  }
  ASSERT_TRUE(cache.store("key", binary));
  std::string payload;
  ASSERT_TRUE(cache.load("key", &payload));
  EXPECT_EQ(payload, binary);
}

TEST(DiskCache, EntryRenamedToAnotherKeyIsRejected) {
  ScratchDir dir;
  DiskCache cache(dir.path());
  ASSERT_TRUE(cache.store("a", "payload of a"));
  writeAll(cache.pathFor("b"), readAll(cache.pathFor("a")));
  std::string payload, note;
  EXPECT_FALSE(cache.load("b", &payload, &note));
  EXPECT_NE(note.find("another key"), std::string::npos) << note;
}

TEST(DiskCache, ConcurrentThreadsNeverLeaveATornEntry) {
  ScratchDir dir;
  DiskCache cache(dir.path());
  constexpr size_t kSize = 256 * 1024;
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0}, hits{0};
  std::vector<std::thread> writers, readers;
  for (int w = 0; w < 4; ++w)
    writers.emplace_back([&, w] {
      for (int i = 0; i < 25; ++i) ASSERT_TRUE(cache.store("shared", payloadFor(w * 50 + i, kSize)));
    });
  for (int r = 0; r < 2; ++r)
    readers.emplace_back([&] {
      while (!stop) {
        std::string payload;
        if (cache.load("shared", &payload)) {
          ++hits;
          if (!isWholePayload(payload, kSize)) ++torn;
        }
      }
    });
  for (auto &t : writers) t.join();
  stop = true;
  for (auto &t : readers) t.join();
  EXPECT_EQ(torn.load(), 0);
  std::string payload;
  ASSERT_TRUE(cache.load("shared", &payload));
  EXPECT_TRUE(isWholePayload(payload, kSize));
  // No temporary file is left behind.
  EXPECT_EQ(listDir(dir.path()), std::vector<std::string>{"shared.bin"});
}

TEST(DiskCache, ConcurrentProcessesNeverLeaveATornEntry) {
  ScratchDir dir;
  constexpr size_t kSize = 128 * 1024;
  std::vector<pid_t> children;
  for (int p = 0; p < 4; ++p) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      DiskCache cache(dir.path());
      int bad = 0;
      for (int i = 0; i < 20; ++i) {
        if (!cache.store("shared", payloadFor(p * 40 + i, kSize))) bad = 1;
        std::string payload;
        if (cache.load("shared", &payload) && !isWholePayload(payload, kSize)) bad = 2;
      }
      ::_exit(bad);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "1: a store failed, 2: a torn entry was read";
  }
  DiskCache cache(dir.path());
  std::string payload;
  ASSERT_TRUE(cache.load("shared", &payload));
  EXPECT_TRUE(isWholePayload(payload, kSize));
  EXPECT_EQ(listDir(dir.path()), std::vector<std::string>{"shared.bin"});
}

TEST(DiskCache, DefaultDirectoryFollowsTheEnvironment) {
  std::string saved[3];
  const char *names[3] = {"SSMRT_CACHE_DIR", "XDG_CACHE_HOME", "HOME"};
  bool had[3];
  for (int i = 0; i < 3; ++i) {
    const char *v = std::getenv(names[i]);
    had[i] = v != nullptr;
    if (v) saved[i] = v;
  }
  ::setenv("SSMRT_CACHE_DIR", "/explicit", 1);
  ::setenv("XDG_CACHE_HOME", "/xdg", 1);
  ::setenv("HOME", "/home/u", 1);
  EXPECT_EQ(DiskCache::defaultDirectory(), "/explicit");
  ::setenv("SSMRT_CACHE_DIR", "", 1);
  EXPECT_EQ(DiskCache::defaultDirectory(), "");  // set but empty: disabled
  ::unsetenv("SSMRT_CACHE_DIR");
  EXPECT_EQ(DiskCache::defaultDirectory(), "/xdg/ssmc");
  ::unsetenv("XDG_CACHE_HOME");
  EXPECT_EQ(DiskCache::defaultDirectory(), "/home/u/.cache/ssmc");
  ::unsetenv("HOME");
  EXPECT_EQ(DiskCache::defaultDirectory(), "");
  for (int i = 0; i < 3; ++i) {
    if (had[i]) ::setenv(names[i], saved[i].c_str(), 1);
    else ::unsetenv(names[i]);
  }
}
